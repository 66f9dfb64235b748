#!/usr/bin/env python3
"""Rebuild netwalk's embedded Chromium HSTS preload snapshot (data/hsts-preload/).

The documented way, from Chromium's own list (net/http/transport_security_state_static.json
in a Chromium checkout; `//` comment lines are stripped before JSON parsing):

    scripts/update-hsts-preload.py --json transport_security_state_static.json --date 2025-06-01

The offline way used for the committed snapshot, from the PyPI package `hstspreload`
(a wheel downloaded with `pip download --no-deps hstspreload==2025.1.1`), whose
hstspreload.bin holds the same force-https entries of the Chromium list:

    scripts/update-hsts-preload.py --pypi-wheel hstspreload-2025.1.1-py3-none-any.whl

Output (both ways): data/hsts-preload/list.txt, one entry per line, sorted by name
(byte order), `NAME` when include_subdomains is set and `NAME:exact` when it is not;
data/hsts-preload/source.txt records where the list came from and its date.
Only force-https entries are kept; names are lower-cased and IDNA (A-label) normalised.
Nothing is fetched from the network.
"""

import argparse
import datetime
import importlib
import json
import os
import re
import sys
import zipfile

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "hsts-preload")
NAME_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*$")


def normalise(name):
    name = name.strip().rstrip(".")
    if not name.isascii():
        name = name.encode("idna").decode("ascii")
    name = name.lower()
    if not NAME_RE.match(name) or len(name) > 253:
        raise ValueError("not a DNS name: %r" % name)
    return name


def from_json(path):
    with open(path, encoding="utf-8") as f:
        text = "\n".join(line for line in f if not line.lstrip().startswith("//"))
    entries = {}
    for entry in json.loads(text)["entries"]:
        if entry.get("mode") != "force-https":
            continue  # pinning-only and expect-ct entries do not force HTTPS
        name = normalise(entry["name"])
        entries[name] = entries.get(name, False) or bool(entry.get("include_subdomains", False))
    return entries


def from_pypi_wheel(path):
    """Walks every jump-table range of hstspreload.bin and keeps the leaves (full names)."""
    with zipfile.ZipFile(path) as wheel:
        blob = wheel.read("hstspreload/hstspreload.bin")
    sys.path.insert(0, path)  # zipimport: read the jump table and the gTLD set from the module
    module = importlib.import_module("hstspreload")
    entries = {}
    for layer in module._JUMPTABLE:
        for jump in layer:
            if jump is None:
                continue
            start, length = jump
            for is_leaf, include_subdomains, label in module._iter_entries(blob[start : start + length]):
                if is_leaf:
                    name = normalise(label.decode("ascii"))
                    entries[name] = entries.get(name, False) or bool(include_subdomains)
    for tld in module._GTLD_INCLUDE_SUBDOMAINS:  # the package answers these without the .bin
        entries[normalise(tld.decode("ascii"))] = True
    return entries, module.__version__


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--json", help="Chromium's transport_security_state_static.json")
    source.add_argument("--pypi-wheel", help="a wheel of the PyPI package hstspreload")
    parser.add_argument("--date", help="the list's date (YYYY-MM-DD); --json needs it")
    parser.add_argument("--out", default=OUT_DIR, help="output directory (default: data/hsts-preload)")
    args = parser.parse_args()

    if args.json:
        if not args.date:
            parser.error("--json needs --date: the day the Chromium list was taken")
        entries = from_json(args.json)
        source = "Chromium transport_security_state_static.json"
        date = datetime.date.fromisoformat(args.date).isoformat()
    else:
        entries, version = from_pypi_wheel(args.pypi_wheel)
        source = "Chromium list via PyPI hstspreload %s" % version
        year, month, day = (int(part) for part in version.split(".")[:3])
        date = args.date or datetime.date(year, month, day).isoformat()  # the package is versioned by build day

    os.makedirs(args.out, exist_ok=True)
    names = sorted(entries, key=lambda n: n.encode("ascii"))
    with open(os.path.join(args.out, "list.txt"), "w", encoding="ascii", newline="\n") as f:
        for name in names:
            f.write(name if entries[name] else name + ":exact")
            f.write("\n")
    with open(os.path.join(args.out, "source.txt"), "w", encoding="ascii", newline="\n") as f:
        f.write("source=%s\ndate=%s\nentries=%d\n" % (source, date, len(names)))
    print("%d force-https entries (%d without include_subdomains) from %s, dated %s"
          % (len(names), sum(1 for n in names if not entries[n]), source, date))


if __name__ == "__main__":
    main()
