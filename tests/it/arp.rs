//! arp against real kernels in the lab: hosts on a bridge answer who-has and
//! neighbour solicitations with the MACs the test gave them; duplicates,
//! silent addresses, DAD, sweeps, the neighbour cache and off-link targets.

use crate::lab;

use lab::cli::{assert_refused, code, json, netwalk, stderr};
use lab::{Host, Lab, Switch};
use serde_json::Value;
use std::collections::BTreeMap;

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

/// client and hosts on one bridge, 198.18.5.0/24 and 2001:db8:5::/64.
struct Lan {
    lab: Lab,
    lan: Switch,
    client: Host,
}

fn lan() -> Lan {
    let lab = Lab::new();
    let lan = lab.switch("lan");
    let client = lab.host("client");
    lab.attach(&client, &lan, "198.18.5.1/24,2001:db8:5::1/64");
    Lan { lab, lan, client }
}

impl Lan {
    fn host(&self, name: &str, addrs: &str, mac: &str) -> Host {
        let h = self.lab.host(name);
        self.lab.attach(&h, &self.lan, addrs);
        h.set_mac("eth0", mac);
        h
    }
}

#[test]
fn who_has_reports_the_exact_mac_with_a_kernel_timed_rtt() {
    let l = lan();
    l.host("h20", "198.18.5.20/24", "02:aa:00:00:05:14");
    let out = netwalk(&l.client, &["--json", "arp", "-c", "2", "-i", "100ms", "198.18.5.20"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["link"]["interface"], "eth0");
    assert_eq!(doc["link"]["source"], "198.18.5.1");
    assert_eq!(doc["link"]["mac"], l.client.mac("eth0"));
    assert_eq!(doc["route"]["kind"], "unicast");
    let replies = doc["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 2, "{doc}");
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(r["mac"], "02:aa:00:00:05:14");
        assert_eq!(r["seq"], i as u64 + 1);
        assert_eq!(r["vendor"]["kind"], "locally_administered");
        // The kernel switches RX stamps on through deferred work when the first
        // socket asks, so the very first reply of a process may lack one (and
        // says so); later ones are kernel TX to kernel RX.
        let first_may_lack_rx = i == 0 && r["rtt_source"] == "kernel_tx_user_rx";
        assert!(r["rtt_source"] == "kernel_packet" || first_may_lack_rx, "{r}");
        let rtt = r["rtt_ms"].as_f64().unwrap();
        assert!(rtt > 0.0 && rtt < 100.0, "{r}");
    }
    assert_eq!(doc["conflict"], false);
    assert_eq!(doc["summary"]["received"], 2);
}

#[test]
fn one_probe_exits_at_the_answer_not_at_the_timeout() {
    let l = lan();
    l.host("h20", "198.18.5.20/24", "02:aa:00:00:05:14");
    let started = std::time::Instant::now();
    let out = netwalk(&l.client, &["arp", "-c", "1", "--timeout", "5s", "198.18.5.20"]);
    let took = started.elapsed();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("reply from 198.18.5.20 02:aa:00:00:05:14 (locally administered) seq=1 rtt="), "{text}");
    assert!(text.contains("198.18.5.20 is at 02:aa:00:00:05:14"), "{text}");
    assert!(took < std::time::Duration::from_secs(2), "took {took:?} with a 5 s timeout");
}

#[test]
fn a_silent_address_exits_1() {
    let l = lan();
    let out = netwalk(&l.client, &["--json", "arp", "-c", "2", "-i", "100ms", "--timeout", "300ms", "198.18.5.99"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["summary"]["sent"], 2);
    assert_eq!(doc["summary"]["received"], 0);
    assert_eq!(doc["verdict"], "no answer from 198.18.5.99");
}

#[test]
fn two_hosts_with_one_address_are_a_conflict() {
    let l = lan();
    l.host("a1", "198.18.5.30/24", "02:aa:00:00:05:a1");
    l.host("a2", "198.18.5.30/24", "02:aa:00:00:05:a2");
    let out = netwalk(&l.client, &["--json", "arp", "-c", "2", "-i", "100ms", "198.18.5.30"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["conflict"], true);
    let mut macs: Vec<String> =
        doc["responders"].as_array().unwrap().iter().map(|r| r["mac"].as_str().unwrap().to_string()).collect();
    macs.sort();
    assert_eq!(macs, ["02:aa:00:00:05:a1", "02:aa:00:00:05:a2"]);
    assert!(doc["verdict"].as_str().unwrap().contains("address conflict: 2 MACs"), "{doc}");
    assert!(doc["replies"].as_array().unwrap().iter().any(|r| r["conflict"] == true));
}

#[test]
fn dad_works_without_an_ipv4_address_and_finds_the_owner() {
    let l = lan();
    l.host("h20", "198.18.5.20/24", "02:aa:00:00:05:14");
    let fresh = l.lab.host("fresh");
    l.lab.attach(&fresh, &l.lan, "");
    assert!(fresh.addrs(4).is_empty());

    let out = netwalk(&fresh, &["--json", "arp", "--dad", "-I", "eth0", "-c", "2", "-i", "200ms", "198.18.5.20"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["mode"], "dad");
    assert_eq!(doc["link"]["source"], "0.0.0.0");
    assert_eq!(doc["in_use"], true);
    assert_eq!(doc["responders"][0]["mac"], "02:aa:00:00:05:14");

    let out = netwalk(
        &fresh,
        &["--json", "arp", "--dad", "-I", "eth0", "-c", "2", "-i", "100ms", "--timeout", "200ms", "198.18.5.21"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["in_use"], false);

    // Without --dad the same interface has nothing to ask from.
    let out = netwalk(&fresh, &["arp", "-I", "eth0", "-c", "1", "198.18.5.20"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("has no IPv4 address"), "{}", stderr(&out));
}

#[test]
fn a_sweep_of_a_24_finds_exactly_the_50_hosts() {
    let l = lan();
    let mut expected = BTreeMap::new();
    for i in 1..=50u32 {
        let last = 2 + i * 4; // .6 .. .202, spread over the /24
        let mac = format!("02:bb:00:00:{:02x}:{:02x}", i / 256, i % 256);
        l.host(&format!("s{i}"), &format!("198.18.5.{last}/24"), &mac);
        expected.insert(format!("198.18.5.{last}"), mac);
    }
    let out = netwalk(&l.client, &["--json", "arp", "198.18.5.0/24"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["addresses"], 253, "the /24 without network, broadcast and our own address");
    let found: BTreeMap<String, String> = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["ip"].as_str().unwrap().to_string(), h["mac"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(doc["conflicts"], 0);
    // The 203 silent addresses are tried twice (1 retry); a live host is retried
    // only if its answer came later than the adaptive bound.
    let sent = doc["sent"].as_u64().unwrap();
    assert!((50 + 203 * 2..=2 * 253).contains(&sent), "{sent} requests");
    assert!(doc["late_after_ms"].as_f64().unwrap() < 1000.0, "adaptive, not the 1 s timeout: {doc}");
}

#[test]
fn ipv6_neighbour_solicitation_reports_the_mac() {
    let l = lan();
    l.host("h20", "198.18.5.20/24,2001:db8:5::20/64", "02:aa:00:00:05:14");
    let out = netwalk(&l.client, &["--json", "arp", "-c", "2", "-i", "100ms", "2001:db8:5::20"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["link"]["source"], "2001:db8:5::1");
    assert_eq!(doc["summary"]["received"], 2);
    for (i, r) in doc["replies"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["mac"], "02:aa:00:00:05:14");
        assert!(r["rtt_source"] == "kernel_packet" || (i == 0 && r["rtt_source"] == "kernel_tx_user_rx"), "{r}");
    }
    let silent = netwalk(&l.client, &["arp", "-c", "1", "--timeout", "300ms", "2001:db8:5::99"]);
    assert_eq!(code(&silent), 1, "{}", stderr(&silent));
}

#[test]
fn the_cache_matches_ip_neigh_after_traffic() {
    let l = lan();
    l.host("h20", "198.18.5.20/24,2001:db8:5::20/64", "02:aa:00:00:05:14");
    l.host("h21", "198.18.5.21/24", "02:aa:00:00:05:15");
    // Traffic from the client's kernel: each datagram makes it resolve the neighbour.
    let v4 = l.client.udp_socket("198.18.5.1:0".parse().unwrap());
    let v6 = l.client.udp_socket("[2001:db8:5::1]:0".parse().unwrap());
    for dst in ["198.18.5.20:9", "198.18.5.21:9", "198.18.5.77:9"] {
        v4.send_to(b"x", dst).unwrap();
    }
    v6.send_to(b"x", "[2001:db8:5::20]:9").unwrap();
    // Wait (bounded) until the kernel has resolved the three live neighbours.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let table = l.client.ip("neigh show");
        let resolved = ["198.18.5.20 ", "198.18.5.21 ", "2001:db8:5::20 "]
            .iter()
            .all(|a| table.lines().any(|line| line.starts_with(a) && line.contains("lladdr")));
        if resolved {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "neighbours never resolved:\n{table}");
        std::thread::yield_now();
    }
    let out = netwalk(&l.client, &["--json", "arp", "--cache"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ours: BTreeMap<String, (String, String, String)> = json(&out)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mac = e["mac"].as_str().unwrap_or("").to_string();
            (
                e["address"].as_str().unwrap().to_string(),
                (e["interface"].as_str().unwrap().to_string(), mac, e["state"].as_str().unwrap().to_string()),
            )
        })
        .collect();
    let ip: Value = serde_json::from_str(&l.client.ip("-j neigh show")).unwrap();
    let theirs: BTreeMap<String, (String, String, String)> = ip
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let states: Vec<&str> = e["state"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            let mac = e["lladdr"].as_str().unwrap_or("").to_string();
            (e["dst"].as_str().unwrap().to_string(), (e["dev"].as_str().unwrap().to_string(), mac, states.join(",")))
        })
        .collect();
    // The unanswered entry moves from INCOMPLETE to FAILED on the kernel's own clock.
    let settle = |mut m: BTreeMap<String, (String, String, String)>| {
        if let Some(e) = m.get_mut("198.18.5.77") {
            e.2.clear();
        }
        m
    };
    let (ours, theirs) = (settle(ours), settle(theirs));
    assert_eq!(ours, theirs);
    assert_eq!(ours["198.18.5.20"].1, "02:aa:00:00:05:14");
    assert_eq!(ours["198.18.5.21"].1, "02:aa:00:00:05:15");
    assert_eq!(ours["2001:db8:5::20"].1, "02:aa:00:00:05:14");
    assert!(ours.contains_key("198.18.5.77"));
}

#[test]
fn an_off_link_target_is_explained_and_gateway_asks_the_router() {
    let l = lan();
    let gw = l.lab.router("gw");
    l.lab.attach(&gw, &l.lan, "198.18.5.254/24");
    gw.set_mac("eth0", "02:aa:00:00:05:fe");
    let far = l.lab.host("far");
    l.lab.link(&gw, "198.18.9.1/24", &far, "198.18.9.9/24");
    l.lab.route_all();

    let out = netwalk(&l.client, &["--json", "arp", "198.18.9.9"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["mode"], "off_link");
    assert_eq!(doc["route"]["gateway"], "198.18.5.254");
    assert_eq!(doc["route"]["interface"], "eth0");
    let text = netwalk(&l.client, &["arp", "198.18.9.9"]);
    let line = String::from_utf8_lossy(&text.stdout);
    assert!(
        line.contains("198.18.9.9 is not on a local link: the route goes via gateway 198.18.5.254 on eth0"),
        "{line}"
    );

    let out = netwalk(&l.client, &["--json", "arp", "--gateway", "-c", "1", "198.18.9.9"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["asked"], "198.18.5.254");
    assert_eq!(doc["via_gateway"], "198.18.5.254");
    assert_eq!(doc["replies"][0]["mac"], "02:aa:00:00:05:fe");
}

#[test]
fn bad_input_gets_one_line_and_the_documented_code() {
    let l = lan();
    for (args, want, says) in [
        (&["arp", "198.18.5"][..], 2, "is not an IP address, CIDR or range"),
        (&["arp", "198.18.5.0/33"][..], 2, "is not an IP address, CIDR or range"),
        (&["arp", "198.18.0.0/15"][..], 2, "add --force"),
        (&["arp", "2001:db8:5::/64"][..], 2, "sweeps are IPv4 only"),
        (&["arp", "-c", "2", "198.18.5.0/24"][..], 2, "apply to a single address"),
        (&["arp", "-I", "lo", "198.18.5.20"][..], 3, "interface lo has no Ethernet address"),
        (&["arp", "-I", "nosuch0", "198.18.5.20"][..], 3, "no such interface 'nosuch0'"),
        (&["arp"][..], 2, "required arguments"),
    ] {
        let out = netwalk(&l.client, args);
        assert_refused(&format!("{args:?}"), &out, want, says);
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn without_cap_net_raw_it_says_so_and_exits_3() {
    let l = lan();
    let out = l
        .client
        .command_without_net_raw(NETWALK)
        .args(["arp", "-c", "1", "198.18.5.20"])
        .output()
        .expect("run netwalk");
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "{err}");
    assert!(err.starts_with("netwalk: error: sending ARP requests needs CAP_NET_RAW"), "{err}");
    assert_eq!(err.lines().count(), 1);
    // The cache needs no privilege.
    let out = l.client.command_without_net_raw(NETWALK).args(["arp", "--cache"]).output().expect("run netwalk");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// Waits until `host` sees an ARP request for `target` cross the bridge.
fn wait_for_request(sniffer: &std::net::UdpSocket, target: [u8; 4]) {
    let mut frame = [0u8; 1600];
    loop {
        let n = sniffer.recv(&mut frame).expect("the sweep's requests crossed the bridge");
        if n >= 42 && frame[12..14] == [0x08, 0x06] && frame[20..22] == [0, 1] && frame[38..42] == target {
            return;
        }
    }
}

#[test]
fn ctrl_c_during_a_sweep_prints_the_hosts_found_and_exits_130() {
    let l = lan();
    let h3 = l.host("h3", "198.18.5.3/24", "02:aa:00:00:05:03");
    l.host("h4", "198.18.5.4/24", "02:aa:00:00:05:04");
    let sniffer = h3.socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(0x0806u16.to_be()), None);
    let sniffer = std::net::UdpSocket::from(sniffer); // only for recv with a timeout
    sniffer.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    for json_out in [true, false] {
        let mut args = vec!["arp", "--rate", "20", "198.18.5.0/24"];
        if json_out {
            args.insert(0, "--json");
        }
        let child = l
            .client
            .command(NETWALK)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // .3 and .4 were asked (and answered) well before the request for .12.
        wait_for_request(&sniffer, [198, 18, 5, 12]);
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 130, "interrupted, not a verdict: {}", stderr(&out));
        if json_out {
            let doc = json(&out);
            assert_eq!(doc["interrupted"], true, "{doc}");
            let ips: Vec<&str> = doc["hosts"].as_array().unwrap().iter().map(|h| h["ip"].as_str().unwrap()).collect();
            assert_eq!(ips, ["198.18.5.3", "198.18.5.4"], "{doc}");
            let asked = doc["asked"].as_u64().unwrap();
            assert!((11..253).contains(&asked), "{doc}");
        } else {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("198.18.5.3 ") && text.contains("02:aa:00:00:05:04"), "{text}");
            let line =
                text.lines().find(|l| l.starts_with("interrupted after asking ")).unwrap_or_else(|| panic!("{text}"));
            assert!(line.ends_with(" of 253 addresses: the hosts found so far"), "{text}");
        }
    }
}

/// data/oui.tsv is exactly what scripts/update-oui.sh makes of the IEEE
/// registries in the ieee-data version it names (.ci/run installs that).
#[cfg(feature = "interop")]
#[test]
fn the_vendor_table_is_current_with_its_script() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("bash")
        .arg(format!("{root}/scripts/update-oui.sh"))
        .arg("--check")
        .output()
        .expect("run scripts/update-oui.sh");
    assert_eq!(
        code(&out),
        0,
        "{}{}(scripts/update-oui.sh --install puts the pinned ieee-data in place)",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("data/oui.tsv is current"));
}
