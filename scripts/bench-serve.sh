#!/usr/bin/env bash
# Benchmark: netwalk serve against prometheus-blackbox-exporter, side by
# side in one run: probes per second and latency (p50, p99) under the same
# load, for the http and tcp modules, and each exporter's peak RSS. Both
# exporters get the same module file and are pinned to the same 2 cores;
# the load generator (wrk, 16 connections) asks /probe as Prometheus does,
# with X-Prometheus-Scrape-Timeout-Seconds; the targets are nginx in a
# second lab host (the rootless lab of scripts/lab.sh, veth between them).
#
# Prerequisites (Debian): apt-get install prometheus-blackbox-exporter wrk nginx iproute2 util-linux
# Usage: scripts/bench-serve.sh
# Environment: NETWALK (binary; default: this checkout's release build, built if stale),
#              SECONDS_EACH (default 10), CONNECTIONS (default 16), KEEP=1 keeps the work dir.
# Exit status: 0 it ran; 2 a missing program or a lab that would not come up.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

CLIENT_IP=198.18.0.1
SERVER_IP=198.18.0.2

LAB_NAME=bench-serve
# shellcheck source=scripts/lab.sh
. "$(dirname "$0")/lab.sh"

if [[ "${1:-}" != --in-lab ]]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    netwalk=$(netwalk_release "$repo")
    need prometheus-blackbox-exporter:prometheus-blackbox-exporter wrk:wrk nginx:nginx taskset:util-linux
    [[ -x "$netwalk" ]] || die "the release build failed: no netwalk binary (or set NETWALK)"
    lab_enter "$(cd "$(dirname "$netwalk")" && pwd)/$(basename "$netwalk")"
fi

lab_inside
work=$2
netwalk=$3
seconds=${SECONDS_EACH:-10}
connections=${CONNECTIONS:-16}

setup_host() {
    local pid=$1 dev=$2 ip=$3
    ip link set "$dev" netns "$pid"
    in_ns "$pid" ip link set "$dev" name eth0
    in_ns "$pid" ip addr add "$ip/24" dev eth0
    in_ns "$pid" ip link set eth0 up
}

new_host; client=$HOST_PID
new_host; server=$HOST_PID
ip link add bsrv-cli type veth peer name bsrv-srv
setup_host "$client" bsrv-cli "$CLIENT_IP"
setup_host "$server" bsrv-srv "$SERVER_IP"

cd "$work"
mkdir -p www tmp
echo '<h1>small page from nginx in the lab</h1>' >www/index.html
cat >nginx.conf <<NGINX
user root;
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server { listen $SERVER_IP:8080; root $work/www; }
}
NGINX
nsenter --net="/proc/$server/ns/net" -- nginx -c "$work/nginx.conf" -e "$work/error.log" \
    </dev/null >"$work/nginx.out" 2>&1 &
pids+=("$!")
open_at() { in_ns "$client" bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
wait_until 10 "nginx to listen (see $work/error.log)" open_at "$SERVER_IP" 8080

cat >blackbox.yml <<YAML
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
  tcp_connect:
    prober: tcp
    timeout: 5s
    tcp:
      preferred_ip_protocol: ip4
YAML

# Both exporters on cores 0 and 1, one at a time.
nsenter --net="/proc/$client/ns/net" -- taskset -c 0,1 "$netwalk" serve --listen 127.0.0.1:9115 \
    --config blackbox.yml </dev/null >netwalk.log 2>&1 &
netwalk_pid=$!; pids+=("$netwalk_pid")
nsenter --net="/proc/$client/ns/net" -- taskset -c 0,1 prometheus-blackbox-exporter \
    --config.file=blackbox.yml --web.listen-address=127.0.0.1:9116 </dev/null >blackbox.log 2>&1 &
blackbox_pid=$!; pids+=("$blackbox_pid")
wait_until 10 "netwalk serve to listen (see $work/netwalk.log)" open_at 127.0.0.1 9115
wait_until 10 "blackbox_exporter to listen (see $work/blackbox.log)" open_at 127.0.0.1 9116

cat >scrape.lua <<'LUA'
wrk.headers["X-Prometheus-Scrape-Timeout-Seconds"] = "5"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.0f %.3f %.3f\n", summary.requests, summary.errors.status + summary.errors.timeout + summary.errors.connect + summary.errors.read,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

hwm() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
failed_probes() { in_ns "$client" curl -s "$1" | grep -c '^probe_success 0' || true; }

echo "lab: veth, exporters at $CLIENT_IP (taskset 0,1) <-> nginx at $SERVER_IP:8080; wrk -c $connections -t 2 -d ${seconds}s per row"
echo "netwalk $("$netwalk" --version | cut -d' ' -f2), $(prometheus-blackbox-exporter --version 2>&1 | head -1 | cut -d' ' -f1-3)"
printf '\n%-8s %-10s %10s %10s %10s %8s %9s\n' module exporter probes/s p50_ms p99_ms errors peak_RSS
for module in http_2xx tcp_connect; do
    case $module in
        http_2xx) target="http://$SERVER_IP:8080/" ;;
        tcp_connect) target="$SERVER_IP:8080" ;;
    esac
    for exporter in netwalk blackbox; do
        case $exporter in
            netwalk) port=9115 pid=$netwalk_pid ;;
            blackbox) port=9116 pid=$blackbox_pid ;;
        esac
        url="http://127.0.0.1:$port/probe?module=$module&target=$target"
        # Each probe must pass, or the numbers measure failures.
        [[ $(failed_probes "$url") == 0 ]] || die "$exporter $module: the probe fails: $(in_ns "$client" curl -s "$url" | grep -v '^#' | head -20)"
        read -r _ requests errors rate p50 p99 < <(in_ns "$client" wrk -t 2 -c "$connections" -d "${seconds}s" \
            -s scrape.lua "$url" | grep '^RESULT')
        printf '%-8s %-10s %10s %10s %10s %8s %7sMiB\n' "${module%%_*}" "$exporter" "$rate" "$p50" "$p99" \
            "$errors/$requests" "$(hwm "$pid")"
    done
done
