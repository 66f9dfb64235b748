//! traceroute against real kernel routers in the lab: the hop list equals the
//! topology, silent and prohibiting routers, ECMP, a lower-MTU link, and a
//! host that sends bogus time-exceeded messages.

mod lab;

use lab::{Host, Lab};
use serde_json::Value;
use std::net::IpAddr;
use std::process::Output;

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");
const ROUTERS: usize = 6;

/// client — r1 — … — r6 — server; link N is 198.18.N.0/24, 2001:db8:N::/64.
fn chain() -> Lab {
    let mut names = vec!["client".to_string()];
    names.extend((1..=ROUTERS).map(|i| format!("r{i}")));
    names.push("server".into());
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let lab = Lab::chain(&refs);
    lab.no_icmp_ratelimit();
    lab
}

/// The address each hop answers from: the router's interface towards the client.
fn expected_hops(family: u8, hops: usize) -> Vec<IpAddr> {
    (1..=hops)
        .map(|n| if family == 4 { format!("198.18.{n}.2") } else { format!("2001:db8:{n:x}::2") })
        .map(|s| s.parse().unwrap())
        .collect()
}

fn netwalk(host: &Host, args: &[&str]) -> Output {
    host.command(NETWALK).args(args).output().expect("run netwalk")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or_else(|| panic!("killed by a signal: {}", stderr(out)))
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}): {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), stderr(out))
    })
}

/// The first responder of every hop of flow `flow` (None for a silent hop).
fn path(doc: &Value, flow: usize) -> Vec<Option<IpAddr>> {
    doc["flows"][flow]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            h["probes"].as_array().unwrap().iter().find_map(|p| p["from"].as_str()).map(|s| s.parse().unwrap())
        })
        .collect()
}

fn assert_full_path(lab: &Lab, doc: &Value, family: u8, probes: usize) {
    let mut want: Vec<Option<IpAddr>> = expected_hops(family, ROUTERS).into_iter().map(Some).collect();
    want.push(Some(lab.addr_of("server", family)));
    assert_eq!(path(doc, 0), want, "{doc:#}");
    for hop in doc["flows"][0]["hops"].as_array().unwrap() {
        let probes_here = hop["probes"].as_array().unwrap();
        assert_eq!(probes_here.len(), probes, "{hop}");
        for p in probes_here {
            assert!(p["rtt_ms"].as_f64().unwrap() > 0.0, "every probe answered: {hop}");
        }
    }
    let last = doc["flows"][0]["hops"].as_array().unwrap().last().unwrap();
    assert_eq!(last["probes"][0]["kind"], "reached");
    assert_eq!(doc["reached"], true);
}

fn trace_matrix(unprivileged: bool) {
    let lab = chain();
    let client = lab.host_by_name("client");
    let server = lab.host_by_name("server");
    // TCP needs a listener for SYN-ACK (or a closed port for RST): use both.
    let _l4 = server.tcp_listener(format!("{}:8080", lab.addr_of("server", 4)).parse().unwrap());
    let _l6 = server.tcp_listener(format!("[{}]:8080", lab.addr_of("server", 6)).parse().unwrap());
    if unprivileged {
        client.allow_ping_sockets();
    }
    for family in [4u8, 6] {
        let target = lab.addr_of("server", family).to_string();
        for (method, port) in [("--icmp", None), ("--udp", None), ("--tcp", Some("8080")), ("--tcp", Some("8081"))] {
            let mut args = vec!["--json", "traceroute", method, "-n", "-q", "2", "--timeout", "2s"];
            if let Some(p) = port {
                args.extend(["-p", p]);
            }
            if unprivileged {
                args.push("--unprivileged");
            }
            args.push(&target);
            let out = netwalk(&client, &args);
            assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
            let doc = json(&out);
            let mode = doc["mode"].as_str().unwrap();
            match (unprivileged, method) {
                (false, _) => assert_eq!(mode, "raw"),
                (true, "--icmp") => assert_eq!(mode, "ping_socket"),
                (true, _) => assert_eq!(mode, "recv_err"),
            }
            assert_full_path(&lab, &doc, family, 2);
        }
    }
}

#[test]
fn hop_list_equals_the_topology_privileged() {
    trace_matrix(false);
}

#[test]
fn hop_list_equals_the_topology_unprivileged() {
    trace_matrix(true);
}
