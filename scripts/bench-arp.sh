#!/usr/bin/env bash
# Benchmark: netwalk arp against arp-scan (sweep) and Habets arping (single
# target), side by side in one run, in a rootless lab this script builds:
# a bridge with 50 live hosts (each a network namespace whose kernel answers
# ARP) spread over 198.18.7.0/24, and the scanner's veth on it.
#
# Prerequisites (Debian): apt-get install arp-scan arping iproute2 util-linux
#   (`arping` is Thomas Habets' arping 2.x; iputils-arping conflicts with it.
#   Habets' `-c 1 -w 1` waits out the 1 s deadline after the reply, which is
#   the behaviour the target compares against.)
# Usage: scripts/bench-arp.sh [ROUNDS]   (default 5; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}

if [[ -z ${BENCH_ARP_INNER:-} ]]; then
  for tool in arp-scan arping ip nsenter unshare; do
    command -v "$tool" >/dev/null || { echo "bench-arp: $tool is missing (see the prerequisites at the top)" >&2; exit 2; }
  done
  arping --help 2>&1 | grep -q Habets || { echo "bench-arp: arping is not Habets' arping (apt-get install arping)" >&2; exit 2; }
  # shellcheck source=scripts/lab.sh
  . scripts/lab.sh
  NETWALK=$(netwalk_release "$PWD")
  [[ -x "$NETWALK" ]] || { echo "bench-arp: the release build failed: no netwalk binary (or set NETWALK)" >&2; exit 2; }
  exec unshare -Urn env BENCH_ARP_INNER=1 NETWALK="$NETWALK" "$0" "$rounds"
fi

# ---- inside a fresh user + network namespace: build the lab
holders=()
trap 'kill "${holders[@]}" 2>/dev/null || true' EXIT
holder() { unshare -n sleep infinity & holders+=($!); }
holder; sw=${holders[0]}
for i in $(seq 1 50); do holder; done
until [[ -e /proc/${holders[50]}/ns/net ]] && [[ $(readlink /proc/${holders[50]}/ns/net) != $(readlink /proc/self/ns/net) ]]; do sleep 0.01; done
ip link set lo up
ip link add scan0 type veth peer name p0 netns "$sw"
nsenter -t "$sw" -n sh -c 'ip link add br0 type bridge stp_state 0 mcast_snooping 0 && ip link set br0 up && ip link set p0 master br0 up'
ip link set scan0 address 02:00:00:07:00:01 up
ip addr add 198.18.7.1/24 dev scan0
for n in $(seq 1 50); do
  h=${holders[$n]}
  ip link add "v$n" type veth peer name "p$n" netns "$sw"
  ip link set "v$n" netns "$h"
  nsenter -t "$sw" -n ip link set "p$n" master br0 up
  nsenter -t "$h" -n sh -c "ip link set v$n name eth0 && ip link set eth0 address $(printf '02:00:00:07:01:%02x' "$n") up && ip addr add 198.18.7.$((n * 5))/24 dev eth0"
done
# Wait until every host answers (the kernel, not a sleep, says the lab is up).
for n in 1 50; do
  until "$NETWALK" arp -c 1 --timeout 200ms "198.18.7.$((n * 5))" >/dev/null 2>&1; do sleep 0.05; done
done

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
declare -a t_scan t_nw t_arping t_one t_lscan t_lnw
found_scan=() found_nw=() found_lscan=() found_lnw=()
for r in $(seq 1 "$rounds"); do
  s=$(now_ms); out=$(arp-scan -I scan0 198.18.7.0/24); e=$(now_ms)
  t_scan+=($((e - s))); found_scan+=("$(grep -cE '^198\.18\.7\.[0-9]+\s' <<<"$out")")
  s=$(now_ms); out=$("$NETWALK" --json arp 198.18.7.0/24); e=$(now_ms)
  t_nw+=($((e - s))); found_nw+=("$(grep -c '"ip": ' <<<"$out")")
  s=$(now_ms); out=$(arp-scan -I scan0 --localnet); e=$(now_ms)
  t_lscan+=($((e - s))); found_lscan+=("$(grep -cE '^198\.18\.7\.[0-9]+\s' <<<"$out")")
  s=$(now_ms); out=$("$NETWALK" --json arp scan0); e=$(now_ms)
  t_lnw+=($((e - s))); found_lnw+=("$(grep -c '"ip": ' <<<"$out")")
  s=$(now_ms); arping -c 1 -w 1 -i scan0 198.18.7.125 >/dev/null; e=$(now_ms); t_arping+=($((e - s)))
  s=$(now_ms); "$NETWALK" arp -c 1 198.18.7.125 >/dev/null; e=$(now_ms); t_one+=($((e - s)))
done
m_scan=$(printf '%s\n' "${t_scan[@]}" | median); m_nw=$(printf '%s\n' "${t_nw[@]}" | median)
m_arping=$(printf '%s\n' "${t_arping[@]}" | median); m_one=$(printf '%s\n' "${t_one[@]}" | median)
m_lscan=$(printf '%s\n' "${t_lscan[@]}" | median); m_lnw=$(printf '%s\n' "${t_lnw[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r <= t) ? "PASS" : "FAIL"}'; }
r_sweep=$(ratio "$m_nw" "$m_scan"); r_one=$(ratio "$m_one" "$m_arping")
all50=PASS
for f in "${found_nw[@]}"; do [[ $f == 50 ]] || all50=FAIL; done

printf '\nnetwalk arp benchmark: 50 live hosts on 198.18.7.0/24, %s rounds, medians (wall time, ms)\n' "$rounds"
printf '%-44s %10s %14s %8s %s\n' "case" "median ms" "found/answer" "ratio" "target"
printf '%-44s %10s %14s %8s %s\n' "arp-scan -I scan0 198.18.7.0/24" "$m_scan" "${found_scan[*]}" "" ""
printf '%-44s %10s %14s %8s %s\n' "netwalk arp 198.18.7.0/24" "$m_nw" "${found_nw[*]}" "$r_sweep" "<= 0.25 and all 50: $(verdict "$r_sweep" 0.25)/$all50"
printf '%-44s %10s %14s %8s %s\n' "arp-scan -I scan0 --localnet" "$m_lscan" "${found_lscan[*]}" "" ""
printf '%-44s %10s %14s %8s %s\n' "netwalk arp scan0 (its network, as --localnet)" "$m_lnw" "${found_lnw[*]}" "$(ratio "$m_lnw" "$m_lscan")" ""
printf '%-44s %10s %14s %8s %s\n' "arping -c 1 -w 1 198.18.7.125 (Habets 2.x)" "$m_arping" "" "" ""
printf '%-44s %10s %14s %8s %s\n' "netwalk arp -c 1 198.18.7.125" "$m_one" "" "$r_one" "<= 0.10: $(verdict "$r_one" 0.10)"
