#!/usr/bin/env bash
# Benchmark `netwalk dig` side by side with BIND's `dig` and Knot's `kdig`,
# all against the same local server (BIND named serving tests/data/example.test.zone):
#   1. one query per process: median wall time of the whole process
#      (target: netwalk <= 0.5x kdig);
#   2. 2000 queries from a file: `netwalk dig -f` vs `dig -f`
#      (target: netwalk <= 0.5x dig, and byte-identical answers).
#
# Runs in a rootless lab that the script builds itself (scripts/lab.sh): a user
# + network + mount + PID namespace, inside it a client and a server network
# namespace joined by a veth pair. Only 198.18.0.0/15 addresses exist in the
# lab and the host's own network namespace is never touched.
#
# Prerequisites: apt-get install bind9 bind9-dnsutils knot-dnsutils python3
# Usage: scripts/bench-dig.sh
# Environment: NETWALK (binary; default: this checkout's release build, built if stale),
#              RUNS (single-query runs per tool, default 200),
#              BATCH_RUNS (batch runs per tool, default 5),
#              KEEP=1 keeps the work directory (it is always kept on failure).
# Exit status: 0 both targets met, 1 a target missed or answers differ,
#              2 a missing program or a lab that would not come up.
set -euo pipefail

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

CLIENT_IP=198.18.0.1
SERVER_IP=198.18.0.2

LAB_NAME=bench-dig
# shellcheck source=scripts/lab.sh
. "$(dirname "$0")/lab.sh"

if [[ "${1:-}" != --in-lab ]]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    netwalk=$(netwalk_release "$repo")
    need dig:bind9-dnsutils kdig:knot-dnsutils named:bind9 python3:python3
    [[ -x "$netwalk" ]] || die "the release build failed: no netwalk binary (or set NETWALK)"
    lab_enter "$(cd "$(dirname "$netwalk")" && pwd)/$(basename "$netwalk")" "$repo/tests/data/example.test.zone"
fi

lab_inside
work=$2
netwalk=$3
zone=$4
runs=${RUNS:-200}
batch_runs=${BATCH_RUNS:-5}

setup_host() {
    local pid=$1 dev=$2 ip=$3
    ip link set "$dev" netns "$pid"
    in_ns "$pid" ip link set "$dev" name eth0
    if [[ -e /proc/sys/net/ipv6 ]]; then
        in_ns "$pid" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6'
    fi
    in_ns "$pid" ip addr add "$ip/24" dev eth0
    in_ns "$pid" ip link set eth0 up
}

new_host; client=$HOST_PID
new_host; server=$HOST_PID
ip link add bench-cli type veth peer name bench-srv
setup_host "$client" bench-cli "$CLIENT_IP"
setup_host "$server" bench-srv "$SERVER_IP"

# named, unsigned zone, no recursion, everything in the work directory.
mkdir -p "$work/named"
cp "$zone" "$work/named/example.test.zone"
cat >"$work/named/named.conf" <<EOF
options {
  directory "$work/named";
  pid-file "$work/named/named.pid";
  session-keyfile "$work/named/session.key";
  managed-keys-directory "$work/named";
  listen-on port 53 { $SERVER_IP; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
};
controls { };
zone "example.test" { type primary; file "$work/named/example.test.zone"; };
EOF
nsenter --net="/proc/$server/ns/net" -- named -g -c "$work/named/named.conf" \
    </dev/null >"$work/named.log" 2>&1 &
pids+=("$!")
answers() { in_ns "$client" dig "@$SERVER_IP" +time=1 +tries=1 +short example.test SOA 2>/dev/null | grep -q .; }
wait_until 20 "named to answer (see $work/named.log)" answers

# 2000 queries over RRsets of one record each, so BIND's rrset rotation cannot reorder answers.
python3 - "$work/batch.txt" <<'PY'
import sys
names = [("www.example.test", "A"), ("www.example.test", "AAAA"), ("mail.example.test", "A"),
         ("txt.example.test", "TXT"), ("ptr.example.test", "PTR"), ("_sip._tcp.example.test", "SRV"),
         ("hinfo.example.test", "HINFO"), ("naptr.example.test", "NAPTR"), ("alias.example.test", "CNAME"),
         ("sshfp.example.test", "SSHFP")]
with open(sys.argv[1], "w") as f:
    for i in range(2000):
        name, rtype = names[i % len(names)]
        f.write(f"{name} {rtype}\n")
PY

echo "lab: direct veth, client $CLIENT_IP <-> named on $SERVER_IP:53 (UDP);" \
     "$runs single-query runs and $batch_runs batch runs per tool"

in_ns "$client" python3 - "$work" "$netwalk" "$SERVER_IP" "$runs" "$batch_runs" <<'PY'
import statistics, subprocess, sys, time

work, netwalk, server, runs, batch_runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
at = "@" + server

def timed(cmd):
    start = time.perf_counter_ns()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if out.returncode != 0:
        sys.exit(f"bench-dig: {' '.join(cmd)} exited {out.returncode}: {out.stderr.decode()[:300]}")
    return elapsed, out.stdout

def median_of(cmd, n):
    for _ in range(min(10, n)):
        timed(cmd)                       # warm-up: page cache, ARP
    times, last = [], b""
    for _ in range(n):
        t, last = timed(cmd)
        times.append(t)
    return statistics.median(times), last

single = {
    "netwalk dig": [netwalk, "dig", at, "www.example.test", "A"],
    "dig": ["dig", at, "www.example.test", "A"],
    "kdig": ["kdig", at, "www.example.test", "A"],
}
results = {tool: median_of(cmd, runs) for tool, cmd in single.items()}
# The floor: the same process started and ended with no query at all.
floor = {
    "netwalk --version": [netwalk, "--version"],
    "kdig --version": ["kdig", "--version"],
}
floor_results = {tool: median_of(cmd, runs) for tool, cmd in floor.items()}
for tool, (_, out) in results.items():
    if b"198.18.3.10" not in out:
        sys.exit(f"bench-dig: {tool} did not print the answer:\n{out.decode()[:500]}")

batch_file = f"{work}/batch.txt"
batch = {
    "netwalk dig -f": [netwalk, "dig", at, "+noall", "+answer", "-f", batch_file],
    "dig -f": ["dig", at, "+noall", "+answer", "-f", batch_file],
}
batch_results = {tool: median_of(cmd, batch_runs) for tool, cmd in batch.items()}
ours, theirs = batch_results["netwalk dig -f"][1], batch_results["dig -f"][1]
identical = ours == theirs and ours.count(b"\n") == 2000
if not identical:
    open(f"{work}/batch.netwalk.out", "wb").write(ours)
    open(f"{work}/batch.dig.out", "wb").write(theirs)

print(f"{'workload':<34} {'tool':<17} {'median wall (ms)':>17}")
for tool, (ms, _) in results.items():
    print(f"{'1 query, whole process':<34} {tool:<17} {ms:>17.2f}")
for tool, (ms, _) in floor_results.items():
    print(f"{'process start, no query (floor)':<34} {tool:<17} {ms:>17.2f}")
for tool, (ms, _) in batch_results.items():
    print(f"{'2000 queries from a file':<34} {tool:<17} {ms:>17.2f}")
print(f"(medians of {runs} single-query and {batch_runs} batch runs after warm-up; python3 subprocess + "
      "perf_counter_ns, process start to exit)")

ok = True
ratio = results["netwalk dig"][0] / results["kdig"][0]
verdict = ratio <= 0.5
ok &= verdict
print(f"target: single query <= 0.5x kdig: {ratio:.2f}x {'PASS' if verdict else 'FAIL'} "
      f"(dig: {results['netwalk dig'][0] / results['dig'][0]:.2f}x)")
ratio = batch_results["netwalk dig -f"][0] / batch_results["dig -f"][0]
verdict = ratio <= 0.5 and identical
ok &= verdict
print(f"target: 2000 queries <= 0.5x dig -f with identical answers: {ratio:.2f}x, answers "
      f"{'identical' if identical else 'DIFFER (see ' + work + ')'} {'PASS' if verdict else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
