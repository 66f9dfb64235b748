//! traceroute against real kernel routers in the lab: the hop list equals the
//! topology, silent and prohibiting routers, ECMP, a lower-MTU link, and a
//! host that sends bogus time-exceeded messages.

use crate::lab;

use lab::cli::{assert_refused, code, json, netwalk, stderr};
use lab::{Host, Lab};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
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
            // A TCP probe tells the listener's SYN-ACK from the closed port's RST.
            let want = match port {
                Some("8080") => serde_json::json!("open"),
                Some(_) => serde_json::json!("closed"),
                None => Value::Null,
            };
            assert_eq!(doc.get("port_state").cloned().unwrap_or(Value::Null), want, "{args:?}");
            let last = doc["flows"][0]["hops"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(last["probes"][0].get("port_state").cloned().unwrap_or(Value::Null), want);
        }
    }
    if !unprivileged {
        let target = lab.addr_of("server", 4).to_string();
        for (port, word) in [("8080", "[open]"), ("8081", "[closed]")] {
            let out = netwalk(&client, &["traceroute", "--tcp", "-p", port, "-n", "-q", "1", &target]);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let last = text.lines().rev().nth(1).unwrap_or_default();
            assert!(last.starts_with(" 7 ") && last.ends_with(word), "{text}");
            assert!(
                text.ends_with(&format!("destination reached in 7 hops, port {port} {}\n", &word[1..word.len() - 1])),
                "{text}"
            );
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
    // Every probe that got an answer has it from its own hop (a probe lost in the flood
    // on a loaded machine is no misattribution, so this is not assert_full_path).
    let mut want = expected_hops(4, ROUTERS);
    want.push(target);
    let hops = doc["flows"][0]["hops"].as_array().unwrap();
    assert_eq!(hops.len(), want.len(), "{doc:#}");
    for (hop, want) in hops.iter().zip(&want) {
        let from: Vec<&str> = hop["probes"].as_array().unwrap().iter().filter_map(|p| p["from"].as_str()).collect();
        assert!(!from.is_empty(), "hop {want} answered none of 3 probes: {hop}");
        assert!(from.iter().all(|f| *f == want.to_string()), "only {want} answers at its hop: {hop}");
    }
    assert_eq!(doc["reached"], true, "{doc:#}");
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

#[test]
fn tcp_mtu_pads_its_syns_and_finds_the_1280_link() {
    let lab = chain();
    lab.host_by_name("r2").ip("link set dev eth1 mtu 1280");
    lab.host_by_name("r3").ip("link set dev eth0 mtu 1280");
    let server = lab.host_by_name("server");
    let _l4 = server.tcp_listener(format!("{}:443", lab.addr_of("server", 4)).parse().unwrap());
    let _l6 = server.tcp_listener(format!("[{}]:443", lab.addr_of("server", 6)).parse().unwrap());
    let client = lab.host_by_name("client");
    for (family, router) in [(4u8, "198.18.2.2"), (6, "2001:db8:2::2")] {
        let target = lab.addr_of("server", family).to_string();
        for (port, state) in [("443", "open"), ("444", "closed")] {
            let args = ["--json", "traceroute", "--tcp", "-p", port, "--mtu", "-n", "-q", "1", &target];
            let out = netwalk(&client, &args);
            assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
            let doc = json(&out);
            assert_eq!(doc["mtu"]["start"], 1500, "{doc:#}");
            assert_eq!(doc["mtu"]["path_mtu"], 1280, "{doc:#}");
            assert_eq!(doc["mtu"]["drops"][0]["router"], router);
            assert_eq!(doc["port_state"], state, "{doc:#}");
            let sizes: Vec<u64> =
                doc["flows"][0]["hops"].as_array().unwrap().iter().map(|h| h["size"].as_u64().unwrap()).collect();
            assert_eq!(sizes, vec![1500, 1500, 1280, 1280, 1280, 1280, 1280], "{doc:#}");
        }
    }
    // Unprivileged TCP connects cannot pad their SYNs: say so instead of measuring 60-byte probes.
    let out = netwalk_without_cap_net_raw(&client, &["traceroute", "--tcp", "--mtu", "-n", "198.18.7.2"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("--udp --mtu"), "{}", stderr(&out));
}

#[test]
fn rounds_stop_at_the_destination_when_its_replies_are_lost() {
    // The routers answer every probe; the server keeps its default ICMP rate
    // limit, so most of its port unreachables (UDP's destination replies) are lost.
    let lab = Lab::chain(&["client", "r1", "r2", "r3", "r4", "r5", "r6", "server"]);
    for r in 1..=ROUTERS {
        lab.host_by_name(&format!("r{r}")).no_icmp_ratelimit();
    }
    let client = lab.host_by_name("client");
    let target = lab.addr_of("server", 4).to_string();
    let out = netwalk(&client, &["--json", "traceroute", "--udp", "-n", "-c", "8", "-i", "5ms", &target]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let rounds = doc["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 7, "no phantom rows past the destination: {doc:#}");
    let last = rounds.last().unwrap();
    assert_eq!(last["addrs"][0], target);
    assert!(last["loss_pct"].as_f64().unwrap() > 0.0, "destination replies were lost: {last}");
    assert!(rounds[..6].iter().all(|h| h["loss_pct"] == 0.0 && h["sent"] == 8), "{doc:#}");
    assert_eq!(doc["rounds_done"], 8);
    let text = String::from_utf8_lossy(
        &netwalk(&client, &["traceroute", "--udp", "-n", "-c", "4", "-i", "5ms", &target]).stdout,
    )
    .into_owned();
    assert!(!text.contains("???") && text.ends_with("destination reached in 7 hops\n"), "{text}");
}

/// Reads NDJSON lines from a running netwalk until `want` lines satisfy `pred`.
fn read_until(lines: &mut impl Iterator<Item = String>, want: usize, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut hits = 0;
    for line in lines.by_ref() {
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        hits += usize::from(pred(&v));
        seen.push(v);
        if hits >= want {
            break;
        }
    }
    seen
}

#[test]
fn ctrl_c_during_rounds_prints_the_rounds_done() {
    use std::io::{BufRead, BufReader};
    let lab = chain();
    let client = lab.host_by_name("client");
    let target = lab.addr_of("server", 4).to_string();
    // -c 0: until interrupted. The NDJSON stream says when rounds are done.
    let mut child = client
        .command(NETWALK)
        .args(["--json-lines", "traceroute", "--icmp", "-n", "-c", "0", "-i", "10ms", &target])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let before = read_until(&mut lines, 3, |v| v["event"] == "round");
    assert_eq!(before[0]["event"], "start");
    assert_eq!(before.last().unwrap()["hops"].as_array().unwrap().len(), 7, "{:?}", before.last());
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let rest: Vec<Value> = lines.map(|l| serde_json::from_str(&l).unwrap()).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "reached, so exit 0 even when interrupted");
    let doc = rest.last().unwrap_or_else(|| panic!("nothing after Ctrl-C"));
    assert_eq!(doc["interrupted"], true, "{doc}");
    let done = doc["rounds_done"].as_u64().unwrap();
    assert!(done >= 3, "{doc}");
    let rows = doc["rounds"].as_array().unwrap();
    assert_eq!(rows.len(), 7, "{doc}");
    assert!(rows.iter().all(|h| h["sent"].as_u64().unwrap() >= done), "{doc}");
    assert_eq!(rows[6]["addrs"][0], target);

    // Text: the table of the rounds done and the interruption, then the verdict.
    let server = lab.host_by_name("server");
    let echoes = || -> u64 {
        let snmp = server.run("cat", ["/proc/net/snmp"]);
        let mut icmp = snmp.lines().filter(|l| l.starts_with("Icmp:"));
        let (names, values) = (icmp.next().unwrap(), icmp.next().unwrap());
        let at = names.split_whitespace().position(|n| n == "InEchos").unwrap();
        values.split_whitespace().nth(at).unwrap().parse().unwrap()
    };
    let start = echoes();
    let child = client
        .command(NETWALK)
        .args(["traceroute", "--icmp", "-n", "-c", "1000", "-i", "10ms", &target])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first round reaches the server with every TTL from 7 to 30, each later one with TTL 7 only.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while echoes() < start + 24 + 2 {
        assert!(std::time::Instant::now() < deadline, "netwalk did not probe");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(code(&out), 0, "{text}{}", stderr(&out));
    assert!(text.contains("Loss%") && text.contains(&target), "{text}");
    let line = text.lines().find(|l| l.starts_with("interrupted after ")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.ends_with(" of 1000 rounds"), "{text}");
    assert!(text.ends_with("destination reached in 7 hops\n"), "{text}");
}

/// The program in a tmux pane, then its exit code and whether the terminal
/// settings were given back unchanged.
fn in_pane(cmd: &str) -> String {
    format!(
        "a=$(stty -g); {cmd}; code=$?; [ \"$(stty -g)\" = \"$a\" ] && r=restored || r=NOT-restored; echo \"exit=$code tty=$r\""
    )
}

#[test]
fn live_view_in_an_80x24_tmux_pane() {
    let lab = chain();
    let client = lab.host_by_name("client");
    let target = lab.addr_of("server", 4).to_string();
    let cmd = format!("{NETWALK} traceroute --live --icmp -n -i 20ms {target}");
    let pane = lab::tmux::Tmux::start(&client, "trace", &in_pane(&cmd));
    let round = |screen: &[String]| -> u64 {
        let s = screen.get(1).map(String::as_str).unwrap_or_default();
        s.strip_prefix("round ").and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse().ok()).unwrap_or(0)
    };
    let screen = pane.wait_for("7 hops after 3 rounds", |s| {
        round(s) >= 3 && s.iter().any(|l| l.starts_with("7 ") && l.contains(&target))
    });
    assert!(screen[0].starts_with(&format!("traceroute to {target} ({target})")), "{screen:#?}");
    assert!(screen[2].starts_with("Hop Host") && screen[2].contains("Loss%  Snt") && screen[2].ends_with("StDev"));
    for ttl in 1..=6 {
        let line = &screen[2 + ttl];
        assert!(line.starts_with(&format!("{ttl} ")) && line.contains(&format!("198.18.{ttl}.2 ")), "{screen:#?}");
    }
    assert_eq!(screen.len(), 24, "{screen:#?}");
    assert!(screen.iter().all(|l| l.chars().count() <= 80));
    assert!(screen[23].starts_with("q quit  p pause  r reset  d display"), "{screen:#?}");

    // p pauses: the round count stops; p again resumes.
    pane.keys("p");
    let paused = pane.wait_for("PAUSED", |s| s[1].contains("PAUSED"));
    let at = round(&paused);
    std::thread::sleep(std::time::Duration::from_millis(300)); // 15 intervals
    assert!(round(&pane.screen()) <= at + 1, "no rounds while paused");
    pane.keys("p");
    pane.wait_for("rounds again", |s| !s[1].contains("PAUSED") && round(s) > at + 3);
    // d shows the history, r resets the statistics shown.
    pane.keys("d");
    let history = pane.wait_for("history", |s| s[2].contains("History"));
    assert!(history[3].contains('▁') || history[3].contains('█'), "{history:#?}");
    pane.keys("r");
    pane.wait_for("a reset", |s| s[1].contains("statistics since reset"));
    pane.keys("q");
    let report = pane.wait_for("the report", |s| s.iter().any(|l| l.starts_with("exit=")));
    let text = report.join("\n");
    // The alternate screen is gone: the -c report of the whole run, the verdict, and the terminal as it was.
    assert!(!text.contains("q quit"), "{text}");
    assert!(text.contains("Loss%") && text.contains("destination reached in 7 hops"), "{text}");
    assert!(!text.contains("interrupted"), "q is how a live view ends, not an interruption: {text}");
    assert!(text.contains("exit=0 tty=restored"), "{text}");
}

#[test]
fn ctrl_c_in_the_live_view_says_interrupted_and_reports_the_rounds_done() {
    let lab = chain();
    let client = lab.host_by_name("client");
    let target = lab.addr_of("server", 4).to_string();
    let cmd = format!("{NETWALK} traceroute --live --icmp -n -i 20ms {target}");
    let pane = lab::tmux::Tmux::start(&client, "trace-int", &in_pane(&cmd));
    let round = |screen: &[String]| -> u64 {
        let s = screen.get(1).map(String::as_str).unwrap_or_default();
        s.strip_prefix("round ").and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse().ok()).unwrap_or(0)
    };
    let seen = round(&pane.wait_for("3 rounds", |s| round(s) >= 3));
    pane.keys("C-c");
    let report = pane.wait_for("the report", |s| s.iter().any(|l| l.starts_with("exit=")));
    let text = report.join("\n");
    assert!(!text.contains("q quit"), "{text}");
    let line = report.iter().find(|l| l.starts_with("interrupted after ")).unwrap_or_else(|| panic!("{text}"));
    let done: u64 = line["interrupted after ".len()..].split_whitespace().next().unwrap().parse().unwrap();
    assert!(done >= seen, "the rounds done before Ctrl-C are reported: {line} (saw round {seen})");
    assert!(line.ends_with(" rounds"), "{line}");
    // The destination answered, so the verdict and its exit code stand.
    assert!(text.contains("Loss%") && text.contains("destination reached in 7 hops"), "{text}");
    assert!(text.contains("exit=0 tty=restored"), "{text}");
}

#[test]
fn live_view_shows_the_as_of_each_hop_with_asn() {
    let lab = chain();
    let server = lab.host_by_name("server");
    let dns = lab.addr_of("server", 4);
    start_hop_dns(&server, dns);
    let client = lab.host_by_name("client");
    client.set_resolv_conf(&format!("nameserver {dns}\n"));
    let target = dns.to_string();
    let cmd = format!("{NETWALK} traceroute --live --icmp -n --asn --asn-zone asn.lab.test -i 20ms {target}");
    let pane = lab::tmux::Tmux::start(&client, "trace-asn", &in_pane(&cmd));
    let screen = pane.wait_for("every hop with its AS", |s| {
        (1..=ROUTERS + 1).all(|n| s.iter().any(|l| l.contains(&format!("198.18.{n}.2 [AS{}]", 64500 + n))))
    });
    assert!(screen.iter().all(|l| l.chars().count() <= 80), "{screen:#?}");
    pane.keys("q");
    let report = pane.wait_for("the report", |s| s.iter().any(|l| l.starts_with("exit=")));
    let text = report.join("\n");
    assert!(text.contains("198.18.3.2") && text.contains("[AS64503]"), "the report keeps the AS: {text}");
    assert!(!text.contains("interrupted"), "{text}");
    assert!(text.contains("exit=0 tty=restored"), "{text}");
}

#[test]
fn live_view_without_a_terminal_is_the_report() {
    let lab = chain();
    let client = lab.host_by_name("client");
    let target = lab.addr_of("server", 4).to_string();
    let out = netwalk(&client, &["traceroute", "--live", "--icmp", "-n", "-c", "3", "-i", "5ms", &target]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains('\x1b'), "no terminal control in a pipe: {text:?}");
    assert!(text.contains("Loss%") && text.ends_with("destination reached in 7 hops\n"), "{text}");
    let doc = json(&netwalk(&client, &["--json", "traceroute", "--live", "--icmp", "-n", "-i", "5ms", &target]));
    assert_eq!(doc["rounds_done"], 10, "mtr's report default without -c");
    assert_eq!(doc["rounds"].as_array().unwrap().len(), 7);
}

#[test]
fn udp_dying_at_a_filter_says_so_and_suggests_icmp_or_tcp() {
    let lab = chain();
    // r3 forwards no UDP to the server (its own time exceeded still goes out).
    lab.host_by_name("r3").nft(
        "table inet lab {
            chain forward_udp {
                type filter hook forward priority 0;
                meta l4proto udp drop
            }
        }",
    );
    let client = lab.host_by_name("client");
    let target = lab.addr_of("server", 4).to_string();
    let args = ["traceroute", "--udp", "-n", "-q", "1", "-m", "9", "--timeout", "300ms", &target];
    let out = netwalk(&client, &args);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("UDP probes get no answer past hop 3 (198.18.3.2): a filter there probably drops them; try --icmp, or --tcp -p 443"),
        "{text}"
    );
    let mut json_args = vec!["--json"];
    json_args.extend(args);
    let doc = json(&netwalk(&client, &json_args));
    assert_eq!(doc["udp_filtered"]["ttl"], 3, "{doc:#}");
    assert_eq!(doc["udp_filtered"]["prohibited"], false);
    // ICMP gets through the same filter, as suggested: no hint there.
    let out = netwalk(&client, &["--json", "traceroute", "--icmp", "-n", "-q", "1", &target]);
    assert_eq!(code(&out), 0);
    assert!(json(&out).get("udp_filtered").is_none());
}

/// A DNS server on `host` (hickory-server) with the reverse zone of the
/// chain's IPv4 hops (rN.lab.test) and a Team Cymru-style AS zone,
/// asn.lab.test: hop N is in AS 64500+N.
fn start_hop_dns(host: &Host, at: IpAddr) {
    use hickory_server::Server;
    use hickory_server::proto::rr::{LowerName, Name};
    use hickory_server::proto::serialize::txt::Parser;
    use hickory_server::store::in_memory::InMemoryZoneHandler;
    use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
    use std::str::FromStr;
    let soa = "@ 3600 IN SOA ns.lab.test. hostmaster.lab.test. 1 7200 900 1209600 300\n@ 3600 IN NS ns.lab.test.\n";
    let mut reverse = format!("$ORIGIN 18.198.in-addr.arpa.\n{soa}");
    let mut asn = format!("$ORIGIN asn.lab.test.\n{soa}");
    for n in 1..=ROUTERS + 1 {
        reverse += &format!("2.{n} IN PTR hop{n}.rdns.test.\n");
        asn += &format!("2.{n}.18.198.origin IN TXT \"{} | 198.18.{n}.0/24 | ZZ | lab | 2024-01-01\"\n", 64500 + n);
        asn += &format!("AS{} IN TXT \"{} | ZZ | lab | 2024-01-01 | LAB-NET-{n}, ZZ\"\n", 64500 + n, 64500 + n);
    }
    // The server's IPv6 address, 2001:db8:7::2, under origin6.
    let nibbles = "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.0.0.0.8.b.d.0.1.0.0.2";
    asn += &format!("{nibbles}.origin6 IN TXT \"64599 | 2001:db8:7::/64 | ZZ | lab | 2024-01-01\"\n");
    let zones: Vec<(String, InMemoryZoneHandler)> = [reverse, asn]
        .into_iter()
        .map(|text| {
            let (origin, records) = Parser::new(text, None, None).parse().expect("zone parses");
            let handler =
                InMemoryZoneHandler::new(origin.clone(), records, ZoneType::Primary, AxfrPolicy::Deny).unwrap();
            (origin.to_string(), handler)
        })
        .collect();
    let sock = SocketAddr::new(at, 53);
    let (udp, tcp) = (host.udp_socket(sock), host.tcp_listener(sock));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let mut catalog = Catalog::new();
            for (origin, handler) in zones {
                catalog.upsert(LowerName::from(Name::from_str(&origin).unwrap()), vec![std::sync::Arc::new(handler)]);
            }
            let mut server = Server::new(catalog);
            udp.set_nonblocking(true).unwrap();
            tcp.set_nonblocking(true).unwrap();
            server.register_socket(tokio::net::UdpSocket::from_std(udp).unwrap());
            server.register_listener(
                tokio::net::TcpListener::from_std(tcp).unwrap(),
                std::time::Duration::from_secs(5),
                65535,
            );
            let _ = server.block_until_done().await;
        });
    });
}

#[test]
fn hop_names_and_as_numbers_from_a_lab_dns_zone() {
    let lab = chain();
    let server = lab.host_by_name("server");
    let dns = lab.addr_of("server", 4);
    start_hop_dns(&server, dns);
    let client = lab.host_by_name("client");
    client.set_resolv_conf(&format!("nameserver {dns}\n"));
    // The names must come from DNS: the hosts file (read first) names the lab's hosts.
    client.sh("echo '127.0.0.1 localhost' >/etc/hosts");
    let target = dns.to_string();
    let args = ["--json", "traceroute", "--icmp", "-q", "1", "--asn", "--asn-zone", "asn.lab.test", &target];
    let out = netwalk(&client, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    for n in 1..=ROUTERS + 1 {
        let ip = format!("198.18.{n}.2");
        assert_eq!(doc["names"][&ip], format!("hop{n}.rdns.test"), "{doc:#}");
        assert_eq!(doc["asns"][&ip]["asn"], 64500 + n as u64, "{doc:#}");
        assert_eq!(doc["asns"][&ip]["prefix"], format!("198.18.{n}.0/24"));
        assert_eq!(doc["asns"][&ip]["name"], format!("LAB-NET-{n}, ZZ"));
    }
    let out = netwalk(&client, &["traceroute", "--icmp", "-q", "1", "--asn", "--asn-zone", "asn.lab.test", &target]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.lines().any(|l| l.starts_with(" 3  hop3.rdns.test (198.18.3.2) [AS64503]  ")), "{text}");
    // -n: no names, the AS numbers still; IPv6 goes to origin6.
    let v6 = lab.addr_of("server", 6).to_string();
    let doc = json(&netwalk(
        &client,
        &["--json", "traceroute", "-n", "--icmp", "-q", "1", "--asn", "--asn-zone", "asn.lab.test", &v6],
    ));
    assert_eq!(doc["names"], serde_json::json!({}), "{doc:#}");
    assert_eq!(doc["asns"][&v6]["asn"], 64599, "{doc:#}");
    // Without --asn nothing is asked for.
    let doc = json(&netwalk(&client, &["--json", "traceroute", "--icmp", "-q", "1", &target]));
    assert!(doc.get("asns").is_none() && doc["names"]["198.18.1.2"] == "hop1.rdns.test", "{doc:#}");
}

#[test]
fn replies_over_a_longer_return_path_are_marked_asymmetric() {
    // Forward client → r1 → r2 → server; r2 sends everything for the client
    // back the long way, r2 → r3 → r4 → r1, as an asymmetric upstream would.
    let lab = Lab::new();
    let client = lab.host("client");
    let (r1, r2, r3, r4) = (lab.router("r1"), lab.router("r2"), lab.router("r3"), lab.router("r4"));
    let server = lab.host("server");
    lab.link(&client, "198.18.1.1/24", &r1, "198.18.1.2/24");
    lab.link(&r1, "198.18.2.1/24", &r2, "198.18.2.2/24");
    lab.link(&r2, "198.18.3.1/24", &server, "198.18.3.2/24");
    lab.link(&r2, "198.18.4.1/24", &r3, "198.18.4.2/24");
    lab.link(&r3, "198.18.5.1/24", &r4, "198.18.5.2/24");
    lab.link(&r4, "198.18.6.1/24", &r1, "198.18.6.2/24");
    lab.route_all();
    lab.no_icmp_ratelimit();
    r2.ip("route replace 198.18.1.0/24 via 198.18.4.2");
    r3.ip("route replace 198.18.1.0/24 via 198.18.5.2");
    r4.ip("route replace 198.18.1.0/24 via 198.18.6.2");
    let out = netwalk(&client, &["--json", "traceroute", "--icmp", "-n", "-c", "3", "-i", "5ms", "198.18.3.2"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let rounds = doc["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 3, "{doc:#}");
    // r1 answers directly (64 → 64: one hop back, its own number); r2's and the
    // server's replies cross r3, r4 and r1: TTL 61 and 60, 4 and 5 hops back.
    assert_eq!(rounds[0]["addrs"][0], "198.18.1.2");
    assert!(rounds[0].get("asymmetric_back_hops").is_none(), "{doc:#}");
    assert_eq!(rounds[1]["asymmetric_back_hops"], 4, "{doc:#}");
    assert_eq!(rounds[2]["addrs"][0], "198.18.3.2");
    assert_eq!(rounds[2]["asymmetric_back_hops"], 5, "{doc:#}");
    // The one-shot text says it as tracepath does.
    let text =
        String::from_utf8_lossy(&netwalk(&client, &["traceroute", "--icmp", "-n", "-q", "1", "198.18.3.2"]).stdout)
            .into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with(char::is_numeric)).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(!lines[0].contains("asymm"), "{text}");
    assert!(lines[1].ends_with("asymm 4") && lines[2].ends_with("asymm 5"), "{text}");
}

#[test]
fn live_view_merges_equal_cost_responders_with_their_shares() {
    // The ECMP diamond of flows_find_both_equal_cost_paths: classic UDP probes
    // change port every probe, so r1's L4 hash spreads them over r2a and r2b.
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
    let cmd = format!("{NETWALK} traceroute --live --udp --classic -n -i 10ms 198.18.6.2");
    let pane = lab::tmux::Tmux::start(&client, "ecmp", &in_pane(&cmd));
    let share = |s: &[String], ip: &str| -> Option<u32> {
        let line = s.iter().find(|l| l.contains(&format!("{ip} (")))?;
        line.split(&format!("{ip} (")).nth(1)?.split('%').next()?.parse().ok()
    };
    let screen = pane.wait_for("both hop-2 responders with shares", |s| {
        share(s, "198.18.2.2").is_some() && share(s, "198.18.3.2").is_some() && s.iter().any(|l| l.starts_with("4 "))
    });
    let (a, b) = (share(&screen, "198.18.2.2").unwrap(), share(&screen, "198.18.3.2").unwrap());
    assert!(a > 0 && b > 0 && (98..=100).contains(&(a + b)), "shares {a}% + {b}%: {screen:#?}");
    // Hop 2 is one row with the second responder on its own line under it, not two hops.
    let hop2 = screen.iter().position(|l| l.starts_with("2 ")).expect("a hop 2 row");
    assert!(screen[hop2 + 1].starts_with("  ") && !screen[hop2 + 1].starts_with("3 "), "{screen:#?}");
    assert!(screen.iter().any(|l| l.starts_with("3 ") && (l.contains("198.18.4.2") || l.contains("198.18.5.2"))));
    assert!(screen.iter().all(|l| l.chars().count() <= 80));
    pane.keys("q");
    let report = pane.wait_for("the report", |s| s.iter().any(|l| l.starts_with("exit=")));
    let text = report.join("\n");
    assert!(text.contains("198.18.2.2") && text.contains("198.18.3.2"), "the report keeps both: {text}");
    assert!(text.contains("exit=0 tty=restored"), "{text}");
}
