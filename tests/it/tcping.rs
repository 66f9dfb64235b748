//! tcping against real peers in the lab: the kernel's TCP stack on a server
//! two routers away, routers that drop, reject or prohibit.

use crate::lab;

use lab::Lab;
use lab::cli::{assert_refused, code, json, netwalk, stderr};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

/// client — r1 — r2 — server, every address from 198.18.0.0/15 and 2001:db8::/32.
fn chain() -> Lab {
    Lab::chain(&["client", "r1", "r2", "server"])
}

/// Accepts connections on a socket that lives in the server's namespace and
/// reports, for each, the peer address and whether the client closed it with FIN.
fn serve(listener: TcpListener, limit: usize) -> mpsc::Receiver<(std::net::SocketAddr, bool)> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for _ in 0..limit {
            let Ok((mut stream, peer)) = listener.accept() else { return };
            let tx = tx.clone();
            thread::spawn(move || {
                stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut buf = [0u8; 16];
                // read() == Ok(0) is an orderly FIN; an error would be a RST or a hang.
                let clean = matches!(stream.read(&mut buf), Ok(0));
                let _ = tx.send((peer, clean));
            });
        }
    });
    rx
}

#[test]
fn open_port_two_routers_away_uses_the_kernel_rtt_and_closes_cleanly() {
    let lab = chain();
    let server = lab.host_by_name("server");
    let client = lab.host_by_name("client");
    let addr = lab.addr_of("server", 4);
    let accepted = serve(server.tcp_listener(format!("{addr}:8080").parse().unwrap()), 3);

    let out = netwalk(&client, &["--json", "tcping", "-c", "3", "-i", "50ms", &format!("{addr}:8080")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let t = &doc["targets"][0];
    assert_eq!(t["address"], format!("{addr}:8080"));
    assert_eq!(t["counts"]["open"], 3);
    assert_eq!(t["source_address"], lab.addr_of("client", 4).to_string());
    for probe in t["probes"].as_array().unwrap() {
        assert_eq!(probe["state"], "open");
        assert_eq!(probe["rtt_source"], "kernel_tcp_info");
        let rtt = probe["rtt_ms"].as_f64().unwrap();
        assert!(rtt > 0.0 && rtt <= probe["elapsed_ms"].as_f64().unwrap() + 0.001, "{probe}");
    }
    for _ in 0..3 {
        let (peer, clean) = accepted.recv_timeout(Duration::from_secs(5)).expect("server saw the connection");
        assert_eq!(peer.ip(), lab.addr_of("client", 4), "the server's peer is the client, across two routers");
        assert!(clean, "netwalk closed with FIN, not RST");
    }
    assert_eq!(doc["passed"], true);
}

#[test]
fn closed_port_is_reported_from_the_rst() {
    let lab = chain();
    let addr = lab.addr_of("server", 4);
    let out =
        netwalk(&lab.host_by_name("client"), &["--json", "tcping", "-c", "2", "-i", "20ms", &format!("{addr}:8081")]);
    assert_eq!(code(&out), 1, "a closed port fails the check");
    let t = &json(&out)["targets"][0];
    assert_eq!(t["counts"]["closed"], 2);
    assert_eq!(t["probes"][0]["reason"], "RST");
    assert_eq!(t["summary"]["loss_pct"], 100.0);
    assert_eq!(t["failures"][0], "the port was never open");
}

#[test]
fn dropped_by_a_router_firewall_is_filtered() {
    let lab = chain();
    let addr = lab.addr_of("server", 4);
    lab.host_by_name("r2").nft(
        "table inet lab {
            chain forward {
                type filter hook forward priority 0;
                tcp dport 8082 drop
            }
        }",
    );
    let out = netwalk(
        &lab.host_by_name("client"),
        &["--json", "tcping", "-c", "2", "-i", "10ms", "--timeout", "200ms", &format!("{addr}:8082")],
    );
    assert_eq!(code(&out), 1);
    let t = &json(&out)["targets"][0];
    assert_eq!(t["counts"]["filtered"], 2);
    assert_eq!(t["probes"][1]["reason"], "no answer in 200ms");
    assert_eq!(t["probes"][1]["rtt_ms"], Value::Null);
}

#[test]
fn blackhole_route_is_filtered() {
    let lab = chain();
    let addr = lab.addr_of("server", 4);
    lab.host_by_name("r1").sh(&format!("ip route replace blackhole {addr}/32"));
    let out = netwalk(&lab.host_by_name("client"), &["tcping", "-c", "1", "--timeout", "150ms", &format!("{addr}:80")]);
    assert_eq!(code(&out), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("filtered (no answer in 150ms)"), "{text}");
}

#[test]
fn prohibit_and_unreachable_routes_name_the_router_and_the_icmp_reason() {
    let lab = chain();
    let (v4, v6) = (lab.addr_of("server", 4), lab.addr_of("server", 6));
    let r1 = lab.host_by_name("r1");
    r1.sh(&format!("ip route replace prohibit {v4}/32 && ip -6 route replace prohibit {v6}/128"));
    let r1_addr = lab.addr_of("r1", 4); // r1's address facing the client
    let client = lab.host_by_name("client");

    let out = netwalk(&client, &["--json", "tcping", "-c", "1", &format!("{v4}:80")]);
    assert_eq!(code(&out), 1);
    let p = &json(&out)["targets"][0]["probes"][0];
    assert_eq!(p["state"], "unreachable");
    assert_eq!((p["icmp"]["type"].as_u64(), p["icmp"]["code"].as_u64()), (Some(3), Some(13)));
    assert_eq!(p["icmp"]["from"], r1_addr.to_string());
    assert_eq!(p["reason"], format!("administratively prohibited from {r1_addr} (ICMP type 3 code 13)"));

    let out = netwalk(&client, &["--json", "tcping", "-c", "1", &format!("[{v6}]:80")]);
    let p = &json(&out)["targets"][0]["probes"][0];
    assert_eq!((p["icmp"]["type"].as_u64(), p["icmp"]["code"].as_u64()), (Some(1), Some(1)), "{p}");
    assert!(p["reason"].as_str().unwrap().starts_with("administratively prohibited from 2001:db8:"));

    r1.sh(&format!("ip route replace unreachable {v4}/32"));
    let out = netwalk(&client, &["tcping", "-c", "1", &format!("{v4}:80")]);
    assert_eq!(code(&out), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unreachable time="), "{text}");
    assert!(text.contains(&format!("(host unreachable from {r1_addr} (ICMP type 3 code 1))")), "{text}");
}

#[test]
fn ipv6_path_by_name_from_the_hosts_file() {
    let lab = chain();
    let server = lab.host_by_name("server");
    let client = lab.host_by_name("client");
    let (v4, v6) = (lab.addr_of("server", 4), lab.addr_of("server", 6));
    client.set_hosts_entry("web.test", v4);
    client.set_hosts_entry("web.test", v6);
    let accepted = serve(server.tcp_listener(format!("[{v6}]:443").parse().unwrap()), 2);

    let out = netwalk(&client, &["--json", "-6", "tcping", "-c", "2", "-i", "20ms", "https://web.test/"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let t = &json(&out)["targets"][0];
    assert_eq!(t["address"], format!("[{v6}]:443"));
    assert_eq!(t["resolution"]["source"], "hosts_file");
    assert_eq!(t["counts"]["open"], 2);
    assert_eq!(accepted.recv_timeout(Duration::from_secs(5)).unwrap().0.ip(), lab.addr_of("client", 6));
}

#[test]
fn two_targets_at_once_each_with_its_own_summary() {
    let lab = chain();
    let server = lab.host_by_name("server");
    let addr = lab.addr_of("server", 4);
    let _accepted = serve(server.tcp_listener(format!("{addr}:8080").parse().unwrap()), 10);
    let (open, closed) = (format!("{addr}:8080"), format!("{addr}:8081"));
    let out =
        netwalk(&lab.host_by_name("client"), &["--json-lines", "tcping", "-c", "3", "-i", "20ms", &open, &closed]);
    assert_eq!(code(&out), 1, "one target failing fails the run");
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "probe").count(), 6);
    assert_eq!(&kinds[kinds.len() - 3..], ["summary", "summary", "result"]);
    let summary = |target: &str| events.iter().find(|e| e["event"] == "summary" && e["target"] == target).unwrap();
    assert_eq!(summary(&open)["counts"]["open"], 3);
    assert_eq!(summary(&closed)["counts"]["closed"], 3);
    assert_eq!(events.last().unwrap()["passed"], false);
}

#[test]
fn summary_arithmetic_matches_the_probes() {
    let lab = chain();
    let addr = lab.addr_of("server", 4);
    let _accepted = serve(lab.host_by_name("server").tcp_listener(format!("{addr}:8080").parse().unwrap()), 20);
    let out =
        netwalk(&lab.host_by_name("client"), &["--json", "tcping", "-c", "10", "-i", "10ms", &format!("{addr}:8080")]);
    let t = &json(&out)["targets"][0];
    let mut rtts: Vec<f64> = t["probes"].as_array().unwrap().iter().map(|p| p["rtt_ms"].as_f64().unwrap()).collect();
    rtts.sort_by(f64::total_cmp);
    let s = &t["summary"]["rtt"];
    let mean = rtts.iter().sum::<f64>() / 10.0;
    let mdev = (rtts.iter().map(|x| x * x).sum::<f64>() / 10.0 - mean * mean).max(0.0).sqrt();
    assert_eq!(t["summary"]["sent"], 10);
    assert_eq!(s["min_ms"].as_f64().unwrap(), rtts[0]);
    assert_eq!(s["max_ms"].as_f64().unwrap(), rtts[9]);
    assert_eq!(s["p50_ms"].as_f64().unwrap(), rtts[4], "nearest rank: 5th of 10");
    assert_eq!(s["p95_ms"].as_f64().unwrap(), rtts[9], "nearest rank: 10th of 10");
    assert!((s["avg_ms"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert!((s["mdev_ms"].as_f64().unwrap() - mdev).abs() < 1e-6);
    assert_eq!(t["summary"]["loss_pct"], 0.0);
}

#[test]
fn json_document_schema() {
    let lab = chain();
    let addr = lab.addr_of("server", 4);
    let _accepted = serve(lab.host_by_name("server").tcp_listener(format!("{addr}:8080").parse().unwrap()), 5);
    let out = netwalk(
        &lab.host_by_name("client"),
        &["--json", "tcping", "-c", "1", "--max-rtt", "5s", &format!("{addr}:8080")],
    );
    let doc = json(&out);
    assert_eq!(doc["command"], "tcping");
    assert_eq!(doc["interrupted"], false);
    assert_eq!(doc["thresholds"]["max_rtt_ms"], 5000.0);
    assert_eq!(doc["thresholds"]["max_loss_pct"], Value::Null);
    let t = &doc["targets"][0];
    for key in [
        "target",
        "host",
        "port",
        "address",
        "resolution",
        "source_address",
        "interface",
        "counts",
        "summary",
        "rtt_sources",
        "probes",
        "probes_dropped",
        "passed",
        "failures",
    ] {
        assert!(t.get(key).is_some(), "targets[0].{key} missing: {t}");
    }
    for key in ["seq", "address", "state", "rtt_ms", "rtt_source", "elapsed_ms", "local_port", "reason", "icmp"] {
        assert!(t["probes"][0].get(key).is_some(), "probes[0].{key} missing");
    }
    for key in ["min_ms", "avg_ms", "max_ms", "mdev_ms", "p50_ms", "p95_ms", "percentiles_exact"] {
        assert!(t["summary"]["rtt"].get(key).is_some(), "summary.rtt.{key} missing");
    }
    assert_eq!(t["interface"], "eth0");
    assert_eq!(t["resolution"]["source"], "literal");
}

#[test]
fn thresholds_decide_the_exit_code() {
    let lab = chain();
    let server = lab.host_by_name("server");
    let client = lab.host_by_name("client");
    let addr = lab.addr_of("server", 4);
    let target = format!("{addr}:8080");
    let _accepted = serve(server.tcp_listener(target.parse().unwrap()), 50);
    let run = |extra: &[&str]| {
        let mut args = vec!["tcping", "-c", "2", "-i", "10ms"];
        args.extend_from_slice(extra);
        args.push(&target);
        netwalk(&client, &args)
    };
    assert_eq!(code(&run(&[])), 0);
    assert_eq!(code(&run(&["--max-rtt", "5s"])), 0);
    let breached = run(&["--max-rtt", "1us"]);
    assert_eq!(code(&breached), 1);
    assert!(String::from_utf8_lossy(&breached.stdout).contains("is above --max-rtt 1us"));
    assert_eq!(code(&run(&["--max-loss", "0"])), 0);

    // A listener that goes away after one connection: 1 open, 2 closed = 66.7% loss.
    let flaky = format!("{addr}:9090");
    let listener = server.tcp_listener(flaky.parse().unwrap());
    thread::spawn(move || drop(listener.accept()));
    let partial =
        |max: &str| netwalk(&client, &["--json", "tcping", "-c", "3", "-i", "100ms", "--max-loss", max, &flaky]);
    let loose = partial("70");
    assert_eq!(json(&loose)["targets"][0]["counts"]["open"], 1, "{}", stderr(&loose));
    assert_eq!(code(&loose), 0, "66.7% loss is within --max-loss 70");
    let listener = server.tcp_listener(flaky.parse().unwrap());
    thread::spawn(move || drop(listener.accept()));
    let tight = partial("50");
    assert_eq!(code(&tight), 1, "66.7% loss breaches --max-loss 50");
    assert!(json(&tight)["targets"][0]["failures"][0].as_str().unwrap().contains("loss 66.7% is above --max-loss 50%"));
}

#[test]
fn ctrl_c_still_prints_the_summary() {
    let lab = chain();
    let addr = lab.addr_of("server", 4);
    let _accepted = serve(lab.host_by_name("server").tcp_listener(format!("{addr}:8080").parse().unwrap()), 100);
    let mut child = lab
        .host_by_name("client")
        .command(NETWALK)
        .args(["tcping", "-c", "0", "-i", "50ms", &format!("{addr}:8080")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Wait for two real probe lines, then interrupt.
    while seen.iter().filter(|l: &&String| l.contains(" open rtt=")).count() < 2 {
        seen.push(lines.next().expect("netwalk printed a probe").unwrap());
    }
    // SAFETY: plain kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(status.code(), Some(0), "every probe was open: {rest:?}");
    let text = rest.join("\n");
    assert!(text.contains("tcping statistics"), "{text}");
    let row = rest.iter().find(|l| l.contains(&format!("{addr}:8080  "))).expect("summary row");
    let sent: u64 = row.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(sent >= 2, "{row}");
    assert!(text.contains(&format!("interrupted after {sent} probes")), "{text}");
}

#[test]
fn bad_input_gives_one_line_and_the_documented_exit_code() {
    let lab = chain();
    let client = lab.host_by_name("client");
    client.set_resolv_conf("# no name servers here\n");
    for (args, expected, needle) in [
        (&["tcping", "198.18.0.9:0"][..], 2, "out of range"),
        (&["tcping", "-p", "0", "198.18.0.9"][..], 2, "--port"),
        (&["tcping", "198.18.0.9:70000"][..], 2, "out of range"),
        (&["tcping", "-p", "70000", "198.18.0.9"][..], 2, "70000"),
        (&["tcping", ":80"][..], 2, "empty host"),
        (&["tcping", ""][..], 2, "empty target"),
        (&["tcping", "--timeout", "5parsecs", "198.18.0.9"][..], 2, "not a duration"),
        (&["tcping", "-I", "nosuch0", "198.18.0.9"][..], 3, "no such interface 'nosuch0'"),
        (&["tcping", "--source", "198.18.99.99", "198.18.0.9"][..], 3, "198.18.99.99 is not usable"),
        (&["tcping", "missing.test"][..], 2, "cannot resolve 'missing.test'"),
        (&["tcping", "--max-loss", "150", "198.18.0.9"][..], 2, "between 0 and 100"),
        (&["-6", "tcping", "198.18.0.9"][..], 2, "not an IPv6 address"),
    ] {
        assert_refused(&format!("{args:?}"), &netwalk(&client, args), expected, needle);
    }
}

#[test]
fn color_and_verbosity_follow_the_global_options() {
    let lab = chain();
    let client = lab.host_by_name("client");
    let target = format!("{}:8081", lab.addr_of("server", 4));
    let always = netwalk(&client, &["--color", "always", "tcping", "-c", "1", &target]);
    assert!(String::from_utf8_lossy(&always.stdout).contains("\x1b[31mclosed\x1b[0m"));
    let auto = netwalk(&client, &["tcping", "-c", "1", &target]);
    assert!(!String::from_utf8_lossy(&auto.stdout).contains('\x1b'), "no colour into a pipe");
    let no_color = client.command(NETWALK).env("NO_COLOR", "1").args(["-v", "tcping", "-c", "1", &target]).output();
    let no_color = no_color.unwrap();
    assert!(!String::from_utf8_lossy(&no_color.stdout).contains('\x1b'));
    let debug = stderr(&no_color);
    assert!(debug.contains("DEBUG") && debug.contains("outcome=Refused"), "-v traces each handshake: {debug}");
    assert!(!debug.contains('\x1b'), "NO_COLOR also keeps stderr plain");
}

#[test]
fn live_view_of_two_targets_in_tmux() {
    let lab = chain();
    let server = lab.host_by_name("server");
    let client = lab.host_by_name("client");
    let addr = lab.addr_of("server", 4);
    let listener = server.tcp_listener(format!("{addr}:8080").parse().unwrap());
    thread::spawn(move || while listener.accept().is_ok() {});
    let script = format!(
        "a=$(stty -g); {NETWALK} tcping --live -i 20ms --timeout 200ms {addr}:8080 {addr}:8081; code=$?; \
         [ \"$(stty -g)\" = \"$a\" ] && r=restored || r=NOT-restored; echo \"exit=$code tty=$r\""
    );
    let pane = crate::lab::tmux::Tmux::start(&client, "tcping", &script);
    let sent = |line: &str| -> u64 { line.split_whitespace().nth(3).and_then(|n| n.parse().ok()).unwrap_or(0) };
    let screen = pane.wait_for("both targets probed", |s| {
        s.len() > 4 && s[3].starts_with("1 ") && s[4].starts_with("2 ") && sent(&s[3]) >= 5 && sent(&s[4]) >= 5
    });
    assert!(screen[3].contains(&format!("{addr}:8080")) && screen[3].contains(" 0.0 "), "open: {screen:#?}");
    assert!(screen[4].contains(&format!("{addr}:8081")) && screen[4].contains(" 100.0 "), "closed: {screen:#?}");
    // Ctrl-C quits the view as q does; the summary covers every probe.
    pane.keys("C-c");
    let report = pane.wait_for("the summary", |s| s.iter().any(|l| l.starts_with("exit=")));
    let text = report.join("\n");
    assert!(text.contains("tcping statistics") && !text.contains("q quit"), "{text}");
    assert!(text.contains("exit=1 tty=restored"), "one port closed fails the check: {text}");
}

#[test]
fn summary_fits_80_columns_with_whole_numbers_and_colour_in_tmux() {
    let lab = chain();
    let server = lab.host_by_name("server");
    let client = lab.host_by_name("client");
    let addr = lab.addr_of("server", 4);
    let listener = server.tcp_listener(format!("{addr}:8080").parse().unwrap());
    thread::spawn(move || while listener.accept().is_ok() {});
    let name = "service.example.test";
    client.set_hosts_entry(name, addr);
    let script = format!(
        "{NETWALK} --color always tcping -c 3 -i 20ms --timeout 200ms {name}:8080 {addr}:8081; echo \"exit=$?\""
    );
    let pane = crate::lab::tmux::Tmux::start(&client, "summary", &script);
    let screen = pane.wait_for("the summary", |s| s.iter().any(|l| l.starts_with("exit=")));
    let text = screen.join("\n");
    assert!(text.contains("exit=1"), "one port closed fails the check: {text}");
    // Box-drawn rows of one table: the same width, the separators in the same places.
    let tables: Vec<Vec<&String>> = text_tables(&screen);
    assert_eq!(tables.len(), 2, "counts, then RTTs: {text}");
    for table in &tables {
        let width = table[0].chars().count();
        assert!(width <= 80, "{text}");
        let seps = |l: &str| -> Vec<usize> {
            l.chars().enumerate().filter(|(_, c)| "┆╪┬┴".contains(*c)).map(|(i, _)| i).collect()
        };
        for row in table {
            assert_eq!(row.chars().count(), width, "row {row:?} of\n{text}");
            assert_eq!(seps(row), seps(table[1]), "row {row:?} of\n{text}");
        }
    }
    let cells = |row: &str| -> Vec<String> {
        row.trim_matches(|c| c == '│' || c == ' ').split('┆').map(|c| c.trim().to_string()).collect()
    };
    // The counts: every number whole on its row, the closed target at 100.0% loss.
    let closed = tables[0].iter().map(|r| cells(r)).find(|c| c[0] == format!("{addr}:8081")).expect("closed row");
    assert_eq!(closed[1..], ["3", "0", "3", "0", "0", "100.0%"], "{text}");
    let target = format!("{name}:8080");
    let open = tables[0]
        .iter()
        .position(|r| cells(r)[0] == target)
        .unwrap_or_else(|| panic!("the target, whole, on one line: {text}"));
    assert_eq!(cells(tables[0][open])[1..], ["3", "3", "0", "0", "0", "0.0%"], "{text}");
    assert_eq!(cells(tables[0][open + 1])[0], format!("{addr}:8080"), "the address under the name: {text}");
    // The RTTs: six numbers of three decimals, none split.
    let rtt = tables[1].iter().map(|r| cells(r)).find(|c| c[0] == target).unwrap_or_else(|| panic!("rtt row: {text}"));
    for v in &rtt[1..] {
        let (whole, frac) = v.split_once('.').unwrap_or_else(|| panic!("{v:?} in {text}"));
        assert!(whole.parse::<u64>().is_ok() && frac.len() == 3 && frac.parse::<u64>().is_ok(), "{v:?} in {text}");
    }
    // The colours are there, as comfy-table's own styling (the layout above did not count them).
    let styled = pane.screen_styled();
    assert!(styled.contains("\x1b["), "coloured: {styled:?}");
}

/// The box-drawn tables on a screen, each as its lines from top border to bottom border.
fn text_tables(screen: &[String]) -> Vec<Vec<&String>> {
    let mut tables = Vec::new();
    let mut current: Option<Vec<&String>> = None;
    for line in screen {
        match line.chars().next() {
            Some('┌') => current = Some(vec![line]),
            Some('└') => {
                if let Some(mut t) = current.take() {
                    t.push(line);
                    tables.push(t);
                }
            }
            Some(_) => {
                if let Some(t) = current.as_mut() {
                    t.push(line);
                }
            }
            None => {}
        }
    }
    tables
}
