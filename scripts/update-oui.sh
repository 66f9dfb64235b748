#!/usr/bin/env bash
# Regenerates data/oui.tsv, the vendor table `netwalk arp` embeds, from the
# IEEE MA-L registry that Debian's ieee-data package ships (no network needed):
#   apt-get install ieee-data && scripts/update-oui.sh [path/to/oui.csv]
# Output: a header line with the registry's date, then "PREFIX<TAB>Vendor"
# sorted by the 24-bit prefix (upper-case hex), so lookups can binary-search.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-/usr/share/ieee-data/oui.csv}
[[ -r $src ]] || { echo "update-oui: $src not found (apt-get install ieee-data)" >&2; exit 2; }
stamp=$(dirname "$src")/.lastupdate
if [[ -r $stamp ]]; then
  date=$(date -u -d "@$(cat "$stamp")" +%F)
else
  date=$(date -u -r "$src" +%F)
fi
python3 - "$src" "$date" >data/oui.tsv.new <<'PY'
import csv, sys
src, date = sys.argv[1], sys.argv[2]
rows = {}
with open(src, newline="", encoding="utf-8", errors="replace") as f:
    for rec in csv.DictReader(f):
        prefix = rec["Assignment"].strip().upper()
        name = " ".join(rec["Organization Name"].split())
        if rec["Registry"] == "MA-L" and len(prefix) == 6 and name:
            rows[prefix] = name.replace("\t", " ")
print(f"# IEEE MA-L registry {date}, {len(rows)} prefixes, from {src} by scripts/update-oui.sh")
for prefix in sorted(rows):
    print(f"{prefix}\t{rows[prefix]}")
PY
mv data/oui.tsv.new data/oui.tsv
echo "update-oui: $(($(wc -l <data/oui.tsv) - 1)) prefixes, registry of $date"
