//! The JSON contract: every command's `--json` document, from a real peer in
//! the lab, passing and failing, validates against its file in schemas/ and
//! carries the contract's version.

use crate::lab;
use crate::{dhcp_discover, explain, hsts_check, http_peers};

use lab::cli::{code, stderr};
use lab::{Host, Lab};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");
/// Every command with a `--json` document (serve answers Prometheus, lab passes its command's through).
const COMMANDS: &[&str] =
    &["tcping", "traceroute", "arp", "dhcp-discover", "dig", "tls-inspect", "hsts-check", "http", "explain"];

fn schema(command: &str) -> Value {
    let path = format!("{}/schemas/{command}.schema.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs `netwalk --json ARGS` on `host`: the exit code must be `want` and
/// stdout one document that validates against the command's schema.
fn check(host: &Host, args: &[&str], want: i32) -> Value {
    let command = args[0];
    let out = host.command(NETWALK).arg("--json").args(args).output().expect("run netwalk");
    assert_eq!(code(&out), want, "{args:?}: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{args:?}: not one JSON document ({e}): {:?}", String::from_utf8_lossy(&out.stdout))
    });
    let validator = jsonschema::options().should_validate_formats(true).build(&schema(command)).expect("compiles");
    let mut errors: Vec<String> =
        validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    if !errors.is_empty() {
        // oneOf says only "no match": say where the document leaves the report's shape.
        let mut report = schema(command);
        report["$ref"] = "#/$defs/report".into();
        report.as_object_mut().unwrap().remove("oneOf");
        let validator = jsonschema::options().build(&report).expect("compiles");
        errors.extend(validator.iter_errors(&doc).map(|e| format!("report: {e} at {}", e.instance_path())));
    }
    assert!(errors.is_empty(), "{args:?} against schemas/{command}.schema.json: {errors:#?}\n{doc:#}");
    assert_eq!(doc["schema_version"], 1, "{args:?}");
    if let Some(passed) = doc.get("passed") {
        assert_eq!(passed, want == 0, "{args:?}: {doc:#}");
    }
    doc
}

/// A failure before any verdict: the document names the error and its exit code.
fn check_error(host: &Host, args: &[&str], want: i32, says: &str) {
    let doc = check(host, args, want);
    assert_eq!(doc["command"], args[0], "{doc:#}");
    assert_eq!(doc["error"]["exit_code"], want, "{doc:#}");
    assert!(doc["error"]["message"].as_str().unwrap().contains(says), "{args:?}: {doc:#}");
}

#[test]
fn every_commands_json_passing_and_failing_matches_its_schema() {
    // Each schema is a draft 2020-12 document that compiles.
    for command in COMMANDS {
        let schema = schema(command);
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{command}");
        jsonschema::options().build(&schema).unwrap_or_else(|e| panic!("{command}: {e}"));
    }

    // client and server on one bridge; the server runs DNS (example.test),
    // HTTP on 80, HTTPS on 443 and, once asked, DHCP; nothing listens on 8081.
    let lab = Lab::new();
    let lan = lab.switch("lan");
    let (client, server) = (lab.host("client"), lab.host("server"));
    lab.attach(&client, &lan, "198.18.5.1/24,2001:db8:5::1/64");
    lab.attach(&server, &lan, "198.18.5.2/24,2001:db8:5::2/64");
    let addr: IpAddr = "198.18.5.2".parse().unwrap();
    explain::start_dns(&server, addr);
    let pki = http_peers::pki(&["www.example.test", "web.example.test"]);
    let plain = server.tcp_listener(SocketAddr::new(addr, 80));
    let tls = server.tcp_listener(SocketAddr::new(addr, 443));
    let _seen = http_peers::serve(vec![plain], vec![tls], Some(&pki));
    client.set_resolv_conf(&format!("nameserver {addr}\n"));
    let ca = lab.dir().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let ca = ca.to_str().unwrap();

    check(&client, &["tcping", "-c", "2", "-i", "20ms", "web.example.test:80", "198.18.5.2:443"], 0);
    check(&client, &["tcping", "-c", "1", "198.18.5.2:8081"], 1);
    check_error(&client, &["tcping", "-c", "1", "nosuch.example.test"], 2, "cannot resolve 'nosuch.example.test'");

    check(&client, &["traceroute", "-n", "-q", "1", "--timeout", "1s", "198.18.5.2"], 0);
    check(&client, &["traceroute", "-n", "-q", "1", "-m", "2", "--timeout", "300ms", "198.18.5.99"], 1);
    check_error(&client, &["traceroute", "nosuch.example.test"], 2, "cannot resolve 'nosuch.example.test'");

    check(&client, &["arp", "-c", "1", "198.18.5.2"], 0);
    check(&client, &["arp", "-c", "1", "--timeout", "300ms", "198.18.5.99"], 1);

    // No DHCP server yet, then one.
    check(&client, &["dhcp-discover", "--timeout", "1s"], 1);
    let _dhcp: dhcp_discover::Seen =
        dhcp_discover::serve(&server, "198.18.5.2".parse().unwrap(), dhcp_discover::Behaviour::Offer);
    check(&client, &["dhcp-discover", "--timeout", "1s"], 0);

    check(&client, &["dig", "@198.18.5.2", "web.example.test", "A"], 0);
    check(&client, &["dig", "@198.18.5.9", "+time=1", "+tries=1", "web.example.test", "A"], 1);
    let missing = lab.dir().join("missing-batch-file");
    check_error(&client, &["dig", "-f", missing.to_str().unwrap()], 2, "cannot read -f");

    check(&client, &["tls-inspect", "--ca-file", ca, "www.example.test"], 0);
    check(&client, &["tls-inspect", "www.example.test"], 1);
    check_error(&client, &["tls-inspect", "198.18.5.2:8081"], 1, "connection refused");

    check(&client, &["http", "http://www.example.test/"], 0);

    check(&client, &["explain", "--timeout", "2s", "--ca-file", ca, "https://www.example.test/"], 0);
    check(&client, &["explain", "--timeout", "1s", "http://198.18.5.2:8081/"], 1);

    let sites = hsts_check::sites();
    let ca = sites.ca.to_str().unwrap();
    check(&sites.client, &["hsts-check", "--ca-file", ca, "ok.test"], 0);
    check(&sites.client, &["hsts-check", "--ca-file", ca, "nohdr.test"], 1);
}
