#!/usr/bin/env bash
# Benchmark `netwalk tls-inspect` side by side with its peer tools, in one run:
#   a single inspection   vs  openssl s_client -connect … </dev/null   (target: ≤ 1.0×)
#   --enumerate           vs  sslscan                                  (target: ≤ 0.2×, i.e. ≥ 5× faster, same findings:
#                                                                       version+suite pairs, TLS_FALLBACK_SCSV)
# against one `openssl s_server` (TLS 1.2 + 1.3, a P-256 chain from a lab root).
#
# Runs in a rootless lab the script builds itself: `unshare -Urn` gives a user +
# network namespace holding only lo, with 198.18.0.2 added to it, so
# no packet can leave the machine. Works as root and as an ordinary user.
#
# Prerequisites (Debian): apt-get install openssl sslscan util-linux iproute2
# Usage: scripts/bench-tls.sh   Environment: NETWALK (binary; default: this checkout's release build, built if stale),
#        RUNS (inspections per tool, default 30), ENUM_RUNS (default 5).
# Exit status: 0 both targets met, 1 a target missed or the findings differ, 2 setup failed.
set -euo pipefail
export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"
die() { echo "bench-tls: $*" >&2; exit 2; }

if [[ "${1:-}" != --in-lab ]]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    LAB_NAME=bench-tls
    # shellcheck source=scripts/lab.sh
    . "$repo/scripts/lab.sh"
    netwalk=$(netwalk_release "$repo")
    for need in unshare:util-linux ip:iproute2 openssl:openssl sslscan:sslscan; do
        command -v "${need%%:*}" >/dev/null || die "${need%%:*} is missing: apt-get install ${need#*:}"
    done
    [[ -x "$netwalk" ]] || die "the release build failed: no netwalk binary (or set NETWALK)"
    work=$(mktemp -d "${TMPDIR:-/tmp}/bench-tls.XXXXXX")
    rc=0
    unshare -Urn --fork --kill-child bash "$0" --in-lab "$work" "$(cd "$(dirname "$netwalk")" && pwd)/$(basename "$netwalk")" || rc=$?
    rm -rf "$work"
    exit "$rc"
fi

work=$2 netwalk=$3 runs=${RUNS:-30} enum_runs=${ENUM_RUNS:-5}
ip=198.18.0.2 port=4433
cd "$work"
ip link set lo up
ip addr add "$ip/32" dev lo

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem -days 30 \
    -subj '/CN=Bench Root' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj '/CN=web.test' 2>/dev/null
printf 'subjectAltName=DNS:web.test\nextendedKeyUsage=serverAuth\n' > san.ext
openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial -days 20 -extfile san.ext -out leaf.pem 2>/dev/null

openssl s_server -accept "$ip:$port" -cert leaf.pem -key leaf.key -quiet -naccept 100000 </dev/null >server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 500); do (exec 3<>"/dev/tcp/$ip/$port") 2>/dev/null && break; sleep 0.01; done

# Wall time of one command in milliseconds (EPOCHREALTIME: microseconds).
time_ms() {
    local t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 </dev/null || true
    local t1=$EPOCHREALTIME
    echo $(( (${t1/./} - ${t0/./}) ))
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m/1000}'; }

series() { local n=$1; shift; for _ in $(seq "$n"); do time_ms "$@"; done | median; }

nw_one=$(series "$runs" "$netwalk" tls-inspect --roots mozilla --ca-file root.pem --servername web.test "$ip:$port")
os_one=$(series "$runs" openssl s_client -connect "$ip:$port" -servername web.test)
nw_enum=$(series "$enum_runs" "$netwalk" tls-inspect --roots mozilla --ca-file root.pem --servername web.test --enumerate "$ip:$port")
# sslscan with the checks netwalk also makes (Heartbleed is an exploit probe: netwalk only sees the extension).
ss_enum=$(series "$enum_runs" sslscan --no-colour --no-heartbleed "$ip:$port")

# Same findings: the accepted (version, suite) pairs from both tools.
"$netwalk" --json tls-inspect --roots mozilla --ca-file root.pem --servername web.test --enumerate "$ip:$port" >nw.json || true
python3 - nw.json >nw.txt <<'PY' 2>/dev/null || grep -o '"name": *"[^"]*"' nw.json | sed 's/.*"\([^"]*\)"$/\1/' | sort >nw.txt
import json, sys
doc = json.load(open(sys.argv[1]))
for v in doc["addresses"][0]["enumeration"]["versions"]:
    for s in v["suites"]:
        print(v["version"], s["name"])
PY
sslscan --no-colour --show-cipher-ids --no-heartbleed "$ip:$port" >ss.out 2>&1 || true
nw_count=$(wc -l <nw.txt)
ss_count=$(grep -cE '^(Preferred|Accepted) ' ss.out || true)
# The vulnerability checks, as yes/no from each tool.
nw_checks=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["addresses"][0]["enumeration"]["checks"]
yn = lambda v: "yes" if v else "no"
print("fallback=" + yn(c["fallback_scsv"]))
' nw.json 2>/dev/null || echo "unreadable")
# Only TLS_FALLBACK_SCSV means the same to both: sslscan's renegotiation line
# tests whether the server renegotiates at all (not RFC 5746 support), and
# Debian's sslscan is built without zlib, so it cannot test compression.
ss_fallback=$(grep -q "Server supports TLS Fallback SCSV" ss.out && echo yes || echo no)
ss_checks="fallback=$ss_fallback"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
verdict() { awk -v r="$1" -v t="${2:-1.0}" 'BEGIN {print (r <= t) ? "met" : "MISSED"}'; }
r1=$(ratio "$nw_one" "$os_one"); r2=$(ratio "$nw_enum" "$ss_enum")
same=$([[ "$nw_count" -eq "$ss_count" ]] && echo same || echo DIFFERENT)
same_checks=$([[ "$nw_checks" == "$ss_checks" ]] && echo same || echo DIFFERENT)
printf '%-34s %12s %12s %7s  %s\n' "measure (median ms)" netwalk peer ratio target
printf '%-34s %12s %12s %7s  %s\n' "single inspection vs s_client" "$nw_one" "$os_one" "$r1" "≤1.0× $(verdict "$r1")"
printf '%-34s %12s %12s %7s  %s\n' "--enumerate vs sslscan" "$nw_enum" "$ss_enum" "$r2" "≤0.2× $(verdict "$r2" 0.2)"
printf '%-34s %12s %12s %7s  %s\n' "accepted version+suite pairs" "$nw_count" "$ss_count" "" "$same"
printf '%-34s %s | %s  %s\n' "checks (netwalk | sslscan)" "$nw_checks" "$ss_checks" "$same_checks"
[[ "$(verdict "$r1")" == met && "$(verdict "$r2" 0.2)" == met && "$same" == same && "$same_checks" == same ]]
