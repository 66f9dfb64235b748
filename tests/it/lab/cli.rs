//! Running netwalk inside a lab host and reading what it said: the helpers
//! every command's tests share.

use super::Host;
use std::net::SocketAddr;
use std::process::Output;
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

/// Runs `netwalk ARGS…` in `host` to completion.
pub fn netwalk(host: &Host, args: &[&str]) -> Output {
    host.command(NETWALK).args(args).output().expect("run netwalk")
}

/// stdout parsed as one JSON document, or a panic showing both streams.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\nstderr: {}", stdout(out), stderr(out)))
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The exit code; a death by signal is a test failure that shows stderr.
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or_else(|| panic!("killed by a signal: {}", stderr(out)))
}

/// A refused run: `code`, and on stderr one error that
/// contains `needle`. netwalk's own errors are one line; a bad option gets
/// clap's whole message (the tip, the usage line) under the same prefix.
pub fn assert_refused(what: &str, out: &Output, code_: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(code(out), code_, "{what}: {err}");
    assert!(err.starts_with("netwalk: error: ") && err.contains(needle), "{what}: {err}");
    let clap = err.trim_end().ends_with("For more information, try '--help'.");
    assert!(clap || err.lines().count() == 1, "{what}: one line, got {err:?}");
}

/// A netwalk run and what it cost.
pub struct Measured {
    pub out: Output,
    pub wall: Duration,
    /// Peak resident set of the netwalk process alone, in KiB.
    pub peak_rss_kib: u64,
}

/// Runs `netwalk ARGS…` in `host` under GNU time, which reports the peak
/// RSS. time forks netwalk from its own small image: a child forked straight
/// from this large, many-threaded test process would count the test's own
/// pages in its ru_maxrss.
pub fn netwalk_measured(host: &Host, args: &[&str]) -> Measured {
    let report = host.dir().join(format!("time-{}.txt", std::process::id() as u64 * 1000 + next_seq()));
    let mut cmd = host.command(super::require("time"));
    cmd.args(["-f", "%M", "-o"]).arg(&report).arg(NETWALK).args(args);
    let started = Instant::now();
    let out = host.output(cmd);
    let wall = started.elapsed();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    // On a non-zero exit GNU time writes "Command exited with non-zero status N" first.
    let peak_rss_kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS from GNU time: {text:?}; stderr: {}", stderr(&out)));
    Measured { out, wall, peak_rss_kib }
}

fn next_seq() -> u64 {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// tls-inspect `--enumerate`: the versions the server accepted, in the
/// report's order.
pub fn accepted_versions(enumeration: &serde_json::Value) -> Vec<&str> {
    let versions = enumeration["versions"].as_array().expect("enumeration.versions");
    versions.iter().filter(|v| v["accepted"] == true).map(|v| v["version"].as_str().unwrap()).collect()
}

/// tls-inspect `--enumerate`: the suite names of `versions[index]`, in the
/// report's order.
pub fn suite_names(enumeration: &serde_json::Value, index: usize) -> Vec<&str> {
    let suites = enumeration["versions"][index]["suites"].as_array().expect("versions[index].suites");
    suites.iter().map(|s| s["name"].as_str().unwrap()).collect()
}

/// Runs openssl in `host` and returns stdout; panics (never skips) when it fails.
pub fn openssl(host: &Host, args: &str) -> String {
    host.sh(&format!("cd {} && openssl {args}", host.dir().display()))
}

/// Waits until something accepts on `addr`, polled from the client inside the lab.
pub fn wait_listening(client: &Host, addr: SocketAddr) {
    let script = format!(
        "for i in $(seq 200); do (exec 3<>/dev/tcp/{}/{}) 2>/dev/null && exit 0; sleep 0.05; done; echo 'nothing listens on {addr}' >&2; exit 1",
        addr.ip(),
        addr.port()
    );
    client.run("bash", ["-c", &script]);
}
