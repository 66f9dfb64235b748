//! No DNS server reachable: a lab host that drops port 53 (nftables) and one
//! with nothing listening on it. Every query must say on stderr, per try,
//! what it is waiting for, end within a bound derived from +time/+tries or
//! resolv.conf's `options timeout:N attempts:N`, and exit 1; absurd
//! +time/+tries values are exit 2.

use crate::lab;

use lab::cli::{code, netwalk, stderr, stdout};
use std::time::{Duration, Instant};

fn timed(host: &lab::Host, args: &[&str], bound: Duration) -> std::process::Output {
    let started = Instant::now();
    let out = netwalk(host, args);
    let took = started.elapsed();
    assert!(took < bound, "{args:?} took {took:?} (bound {bound:?}): {}", stderr(&out));
    out
}

#[test]
fn unreachable_dns_servers_are_reported_per_try_in_bounded_time() {
    let lab = lab::Lab::chain(&["client", "dropper", "empty"]);
    let (client, dropper, empty) = (lab.host_by_name("client"), lab.host_by_name("dropper"), lab.host_by_name("empty"));
    lab.route_all();
    dropper.nft(
        "table inet f {\n chain in { type filter hook input priority 0; udp dport 53 drop; tcp dport 53 drop; }\n}\n",
    );
    let (drop_ip, empty_ip) = (dropper.addr(4).to_string(), empty.addr(4).to_string());
    let at = format!("@{drop_ip}");

    // UDP: each try said, then the verdict; 2 tries of 1 s.
    let out = timed(&client, &["dig", &at, "+time=1", "+tries=2", "www.example.test"], Duration::from_secs(4));
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(";; no response from {drop_ip}#53 within 1 s (try 1 of 2), trying again\n")),
        "{err}"
    );
    assert!(err.contains(&format!(";; no response from {drop_ip}#53 within 1 s (try 2 of 2), giving up\n")), "{err}");
    assert!(stdout(&out).contains(&format!(";; no response from {drop_ip}#53 after 2 tries of 1 s")));

    // TCP: the message says how many tries and how long in all.
    let out = timed(&client, &["dig", &at, "+tcp", "+time=1", "+tries=2", "www.example.test"], Duration::from_secs(5));
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("over TCP within 1 s (try 2 of 2), giving up"), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("no response from {drop_ip}#53 over TCP after 2 tries of 1 s (2 s)")));

    // A batch: every query's try on stderr, all in flight together (not 3 x 1 s one after another).
    let file = client.dir().join("q.txt");
    std::fs::write(&file, "a.example.test\nb.example.test\nc.example.test\n").unwrap();
    let f = file.to_str().unwrap();
    let out = timed(&client, &["dig", &at, "+time=1", "+tries=1", "-f", f], Duration::from_secs(3));
    assert_eq!(code(&out), 1);
    assert_eq!(stderr(&out).matches("(try 1 of 1), giving up").count(), 3, "{}", stderr(&out));

    // +trace from a silent @server.
    let out =
        timed(&client, &["dig", &at, "+trace", "+time=1", "+tries=1", "www.example.test"], Duration::from_secs(4));
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains(&format!("no response from {drop_ip}#53 within 1 s")), "{}", stderr(&out));

    // resolv.conf's options are honoured: timeout:1 attempts:1 means the second server is asked after 1 s,
    // not after 2 tries of the first (A then AAAA: 2 x 2 servers x 1 s).
    client.set_resolv_conf(&format!("nameserver {drop_ip}\nnameserver {empty_ip}\noptions timeout:1 attempts:1\n"));
    let out = timed(&client, &["dig", "--system", "www.example.test"], Duration::from_secs(6));
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains(&format!("no response from {drop_ip}#53 within 1 s (try 1 of 1)")), "{err}");
    assert!(err.contains(&format!("no response from {empty_ip}#53 within 1 s (try 1 of 1)")), "{err}");

    // tcping NAME through the shared resolver: a line per timeout's worth of waiting, then the error.
    let out = timed(&client, &["tcping", "-c", "1", "www.example.test:80"], Duration::from_secs(15));
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(
        err.contains(";; resolving www.example.test: no answer from the DNS servers of /etc/resolv.conf after 1 s"),
        "{err}"
    );
    assert!(err.contains("resolv.conf timeout:1 attempts:1"), "{err}");

    // Absurd values are refused before anything is sent.
    for bad in ["+time=100000", "+tries=1000", "+retry=50"] {
        let out = timed(&client, &["dig", &at, bad, "www.example.test"], Duration::from_secs(2));
        assert_eq!(code(&out), 2, "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("at most"), "{bad}: {}", stderr(&out));
    }
}
