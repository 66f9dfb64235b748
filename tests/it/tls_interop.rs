#![cfg(feature = "interop")]
//! tls-inspect against real TLS stacks in the lab: `openssl s_server` (legacy
//! versions and ciphers that rustls cannot speak, found by the
//! crafted-ClientHello prober; a SHA-1 signed chain with a 1024-bit key; OCSP
//! staples made by `openssl ocsp`; STARTTLS behind a lab SMTP greeter) and
//! nginx serving full chains, every certificate field compared with
//! `openssl x509`. .ci/run installs openssl and nginx; without them these fail.

use crate::lab;

use lab::cli::{accepted_versions, code, json, netwalk, openssl, suite_names, wait_listening};
use lab::{Host, Lab};
use serde_json::Value;
use std::net::SocketAddr;

/// A client and a server host; web.test names the server.
fn pair() -> (Lab, Host, Host, std::net::IpAddr) {
    lab::require("openssl");
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr = lab.addr_of("server", 4);
    client.set_hosts_entry("web.test", addr);
    (lab, client, server, addr)
}

fn setup() -> (Lab, Host, Host, std::net::IpAddr) {
    let (lab, client, server, addr) = pair();
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

/// `openssl s_server -accept ACCEPT` (a port, or host:port); DIR in `extra` is the server's directory.
fn s_server(server: &Host, accept: impl std::fmt::Display, extra: &str) -> lab::Server {
    let dir = server.dir().display().to_string();
    let mut args: Vec<String> =
        vec!["s_server".into(), "-accept".into(), accept.to_string(), "-naccept".into(), "1000".into()];
    args.extend(extra.split_whitespace().map(|a| a.replace("DIR", &dir)));
    server.spawn_server("openssl", args)
}

/// The finding kinds of an address, most severe first.
fn finding_kinds(a: &Value) -> Vec<&str> {
    a["findings"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect()
}

#[test]
fn legacy_tls10_server_gets_chain_verdict_pem_and_findings() {
    let (lab, client, server, addr) = setup();
    let _s = s_server(
        &server,
        4431,
        "-cert DIR/ec.pem -key DIR/ec.key -tls1 -cipher ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0 -serverpref -quiet",
    );
    wait_listening(&client, SocketAddr::new(addr, 4431));
    let ca = server.dir().join("root.pem").display().to_string();
    let out = netwalk(&client, &["--json", "tls-inspect", "--ca-file", &ca, "--enumerate", "web.test:4431"]);
    assert_eq!(out.status.code(), Some(1), "TLS 1.0 fails the check");
    let a = &json(&out)["addresses"][0];
    assert_eq!(a["error"], Value::Null, "{a}");
    assert!(a["negotiation_error"].as_str().unwrap().contains("alert"), "{a}");
    // The chain of the clear-text flight, judged as usual.
    assert_eq!(a["handshake"]["via"], "crafted ClientHello");
    assert_eq!(a["handshake"]["version"], "TLSv1.0");
    assert_eq!(a["handshake"]["cipher_suite"], "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "server order: {a}");
    assert_eq!(a["certificates"][0]["subject"], "CN=web.test");
    assert_eq!(a["verdict"]["status"], "trusted", "{a}");
    assert_eq!(finding_kinds(a), ["protocol_tls10"], "{a}");
    assert_eq!(a["findings"][0]["severity"], "medium");
    let e = &a["enumeration"];
    let accepted = accepted_versions(e);
    assert_eq!(accepted, ["TLSv1.0"], "{e}");
    let suites = suite_names(e, 1);
    assert_eq!(suites, ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"]);
    assert_eq!(e["versions"][1]["server_order"], true);
    assert_eq!(e["checks"]["secure_renegotiation"], true);
    assert_eq!(e["checks"]["compression"], false);
    // --pem: the served leaf, byte for byte as openssl wrote it.
    let pem = netwalk(&client, &["tls-inspect", "--pem", "web.test:4431"]);
    let served = std::fs::read_to_string(server.dir().join("ec.pem")).unwrap();
    assert_eq!(String::from_utf8_lossy(&pem.stdout), served);
    // Text --enumerate prints the findings too.
    let text = netwalk(&client, &["tls-inspect", "--ca-file", &ca, "--enumerate", "web.test:4431"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert_eq!(code(&out), 1);
    for needle in [
        "verdict         trusted",
        "Accepted by the server",
        "TLSv1.0         yes, server order",
        "MEDIUM          accepts TLSv1.0: TLS 1.0 is deprecated (RFC 8996)",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    drop(lab);
}

#[test]
fn tls12_dhe1024_null_static_rsa_server_rustls_cannot_negotiate() {
    let (lab, client, server, addr) = setup();
    openssl(&server, "req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj '/CN=web.test' 2>&1");
    openssl(
        &server,
        "x509 -req -in rsa.csr -CA root.pem -CAkey root.key -CAcreateserial -days 20 -sha256 -extfile san.ext -out rsa.pem 2>&1",
    );
    openssl(&server, "dhparam -out dh1024.pem 1024 2>&1");
    let _s = s_server(
        &server,
        4436,
        "-cert DIR/rsa.pem -key DIR/rsa.key -tls1_2 -dhparam DIR/dh1024.pem \
         -cipher DHE-RSA-AES128-SHA:NULL-SHA256:AES128-SHA:@SECLEVEL=0 -serverpref -quiet",
    );
    wait_listening(&client, SocketAddr::new(addr, 4436));
    let ca = server.dir().join("root.pem").display().to_string();
    let out = netwalk(&client, &["--json", "tls-inspect", "--ca-file", &ca, "--enumerate", "web.test:4436"]);
    assert_eq!(code(&out), 1);
    let a = &json(&out)["addresses"][0];
    assert_eq!(a["handshake"]["via"], "crafted ClientHello", "{a}");
    assert_eq!(a["handshake"]["version"], "TLSv1.2");
    assert_eq!(a["handshake"]["cipher_suite"], "TLS_DHE_RSA_WITH_AES_128_CBC_SHA");
    assert_eq!(a["handshake"]["dh_bits"], 1024);
    assert_eq!(a["verdict"]["status"], "trusted", "{a}");
    let e = &a["enumeration"];
    assert_eq!(accepted_versions(e), ["TLSv1.2"]);
    assert_eq!(
        suite_names(e, 3),
        ["TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_NULL_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA"]
    );
    assert_eq!(e["versions"][3]["dh_bits"], 1024);
    let algs: Vec<&str> =
        e["versions"][3]["signature_algorithms"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(algs.contains(&"rsa_pkcs1_sha256") && algs.contains(&"rsa_pss_rsae_sha256"), "{algs:?}");
    assert!(!algs.iter().any(|a| a.starts_with("ecdsa")), "an RSA key signs no ECDSA: {algs:?}");
    let kinds = finding_kinds(a);
    assert_eq!(kinds, ["cipher_null", "dh_weak"], "{a}");
    assert_eq!(a["findings"][0]["severity"], "critical");
    drop(lab);
}

/// tlslite-ng (pure Python) serving what OpenSSL 3 no longer can.
fn tlslite_server(server: &Host, port: u16, ciphers: &str, versions: (&str, &str)) -> lab::Server {
    let python = "/usr/bin/python3";
    let check = server.command(python).args(["-c", "import tlslite"]).output();
    assert!(
        check.as_ref().is_ok_and(|o| o.status.success()),
        "tlslite-ng is missing: pip install tlslite-ng==0.8.2 (.ci/run installs it): {check:?}"
    );
    let script = format!("{}/tests/it/tlslab/legacy_server.py", env!("CARGO_MANIFEST_DIR"));
    let dir = server.dir().display().to_string();
    server.spawn_server(
        python,
        [
            script,
            server.addr(4).to_string(),
            port.to_string(),
            format!("{dir}/rsa.pem"),
            format!("{dir}/rsa.key"),
            ciphers.to_string(),
            versions.0.to_string(),
            versions.1.to_string(),
        ],
    )
}

#[test]
fn sslv3_rc4_3des_null_server_from_tlslite_graded_critical() {
    let (lab, client, server, addr) = setup();
    openssl(&server, "req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj '/CN=web.test' 2>&1");
    openssl(
        &server,
        "x509 -req -in rsa.csr -CA root.pem -CAkey root.key -CAcreateserial -days 20 -sha256 -extfile san.ext -out rsa.pem 2>&1",
    );
    let _s = tlslite_server(&server, 4437, "rc4,3des,null", ("3.0", "3.1"));
    wait_listening(&client, SocketAddr::new(addr, 4437));
    let ca = server.dir().join("root.pem").display().to_string();
    let out = netwalk(&client, &["--json", "tls-inspect", "--ca-file", &ca, "--enumerate", "web.test:4437"]);
    assert_eq!(code(&out), 1);
    let a = &json(&out)["addresses"][0];
    assert_eq!(a["handshake"]["via"], "crafted ClientHello", "{a}");
    assert_eq!(a["handshake"]["version"], "TLSv1.0");
    assert_eq!(a["verdict"]["status"], "trusted", "{a}");
    let e = &a["enumeration"];
    assert_eq!(accepted_versions(e), ["SSLv3", "TLSv1.0"], "{e}");
    let mut suites = suite_names(e, 0);
    suites.sort();
    assert_eq!(
        suites,
        [
            "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_NULL_SHA",
            "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_RSA_WITH_NULL_MD5",
            "TLS_RSA_WITH_NULL_SHA",
            "TLS_RSA_WITH_RC4_128_MD5",
            "TLS_RSA_WITH_RC4_128_SHA"
        ],
        "{e}"
    );
    let f = a["findings"].as_array().unwrap();
    assert_eq!(f[0]["severity"], "critical");
    let kinds = finding_kinds(a);
    for kind in ["protocol_sslv3", "cipher_null", "cipher_rc4", "cipher_3des", "protocol_tls10", "heartbeat"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(e["checks"]["heartbeat"], true, "tlslite-ng answers the Heartbeat extension");
    assert_eq!(e["checks"]["fallback_scsv"], true, "a TLS 1.0 server offered SSLv3 with the SCSV refuses it");
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
    let accepted = accepted_versions(e);
    assert_eq!(accepted, ["TLSv1.2"]);
    let mut suites = suite_names(e, 3);
    suites.sort();
    assert_eq!(suites, ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"]);
    // OpenSSL 3's default groups, each found over TLS 1.2 despite the P-256 ECDSA certificate.
    assert_eq!(e["groups"], serde_json::json!(["x25519", "secp256r1", "secp384r1", "secp521r1", "x448"]), "{e}");
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
    assert!(!kinds.contains(&"bad_handshake_signature"), "ring refuses a 1024-bit key: say weak key: {kinds:?}");
    let fkinds = finding_kinds(a);
    assert_eq!(fkinds, ["key_weak", "signature_sha1"], "{a}");
    assert_eq!(a["certificates"][0]["signature_algorithm"], "sha1WithRSAEncryption");
    assert_eq!(a["certificates"][0]["key"]["bits"], 1024);
    drop(lab);
}

/// A timestamp as `openssl ocsp -text` prints it ("Produced At: Nov 21 06:41:40 2026 GMT"), in Unix seconds (date(1) reads it).
fn ocsp_time(host: &Host, text: &str, label: &str) -> i64 {
    let value = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no '{label}' in openssl's OCSP text:\n{text}"));
    host.sh(&format!("date -u -d '{}' +%s", value.trim())).trim().parse().unwrap()
}

#[test]
fn ocsp_staples_from_openssl_ocsp_decoded_as_openssl_reads_them() {
    let (lab, client, server, addr) = setup();
    let serial = openssl(&server, "x509 -in ec.pem -noout -serial");
    let serial = serial.trim().trim_start_matches("serial=");
    let ca = server.dir().join("root.pem").display().to_string();
    // The lab CA's index (as `openssl ca` keeps it): the leaf valid, then revoked.
    for (port, status, index) in [
        (4434, "good", format!("V\t301231235959Z\t\t{serial}\tunknown\t/CN=web.test\n")),
        (4435, "revoked", format!("R\t301231235959Z\t250102030405Z,keyCompromise\t{serial}\tunknown\t/CN=web.test\n")),
    ] {
        std::fs::write(server.dir().join(format!("index-{status}.txt")), index).unwrap();
        openssl(
            &server,
            &format!(
                "ocsp -index index-{status}.txt -rsigner root.pem -rkey root.key -CA root.pem -issuer root.pem \
                 -cert ec.pem -respout {status}.der -ndays 7 2>&1"
            ),
        );
        let text = openssl(&server, &format!("ocsp -respin {status}.der -text -noverify 2>&1"));
        assert!(text.contains(&format!("Cert Status: {status}")), "{text}");
        let _s =
            s_server(&server, port, &format!("-cert DIR/ec.pem -key DIR/ec.key -status_file DIR/{status}.der -quiet"));
        wait_listening(&client, SocketAddr::new(addr, port));
        let out = netwalk(&client, &["--json", "tls-inspect", "--ca-file", &ca, &format!("web.test:{port}")]);
        let a = &json(&out)["addresses"][0];
        let o = &a["ocsp"];
        assert_eq!(o["response_status"], "successful", "{a}");
        assert_eq!(o["cert_status"], status);
        assert_eq!(o["responses"], 1);
        assert_eq!(o["produced_at"], ocsp_time(&server, &text, "Produced At:"), "{text}");
        assert_eq!(o["this_update"], ocsp_time(&server, &text, "This Update:"), "{text}");
        assert_eq!(o["next_update"], ocsp_time(&server, &text, "Next Update:"), "{text}");
        assert_eq!(o["next_update"].as_i64().unwrap() - o["this_update"].as_i64().unwrap(), 7 * 86_400);
        if status == "good" {
            assert_eq!(out.status.code(), Some(0), "{a}");
            assert_eq!(o["revoked_at"], Value::Null);
            assert_eq!(a["verdict"]["status"], "trusted");
        } else {
            assert_eq!(out.status.code(), Some(1), "a revoked leaf fails: {a}");
            assert_eq!(o["revoked_at"], ocsp_time(&server, &text, "Revocation Time:"), "{text}");
            assert_eq!(o["revoked_at"], 1_735_787_045, "2025-01-02T03:04:05Z as written in the index");
            assert_eq!(a["verdict"]["status"], "revoked", "{a}");
        }
        // The human report says the same.
        let human = netwalk(&client, &["tls-inspect", "--ca-file", &ca, &format!("web.test:{port}")]);
        let produced = o["produced_at"].as_i64().unwrap();
        let line = format!("ocsp staple     successful {status}, produced {}", client_rfc3339(produced));
        assert!(String::from_utf8_lossy(&human.stdout).contains(&line), "{line}");
    }
    drop(lab);
}

fn client_rfc3339(unix: i64) -> String {
    netwalk::commands::tls_inspect::cert::rfc3339(unix)
}

// ---------------------------------------------------------------- nginx

/// openssl's reading of a certificate (`x509 -noout -text` and `-fingerprint`),
/// in the shape of netwalk's JSON, so the two compare field by field.
fn openssl_view(server: &Host, dir: &str, file: &str) -> Value {
    // Names with "=" unspaced (netwalk's and RFC 4514's way), in openssl's order;
    // dates as ISO 8601 (which -dateopt applies to -startdate/-enddate only).
    let text = openssl(
        server,
        &format!(
            "x509 -in {dir}/{file} -noout -text -nameopt utf8,sep_comma_plus_space -startdate -enddate -dateopt iso_8601"
        ),
    );
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let field = |label: &str| lines.iter().find_map(|l| l.strip_prefix(label)).map(|v| v.trim().to_string());
    let after = |header: &str| {
        lines.iter().position(|l| l.starts_with(header)).map(|i| lines[i + 1].to_string()).unwrap_or_default()
    };
    let list = |header: &str| -> Vec<String> {
        let line = after(header);
        if line.is_empty() { Vec::new() } else { line.split(", ").map(str::to_string).collect() }
    };
    let serial = match field("Serial Number:").filter(|v| !v.is_empty()) {
        // Small serials print inline: "4660 (0x1234)".
        Some(inline) => {
            let hex = inline.split("(0x").nth(1).unwrap().trim_end_matches(')').to_string();
            let hex = if hex.len() % 2 == 1 { format!("0{hex}") } else { hex };
            hex.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(":")
        }
        None => after("Serial Number:"),
    };
    let key_kind = match field("Public Key Algorithm:").unwrap().as_str() {
        "rsaEncryption" => "RSA".to_string(),
        "id-ecPublicKey" => "EC".to_string(),
        other => other.to_string(),
    };
    let bits: u64 = lines
        .iter()
        .find_map(|l| l.split("Public-Key: (").nth(1))
        .and_then(|b| b.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    let names = |header: &str, table: &[(&str, &str)]| -> Vec<String> {
        list(header)
            .iter()
            .map(|n| {
                table.iter().find(|(o, _)| o == n).map_or_else(|| panic!("unmapped {n}"), |(_, ours)| ours.to_string())
            })
            .collect()
    };
    let key_usage = names(
        "X509v3 Key Usage:",
        &[
            ("Digital Signature", "digitalSignature"),
            ("Non Repudiation", "nonRepudiation"),
            ("Key Encipherment", "keyEncipherment"),
            ("Data Encipherment", "dataEncipherment"),
            ("Key Agreement", "keyAgreement"),
            ("Certificate Sign", "keyCertSign"),
            ("CRL Sign", "cRLSign"),
        ],
    );
    let eku = names(
        "X509v3 Extended Key Usage:",
        &[
            ("TLS Web Server Authentication", "serverAuth"),
            ("TLS Web Client Authentication", "clientAuth"),
            ("Code Signing", "codeSigning"),
            ("E-mail Protection", "emailProtection"),
        ],
    );
    let basic = after("X509v3 Basic Constraints:");
    let (ca, path_len) = match basic.split_once(", pathlen:") {
        _ if basic.is_empty() => (Value::Null, Value::Null),
        Some((ca, len)) => (Value::from(ca == "CA:TRUE"), Value::from(len.parse::<u64>().unwrap())),
        None => (Value::from(basic == "CA:TRUE"), Value::Null),
    };
    let sans = list("X509v3 Subject Alternative Name:");
    let san = |prefix: &str| -> Vec<String> {
        sans.iter().filter_map(|s| s.strip_prefix(prefix)).map(str::to_string).collect()
    };
    let prefixed = |prefix: &str| -> Vec<String> {
        lines.iter().filter_map(|l| l.strip_prefix(prefix)).map(str::to_string).collect()
    };
    let fingerprint = |alg: &str| {
        let line = openssl(server, &format!("x509 -in {dir}/{file} -noout -fingerprint -{alg}"));
        line.trim().split_once('=').unwrap().1.to_string()
    };
    let date = |label: &str| field(label).unwrap().replace(' ', "T");
    serde_json::json!({
        "subject": field("Subject:").unwrap(),
        "issuer": field("Issuer:").unwrap(),
        "serial": serial.to_ascii_uppercase(),
        "not_before": date("notBefore="),
        "not_after": date("notAfter="),
        "key": {"kind": key_kind, "bits": bits, "curve": field("NIST CURVE:")},
        "signature_algorithm": field("Signature Algorithm:").unwrap(),
        "key_usage": key_usage,
        "extended_key_usage": eku,
        "ca": ca,
        "path_len": path_len,
        "sans": {"dns": san("DNS:"), "ip": san("IP Address:"), "email": san("email:"), "uri": san("URI:")},
        "ocsp_urls": prefixed("OCSP - URI:"),
        "ca_issuer_urls": prefixed("CA Issuers - URI:"),
        // Only CRL distribution points print a bare "URI:" line (SAN URIs share the SAN line).
        "crl_urls": prefixed("URI:"),
        "sct_count": if text.contains("CT Precertificate SCTs") { Value::Null } else { Value::from(0) },
        "sha256": fingerprint("sha256"),
        "sha1": fingerprint("sha1"),
    })
}

/// The same fields from netwalk's JSON for one certificate.
fn netwalk_view(c: &Value) -> Value {
    let mut v = serde_json::Map::new();
    for k in [
        "subject",
        "issuer",
        "serial",
        "not_before",
        "not_after",
        "key",
        "signature_algorithm",
        "key_usage",
        "extended_key_usage",
        "ca",
        "path_len",
        "sans",
        "ocsp_urls",
        "ca_issuer_urls",
        "crl_urls",
        "sct_count",
        "sha256",
        "sha1",
    ] {
        v.insert(k.into(), c[k].clone());
    }
    // openssl prints the INTEGER's value; the DER keeps a 00 sign octet when the top bit is set.
    let serial = c["serial"].as_str().unwrap();
    v.insert("serial".into(), Value::from(serial.strip_prefix("00:").unwrap_or(serial)));
    Value::Object(v)
}

#[test]
fn nginx_full_chain_every_field_matches_openssl_x509() {
    lab::require("nginx");
    let (lab, client, server, addr) = pair();
    let dir = lab.dir().join("nginx");
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let d = dir.display().to_string();
    let sh = |script: &str| server.sh(&format!("cd {d} && {script}"));
    std::fs::write(
        dir.join("int.ext"),
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n\
         authorityInfoAccess=caIssuers;URI:http://ca.web.test/root.crt\n\
         crlDistributionPoints=URI:http://crl.web.test/root.crl\n",
    )
    .unwrap();
    let leaf_ext = format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth,clientAuth\n\
         subjectAltName=DNS:web.test,DNS:*.web.test,IP:{addr},email:ops@web.test,URI:https://web.test/\n\
         authorityInfoAccess=OCSP;URI:http://ocsp.web.test/,caIssuers;URI:http://ca.web.test/int.crt\n\
         crlDistributionPoints=URI:http://crl.web.test/int.crl,URI:http://crl2.web.test/int.crl\n"
    );
    std::fs::write(dir.join("leaf.ext"), leaf_ext).unwrap();
    // Root (RSA) -> intermediate (EC P-256) -> an RSA-2048 leaf and an EC P-384 leaf.
    sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 60 \
        -subj '/C=XX/O=netwalk lab/CN=Interop Root CA' -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>&1");
    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr \
        -subj '/C=XX/O=netwalk lab/CN=Interop Intermediate' 2>&1 && \
        openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 4660 -days 40 -sha256 \
        -extfile int.ext -out int.pem 2>&1");
    sh("openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj '/O=netwalk lab/CN=web.test' 2>&1 && \
        openssl x509 -req -in rsa.csr -CA int.pem -CAkey int.key -CAcreateserial -days 20 -sha256 \
        -extfile leaf.ext -out rsa.pem 2>&1 && cat rsa.pem int.pem > rsa-chain.pem");
    sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout ec.key -out ec.csr \
        -subj '/O=netwalk lab/OU=edge/CN=web.test' 2>&1 && \
        openssl x509 -req -in ec.csr -CA int.pem -CAkey int.key -CAcreateserial -days 10 -sha384 \
        -extfile leaf.ext -out ec.pem 2>&1 && cat ec.pem int.pem > ec-chain.pem");
    let conf = format!(
        "user root;\ndaemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 32; }}\n\
         http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n\
           fastcgi_temp_path {d}/tmp/fastcgi;\n  uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
           server {{ listen {addr}:8443 ssl http2; ssl_certificate {d}/rsa-chain.pem; ssl_certificate_key {d}/rsa.key;\n    ssl_protocols TLSv1.2; ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384; return 204; }}\n\
           server {{ listen {addr}:8444 ssl; ssl_certificate {d}/ec-chain.pem; ssl_certificate_key {d}/ec.key;\n    ssl_protocols TLSv1.3; return 204; }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let nginx =
        server.spawn_server("nginx", ["-p", &d, "-c", &format!("{d}/nginx.conf"), "-e", &format!("{d}/error.log")]);
    for port in [8443, 8444] {
        wait_listening(&client, SocketAddr::new(addr, port));
    }
    assert!(nginx.is_running(), "nginx: {}", std::fs::read_to_string(dir.join("error.log")).unwrap_or_default());
    let ca = format!("{d}/root.pem");
    for (port, leaf, kind, subject) in [
        (8443, "rsa.pem", "RSA", "O=netwalk lab, CN=web.test"),
        (8444, "ec.pem", "EC", "O=netwalk lab, OU=edge, CN=web.test"),
    ] {
        let args = ["--json", "tls-inspect", "--ca-file", &ca, "--alpn", "h2,http/1.1", &format!("web.test:{port}")];
        let out = netwalk(&client, &args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
        let a = &json(&out)["addresses"][0];
        assert_eq!(a["verdict"]["status"], "trusted");
        assert_eq!(
            a["verdict"]["verified_chain"],
            serde_json::json!([
                subject,
                "C=XX, O=netwalk lab, CN=Interop Intermediate",
                "C=XX, O=netwalk lab, CN=Interop Root CA"
            ]),
            "{a}"
        );
        // nginx 1.22 defaults to TLS 1.2 and below; each server names its versions.
        let (version, suite) = if port == 8443 {
            ("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
        } else {
            ("TLSv1.3", "TLS13_AES_256_GCM_SHA384")
        };
        assert_eq!(a["handshake"]["version"], version, "{a}");
        assert_eq!(a["handshake"]["cipher_suite"], suite, "{a}");
        assert_eq!(
            a["handshake"]["alpn"],
            if port == 8443 { "h2" } else { "http/1.1" },
            "nginx offers h2 on 8443 only"
        );
        assert_eq!(a["ocsp"], Value::Null);
        let served = a["certificates"].as_array().unwrap();
        assert_eq!(served.len(), 2, "leaf and intermediate, as nginx serves them");
        for (cert, file) in served.iter().zip([leaf, "int.pem"]) {
            assert_eq!(netwalk_view(cert), openssl_view(&server, &d, file), "{file} on port {port}");
        }
        assert_eq!(served[0]["key"]["kind"], kind);
        // netwalk's expiry: the leaf, and the earliest in the served chain (the leaf here).
        assert_eq!(a["expiry"]["leaf"]["not_after"], served[0]["not_after"]);
        assert_eq!(a["expiry"]["served_earliest"]["not_after"], served[0]["not_after"]);
    }
    drop(lab);
}

// ---------------------------------------------------------------- STARTTLS

/// One CRLF line, read a byte at a time so nothing of the TLS that follows is consumed.
fn smtp_line(s: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while s.read(&mut byte).is_ok_and(|n| n == 1) && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).trim_end_matches('\r').to_string()
}

/// A lab SMTP greeter (the RFC 3207 dialogue) on `addr` in `server`; after
/// "220 Ready to start TLS" it relays the connection to `tls`, an openssl
/// s_server on the server's loopback (s_server has no STARTTLS of its own:
/// `-starttls` is an s_client option). Each connection is handled
/// independently, so the prober's many connections work too.
fn smtp_greeter(server: &Host, addr: SocketAddr, tls: SocketAddr) {
    use std::io::Write;
    let listener = server.tcp_listener(addr);
    let server = server.clone();
    std::thread::spawn(move || {
        while let Ok((mut c, _)) = listener.accept() {
            let upstream = server.socket(libc::AF_INET, libc::SOCK_STREAM, 0, None);
            std::thread::spawn(move || {
                c.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
                let _ = c.write_all(b"220-mx.test ESMTP lab greeter\r\n220 ready\r\n");
                if !smtp_line(&mut c).starts_with("EHLO ") {
                    return;
                }
                let _ = c.write_all(b"250-mx.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n");
                if smtp_line(&mut c) != "STARTTLS" {
                    return;
                }
                let _ = c.write_all(b"220 2.0.0 Ready to start TLS\r\n");
                let upstream = socket2::Socket::from(upstream);
                upstream.connect(&tls.into()).expect("connect to openssl s_server");
                let mut t = std::net::TcpStream::from(upstream);
                let (mut c2, mut t2) = (c.try_clone().unwrap(), t.try_clone().unwrap());
                let back = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut t2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut c, &mut t);
                let _ = t.shutdown(std::net::Shutdown::Write);
                let _ = back.join();
            });
        }
    });
}

#[test]
fn starttls_smtp_through_a_lab_greeter_to_openssl() {
    let (lab, client, server, addr) = setup();
    client.set_hosts_entry("mx.test", addr);
    let tls: SocketAddr = "127.0.0.1:4465".parse().unwrap();
    let _s = s_server(
        &server,
        tls,
        "-cert DIR/ec.pem -key DIR/ec.key -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -groups P-384 -quiet",
    );
    wait_listening(&server, tls);
    smtp_greeter(&server, SocketAddr::new(addr, 25), tls);
    let ca = server.dir().join("root.pem").display().to_string();
    let out = netwalk(
        &client,
        &[
            "--json",
            "tls-inspect",
            "--ca-file",
            &ca,
            "--starttls",
            "smtp",
            "--servername",
            "web.test",
            "--enumerate",
            "mx.test",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let doc = json(&out);
    assert_eq!(doc["port"], 25, "SMTP's port by default");
    let a = &doc["addresses"][0];
    let transcript: Vec<&str> = a["starttls"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(transcript.first(), Some(&"S: 220-mx.test ESMTP lab greeter"), "{transcript:?}");
    assert!(transcript.iter().any(|l| l.starts_with("C: EHLO ")), "{transcript:?}");
    assert!(transcript.contains(&"S: 250 STARTTLS"), "{transcript:?}");
    assert!(transcript.contains(&"C: STARTTLS"), "{transcript:?}");
    assert_eq!(transcript.last(), Some(&"S: 220 2.0.0 Ready to start TLS"));
    // Handshake facts as openssl was told to negotiate them.
    let h = &a["handshake"];
    assert_eq!(h["version"], "TLSv1.2");
    assert_eq!(h["cipher_suite"], "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    assert_eq!(h["key_exchange_group"], "secp384r1", "{h}");
    assert_eq!(h["sni"], "web.test", "--servername, not the host connected to");
    assert_eq!(a["verdict"]["status"], "trusted", "{a}");
    let fp = openssl(&server, "x509 -in ec.pem -noout -fingerprint -sha256");
    assert_eq!(a["certificates"][0]["sha256"], fp.trim().split_once('=').unwrap().1);
    // Every probe of the enumeration went through the SMTP dialogue as well.
    let e = &a["enumeration"];
    let accepted = accepted_versions(e);
    assert_eq!(accepted, ["TLSv1.2"], "{e}");
    let suites = suite_names(e, 3);
    assert_eq!(suites, ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]);
    assert_eq!(e["groups"], serde_json::json!(["secp384r1"]), "{e}");
    drop(lab);
}
