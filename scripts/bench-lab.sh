#!/usr/bin/env bash
# Benchmark `netwalk lab`: total wall time of one run (build the mini-internet,
# take the DHCP lease, walk http://www.example.test/ with explain, tear down)
# and explain's own overhead over the sum of its timed steps, over RUNS runs.
# Everything happens inside the lab's rootless namespaces (198.18.0.0/15 only).
#
# Usage: scripts/bench-lab.sh
# Environment: NETWALK (binary; default: this checkout's release build, built if stale), RUNS (default 20).
# Prerequisites: python3, iproute2, unprivileged user namespaces.
# Exit status: 0 both targets met (total <= 2 s, overhead <= 10 ms), 1 a target missed, 2 a setup problem.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lab.sh
. "$repo/scripts/lab.sh"
netwalk=$(netwalk_release "$repo")
runs=${RUNS:-20}
command -v python3 >/dev/null || { echo "bench-lab: needs python3 (apt-get install python3)" >&2; exit 2; }
[[ -x "$netwalk" ]] || { echo "bench-lab: the release build failed: no netwalk binary (or set NETWALK)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq "$runs"); do
    start=$(date +%s%N)
    "$netwalk" --json lab >"$work/$i.json" 2>"$work/$i.err" || { cat "$work/$i.err" >&2; exit 2; }
    end=$(date +%s%N)
    echo $(( (end - start) / 1000 )) >"$work/$i.wall"
done
python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
wall = [int(open(f"{work}/{i}.wall").read()) / 1000 for i in range(1, runs + 1)]
reports = [json.load(open(f"{work}/{i}.json")) for i in range(1, runs + 1)]
over = [r["overhead_ms"] for r in reports]
walk = [r["total_ms"] for r in reports] if "total_ms" in reports[0] else None
print(f"netwalk lab, {runs} runs (ms)      median      min      max   target")
ok = True
def row(name, xs, target):
    global ok
    med = statistics.median(xs)
    verdict = "" if target is None else ("met" if med <= target else "MISSED")
    if target is not None and med > target: ok = False
    t = "" if target is None else f"<= {target:g}"
    print(f"{name:32} {med:9.2f} {min(xs):8.2f} {max(xs):8.2f}   {t} {verdict}")
row("total wall (build, walk, down)", wall, 2000)
if walk: row("explain walk (its own total)", walk, None)
row("explain overhead", over, 10)
sys.exit(0 if ok else 1)
PY
