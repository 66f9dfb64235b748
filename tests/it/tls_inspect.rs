//! tls-inspect against real TLS peers in the lab: tokio-rustls servers on
//! sockets made inside a lab host, certificates generated here with rcgen.

use crate::lab;
use crate::tlslab;

use lab::cli::{accepted_versions, assert_refused, code, json, netwalk, stderr, stdout, suite_names};
use lab::{Host, Lab};
use rcgen::SanType;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tlslab::{Leaf, ServerSpec, days, intermediate, pem, root, serve};

fn sha256(der: &[u8]) -> String {
    netwalk::commands::tls_inspect::cert::colon_hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// client — server; the client knows web.test (and friends) by the server's address.
struct Net {
    lab: Lab,
    client: Host,
    server: Host,
    addr: IpAddr,
}

fn net() -> Net {
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr = lab.addr_of("server", 4);
    for name in ["web.test", "a.web.test", "mx.test"] {
        client.set_hosts_entry(name, addr);
    }
    Net { lab, client, server, addr }
}

impl Net {
    fn listen(&self, port: u16) -> std::net::TcpListener {
        self.server.tcp_listener(SocketAddr::new(self.addr, port))
    }

    /// Writes a CA file into the lab directory and returns its path.
    fn ca_file(&self, name: &str, certs: &[&rustls::pki_types::CertificateDer<'_>]) -> String {
        let path = self.lab.dir().join(name);
        std::fs::write(&path, pem(certs)).unwrap();
        path.display().to_string()
    }
}

/// A DER OCSPResponse (RFC 6960) saying "good", built by hand: rcgen makes no OCSP.
fn ocsp_good(produced: &str, this: &str, next: &str) -> Vec<u8> {
    fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
        let body = parts.concat();
        let mut out = vec![tag];
        if body.len() < 0x80 {
            out.push(body.len() as u8);
        } else {
            out.extend([0x82, (body.len() >> 8) as u8, body.len() as u8]);
        }
        out.extend(body);
        out
    }
    let sha1 = tlv(0x30, &[&tlv(0x06, &[&[0x2b, 0x0e, 0x03, 0x02, 0x1a]]), &[0x05, 0x00]]);
    let cert_id = tlv(0x30, &[&sha1, &tlv(0x04, &[&[0x11; 20]]), &tlv(0x04, &[&[0x22; 20]]), &tlv(0x02, &[&[0x01]])]);
    let single = tlv(
        0x30,
        &[&cert_id, &[0x80, 0x00], &tlv(0x18, &[this.as_bytes()]), &tlv(0xa0, &[&tlv(0x18, &[next.as_bytes()])])],
    );
    let tbs = tlv(
        0x30,
        &[&tlv(0xa2, &[&tlv(0x04, &[&[0x33; 20]])]), &tlv(0x18, &[produced.as_bytes()]), &tlv(0x30, &[&single])],
    );
    let alg = tlv(0x30, &[&tlv(0x06, &[&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]])]);
    let basic = tlv(0x30, &[&tbs, &alg, &tlv(0x03, &[&[0x00; 65]])]);
    let oid = tlv(0x06, &[&[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01]]);
    tlv(0x30, &[&[0x0a, 0x01, 0x00], &tlv(0xa0, &[&tlv(0x30, &[&oid, &tlv(0x04, &[&basic])])])])
}

#[test]
fn trusted_chain_every_fact_and_the_ocsp_staple() {
    let n = net();
    let root = root("Lab Root");
    let inter = intermediate("Lab Intermediate", &root, days(400));
    let leaf = Leaf::new("web.test").sans(vec![
        SanType::DnsName("web.test".try_into().unwrap()),
        SanType::DnsName("www.web.test".try_into().unwrap()),
        SanType::IpAddress(n.addr),
        SanType::Rfc822Name("ops@web.test".try_into().unwrap()),
        SanType::URI("https://web.test/".try_into().unwrap()),
    ]);
    let (leaf_der, key) = leaf.signed(&inter);
    let mut spec = ServerSpec::new(vec![leaf_der.clone(), inter.der().clone()], key);
    spec.ocsp = ocsp_good("20250101120000Z", "20250101000000Z", "20250108000000Z");
    spec.alpn = vec![b"h2".to_vec()];
    let seen = serve(n.listen(443), spec);
    let ca = n.ca_file("root.pem", &[root.der()]);

    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--alpn", "h2,http/1.1", "web.test"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(
        seen.recv_timeout(Duration::from_secs(5)).unwrap().as_deref(),
        Some("web.test"),
        "the server got our SNI"
    );
    let a = &doc["addresses"][0];
    assert_eq!(a["address"], format!("{}:443", n.addr));
    assert!(a["connect_ms"].as_f64().unwrap() > 0.0);
    let h = &a["handshake"];
    assert_eq!(h["version"], "TLSv1.3");
    assert_eq!(h["cipher_suite"], "TLS13_AES_256_GCM_SHA384");
    assert_eq!(h["key_exchange_group"], "x25519");
    assert_eq!(h["alpn"], "h2");
    assert_eq!(h["kind"], "full");
    assert_eq!(h["sni"], "web.test");
    assert!(h["handshake_ms"].as_f64().unwrap() > 0.0);

    let certs = a["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2);
    let l = &certs[0];
    assert_eq!(l["subject"], "CN=web.test, O=netwalk lab");
    assert_eq!(l["issuer"], "CN=Lab Intermediate, O=netwalk lab");
    assert_eq!(l["sans"]["dns"], serde_json::json!(["web.test", "www.web.test"]));
    assert_eq!(l["sans"]["ip"], serde_json::json!([n.addr.to_string()]));
    assert_eq!(l["sans"]["email"], serde_json::json!(["ops@web.test"]));
    assert_eq!(l["sans"]["uri"], serde_json::json!(["https://web.test/"]));
    assert_eq!(l["key"]["kind"], "EC");
    assert_eq!(l["key"]["curve"], "P-256");
    assert_eq!(l["key"]["bits"], 256);
    assert_eq!(l["signature_algorithm"], "ecdsa-with-SHA256");
    assert_eq!(l["key_usage"], serde_json::json!(["digitalSignature"]));
    assert_eq!(l["extended_key_usage"], serde_json::json!(["serverAuth"]));
    assert_eq!(l["ca"], false);
    assert_eq!(l["sha256"], sha256(&leaf_der));
    assert_eq!(l["days_left"], 90);
    assert_eq!(certs[1]["ca"], true);
    assert_eq!(certs[1]["path_len"], 0);
    assert_eq!(certs[1]["sha256"], sha256(inter.der()));

    let v = &a["verdict"];
    assert_eq!((v["trusted"].as_bool(), v["status"].as_str()), (Some(true), Some("trusted")), "{v}");
    assert_eq!(
        v["verified_chain"],
        serde_json::json!([
            "CN=web.test, O=netwalk lab",
            "CN=Lab Intermediate, O=netwalk lab",
            "CN=Lab Root, O=netwalk lab"
        ])
    );
    let o = &a["ocsp"];
    assert_eq!(o["response_status"], "successful");
    assert_eq!(o["cert_status"], "good");
    assert_eq!(o["produced_at"], 1_735_732_800);
    assert_eq!(o["next_update"], 1_736_294_400);
    // The hand-built staple is about another serial and unsigned: said so, not trusted blindly.
    assert_eq!(a["ocsp_signature"]["valid"], false, "{a}");
    // Leaf 89 days; the root (from the CA file) is in the verified path and lasts longer.
    let e = &a["expiry"];
    assert_eq!(e["leaf"]["days_left"], 90);
    assert_eq!(e["served_earliest"]["subject"], "CN=web.test, O=netwalk lab");
    assert_eq!(e["verified_earliest"]["days_left"], 90);
    assert_eq!(doc["passed"], true);

    // The human report says the same; --pem writes exactly the served chain.
    let text = netwalk(&n.client, &["tls-inspect", "--ca-file", &ca, "web.test"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("verdict         trusted"), "{text}");
    assert!(text.contains("ocsp staple     successful good, produced 2025-01-01T12:00:00Z"), "{text}");
    let pem_out = netwalk(&n.client, &["tls-inspect", "--pem", "--ca-file", &ca, "web.test"]);
    assert_eq!(String::from_utf8_lossy(&pem_out.stdout), pem(&[&leaf_der, inter.der()]));
}

/// Serves each leaf on its own port and returns the verdict netwalk gives.
fn verdict_of(n: &Net, port: u16, spec: ServerSpec, args: &[&str]) -> (i32, Value) {
    let _seen = serve(n.listen(port), spec);
    let target = format!("web.test:{port}");
    let mut all = vec!["--json", "tls-inspect"];
    all.extend(args);
    all.push(&target);
    let out = netwalk(&n.client, &all);
    let doc = json(&out);
    (code(&out), doc["addresses"][0].clone())
}

#[test]
fn each_untrusted_chain_gets_its_precise_reason() {
    let n = net();
    let root = root("Lab Root");
    let inter = intermediate("Lab Intermediate", &root, days(400));
    let ca_root = n.ca_file("root.pem", &[root.der()]);
    let ca_both = n.ca_file("root-and-intermediate.pem", &[root.der(), inter.der()]);
    let served = |leaf: Leaf| {
        let (der, key) = leaf.signed(&inter);
        ServerSpec::new(vec![der, inter.der().clone()], key)
    };

    let (rc, a) =
        verdict_of(&n, 1001, served(Leaf::new("web.test").valid(days(-30), days(-2))), &["--ca-file", &ca_root]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (1, Some("expired")), "{a}");
    let detail = a["verdict"]["reasons"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("the leaf (CN=web.test, O=netwalk lab) expired on ") && detail.ends_with(", 2 days ago"),
        "{detail}"
    );
    assert_eq!(a["certificates"].as_array().unwrap().len(), 2, "the chain is shown even when untrusted");

    let (rc, a) =
        verdict_of(&n, 1002, served(Leaf::new("web.test").valid(days(3), days(30))), &["--ca-file", &ca_root]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (1, Some("not_yet_valid")), "{a}");

    let (rc, a) = verdict_of(&n, 1003, served(Leaf::new("other.test")), &["--ca-file", &ca_root]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (1, Some("hostname_mismatch")), "{a}");
    assert_eq!(a["verdict"]["reasons"][0]["detail"], "the leaf is not valid for web.test; it names other.test");

    let (der, key) = Leaf::new("web.test").self_signed();
    let (rc, a) = verdict_of(&n, 1004, ServerSpec::new(vec![der], key), &["--ca-file", &ca_root]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (1, Some("self_signed")), "{a}");

    // certigo #132: the server forgets the intermediate; the store has it.
    let (der, key) = Leaf::new("web.test").signed(&inter);
    let (rc, a) = verdict_of(&n, 1005, ServerSpec::new(vec![der.clone()], key), &["--ca-file", &ca_both]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (1, Some("incomplete_chain")), "{a}");
    assert!(
        a["verdict"]["reasons"][0]["detail"].as_str().unwrap().contains("does not send CN=Lab Intermediate"),
        "{a}"
    );
    assert_eq!(a["verdict"]["verified_chain"].as_array().unwrap().len(), 3, "the store completes the path");

    // Same server, but the store lacks the intermediate: the chain is
    // incomplete, and the report names the missing issuer and where to get it.
    let (der2, key2) = Leaf::new("web.test").ca_issuers("http://pki.test/inter.der").signed(&inter);
    let (rc, a) = verdict_of(&n, 1006, ServerSpec::new(vec![der2], key2), &["--ca-file", &ca_root]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (1, Some("incomplete_chain")), "{a}");
    assert_eq!(
        a["verdict"]["reasons"][0]["detail"],
        "the served chain ends at 'CN=web.test, O=netwalk lab', whose issuer 'CN=Lab Intermediate, O=netwalk lab' \
         is neither served nor in the store; its caIssuers URL is http://pki.test/inter.der"
    );
    // A served root nobody trusts: unknown issuer, named.
    let other = tlslab::root("Other Root");
    let (der3, key3) = Leaf::new("web.test").signed(&other);
    let spec = ServerSpec::new(vec![der3, other.der().clone()], key3);
    let (rc, a) = verdict_of(&n, 1007, spec, &["--ca-file", &ca_root]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (1, Some("unknown_issuer")), "{a}");
    assert!(a["verdict"]["reasons"][0]["detail"].as_str().unwrap().contains("'CN=Other Root, O=netwalk lab'"), "{a}");
    let _ = der;
}

#[test]
fn verdict_fixes_and_options_no_verify_name_at_max_depth() {
    let n = net();
    n.client.set_hosts_entry("my_host.test", n.addr);
    let root = root("Lab Root");
    let key_pem = tlslab::key(&rcgen::PKCS_ECDSA_P256_SHA256).serialize_pem();
    let inter = tlslab::intermediate_on("Lab Intermediate", &root, &key_pem, days(-1), days(400));
    let ca_root = n.ca_file("root.pem", &[root.der()]);

    // An extra expired cross-sign of the intermediate (by a retired root),
    // served next to the valid one: a valid path exists, so trusted.
    let old = tlslab::root("Retired Root");
    let cross = tlslab::intermediate_on("Lab Intermediate", &old, &key_pem, days(-900), days(-30));
    let (der, key) = Leaf::new("web.test").signed(&inter);
    let spec = ServerSpec::new(vec![der.clone(), cross.der().clone(), inter.der().clone()], key);
    let (rc, a) = verdict_of(&n, 3001, spec, &["--ca-file", &ca_root]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (0, Some("trusted")), "{a}");
    assert_eq!(a["verdict"]["verified_chain"].as_array().unwrap().len(), 3);

    // A non-self-signed certificate in --ca-file is a trust anchor.
    let ca_inter = n.ca_file("inter.pem", &[inter.der()]);
    let (der, key) = Leaf::new("web.test").signed(&inter);
    let (rc, a) = verdict_of(&n, 3002, ServerSpec::new(vec![der], key), &["--ca-file", &ca_inter]);
    assert_eq!((rc, a["verdict"]["status"].as_str()), (0, Some("trusted")), "{a}");

    // Names with underscores, as openssl accepts them.
    let (der, key) = Leaf::new("my_host.test").signed(&root);
    let _u = serve(n.listen(3003), ServerSpec::new(vec![der], key));
    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca_root, "my_host.test:3003"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["addresses"][0]["handshake"]["sni"], "my_host.test");

    // --no-verify-name: a certificate for another name is otherwise fine.
    let (der, key) = Leaf::new("other.test").signed(&root);
    let _o = serve(n.listen(3004), ServerSpec::new(vec![der], key));
    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca_root, "web.test:3004"]);
    assert_eq!(json(&out)["addresses"][0]["verdict"]["status"], "hostname_mismatch");
    let out =
        netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca_root, "--no-verify-name", "web.test:3004"]);
    assert_eq!((code(&out), json(&out)["addresses"][0]["verdict"]["status"].clone()), (0, Value::from("trusted")));

    // --at: an expired leaf was fine two weeks ago; a valid one is expired in a year.
    let (der, key) = Leaf::new("web.test").valid(days(-30), days(-2)).signed(&root);
    let _e = serve(n.listen(3005), ServerSpec::new(vec![der], key));
    let then = format!("@{}", days(-14).unix_timestamp());
    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca_root, "--at", &then, "web.test:3005"]);
    assert_eq!(json(&out)["addresses"][0]["verdict"]["status"], "trusted", "{}", stdout(&out));
    let later = (days(400).date()).to_string();
    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca_root, "--at", &later, "web.test:3001"]);
    assert_eq!(json(&out)["addresses"][0]["verdict"]["status"], "expired", "{}", stdout(&out));
    let bad = netwalk(&n.client, &["tls-inspect", "--at", "yesterday", "web.test:3001"]);
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));

    // --max-depth 0: one intermediate is one too many.
    let out =
        netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca_root, "--max-depth", "0", "web.test:3001"]);
    let a = &json(&out)["addresses"][0];
    assert_eq!((code(&out), a["verdict"]["status"].as_str()), (1, Some("chain_too_long")), "{a}");
}

#[test]
fn key_types_ip_san_and_wildcards() {
    let n = net();
    let root = root("Lab Root");
    let ca = n.ca_file("root.pem", &[root.der()]);
    type Case = (u16, rcgen::KeyPair, &'static str, u64, Option<&'static str>, &'static str);
    let cases: [Case; 5] = [
        (2001, tlslab::key(&rcgen::PKCS_ECDSA_P384_SHA384), "EC", 384, Some("P-384"), "ecdsa-with-SHA256"),
        (2002, tlslab::key(&rcgen::PKCS_ED25519), "Ed25519", 256, None, "ecdsa-with-SHA256"),
        (2003, tlslab::rsa_key(2048), "RSA", 2048, None, "ecdsa-with-SHA256"),
        (2004, tlslab::rsa_key(4096), "RSA", 4096, None, "ecdsa-with-SHA256"),
        (2005, tlslab::key(&rcgen::PKCS_ECDSA_P256_SHA256), "EC", 256, Some("P-256"), "ecdsa-with-SHA256"),
    ];
    for (port, key, kind, bits, curve, sig) in cases {
        let (der, key) = Leaf::with_key("web.test", key).signed(&root);
        let (rc, a) = verdict_of(&n, port, ServerSpec::new(vec![der], key), &["--ca-file", &ca]);
        assert_eq!(rc, 0, "{a}");
        let k = &a["certificates"][0]["key"];
        assert_eq!((k["kind"].as_str(), k["bits"].as_u64(), k["curve"].as_str()), (Some(kind), Some(bits), curve));
        assert_eq!(a["certificates"][0]["signature_algorithm"], sig, "the root (P-256) signed it");
    }

    // A certificate for the IP address itself, inspected by address.
    let (der, key) = Leaf::new("web.test").sans(vec![SanType::IpAddress(n.addr)]).signed(&root);
    let _s = serve(n.listen(2010), ServerSpec::new(vec![der], key));
    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, &format!("{}:2010", n.addr)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["addresses"][0]["handshake"]["sni"], Value::Null, "no SNI for an address");

    // *.web.test covers a.web.test but not web.test itself.
    let (der, key) = Leaf::new("web.test").sans(vec![SanType::DnsName("*.web.test".try_into().unwrap())]).signed(&root);
    let _w = serve(n.listen(2011), ServerSpec::new(vec![der], key));
    let ok = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "a.web.test:2011"]);
    assert_eq!(json(&ok)["addresses"][0]["verdict"]["status"], "trusted");
    let bad = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "web.test:2011"]);
    assert_eq!(json(&bad)["addresses"][0]["verdict"]["status"], "hostname_mismatch");
    // --servername picks the name to send and check; --no-sni sends none.
    let named =
        netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--servername", "b.web.test", "web.test:2011"]);
    let a = &json(&named)["addresses"][0];
    assert_eq!(
        (a["handshake"]["sni"].as_str(), a["verdict"]["status"].as_str()),
        (Some("b.web.test"), Some("trusted"))
    );
    let none = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--no-sni", "a.web.test:2011"]);
    assert_eq!(json(&none)["addresses"][0]["handshake"]["sni"], Value::Null);
}

#[test]
fn expires_within_gates_on_leaf_served_and_verified_chains() {
    let n = net();
    let root = root("Lab Root");
    // The intermediate expires in 20 days, before the 60-day leaf.
    let inter = intermediate("Short Intermediate", &root, days(20));
    let (der, key) = Leaf::new("web.test").valid(days(-1), days(60)).signed(&inter);
    let _s = serve(n.listen(443), ServerSpec::new(vec![der, inter.der().clone()], key));
    let ca = n.ca_file("root.pem", &[root.der()]);

    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--expires-within", "30d", "web.test"]);
    assert_eq!(code(&out), 1, "the intermediate expires inside 30 days");
    let e = &json(&out)["addresses"][0]["expiry"];
    assert_eq!(e["leaf"]["days_left"], 60);
    assert_eq!(e["served_earliest"]["subject"], "CN=Short Intermediate, O=netwalk lab");
    assert_eq!(e["served_earliest"]["days_left"], 20);
    assert_eq!(e["verified_earliest"]["days_left"], 20);
    assert_eq!(e["expiring"], serde_json::json!(["served_earliest", "verified_earliest"]));

    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--expires-within", "10d", "web.test"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--expires-within", "70d", "web.test"]);
    assert_eq!(
        json(&out)["addresses"][0]["expiry"]["expiring"],
        serde_json::json!(["leaf", "served_earliest", "verified_earliest"])
    );
}

fn read_line(stream: &mut std::net::TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while stream.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).trim_end().to_string()
}

fn smtp(s: &mut std::net::TcpStream) {
    s.write_all(b"220-mx.test ESMTP lab\r\n220 ready\r\n").unwrap();
    assert!(read_line(s).starts_with("EHLO "));
    s.write_all(b"250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n").unwrap();
    assert_eq!(read_line(s), "STARTTLS");
    s.write_all(b"220 2.0.0 Ready to start TLS\r\n").unwrap();
}

fn imap(s: &mut std::net::TcpStream) {
    s.write_all(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] lab ready\r\n").unwrap();
    let line = read_line(s);
    let tag = line.split(' ').next().unwrap().to_string();
    assert_eq!(line, format!("{tag} STARTTLS"));
    s.write_all(format!("{tag} OK Begin TLS negotiation now\r\n").as_bytes()).unwrap();
}

fn pop3(s: &mut std::net::TcpStream) {
    s.write_all(b"+OK POP3 lab ready\r\n").unwrap();
    assert_eq!(read_line(s), "STLS");
    s.write_all(b"+OK Begin TLS negotiation\r\n").unwrap();
}

fn read_exact(s: &mut std::net::TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).unwrap();
    buf
}

fn ftp(s: &mut std::net::TcpStream) {
    s.write_all(b"220-lab FTP\r\n220 ready\r\n").unwrap();
    assert_eq!(read_line(s), "AUTH TLS");
    s.write_all(b"234 AUTH TLS successful\r\n").unwrap();
}

fn lmtp(s: &mut std::net::TcpStream) {
    s.write_all(b"220 mx.test LMTP\r\n").unwrap();
    assert!(read_line(s).starts_with("LHLO "));
    s.write_all(b"250-mx.test\r\n250 STARTTLS\r\n").unwrap();
    assert_eq!(read_line(s), "STARTTLS");
    s.write_all(b"220 2.0.0 go ahead\r\n").unwrap();
}

fn nntp(s: &mut std::net::TcpStream) {
    s.write_all(b"200 news.test ready\r\n").unwrap();
    assert_eq!(read_line(s), "STARTTLS");
    s.write_all(b"382 Continue with TLS negotiation\r\n").unwrap();
}

fn sieve(s: &mut std::net::TcpStream) {
    s.write_all(b"\"IMPLEMENTATION\" \"lab\"\r\n\"SIEVE\" \"fileinto\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n").unwrap();
    assert_eq!(read_line(s), "STARTTLS");
    s.write_all(b"OK \"Begin TLS negotiation now\"\r\n").unwrap();
}

fn irc(s: &mut std::net::TcpStream) {
    s.write_all(b":irc.test NOTICE * :*** Looking up your hostname\r\n").unwrap();
    assert_eq!(read_line(s), "STARTTLS");
    s.write_all(b":irc.test 670 * :STARTTLS successful, proceed with TLS handshake\r\n").unwrap();
}

fn xmpp(s: &mut std::net::TcpStream) {
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("version='1.0'>") {
        seen.extend(read_exact(s, 1));
    }
    assert!(String::from_utf8_lossy(&seen).contains("to='mx.test'"));
    s.write_all(
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
          id='1' from='mx.test' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\
          <required/></starttls></stream:features>",
    )
    .unwrap();
    let ask = read_exact(s, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>".len());
    assert_eq!(ask, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    s.write_all(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").unwrap();
}

fn ldap(s: &mut std::net::TcpStream) {
    let request = read_exact(s, 31);
    assert_eq!(&request[9..], b"1.3.6.1.4.1.1466.20037");
    // ExtendedResponse: success, empty matchedDN and diagnostic, the responseName.
    let mut reply =
        vec![0x30, 0x24, 0x02, 0x01, 0x01, 0x78, 0x1f, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x8a, 0x16];
    reply.extend(b"1.3.6.1.4.1.1466.20037");
    s.write_all(&reply).unwrap();
}

fn postgres(s: &mut std::net::TcpStream) {
    assert_eq!(read_exact(s, 8), [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    s.write_all(b"S").unwrap();
}

fn mysql(s: &mut std::net::TcpStream) {
    let mut greeting = vec![10];
    greeting.extend(b"8.0.36-lab\0");
    greeting.extend([7, 0, 0, 0]);
    greeting.extend([b'x'; 8]);
    greeting.push(0);
    greeting.extend([0xff, 0xff, 0x2d, 0x02, 0x00, 0xff, 0xdf, 21]);
    greeting.extend([0; 10]);
    greeting.extend([b'y'; 12]);
    greeting.push(0);
    greeting.extend(b"caching_sha2_password\0");
    let mut packet = vec![greeting.len() as u8, 0, 0, 0];
    packet.extend(&greeting);
    s.write_all(&packet).unwrap();
    let ssl_request = read_exact(s, 36);
    assert_eq!(&ssl_request[..4], [32, 0, 0, 1]);
    assert_ne!(u32::from_le_bytes(ssl_request[4..8].try_into().unwrap()) & 0x0800, 0, "CLIENT_SSL");
}

#[test]
fn starttls_every_protocol_through_a_lab_dialogue() {
    let n = net();
    let root = root("Lab Root");
    let ca = n.ca_file("root.pem", &[root.der()]);
    for (port, proto, dialogue, last) in [
        (25u16, "smtp", smtp as fn(&mut std::net::TcpStream), "S: 220 2.0.0 Ready to start TLS"),
        (143, "imap", imap, "S: a001 OK Begin TLS negotiation now"),
        (110, "pop3", pop3, "S: +OK Begin TLS negotiation"),
        (21, "ftp", ftp, "S: 234 AUTH TLS successful"),
        (24, "lmtp", lmtp, "S: 220 2.0.0 go ahead"),
        (119, "nntp", nntp, "S: 382 Continue with TLS negotiation"),
        (4190, "sieve", sieve, "S: OK \"Begin TLS negotiation now\""),
        (6667, "irc", irc, "S: :irc.test 670 * :STARTTLS successful, proceed with TLS handshake"),
        (5222, "xmpp", xmpp, "S: <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        (389, "ldap", ldap, "S: ExtendedResponse resultCode 0"),
        (5432, "postgres", postgres, "S: S"),
        (3306, "mysql", mysql, "C: SSL request"),
    ] {
        let (der, key) = Leaf::new("mx.test").signed(&root);
        let mut spec = ServerSpec::new(vec![der], key);
        spec.starttls = Some(dialogue);
        let seen = serve(n.listen(port), spec);
        // No port given: the protocol's own.
        let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--starttls", proto, "mx.test"]);
        assert_eq!(code(&out), 0, "{proto}: {}", stderr(&out));
        let a = &json(&out)["addresses"][0];
        assert_eq!(a["address"], format!("{}:{port}", n.addr));
        assert_eq!(a["starttls"].as_array().unwrap().last().unwrap(), last);
        assert_eq!(a["verdict"]["status"], "trusted");
        assert_eq!(seen.recv_timeout(Duration::from_secs(5)).unwrap().as_deref(), Some("mx.test"));
    }
}

#[test]
fn enumerate_finds_exactly_the_configured_versions_suites_and_groups() {
    let n = net();
    let root = root("Lab Root");
    let (der, key) = Leaf::new("web.test").signed(&root);
    let mut spec = ServerSpec::new(vec![der], key);
    use rustls::crypto::ring::{cipher_suite as cs, kx_group};
    spec.suites = Some(vec![
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS13_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ]);
    spec.groups = Some(vec![kx_group::SECP384R1, kx_group::X25519]);
    spec.server_order = true;
    let _s = serve(n.listen(443), spec);
    let ca = n.ca_file("root.pem", &[root.der()]);

    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--enumerate", "web.test"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let e = &json(&out)["addresses"][0]["enumeration"];
    let accepted = accepted_versions(e);
    assert_eq!(accepted, ["TLSv1.2", "TLSv1.3"]);
    let suites = |i: usize| suite_names(e, i);
    assert_eq!(suites(3), ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]);
    assert_eq!(suites(4), ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]);
    assert_eq!(e["versions"][3]["server_order"], true);
    assert_eq!(e["versions"][4]["server_order"], true);
    assert_eq!(e["versions"][1]["refused"], "alert handshake_failure", "rustls refuses TLS 1.0 this way");
    assert_eq!(e["groups"], serde_json::json!(["x25519", "secp384r1"]));
    assert_eq!(e["groups_via"], "TLSv1.3");
}

/// A raw server in the lab that runs `behave` on each connection.
fn raw_server(n: &Net, port: u16, behave: fn(std::net::TcpStream)) {
    let listener = n.listen(port);
    std::thread::spawn(move || {
        while let Ok((stream, _)) = listener.accept() {
            std::thread::spawn(move || behave(stream));
        }
    });
}

#[test]
fn hostile_servers_get_a_clear_error_in_bounded_time() {
    let n = net();
    // Garbage instead of a ServerHello.
    raw_server(&n, 3001, |mut s| {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    // Accepts and never answers.
    raw_server(&n, 3002, |s| {
        std::thread::sleep(Duration::from_secs(10));
        drop(s);
    });
    // A handshake record that announces a 100 KB Certificate and trickles it.
    raw_server(&n, 3003, |mut s| {
        let mut buf = [0u8; 2048];
        let _ = s.read(&mut buf);
        let mut msg = vec![0x16, 0x03, 0x03, 0x40, 0x00, 0x0b, 0x01, 0x86, 0xa0];
        msg.extend(vec![0x30; 0x4000 - 4]);
        for _ in 0..7 {
            if s.write_all(&msg).is_err() {
                return;
            }
            msg.truncate(5);
            msg.extend(vec![0x30; 0x4000]);
        }
        std::thread::sleep(Duration::from_secs(10));
    });

    // The whole message, word for word: what went wrong, where, and a hint.
    for (port, expected) in [
        (
            3001,
            "web.test:3001: the server sent something that is not a valid TLS handshake (InvalidContentType): is this port TLS?",
        ),
        (3002, "web.test:3002: the TLS handshake did not finish within 500ms"),
        (
            3003,
            "web.test:3003: the server announced a TLS handshake message larger than 64 KiB, rustls' limit: refused without buffering it",
        ),
    ] {
        let started = Instant::now();
        let out = netwalk(&n.client, &["tls-inspect", "--timeout", "500ms", &format!("web.test:{port}")]);
        let err = stderr(&out);
        assert_eq!(code(&out), 1, "{port}: {err}");
        assert_eq!(err.lines().collect::<Vec<_>>(), [format!("netwalk: error: {expected}")], "{port}");
        assert!(started.elapsed() < Duration::from_secs(4), "{port}: bounded time");
    }
    // The prober meets the same garbage: an error, not a hang or a panic.
    let out = netwalk(
        &n.client,
        &["--json", "tls-inspect", "--all-addresses", "--enumerate", "--timeout", "500ms", "web.test:3001"],
    );
    assert_eq!(code(&out), 1);
    assert!(json(&out)["addresses"][0]["error"].as_str().unwrap().contains("not a valid TLS handshake"));
}

#[test]
fn bad_input_is_a_one_line_usage_error() {
    let n = net();
    let missing = n.lab.dir().join("missing.pem").display().to_string();
    let not_pem = n.lab.dir().join("junk.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let not_pem = not_pem.display().to_string();
    // Unreadable: root reads any mode, so a directory stands in for a file it cannot read.
    let dir = n.lab.dir().display().to_string();
    for (args, needle) in [
        (vec!["tls-inspect", "-p", "0", "web.test"], "'0' for '--port <PORT>'"),
        (vec!["tls-inspect", "-p", "https", "web.test"], "'https' for '--port <PORT>'"),
        (vec!["tls-inspect", "--timeout", "soon", "web.test"], "'soon' for '--timeout <DURATION>'"),
        (vec!["tls-inspect", "web.test:99999"], "out of range"),
        (vec!["tls-inspect", "--expires-within", "30 fortnights", "web.test"], "not a duration"),
        (vec!["tls-inspect", "--ca-file", &missing, "web.test"], "missing.pem: No such file"),
        (vec!["tls-inspect", "--ca-file", &not_pem, "web.test"], "no CERTIFICATE blocks"),
        (vec!["tls-inspect", "--ca-file", &dir, "web.test"], "Is a directory"),
        (vec!["tls-inspect", "--starttls", "gopher", "web.test"], "gopher"),
        (vec!["tls-inspect", "--servername", "a..b", "web.test"], "not a valid host name"),
    ] {
        assert_refused(&format!("{args:?}"), &netwalk(&n.client, &args), 2, needle);
    }
    // Nothing listening: it ran and the target failed, exit 1.
    let out = netwalk(&n.client, &["tls-inspect", "web.test:4444"]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("connection refused"), "{}", stderr(&out));
}

#[test]
fn all_addresses_side_by_side() {
    let n = net();
    let root = root("Lab Root");
    let ca = n.ca_file("root.pem", &[root.der()]);
    let v6 = n.lab.addr_of("server", 6);
    n.client.set_hosts_entry("dual.test", v6);
    let (der, key) = Leaf::new("dual.test").signed(&root);
    let _a = serve(n.listen(443), ServerSpec::new(vec![der], key));
    let (der6, key6) = Leaf::new("dual.test").valid(days(-10), days(-1)).signed(&root);
    let _b = serve(n.server.tcp_listener(SocketAddr::new(v6, 443)), ServerSpec::new(vec![der6], key6));
    n.client.set_hosts_entry("dual.test", n.addr);
    let out = netwalk(&n.client, &["--json", "tls-inspect", "--ca-file", &ca, "--all-addresses", "dual.test"]);
    assert_eq!(code(&out), 1, "one address serves an expired certificate");
    let doc = json(&out);
    let statuses: Vec<(String, String)> = doc["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["address"].as_str().unwrap().to_string(), a["verdict"]["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(statuses.len(), 2, "{doc}");
    assert!(statuses.contains(&(format!("{}:443", n.addr), "trusted".into())), "{statuses:?}");
    assert!(statuses.contains(&(format!("[{v6}]:443"), "expired".into())), "{statuses:?}");
    let text = netwalk(&n.client, &["tls-inspect", "--ca-file", &ca, "--all-addresses", "dual.test"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("leaf sha256") && text.contains("expired") && text.contains("trusted"), "{text}");
    let _ = BufReader::new(std::io::empty()).lines();
}
