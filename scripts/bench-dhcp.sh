#!/usr/bin/env bash
# Benchmark `netwalk dhcp-discover --first` against nmap's
# broadcast-dhcp-discover script: wall time to a result, side by side, with
# dnsmasq as the DHCP server in a rootless lab (scripts/lab.sh).
#
# Part 1, dnsmasq with --no-ping: the clients' own speed (by default dnsmasq
# pings an address for 3 s before offering it, which would measure dnsmasq).
# Part 2, dnsmasq as home routers run it, ping check on, each run from a new
# random MAC (so a new address, pinged anew): which client sees the offer in
# its default window, and how soon.
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

# Starts dnsmasq with extra options ($@); DNSMASQ is its PID.
start_dnsmasq() {
    nsenter --net="/proc/$server/ns/net" -- dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
        --interface=eth0 --bind-interfaces "$@" --pid-file="$work/dnsmasq.pid" --log-dhcp \
        --dhcp-leasefile="$work/leases" --dhcp-range=198.18.5.100,198.18.5.250,255.255.255.0,10m \
        --dhcp-option=option:router,198.18.5.1 --dhcp-option=option:dns-server,198.18.5.53 \
        </dev/null >>"$work/dnsmasq.log" 2>&1 &
    DNSMASQ=$!
    pids+=("$DNSMASQ")
    wait_until 10 "dnsmasq to bind port 67 (see $work/dnsmasq.log)" \
        sh -c "nsenter --net=/proc/$server/ns/net -- ss -Hlun 'sport = :67' | grep -q ."
}
start_dnsmasq --no-ping

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

# ---- part 2: dnsmasq with its ping check on
restart_dnsmasq() {
    stop "$DNSMASQ"
    wait_until 10 "dnsmasq to release port 67" \
        sh -c "! nsenter --net=/proc/$server/ns/net -- ss -Hlun 'sport = :67' | grep -q ."
    start_dnsmasq "$@"
}
in_ns "$client" ip addr flush dev eth0
# One case: "found" runs (an offer seen) of N, median wall ms, median ms to the offer.
ping_case() {
    local label=$1 runs=$2 found=0 walls=() offers=() i start end out at
    shift 2
    # A fresh dnsmasq per case: past 6 pings in 30 s it stops pinging (its high-load mode).
    restart_dnsmasq
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s%N)
        out=$("$@" 2>>"$work/out.log" || true)
        end=$(date +%s%N)
        walls+=($(((end - start) / 1000)))
        at=$(grep -o '"elapsed_ms": *[0-9.]*' <<<"$out" | head -1 | sed 's/.*: *//' || true)
        if [[ -n $at ]]; then
            found=$((found + 1)); offers+=("$(awk -v a="$at" 'BEGIN {printf "%d", a * 1000}')")
        elif grep -q "Server Identifier: 198.18.5.1" <<<"$out"; then
            found=$((found + 1))
        fi
    done
    local offer=-
    ((${#offers[@]})) && offer=$(printf '%s\n' "${offers[@]}" | median)
    printf '%-52s %7s %10s %10s\n' "$label" "$found/$runs" "$(printf '%s\n' "${walls[@]}" | median)" "$offer"
}
echo
echo "dnsmasq with its ping check on (the default), a new random MAC every run:"
printf '%-52s %7s %10s %10s\n' tool found "wall ms" "offer ms"
nw_cmd=(in_ns "$client" "$netwalk" --json dhcp-discover -I eth0 --random-mac)
ping_case "netwalk dhcp-discover (default 5 s window)" 3 "${nw_cmd[@]}"
ping_case "netwalk dhcp-discover --timeout 3s (the old default)" 3 "${nw_cmd[@]}" --timeout 3s
ping_case "netwalk dhcp-discover --first" 3 "${nw_cmd[@]}" --first --timeout 10s
in_ns "$client" ip addr add 198.18.5.20/24 dev eth0
ping_case "nmap --script broadcast-dhcp-discover (10 s)" 2 \
    in_ns "$client" nmap --privileged -e eth0 --script broadcast-dhcp-discover
leases=$(grep -vc '^duid ' "$work/leases" 2>/dev/null || true)
echo "leases held by dnsmasq after all runs: ${leases:-0} (none may be taken)"
[[ $verdict == PASS ]]
