//! `netwalk lab` end to end: the binary builds its mini-internet, runs a
//! command in the client, passes on its exit code and leaves nothing behind.
//! Facts are checked against what the lab's peers really did: the kernel's
//! view of the client's address (from the DHCP ACK), the answers of the home
//! router's recursive resolver and of the DNS hierarchy behind it,
//! the web server's redirect, HSTS and certificate.

use serde_json::Value;
use std::process::{Command, Output};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

fn lab(args: &[&str]) -> Output {
    Command::new(NETWALK).arg("lab").args(args).output().expect("run netwalk lab")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn show(out: &Output) -> String {
    format!("status {:?}\n--- stdout\n{}--- stderr\n{}", out.status, text(&out.stdout), text(&out.stderr))
}

#[test]
fn default_explain_walks_the_redirect_to_https_and_passes() {
    let out = lab(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("GET / HTTP/1.1 → 301 Moved Permanently, redirect to https://www.example.test/"),
        "{stdout}"
    );
    assert!(stdout.contains("Final response: 200 after 2 hops"), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("client 198.18.0.100/24 leased from 198.18.0.1"), "{stderr}");
}

#[test]
fn json_passthrough_shows_each_fact_from_the_lab_peers() {
    let out = lab(&["--", "sh", "-c", "netwalk --json explain --ca-file \"$NETWALK_LAB_CA\" http://www.example.test/"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    assert_eq!(report["final_status"], 200);
    assert_eq!(report["hops"], 2);
    let steps = report["steps"].as_array().unwrap();
    let step = |hop: u64, name: &str| {
        steps
            .iter()
            .find(|s| s["hop"] == hop && s["name"] == name)
            .unwrap_or_else(|| panic!("no {name} on hop {hop}: {report:#}"))["facts"]
            .clone()
    };
    let all = report.to_string();
    // DNS: the home router the DHCP ACK named as resolver answered every
    // query, with www's address (which only example.test.'s server holds).
    let dns = step(1, "dns");
    assert_eq!(dns["addresses"], serde_json::json!(["198.18.3.80"]), "{all}");
    let queries = dns["queries"].as_array().unwrap();
    assert!(!queries.is_empty(), "{all}");
    for q in queries {
        assert_eq!((q["server"].as_str(), q["result"].as_str()), (Some("198.18.0.1#53"), Some("NOERROR")), "{all}");
    }
    // The redirect hop and the HSTS header on the final response.
    let http1 = step(1, "http").to_string();
    assert!(http1.contains("301") && http1.contains("https://www.example.test/"), "{http1}");
    let http2 = step(2, "http").to_string().to_lowercase();
    assert!(http2.contains("max-age=31536000; includesubdomains"), "{http2}");
    // The certificate the lab CA issued at start.
    let tls = step(2, "tls").to_string();
    assert!(tls.contains("CN=www.example.test") && tls.contains("CN=netwalk lab CA"), "{tls}");
    // The TCP 4-tuple starts at the leased address.
    assert!(step(1, "tcp").to_string().contains("198.18.0.100"), "{all}");
}

#[test]
fn the_client_address_route_and_resolver_come_from_the_dhcp_ack() {
    let script = "ip -j addr show dev eth0; echo ===; ip -j route; echo ===; cat /etc/resolv.conf; echo ===; \
                  cat \"$NETWALK_LAB_LEASE\"";
    let out = lab(&["--", "sh", "-c", script]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = text(&out.stdout);
    let parts: Vec<&str> = stdout.split("===\n").collect();
    assert_eq!(parts.len(), 4, "{stdout}");
    let addrs: Value = serde_json::from_str(parts[0]).unwrap();
    let inet: Vec<&Value> =
        addrs[0]["addr_info"].as_array().unwrap().iter().filter(|a| a["family"] == "inet").collect();
    assert_eq!(inet.len(), 1, "{stdout}");
    assert_eq!((inet[0]["local"].as_str(), inet[0]["prefixlen"].as_u64()), (Some("198.18.0.100"), Some(24)));
    // The kernel counts the lease time down: it came from option 51 (3600 s).
    let valid = inet[0]["valid_life_time"].as_u64().unwrap();
    assert!((3590..=3600).contains(&valid), "valid_life_time {valid}");
    let routes: Value = serde_json::from_str(parts[1]).unwrap();
    assert!(
        routes.as_array().unwrap().iter().any(|r| r["dst"] == "default" && r["gateway"] == "198.18.0.1"),
        "{stdout}"
    );
    // The resolver is the home router itself, as on a real home network.
    let nameservers: Vec<&str> = parts[2].lines().filter(|l| l.starts_with("nameserver")).collect();
    assert_eq!(nameservers, ["nameserver 198.18.0.1"], "{stdout}");
    assert!(parts[2].contains("search home.test"), "{stdout}");
    let lease: Value = serde_json::from_str(parts[3]).unwrap();
    assert_eq!(lease["server"], "198.18.0.1");
    let exchange: Vec<&str> = lease["exchange"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(
        exchange,
        [
            "DHCPDISCOVER",
            "DHCPOFFER 198.18.0.100 from 198.18.0.1",
            "DHCPREQUEST 198.18.0.100",
            "DHCPACK 198.18.0.100 from 198.18.0.1"
        ]
    );
}

#[test]
fn trace_walks_the_lab_root_tld_and_zone() {
    let out = lab(&["--", "sh", "-c", "netwalk dig --root-hints \"$NETWALK_LAB_ROOT_HINTS\" +trace www.example.test"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = text(&out.stdout);
    let received: Vec<&str> = stdout.lines().filter(|l| l.starts_with(";; Received")).collect();
    let from: Vec<&str> = received.iter().filter_map(|l| l.split(" from ").nth(1)?.split(" in ").next()).collect();
    assert_eq!(
        from,
        [
            "198.18.3.10#53(a.root-servers.test)",
            "198.18.3.10#53(a.root-servers.test)",
            "198.18.3.11#53(ns1.test)",
            "198.18.3.12#53(ns1.example.test)"
        ],
        "{stdout}"
    );
    assert!(stdout.contains("www.example.test.\t300\tIN\tA\t198.18.3.80"), "{stdout}");
}

#[test]
fn the_home_router_resolves_recursively_from_the_root_hints() {
    // Each name needs a different part of the hierarchy: nic.test only the
    // test. zone holds, the NXDOMAINs carry the SOA of the zone that denied
    // them. The home router is authoritative for none of them.
    let names = ["nic.test", "nope.test", "nope.example.test", "www.example.test"];
    let script = names.map(|n| format!("netwalk --json dig {n}; echo ===")).join("; ");
    let out = lab(&["--", "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = text(&out.stdout);
    let answers: Vec<Value> = stdout
        .split("===\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| serde_json::from_str::<Value>(p).unwrap_or_else(|e| panic!("{e}: {stdout}"))["queries"][0].clone())
        .collect();
    assert_eq!(answers.len(), names.len(), "{stdout}");
    for a in &answers {
        assert_eq!(a["server"], "198.18.0.1#53", "{a:#}");
        // A resolver's answer: recursion available, not authoritative.
        assert_eq!(
            (&a["flags"]["rd"], &a["flags"]["ra"], &a["flags"]["aa"]),
            (&true.into(), &true.into(), &false.into()),
            "{a:#}"
        );
    }
    let rrs = |a: &Value, section: &str| -> Vec<(String, String, String)> {
        a[section]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().into(),
                    r["type"].as_str().unwrap().into(),
                    r["data"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let rr = |n: &str, t: &str, d: &str| (n.to_string(), t.to_string(), d.to_string());
    assert_eq!(answers[0]["status"], "NOERROR", "{:#}", answers[0]);
    assert_eq!(rrs(&answers[0], "answer"), [rr("nic.test.", "A", "198.18.3.11")]);
    assert_eq!(answers[1]["status"], "NXDOMAIN", "{:#}", answers[1]);
    assert_eq!(
        rrs(&answers[1], "authority"),
        [rr("test.", "SOA", "ns1.test. hostmaster.test. 1 1800 900 604800 3600")]
    );
    assert_eq!(answers[2]["status"], "NXDOMAIN", "{:#}", answers[2]);
    assert_eq!(
        rrs(&answers[2], "authority"),
        [rr("example.test.", "SOA", "ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 300")]
    );
    assert_eq!(answers[3]["status"], "NOERROR", "{:#}", answers[3]);
    assert_eq!(rrs(&answers[3], "answer"), [rr("www.example.test.", "A", "198.18.3.80")]);
}

#[test]
fn exit_code_is_the_commands_and_teardown_leaves_nothing() {
    // A background process in the client must not outlive the lab.
    let script = "sleep 4242 & echo \"$NETWALK_LAB_DIR $(readlink /proc/self/ns/net)\"; exit 7";
    let out = lab(&["--", "sh", "-c", script]);
    assert_eq!(out.status.code(), Some(7), "{}", show(&out));
    let stdout = text(&out.stdout);
    let (dir, netns) = stdout.trim().split_once(' ').expect("dir and netns");
    assert!(dir.contains("netwalk-lab-") && !std::path::Path::new(dir).exists(), "{dir} still exists");
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|p| p.to_string_lossy() == netns)
                || std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == b"sleep\x004242\x00")
        })
        .map(|p| p.to_string())
        .collect();
    assert!(left.is_empty(), "processes left in the client's namespace {netns}: {left:?}");

    let out = lab(&["--", "no-such-program-in-the-lab"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(text(&out.stderr).contains("cannot run `no-such-program-in-the-lab`"), "{}", show(&out));
    let out = lab(&["--shell", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn shell_reads_commands_from_stdin_inside_the_client() {
    let mut child = Command::new(NETWALK)
        .args(["lab", "--shell"])
        .env("SHELL", "/bin/sh")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(b"command -v netwalk; ip -4 -o addr show dev eth0; exit 3\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(std::path::Path::new(NETWALK).to_str().unwrap()), "{stdout}");
    assert!(stdout.contains("inet 198.18.0.100/24"), "{stdout}");
}

#[test]
fn step_0_tells_the_lab_lease_and_dhcp_shows_who_answers_now() {
    let out = lab(&[
        "--",
        "sh",
        "-c",
        "netwalk --json explain --dhcp --dhcp-wait 500ms --ca-file \"$NETWALK_LAB_CA\" http://www.example.test/",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    let first = &report["steps"][0];
    assert_eq!((first["number"].as_u64(), first["name"].as_str()), (Some(0), Some("network")), "{report:#}");
    assert_eq!(first["filter"], "dhcp");
    let f = &first["facts"];
    assert_eq!(f["interface"], "eth0", "{f:#}");
    assert_eq!(f["mtu"], 1500, "{f:#}");
    // The kernel holds the leased address with the lease's lifetime (not permanent).
    let v4 =
        f["addresses"].as_array().unwrap().iter().find(|a| a["address"] == "198.18.0.100").expect("leased address");
    assert_eq!((v4["prefix_len"].as_u64(), v4["permanent"].as_bool()), (Some(24), Some(false)), "{f:#}");
    assert!(v4["valid_s"].as_u64().is_some_and(|s| s > 3500 && s <= 3600), "{f:#}");
    assert_eq!(f["gateway"]["gateway"], "198.18.0.1", "{f:#}");
    assert!(f["gateway_source"].as_str().unwrap().contains("DHCP lease"), "{f:#}");
    assert_eq!(f["resolv_conf"]["nameservers"], serde_json::json!(["198.18.0.1"]), "{f:#}");
    assert_eq!(f["resolv_conf"]["search"], serde_json::json!(["home.test"]), "{f:#}");
    assert!(f["dns_source"].as_str().unwrap().contains("DHCP lease"), "{f:#}");
    let lease = &f["lease"];
    assert_eq!((lease["client"].as_str(), lease["server"].as_str()), (Some("netwalk lab"), Some("198.18.0.1")));
    assert_eq!(lease["lease_time_s"], 3600);
    assert!(f["lease_remaining_s"].as_u64().is_some_and(|s| s > 3500 && s <= 3600), "{f:#}");
    // --dhcp: the home router answers a fresh DISCOVER; no lease is taken.
    let offers = f["dhcp_discover"]["offers"].as_array().expect("offers");
    assert_eq!(offers.len(), 1, "{f:#}");
    assert_eq!(
        (offers[0]["server"].as_str(), offers[0]["routers"][0].as_str()),
        (Some("198.18.0.1"), Some("198.18.0.1"))
    );
    // Step 0 does not move the other steps' numbers.
    let numbers: Vec<u64> = report["steps"].as_array().unwrap().iter().map(|s| s["number"].as_u64().unwrap()).collect();
    assert_eq!(&numbers[..4], [0, 1, 2, 3], "{numbers:?}");
}
