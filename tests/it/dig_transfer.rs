//! Zone transfers against scripted TCP peers in the lab: a transfer spread
//! over several messages, a server that closes or stalls mid-transfer, and
//! one that does not start with a SOA. Each is printed as BIND's dig does
//! (records, then `; Transfer failed.` or the XFR size line), with exit 1 on
//! failure and a bound on the wall time. Real transfers from named are in
//! dig_interop.

use crate::lab;

use lab::Host;
use lab::cli::{code, json, netwalk, stdout};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn name(n: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in n.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend(label.as_bytes());
    }
    out.push(0);
    out
}

fn record(owner: &str, rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut r = name(owner);
    r.extend(rtype.to_be_bytes());
    r.extend([0, 1, 0, 0, 1, 44]);
    r.extend((rdata.len() as u16).to_be_bytes());
    r.extend(rdata);
    r
}

fn soa() -> Vec<u8> {
    let mut d = name("ns.xfr.test");
    d.extend(name("hostmaster.xfr.test"));
    for v in [7u32, 7200, 900, 1_209_600, 300] {
        d.extend(v.to_be_bytes());
    }
    record("xfr.test", 6, &d)
}

fn a(owner: &str, last: u8) -> Vec<u8> {
    record(owner, 1, &[198, 18, 3, last])
}

/// One reply to `query` carrying `records` in the answer section.
fn message(query: &[u8], records: &[Vec<u8>]) -> Vec<u8> {
    let qend = 12 + query[12..].iter().position(|&b| b == 0).unwrap() + 1 + 4;
    let mut m = query[..2].to_vec();
    m.extend([0x84, 0, 0, 1]);
    m.extend((records.len() as u16).to_be_bytes());
    m.extend([0, 0, 0, 0]);
    m.extend(&query[12..qend]);
    for r in records {
        m.extend(r);
    }
    let mut framed = (m.len() as u16).to_be_bytes().to_vec();
    framed.extend(m);
    framed
}

/// A TCP peer on `port` that answers each transfer query with `messages`, then `then` (close or stall).
fn peer(host: &Host, port: u16, messages: Vec<Vec<Vec<u8>>>, stall: bool) -> String {
    let listener = host.tcp_listener(std::net::SocketAddr::new(host.addr(4), port));
    std::thread::spawn(move || {
        while let Ok((mut conn, _)) = listener.accept() {
            let mut len = [0u8; 2];
            if conn.read_exact(&mut len).is_err() {
                continue;
            }
            let mut query = vec![0u8; u16::from_be_bytes(len) as usize];
            if conn.read_exact(&mut query).is_err() {
                continue;
            }
            for records in &messages {
                let _ = conn.write_all(&message(&query, records));
            }
            if stall {
                std::thread::sleep(Duration::from_secs(30));
            }
        }
    });
    port.to_string()
}

#[test]
fn transfers_over_several_messages_and_every_way_they_fail() {
    let lab = lab::Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let at = format!("@{}", server.addr(4));
    let whole = vec![vec![soa(), a("a.xfr.test", 1)], vec![a("b.xfr.test", 2)], vec![a("c.xfr.test", 3), soa()]];
    let good = peer(&server, 5401, whole, false);
    let closes = peer(&server, 5402, vec![vec![soa(), a("a.xfr.test", 1)]], false);
    let stalls = peer(&server, 5403, vec![vec![soa(), a("a.xfr.test", 1)]], true);
    let no_soa = peer(&server, 5404, vec![vec![a("a.xfr.test", 1), soa()]], false);
    let run = |port: &str, extra: &[&str]| {
        let mut args = vec!["dig", at.as_str(), "-p", port, "+time=1", "xfr.test", "AXFR"];
        args.extend(extra);
        let started = Instant::now();
        let out = netwalk(&client, &args);
        assert!(started.elapsed() < Duration::from_secs(4), "{port} took {:?}", started.elapsed());
        out
    };

    let out = run(&good, &[]);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}");
    let records: Vec<&str> = text.lines().filter(|l| !l.starts_with(';') && !l.is_empty()).collect();
    assert_eq!(records.len(), 5, "every message's records: {text}");
    assert_eq!(records[2], "b.xfr.test.\t\t300\tIN\tA\t198.18.3.2");
    assert!(text.contains(";; XFR size: 5 records (messages 3, bytes "), "{text}");
    assert!(text.contains(&format!(";; SERVER: {}#5401({}) (TCP)", server.addr(4), server.addr(4))), "{text}");
    let out = run(&good, &["+notcp", "+short"]);
    assert_eq!(stdout(&out).lines().count(), 5, "AXFR is TCP whatever +notcp says; +short prints data only");
    let doc = json(&netwalk(&client, &["--json", "dig", &at, "-p", &good, "xfr.test", "AXFR"]));
    assert_eq!(doc["queries"][0]["transfer"]["messages"], 3);
    assert_eq!(doc["queries"][0]["answer"].as_array().unwrap().len(), 5);

    let out = run(&closes, &[]);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("a.xfr.test.\t\t300\tIN\tA\t198.18.3.1"), "what came is shown: {text}");
    assert!(text.contains(";; communications error to "), "{text}");
    assert!(
        text.contains("the server closed the connection before the transfer ended\n; Transfer failed.\n"),
        "{text}"
    );

    let out = run(&stalls, &[]);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("no further message within 1 s\n; Transfer failed.\n"), "{text}");

    let out = run(&no_soa, &[]);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains(";; the transfer does not start with a SOA record\n; Transfer failed.\n"), "{text}");
}
