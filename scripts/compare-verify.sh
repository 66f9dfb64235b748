#!/usr/bin/env bash
# Compares netwalk tls-inspect's trust verdicts with `openssl verify` on
# limbo-style chain cases (examples/limbo_cases.rs: each a leaf, the chain a
# server sends, the trusted roots, a name, the expected verdict). Each case is
# served by `openssl s_server` and inspected by netwalk; openssl verify judges
# the same files (-purpose sslserver -verify_hostname). Prints one row per
# case, the agreement of each tool with the expected verdict and with each
# other, and every disagreement with its explanation.
#
# Runs in a rootless lab (`unshare -Urn`, 198.18.0.2 on lo only).
# Prerequisites (Debian): openssl util-linux iproute2; a Rust toolchain.
# Usage: scripts/compare-verify.sh   Environment: NETWALK (binary; default: this checkout's debug build).
# Exit status: 0 netwalk matches every expected verdict, 1 it does not, 2 setup failed.
set -euo pipefail
export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"
die() { echo "compare-verify: $*" >&2; exit 2; }

if [[ "${1:-}" != --in-lab ]]; then
    repo=$(cd "$(dirname "$0")/.." && pwd)
    for need in unshare:util-linux ip:iproute2 openssl:openssl; do
        command -v "${need%%:*}" >/dev/null || die "${need%%:*} is missing: apt-get install ${need#*:}"
    done
    netwalk=${NETWALK:-}
    if [[ -z "$netwalk" ]]; then
        (cd "$repo" && cargo build --quiet) || die "the build failed"
        netwalk="$repo/target/debug/netwalk"
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/compare-verify.XXXXXX")
    (cd "$repo" && cargo run --quiet --example limbo_cases -- "$work/cases") || die "writing the cases failed"
    rc=0
    unshare -Urn --fork --kill-child bash "$0" --in-lab "$work" "$netwalk" || rc=$?
    rm -rf "$work"
    exit "$rc"
fi

work=$2 netwalk=$3 ip=198.18.0.2
cd "$work"
ip link set lo up
ip addr add "$ip/32" dev lo
echo "$ip web.test my_host.test a.web.test" >hosts

port=5000
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
declare -A ports
for d in cases/*/; do
    id=$(basename "$d")
    port=$((port + 1))
    ports[$id]=$port
    chain=()
    [[ -s "$d/chain.pem" ]] && chain=(-cert_chain "$d/chain.pem")
    openssl s_server -accept "$ip:$port" -cert "$d/leaf.pem" -key "$d/key.pem" "${chain[@]}" -quiet -naccept 100 \
        </dev/null >"$d/server.log" 2>&1 &
    pids+=($!)
done
for id in "${!ports[@]}"; do
    for _ in $(seq 300); do (exec 3<>"/dev/tcp/$ip/${ports[$id]}") 2>/dev/null && break; sleep 0.01; done
done

agree_expected=0 agree_openssl=0 openssl_expected=0 total=0
explained=()
printf '%-28s %-18s %-18s %-40s\n' case expected netwalk "openssl verify"
for d in cases/*/; do
    id=$(basename "$d")
    name=$(cat "$d/name") expect=$(cat "$d/expect") note=$(cat "$d/note")
    ours=$({ "$netwalk" --json tls-inspect --roots mozilla --ca-file "$d/roots.pem" --servername "$name" \
        "$ip:${ports[$id]}" 2>/dev/null || true; } | python3 -c 'import json,sys; print(json.load(sys.stdin)["addresses"][0]["verdict"]["status"])' 2>/dev/null || echo error)
    untrusted=()
    [[ -s "$d/chain.pem" ]] && untrusted=(-untrusted "$d/chain.pem")
    theirs=$(openssl verify -CAfile "$d/roots.pem" "${untrusted[@]}" -purpose sslserver -verify_hostname "$name" "$d/leaf.pem" 2>&1 |
        grep -oE 'OK$|error [0-9]+ at [0-9]+ depth lookup: .*' | head -1 || true)
    [[ -z "$theirs" ]] && theirs="(no verdict)"
    total=$((total + 1))
    ours_ok=$([[ "$ours" == trusted ]] && echo 1 || echo 0)
    theirs_ok=$([[ "$theirs" == OK ]] && echo 1 || echo 0)
    want_ok=$([[ "$expect" == trusted ]] && echo 1 || echo 0)
    [[ "$ours" == "$expect" ]] && agree_expected=$((agree_expected + 1))
    [[ "$theirs_ok" == "$want_ok" ]] && openssl_expected=$((openssl_expected + 1))
    if [[ "$ours_ok" == "$theirs_ok" ]]; then
        agree_openssl=$((agree_openssl + 1))
    else
        explained+=("$id: netwalk $ours, openssl ${theirs}: ${note:-UNEXPLAINED}")
    fi
    printf '%-28s %-18s %-18s %-40s\n' "$id" "$expect" "$ours" "${theirs:0:40}"
done
echo
echo "netwalk matches the expected verdict: $agree_expected/$total"
echo "openssl verify matches the expected trust: $openssl_expected/$total"
echo "netwalk and openssl agree on trust: $agree_openssl/$total"
for e in "${explained[@]}"; do echo "  disagreement: $e"; done
[[ "$agree_expected" -eq "$total" ]]
