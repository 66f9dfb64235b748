//! hsts-check's offline modes through the real binary: `--header` parsing with
//! hstspreload's codes, preload-list lookups (embedded snapshot and a
//! `--preload-list` JSON written here), and bad input. Nothing is sent: these
//! modes (and input errors, found before any dial) never open a socket, so they
//! need no lab. The online checks are in tests/hsts_check.rs.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

fn netwalk(args: &[&str]) -> Output {
    Command::new(NETWALK).args(args).env("NO_COLOR", "1").output().expect("run netwalk")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

fn codes(v: &Value) -> Vec<String> {
    v["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect()
}

fn header(value: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["hsts-check", "--json", "--header", value];
    args.extend_from_slice(extra);
    let out = netwalk(&args);
    (code(&out), json(&out))
}

/// A Chromium-format list with comment lines, pinning-only and IDN entries.
fn list_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netwalk-hsts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        r#"// Copyright 2025 The Chromium Authors
// comment lines are not JSON
{
  "entries": [
    // force-https with include_subdomains
    { "name": "covered.test", "policy": "custom", "mode": "force-https", "include_subdomains": true },
    { "name": "only.test", "policy": "custom", "mode": "force-https" },
    { "name": "pinned.test", "policy": "custom", "pins": "x", "include_subdomains_for_pinning": true },
    { "name": "BÜCHER.test", "policy": "custom", "mode": "force-https", "include_subdomains": true }
  ]
}
"#,
    )
    .unwrap();
    path
}

#[test]
fn header_mode_gives_hstspreload_codes_and_exit_codes() {
    let (c, v) = header("max-age=31536000; includeSubDomains; preload", &[]);
    assert_eq!((c, codes(&v)), (0, vec![]));
    assert_eq!(v["verdict"], "preloadable");
    assert_eq!(v["header"]["rfc6797"]["honoured"], true);
    let (c, v) = header("max-age=600", &[]);
    assert_eq!(c, 1);
    assert_eq!(
        codes(&v),
        [
            "header.preloadable.include_sub_domains.missing",
            "header.preloadable.preload.missing",
            "header.preloadable.max_age.below_1_year"
        ]
    );
    // Quoted max-age: RFC 6797 accepts it, hstspreload does not; both are shown.
    let (c, v) = header("max-age=\"31536000\"; includeSubDomains; preload", &[]);
    assert_eq!(c, 1);
    assert_eq!(codes(&v), ["header.parse.max_age.non_digit_characters", "header.preloadable.max_age.missing"]);
    assert_eq!(v["header"]["rfc6797"]["honoured"], true);
    assert_eq!(v["header"]["rfc6797"]["max_age"], 31536000);
    // Removal: a header without preload and with a max-age passes.
    let (c, v) = header("max-age=0", &["--removable"]);
    assert_eq!((c, v["verdict"].as_str()), (0, Some("removable")));
    let (c, v) = header("max-age=0; preload", &["--removable"]);
    assert_eq!((c, codes(&v)), (1, vec!["header.removable.contains.preload".to_string()]));
}

#[test]
fn header_mode_human_output() {
    let out = netwalk(&["hsts-check", "--header", "max-age=31536000; includeSubDomains; preload; report-uri=x"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0, "{text}");
    assert!(
        text.contains("hstspreload reads: max-age 31536000 s (365 days), includeSubDomains yes, preload yes"),
        "{text}"
    );
    assert!(text.contains("header.parse.unknown_directive"), "{text}");
    assert!(text.contains("Verdict: preloadable (0 errors, 1 warnings)"), "{text}");
}

#[test]
fn pathological_header_from_the_command_line_is_bounded() {
    // 10 000 directives (about 120 kB, well under ARG_MAX) parsed and printed in bounded time.
    let many: String = (0..10_000).map(|i| format!("d{i}; ")).collect::<String>() + "max-age=31536000";
    let start = Instant::now();
    let (c, v) = header(&many, &[]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(c, 1);
    assert_eq!(v["issues"].as_array().unwrap().len(), 10_000 + 2);
    assert_eq!(v["header"]["rfc6797"]["unrecognised_count"], 10_000);
}

#[test]
fn lookups_in_a_chromium_json_list() {
    let path = list_file("lookups.json");
    let file = path.to_str().unwrap();
    let look = |domain: &str| {
        let out = netwalk(&["hsts-check", "--json", "--offline", "--preload-list", file, domain]);
        (code(&out), json(&out))
    };
    // Exact entry.
    let (c, v) = look("only.test");
    assert_eq!(c, 0);
    assert_eq!(v["preload"]["entry"]["name"], "only.test");
    assert_eq!(v["preload"]["via_ancestor"], false);
    assert_eq!(v["preload"]["list"]["entries"], 3);
    // Covered by an ancestor with include_subdomains.
    let (c, v) = look("a.b.covered.test");
    assert_eq!((c, v["preload"]["entry"]["name"].as_str()), (0, Some("covered.test")));
    assert_eq!(v["preload"]["via_ancestor"], true);
    // An ancestor without include_subdomains does not cover.
    let (c, v) = look("www.only.test");
    assert_eq!((c, v["preload"]["preloaded"].as_bool()), (1, Some(false)));
    assert_eq!(v["preload"]["ancestors_not_covering"], serde_json::json!(["only.test"]));
    // Not in the list; a pinning-only entry does not force HTTPS.
    assert_eq!(look("absent.test").0, 1);
    assert_eq!(look("pinned.test").0, 1);
    // IDN: typed in Unicode, upper case, listed in Unicode: both sides punycoded.
    let (c, v) = look("www.Bücher.test");
    assert_eq!(c, 0);
    assert_eq!(v["domain"]["ascii"], "www.xn--bcher-kva.test");
    assert_eq!(v["preload"]["entry"]["name"], "xn--bcher-kva.test");
    let (c, _) = look("xn--bcher-kva.test");
    assert_eq!(c, 0);
}

#[test]
fn lookups_in_the_embedded_snapshot() {
    let out = netwalk(&["hsts-check", "--json", "--offline", "mail.google.com"]);
    let v = json(&out);
    assert_eq!(code(&out), 0);
    assert_eq!(v["preload"]["list"]["source"], "Chromium list via PyPI hstspreload 2025.1.1");
    assert_eq!(v["preload"]["list"]["date"], "2025-01-01");
    // A whole TLD with include_subdomains.
    let out = netwalk(&["hsts-check", "--json", "--offline", "my-project.dev"]);
    assert_eq!(json(&out)["preload"]["entry"]["name"], "dev");
    let out = netwalk(&["hsts-check", "--offline", "example.com"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("not preloaded"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let missing = std::env::temp_dir().join("netwalk-no-such-list.json");
    let garbage = list_file("garbage.json");
    std::fs::write(&garbage, "{\"entries\": [ {\"name\": 5} ]").unwrap();
    let badname = list_file("badname.json");
    std::fs::write(&badname, r#"{"entries": [{"name": "bad name!", "mode": "force-https"}]}"#).unwrap();
    for (args, needle) in [
        (vec!["hsts-check", "198.18.0.1"], "is an IP address"),
        (vec!["hsts-check", "2001:db8::1"], "is an IP address"),
        (vec!["hsts-check", ""], "empty domain"),
        (vec!["hsts-check", "--preload-list", missing.to_str().unwrap(), "a.test"], "cannot read --preload-list"),
        (vec!["hsts-check", "--preload-list", garbage.to_str().unwrap(), "a.test"], "not the preload list JSON"),
        (vec!["hsts-check", "--preload-list", badname.to_str().unwrap(), "a.test"], "not a DNS name"),
        (vec!["hsts-check", "--header", "max-age=1", "--preload-list", garbage.to_str().unwrap()], "preload list"),
        (vec!["hsts-check"], "required"),
        (vec!["hsts-check", "a.test", "--header", "x"], "cannot be used with"),
        (vec!["hsts-check", "a.test", "--offline", "--removable"], "cannot be used with"),
        (vec!["hsts-check", "a.test", "--ca-file", missing.to_str().unwrap()], "CA file"),
        (vec!["hsts-check", "a.test", "--ca-file", garbage.to_str().unwrap()], "CA file"),
    ] {
        let out = netwalk(&args);
        crate::lab::cli::assert_refused(&format!("{args:?}"), &out, 2, needle);
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
