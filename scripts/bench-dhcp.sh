#!/usr/bin/env bash
# Benchmark `netwalk dhcp-discover --first` against nmap's
# broadcast-dhcp-discover script: wall time to a result, side by side, with
# dnsmasq as the DHCP server in a rootless lab (scripts/lab.sh).
#
# dnsmasq runs with --no-ping: by default it pings an address for up to 3 s
# before offering it, which would measure dnsmasq, not the clients.
#
# Usage: scripts/bench-dhcp.sh        Environment: NETWALK, RUNS (default 5), KEEP=1
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

LAB_NAME=bench-dhcp
# shellcheck source=scripts/lab.sh
. "$(dirname "$0")/lab.sh"

if [[ "${1:-}" != --in-lab ]]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    netwalk=$(netwalk_release "$repo")
    need dnsmasq:dnsmasq-base nmap:nmap python3:python3
    [[ -x "$netwalk" ]] || die "the release build failed: no netwalk binary (or set NETWALK)"
    lab_enter "$(cd "$(dirname "$netwalk")" && pwd)/$(basename "$netwalk")"
fi

lab_inside
work=$2
netwalk=$3
runs=${RUNS:-5}

new_host; client=$HOST_PID
new_host; server=$HOST_PID
ip link add bench-cli type veth peer name bench-srv
for side in "client bench-cli" "server bench-srv"; do
    set -- $side
    pid=${!1}
    ip link set "$2" netns "$pid"
    in_ns "$pid" ip link set "$2" name eth0
done
in_ns "$client" ip link set eth0 address 02:00:00:00:d0:01
in_ns "$server" ip link set eth0 address 02:00:00:00:d0:02
in_ns "$server" ip addr add 198.18.5.1/24 dev eth0
in_ns "$client" ip link set eth0 up   # no IPv4 address: a machine joining the network
in_ns "$server" ip link set eth0 up

nsenter --net="/proc/$server/ns/net" -- dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
    --interface=eth0 --bind-interfaces --no-ping --pid-file="$work/dnsmasq.pid" \
    --dhcp-leasefile="$work/leases" --dhcp-range=198.18.5.100,198.18.5.150,255.255.255.0,10m \
    --dhcp-option=option:router,198.18.5.1 --dhcp-option=option:dns-server,198.18.5.53 \
    </dev/null >"$work/dnsmasq.log" 2>&1 &
pids+=("$!")
wait_until 10 "dnsmasq to bind port 67 (see $work/dnsmasq.log)" \
    sh -c "nsenter --net=/proc/$server/ns/net -- ss -Hlun 'sport = :67' | grep -q ."

# Wall time of one command in ms, from a monotonic clock.
timed() {
    local start end
    start=$(date +%s%N)
    "$@" >>"$work/out.log" 2>&1 || die "failed: $* (see $work/out.log)"
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'; }

nw=(); nm=()
for ((i = 0; i < runs; i++)); do
    nw+=("$(timed in_ns "$client" "$netwalk" dhcp-discover -I eth0 --first --timeout 10s --expect-server 198.18.5.1)")
done
# nmap's script only uses interfaces that have an IPv4 address (netwalk needs none),
# so the client gets one now; it listens for its whole timeout (10 s by default),
# so fewer runs keep this under a minute.
in_ns "$client" ip addr add 198.18.5.200/24 dev eth0
nmap_runs=$(( runs < 3 ? runs : 3 ))
for ((i = 0; i < nmap_runs; i++)); do
    nm+=("$(timed in_ns "$client" nmap --privileged -e eth0 --script broadcast-dhcp-discover)")
done
grep -q "Server Identifier: 198.18.5.1" "$work/out.log" || die "nmap saw no offer (see $work/out.log)"

nw_med=$(printf '%s\n' "${nw[@]}" | median)
nm_med=$(printf '%s\n' "${nm[@]}" | median)
ratio=$(awk -v a="$nw_med" -v b="$nm_med" 'BEGIN {printf "%.4f", a/b}')
echo "lab: client <-> dnsmasq 198.18.5.1 on one veth link, dnsmasq --no-ping;"
echo "     netwalk ran with no IPv4 address on the client, nmap with 198.18.5.200/24 (it needs one)"
printf '%-36s %5s %12s\n' tool runs "median ms"
printf '%-36s %5s %12s\n' "netwalk dhcp-discover --first" "$runs" "$nw_med"
printf '%-36s %5s %12s\n' "nmap --script broadcast-dhcp-discover" "$nmap_runs" "$nm_med"
verdict=$(awk -v r="$ratio" 'BEGIN {print (r <= 0.05) ? "PASS" : "FAIL"}')
echo "target: netwalk <= 0.05x nmap: ${ratio}x $verdict"
leases=$(grep -vc '^duid ' "$work/leases" 2>/dev/null || true)
echo "leases held by dnsmasq after all runs: ${leases:-0} (none may be taken)"
[[ $verdict == PASS ]]
