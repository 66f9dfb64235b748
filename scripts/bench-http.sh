#!/usr/bin/env bash
# Benchmark `netwalk http` side by side with curl against nginx, in one run:
#   1. a 1 GiB HTTP/1.1 download to /dev/null: median wall time and peak RSS
#      (targets: wall <= 1.0x curl, peak RSS <= 20 MiB);
#   2. a small HTTPS GET (TLS 1.3 with a lab CA, ALPN): median process wall time
#      (target: <= 1.0x curl).
#
# Runs in a rootless lab the script builds itself (scripts/lab.sh): a user +
# network + mount + PID namespace, inside it one network namespace per host
# (client, server) joined by a veth pair with 198.18.0.0/15 addresses only.
# The host's own network namespace is never touched: no packet can leave.
#
# Prerequisites (Debian): apt-get install nginx curl openssl python3 time iproute2 util-linux
# Usage: scripts/bench-http.sh
# Environment: NETWALK (binary; default: this checkout's release build, built if stale), BIG_RUNS
#              (default 5), SMALL_RUNS (default 50), KEEP=1 keeps the work dir.
# Exit status: 0 every target met, 1 a target missed, 2 a missing program or a
#              lab that would not come up.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

CLIENT_IP=198.18.0.1
SERVER_IP=198.18.0.2

LAB_NAME=bench-http
# shellcheck source=scripts/lab.sh
. "$(dirname "$0")/lab.sh"

if [[ "${1:-}" != --in-lab ]]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    netwalk=$(netwalk_release "$repo")
    need nginx:nginx curl:curl openssl:openssl python3:python3 /usr/bin/time:time
    [[ -x "$netwalk" ]] || die "the release build failed: no netwalk binary (or set NETWALK)"
    lab_enter "$(cd "$(dirname "$netwalk")" && pwd)/$(basename "$netwalk")"
fi

lab_inside
work=$2
netwalk=$3

setup_host() {
    local pid=$1 dev=$2 ip=$3
    ip link set "$dev" netns "$pid"
    in_ns "$pid" ip link set "$dev" name eth0
    in_ns "$pid" ip addr add "$ip/24" dev eth0
    in_ns "$pid" ip link set eth0 up
}

new_host; client=$HOST_PID
new_host; server=$HOST_PID
ip link add bench-cli type veth peer name bench-srv
setup_host "$client" bench-cli "$CLIENT_IP"
setup_host "$server" bench-srv "$SERVER_IP"

# A lab CA and a certificate for web.test (openssl), the content, nginx.conf.
cd "$work"
mkdir -p www tmp
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=bench lab CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=web.test" \
    -keyout key.pem -out leaf.csr 2>/dev/null
printf 'subjectAltName=DNS:web.test\nbasicConstraints=CA:FALSE\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile leaf.ext -out cert.pem 2>/dev/null
head -c 1073741824 /dev/zero >www/big.bin
echo '<h1>small page from nginx in the lab</h1>' >www/small.html
cat >nginx.conf <<EOF
user root;
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  sendfile on;
  server {
    listen $SERVER_IP:8080;
    listen $SERVER_IP:8443 ssl http2;
    server_name web.test;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/www;
  }
}
EOF
nsenter --net="/proc/$server/ns/net" -- nginx -c "$work/nginx.conf" -e "$work/error.log" \
    </dev/null >"$work/nginx.out" 2>&1 &
pids+=("$!")
port_open() { in_ns "$client" bash -c "exec 3<>/dev/tcp/$SERVER_IP/8443" 2>/dev/null; }
wait_until 10 "nginx to listen (see $work/error.log)" port_open

echo "lab: veth, client $CLIENT_IP <-> nginx $(nginx -v 2>&1 | sed 's/.*\///') at $SERVER_IP (8080 http, 8443 https+h2);" \
     "$(curl --version | head -1 | cut -d' ' -f1-2); netwalk $("$netwalk" --version | cut -d' ' -f2)"

python3 - "$client" "$netwalk" "$work" "$SERVER_IP" "${BIG_RUNS:-5}" "${SMALL_RUNS:-50}" <<'PY'
import os, statistics, subprocess, sys, time
client, netwalk, work, server, big_runs, small_runs = sys.argv[1:7]
big_runs, small_runs = int(big_runs), int(small_runs)
ns = ["nsenter", f"--net=/proc/{client}/ns/net", "--"]
resolve = f"web.test:8443:{server}"
big = f"http://{server}:8080/big.bin"
small = "https://web.test:8443/small.html"
ca = os.path.join(work, "ca.pem")

rss_file = os.path.join(work, "maxrss")

def run(cmd):
    """Wall time (ms) and peak RSS (KiB) of one run. GNU time forks the tool
    from its own small process and reports that child's ru_maxrss: a child
    forked by python3 would start with python's RSS as its high-water mark."""
    start = time.perf_counter_ns()
    p = subprocess.run(ns + ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = (time.perf_counter_ns() - start) / 1e6
    if p.returncode != 0:
        sys.exit(f"bench-http: {' '.join(cmd)} failed: {p.stderr.decode(errors='replace')[:400]}")
    rss, user, system = open(rss_file).read().split()[-3:]
    return wall, int(rss), (float(user) + float(system)) * 1000

def measure(cmds, runs):
    """Runs the tools alternately, so load from elsewhere hits both alike."""
    for cmd in cmds.values():
        run(cmd)  # warm-up: page cache, binary in memory
    samples = {tool: [] for tool in cmds}
    for _ in range(runs):
        for tool, cmd in cmds.items():
            samples[tool].append(run(cmd))
    return {tool: (statistics.median(s[0] for s in v), max(s[1] for s in v), statistics.median(s[2] for s in v))
            for tool, v in samples.items()}

tools = {
    "big": {
        "netwalk": [netwalk, "http", "-o", "/dev/null", big],
        "curl": ["curl", "-sS", "-o", "/dev/null", big],
    },
    "small": {
        "netwalk": [netwalk, "http", "--cacert", ca, "--resolve", resolve, "-o", "/dev/null", small],
        "curl": ["curl", "-sS", "--cacert", ca, "--resolve", resolve, "-o", "/dev/null", small],
    },
}
res = {case: measure(t, big_runs if case == "big" else small_runs) for case, t in tools.items()}

print(f"{'case':<34} {'tool':<8} {'median wall (ms)':>17} {'median CPU (ms)':>16} {'peak RSS (MiB)':>15} {'vs curl':>8}")
for case, label, runs in [("big", "1 GiB HTTP/1.1 to /dev/null", big_runs),
                          ("small", "small HTTPS GET (h2, TLS 1.3)", small_runs)]:
    for tool in ("netwalk", "curl"):
        wall, rss, cpu = res[case][tool]
        ratio = wall / res[case]["curl"][0]
        print(f"{label + f' x{runs}':<34} {tool:<8} {wall:>17.1f} {cpu:>16.0f} {rss / 1024:>15.1f} {ratio:>7.2f}x")

ok = True
def verdict(name, passed):
    global ok
    ok &= passed
    print(f"target: {name}: {'PASS' if passed else 'FAIL'}")
big_ratio = res["big"]["netwalk"][0] / res["big"]["curl"][0]
verdict(f"1 GiB wall <= 1.0x curl ({big_ratio:.2f}x)", big_ratio <= 1.0)
rss = res["big"]["netwalk"][1] / 1024
verdict(f"1 GiB peak RSS <= 20 MiB ({rss:.1f} MiB)", rss <= 20)
small_ratio = res["small"]["netwalk"][0] / res["small"]["curl"][0]
verdict(f"small HTTPS GET wall <= 1.0x curl ({small_ratio:.2f}x)", small_ratio <= 1.0)
print("(wall: python3 perf_counter_ns around nsenter + GNU time + the tool, the same wrapper for both, "
      "runs alternate between the tools, median after one warm-up each; CPU: user+sys from GNU time (10 ms steps); "
      "RSS: GNU time %M, the tool's own ru_maxrss, maximum over the runs)")
sys.exit(0 if ok else 1)
PY
