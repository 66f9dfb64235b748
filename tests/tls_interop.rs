#![cfg(feature = "interop")]
//! tls-inspect against `openssl s_server` in the lab: legacy versions and
//! ciphers that rustls cannot speak (found by the crafted-ClientHello
//! prober), a SHA-1 signed chain with a 1024-bit key, and certificate facts
//! compared with `openssl x509`. .ci/run installs openssl; without it these fail.

mod lab;

use lab::{Host, Lab};
use serde_json::Value;
use std::net::SocketAddr;
use std::process::Output;

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

fn netwalk(host: &Host, args: &[&str]) -> Output {
    host.command(NETWALK).args(args).output().expect("run netwalk")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {} {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

/// Runs openssl in `host` and returns stdout; panics (never skips) when it fails.
fn openssl(host: &Host, args: &str) -> String {
    host.sh(&format!("cd {} && openssl {args}", host.dir().display()))
}

/// Waits until something accepts on `addr`, polled from the client inside the lab.
fn wait_listening(client: &Host, addr: SocketAddr) {
    let script = format!(
        "for i in $(seq 200); do (exec 3<>/dev/tcp/{}/{}) 2>/dev/null && exit 0; sleep 0.05; done; echo 'nothing listens on {addr}' >&2; exit 1",
        addr.ip(),
        addr.port()
    );
    client.run("bash", ["-c", &script]);
}

fn setup() -> (Lab, Host, Host, std::net::IpAddr) {
    assert!(
        std::process::Command::new("openssl").arg("version").output().is_ok(),
        "openssl is missing: apt-get install openssl"
    );
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr = lab.addr_of("server", 4);
    client.set_hosts_entry("web.test", addr);
    // A root and two leaves: a modern P-256 one, and a SHA-1 signed RSA-1024 one.
    openssl(
        &server,
        "req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 30 -subj '/CN=Interop Root' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign 2>&1",
    );
    std::fs::write(server.dir().join("san.ext"), "subjectAltName=DNS:web.test\nextendedKeyUsage=serverAuth\n").unwrap();
    openssl(
        &server,
        "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.csr -subj '/CN=web.test' 2>&1",
    );
    openssl(
        &server,
        "x509 -req -in ec.csr -CA root.pem -CAkey root.key -CAcreateserial -days 20 -sha256 -extfile san.ext -out ec.pem 2>&1",
    );
    openssl(&server, "req -newkey rsa:1024 -nodes -keyout weak.key -out weak.csr -subj '/CN=web.test' 2>&1");
    openssl(
        &server,
        "x509 -req -in weak.csr -CA root.pem -CAkey root.key -CAcreateserial -days 20 -sha1 -extfile san.ext -out weak.pem 2>&1",
    );
    (lab, client, server, addr)
}

fn s_server(server: &Host, port: u16, extra: &str) -> lab::Server {
    let dir = server.dir().display().to_string();
    let mut args: Vec<String> =
        vec!["s_server".into(), "-accept".into(), port.to_string(), "-naccept".into(), "1000".into()];
    args.extend(extra.split_whitespace().map(|a| a.replace("DIR", &dir)));
    server.spawn_server("openssl", args)
}

#[test]
fn legacy_tls10_server_enumerated_exactly() {
    let (lab, client, server, addr) = setup();
    let _s = s_server(
        &server,
        4431,
        "-cert DIR/ec.pem -key DIR/ec.key -tls1 -cipher ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0 -serverpref -quiet",
    );
    wait_listening(&client, SocketAddr::new(addr, 4431));
    let out = netwalk(&client, &["--json", "tls-inspect", "--enumerate", "web.test:4431"]);
    assert_eq!(out.status.code(), Some(1), "rustls cannot finish a TLS 1.0 handshake");
    let a = &json(&out)["addresses"][0];
    assert!(
        a["error"].as_str().unwrap().contains("refused the handshake")
            || a["error"].as_str().unwrap().contains("alert"),
        "{a}"
    );
    let e = &a["enumeration"];
    let accepted: Vec<&str> = e["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["accepted"] == true)
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(accepted, ["TLSv1.0"], "{e}");
    let suites: Vec<&str> =
        e["versions"][1]["suites"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(suites, ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"]);
    assert_eq!(e["versions"][1]["server_order"], true);
    drop(lab);
}

#[test]
fn tls12_only_server_and_certificate_facts_match_openssl_x509() {
    let (lab, client, server, addr) = setup();
    let _s = s_server(
        &server,
        4432,
        "-cert DIR/ec.pem -key DIR/ec.key -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305 -quiet",
    );
    wait_listening(&client, SocketAddr::new(addr, 4432));
    let ca = server.dir().join("root.pem").display().to_string();
    let out = netwalk(&client, &["--json", "tls-inspect", "--ca-file", &ca, "--enumerate", "web.test:4432"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let a = &json(&out)["addresses"][0];
    assert_eq!(a["handshake"]["version"], "TLSv1.2");
    let e = &a["enumeration"];
    let accepted: Vec<&str> = e["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["accepted"] == true)
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(accepted, ["TLSv1.2"]);
    let mut suites: Vec<&str> =
        e["versions"][3]["suites"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    suites.sort();
    assert_eq!(suites, ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"]);
    let l = &a["certificates"][0];
    let fp = openssl(&server, "x509 -in ec.pem -noout -fingerprint -sha256");
    assert_eq!(
        fp.trim().trim_start_matches("sha256 Fingerprint=").trim_start_matches("SHA256 Fingerprint="),
        l["sha256"]
    );
    let serial = openssl(&server, "x509 -in ec.pem -noout -serial");
    let ours: String = l["serial"].as_str().unwrap().replace(':', "");
    assert_eq!(serial.trim().trim_start_matches("serial="), ours.trim_start_matches("00"));
    let end = openssl(&server, "x509 -in ec.pem -noout -enddate -dateopt iso_8601");
    assert!(end.contains(&l["not_after"].as_str().unwrap()[..10]), "{end} vs {l}");
    drop(lab);
}

#[test]
fn sha1_signed_weak_key_chain_is_named() {
    let (lab, client, server, addr) = setup();
    let _s = s_server(
        &server,
        4433,
        "-cert DIR/weak.pem -key DIR/weak.key -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0 -quiet",
    );
    wait_listening(&client, SocketAddr::new(addr, 4433));
    let ca = server.dir().join("root.pem").display().to_string();
    let out = netwalk(&client, &["--json", "tls-inspect", "--ca-file", &ca, "web.test:4433"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let a = &json(&out)["addresses"][0];
    let kinds: Vec<&str> =
        a["verdict"]["reasons"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(a["verdict"]["status"], "sha1_in_chain", "{a}");
    assert!(kinds.contains(&"weak_key"), "{kinds:?}");
    assert_eq!(a["certificates"][0]["signature_algorithm"], "sha1WithRSAEncryption");
    assert_eq!(a["certificates"][0]["key"]["bits"], 1024);
    drop(lab);
}
