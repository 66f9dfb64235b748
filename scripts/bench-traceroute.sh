#!/usr/bin/env bash
# Benchmark: netwalk traceroute vs traceroute -I, mtr and trippy, side by side
# in one run, on a 10-router chain built here in rootless namespaces.
#
#   case A: every router answers          case B: router 5 is silent (nft drops
#                                                 its ICMP time-exceeded)
# Three ICMP probes per hop. netwalk and traceroute run RUNS times per case
# (default 31), mtr and trippy SLOW_RUNS times (default 3: each run takes
# seconds, one probe round per second),
# alternating, and the table shows the median wall time of the whole process.
# Targets: A ≤ 1.0× traceroute -I, B ≤ 1.0× traceroute (default adaptive wait).
#
# Prerequisites (Debian): apt-get install traceroute mtr-tiny nftables iproute2
# util-linux; cargo install trippy --locked (binary `trip`); unprivileged user
# namespaces. The release build is made (or refreshed) first; NETWALK names
# another binary.
# Nothing leaves the machine: the chain lives in its own network namespaces
# (198.18.0.0/15 only) and the client namespace has no other interface.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-31}
SLOW_RUNS=${SLOW_RUNS:-3}
export LC_ALL=C # $EPOCHREALTIME with a decimal point

if [[ "${1:-}" != "--inside" ]]; then
  for tool in traceroute mtr trip nft ip unshare nsenter; do
    command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing (see the prerequisites at the top)" >&2; exit 3; }
  done
  # shellcheck source=scripts/lab.sh
  . scripts/lab.sh
  NETWALK=$(netwalk_release "$PWD")
  [[ -x "$NETWALK" ]] || { echo "bench: the release build failed: no netwalk binary (or set NETWALK)" >&2; exit 3; }
  export NETWALK
  # A user namespace (uid 0 inside) with a network namespace: the client.
  exec unshare -Urn --kill-child "$0" --inside
fi

ROUTERS=10
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# One holder per router and for the server, each in its own network namespace.
for _ in $(seq 1 $((ROUTERS + 1))); do
  unshare -n sleep infinity &
  pids+=($!)
done
sleep 0.2 # the holders' unshare(2) has run by now; checked below
in_ns() { local pid=$1; shift; nsenter -t "$pid" -n "$@"; }
for p in "${pids[@]}"; do
  [[ "$(readlink /proc/"$p"/ns/net)" != "$(readlink /proc/self/ns/net)" ]] || { echo "bench: holder $p not ready" >&2; exit 3; }
done

# Link n joins node n-1 and node n (node 0 is this namespace, the client):
# 198.18.n.1 on the left, 198.18.n.2 on the right.
ratelimit_off() {
  echo 0 >/proc/sys/net/ipv4/icmp_ratelimit
  echo 1000000 >/proc/sys/net/ipv4/icmp_msgs_per_sec
  echo 1000000 >/proc/sys/net/ipv4/icmp_msgs_burst
}
ip link set lo up
ratelimit_off
for n in $(seq 1 $((ROUTERS + 1))); do
  right=${pids[$((n - 1))]}
  ip link add "l${n}a" type veth peer name "l${n}b"
  ip link set "l${n}b" netns "$right"
  if ((n == 1)); then
    ip addr add 198.18.1.1/24 dev l1a && ip link set l1a up
  else
    ip link set "l${n}a" netns "${pids[$((n - 2))]}"
    in_ns "${pids[$((n - 2))]}" ip addr add "198.18.$n.1/24" dev "l${n}a"
    in_ns "${pids[$((n - 2))]}" ip link set "l${n}a" up
  fi
  in_ns "$right" ip addr add "198.18.$n.2/24" dev "l${n}b"
  in_ns "$right" ip link set "l${n}b" up
  in_ns "$right" ip link set lo up
done
ip route add default via 198.18.1.2
for k in $(seq 1 $ROUTERS); do
  pid=${pids[$((k - 1))]}
  in_ns "$pid" sh -c "echo 1 >/proc/sys/net/ipv4/ip_forward; echo 0 >/proc/sys/net/ipv4/icmp_ratelimit;
    echo 1000000 >/proc/sys/net/ipv4/icmp_msgs_per_sec; echo 1000000 >/proc/sys/net/ipv4/icmp_msgs_burst"
  ((k < ROUTERS)) && in_ns "$pid" ip route add default via "198.18.$((k + 1)).2"
  for j in $(seq 1 $((k - 1))); do in_ns "$pid" ip route add "198.18.$j.0/24" via "198.18.$k.1"; done
done
server=${pids[$ROUTERS]}
in_ns "$server" ip route add default via "198.18.$((ROUTERS + 1)).1"
TARGET=198.18.$((ROUTERS + 1)).2
ping -c 1 -W 2 "$TARGET" >/dev/null || { echo "bench: the chain does not route" >&2; exit 1; }

# name → command (three ICMP probes per hop, no DNS)
names=("netwalk" "traceroute -I" "mtr -r -c 3" "trippy -C 3")
cmd() {
  case $1 in
    0) "$NETWALK" traceroute --icmp -n -q 3 "$TARGET" ;;
    1) traceroute -I -n -q 3 "$TARGET" ;;
    2) mtr -n -r -c 3 "$TARGET" ;;
    3) trip -p icmp -m pretty -C 3 "$TARGET" ;;
  esac
}
# The hops each tool must list: the run does not count if they are wrong.
check() {
  local out=$1 case=$2
  for k in $(seq 1 $ROUTERS); do
    [[ $case == B && $k == 5 ]] && continue
    grep -q "198\.18\.$k\.2\b" <<<"$out" || return 1
  done
  grep -q "$TARGET" <<<"$out"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A result
for case in A B; do
  if [[ $case == B ]]; then
    in_ns "${pids[4]}" nft -f - <<'NFT'
table inet bench {
  chain silence {
    type filter hook output priority 0;
    icmp type time-exceeded drop
  }
}
NFT
  fi
  declare -A times=()
  for n in $(seq 1 "$RUNS"); do
    for i in "${!names[@]}"; do
      ((i < 2 || n <= SLOW_RUNS)) || continue
      # $EPOCHREALTIME (µs) instead of date(1): forking date after each run
      # added a millisecond to every time measured.
      start=${EPOCHREALTIME/./}
      out=$(cmd "$i" 2>&1) || true
      end=${EPOCHREALTIME/./}
      if ! check "$out" "$case"; then
        echo "bench: ${names[$i]} (case $case) did not list the chain:" >&2
        echo "$out" >&2
        exit 1
      fi
      times[$i]+="$((end - start)) "
    done
  done
  for i in "${!names[@]}"; do
    result[$case,$i]=$(tr ' ' '\n' <<<"${times[$i]}" | grep . | median)
  done
done

ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "traceroute benchmark: $ROUTERS routers, 3 ICMP probes per hop, median of $RUNS runs ($SLOW_RUNS for mtr and trippy; wall time, ms)"
printf "%-16s %12s %10s %12s %10s\n" tool "A all answer" "A vs tr" "B 1 silent" "B vs tr"
for i in "${!names[@]}"; do
  a=${result[A,$i]} b=${result[B,$i]}
  printf "%-16s %12s %9sx %12s %9sx\n" "${names[$i]}" "$(ms "$a")" "$(ratio "$a" "${result[A,1]}")" \
    "$(ms "$b")" "$(ratio "$b" "${result[B,1]}")"
done
verdict() { awk -v n="$1" -v t="$2" 'BEGIN { print (n <= t) ? "met" : "MISSED" }'; }
echo "target A (netwalk <= 1.0x traceroute -I): $(verdict "${result[A,0]}" "${result[A,1]}")"
echo "target B (netwalk <= 1.0x traceroute -I): $(verdict "${result[B,0]}" "${result[B,1]}")"
