//! Running netwalk inside a lab host and reading what it said: the helpers
//! every command's tests share.

use super::Host;
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
