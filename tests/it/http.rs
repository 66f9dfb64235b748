//! `netwalk http` against real peers in the lab: an in-process hyper server
//! (HTTP/1.1, h2c, HTTP/2 over TLS with a lab CA), a CONNECT proxy, and
//! hostile peers that send endless headers, garbage, or nothing.

use crate::http_peers;
use crate::lab;

use http_peers::{LAST_MODIFIED, PAGE, Seen};
use lab::cli::{assert_refused, code, json, netwalk, netwalk_measured, stderr, stdout};
use lab::{Host, Lab};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

struct Web {
    lab: Lab,
    client: Host,
    server: Host,
    addr: IpAddr,
    ca: PathBuf,
    seen: Seen,
}

/// client — server; the server runs the hyper peer on 8080 (plain, h2c)
/// and 8443 (TLS, cert for web.test and other.test from a lab CA).
fn web() -> Web {
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr = lab.addr_of("server", 4);
    let pki = http_peers::pki(&["web.test", "other.test"]);
    let plain = server.tcp_listener(SocketAddr::new(addr, 8080));
    let tls = server.tcp_listener(SocketAddr::new(addr, 8443));
    let seen = http_peers::serve(vec![plain], vec![tls], Some(&pki));
    client.set_hosts_entry("web.test", addr);
    client.set_hosts_entry("other.test", addr);
    let ca = lab.dir().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    Web { lab, client, server, addr, ca, seen }
}

fn netwalk_stdin(host: &Host, args: &[&str], input: &[u8]) -> Output {
    let mut child = host
        .command(NETWALK)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// curl's timing fields are present, non-negative and in phase order.
fn assert_ordered(hop: &Value) {
    let t = &hop["timings"];
    let names = ["time_namelookup", "time_connect", "time_pretransfer", "time_starttransfer", "time_total"];
    let values: Vec<f64> =
        names.iter().map(|n| t[n].as_f64().unwrap_or_else(|| panic!("{n} missing: {hop}"))).collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "timings out of order: {t}");
    assert!(values[0] >= 0.0 && values[4] > 0.0, "{t}");
    let app = t["time_appconnect"].as_f64().unwrap();
    if hop["url"].as_str().unwrap().starts_with("https") && hop["reused_connection"] == false {
        assert!(app >= values[1] && app <= values[2], "appconnect outside connect..pretransfer: {t}");
    }
}

/// The echo route's answer as a map of its lines.
fn echo_field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).or_else(|| l.strip_prefix(&format!("{key}: "))))
        .map(str::to_string)
}

#[test]
fn get_over_http1_and_http2_with_the_lab_ca_timed_per_phase() {
    let w = web();
    let ca = w.ca.to_str().unwrap();

    // Plain HTTP/1.1: the body alone on stdout, the waterfall on stderr.
    let out = netwalk(&w.client, &["http", "http://web.test:8080/"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stdout, PAGE);
    let err = stderr(&out);
    for phase in ["DNS lookup", "TCP connect", "server processing", "content transfer", "200 OK", "HTTP/1.1"] {
        assert!(err.contains(phase), "{phase} missing from the report:\n{err}");
    }

    let doc = json(&netwalk(&w.client, &["--json", "http", "http://web.test:8080/"]));
    assert_eq!((doc["status"].as_u64(), doc["protocol"].as_str()), (Some(200), Some("HTTP/1.1")));
    let hop = &doc["hops"][0];
    assert_eq!(hop["connection"]["resolved_by"], "hosts_file");
    assert_eq!(hop["connection"]["remote"], format!("{}:8080", w.addr));
    assert!(hop["connection"]["kernel_rtt_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(doc["body"]["bytes"], PAGE.len());
    assert_ordered(hop);
    assert_eq!(doc["timings"]["time_appconnect"], 0.0, "plain HTTP has no TLS phase");

    // HTTPS: ALPN picks h2, the certificate verifies against the lab CA.
    let doc = json(&netwalk(&w.client, &["--json", "http", "--cacert", ca, "https://web.test:8443/"]));
    assert_eq!(doc["protocol"], "HTTP/2", "{doc}");
    let facts = &doc["hops"][0]["connection"]["tls_facts"];
    assert_eq!((facts["alpn"].as_str(), facts["verified"].as_bool()), (Some("h2"), Some(true)), "{facts}");
    assert!(facts["version"].as_str().unwrap().starts_with("TLSv1."));
    assert!(doc["timings"]["time_appconnect"].as_f64().unwrap() > 0.0);
    assert_ordered(&doc["hops"][0]);
    assert_eq!(doc["caching"]["etag"], "\"v1\"");
    assert_eq!(doc["caching"]["cache_control"], "max-age=60");
    assert_eq!(doc["caching"]["age"], "3");

    // --http1.1 over TLS, and h2c with prior knowledge in clear text.
    let doc = json(&netwalk(&w.client, &["--json", "http", "--http1.1", "--cacert", ca, "https://web.test:8443/echo"]));
    assert_eq!(doc["protocol"], "HTTP/1.1");
    assert_eq!(doc["hops"][0]["connection"]["tls_facts"]["alpn"], "http/1.1");
    let out = netwalk(&w.client, &["http", "--http2-prior-knowledge", "http://web.test:8080/echo"]);
    assert_eq!(echo_field(&stdout(&out), "version").as_deref(), Some("HTTP/2.0"), "{}", stderr(&out));
    let out = netwalk(&w.client, &["http", "--http2", "--cacert", ca, "https://web.test:8443/echo"]);
    assert_eq!(echo_field(&stdout(&out), "version").as_deref(), Some("HTTP/2.0"));
    assert!(w.seen.requests.lock().unwrap().iter().any(|r| r.contains("HTTP/2.0")));
}

#[test]
fn http2_on_cleartext_upgrades_with_h2c_and_falls_back_when_ignored() {
    let w = web();
    let upgrading = http_peers::serve_h2c_upgrade(w.server.tcp_listener(SocketAddr::new(w.addr, 8082)));

    let out = netwalk(&w.client, &["--json", "http", "--http2", "http://web.test:8082/echo"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["protocol"], "HTTP/2", "{doc}");
    let hop = &doc["hops"][0];
    assert_eq!(hop["connection"]["h2c_upgrade"], "switched", "{hop}");
    let sent = hop["request_headers"].as_array().unwrap();
    for (name, value) in [("connection", "Upgrade, HTTP2-Settings"), ("upgrade", "h2c")] {
        assert!(sent.iter().any(|h| h[0] == name && h[1] == value), "{name} missing: {hop}");
    }
    assert_ordered(hop);
    let t = &hop["timings"];
    let switched = t["h2c_switch_ms"].as_f64().unwrap() / 1000.0;
    assert!(
        switched >= t["time_pretransfer"].as_f64().unwrap() && switched <= t["time_starttransfer"].as_f64().unwrap(),
        "the 101 falls between the request and the response: {t}"
    );
    // The server answered the upgraded request on stream 1 and saw it once:
    // nothing was sent again over HTTP/2.
    let lines = upgrading.requests.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let settings = lines[0].strip_prefix("UPGRADE ").unwrap();
    assert_eq!(data_encoding::BASE64URL_NOPAD.decode(settings.as_bytes()).unwrap().len() % 6, 0, "{settings}");
    assert_eq!(lines[1], "GET http://web.test:8082/echo HTTP/2.0");

    // A POST body goes with the HTTP/1.1 request and reaches the stream-1 handler.
    let out = netwalk(&w.client, &["http", "--http2", "-d", "x=1", "http://web.test:8082/echo"]);
    let text = stdout(&out);
    assert_eq!(echo_field(&text, "version").as_deref(), Some("HTTP/2.0"), "{text}{}", stderr(&out));
    assert_eq!(
        (echo_field(&text, "method").as_deref(), echo_field(&text, "body").as_deref()),
        (Some("POST"), Some("x=1"))
    );
    let err = stderr(&out);
    assert!(err.contains("HTTP/2 (h2c upgrade from HTTP/1.1) 200 OK") && err.contains("h2c switch (101)"), "{err}");

    // After an upgrade a redirect to the same origin takes a new connection, upgraded again.
    let doc = json(&netwalk(&w.client, &["--json", "http", "--http2", "-L", "http://web.test:8082/redirect/302/echo"]));
    let hops = doc["hops"].as_array().unwrap();
    assert_eq!((hops.len(), doc["status"].as_u64()), (2, Some(200)), "{doc}");
    for hop in hops {
        assert_eq!((hop["protocol"].as_str(), hop["reused_connection"].as_bool()), (Some("HTTP/2"), Some(false)));
        assert_eq!(hop["connection"]["h2c_upgrade"], "switched");
    }

    // A server that ignores the Upgrade: the answer comes over HTTP/1.1, as with curl.
    let doc = json(&netwalk(&w.client, &["--json", "http", "--http2", "http://web.test:8080/"]));
    assert_eq!((doc["status"].as_u64(), doc["protocol"].as_str()), (Some(200), Some("HTTP/1.1")), "{doc}");
    assert_eq!(doc["hops"][0]["connection"]["h2c_upgrade"], "declined");
    let out = netwalk(&w.client, &["http", "--http2", "http://web.test:8080/echo"]);
    let text = stdout(&out);
    assert_eq!(echo_field(&text, "version").as_deref(), Some("HTTP/1.1"), "{text}");
    assert_eq!(echo_field(&text, "upgrade").as_deref(), Some("h2c"), "{text}");
    assert!(stderr(&out).contains("the server ignored the h2c upgrade"), "{}", stderr(&out));
}

#[test]
fn tls_failures_are_explained_and_k_says_what_it_disables() {
    let w = web();
    let out = netwalk(&w.client, &["http", "https://web.test:8443/"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("issued by an authority this machine does not trust"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--cacert"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));

    let resolve = format!("wrong.test:8443:{}", w.addr);
    let out = netwalk(
        &w.client,
        &["http", "--cacert", w.ca.to_str().unwrap(), "--resolve", &resolve, "https://wrong.test:8443/"],
    );
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("name mismatch: the certificate is for web.test, other.test, not wrong.test"),
        "{}",
        stderr(&out)
    );

    // A certificate from a trusted CA that expired: the date is named.
    let expired = http_peers::expired_pki(&["web.test"]);
    http_peers::serve(vec![], vec![w.server.tcp_listener(SocketAddr::new(w.addr, 8444))], Some(&expired));
    let ca = w.lab.dir().join("expired-ca.pem");
    std::fs::write(&ca, &expired.ca_pem).unwrap();
    let out = netwalk(&w.client, &["http", "--cacert", ca.to_str().unwrap(), "https://web.test:8444/"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("the certificate of web.test expired on Fri, 01 Jan 2021 00:00:00 GMT"),
        "{}",
        stderr(&out)
    );

    let out = netwalk(&w.client, &["--json", "http", "-k", "https://web.test:8443/"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("NOT verified"), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["hops"][0]["connection"]["tls_facts"]["verified"], false);
    assert!(doc["warnings"][0].as_str().unwrap().contains("NOT verified"));
}

#[test]
fn methods_headers_and_bodies_reach_the_server_as_given() {
    let w = web();
    let out = netwalk(
        &w.client,
        &["http", "-d", "a=1&b=2", "-H", "X-Lab: yes", "-H", "Accept:", "http://web.test:8080/echo"],
    );
    let text = stdout(&out);
    assert_eq!(echo_field(&text, "method").as_deref(), Some("POST"), "{text}");
    assert_eq!(echo_field(&text, "body").as_deref(), Some("a=1&b=2"));
    assert_eq!(echo_field(&text, "x-lab").as_deref(), Some("yes"));
    assert_eq!(echo_field(&text, "content-type").as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(echo_field(&text, "accept"), None, "'Accept:' removes the default header");
    assert_eq!(echo_field(&text, "host").as_deref(), Some("web.test:8080"));

    let file = w.lab.dir().join("item.json");
    std::fs::write(&file, "{\"from\":\"file\"}").unwrap();
    let at_file = format!("@{}", file.display());
    let out = netwalk(
        &w.client,
        &["http", "PUT", "http://web.test:8080/echo", "-H", "Content-Type: application/json", "-d", &at_file],
    );
    let text = stdout(&out);
    assert_eq!(echo_field(&text, "method").as_deref(), Some("PUT"));
    assert_eq!(echo_field(&text, "body").as_deref(), Some("{\"from\":\"file\"}"));
    assert_eq!(echo_field(&text, "content-type").as_deref(), Some("application/json"));

    let out = netwalk_stdin(&w.client, &["http", "-d", "@-", "http://web.test:8080/echo"], b"from stdin");
    assert_eq!(echo_field(&stdout(&out), "body").as_deref(), Some("from stdin"));

    // HEAD: the headers, no body; -i puts the head before the body.
    let doc = json(&netwalk(&w.client, &["--json", "http", "--head", "http://web.test:8080/"]));
    assert_eq!((doc["hops"][0]["method"].as_str(), doc["body"]["bytes"].as_u64()), (Some("HEAD"), Some(0)));
    let out = netwalk(&w.client, &["http", "-i", "http://web.test:8080/"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n")
            && text.contains("etag: \"v1\"\r\n")
            && text.ends_with("\r\n\r\nhello from the lab\n"),
        "{text}"
    );

    // -v shows both heads with credentials redacted, unless --show-secrets.
    let out = netwalk(&w.client, &["-v", "http", "-H", "Authorization: Bearer s3cret", "http://web.test:8080/"]);
    let err = stderr(&out);
    assert!(err.contains("> GET / HTTP/1.1") && err.contains("< HTTP/1.1 200 OK"), "{err}");
    assert!(!err.contains("s3cret") && err.contains("authorization: <redacted"), "{err}");
    let out = netwalk(
        &w.client,
        &["-v", "http", "--show-secrets", "-H", "Authorization: Bearer s3cret", "http://web.test:8080/"],
    );
    assert!(stderr(&out).contains("authorization: Bearer s3cret"));

    // Binary body on stdout with -o - arrives byte for byte.
    let out = netwalk(&w.client, &["http", "-o", "-", "http://web.test:8080/binary"]);
    assert_eq!(out.stdout, (0..=255u8).collect::<Vec<_>>());
}

/// Runs netwalk with stdout on a real pseudo-terminal (raw, so bytes pass
/// unchanged) and stderr on a pipe: (exit code, terminal bytes, stderr).
fn netwalk_on_a_tty(host: &Host, args: &[&str]) -> (i32, Vec<u8>, String) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two fds we then own; termios is plain data filled by tcgetattr.
    unsafe {
        let rc = libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null());
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        let mut mode: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(slave, &mut mode), 0);
        libc::cfmakeraw(&mut mode);
        assert_eq!(libc::tcsetattr(slave, libc::TCSANOW, &mode), 0);
    }
    // SAFETY: both fds were just opened by openpty and are owned nowhere else.
    let (mut master, slave) = unsafe { (std::fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = host.command(NETWALK);
    cmd.args(args).stdout(Stdio::from(slave)).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    drop(cmd); // our copy of the terminal's slave side: the reader sees EIO once the child's closes
    let reader = std::thread::spawn(move || {
        let (mut tty, mut chunk) = (Vec::new(), [0u8; 4096]);
        while let Ok(n) = master.read(&mut chunk) {
            if n == 0 {
                break;
            }
            tty.extend_from_slice(&chunk[..n]);
        }
        tty
    });
    let out = child.wait_with_output().unwrap();
    (code(&out), reader.join().unwrap(), stderr(&out))
}

#[test]
fn a_binary_body_is_refused_on_a_terminal_unless_o_dash() {
    let w = web();
    let (status, tty, err) = netwalk_on_a_tty(&w.client, &["http", "http://web.test:8080/binary"]);
    assert_eq!(status, 2, "{err}");
    assert_eq!(
        err.lines().next().unwrap_or(""),
        "netwalk: error: the body of http://web.test:8080/binary is binary and stdout is a terminal (save it with -o FILE, or force it with -o -)",
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!tty.contains(&0), "no binary byte reached the terminal: {tty:?}");

    // Text is written to the terminal as usual, the report beside it on stderr.
    let (status, tty, err) = netwalk_on_a_tty(&w.client, &["http", "http://web.test:8080/"]);
    assert_eq!((status, tty.as_slice()), (0, PAGE), "{err}");

    // -o - forces the bytes through, all 256 of them, unchanged.
    let (status, tty, err) = netwalk_on_a_tty(&w.client, &["http", "-o", "-", "http://web.test:8080/binary"]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(tty, (0..=255u8).collect::<Vec<_>>());
}

#[test]
fn every_redirect_status_follows_the_method_rules_hop_by_hop() {
    let w = web();
    for (status, method, body) in
        [("301", "GET", ""), ("302", "GET", ""), ("303", "GET", ""), ("307", "POST", "x=1"), ("308", "POST", "x=1")]
    {
        let url = format!("http://web.test:8080/redirect/{status}/echo");
        let out = netwalk(&w.client, &["--json", "http", "-L", "-d", "x=1", &url, "-o", "/dev/null"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let doc = json(&out);
        let hops = doc["hops"].as_array().unwrap();
        assert_eq!(hops.len(), 2, "{doc}");
        assert_eq!(
            (hops[0]["status"].as_u64().unwrap().to_string(), hops[0]["method"].as_str()),
            (status.to_string(), Some("POST"))
        );
        assert_eq!(hops[0]["location"], "/echo");
        assert_eq!(hops[1]["method"], method, "after {status}");
        assert_eq!(hops[1]["reused_connection"], true, "keep-alive: the second hop rides the first connection");
        hops.iter().for_each(assert_ordered);
        // And what the server received on the second hop:
        let out = netwalk(&w.client, &["http", "-L", "-d", "x=1", &url]);
        let text = stdout(&out);
        assert_eq!(echo_field(&text, "method").as_deref(), Some(method), "{status}: {text}");
        assert_eq!(echo_field(&text, "body").as_deref(), Some(body), "{status}: {text}");
    }
    // Without -L the redirect itself is the answer.
    let doc = json(&netwalk(&w.client, &["--json", "http", "http://web.test:8080/redirect/301/echo"]));
    assert_eq!((doc["status"].as_u64(), doc["redirects"].as_u64()), (Some(301), Some(0)));

    let out = netwalk(&w.client, &["http", "-L", "http://web.test:8080/loop/a"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains(
            "redirect loop: http://web.test:8080/loop/a → http://web.test:8080/loop/b → http://web.test:8080/loop/a"
        ),
        "{}",
        stderr(&out)
    );

    let out = netwalk(&w.client, &["http", "-L", "--max-redirs", "3", "http://web.test:8080/chain/5"]);
    assert_eq!(code(&out), 47, "curl's too many redirects");
    assert!(stderr(&out).contains("stopped after 3 redirects (--max-redirs 3)"), "{}", stderr(&out));
    let doc = json(&netwalk(&w.client, &["--json", "http", "-L", "--max-redirs", "5", "http://web.test:8080/chain/5"]));
    assert_eq!(doc["redirects"], 5);
}

#[test]
fn downgrade_is_warned_and_a_cross_host_redirect_resolves_again() {
    let w = web();
    let out = netwalk(
        &w.client,
        &[
            "--json",
            "http",
            "-L",
            "--cacert",
            w.ca.to_str().unwrap(),
            "-H",
            "Authorization: Bearer s3cret",
            "https://web.test:8443/downgrade",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("downgrades to clear-text HTTP: http://web.test:8080/echo"), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["hops"][1]["url"], "http://web.test:8080/echo");
    assert_eq!(doc["hops"][1]["reused_connection"], false);

    let out = netwalk(
        &w.client,
        &["--json", "http", "-L", "-H", "Authorization: Bearer s3cret", "http://web.test:8080/cross"],
    );
    let doc = json(&out);
    let second = &doc["hops"][1];
    assert_eq!(second["url"], "http://other.test:8080/echo");
    assert_eq!(second["reused_connection"], false, "another host needs its own connection");
    assert_eq!(second["connection"]["resolved_by"], "hosts_file");
    assert!(
        second["request_headers"].as_array().unwrap().iter().all(|h| h[0] != "authorization"),
        "credentials must not follow to another host: {second}"
    );
    assert!(second["request_headers"].as_array().unwrap().iter().any(|h| h[0] == "host" && h[1] == "other.test:8080"));
}

#[test]
fn conditional_requests_show_the_304_path() {
    let w = web();
    let doc = json(&netwalk(&w.client, &["--json", "http", "--etag", "\"v1\"", "http://web.test:8080/cond"]));
    assert_eq!(doc["status"], 304);
    assert_eq!(doc["caching"]["not_modified"], true);
    assert_eq!(doc["caching"]["etag"], "\"v1\"");
    assert_eq!(doc["body"]["bytes"], 0);
    let doc = json(&netwalk(
        &w.client,
        &["--json", "http", "--if-modified-since", "2015-10-21T07:28:00Z", "http://web.test:8080/cond"],
    ));
    assert_eq!(doc["status"], 304);
    assert_eq!(doc["caching"]["last_modified"], LAST_MODIFIED);
    let doc = json(&netwalk(&w.client, &["--json", "http", "--etag", "\"stale\"", "http://web.test:8080/cond"]));
    assert_eq!((doc["status"].as_u64(), doc["caching"]["not_modified"].as_bool()), (Some(200), Some(false)));
    let out = netwalk(&w.client, &["http", "--etag", "\"v1\"", "http://web.test:8080/cond"]);
    assert!(stdout(&out).contains("304 Not Modified: the cached copy is still valid"), "{}", stdout(&out));
}

#[test]
fn compressed_bodies_decode_and_a_bomb_is_stopped() {
    let w = web();
    let text = http_peers::compressed_text();
    for coding in ["gzip", "deflate", "br", "zstd"] {
        let url = format!("http://web.test:8080/encoded/{coding}");
        let out = netwalk(&w.client, &["http", "--compressed", &url]);
        assert_eq!(code(&out), 0, "{coding}: {}", stderr(&out));
        assert_eq!(out.stdout, text, "{coding}");
        let doc = json(&netwalk(&w.client, &["--json", "http", "--compressed", &url]));
        assert!(doc["body"]["wire_bytes"].as_u64().unwrap() < text.len() as u64 / 4, "{doc}");
    }
    // Without --compressed the body is passed through as sent.
    let out = netwalk(&w.client, &["http", "-o", "-", "http://web.test:8080/encoded/gzip"]);
    assert_eq!(out.stdout, http_peers::gzip(&text));

    // The bomb (64 MiB of zeros, gzipped) stops AT the cap: exactly 1 MiB written.
    let started = Instant::now();
    let saved = w.lab.dir().join("bomb.out");
    let out = netwalk(
        &w.client,
        &["http", "--compressed", "--max-filesize", "1M", "-o", saved.to_str().unwrap(), "http://web.test:8080/bomb"],
    );
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("exceeds 1048576 bytes") && stderr(&out).contains("decompression bomb"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::metadata(&saved).unwrap().len(), 1 << 20, "not a byte past the cap");
    assert!(started.elapsed() < Duration::from_secs(20));

    let out =
        netwalk(&w.client, &["http", "--max-filesize", "1000", "-o", "/dev/null", "http://web.test:8080/chunked/5000"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("exceeds --max-filesize 1000 bytes"), "{}", stderr(&out));
    // A Content-Length over the cap is refused before a byte is read.
    let out =
        netwalk(&w.client, &["http", "--max-filesize", "1000", "-o", "/dev/null", "http://web.test:8080/big/5000"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("is 5000 bytes (Content-Length), more than the 1000-byte cap"), "{}", stderr(&out));
}

#[test]
fn a_1gib_body_streams_to_a_file_in_constant_memory() {
    let w = web();
    const LEN: u64 = 1 << 30;
    let file = w.lab.dir().join("big.bin");
    let run = netwalk_measured(
        &w.client,
        &["http", "-o", file.to_str().unwrap(), &format!("http://web.test:8080/big/{LEN}")],
    );
    assert_eq!(code(&run.out), 0, "{}", stderr(&run.out));
    let rss = run.peak_rss_kib;
    assert!(rss < 48 * 1024, "peak RSS {rss} KiB for a 1 GiB body: not streaming");
    let mut f = std::fs::File::open(&file).unwrap();
    assert_eq!(f.metadata().unwrap().len(), LEN);
    let mut buf = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for piece in buf[..n].chunks(60_000) {
            assert!(piece == http_peers::pattern_slice(offset, piece.len()), "bytes from {offset} differ");
            offset += piece.len() as u64;
        }
    }
    std::fs::remove_file(&file).unwrap();

    // A chunked body (no Content-Length) over TLS/h2 is hashed the same way end to end.
    let doc = json(&netwalk(&w.client, &["--json", "http", "--http1.1", "http://web.test:8080/chunked/300000"]));
    let expect: Vec<u8> = (0..300_000u64).map(http_peers::pattern).collect();
    let digest = ring::digest::digest(&ring::digest::SHA256, &expect);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(doc["body"]["sha256"], hex);
    assert!(
        doc["hops"][0]["response_headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "transfer-encoding" && h[1] == "chunked")
    );
}

/// netwalk asks the kernel (SO_RCVLOWAT) to wake it only once much of a
/// sized body is waiting, never for more than is still to come: a server
/// that sends the last 100,000 bytes late and keeps the connection open is
/// still read to the end at once, not at --max-time.
#[test]
fn a_sized_body_ends_without_waiting_for_the_server_to_close() {
    let w = web();
    const LEN: usize = 400_000;
    http_peers::raw_peer(w.server.tcp_listener(SocketAddr::new(w.addr, 9006)), |s| {
        let body: Vec<u8> = (0..LEN as u64).map(http_peers::pattern).collect();
        let _ = s.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {LEN}\r\n\r\n").as_bytes());
        let _ = s.write_all(&body[..300_000]); // at once: fast enough for the mark
        std::thread::sleep(Duration::from_millis(200));
        let _ = s.write_all(&body[300_000..]);
        std::thread::sleep(Duration::from_secs(30));
    });
    let started = Instant::now();
    let out = netwalk(&w.client, &["http", "--max-time", "20s", "-o", "-", "http://web.test:9006/"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sent: Vec<u8> = (0..LEN as u64).map(http_peers::pattern).collect();
    assert!(out.stdout == sent, "{} bytes, not the {LEN} sent", out.stdout.len());
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());

    // A server that closes 100,000 bytes short wakes us all the same: one
    // line, exit 1, at once.
    http_peers::raw_peer(w.server.tcp_listener(SocketAddr::new(w.addr, 9008)), |s| {
        let body: Vec<u8> = (0..LEN as u64).map(http_peers::pattern).collect();
        let _ = s.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {LEN}\r\n\r\n").as_bytes());
        let _ = s.write_all(&body[..300_000]);
        std::thread::sleep(Duration::from_millis(200));
    });
    let started = Instant::now();
    let out = netwalk(&w.client, &["http", "--max-time", "20s", "-o", "/dev/null", "http://web.test:9008/"]);
    assert_eq!(code(&out), 18, "cut short is curl's 18: {}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("web.test:9008 failed: error reading a body"), "{}", stderr(&out));
    assert!(stderr(&out).contains("end of file before message length reached"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

/// ...and a sized body that comes slowly is passed on as it arrives, not
/// held back until 256 KiB have gathered: the server sends two short lines,
/// each alone, and the rest only once both have come out of netwalk's stdout.
#[test]
fn a_slow_sized_body_is_passed_on_as_it_arrives() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static LINES_OUT: AtomicBool = AtomicBool::new(false);
    const LINES: &[u8] = b"zero\none\n";
    const REST: usize = 400_000;
    let w = web();
    http_peers::raw_peer(w.server.tcp_listener(SocketAddr::new(w.addr, 9007)), |s| {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", LINES.len() + REST);
        // Head, then each line, read alone.
        for part in [head.as_bytes(), &LINES[..6], &LINES[6..]] {
            let _ = s.write_all(part);
            std::thread::sleep(Duration::from_millis(100));
        }
        let started = Instant::now();
        while !LINES_OUT.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = s.write_all(&vec![b'x'; REST]);
        std::thread::sleep(Duration::from_secs(30));
    });
    let started = Instant::now();
    let mut child = w
        .client
        .command(NETWALK)
        .args(["http", "--max-time", "20s", "-o", "-", "http://web.test:9007/"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut got = Vec::new();
    let mut piece = [0u8; 4096];
    while got != LINES {
        let n = out.read(&mut piece).unwrap();
        assert!(n > 0, "stdout closed after {got:?}");
        got.extend_from_slice(&piece[..n]);
    }
    let lines_after = started.elapsed();
    LINES_OUT.store(true, Ordering::SeqCst);
    out.read_to_end(&mut got).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(lines_after < Duration::from_secs(5), "the lines came out after {lines_after:?}");
    assert_eq!(got.len(), LINES.len() + REST);
    assert!(got.starts_with(LINES) && got[LINES.len()..].iter().all(|&b| b == b'x'));
}

#[test]
fn hostile_peers_get_a_one_line_error_in_bounded_time() {
    let w = web();
    let peer = |port: u16, behave: fn(&mut std::net::TcpStream)| {
        http_peers::raw_peer(w.server.tcp_listener(SocketAddr::new(w.addr, port)), behave);
        format!("http://web.test:{port}/")
    };
    let endless = peer(9001, |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
        while s.write_all(b"X-Endless: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n").is_ok() {}
    });
    let huge_line = peer(9002, |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nX-Huge: ");
        let line = vec![b'a'; 1 << 20];
        let _ = s.write_all(&line);
    });
    let garbage = peer(9003, |s| {
        let _ = s.write_all(b"SMTP ready, not HTTP at all\r\n\r\n");
    });
    let silent = peer(9004, |s| {
        std::thread::sleep(Duration::from_secs(30));
        let _ = s.write_all(b"");
    });
    let overlong = peer(9005, |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and much more than five bytes");
    });
    for (url, needle) in [
        (&endless, "larger than 256 KiB or with more than 100 fields"),
        (&huge_line, "larger than 256 KiB"),
        (&garbage, "malformed HTTP response"),
    ] {
        let started = Instant::now();
        let out = netwalk(&w.client, &["http", "--max-time", "20s", url]);
        assert_eq!(code(&out), 1, "{url}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{url}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(started.elapsed() < Duration::from_secs(10), "{url} took {:?}", started.elapsed());
    }
    let started = Instant::now();
    let out = netwalk(&w.client, &["http", "--max-time", "1s", &silent]);
    assert_eq!(code(&out), 28, "curl's timeout");
    assert!(stderr(&out).contains("no result within 1s"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(5));

    let started = Instant::now();
    let out = netwalk(&w.client, &["http", "--max-time", "1s", "-o", "/dev/null", "http://web.test:8080/stall"]);
    assert_eq!(code(&out), 28);
    assert!(stderr(&out).contains("no result within 1s"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(5));

    let out = netwalk(&w.client, &["http", &overlong]);
    assert_eq!((code(&out), out.stdout.as_slice()), (0, &b"hello"[..]), "only Content-Length bytes are the body");

    let out = netwalk(&w.client, &["--json", "http", "--expect-status", "2xx", "http://web.test:8080/nope"]);
    assert_eq!(code(&out), 1);
    assert_eq!(json(&out)["passed"], false);
    let out = netwalk(&w.client, &["http", "--expect-status", "404", "http://web.test:8080/nope"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Nobody listens: the refused attempt is listed.
    let out = netwalk(&w.client, &["http", "http://web.test:9999/"]);
    assert_eq!(code(&out), 7, "curl's could not connect");
    assert!(
        stderr(&out).contains(&format!("cannot connect to web.test:9999: {}:9999 refused", w.addr)),
        "{}",
        stderr(&out)
    );
}

#[test]
fn resolve_connect_to_and_a_proxy_steer_the_connection() {
    let w = web();
    // --resolve: a name nobody knows, no DNS involved.
    let resolve = format!("nowhere.test:8080:{}", w.addr);
    let doc = json(&netwalk(&w.client, &["--json", "http", "--resolve", &resolve, "http://nowhere.test:8080/"]));
    assert_eq!(doc["hops"][0]["connection"]["resolved_by"], "resolve_option");
    assert_eq!(doc["hops"][0]["connection"]["dns_ms"], 0.0);

    // --connect-to: the URL's name and port stay in Host and TLS, the socket goes elsewhere.
    let out = netwalk(&w.client, &["http", "--connect-to", "web.test:7000:web.test:8080", "http://web.test:7000/echo"]);
    assert_eq!(echo_field(&stdout(&out), "host").as_deref(), Some("web.test:7000"), "{}", stderr(&out));
    let target = format!("web.test:443:{}:8443", w.addr);
    let out = netwalk(
        &w.client,
        &["http", "--cacert", w.ca.to_str().unwrap(), "--connect-to", &target, "https://web.test/scheme"],
    );
    assert_eq!((code(&out), stdout(&out).as_str()), (0, "https\n"), "{}", stderr(&out));

    // A proxy in the lab: CONNECT for https, absolute-form for http.
    let proxy_addr = SocketAddr::new(w.addr, 3128);
    let log = http_peers::proxy(w.server.clone(), w.server.tcp_listener(proxy_addr), vec![("web.test".into(), w.addr)]);
    let proxy = format!("http://{proxy_addr}");
    let doc = json(&netwalk(
        &w.client,
        &["--json", "http", "--proxy", &proxy, "--cacert", w.ca.to_str().unwrap(), "https://web.test:8443/"],
    ));
    assert_eq!(doc["status"], 200, "{doc}");
    assert!(doc["hops"][0]["connection"]["proxy_connect_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(doc["hops"][0]["connection"]["dialled"], format!("{}:3128", w.addr));
    let out = netwalk(&w.client, &["http", "--proxy", &proxy, "http://web.test:8080/echo"]);
    assert_eq!(echo_field(&stdout(&out), "method").as_deref(), Some("GET"), "{}", stderr(&out));
    let lines = log.lock().unwrap().clone();
    assert_eq!(
        lines,
        vec!["CONNECT web.test:8443 HTTP/1.1".to_string(), "GET http://web.test:8080/echo HTTP/1.1".to_string()]
    );
}

#[test]
fn bad_input_is_a_one_line_usage_error() {
    let lab = Lab::chain(&["client"]);
    let client = lab.host_by_name("client");
    for (args, needle) in [
        (vec!["http", "http://"], "not a valid URL"),
        (vec!["http", "ftp://web.test/"], "unsupported URL scheme 'ftp'"),
        (vec!["http", "-H", "no colon here", "http://web.test/"], "bad header 'no colon here'"),
        (
            vec!["http", "-d", "@/nonexistent/body", "http://web.test/"],
            "cannot read the body from -d /nonexistent/body",
        ),
        (vec!["http", "--resolve", "web.test:80", "http://web.test/"], "bad --resolve"),
        (vec!["http", "--expect-status", "abc", "http://web.test/"], "not a status code"),
        (vec!["http", "--cacert", "/nonexistent.pem", "https://web.test/"], "cannot read CA file /nonexistent.pem"),
        (vec!["http", "B@D", "http://web.test/"], "not an HTTP method"),
    ] {
        assert_refused(&format!("{args:?}"), &netwalk(&client, &args), 2, needle);
    }
}

/// Credentials in the URL and from -u go as Basic; the password shows up
/// nowhere: not in the report line, -v, JSON or an error.
#[test]
fn credentials_in_the_url_or_u_are_sent_as_basic_and_never_printed() {
    let w = web();
    let basic = "Basic Ym9iOnMzY3JldCB3b3Jk"; // bob:s3cret word
    for args in [
        vec!["http", "http://bob:s3cret%20word@web.test:8080/echo"],
        vec!["http", "-u", "bob:s3cret word", "http://web.test:8080/echo"],
        vec!["http", "-u", "bob:s3cret word", "http://alice:other@web.test:8080/echo"],
        vec!["-v", "http", "http://bob:s3cret%20word@web.test:8080/echo"],
    ] {
        let out = netwalk(&w.client, &args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert_eq!(echo_field(&stdout(&out), "authorization").as_deref(), Some(basic), "{args:?}");
        let err = stderr(&out);
        assert!(!err.contains("s3cret") && !err.contains("Ym9i"), "{args:?}: {err}");
        assert!(err.contains("GET http://web.test:8080/echo → HTTP/1.1 200 OK"), "{args:?}: {err}");
    }
    let out = netwalk(&w.client, &["--json", "http", "-o", "/dev/null", "http://bob:s3cret@web.test:8080/echo"]);
    let text = stdout(&out);
    assert!(!text.contains("s3cret") && !text.contains("Ym9i"), "{text}");
    assert_eq!(json(&out)["url"], "http://web.test:8080/echo");
    let sent = json(&out)["hops"][0]["request_headers"].clone();
    assert!(
        sent.as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "authorization" && h[1].as_str().unwrap().starts_with("<redacted")),
        "{sent}"
    );
    // Over HTTP/2 and TLS too.
    let out = netwalk(
        &w.client,
        &["http", "--cacert", w.ca.to_str().unwrap(), "https://bob:s3cret%20word@web.test:8443/echo"],
    );
    assert_eq!(echo_field(&stdout(&out), "authorization").as_deref(), Some(basic), "{}", stderr(&out));
    // An error about the URL hides the password it quotes.
    let out = netwalk(&w.client, &["http", "http://bob:s3cret@web.test:99999/"]);
    assert_refused("bad port", &out, 2, "http://bob:***@web.test:99999/");
    assert!(!stderr(&out).contains("s3cret"));
    // A redirect to another host drops them, as curl does.
    let out = netwalk(&w.client, &["http", "-L", "http://bob:s3cret@web.test:8080/cross"]);
    assert_eq!(echo_field(&stdout(&out), "authorization"), None, "{}", stdout(&out));
    // -u without a password and no terminal to ask on: one line, exit 2.
    let mut cmd = w.client.command("setsid");
    cmd.args([NETWALK, "http", "-u", "bob", "http://web.test:8080/echo"]);
    let out = w.client.output(cmd);
    assert_refused("-u bob", &out, 2, "-u without a password needs a terminal");
}

/// Issue 16's hostile peers under http's default limits (no option given):
/// a server that accepts and never answers ends at the low-speed limit
/// (under 10 bytes/s for 20 s), a TLS handshake that stalls at the 10 s
/// connect timeout; both exit 28 as curl does for a timeout, in one line.
#[test]
fn a_silent_server_and_a_stalled_tls_handshake_end_at_the_default_limits() {
    let w = web();
    http_peers::raw_peer(w.server.tcp_listener(SocketAddr::new(w.addr, 9011)), |_| {
        std::thread::sleep(Duration::from_secs(60));
    });
    let silent = std::thread::spawn({
        let client = w.client.clone();
        move || {
            let started = Instant::now();
            (netwalk(&client, &["http", "http://web.test:9011/"]), started.elapsed())
        }
    });
    let started = Instant::now();
    let out = netwalk(&w.client, &["http", "--cacert", w.ca.to_str().unwrap(), "https://web.test:9011/"]);
    let took = started.elapsed();
    assert_refused("stalled TLS", &out, 28, "did not finish within 10s");
    assert!(took >= Duration::from_secs(9) && took < Duration::from_secs(15), "stalled TLS took {took:?}");

    let (out, took) = silent.join().unwrap();
    assert_refused("silent server", &out, 28, "less than 10 bytes/s for 20s; transfer stopped");
    assert!(took >= Duration::from_secs(19) && took < Duration::from_secs(28), "silent server took {took:?}");
}

/// curl's exit codes for the ways a transfer fails: 7 refused, 18 cut
/// short, 22 --fail, 28 too slow (a trickling body, a short body on a
/// connection held open), 47 too many redirects.
#[test]
fn each_way_a_transfer_fails_has_curls_exit_code() {
    let w = web();
    http_peers::raw_peer(w.server.tcp_listener(SocketAddr::new(w.addr, 9012)), |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        for _ in 0..300 {
            if s.write_all(b"x").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    http_peers::raw_peer(w.server.tcp_listener(SocketAddr::new(w.addr, 9013)), |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this much");
        std::thread::sleep(Duration::from_secs(60));
    });
    for (url, extra, want, needle) in [
        ("http://web.test:9012/", &["-Y", "100", "-y", "2"][..], 28, "less than 100 bytes/s for 2s"),
        ("http://web.test:9013/", &["--speed-time", "2s"][..], 28, "less than 10 bytes/s for 2s"),
        ("http://web.test:9999/", &[][..], 7, "cannot connect to web.test:9999"),
        ("http://web.test:8080/nope", &["-f"][..], 22, "the server answered 404 Not Found (--fail)"),
        ("http://web.test:8080/chain/3", &["-L", "--max-redirs", "1"][..], 47, "stopped after 1 redirects"),
        ("http://web.test:8080/stall", &["-m", "1.5"][..], 28, "no result within 1s 500ms"),
    ] {
        let mut args = vec!["http", "-o", "-"];
        args.extend_from_slice(extra);
        args.push(url);
        let started = Instant::now();
        let out = netwalk(&w.client, &args);
        assert_refused(&format!("{args:?}"), &out, want, needle);
        assert!(started.elapsed() < Duration::from_secs(8), "{args:?} took {:?}", started.elapsed());
        if want == 22 {
            assert!(out.stdout.is_empty(), "--fail writes no body: {}", stdout(&out));
        }
    }
    // A body that comes slowly but above the limit is not cut.
    let out = netwalk(&w.client, &["http", "-Y", "1", "-y", "2", "-o", "/dev/null", "http://web.test:8080/"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// `-d @FILE` and `-T FILE` stream a regular file (the Content-Length is its
/// size): 256 MiB goes up in a few MiB of memory.
#[test]
fn a_256mib_upload_streams_from_the_file() {
    let w = web();
    const LEN: u64 = 256 << 20;
    let file = w.lab.dir().join("upload.bin");
    let f = std::fs::File::create(&file).unwrap();
    f.set_len(LEN).unwrap();
    drop(f);
    let at_file = format!("@{}", file.display());
    for args in [
        vec!["http", "-d", &at_file, "http://web.test:8080/sink"],
        vec!["http", "-T", file.to_str().unwrap(), "http://web.test:8080/sink"],
    ] {
        let run = netwalk_measured(&w.client, &args);
        assert_eq!(code(&run.out), 0, "{args:?}: {}", stderr(&run.out));
        let text = stdout(&run.out);
        assert_eq!(echo_field(&text, "received"), Some(LEN.to_string()), "{args:?}: {text}");
        assert_eq!(echo_field(&text, "content-length"), Some(LEN.to_string()), "{args:?}: {text}");
        assert!(run.peak_rss_kib < 32 * 1024, "{args:?}: peak RSS {} KiB for a 256 MiB upload", run.peak_rss_kib);
    }
    let lines = w.seen.requests.lock().unwrap().clone();
    assert_eq!(lines, [format!("POST /sink {LEN}"), format!("PUT /sink {LEN}")]);
    // -T to a URL ending in / appends the file's name, as curl does.
    let small = w.lab.dir().join("a b.txt");
    std::fs::write(&small, "tee").unwrap();
    let doc = json(&netwalk(&w.client, &["--json", "http", "-T", small.to_str().unwrap(), "http://web.test:8080/up/"]));
    assert_eq!(doc["url"], "http://web.test:8080/up/a%20b.txt");
    assert_eq!(doc["hops"][0]["method"], "PUT");
}

/// A plain body bound for a terminal stops at 10 MiB unless --max-filesize
/// says otherwise; announced larger, not a byte of it is written.
#[test]
fn a_large_body_to_a_terminal_is_capped() {
    let w = web();
    let (status, tty, err) = netwalk_on_a_tty(&w.client, &["http", "http://web.test:8080/lines/20000000"]);
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("more than the 10485760-byte cap") && err.contains("save it with -o FILE"), "{err}");
    assert!(tty.is_empty(), "{} bytes reached the terminal", tty.len());
    let (status, tty, err) =
        netwalk_on_a_tty(&w.client, &["http", "--max-filesize", "30M", "http://web.test:8080/lines/20000000"]);
    assert_eq!((status, tty.len()), (0, 20_000_000), "{err}");
    // Not a terminal: no cap.
    let out = netwalk(&w.client, &["http", "-o", "-", "http://web.test:8080/lines/20000000"]);
    assert_eq!((code(&out), out.stdout.len()), (0, 20_000_000));
}

/// `netwalk -v http URL 2>&1 | head -1` under pipefail: the logger's
/// closed stderr neither aborts nor changes the exit code.
#[test]
fn verbose_output_into_a_closed_pipe_keeps_the_exit_code() {
    let w = web();
    for (url, want) in [("http://web.test:8080/", 0), ("http://web.test:9999/", 7), ("http://web.test:8080/nope", 22)] {
        let script = format!("set -o pipefail; {NETWALK} -vv http -f {url} 2>&1 | head -1");
        let mut cmd = w.client.command(lab::require("bash"));
        cmd.args(["-c", &script]);
        let out = w.client.output(cmd);
        assert_eq!(out.status.code(), Some(want), "{url}: {}", stderr(&out));
        assert_eq!(stdout(&out).lines().count(), 1, "{url}");
    }
}

/// Cookies set on a redirect are sent on the next hop (a login flow), kept
/// to their host; -b sends literal cookies or a jar, -c saves the jar in
/// curl's format; their values are redacted in -v and JSON.
#[test]
fn cookies_follow_redirects_and_live_in_curls_jar_format() {
    let w = web();
    let jar = w.lab.dir().join("jar.txt");
    let out = netwalk(&w.client, &["http", "-L", "-c", jar.to_str().unwrap(), "http://web.test:8080/login"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(echo_field(&stdout(&out), "cookie").as_deref(), Some("sid=abc123; theme=dark"), "{}", stdout(&out));
    let saved = std::fs::read_to_string(&jar).unwrap();
    assert!(saved.starts_with("# Netscape HTTP Cookie File\n"), "{saved}");
    assert!(saved.contains("#HttpOnly_web.test\tFALSE\t/\tFALSE\t0\tsid\tabc123\n"), "{saved}");
    let theme = saved.lines().find(|l| l.contains("\ttheme\t")).unwrap_or_else(|| panic!("{saved}"));
    let expires: i64 = theme.split('\t').nth(4).unwrap().parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now + 3500..=now + 3700).contains(&expires), "Max-Age=3600 as a date: {theme}");

    // The jar read back, and literal cookies beside it.
    let out =
        netwalk(&w.client, &["http", "-b", jar.to_str().unwrap(), "-b", "lit=1; two=2", "http://web.test:8080/echo"]);
    assert_eq!(echo_field(&stdout(&out), "cookie").as_deref(), Some("lit=1; two=2; sid=abc123; theme=dark"));
    // A missing jar is an empty one (curl's -b jar -c jar habit).
    let out = netwalk(&w.client, &["http", "-b", "/nonexistent/jar", "http://web.test:8080/echo"]);
    assert_eq!((code(&out), echo_field(&stdout(&out), "cookie")), (0, None));

    // Another host never gets them.
    let out = netwalk(&w.client, &["http", "-L", "http://web.test:8080/login-cross"]);
    assert_eq!(echo_field(&stdout(&out), "cookie"), None, "{}", stdout(&out));

    // Redacted in -v and JSON, both ways.
    let out = netwalk(&w.client, &["-v", "--json", "http", "-L", "http://web.test:8080/login"]);
    assert!(!stderr(&out).contains("abc123"), "{}", stderr(&out));
    let doc = json(&out);
    let hops = doc["hops"].as_array().unwrap();
    assert!(
        hops[0]["response_headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "set-cookie" && h[1].as_str().unwrap().starts_with("<redacted")),
        "{doc}"
    );
    assert!(
        hops[1]["request_headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "cookie" && h[1].as_str().unwrap().starts_with("<redacted")),
        "{doc}"
    );
}

fn netwalk_env(host: &Host, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = host.command(NETWALK);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    host.output(cmd)
}

/// Proxies from the environment as curl reads it (http_proxy lower case
/// only, https_proxy, all_proxy, no_proxy), -x over them, credentials in the
/// proxy URL as Proxy-Authorization (never printed), and SOCKS5 with the
/// name resolved here (socks5://) or by the proxy (socks5h://).
#[test]
fn proxies_from_the_environment_and_socks5_as_curl_uses_them() {
    let w = web();
    let ca = w.ca.to_str().unwrap();
    let names = vec![("web.test".to_string(), w.addr), ("other.test".to_string(), w.addr)];
    let http_log =
        http_peers::proxy(w.server.clone(), w.server.tcp_listener(SocketAddr::new(w.addr, 3128)), names.clone());
    let socks_log = http_peers::socks5(w.server.clone(), w.server.tcp_listener(SocketAddr::new(w.addr, 1080)), names);
    let proxy = format!("http://{}:3128", w.addr);
    let take = |log: &std::sync::Arc<std::sync::Mutex<Vec<String>>>| std::mem::take(&mut *log.lock().unwrap());

    // https_proxy for https, http_proxy for http; HTTP_PROXY is ignored (httpoxy).
    let out = netwalk_env(
        &w.client,
        &[("https_proxy", &proxy)],
        &["--json", "http", "--cacert", ca, "https://web.test:8443/"],
    );
    assert_eq!(json(&out)["hops"][0]["connection"]["proxy"], proxy, "{}", stderr(&out));
    let out = netwalk_env(&w.client, &[("HTTP_PROXY", &proxy)], &["http", "http://web.test:8080/echo"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = netwalk_env(
        &w.client,
        &[("http_proxy", &proxy), ("no_proxy", "other.test")],
        &["http", "http://web.test:8080/echo"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = netwalk_env(
        &w.client,
        &[("all_proxy", &proxy), ("NO_PROXY", ".web.test,web.test")],
        &["http", "http://web.test:8080/echo"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(take(&http_log), ["CONNECT web.test:8443 HTTP/1.1", "GET http://web.test:8080/echo HTTP/1.1"]);

    // -x with credentials wins over the environment; --noproxy over no_proxy.
    let with_auth = format!("http://pxuser:px%20secret@{}:3128", w.addr);
    let env = [("http_proxy", "http://198.18.99.99:1"), ("no_proxy", "*")];
    let out = netwalk_env(
        &w.client,
        &env,
        &["-v", "--json", "http", "-x", &with_auth, "--noproxy", "", "http://web.test:8080/echo", "-o", "/dev/null"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !text.contains("px secret") && !text.contains("px%20secret") && !text.contains("cHh1c2Vy"),
        "the proxy password leaked: {text}"
    );
    let out = netwalk(&w.client, &["http", "-x", &with_auth, "--cacert", ca, "https://web.test:8443/"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let basic = "Basic cHh1c2VyOnB4IHNlY3JldA=="; // pxuser:px secret
    assert_eq!(
        take(&http_log),
        [
            "GET http://web.test:8080/echo HTTP/1.1".to_string(),
            format!("proxy-authorization: {basic}"),
            "CONNECT web.test:8443 HTTP/1.1".to_string(),
            format!("proxy-authorization: {basic}"),
        ]
    );

    // SOCKS5: the name resolved here, or by the proxy; user and password by RFC 1929.
    let socks = format!("socks5://{}:1080", w.addr);
    let out = netwalk(&w.client, &["http", "-x", &socks, "http://web.test:8080/echo"]);
    assert_eq!(echo_field(&stdout(&out), "host").as_deref(), Some("web.test:8080"), "{}", stderr(&out));
    let socks_h = format!("socks5h://sk:pw@{}:1080", w.addr);
    let out =
        netwalk_env(&w.client, &[("all_proxy", &socks_h)], &["http", "--cacert", ca, "https://web.test:8443/scheme"]);
    assert_eq!(stdout(&out), "https\n", "{}", stderr(&out));
    assert_eq!(
        take(&socks_log),
        [format!("CONNECT {}:8080", w.addr), "auth sk:pw".to_string(), "CONNECT web.test:8443".to_string()]
    );
    // A name the proxy cannot reach: curl's 7, one line.
    let out = netwalk(&w.client, &["http", "-x", &socks_h, "http://nowhere.test/"]);
    assert_refused("socks5h to nowhere", &out, 7, "could not connect to the target: host unreachable");
    assert_refused(
        "bad scheme",
        &netwalk(&w.client, &["http", "-x", "ftp://p.test", "http://web.test/"]),
        2,
        "the scheme 'ftp' is not supported",
    );
}
