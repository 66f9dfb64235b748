//! Inputs that never end and readers that go away: every file option fed a
//! device that never ends, and stdout or stderr closed under a running
//! check. Each must end in bounded time and memory with the documented exit
//! code and one line, and a closed pipe must not turn a failed check into a
//! pass (`set -o pipefail`).

use crate::lab::Lab;
use crate::lab::cli::{assert_refused, netwalk_measured};
use std::time::Duration;

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

#[test]
fn a_device_as_any_file_option_is_refused_at_the_cap() {
    let lab = Lab::chain(&["client", "server"]);
    let client = lab.host_by_name("client");
    for (args, needle, peak_mib) in [
        (&["dig", "-f", "/dev/zero"][..], "-f /dev/zero: larger than 16 MiB", 48),
        (&["dig", "--root-hints", "/dev/zero", "+trace", "a.test"][..], "--root-hints /dev/zero: larger than", 48),
        (&["dig", "--ca-file", "/dev/zero", "@198.18.1.2", "+tls", "a.test"][..], "CA file /dev/zero: larger than", 48),
        (&["tls-inspect", "--ca-file", "/dev/zero", "198.18.1.2"][..], "CA file /dev/zero: larger than", 48),
        (&["http", "--cacert", "/dev/zero", "https://198.18.1.2/"][..], "CA file /dev/zero: larger than", 48),
        (&["http", "-d", "@/dev/zero", "http://198.18.1.2/"][..], "-d /dev/zero: larger than 64 MiB", 144),
        (&["http", "-T", "/dev/zero", "http://198.18.1.2/"][..], "-T /dev/zero: larger than 64 MiB", 144),
        (&["explain", "--ca-file", "/dev/zero", "https://a.test/"][..], "CA file /dev/zero: larger than", 48),
        (&["hsts-check", "--ca-file", "/dev/zero", "a.test"][..], "CA file /dev/zero: larger than", 48),
        (&["hsts-check", "--preload-list", "/dev/zero", "a.test"][..], "--preload-list /dev/zero: larger than", 112),
        (
            &["explain", "--preload-list", "/dev/zero", "http://a.test/"][..],
            "--preload-list /dev/zero: larger than",
            112,
        ),
    ] {
        let run = netwalk_measured(&client, args);
        let what = format!("{args:?}");
        assert_refused(&what, &run.out, 2, needle);
        assert!(run.wall < Duration::from_secs(5), "{what}: took {:?}", run.wall);
        assert!(run.peak_rss_kib < peak_mib << 10, "{what}: peak RSS {} KiB", run.peak_rss_kib);
    }
}

/// `netwalk ARGS | head -1` under pipefail in a lab host: the pipeline's
/// status (netwalk's, head exits 0) and what head printed.
fn piped_to_head(host: &crate::lab::Host, netwalk_args: &str) -> (i32, String) {
    let script = format!("set -o pipefail; {NETWALK} {netwalk_args} | head -1");
    let mut cmd = host.command(crate::lab::require("bash"));
    cmd.args(["-c", &script]);
    let out = host.output(cmd);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_closed_pipe_keeps_the_verdict() {
    let lab = Lab::chain(&["client", "server"]);
    let client = lab.host_by_name("client");
    let server = lab.host_by_name("server");
    let open = server.tcp_listener("198.18.1.2:8080".parse().unwrap());
    std::thread::spawn(move || while open.accept().is_ok() {});
    // A closed port fails the check whether or not anyone reads the end.
    let (code, head) = piped_to_head(&client, "tcping -c 3 -i 10ms 198.18.1.2:9");
    assert_eq!((code, head.starts_with("TCPING 198.18.1.2:9")), (1, true), "{head}");
    let (code, _) = piped_to_head(&client, "tcping -c 3 -i 10ms 198.18.1.2:8080");
    assert_eq!(code, 0, "an open port still passes");
    // An endless run whose reader is gone ends, with its verdict so far.
    let (code, _) = piped_to_head(&client, "tcping -c 0 -i 10ms 198.18.1.2:9");
    assert_eq!(code, 1);
    // With -v, stderr goes down the pipe too and closes under the logger.
    let (code, _) = piped_to_head(&client, "-vv tcping -c 3 -i 10ms 198.18.1.2:9 2>&1");
    assert_eq!(code, 1, "-vv: a closed stderr must not abort");
    let (code, _) = piped_to_head(&client, "--json-lines tcping -c 3 -i 10ms 198.18.1.2:8080");
    assert_eq!(code, 0);
}
