//! `netwalk explain` walks URLs through a lab: client — router — server,
//! with an in-process hickory DNS server and hyper web server (plain on 80,
//! TLS from a lab CA on 443) in the server host. Every step's facts are
//! asserted against what the peers really are.

use crate::http_peers;
use crate::lab;

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
/// A second web host, behind the router's third link (see `cdn`).
const CDN_ADDR: &str = "198.18.3.2";

struct Web {
    lab: Lab,
    client: Host,
    router: Host,
    server: Host,
    addr: IpAddr,
    ca: PathBuf,
    pki: http_peers::Pki,
    /// What the web server on `server` saw.
    seen: http_peers::Seen,
    /// A preload list that does not name the lab host.
    empty_list: PathBuf,
    /// A preload list that names www.example.test.
    lab_list: PathBuf,
}

/// example.test served by hickory-server on the server host's port 53.
pub(crate) fn start_dns(host: &Host, addr: IpAddr) {
    let at = SocketAddr::new(addr, 53);
    let udp = host.udp_socket(at);
    let zone = format!(
        "$ORIGIN example.test.\n\
         @ 3600 IN SOA ns1 hostmaster 1 7200 900 1209600 300\n\
         @ 3600 IN NS ns1\n\
         ns1 3600 IN A {addr}\n\
         web 300 IN A {addr}\n\
         www 120 IN CNAME web\n\
         cdn 300 IN A {CDN_ADDR}\n"
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
    let pki = http_peers::pki(&["www.example.test", IDN_ASCII, "cdn.example.test"]);
    let plain = server.tcp_listener(SocketAddr::new(addr, 80));
    let tls = server.tcp_listener(SocketAddr::new(addr, 443));
    let seen = http_peers::serve(vec![plain], vec![tls], Some(&pki));
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
    Web { lab, client, router, server, addr, ca, pki, seen, empty_list, lab_list }
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
    for needle in [
        "0. This host's network",
        "1. URL",
        "2. HSTS",
        "3. Name resolution",
        "4a. Route",
        "4b. Next hop",
        "5. TCP",
        "6. TLS",
        "7. HTTP",
        "8. Waterfall",
    ] {
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

/// cdn.example.test: another host on a third link of the router, serving
/// https with the same lab CA.
fn cdn(web: &Web) -> (Host, http_peers::Seen) {
    let cdn = web.lab.host("cdn");
    web.lab.link(&web.router, "198.18.3.1/24", &cdn, &format!("{CDN_ADDR}/24"));
    web.lab.route_all();
    let tls = cdn.tcp_listener(SocketAddr::new(CDN_ADDR.parse().unwrap(), 443));
    let seen = http_peers::serve(vec![], vec![tls], Some(&web.pki));
    (cdn, seen)
}

fn resource<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["resources"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["url"].as_str().unwrap().ends_with(path))
        .unwrap_or_else(|| panic!("no row for {path}: {:#}", report["resources"]))
}

#[test]
fn resources_reuse_the_page_connection_and_another_host_gets_its_own_dns_tcp_tls() {
    let web = web();
    let (_cdn, cdn_seen) = cdn(&web);
    let list = web.empty_list.to_str().unwrap().to_string();
    // https: HTTP/2, the page's resources as streams of its one connection.
    let out = explain(&web, &["--resources", "--preload-list", &list], "https://www.example.test/page.html");
    let report = json(&out);
    assert_eq!(code(&out), 0, "a 404 resource does not fail the walk: {report:#}");
    assert_eq!(report["final_status"], 200);
    let res = &report["resources"];
    assert_eq!(res["items"].as_array().unwrap().len(), 7, "{res:#}");
    assert_eq!((res["duplicates"].as_u64(), res["skipped"].as_array().unwrap().len()), (Some(1), 1), "{res:#}");
    let page_local = step(&report, 1, "tcp")["facts"]["local"].clone();
    let conns = res["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 3, "{res:#}");
    let (page_conn, cdn_conn) = (&conns[0], &conns[1]);
    assert_eq!((page_conn["new"].as_bool(), page_conn["local"].clone()), (Some(false), page_local), "{res:#}");
    assert_eq!(page_conn["protocol"], "HTTP/2");
    for (path, ctype, len) in http_peers::RESOURCES.iter().filter(|(p, _, _)| *p != "/res/photo.jpg") {
        let row = resource(&report, path);
        assert_eq!(row["status"], 200, "{row:#}");
        assert_eq!(row["bytes"].as_u64(), Some(*len as u64), "{row:#}");
        assert_eq!(row["content_type"], *ctype, "{row:#}");
        assert_eq!((row["connection"].as_u64(), row["reused"].as_bool()), (page_conn["id"].as_u64(), Some(true)));
        let (q, s, f, e) = (&row["queued_ms"], &row["start_ms"], &row["first_byte_ms"], &row["end_ms"]);
        let t: Vec<f64> = [q, s, f, e].iter().map(|v| v.as_f64().unwrap()).collect();
        assert!(t.windows(2).all(|w| w[0] <= w[1]) && t[3] <= report["total_ms"].as_f64().unwrap(), "{row:#}");
    }
    let kinds: Vec<&str> = ["favicon.ico", "style.css", "app.js", "logo.png"]
        .iter()
        .map(|p| resource(&report, p)["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["icon", "stylesheet", "script", "img"]);
    // One TLS connection served the page and all four (the plain listener saw none).
    assert_eq!(web.seen.connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    let missing = resource(&report, "/res/missing.png");
    assert_eq!((missing["status"].as_u64(), missing["bytes"].as_u64()), (Some(404), Some(10)), "{missing:#}");

    // The other host: its own DNS answer, route, TCP to its address and TLS.
    let photo = resource(&report, "/res/photo.jpg");
    assert_eq!((photo["status"].as_u64(), photo["bytes"].as_u64()), (Some(200), Some(60000)), "{photo:#}");
    assert_eq!((photo["connection"].as_u64(), photo["reused"].as_bool()), (cdn_conn["id"].as_u64(), Some(false)));
    assert_eq!(cdn_conn["new"], true);
    let setup = cdn_conn["setup"].as_array().unwrap();
    let names: Vec<&str> = setup.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dns", "route", "arp", "tcp", "tls"], "{cdn_conn:#}");
    assert_eq!(setup[0]["facts"]["source"], "dns");
    assert_eq!(setup[0]["facts"]["addresses"][0], CDN_ADDR);
    assert_eq!(setup[3]["facts"]["remote"], format!("{CDN_ADDR}:443"));
    assert!(setup[4]["facts"]["certificate"]["san"].to_string().contains("cdn.example.test"));
    assert_eq!(cdn_seen.requests.lock().unwrap().as_slice(), ["GET https://cdn.example.test/res/photo.jpg HTTP/2.0"]);
    // A closed port: the row carries the TCP step's explanation, the walk goes on.
    let closed = resource(&report, ":4444/closed.png");
    assert!(closed["status"].is_null(), "{closed:#}");
    assert!(closed["error"].as_str().unwrap().contains("port 4444 is closed"), "{closed:#}");
    assert_eq!(conns[2]["setup"][0]["facts"]["source"], "cache", "the name was resolved for the page: {res:#}");
    assert_eq!(conns[2]["setup"].as_array().unwrap().last().unwrap()["ok"], false);
    assert_eq!((res["loaded"].as_u64(), res["failed"].as_u64()), (Some(5), Some(2)), "{res:#}");
    // The resources phase is a step of its own, so explain's own work stays small.
    assert!(report["overhead_ms"].as_f64().unwrap() < 10.0, "{}", report["overhead_ms"]);

    // http://: HTTP/1.1 keep-alive, one request after the other on the page's connection.
    let before = web.seen.connections.load(std::sync::atomic::Ordering::SeqCst);
    let out = explain(&web, &["--resources", "--preload-list", &list], "http://www.example.test/page.html");
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report:#}");
    assert_eq!(report["resources"]["connections"][0]["protocol"], "HTTP/1.1");
    let rows: Vec<&Value> = ["favicon.ico", "style.css", "app.js", "logo.png", "missing.png"]
        .iter()
        .map(|p| resource(&report, p))
        .collect();
    assert!(rows.iter().all(|r| r["connection"] == 1 && r["reused"] == true), "{:#}", report["resources"]);
    // Sequential: each request starts after the previous one ended.
    for pair in rows.windows(2) {
        assert!(pair[1]["start_ms"].as_f64() >= pair[0]["end_ms"].as_f64(), "{pair:#?}");
    }
    assert_eq!(web.seen.connections.load(std::sync::atomic::Ordering::SeqCst) - before, 1);
    let text_out = web
        .client
        .command(NETWALK)
        .args(["explain", "--resources", "--ca-file", web.ca.to_str().unwrap(), "--preload-list", &list])
        .arg("https://www.example.test/page.html")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text_out.stdout);
    assert!(text.contains("9. Resources") && text.contains("Resources waterfall"), "{text}");
}

/// The records of a classic little-endian pcap file (nanosecond or microsecond).
fn pcap_records(bytes: &[u8]) -> Vec<(f64, Vec<u8>)> {
    let magic = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
    let scale = match magic {
        0xa1b2_3c4d => 1e-9,
        0xa1b2_c3d4 => 1e-6,
        other => panic!("not a little-endian pcap file: magic {other:#x}"),
    };
    assert_eq!(u32::from_le_bytes(bytes[20..24].try_into().unwrap()), 1, "LINKTYPE_ETHERNET");
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= bytes.len() {
        let word = |i: usize| u32::from_le_bytes(bytes[at + i..at + i + 4].try_into().unwrap());
        let (secs, frac, len) = (word(0), word(4), word(8) as usize);
        let data = bytes[at + 16..at + 16 + len].to_vec();
        out.push((secs as f64 + frac as f64 * scale, data));
        at += 16 + len;
    }
    assert_eq!(at, bytes.len(), "the file ends on a record boundary");
    out
}

#[test]
fn pcap_holds_the_dns_query_the_arp_exchange_the_syn_and_the_client_hello() {
    use pnet_packet::Packet;
    use pnet_packet::arp::ArpPacket;
    use pnet_packet::ethernet::{EtherTypes, EthernetPacket};
    use pnet_packet::ipv4::Ipv4Packet;
    use pnet_packet::tcp::TcpPacket;
    use pnet_packet::udp::UdpPacket;
    let web = web();
    let pcap = web.lab.dir().join("walk.pcap");
    web.client.sh("ip neigh flush dev eth0");
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let out = explain(&web, &["--pcap", pcap.to_str().unwrap()], "https://www.example.test/hsts");
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report:#}");
    let records = pcap_records(&std::fs::read(&pcap).unwrap());
    assert_eq!(report["capture"]["packets"].as_u64(), Some(records.len() as u64), "{:#}", report["capture"]);
    let gateway = match web.lab.addr_of("router", 4) {
        IpAddr::V4(v4) => v4,
        _ => unreachable!(),
    };
    let server = match web.addr {
        IpAddr::V4(v4) => v4,
        _ => unreachable!(),
    };
    let (mut query, mut who_has, mut is_at, mut syn, mut hello) = (false, false, false, false, false);
    for (t, frame) in &records {
        assert!(*t >= before - 1.0, "timestamp {t} before the run");
        let eth = EthernetPacket::new(frame).unwrap();
        match eth.get_ethertype() {
            EtherTypes::Arp => {
                let arp = ArpPacket::new(eth.payload()).unwrap();
                who_has |= arp.get_operation().0 == 1 && arp.get_target_proto_addr() == gateway;
                is_at |= arp.get_operation().0 == 2
                    && arp.get_sender_proto_addr() == gateway
                    && eth.get_source().to_string() == web.router.mac("eth0");
            }
            EtherTypes::Ipv4 => {
                let ip = Ipv4Packet::new(eth.payload()).unwrap();
                if ip.get_next_level_protocol().0 == 17 {
                    let udp = UdpPacket::new(ip.payload()).unwrap();
                    // QNAME www.example.test in DNS wire format.
                    let name = b"\x03www\x07example\x04test\x00";
                    query |= udp.get_destination() == 53
                        && ip.get_destination() == server
                        && udp.payload().windows(name.len()).any(|w| w == name);
                } else if ip.get_next_level_protocol().0 == 6 && ip.get_destination() == server {
                    let tcp = TcpPacket::new(ip.payload()).unwrap();
                    let flags = tcp.get_flags();
                    syn |= tcp.get_destination() == 443 && flags & 0x02 != 0 && flags & 0x10 == 0;
                    let p = tcp.payload();
                    // TLS record type 22 (handshake), handshake type 1 (ClientHello).
                    hello |= tcp.get_destination() == 443 && p.len() > 5 && p[0] == 22 && p[5] == 1;
                }
            }
            _ => {}
        }
    }
    assert!(
        query && who_has && is_at && syn && hello,
        "query {query} who-has {who_has} is-at {is_at} syn {syn} hello {hello}: {:#}",
        report["capture"]
    );
}

#[test]
fn pcap_without_cap_net_raw_stops_before_sending_and_a_bad_path_is_a_usage_error() {
    let web = web();
    let pcap = web.lab.dir().join("denied.pcap");
    let out = web
        .client
        .command_without_net_raw(NETWALK)
        .args(["explain", "--pcap", pcap.to_str().unwrap(), "http://www.example.test/"])
        .output()
        .unwrap();
    let err = lab::cli::stderr(&out);
    assert_eq!(code(&out), 3, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs CAP_NET_RAW") && err.contains("setcap cap_net_raw+ep"), "{err}");
    assert!(out.stdout.is_empty() && !pcap.exists());
    // Nothing was sent: the web server never saw a connection.
    assert_eq!(web.seen.connections.load(std::sync::atomic::Ordering::SeqCst), 0);

    let out = explain(&web, &["--pcap", "/nonexistent-dir/walk.pcap"], "http://www.example.test/");
    let err = lab::cli::stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot write the capture file /nonexistent-dir/walk.pcap"), "{err}");
    assert_eq!(web.seen.connections.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn step_0_reads_the_host_network_and_a_lease_file_of_each_client() {
    let web = web();
    let client_addr = web.lab.addr_of("client", 4).to_string();
    let gateway = web.lab.addr_of("router", 4).to_string();
    // A default route as a DHCP client installs it (route protocol dhcp).
    web.client.sh(&format!("ip route replace default via {gateway} proto dhcp"));
    let run = |extra: &[&str]| {
        let out = explain(&web, extra, "https://bücher.test/");
        let report = json(&out);
        assert_eq!(code(&out), 0, "{report:#}");
        step(&report, 0, "network").clone()
    };
    let s = run(&[]);
    let f = &s["facts"];
    assert_eq!(s["number"], 0);
    assert_eq!(f["interface"], "eth0", "{f:#}");
    assert_eq!(f["gateway"]["gateway"], gateway, "{f:#}");
    assert_eq!(f["gateway"]["protocol"], "dhcp", "{f:#}");
    assert_eq!(f["resolv_conf"]["nameservers"][0], web.addr.to_string(), "{f:#}");
    // The lab configured the address by hand: permanent, told as static.
    let a = f["addresses"].as_array().unwrap().iter().find(|a| a["address"] == client_addr).expect("address");
    assert_eq!(a["permanent"], true, "{f:#}");
    assert!(f["address_sources"][&client_addr].as_str().unwrap().contains("static"), "{f:#}");
    assert!(f["lease"].is_null(), "{f:#}");

    // dhclient's file: the last lease block of eth0 (an older one of eth1 first).
    let dhclient = web.lab.dir().join("dhclient.leases");
    std::fs::write(
        &dhclient,
        format!(
            "lease {{\n  interface \"eth1\";\n  fixed-address 198.18.7.7;\n}}\nlease {{\n  interface \"eth0\";\n  \
             fixed-address {client_addr};\n  option subnet-mask 255.255.255.0;\n  option routers {gateway};\n  \
             option dhcp-lease-time 7200;\n  option domain-name-servers {};\n  option dhcp-server-identifier {gateway};\n  \
             expire epoch {};\n}}\n",
            web.addr,
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600
        ),
    )
    .unwrap();
    let f = run(&["--lease", dhclient.to_str().unwrap()])["facts"].clone();
    assert_eq!(
        (f["lease"]["client"].as_str(), f["lease"]["server"].as_str()),
        (Some("dhclient"), Some(gateway.as_str()))
    );
    assert!(f["lease_remaining_s"].as_u64().is_some_and(|s| s > 3500 && s <= 3600), "{f:#}");
    assert!(f["address_sources"][&client_addr].as_str().unwrap().contains("DHCP lease"), "{f:#}");
    assert!(f["dns_source"].as_str().unwrap().contains("DHCP lease"), "{f:#}");
    assert_eq!(f["gateway_source"], "DHCP (route protocol dhcp)");

    // systemd-networkd's: T1/T2/LIFETIME from the file's time.
    let networkd = web.lab.dir().join("networkd-lease");
    std::fs::write(
        &networkd,
        format!("# This is private data. Do not parse.\nADDRESS={client_addr}\nNETMASK=255.255.255.0\nROUTER={gateway}\nSERVER_ADDRESS={gateway}\nT1=600\nT2=1050\nLIFETIME=1200\nDNS={}\n", web.addr),
    )
    .unwrap();
    let f = run(&["--lease", networkd.to_str().unwrap()])["facts"].clone();
    assert_eq!(f["lease"]["client"], "systemd-networkd", "{f:#}");
    let l = &f["lease"];
    let obtained = l["obtained"].as_u64().unwrap();
    assert_eq!((l["renew"].as_u64(), l["expires"].as_u64()), (Some(obtained + 600), Some(obtained + 1200)), "{f:#}");

    // A --lease that is not one is a usage error, before anything is sent.
    let out = explain(&web, &["--lease", web.ca.to_str().unwrap()], "https://bücher.test/");
    lab::cli::assert_refused("--lease ca.pem", &out, 2, "not a dhclient");
}

/// Errors of `har` against the HAR 1.2 schema in tests/data.
fn har_errors(har: &Value) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/har-1.2.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).expect("the schema compiles");
    validator.iter_errors(har).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

fn ms(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn har_holds_every_request_with_the_walks_own_timings_and_validates_against_har_1_2() {
    let web = web();
    let (_cdn, _) = cdn(&web);
    let list = web.empty_list.to_str().unwrap().to_string();
    let file = web.lab.dir().join("walk.har");
    let har_path = file.to_str().unwrap().to_string();
    let out =
        explain(&web, &["--resources", "--preload-list", &list, "--har", &har_path], "http://www.example.test/upgrade");
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report:#}");
    let har: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let errors = har_errors(&har);
    assert!(errors.is_empty(), "{errors:#?}\n{har:#}");
    let log = &har["log"];
    assert_eq!((log["version"].as_str(), log["creator"]["name"].as_str()), (Some("1.2"), Some("netwalk")));
    let entries = log["entries"].as_array().unwrap();
    // Two hops, then the page's resources (the redirect target is /hsts; see http_peers).
    let rows = report["resources"]["items"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(entries.len(), 2 + rows, "{har:#}");
    let (first, second) = (&entries[0], &entries[1]);
    assert_eq!(
        (first["request"]["url"].as_str(), first["response"]["status"].as_u64()),
        (Some("http://www.example.test/upgrade"), Some(301))
    );
    assert_eq!(first["response"]["redirectURL"], "https://www.example.test/hsts");
    assert_eq!(first["serverIPAddress"], web.addr.to_string());
    let local: SocketAddr = step(&report, 1, "tcp")["facts"]["local"].as_str().unwrap().parse().unwrap();
    assert_eq!(first["connection"], local.port().to_string());
    // The timings are the steps' own: DNS = step 3, connect = step 5 (no TLS on http), no ssl.
    let t = &first["timings"];
    let dns_ms = ms(&step(&report, 1, "dns")["duration_ms"]);
    let tcp_ms = ms(&step(&report, 1, "tcp")["duration_ms"]);
    assert!((ms(&t["dns"]) - dns_ms).abs() < 0.01, "{t} vs dns {dns_ms}");
    assert!((ms(&t["connect"]) - tcp_ms).abs() < 0.01, "{t} vs tcp {tcp_ms}");
    assert_eq!(ms(&t["ssl"]), -1.0);
    let http_ms = ms(&step(&report, 1, "http")["duration_ms"]);
    let exchange = ms(&t["send"]) + ms(&t["wait"]) + ms(&t["receive"]);
    assert!(ms(&t["wait"]) > 0.0 && exchange <= http_ms + 0.01, "{t} vs http step {http_ms}");
    let total: f64 = ["blocked", "dns", "connect", "send", "wait", "receive"].iter().map(|k| ms(&t[*k]).max(0.0)).sum();
    assert!((ms(&first["time"]) - total).abs() < 0.01, "{first:#}");
    // Hop 2: a cached name (0 ms of DNS), a new TLS connection whose ssl is inside connect.
    let t2 = &second["timings"];
    assert_eq!(second["response"]["status"], 200);
    assert!(ms(&t2["ssl"]) > 0.0 && ms(&t2["ssl"]) <= ms(&t2["connect"]), "{t2}");
    let headers = second["response"]["headers"].to_string().to_lowercase();
    assert!(headers.contains("strict-transport-security"), "{headers}");
    assert!(second["request"]["headers"].to_string().contains("user-agent"), "{second:#}");
    // Entries start in the order the walk made them, on the page's clock.
    let page = log["pages"][0]["startedDateTime"].as_str().unwrap().to_string();
    let starts: Vec<&str> = entries[..2].iter().map(|e| e["startedDateTime"].as_str().unwrap()).collect();
    assert!(page.as_str() <= starts[0] && starts[0] <= starts[1], "{page} {starts:?}");

    // A failed walk is a valid HAR too: the refused request, no response, the step in _error.
    let out = explain(&web, &["--har", &har_path], "http://www.example.test:81/");
    assert_eq!(code(&out), 1);
    let har: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(har_errors(&har).is_empty(), "{:#?}", har_errors(&har));
    let e = &har["log"]["entries"][0];
    assert_eq!(e["response"]["status"], 0, "{har:#}");
    assert!(e["_error"].as_str().unwrap().starts_with("step 5 (tcp)"), "{har:#}");
    // The schema does refuse what HAR viewers refuse.
    let mut broken = har.clone();
    broken["log"]["entries"][0].as_object_mut().unwrap().remove("timings");
    broken["log"]["entries"][0]["startedDateTime"] = "yesterday".into();
    assert_eq!(har_errors(&broken).len(), 2, "{:#?}", har_errors(&broken));

    // An unwritable FILE is a usage error before anything is sent.
    let out = explain(&web, &["--har", "/nonexistent/dir/walk.har"], "http://www.example.test/");
    lab::cli::assert_refused("--har in a missing dir", &out, 2, "cannot write --har");
}

/// Runs headless Chromium (Debian's `chromium`) in `host` on `page`, with a
/// profile in `dir`; returns its stdout.
#[cfg(feature = "interop")]
fn chromium(host: &Host, dir: &std::path::Path, args: &[&str], page: &std::path::Path) -> String {
    let mut cmd = host.command(lab::require("chromium"));
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"])
        .arg(format!("--user-data-dir={}", dir.join("chromium-profile").display()))
        .args(args)
        .arg(format!("file://{}", page.display()));
    let out = host.output(cmd);
    assert!(out.status.success(), "chromium {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Text as Chromium serialises it in a DOM dump.
#[cfg(feature = "interop")]
fn dom_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[test]
#[cfg(feature = "interop")]
fn html_page_renders_in_headless_chromium_with_every_step_the_waterfall_and_the_chain() {
    let web = web();
    let (_cdn, _) = cdn(&web);
    let list = web.empty_list.to_str().unwrap().to_string();
    let page = web.lab.dir().join("walk.html");
    let out = explain(
        &web,
        &["--resources", "--preload-list", &list, "--html", page.to_str().unwrap()],
        "https://www.example.test/page.html",
    );
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report:#}");
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: a CSP that forbids every load, and nothing that would load.
    assert!(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"), "{html}");
    for attr in [" src=", " href=", "<script", "<link", "@import", "url("] {
        assert!(!html.contains(attr), "{attr} in the page");
    }

    // Chromium's DOM holds every step of the report, with its summary.
    let dom = chromium(&web.client, web.lab.dir(), &["--dump-dom"], &page);
    let steps = report["steps"].as_array().unwrap();
    assert!(steps.len() >= 9, "{report:#}");
    for s in steps {
        let tag = format!(
            "data-step=\"{}\" data-name=\"{}\" data-hop=\"{}\"",
            s["number"],
            s["name"].as_str().unwrap(),
            s["hop"]
        );
        assert!(dom.contains(&tag), "{tag} not in the DOM:\n{dom}");
        let summary = dom_text(s["summary"].as_str().unwrap());
        assert!(dom.contains(&summary), "summary {summary:?} not in the DOM");
        if let Some(f) = s["filter"].as_str() {
            assert!(dom.contains(&format!("<code class=\"filter\">{}</code>", dom_text(f))), "filter {f}");
        }
    }
    // The waterfall: one bar per step and per resource.
    let rows = report["resources"]["items"].as_array().unwrap().len();
    let svg = &dom[dom.find("<svg").expect("an inline SVG")..dom.find("</svg>").unwrap()];
    assert_eq!(svg.matches("<rect").count(), steps.len() + rows, "{svg}");
    // The chain the server sent: the leaf naming www.example.test, issued by the lab CA.
    let chain = &dom[dom.find("<table class=\"chain\"").expect("a chain table")..];
    assert!(chain.contains("DNSName(www.example.test)") && chain.contains("CN=netwalk lab CA"), "{chain}");
    assert!(dom.contains("Final response: 200"), "{dom}");

    // A screenshot in the test's output directory, at the size asked for.
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("explain-html");
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join("walk.png");
    let _ = std::fs::remove_file(&png);
    chromium(
        &web.client,
        web.lab.dir(),
        &["--window-size=1200,2400", &format!("--screenshot={}", png.display())],
        &page,
    );
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) =
        (u32::from_be_bytes(bytes[16..20].try_into().unwrap()), u32::from_be_bytes(bytes[20..24].try_into().unwrap()));
    assert_eq!((w, h), (1200, 2400));
    assert!(bytes.len() > 50_000, "a page with text and bars, not a blank: {} bytes", bytes.len());
}
