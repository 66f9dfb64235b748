//! Interop tier: dnsmasq as the DHCP server (DHCPv4 and DHCPv6). Needs the
//! `dnsmasq` binary (Debian: dnsmasq-base); .ci/run installs it.
#![cfg(feature = "interop")]

use crate::lab;

use lab::{Host, Lab};
use serde_json::Value;
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

/// Starts dnsmasq in `host` and waits until its DHCP sockets are bound.
/// Its ping check stays on (no --no-ping), as on the home routers that run it.
fn dnsmasq(lab: &Lab, host: &Host) -> (lab::Server, std::path::PathBuf) {
    dnsmasq_with(lab, host, &[])
}

fn dnsmasq_with(lab: &Lab, host: &Host, extra: &[&str]) -> (lab::Server, std::path::PathBuf) {
    lab::require("dnsmasq");
    let dir = lab.dir().join("dnsmasq");
    std::fs::create_dir_all(&dir).unwrap();
    let leases = dir.join("leases");
    let mut args = vec![
        "--no-daemon".to_string(),
        "--conf-file=/dev/null".into(),
        "--port=0".into(),
        "--interface=eth0".into(),
        "--bind-interfaces".into(),
        "--user=root".into(),
        "--group=root".into(),
        format!("--pid-file={}", dir.join("pid").display()),
        format!("--dhcp-leasefile={}", leases.display()),
        "--log-dhcp".into(),
        "--dhcp-range=198.18.5.100,198.18.5.150,255.255.255.0,10m".into(),
        "--dhcp-option=option:router,198.18.5.1".into(),
        "--dhcp-option=option:dns-server,198.18.5.53".into(),
        "--dhcp-option=option:domain-name,lab.test".into(),
        "--dhcp-range=2001:db8:5::100,2001:db8:5::1ff,64,10m".into(),
        "--dhcp-option=option6:dns-server,[2001:db8:5::53]".into(),
        "--dhcp-option=option6:domain-search,lab.test".into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let server = host.spawn_server("dnsmasq", args.iter().map(String::as_str));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let bound = host.sh("ss -Hlun 'sport = :67' ; ss -Hlun 'sport = :547'");
        if bound.lines().count() >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "dnsmasq did not bind its DHCP ports:\n{}", server.log());
        assert!(server.is_running(), "dnsmasq exited:\n{}", server.log());
        std::thread::yield_now();
    }
    (server, leases)
}

/// Client leases in a dnsmasq lease file (its own "duid" line is not one).
fn leases_held(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("duid ")).map(str::to_string).collect()
}

fn net() -> (Lab, Host, Host) {
    let lab = Lab::new();
    let lan = lab.switch("lan");
    let (client, server) = (lab.host("client"), lab.host("dhcp"));
    lab.attach(&client, &lan, "");
    lab.attach(&server, &lan, "198.18.5.1/24,2001:db8:5::1/64");
    (lab, client, server)
}

fn run(client: &Host, dnsmasq: &lab::Server, args: &[&str]) -> Value {
    let out = client.command(NETWALK).args(args).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}\ndnsmasq log:\n{}", dnsmasq.log());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn dnsmasq_offer_matches_its_configuration_and_no_lease_is_taken() {
    let (lab, client, server) = net();
    let (dnsmasq, leases) = dnsmasq(&lab, &server);
    let doc = run(
        &client,
        &dnsmasq,
        &["--json", "dhcp-discover", "--timeout", "5s", "--first", "--expect-server", "198.18.5.1"],
    );
    let o = &doc["offers"][0];
    let offered: std::net::Ipv4Addr = o["offered"].as_str().unwrap().parse().unwrap();
    assert!((100..=150).contains(&offered.octets()[3]) && offered.octets()[..3] == [198, 18, 5], "{offered}");
    assert_eq!(o["server"], "198.18.5.1");
    assert_eq!(o["server_mac"], server.mac("eth0"));
    assert_eq!(o["subnet_mask"], "255.255.255.0");
    assert_eq!(o["routers"], serde_json::json!(["198.18.5.1"]));
    assert_eq!(o["dns_servers"], serde_json::json!(["198.18.5.53"]));
    assert_eq!(o["domain_name"], "lab.test");
    assert_eq!(o["lease_time_s"], 600);
    assert_eq!(doc["passed"], true);
    let log = dnsmasq.log();
    assert!(log.contains("DHCPOFFER(eth0)"), "dnsmasq logged its offer:\n{log}");
    assert!(!log.contains("DHCPREQUEST"), "no REQUEST was sent:\n{log}");
    assert_eq!(leases_held(&leases), Vec::<String>::new(), "dnsmasq recorded a lease");
}

#[test]
fn dnsmasq_dhcpv6_advertise() {
    let (lab, client, server) = net();
    let (dnsmasq, leases) = dnsmasq(&lab, &server);
    let doc = run(&client, &dnsmasq, &["--json", "dhcp-discover", "--v6", "--timeout", "2s"]);
    let ad = &doc["advertises"][0];
    let addr: std::net::Ipv6Addr = ad["addresses"][0]["address"].as_str().unwrap().parse().unwrap();
    assert_eq!(addr.segments()[..4], [0x2001, 0xdb8, 5, 0], "{addr}");
    assert!((0x100..=0x1ff).contains(&addr.segments()[7]), "{addr}");
    assert_eq!(ad["dns_servers"], serde_json::json!(["2001:db8:5::53"]));
    assert_eq!(ad["domain_search"], serde_json::json!(["lab.test."]));
    // dnsmasq's IA_NA times for a 10 min lease: T1 half of it, T2 seven eighths.
    assert_eq!(
        (&ad["iaid"], &ad["t1_s"], &ad["t2_s"]),
        (&Value::from(1), &Value::from(300), &Value::from(525)),
        "{ad:#}"
    );
    assert!(dnsmasq.log().contains("DHCPADVERTISE(eth0)"), "{}", dnsmasq.log());
    assert_eq!(leases_held(&leases), Vec::<String>::new(), "dnsmasq recorded a lease");
}

/// dnsmasq pings a new address for 3 s before offering it (its default):
/// the old 3 s window missed that offer; the default window gets it.
#[test]
fn dnsmasq_with_its_ping_check_is_found_in_the_default_window() {
    let (lab, client, server) = net();
    let (dnsmasq, leases) = dnsmasq(&lab, &server);
    let started = Instant::now();
    let doc = run(&client, &dnsmasq, &["--json", "dhcp-discover", "--expect-server", "198.18.5.1"]);
    assert!(started.elapsed() < Duration::from_secs(8), "bounded by the 5 s window");
    let o = &doc["offers"][0];
    assert_eq!(o["server"], "198.18.5.1", "{doc:#}");
    let elapsed = o["elapsed_ms"].as_f64().unwrap();
    assert!(elapsed > 2500.0, "the offer waited for dnsmasq's ping check: {elapsed} ms");
    assert_eq!(doc["offers"].as_array().unwrap().len(), 1, "its answer to a retransmission is not a second offer");
    assert_eq!(doc["passed"], true);
    let log = dnsmasq.log();
    assert!(log.contains("DHCPOFFER(eth0)"), "{log}");
    assert!(!log.contains("DHCPREQUEST"), "no REQUEST was sent:\n{log}");
    assert_eq!(leases_held(&leases), Vec::<String>::new(), "dnsmasq recorded a lease");
}

/// A server that hands out a proxy auto-config URL (option 252) shows, in
/// text and JSON: dnsmasq sends it only because the DISCOVER asks for it.
#[test]
fn a_wpad_offering_dnsmasq_shows_its_url() {
    let (lab, client, server) = net();
    let (dnsmasq, _) = dnsmasq_with(&lab, &server, &["--dhcp-option=252,http://wpad.lab.test/wpad.dat"]);
    let doc = run(&client, &dnsmasq, &["--json", "dhcp-discover", "--first"]);
    let o = &doc["offers"][0];
    assert_eq!(o["wpad"], "http://wpad.lab.test/wpad.dat", "{o:#}");
    let option = o["options"].as_array().unwrap().iter().find(|v| v["code"] == 252).cloned().unwrap();
    assert_eq!(option["name"], "WPAD proxy auto-config URL");
    assert_eq!(doc["wpad"], serde_json::json!([{"server": "198.18.5.1", "url": "http://wpad.lab.test/wpad.dat"}]));

    let out = client.command(NETWALK).args(["dhcp-discover", "--first"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("WPAD: 198.18.5.1 tells browsers that auto-detect proxies to load their proxy configuration from http://wpad.lab.test/wpad.dat"),
        "{text}"
    );
    assert!(text.contains("WPAD (proxy auto-config)"), "{text}");
}
