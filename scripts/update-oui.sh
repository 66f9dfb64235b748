#!/usr/bin/env bash
# Regenerates data/oui.tsv, the vendor table `netwalk arp` embeds, from the
# IEEE registries Debian's ieee-data package ships (no network needed):
# MA-L (oui.txt, 24-bit prefixes), MA-M (mam.txt, 28-bit), MA-S (oui36.txt,
# 36-bit) and the older IAB (iab.txt, 36-bit). Blocks of MA-M/MA-S/IAB sit in
# MA-L prefixes registered to the IEEE itself, so lookups take the longest match.
#
#   scripts/update-oui.sh [DIR]            write data/oui.tsv from DIR (default /usr/share/ieee-data)
#   scripts/update-oui.sh --check [DIR]    exit 1 unless data/oui.tsv is what DIR gives (a test runs this)
#   scripts/update-oui.sh --install        install the ieee-data version data/oui.tsv names (CI; needs root)
#
# Output: a header line naming the registries' date and the ieee-data
# version, then "PREFIX<TAB>Vendor" with PREFIX 6, 7 or 9 upper-case hex
# digits, sorted, one line per prefix.
set -euo pipefail
cd "$(dirname "$0")/.."

# The version data/oui.tsv was made from: Debian 13 (trixie) ships it; bookworm's is from 2022
# and lacks newer prefixes (D8:3A:DD, Raspberry Pi 5).
suite=trixie

pinned() { sed -n '1s/.*(ieee-data \([^)]*\)).*/\1/p' data/oui.tsv; }

if [[ ${1:-} == --install ]]; then
  want=$(pinned)
  have=$(dpkg-query -W -f='${Version}' ieee-data 2>/dev/null || true)
  if [[ $have == "$want" ]]; then
    echo "update-oui: ieee-data $want is installed"
    exit 0
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
  echo "deb http://deb.debian.org/debian $suite main" >"$tmp/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=$tmp/sources.list" -o Dir::Etc::sourceparts=/nonexistent
    -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$tmp" && apt-get "${apt_opts[@]}" download -qq "ieee-data=$want")
  dpkg -i "$tmp"/ieee-data_*.deb >/dev/null
  echo "update-oui: installed ieee-data $want from Debian $suite"
  exit 0
fi

check=false
if [[ ${1:-} == --check ]]; then
  check=true
  shift
fi
src=${1:-/usr/share/ieee-data}
for f in oui.txt mam.txt oui36.txt iab.txt; do
  [[ -r $src/$f ]] || { echo "update-oui: $src/$f not found (scripts/update-oui.sh --install, or apt-get install ieee-data)" >&2; exit 2; }
done
if [[ -r $src/.lastupdate ]]; then
  date=$(date -u -d "@$(tr -dc 0-9 <"$src/.lastupdate")" +%F)
else
  date=$(date -u -r "$src/oui.txt" +%F)
fi
version=$(dpkg-query -W -f='${Version}' ieee-data 2>/dev/null || echo unknown)
[[ $src == /usr/share/ieee-data ]] || version="$version, from $src"

# Each entry is a "(hex)" line (the 24-bit OUI) followed by a "(base 16)"
# line: the OUI again (MA-L) or the block's range within it (MA-M/-S, IAB),
# whose shared leading digits extend the prefix.
rows=$(
  for f in oui.txt mam.txt oui36.txt iab.txt; do cat "$src/$f"; done | LC_ALL=C awk '
    { sub(/\r$/, "") }
    /\(hex\)/ { split($0, a, /\(hex\)/); oui = a[1]; gsub(/[- \t]/, "", oui); next }
    /\(base 16\)/ {
      split($0, a, /\(base 16\)/); range = a[1]; name = a[2]
      gsub(/[ \t]/, "", range); gsub(/[ \t]+/, " ", name); gsub(/^ | $/, "", name)
      if (range ~ /-/) {
        s = substr(range, 1, 6); e = substr(range, 8, 6); n = 0
        while (n < 6 && substr(s, n + 1, 1) == substr(e, n + 1, 1)) n++
        prefix = oui substr(s, 1, n)
      } else prefix = range
      if (name != "" && prefix ~ /^[0-9A-Fa-f]+$/) print toupper(prefix) "\t" name
    }' | LC_ALL=C sort -t "$(printf '\t')" -k1,1 -u
)
count=$(printf '%s\n' "$rows" | wc -l)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  echo "# IEEE MA-L, MA-M, MA-S and IAB registries $date (ieee-data $version), $count prefixes, by scripts/update-oui.sh"
  printf '%s\n' "$rows"
} >"$out"
iconv -f UTF-8 -t UTF-8 "$out" >/dev/null || { echo "update-oui: the registries are not valid UTF-8" >&2; exit 1; }

if $check; then
  if cmp -s "$out" data/oui.tsv; then
    echo "update-oui: data/oui.tsv is current ($count prefixes, registries of $date)"
    exit 0
  fi
  echo "update-oui: data/oui.tsv is not what $src gives; run scripts/update-oui.sh" >&2
  diff "$out" data/oui.tsv | head -5 >&2 || true
  exit 1
fi
cp "$out" data/oui.tsv
echo "update-oui: $count prefixes, registries of $date"
