#!/usr/bin/env bash
# Benchmark `netwalk tcping` RTT accuracy against a packet capture, side by side
# with `hping3 -S`, plus `netwalk --version` wall time and the release binary size.
#
# Runs in a rootless lab that the script builds itself: a user + network + mount
# + PID namespace (unshare -Urn …), inside it one network namespace per host,
# joined by a veth pair. Only 198.18.0.0/15 addresses exist in the lab, and the
# host's own network namespace is never touched, so no packet can leave.
# Works as root and as an ordinary user.
#
# Usage: scripts/bench-tcping.sh
# Environment: NETWALK (binary; default: this checkout's release build, built if stale),
#              PROBES (default 200), VERSION_RUNS (default 200),
#              KEEP=1 keeps the work directory (it is always kept on failure).
# Exit status: 0 both targets met, 1 a target missed, 2 a missing program,
#              a lab that would not come up, or probes that could not be matched.
set -euo pipefail

# Debian does not put the sbin directories on an ordinary user's PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

CLIENT_IP=198.18.0.1
SERVER_IP=198.18.0.2
PORT=8080
CLIENT_MAC=02:00:00:00:00:01
SERVER_MAC=02:00:00:00:00:02
# Only SYN and SYN-ACK: the two packets whose interval a tcping RTT stands for.
FILTER="tcp port $PORT and tcp[tcpflags] & (tcp-syn) != 0"

LAB_NAME=bench-tcping
# shellcheck source=scripts/lab.sh
. "$(dirname "$0")/lab.sh"

# ---------------------------------------------------------------------------
# Outside the lab: check prerequisites, then enter the lab.
# ---------------------------------------------------------------------------
if [[ "${1:-}" != --in-lab ]]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    netwalk=$(netwalk_release "$repo")
    need tcpdump:tcpdump hping3:hping3 python3:python3 timeout:coreutils
    [[ -x "$netwalk" ]] || die "the release build failed: no netwalk binary (or set NETWALK)"
    lab_enter "$(cd "$(dirname "$netwalk")" && pwd)/$(basename "$netwalk")"
fi

# ---------------------------------------------------------------------------
# Inside the lab (all capabilities in a fresh user namespace, PID 1 of a fresh PID namespace).
# ---------------------------------------------------------------------------
lab_inside
work=$2
netwalk=$3
probes=${PROBES:-200}
version_runs=${VERSION_RUNS:-200}

# Moves one veth end into a host and configures it as eth0.
setup_host() {
    local pid=$1 dev=$2 ip=$3 mac=$4 peer_ip=$5 peer_mac=$6
    ip link set "$dev" netns "$pid"
    in_ns "$pid" ip link set "$dev" name eth0
    in_ns "$pid" ip link set eth0 address "$mac"
    # No IPv6 on the lab link: no router solicitations or MLD reports, just IPv4.
    if [[ -e /proc/sys/net/ipv6 ]]; then
        in_ns "$pid" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6'
    fi
    in_ns "$pid" ip addr add "$ip/24" dev eth0
    # A permanent neighbour entry: no ARP exchange can delay a SYN after the
    # kernel has stamped it (that would show up as error, not as RTT).
    in_ns "$pid" ip neigh replace "$peer_ip" lladdr "$peer_mac" dev eth0 nud permanent
    in_ns "$pid" ip link set eth0 up
}

new_host; client=$HOST_PID
new_host; server=$HOST_PID
# Created in the lab's own (empty) namespace, so the names cannot clash with the host's.
ip link add bench-cli type veth peer name bench-srv
setup_host "$client" bench-cli "$CLIENT_IP" "$CLIENT_MAC" "$SERVER_IP" "$SERVER_MAC"
setup_host "$server" bench-srv "$SERVER_IP" "$SERVER_MAC" "$CLIENT_IP" "$CLIENT_MAC"

# Server: accept and close at once; logs to a file, never to our stdout.
server_py='
import socket, sys
addr, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(1024)
open(ready, "w").close()
print("listening on", addr, port, flush=True)
n = 0
while True:
    c, peer = s.accept()
    c.close()
    n += 1
    print("accepted", n, peer, flush=True)
'
nsenter --net="/proc/$server/ns/net" -- python3 -c "$server_py" "$SERVER_IP" "$PORT" "$work/server.ready" \
    </dev/null >"$work/server.log" 2>&1 &
pids+=("$!")
wait_until 10 "the server to listen (see $work/server.log)" test -e "$work/server.ready"

# Starts tcpdump on the client's eth0; it stops by itself after $2 packets
# (every SYN and SYN-ACK), so nothing still in its buffer is lost at the end.
capture_start() {
    local name=$1 packets=$2
    nsenter --net="/proc/$client/ns/net" -- tcpdump -i eth0 -n -U \
        --time-stamp-precision=nano -c "$packets" -w "$work/$name.pcap" "$FILTER" \
        </dev/null >"$work/$name.tcpdump.out" 2>"$work/$name.tcpdump.err" &
    CAPTURE_PID=$!
    pids+=("$CAPTURE_PID")
    wait_until 10 "tcpdump to listen (see $work/$name.tcpdump.err)" \
        grep -qs "listening on" "$work/$name.tcpdump.err"
}

# Waits up to 5 s for the capture to reach its count (it should already have),
# then stops it anyway and converts it to text with nanosecond timestamps.
capture_stop() {
    local name=$1
    local deadline=$((SECONDS + 5))
    while kill -0 "$CAPTURE_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.01; done
    stop "$CAPTURE_PID"
    tcpdump -r "$work/$name.pcap" -n -tt --time-stamp-precision=nano \
        >"$work/$name.txt" 2>>"$work/$name.tcpdump.err"
}

echo "lab: direct veth, client $CLIENT_IP (eth0) <-> server $SERVER_IP:$PORT (eth0), no router;" \
     "$probes probes per tool, 10 ms apart"

capture_start netwalk $((2 * probes))
rc=0
in_ns "$client" timeout 60 "$netwalk" tcping "$SERVER_IP:$PORT" -c "$probes" -i 10ms --timeout 1s --json \
    </dev/null >"$work/netwalk.json" 2>"$work/netwalk.err" || rc=$?
# Exit 1 means "the target failed the check": still worth analysing.
((rc <= 1)) || die "netwalk tcping exited with $rc: $(head -c 500 "$work/netwalk.err")"
capture_stop netwalk

capture_start hping3 $((2 * probes))
rc=0
in_ns "$client" timeout 60 hping3 -S -p "$PORT" -c "$probes" -i u10000 "$SERVER_IP" \
    </dev/null >"$work/hping3.out" 2>"$work/hping3.err" || rc=$?
((rc <= 1)) || die "hping3 exited with $rc: $(head -c 500 "$work/hping3.err")"
capture_stop hping3

# Matching, statistics, --version timing and the report.
python3 - "$work" "$netwalk" "$probes" "$version_runs" "$CLIENT_IP" "$SERVER_IP" "$PORT" <<'PY'
import json, math, os, re, statistics, subprocess, sys, time

work, netwalk, probes, version_runs, client, server, port = sys.argv[1:8]
probes, version_runs, port = int(probes), int(version_runs), int(port)

LINE = re.compile(r"^(\d+)\.(\d{9}) IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\]")

def handshakes(name):
    """SYN -> SYN-ACK intervals per client port, in capture order.
    Timestamps stay integer nanoseconds (a float of ~1.8e18 ns has 256 ns steps)."""
    pending, pairs, first_sport = {}, {}, None
    with open(os.path.join(work, name + ".txt")) as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            ns = int(m[1]) * 1_000_000_000 + int(m[2])
            src, sport, dst, dport, flags = m[3], int(m[4]), m[5], int(m[6]), m[7]
            if src == client and dport == port and "S" in flags and "." not in flags:
                pending[sport] = ns          # a retransmitted SYN replaces the first
                if first_sport is None:
                    first_sport = sport
            elif src == server and sport == port and "S" in flags and "." in flags:
                syn = pending.pop(dport, None)
                if syn is not None:
                    pairs.setdefault(dport, []).append((ns - syn) / 1000.0)
    return pairs, first_sport

def p99(values):
    # Nearest rank: the smallest value with at least 99 % of the values at or below it.
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]

results, problems = [], []

# netwalk: each probe names its local port, which is the SYN's source port.
pairs, _ = handshakes("netwalk")
try:
    doc = json.load(open(os.path.join(work, "netwalk.json")))
except ValueError as e:
    sys.exit(f"bench-tcping: netwalk printed no JSON document ({e}); see {work}/netwalk.err")
reported, errors, rtts, wires = 0, [], [], []
for probe in doc["targets"][0]["probes"]:
    if probe.get("state") != "open" or probe.get("rtt_ms") is None:
        continue
    reported += 1
    rtt = probe["rtt_ms"] * 1000.0
    rtts.append(rtt)
    queue = pairs.get(probe.get("local_port"), [])
    if queue:
        wire = queue.pop(0)
        wires.append(wire)
        errors.append(abs(rtt - wire))
sources = sorted({p.get("rtt_source") or "-" for p in doc["targets"][0]["probes"]})
results.append(("netwalk", reported, errors, rtts, wires))

# hping3: replies carry seq=N, and probe N left from source port base+N, where
# base is the source port of the first SYN in the capture (hping3 picks it at random).
pairs, base = handshakes("hping3")
reported, errors, rtts, wires, seen = 0, [], [], [], set()
reply = re.compile(r"\bseq=(\d+)\b.*\brtt=([\d.]+) ms")
for line in open(os.path.join(work, "hping3.out")):
    m = reply.search(line)
    if not m or "DUP!" in line or int(m[1]) in seen:
        continue
    seen.add(int(m[1]))
    reported += 1
    rtt = float(m[2]) * 1000.0
    rtts.append(rtt)
    queue = pairs.get((base + int(m[1])) % 65536, []) if base is not None else []
    if queue:
        wire = queue.pop(0)
        wires.append(wire)
        errors.append(abs(rtt - wire))
results.append(("hping3 -S", reported, errors, rtts, wires))

def cell(values, fn, fmt="{:.1f}"):
    return fmt.format(fn(values)) if values else "-"

print(f"{'tool':<11} {'sent':<5} {'replies':<8} {'matched':<8} {'median |err| (us)':<18} "
      f"{'p99 |err| (us)':<15} {'median rtt (us)':<16} {'median wire rtt (us)'}")
for tool, reported, errors, rtts, wires in results:
    print(f"{tool:<11} {probes:<5} {reported:<8} {len(errors):<8} {cell(errors, statistics.median):<18} "
          f"{cell(errors, p99):<15} {cell(rtts, statistics.median):<16} {cell(wires, statistics.median)}")
    if reported < probes:
        problems.append(f"{tool}: only {reported} of {probes} probes got an answer")
    if len(errors) < reported or not errors:
        problems.append(f"{tool}: matching failed: {reported - len(errors)} of {reported} reported RTTs "
                        f"have no SYN/SYN-ACK pair in the capture ({work}/{tool.split()[0]}.txt)")
print("(|err| = |reported RTT - SYN->SYN-ACK interval on the client's eth0|; p99 is nearest-rank; "
      f"netwalk rtt_source: {', '.join(sources)}; hping3 prints RTT to 0.1 ms)")

ok = True
nw_errors = results[0][2]
verdict = bool(nw_errors) and statistics.median(nw_errors) <= 10.0
ok &= verdict
print(f"target: netwalk median error <= 10 us: {'PASS' if verdict else 'FAIL'}")

# --version: fork+exec+wait of the real binary from Python, timed with a
# monotonic nanosecond clock after a warm-up; the spawn cost of `true` is
# shown for scale but not subtracted (a user pays it too).
def wall(cmd, runs):
    for _ in range(10):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(times)

version_ms = wall([netwalk, "--version"], version_runs)
baseline_ms = wall(["true"], version_runs)
verdict = version_ms <= 3.0
ok &= verdict
print(f"netwalk --version: median wall time {version_ms:.2f} ms over {version_runs} runs "
      f"(target <= 3 ms): {'PASS' if verdict else 'FAIL'}  "
      f"[python3 subprocess + perf_counter_ns; `true` takes {baseline_ms:.2f} ms the same way, not subtracted]")

size = os.stat(netwalk).st_size
shown = "target/" + netwalk.split("/target/", 1)[1] if "/target/" in netwalk else netwalk
print(f"release binary: {shown} {size} bytes ({size / 1048576:.1f} MiB)")

for p in problems:
    print("bench-tcping: " + p, file=sys.stderr)
sys.exit(2 if problems else 0 if ok else 1)
PY
