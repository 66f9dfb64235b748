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

/// A peer that reads the request (or the ClientHello) and then says nothing.
fn silent(s: &mut std::net::TcpStream) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let mut buf = [0u8; 1024];
    while matches!(std::io::Read::read(s, &mut buf), Ok(n) if n > 0) {}
}

/// Headers promising 10 MB, then a byte every 50 ms for as long as anyone reads.
fn trickle(s: &mut std::net::TcpStream) {
    use std::io::Write;
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10000000\r\n\r\n");
    while s.write_all(b"x").is_ok() {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Content-Length 1000, ten bytes, then the connection held open.
fn short_body(s: &mut std::net::TcpStream) {
    use std::io::Write;
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
    silent(s);
}

/// What, the arguments, exit code, the failure's step, a text the story holds, wall bound (s).
type Case<'a> = (&'a str, Vec<String>, i32, Option<u64>, &'a str, u64);

#[test]
fn explain_against_hostile_peers_ends_in_bounded_time_and_memory_with_its_step_and_exit_code() {
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    for (port, behave) in
        [(9001, silent as fn(&mut std::net::TcpStream)), (9002, silent), (9003, trickle), (9004, short_body)]
    {
        crate::http_peers::raw_peer(server.tcp_listener(format!("198.18.1.2:{port}").parse().unwrap()), behave);
    }
    // A resolver that drops every query.
    client.set_resolv_conf("nameserver 198.18.1.2\n");
    server.nft(
        "table inet drop53 {\n  chain input {\n    type filter hook input priority 0;\n    udp dport 53 drop\n    tcp dport 53 drop\n  }\n}\n",
    );
    let dir = lab.dir().to_str().unwrap().to_string();
    let har = format!("{dir}/h.har");
    let cases: Vec<Case> = vec![
        ("stalled server", vec!["http://198.18.1.2:9001/".into()], 1, Some(7), "no response within 1s", 4),
        ("stalled TLS", vec!["https://198.18.1.2:9002/".into()], 1, Some(6), "did not finish within 1s", 4),
        ("slow body", vec!["http://198.18.1.2:9003/".into()], 0, None, "(not read to the end)", 4),
        ("held-open short body", vec!["http://198.18.1.2:9004/".into()], 0, None, "body 10 bytes", 4),
        (
            "unreachable DNS",
            vec!["http://www.nowhere.test/".into()],
            1,
            Some(3),
            "cannot be resolved: not in /etc/hosts and no response from 198.18.1.2#53",
            // --timeout 1s bounds each try: two rounds (resolv.conf's default attempts), and no
            // AAAA or search-list query to a server that stayed silent for A.
            3,
        ),
        (
            "--har /dev/full",
            vec!["--har".into(), "/dev/full".into(), "http://198.18.1.2:9001/".into()],
            1,
            Some(7),
            "no response",
            4,
        ),
        (
            "--har, --html and a stall",
            vec![
                "--har".into(),
                har.clone(),
                "--html".into(),
                format!("{dir}/h.html"),
                "https://198.18.1.2:9002/".into(),
            ],
            1,
            Some(6),
            "handshake",
            4,
        ),
    ];
    let mut table = String::from("case | exit | wall ms | peak RSS KiB\n");
    for (what, extra, exit, failed_step, needle, wall_s) in cases {
        let mut args = vec!["--json", "explain", "--timeout", "1s"];
        args.extend(extra.iter().map(String::as_str));
        let run = netwalk_measured(&client, &args);
        let out = &run.out;
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(out.status.code(), Some(exit), "{what}: {report:#}");
        assert_eq!(report["failure"]["step"].as_u64(), failed_step, "{what}: {report:#}");
        assert!(report.to_string().contains(needle), "{what}: {needle:?} not in {report:#}");
        // Step 0 is told whatever happens later.
        assert_eq!(report["steps"][0]["name"], "network", "{what}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if what == "--har /dev/full" {
            assert!(stderr.starts_with("netwalk: cannot write /dev/full: ") && stderr.lines().count() == 1, "{stderr}");
        } else {
            assert!(stderr.is_empty(), "{what}: {stderr}");
        }
        assert!(run.wall < Duration::from_secs(wall_s), "{what}: took {:?}", run.wall);
        assert!(run.peak_rss_kib < 48 << 10, "{what}: peak RSS {} KiB", run.peak_rss_kib);
        table += &format!("{what} | {exit} | {} | {}\n", run.wall.as_millis(), run.peak_rss_kib);
    }
    // The files of a failed walk are whole: the HAR parses and holds the stalled request.
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&har).unwrap()).unwrap();
    assert!(log["log"]["entries"][0]["_error"].as_str().unwrap().starts_with("step 6 (tls)"), "{log:#}");
    // In text, the story ends on one line naming the step.
    let run = netwalk_measured(&client, &["explain", "--timeout", "1s", "http://198.18.1.2:9001/"]);
    let text = String::from_utf8_lossy(&run.out.stdout);
    let last = text.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("Stopped at step 7 (http): no response within 1s"), "{text}");
    // A device as --lease is refused at its cap.
    let run = netwalk_measured(&client, &["explain", "--lease", "/dev/zero", "http://198.18.1.2:9001/"]);
    assert_refused("--lease /dev/zero", &run.out, 2, "--lease /dev/zero: larger than 1 MiB");
    assert!(run.wall < Duration::from_secs(5) && run.peak_rss_kib < 48 << 10, "{:?} {}", run.wall, run.peak_rss_kib);
    table += &format!("--lease /dev/zero | 2 | {} | {}\n", run.wall.as_millis(), run.peak_rss_kib);
    println!("{table}");
}

#[test]
fn explain_keeps_its_verdict_when_the_reader_goes_away() {
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    crate::http_peers::raw_peer(server.tcp_listener("198.18.1.2:9001".parse().unwrap()), silent);
    let ok = server.tcp_listener("198.18.1.2:8080".parse().unwrap());
    crate::http_peers::serve(vec![ok], vec![], None);
    for verbose in ["", "-v ", "-vv "] {
        let (code, head) =
            piped_to_head(&client, &format!("{verbose}explain --timeout 1s http://198.18.1.2:9001/ 2>&1"));
        assert_eq!(code, 1, "{verbose}a stalled walk fails with its reader gone: {head}");
        let (code, head) = piped_to_head(&client, &format!("{verbose}explain --timeout 1s http://198.18.1.2:9/ 2>&1"));
        assert_eq!(code, 1, "{verbose}a closed port fails: {head}");
        let (code, head) =
            piped_to_head(&client, &format!("{verbose}explain --timeout 1s http://198.18.1.2:8080/ 2>&1"));
        assert_eq!(code, 0, "{verbose}a page that loads still passes: {head}");
    }
    let (code, _) = piped_to_head(&client, "--json explain --timeout 1s http://198.18.1.2:9001/");
    assert_eq!(code, 1);
}
