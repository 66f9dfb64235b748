//! traceroute against real kernel routers in the lab: the hop list equals the
//! topology, silent and prohibiting routers, ECMP, a lower-MTU link, and a
//! host that sends bogus time-exceeded messages.

use crate::lab;

use lab::cli::{assert_refused, code, json, netwalk, stderr};
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

/// The first responder of every hop of flow `flow` (None for a silent hop).
fn path(doc: &Value, flow: usize) -> Vec<Option<IpAddr>> {
    doc["flows"][flow]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["probes"].as_array().unwrap().iter().find_map(|p| p["from"].as_str()).map(|s| s.parse().unwrap()))
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

/// Runs netwalk in `host` without CAP_NET_RAW, so it must choose the unprivileged path itself.
fn netwalk_without_cap_net_raw(host: &Host, args: &[&str]) -> Output {
    host.command_without_net_raw(NETWALK).args(args).output().expect("run netwalk")
}

#[test]
fn without_cap_net_raw_it_falls_back_or_names_the_remedies() {
    let lab = chain();
    let client = lab.host_by_name("client");
    let target = lab.addr_of("server", 4).to_string();
    // ping_group_range is "1 0" (nobody) by default: ICMP cannot work, UDP can.
    let out = netwalk_without_cap_net_raw(&client, &["traceroute", "--icmp", "-n", &target]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("CAP_NET_RAW") && err.contains("setcap") && err.contains("--udp"), "{err}");
    let out = netwalk_without_cap_net_raw(&client, &["--json", "traceroute", "--udp", "-n", "-q", "1", &target]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["mode"], "recv_err");
    assert_full_path(&lab, &doc, 4, 1);
    client.allow_ping_sockets();
    let out = netwalk_without_cap_net_raw(&client, &["--json", "traceroute", "--icmp", "-n", "-q", "1", &target]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["mode"], "ping_socket");
    assert_full_path(&lab, &doc, 4, 1);
}

#[test]
fn a_silent_router_shows_stars_and_later_hops_still_answer() {
    let lab = chain();
    lab.host_by_name("r3").nft(
        "table inet lab {
            chain silence {
                type filter hook output priority 0;
                icmp type time-exceeded drop
                icmpv6 type time-exceeded drop
            }
        }",
    );
    let client = lab.host_by_name("client");
    for family in [4u8, 6] {
        let target = lab.addr_of("server", family).to_string();
        let out = netwalk(&client, &["--json", "traceroute", "--icmp", "-n", "-q", "3", &target]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let doc = json(&out);
        let mut want: Vec<Option<IpAddr>> = expected_hops(family, ROUTERS).into_iter().map(Some).collect();
        want[2] = None;
        want.push(Some(lab.addr_of("server", family)));
        assert_eq!(path(&doc, 0), want, "{doc:#}");
        let hop3 = &doc["flows"][0]["hops"][2]["probes"];
        assert!(hop3.as_array().unwrap().iter().all(|p| p.get("from").is_none()), "{hop3}");
        // The adaptive wait gave up on hop 3 long before the 3 s timeout.
        assert!(doc["elapsed_ms"].as_f64().unwrap() < 1000.0, "{}", doc["elapsed_ms"]);
    }
    let human = netwalk(&client, &["traceroute", "--icmp", "-n", &lab.addr_of("server", 4).to_string()]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.lines().any(|l| l.trim() == "3  * * *"), "{text}");
}

#[test]
fn a_prohibit_route_shows_its_marker_and_fails() {
    let lab = chain();
    let server4 = lab.addr_of("server", 4);
    let server6 = lab.addr_of("server", 6);
    let r3 = lab.host_by_name("r3");
    r3.route(&format!("prohibit {server4}/32"));
    r3.route(&format!("prohibit {server6}/128"));
    let client = lab.host_by_name("client");
    // IPv4 route errors have their own token bucket in the kernel (ip_error:
    // a burst of 5, then one per second, not governed by icmp_ratelimit), so
    // -m 3 lets exactly one probe per run reach the prohibiting router.
    for (target, from) in [(server4.to_string(), "198.18.3.2"), (server6.to_string(), "2001:db8:3::2")] {
        for method in ["--icmp", "--udp"] {
            let out = netwalk(&client, &["--json", "traceroute", method, "-n", "-q", "1", "-m", "3", &target]);
            assert_eq!(code(&out), 1, "not reached is exit 1: {}", stderr(&out));
            let doc = json(&out);
            let hops = doc["flows"][0]["hops"].as_array().unwrap();
            assert_eq!(hops.len(), 3, "the trace ends at the prohibiting router: {doc:#}");
            let probe = &hops[2]["probes"][0];
            assert_eq!(probe["from"], from);
            assert_eq!(probe["kind"], "unreachable");
            assert_eq!(doc["reached"], false);
        }
        let out = netwalk(&client, &["traceroute", "--icmp", "-n", "-q", "1", "-m", "3", &target]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(" !X") && text.contains("destination not reached"), "{text}");
    }
}

#[test]
fn flows_find_both_equal_cost_paths() {
    let lab = Lab::new();
    let client = lab.host("client");
    let r1 = lab.router("r1");
    let (r2a, r2b) = (lab.router("r2a"), lab.router("r2b"));
    let r3 = lab.router("r3");
    let server = lab.host("server");
    lab.link(&client, "198.18.1.1/24", &r1, "198.18.1.2/24");
    lab.link(&r1, "198.18.2.1/24", &r2a, "198.18.2.2/24");
    lab.link(&r1, "198.18.3.1/24", &r2b, "198.18.3.2/24");
    lab.link(&r2a, "198.18.4.1/24", &r3, "198.18.4.2/24");
    lab.link(&r2b, "198.18.5.1/24", &r3, "198.18.5.2/24");
    lab.link(&r3, "198.18.6.1/24", &server, "198.18.6.2/24");
    lab.route_all();
    lab.no_icmp_ratelimit();
    r1.sysctl("net.ipv4.fib_multipath_hash_policy", "1");
    r1.ip("route replace 198.18.6.0/24 nexthop via 198.18.2.2 nexthop via 198.18.3.2");
    let out = netwalk(&client, &["--json", "traceroute", "--udp", "-n", "-q", "1", "--flows", "12", "198.18.6.2"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let mut second: Vec<IpAddr> = (0..12).filter_map(|f| path(&doc, f)[1]).collect();
    second.sort();
    second.dedup();
    assert_eq!(second, vec!["198.18.2.2".parse::<IpAddr>().unwrap(), "198.18.3.2".parse().unwrap()], "{doc:#}");
    for f in 0..12 {
        let p = path(&doc, f);
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], Some("198.18.1.2".parse().unwrap()));
        assert_eq!(p[3], Some("198.18.6.2".parse().unwrap()));
    }
    assert_eq!(doc["distinct_paths"], 2);
    assert_eq!(doc["divergence"]["ttl"], 2);
    let text = String::from_utf8_lossy(
        &netwalk(&client, &["traceroute", "--tcp", "-p", "9", "-n", "-q", "1", "--flows", "12", "198.18.6.2"]).stdout,
    )
    .into_owned();
    assert!(text.contains("2 distinct paths over 12 flows; they diverge at hop 2"), "{text}");
}

#[test]
fn mtu_finds_the_lower_mtu_link() {
    let lab = chain();
    // Link 3 is r2 eth1 — r3 eth0.
    lab.host_by_name("r2").ip("link set dev eth1 mtu 1300");
    lab.host_by_name("r3").ip("link set dev eth0 mtu 1300");
    let client = lab.host_by_name("client");
    for (family, router) in [(4u8, "198.18.2.2"), (6, "2001:db8:2::2")] {
        let target = lab.addr_of("server", family).to_string();
        for method in ["--icmp", "--udp"] {
            let out = netwalk(&client, &["--json", "traceroute", method, "--mtu", "-n", "-q", "1", &target]);
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            let doc = json(&out);
            let mtu = &doc["mtu"];
            assert_eq!(mtu["start"], 1500, "{doc:#}");
            assert_eq!(mtu["path_mtu"], 1300, "{doc:#}");
            assert_eq!(mtu["drops"][0]["router"], router);
            assert_eq!(mtu["drops"][0]["ttl"], 2);
            let sizes: Vec<u64> =
                doc["flows"][0]["hops"].as_array().unwrap().iter().map(|h| h["size"].as_u64().unwrap()).collect();
            assert_eq!(sizes, vec![1500, 1500, 1300, 1300, 1300, 1300, 1300], "{doc:#}");
        }
    }
}

#[test]
fn bogus_time_exceeded_messages_change_nothing() {
    let lab = chain();
    let client = lab.host_by_name("client");
    let liar = lab.host_by_name("r4");
    let raw = liar.socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP, None);
    let raw = socket2::Socket::from(raw);
    let target = lab.addr_of("server", 4);
    let client_addr: IpAddr = "198.18.1.1".parse().unwrap();
    let mut child = client
        .command(NETWALK)
        .args(["--json", "traceroute", "--icmp", "-n", "-q", "3", "-z", "3ms", &target.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let ident = (child.id() as u16) ^ 0x5a00;
    // (-z 3ms keeps the trace running while the liar floods.)
    // Time exceeded quoting: our id but another destination, our destination
    // but sequence numbers never sent, and other identifiers.
    let quotes: Vec<(IpAddr, u16, u16)> = (1..40u16)
        .flat_map(|seq| {
            [("198.18.99.1".parse().unwrap(), ident, seq), (target, ident, seq + 1000), (target, ident ^ 0x1111, seq)]
        })
        .collect();
    let dest = socket2::SockAddr::from(std::net::SocketAddr::new(client_addr, 0));
    let mut sent = 0;
    while child.try_wait().unwrap().is_none() && sent < 20_000 {
        for (dst, id, seq) in &quotes {
            let _ = raw.send_to(&bogus_time_exceeded(client_addr, *dst, *id, *seq), &dest);
            sent += 1;
        }
        // A steady stream, not a burst that overflows any receive buffer on a
        // loaded machine: the point is misattribution, not denial of service.
        std::thread::sleep(std::time::Duration::from_micros(500));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_full_path(&lab, &doc, 4, 3);
    assert!(doc["ignored"]["unmatched"].as_u64().unwrap() > 0, "the bogus messages arrived and were ignored: {doc}");
}

/// An ICMP time exceeded (type 11) quoting an echo request from `src` to `dst`.
fn bogus_time_exceeded(src: IpAddr, dst: IpAddr, id: u16, seq: u16) -> Vec<u8> {
    let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else { unreachable!() };
    let mut quoted = vec![0x45, 0, 0, 28, 0, 0, 0x40, 0, 1, 1, 0, 0];
    quoted.extend(s.octets());
    quoted.extend(d.octets());
    quoted.extend([8, 0, 0, 0]);
    quoted.extend(id.to_be_bytes());
    quoted.extend(seq.to_be_bytes());
    let mut icmp = vec![11, 0, 0, 0, 0, 0, 0, 0];
    icmp.extend(quoted);
    let mut sum: u32 = icmp.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    icmp[2..4].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    icmp
}

#[test]
fn rounds_report_flags_rate_limited_hops_instead_of_loss() {
    // Default ICMP rate limits here (no no_icmp_ratelimit): each router sends
    // a burst of 6 time-exceeded, then one per second; echo replies are not limited.
    let lab = Lab::chain(&["client", "r1", "r2", "r3", "server"]);
    let client = lab.host_by_name("client");
    let target = lab.addr_of("server", 4).to_string();
    let out = netwalk(&client, &["--json", "traceroute", "--icmp", "-n", "-c", "20", "-i", "5ms", &target]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let rounds = doc["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 4, "{doc:#}");
    for (i, hop) in rounds.iter().enumerate() {
        assert_eq!(hop["sent"], 20);
        if i < 3 {
            assert_eq!(hop["addrs"][0], format!("198.18.{}.2", i + 1));
            assert!(hop["loss_pct"].as_f64().unwrap() > 0.0, "rate limiting drops errors: {hop}");
            assert_eq!(hop["rate_limited"], true, "{hop}");
        } else {
            assert_eq!(hop["loss_pct"], 0.0, "{hop}");
            assert_eq!(hop["rate_limited"], false);
            assert!(hop["best_ms"].as_f64().unwrap() <= hop["avg_ms"].as_f64().unwrap());
            assert!(hop["avg_ms"].as_f64().unwrap() <= hop["worst_ms"].as_f64().unwrap());
        }
    }
    let text = String::from_utf8_lossy(
        &netwalk(&client, &["traceroute", "--icmp", "-n", "-c", "3", "-i", "5ms", &target]).stdout,
    )
    .into_owned();
    assert!(text.contains("Loss%") && text.contains("StDev"), "{text}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let lab = Lab::chain(&["client", "server"]);
    let client = lab.host_by_name("client");
    for (args, needle) in [
        (vec!["traceroute", "-m", "0", "198.18.1.2"], "0"),
        (vec!["traceroute", "-m", "256", "198.18.1.2"], "256"),
        (vec!["traceroute", "-f", "0", "198.18.1.2"], "0"),
        (vec!["traceroute", "-f", "10", "-m", "5", "198.18.1.2"], "first TTL 10 is above the max TTL 5"),
        (vec!["traceroute", "--icmp", "--classic", "198.18.1.2"], "--classic applies to UDP"),
        (vec!["traceroute", "--icmp", "--tcp", "198.18.1.2"], "cannot be used with"),
        (vec!["traceroute", "--icmp", "--flows", "4", "198.18.1.2"], "--flows needs --udp or --tcp"),
        (vec!["traceroute", "-q", "11", "198.18.1.2"], "11"),
        (vec!["traceroute", "no-such-host.test"], "cannot resolve 'no-such-host.test'"),
        (vec!["traceroute", "bad_name!.test"], "not a valid host name"),
    ] {
        let out = netwalk(&client, &args);
        assert_refused(&format!("{args:?}"), &out, 2, needle);
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
