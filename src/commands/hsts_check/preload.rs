//! Chromium's HSTS preload list, offline: an embedded snapshot or a current
//! `transport_security_state_static.json`.
//!
//! The embedded form (data/hsts-preload/list.txt, rebuilt by
//! scripts/update-hsts-preload.py) is one force-https entry per line, sorted by
//! name: `NAME` when include_subdomains is set (nearly all of them), `NAME:exact`
//! when not. Lookups binary-search the bytes where they lie, so loading costs
//! nothing and one lookup touches about 2 × log2(160 000) ≈ 35 lines.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::path::Path;

const EMBEDDED: &str = include_str!("../../../data/hsts-preload/list.txt");
const EMBEDDED_SOURCE: &str = include_str!("../../../data/hsts-preload/source.txt");
const EXACT: &str = ":exact";
/// Chromium's JSON is about 15 MB; anything far larger is not that file.
const MAX_JSON_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct ListInfo {
    /// Where the entries came from.
    pub source: String,
    /// The day the list was taken (the file's modification day for --preload-list).
    pub date: String,
    pub entries: usize,
}

pub struct PreloadList {
    /// Sorted lines in the embedded form.
    text: Cow<'static, str>,
    pub info: ListInfo,
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub name: String,
    pub include_subdomains: bool,
}

/// The answer Chrome's net-internals "Query HSTS domain" gives, offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lookup {
    pub domain: String,
    pub preloaded: bool,
    /// The entry that forces HTTPS for the domain: itself, or the nearest
    /// ancestor with include_subdomains.
    pub entry: Option<Entry>,
    /// Whether `entry` is the domain itself or an ancestor.
    pub via_ancestor: bool,
    /// Ancestors listed without include_subdomains: they do not cover the domain.
    pub ancestors_not_covering: Vec<String>,
}

fn split_line(line: &str) -> (&str, bool) {
    match line.strip_suffix(EXACT) {
        Some(name) => (name, false),
        None => (line, true),
    }
}

impl PreloadList {
    pub fn embedded() -> PreloadList {
        let field = |key: &str| {
            EMBEDDED_SOURCE
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .unwrap_or("unknown")
                .to_string()
        };
        PreloadList {
            text: Cow::Borrowed(EMBEDDED),
            info: ListInfo {
                source: field("source"),
                date: field("date"),
                entries: field("entries").parse().unwrap_or(0),
            },
        }
    }

    /// Reads Chromium's `transport_security_state_static.json` (with its `//` comment lines).
    pub fn from_json_file(path: &Path) -> Result<PreloadList, Error> {
        let shown = path.display();
        let bad = |why: String| {
            Error::usage_with_hint(
                format!("preload list {shown}: {why}"),
                "give Chromium's net/http/transport_security_state_static.json",
            )
        };
        let text = crate::input::read_text_capped("--preload-list", path, MAX_JSON_BYTES)?;
        let date = std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .ok()
            .map(|t| humantime::format_rfc3339_seconds(t).to_string()[..10].to_string())
            .unwrap_or_else(|| "unknown".into());
        let mut list = parse_json(&text).map_err(bad)?;
        list.info = ListInfo { source: format!("{shown}"), date, entries: list.info.entries };
        Ok(list)
    }

    /// The entry for exactly this (lower-case A-label) name.
    pub fn find(&self, name: &str) -> Option<Entry> {
        let bytes = self.text.as_bytes();
        let (mut lo, mut hi) = (0usize, bytes.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let start = bytes[lo..mid].iter().rposition(|&b| b == b'\n').map_or(lo, |i| lo + i + 1);
            let end = bytes[start..hi].iter().position(|&b| b == b'\n').map_or(hi, |i| start + i);
            let (entry, include_subdomains) = split_line(&self.text[start..end]);
            match entry.as_bytes().cmp(name.as_bytes()) {
                Ordering::Equal => return Some(Entry { name: entry.to_string(), include_subdomains }),
                Ordering::Less => lo = end + 1,
                Ordering::Greater => hi = start,
            }
        }
        None
    }

    /// Chromium's rule: the most specific entry that is the name itself or an
    /// ancestor with include_subdomains decides.
    pub fn lookup(&self, domain: &str) -> Lookup {
        let mut result = Lookup {
            domain: domain.to_string(),
            preloaded: false,
            entry: None,
            via_ancestor: false,
            ancestors_not_covering: Vec::new(),
        };
        let mut name = domain;
        let mut ancestor = false;
        loop {
            if let Some(entry) = self.find(name) {
                if !ancestor || entry.include_subdomains {
                    result.preloaded = true;
                    result.via_ancestor = ancestor;
                    result.entry = Some(entry);
                    return result;
                }
                result.ancestors_not_covering.push(entry.name);
            }
            match name.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => {
                    name = parent;
                    ancestor = true;
                }
                _ => return result,
            }
        }
    }
}

#[derive(Deserialize)]
struct JsonList {
    entries: Vec<JsonEntry>,
}

#[derive(Deserialize)]
struct JsonEntry {
    name: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    include_subdomains: bool,
}

/// Lower-case A-label form, as the list and the lookups use it.
pub fn normalise(name: &str) -> Option<String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let ascii = idna::domain_to_ascii(trimmed).ok()?.to_ascii_lowercase();
    let valid = !ascii.is_empty()
        && ascii.len() <= 253
        && ascii.split('.').all(|l| !l.is_empty() && l.len() <= 63)
        && ascii.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    valid.then_some(ascii)
}

fn parse_json(text: &str) -> Result<PreloadList, String> {
    let stripped: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).flat_map(|l| [l, "\n"]).collect();
    let list: JsonList = serde_json::from_str(&stripped).map_err(|e| format!("not the preload list JSON ({e})"))?;
    let mut entries: Vec<(String, bool)> = Vec::with_capacity(list.entries.len());
    for (index, entry) in list.entries.into_iter().enumerate() {
        if entry.mode.as_deref() != Some("force-https") {
            continue;
        }
        let name =
            normalise(&entry.name).ok_or_else(|| format!("entry {index} name {:?} is not a DNS name", entry.name))?;
        entries.push((name, entry.include_subdomains));
    }
    entries.sort();
    // A name listed twice keeps include_subdomains if either entry has it (the later sorts last).
    entries.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 |= later.1;
        }
        same
    });
    let mut blob = String::with_capacity(entries.iter().map(|(n, _)| n.len() + 8).sum());
    for (name, include_subdomains) in &entries {
        blob.push_str(name);
        if !include_subdomains {
            blob.push_str(EXACT);
        }
        blob.push('\n');
    }
    Ok(PreloadList {
        text: Cow::Owned(blob),
        info: ListInfo { source: String::new(), date: String::new(), entries: entries.len() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"// Copyright line
// more comments
{
  "entries": [
    // a comment inside
    { "name": "Example.TEST", "policy": "custom", "mode": "force-https", "include_subdomains": true },
    { "name": "exact.test", "policy": "custom", "mode": "force-https" },
    { "name": "sub.exact.test", "policy": "custom", "mode": "force-https", "include_subdomains": true },
    { "name": "pinned.test", "policy": "custom", "include_subdomains_for_pinning": true },
    { "name": "bücher.test", "policy": "custom", "mode": "force-https", "include_subdomains": true },
    { "name": "app", "policy": "custom", "mode": "force-https", "include_subdomains": true }
  ]
}"#;

    #[test]
    fn json_keeps_force_https_normalised() {
        let list = parse_json(SAMPLE).unwrap();
        assert_eq!(list.info.entries, 5);
        assert_eq!(&*list.text, "app\nexact.test:exact\nexample.test\nsub.exact.test\nxn--bcher-kva.test\n");
        assert_eq!(list.find("pinned.test"), None);
    }

    #[test]
    fn lookups_follow_chromium() {
        let list = parse_json(SAMPLE).unwrap();
        let l = list.lookup("example.test");
        assert!(l.preloaded && !l.via_ancestor);
        let l = list.lookup("deep.www.example.test");
        assert!(l.preloaded && l.via_ancestor);
        assert_eq!(l.entry.unwrap().name, "example.test");
        let l = list.lookup("exact.test");
        assert_eq!(l.entry, Some(Entry { name: "exact.test".into(), include_subdomains: false }));
        let l = list.lookup("www.exact.test");
        assert!(!l.preloaded);
        assert_eq!(l.ancestors_not_covering, ["exact.test"]);
        let l = list.lookup("a.sub.exact.test");
        assert_eq!(l.entry.unwrap().name, "sub.exact.test");
        assert!(!list.lookup("other.test").preloaded);
        assert!(list.lookup("xn--bcher-kva.test").preloaded);
        assert!(list.lookup("my.app").preloaded);
    }

    #[test]
    fn malformed_json_is_refused() {
        for (text, needle) in [
            ("{", "not the preload list JSON"),
            ("[]", "not the preload list JSON"),
            (r#"{"entries": [{"mode": "force-https"}]}"#, "not the preload list JSON"),
            (r#"{"entries": [{"name": "bad name!", "mode": "force-https"}]}"#, "not a DNS name"),
            (r#"{"entries": [{"name": "", "mode": "force-https"}]}"#, "not a DNS name"),
        ] {
            let err = parse_json(text).err().unwrap();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn embedded_snapshot_is_sorted_and_searchable() {
        let list = PreloadList::embedded();
        assert!(list.info.entries > 100_000, "{:?}", list.info);
        assert!(list.info.source.contains("Chromium"));
        let mut previous = "";
        let mut count = 0;
        for line in EMBEDDED.lines() {
            let (name, _) = split_line(line);
            assert!(name > previous, "{previous} then {name}");
            assert_eq!(normalise(name).as_deref(), Some(name));
            // Every entry is found by the binary search.
            assert!(list.find(name).is_some(), "{name}");
            previous = name;
            count += 1;
        }
        assert_eq!(count, list.info.entries);
        // Long-standing entries of the list.
        assert!(list.lookup("accounts.google.com").preloaded);
        let l = list.lookup("anything.dev");
        assert_eq!(l.entry, Some(Entry { name: "dev".into(), include_subdomains: true }));
        assert!(!list.lookup("example.com").preloaded);
    }
}
