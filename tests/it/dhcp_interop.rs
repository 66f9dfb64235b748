//! Interop tier: dnsmasq as the DHCP server (DHCPv4 and DHCPv6). Needs the
//! `dnsmasq` binary (Debian: dnsmasq-base); .ci/run installs it.
#![cfg(feature = "interop")]

use crate::lab;

use lab::{Host, Lab};
use serde_json::Value;
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

/// Starts dnsmasq in `host` and waits until its DHCP sockets are bound.
fn dnsmasq(lab: &Lab, host: &Host) -> (lab::Server, std::path::PathBuf) {
    lab::require("dnsmasq");
    let dir = lab.dir().join("dnsmasq");
    std::fs::create_dir_all(&dir).unwrap();
    let leases = dir.join("leases");
    let args = [
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
    assert!(dnsmasq.log().contains("DHCPADVERTISE(eth0)"), "{}", dnsmasq.log());
    assert_eq!(leases_held(&leases), Vec::<String>::new(), "dnsmasq recorded a lease");
}
