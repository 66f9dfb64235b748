//! `netwalk explain` walks URLs through a lab: client — router — server,
//! with an in-process hickory DNS server and hyper web server (plain on 80,
//! TLS from a lab CA on 443) in the server host. Every step's facts are
//! asserted against what the peers really are.

mod http_peers;
mod lab;

use hickory_server::Server;
use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use lab::cli::{code, json};
use lab::{Host, Lab};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::Output;
use std::str::FromStr;
use std::sync::Arc;

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");
const IDN_ASCII: &str = "xn--bcher-kva.test";

struct Web {
    lab: Lab,
    client: Host,
    router: Host,
    server: Host,
    addr: IpAddr,
    ca: PathBuf,
    /// A preload list that does not name the lab host.
    empty_list: PathBuf,
    /// A preload list that names www.example.test.
    lab_list: PathBuf,
}

/// example.test served by hickory-server on the server host's port 53.
fn start_dns(host: &Host, addr: IpAddr) {
    let at = SocketAddr::new(addr, 53);
    let udp = host.udp_socket(at);
    let zone = format!(
        "$ORIGIN example.test.\n\
         @ 3600 IN SOA ns1 hostmaster 1 7200 900 1209600 300\n\
         @ 3600 IN NS ns1\n\
         ns1 3600 IN A {addr}\n\
         web 300 IN A {addr}\n\
         www 120 IN CNAME web\n"
    );
    let (origin, records) = Parser::new(zone, None, None).parse().expect("zone parses");
    let handler: InMemoryZoneHandler =
        InMemoryZoneHandler::new(origin, records, ZoneType::Primary, AxfrPolicy::Deny).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let mut catalog = Catalog::new();
            catalog.upsert(LowerName::from(Name::from_str("example.test.").unwrap()), vec![Arc::new(handler)]);
            let mut server = Server::new(catalog);
            udp.set_nonblocking(true).unwrap();
            server.register_socket(tokio::net::UdpSocket::from_std(udp).unwrap());
            let _ = server.block_until_done().await;
        });
    });
}

fn web() -> Web {
    let lab = Lab::chain(&["client", "router", "server"]);
    let (client, router, server) = (lab.host_by_name("client"), lab.host_by_name("router"), lab.host_by_name("server"));
    let addr = lab.addr_of("server", 4);
    start_dns(&server, addr);
    let pki = http_peers::pki(&["www.example.test", IDN_ASCII]);
    let plain = server.tcp_listener(SocketAddr::new(addr, 80));
    let tls = server.tcp_listener(SocketAddr::new(addr, 443));
    http_peers::serve(vec![plain], vec![tls], Some(&pki));
    client.set_resolv_conf(&format!("nameserver {addr}\n"));
    client.set_hosts_entry(IDN_ASCII, addr);
    let ca = lab.dir().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let empty_list = lab.dir().join("empty.json");
    std::fs::write(&empty_list, r#"{"entries": [{"name": "other.test", "mode": "force-https"}]}"#).unwrap();
    let lab_list = lab.dir().join("lab.json");
    std::fs::write(
        &lab_list,
        r#"{"entries": [{"name": "example.test", "mode": "force-https", "include_subdomains": true}]}"#,
    )
    .unwrap();
    Web { lab, client, router, server, addr, ca, empty_list, lab_list }
}

fn explain(web: &Web, extra: &[&str], url: &str) -> Output {
    let mut args = vec!["--json", "explain", "--timeout", "2s", "--ca-file", web.ca.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push(url);
    web.client.command(NETWALK).args(&args).output().expect("run netwalk")
}

/// The facts of step `name` on hop `hop`.
fn step<'a>(report: &'a Value, hop: u64, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["hop"] == hop && s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} step on hop {hop}: {report:#}"))
}

#[test]
fn http_url_walks_dns_arp_tcp_then_redirects_to_https_with_a_lab_certificate() {
    let web = web();
    let list = web.empty_list.to_str().unwrap().to_string();
    let out = explain(&web, &["--preload-list", &list], "http://www.example.test/upgrade");
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report:#}");
    assert_eq!(report["final_status"], 200);
    assert_eq!(report["hops"], 2);

    let url = &step(&report, 1, "url")["facts"];
    assert_eq!((url["scheme"].as_str(), url["port"].as_u64()), (Some("http"), Some(80)));
    let hsts = &step(&report, 1, "hsts")["facts"];
    assert_eq!((hsts["preloaded"].as_bool(), hsts["upgraded"].as_bool()), (Some(false), Some(false)));

    // DNS: not in /etc/hosts, answered by the lab server, CNAME chain with TTLs.
    let dns = step(&report, 1, "dns");
    assert_eq!(dns["facts"]["source"], "dns");
    assert_eq!(dns["facts"]["addresses"][0], web.addr.to_string());
    let answers = dns["facts"]["queries"][0]["answers"].to_string();
    assert!(answers.contains("www.example.test. 120 CNAME web.example.test."), "{answers}");
    assert!(answers.contains(&format!("web.example.test. 300 A {}", web.addr)), "{answers}");
    assert_eq!(dns["filter"], "dns.qry.name == \"www.example.test\"");
    assert_eq!(dns["facts"]["nameserver_route"]["gateway"], web.lab.addr_of("router", 4).to_string());

    // Route via the router; its MAC answers for the gateway.
    let gateway = web.lab.addr_of("router", 4).to_string();
    let route = &step(&report, 1, "route")["facts"];
    assert_eq!(route["gateway"], gateway);
    assert_eq!(route["interface"], "eth0");
    assert_eq!(route["source"], web.lab.addr_of("client", 4).to_string());
    let arp = step(&report, 1, "arp");
    assert_eq!(arp["facts"]["mac"].as_str(), Some(web.router.mac("eth0").as_str()), "{arp:#}");
    // The DNS query went through the same gateway, so the kernel already knows its MAC.
    assert_eq!(arp["facts"]["source"], "neighbour_cache", "{arp:#}");
    assert_eq!(arp["filter"], format!("arp.dst.proto_ipv4 == {gateway}"));

    // TCP 4-tuple: our address and an ephemeral port to the server's port 80.
    let tcp = &step(&report, 1, "tcp")["facts"];
    assert_eq!(tcp["remote"], format!("{}:80", web.addr));
    let local: SocketAddr = tcp["local"].as_str().unwrap().parse().unwrap();
    assert_eq!(local.ip(), web.lab.addr_of("client", 4));
    assert!(local.port() >= 1024, "{local}");

    let http1 = &step(&report, 1, "http")["facts"];
    assert_eq!(http1["status"], 301);
    assert_eq!(http1["headers"]["location"], "https://www.example.test/hsts");
    assert_eq!(http1["request"][0], "GET /upgrade HTTP/1.1");

    // Hop 2: same name (cached), new TCP to 443, TLS with the lab certificate.
    assert_eq!(step(&report, 2, "dns")["facts"]["source"], "cache");
    assert_eq!(step(&report, 2, "tcp")["facts"]["remote"], format!("{}:443", web.addr));
    let tls = &step(&report, 2, "tls")["facts"];
    assert_eq!(tls["verified"], true);
    assert!(tls["certificate"]["issuer"].as_str().unwrap().contains("netwalk lab CA"), "{tls:#}");
    assert!(tls["certificate"]["san"].to_string().contains("www.example.test"), "{tls:#}");
    let http2 = &step(&report, 2, "http")["facts"];
    assert_eq!(http2["status"], 200);
    assert_eq!(http2["headers"]["strict-transport-security"], "max-age=31536000");
    assert_eq!(http2["body_bytes"], http_peers::PAGE.len());

    // The steps are in order in time, and explain's own work is small.
    let starts: Vec<f64> =
        report["steps"].as_array().unwrap().iter().map(|s| s["start_ms"].as_f64().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    let _ = &web.server;
}

#[test]
fn preload_list_upgrades_before_sending_and_an_idn_host_is_punycoded() {
    let web = web();
    let list = web.lab_list.to_str().unwrap().to_string();
    let out = explain(&web, &["--preload-list", &list], "http://www.example.test/hsts");
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report:#}");
    let hsts = &step(&report, 1, "hsts")["facts"];
    assert_eq!(hsts["upgraded"], true);
    assert_eq!(hsts["via_ancestor"], true);
    assert_eq!(hsts["url"], "https://www.example.test/hsts");
    // Nothing went to port 80: the first connection is already TLS on 443.
    assert_eq!(step(&report, 1, "tcp")["facts"]["remote"], format!("{}:443", web.addr));
    assert_eq!(report["hops"], 1);

    // From /etc/hosts nothing is sent before step 4: with an empty neighbour
    // cache explain asks who-has for the gateway itself (CAP_NET_RAW).
    web.client.sh("ip neigh flush dev eth0");
    let out = explain(&web, &[], "https://bücher.test/");
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report:#}");
    let arp = &step(&report, 1, "arp")["facts"];
    assert_eq!(arp["mac"].as_str(), Some(web.router.mac("eth0").as_str()), "{arp:#}");
    assert_eq!(arp["source"], "who_has", "{arp:#}");
    assert!(arp["rtt_ms"].as_f64().is_some_and(|r| r > 0.0), "{arp:#}");
    let url = &step(&report, 1, "url")["facts"];
    assert_eq!((url["host"].as_str(), url["host_unicode"].as_str()), (Some(IDN_ASCII), Some("bücher.test")));
    assert_eq!(step(&report, 1, "dns")["facts"]["source"], "hosts_file");
    assert!(step(&report, 1, "tls")["facts"]["certificate"]["san"].to_string().contains(IDN_ASCII));
}

#[test]
fn failures_stop_at_the_right_step_with_exit_1() {
    let web = web();
    let failed = |url: &str| {
        let out = explain(&web, &[], url);
        let report = json(&out);
        assert_eq!(code(&out), 1, "{report:#}");
        let failure = report["failure"].clone();
        let last = report["steps"].as_array().unwrap().iter().rev().find(|s| s["ok"] == false).cloned();
        assert!(last.is_some(), "no failed step: {report:#}");
        failure
    };
    // The name does not exist (NXDOMAIN from the lab server).
    let f = failed("http://nope.example.test/");
    assert_eq!((f["step"].as_u64(), f["name"].as_str()), (Some(3), Some("dns")), "{f}");
    // Nothing listens on port 81: RST.
    let f = failed("http://www.example.test:81/");
    assert_eq!(f["step"], 5, "{f}");
    assert!(f["explanation"].as_str().unwrap().contains("closed"), "{f}");
    // A redirect loop.
    let f = failed("http://www.example.test/loop/a");
    assert_eq!(f["step"], 7, "{f}");
    assert!(f["explanation"].as_str().unwrap().contains("redirect loop"), "{f}");
    // No route at all.
    web.client.route("unreachable 198.18.8.0/24");
    let f = failed("http://198.18.8.8/");
    assert_eq!((f["step"].as_u64(), f["name"].as_str()), (Some(4), Some("route")), "{f}");
    // A gateway that nobody answers ARP for.
    web.client.route("198.18.9.0/24 via 198.18.1.77");
    let f = failed("http://198.18.9.9/");
    assert_eq!((f["step"].as_u64(), f["name"].as_str()), (Some(4), Some("arp")), "{f}");
    assert!(f["explanation"].as_str().unwrap().contains("198.18.1.77"), "{f}");
}

#[test]
fn an_expired_certificate_stops_the_walk_at_tls() {
    let web = web();
    let pki = http_peers::expired_pki(&["old.test"]);
    let listener = web.server.tcp_listener(SocketAddr::new(web.addr, 8443));
    http_peers::serve(vec![], vec![listener], Some(&pki));
    web.client.set_hosts_entry("old.test", web.addr);
    let ca = web.lab.dir().join("old-ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let out = web
        .client
        .command(NETWALK)
        .args(["--json", "explain", "--timeout", "2s", "--ca-file", ca.to_str().unwrap(), "https://old.test:8443/"])
        .output()
        .unwrap();
    let report = json(&out);
    assert_eq!(code(&out), 1, "{report:#}");
    assert_eq!(report["failure"]["step"], 6);
    assert!(report["failure"]["explanation"].as_str().unwrap().contains("expired"), "{report:#}");
    // The TCP step before it succeeded.
    assert_eq!(step(&report, 1, "tcp")["ok"], true);
}

#[test]
fn human_output_lists_the_steps_and_a_waterfall() {
    let web = web();
    let out = web
        .client
        .command(NETWALK)
        .args(["explain", "--timeout", "2s", "--ca-file", web.ca.to_str().unwrap(), "http://www.example.test/upgrade"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0, "{text}");
    for needle in ["1. URL", "2. HSTS", "3. Name resolution", "4. Route", "5. TCP", "6. TLS", "7. HTTP", "8. Waterfall"]
    {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    assert!(text.contains("wireshark: tls.handshake.type == 1"), "{text}");
    assert!(text.contains("Final response: 200 after 2 hops"), "{text}");
}

#[test]
fn without_cap_net_raw_the_kernel_resolves_the_gateway_and_explain_reads_its_answer() {
    let web = web();
    web.client.sh("ip neigh flush dev eth0");
    let out = web
        .client
        .command_without_net_raw(NETWALK)
        .args(["--json", "explain", "--ca-file", web.ca.to_str().unwrap(), "https://bücher.test/"])
        .output()
        .unwrap();
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report:#}");
    let arp = &step(&report, 1, "arp")["facts"];
    assert_eq!(arp["source"], "kernel", "{arp:#}");
    assert_eq!(arp["mac"].as_str(), Some(web.router.mac("eth0").as_str()), "{arp:#}");
    // A silent gateway, unprivileged: the kernel's who-has fails and the walk stops at step 4.
    web.client.route("198.18.9.0/24 via 198.18.1.77");
    let out = web
        .client
        .command_without_net_raw(NETWALK)
        .args(["--json", "explain", "--timeout", "5s", "http://198.18.9.9/"])
        .output()
        .unwrap();
    let report = json(&out);
    assert_eq!(code(&out), 1, "{report:#}");
    assert_eq!((report["failure"]["step"].as_u64(), report["failure"]["name"].as_str()), (Some(4), Some("arp")));
}
