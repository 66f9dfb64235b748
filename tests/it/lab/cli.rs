//! Running netwalk inside a lab host and reading what it said: the helpers
//! every command's tests share.

use super::Host;
use std::net::SocketAddr;
use std::process::Output;

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
