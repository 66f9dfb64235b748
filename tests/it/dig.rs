//! dig against real peers in the lab: a hickory-server authoritative server
//! serving every record type (answers checked against strings verified with
//! BIND 9.18's dig), and hostile UDP servers that send garbage, wrong IDs,
//! cut or looping messages and replies from the wrong port.

use crate::lab;

use hickory_server::Server;
use hickory_server::proto::rr::rdata::NULL;
use hickory_server::proto::rr::rdata::opt::NSIDPayload;
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use lab::cli::{code, json, netwalk, stderr, stdout};
use lab::{Host, Lab};
use serde_json::Value;
use std::net::{SocketAddr, UdpSocket};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

/// A record hickory's zone parser does not know, from its RDATA bytes.
fn raw(name: &str, code: u16, rdata: Vec<u8>) -> Record {
    let name = Name::from_str(name).unwrap();
    Record::from_rdata(name, 3600, RData::Unknown { code: RecordType::from(code), rdata: NULL::with(rdata) })
}

fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend(label.as_bytes());
    }
    out.push(0);
    out
}

/// The zone of tests/data/example.test.zone (the interop tier signs the same
/// file with BIND), plus a TXT RRset too large for 512 bytes.
fn zone() -> InMemoryZoneHandler {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/example.test.zone")).unwrap();
    let mut supported = String::new();
    for line in text.lines() {
        // hickory's parser lacks these types; they are added from wire bytes below.
        if [" DNAME ", " LOC ", " URI ", " TYPE65280 "].iter().all(|t| !line.contains(t)) {
            supported += line;
            supported.push('\n');
        }
    }
    // IDN names (bücher) for +idnout.
    supported += "xn--bcher-kva IN A 198.18.3.30\nidn IN CNAME xn--bcher-kva\nidn-mx IN MX 10 xn--bcher-kva\n";
    for i in 0..20 {
        supported += &format!("big IN TXT \"{i:02} {}\"\n", "x".repeat(90));
    }
    let (origin, records) = Parser::new(supported, None, None).parse().expect("zone parses");
    let mut handler = InMemoryZoneHandler::new(origin, records, ZoneType::Primary, AxfrPolicy::Deny).unwrap();
    let mut loc = vec![0, 0x00, 0x16, 0x13];
    loc.extend((0x8000_0000u32 + ((52 * 60 + 22) * 60 + 23) * 1000).to_be_bytes());
    loc.extend((0x8000_0000u32 + ((4 * 60 + 53) * 60 + 32) * 1000).to_be_bytes());
    loc.extend((10_000_000u32 - 200).to_be_bytes());
    let mut uri = vec![0, 10, 0, 1];
    uri.extend(b"https://www.example.test/");
    let mut nsec3param = vec![1, 0, 0, 0, 4];
    nsec3param.extend([0xaa, 0xbb, 0xcc, 0xdd]);
    let mut dnskey = vec![1, 1, 3, 13];
    dnskey.extend(
        data_encoding::BASE64
            .decode(b"qrZMwx9pXbovYanTgOMnuO4NoRYVfeEtPY9lNTuc8mFguNDsmE5DyiJ02nwZLVQzH76YfZhNRS9GUEvIN87uSg==")
            .unwrap(),
    );
    for record in [
        raw("sub.example.test.", 39, wire_name("other.test.")),
        raw("loc.example.test.", 29, loc),
        raw("_http._tcp.example.test.", 256, uri),
        raw("unk.example.test.", 65280, vec![10, 0, 0, 1]),
        raw("example.test.", 51, nsec3param),
        raw("example.test.", 48, dnskey),
    ] {
        assert!(handler.upsert_mut(record, 2024010101));
    }
    handler
}

/// Serves the zone on UDP and TCP port 53 of `host`, from a thread with its own runtime.
pub(crate) fn start_server(host: &Host, addr: std::net::IpAddr) {
    let at = SocketAddr::new(addr, 53);
    let udp = host.udp_socket(at);
    let tcp = host.tcp_listener(at);
    let handler = zone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let mut catalog = Catalog::new();
            catalog.upsert(LowerName::from(Name::from_str("example.test.").unwrap()), vec![Arc::new(handler)]);
            catalog.set_nsid(Some(NSIDPayload::new("ns1-lab").unwrap()));
            let mut server = Server::new(catalog);
            udp.set_nonblocking(true).unwrap();
            tcp.set_nonblocking(true).unwrap();
            server.register_socket(tokio::net::UdpSocket::from_std(udp).unwrap());
            server.register_listener(tokio::net::TcpListener::from_std(tcp).unwrap(), Duration::from_secs(5), 65535);
            let _ = server.block_until_done().await;
        });
    });
}

fn lab_with_server() -> (Lab, Host, String) {
    let lab = Lab::chain(&["client", "server"]);
    let addr = lab.addr_of("server", 4);
    start_server(&lab.host_by_name("server"), addr);
    let client = lab.host_by_name("client");
    (lab, client, format!("@{addr}"))
}

/// (name, type, answer lines as BIND 9.18's `dig +noall +answer` prints them, in any order)
const EXPECTED: &[(&str, &str, &[&str])] = &[
    (
        "example.test",
        "SOA",
        &["example.test.\t\t3600\tIN\tSOA\tns1.example.test. hostmaster.example.test. 2024010101 7200 900 1209600 300"],
    ),
    (
        "example.test",
        "NS",
        &["example.test.\t\t3600\tIN\tNS\tns1.example.test.", "example.test.\t\t3600\tIN\tNS\tns2.example.test."],
    ),
    ("www.example.test", "A", &["www.example.test.\t3600\tIN\tA\t198.18.3.10"]),
    ("www.example.test", "AAAA", &["www.example.test.\t3600\tIN\tAAAA\t2001:db8:3::10"]),
    ("alias.example.test", "CNAME", &["alias.example.test.\t3600\tIN\tCNAME\twww.example.test."]),
    ("sub.example.test", "DNAME", &["sub.example.test.\t3600\tIN\tDNAME\tother.test."]),
    (
        "example.test",
        "MX",
        &[
            "example.test.\t\t3600\tIN\tMX\t10 mail.example.test.",
            "example.test.\t\t3600\tIN\tMX\t20 mail2.example.test.",
        ],
    ),
    ("txt.example.test", "TXT", &["txt.example.test.\t3600\tIN\tTXT\t\"hello world\""]),
    (
        "multi.example.test",
        "TXT",
        &["multi.example.test.\t3600\tIN\tTXT\t\"first string\" \"second \\\"quoted\\\" \\\\ back\" \"tab\\009end\""],
    ),
    ("ptr.example.test", "PTR", &["ptr.example.test.\t3600\tIN\tPTR\twww.example.test."]),
    ("_sip._tcp.example.test", "SRV", &["_sip._tcp.example.test.\t3600\tIN\tSRV\t10 60 5060 sip.example.test."]),
    (
        "example.test",
        "CAA",
        &[
            "example.test.\t\t3600\tIN\tCAA\t0 issue \"ca.example.net\"",
            "example.test.\t\t3600\tIN\tCAA\t128 iodef \"mailto:security@example.test\"",
        ],
    ),
    (
        "naptr.example.test",
        "NAPTR",
        &["naptr.example.test.\t3600\tIN\tNAPTR\t100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.test!\" ."],
    ),
    (
        "sshfp.example.test",
        "SSHFP",
        &[
            "sshfp.example.test.\t3600\tIN\tSSHFP\t4 2 123456789ABCDEF67890123456789ABCDEF67890123456789ABCDEF1 23456789",
        ],
    ),
    (
        "_443._tcp.www.example.test",
        "TLSA",
        &[
            "_443._tcp.www.example.test. 3600 IN\tTLSA\t3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6",
        ],
    ),
    (
        "ds.example.test",
        "DS",
        &[
            "ds.example.test.\t3600\tIN\tDS\t60485 13 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4 469DA50A",
        ],
    ),
    (
        "example.test",
        "DNSKEY",
        &[
            "example.test.\t\t3600\tIN\tDNSKEY\t257 3 13 qrZMwx9pXbovYanTgOMnuO4NoRYVfeEtPY9lNTuc8mFguNDsmE5DyiJ0 2nwZLVQzH76YfZhNRS9GUEvIN87uSg==",
        ],
    ),
    ("example.test", "NSEC3PARAM", &["example.test.\t\t3600\tIN\tNSEC3PARAM 1 0 0 AABBCCDD"]),
    (
        "svc.example.test",
        "SVCB",
        &[
            "svc.example.test.\t3600\tIN\tSVCB\t1 svc1.example.test. alpn=\"h2,h3\" port=8443 ipv4hint=198.18.3.10,198.18.3.11",
        ],
    ),
    ("www.example.test", "HTTPS", &["www.example.test.\t3600\tIN\tHTTPS\t1 . alpn=\"h3,h2\" ipv6hint=2001:db8:3::10"]),
    ("hinfo.example.test", "HINFO", &["hinfo.example.test.\t3600\tIN\tHINFO\t\"PDP-11\" \"UNIX\""]),
    (
        "loc.example.test",
        "LOC",
        &["loc.example.test.\t3600\tIN\tLOC\t52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"],
    ),
    ("_http._tcp.example.test", "URI", &["_http._tcp.example.test. 3600\tIN\tURI\t10 1 \"https://www.example.test/\""]),
    ("unk.example.test", "TYPE65280", &["unk.example.test.\t3600\tIN\tTYPE65280 \\# 4 0A000001"]),
];

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().filter(|l| !l.is_empty()).map(String::from).collect();
    lines.sort();
    lines
}

#[test]
fn every_record_type_is_printed_as_bind_prints_it() {
    let (_lab, client, server) = lab_with_server();
    for (name, rtype, lines) in EXPECTED {
        let out = netwalk(&client, &["dig", server.as_str(), "+noall", "+answer", "+norec", name, rtype]);
        assert_eq!(code(&out), 0, "{name} {rtype}: {}", stderr(&out));
        let want: Vec<String> = sorted_lines(&lines.join("\n"));
        assert_eq!(sorted_lines(&stdout(&out)), want, "{name} {rtype}");
    }
}

#[test]
fn truncated_udp_reply_falls_back_to_tcp_unless_ignore() {
    let (_lab, client, server) = lab_with_server();
    let out = netwalk(&client, &["--json", "dig", &server, "+bufsize=512", "big.example.test", "TXT"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let q = &json(&out)["queries"][0];
    assert_eq!(q["notes"][0], "Truncated, retrying in TCP mode.");
    assert_eq!(q["transport"], "tcp");
    assert_eq!(q["answer"].as_array().unwrap().len(), 20);
    assert!(q["msg_size"].as_u64().unwrap() > 512);

    let human = netwalk(&client, &["dig", &server, "+bufsize=512", "big.example.test", "TXT"]);
    let text = stdout(&human);
    assert!(text.starts_with(";; Truncated, retrying in TCP mode.\n"), "{text}");
    assert!(text.contains(&format!(";; SERVER: {}#53({}) (TCP)", &server[1..], &server[1..])), "{text}");

    let ignored = netwalk(&client, &["--json", "dig", &server, "+bufsize=512", "+ignore", "big.example.test", "TXT"]);
    let q = &json(&ignored)["queries"][0];
    assert_eq!((q["transport"].as_str(), q["flags"]["tc"].as_bool()), (Some("udp"), Some(true)));
}

#[test]
fn header_opt_and_status_lines_follow_dig() {
    let (_lab, client, server) = lab_with_server();
    let out = netwalk(&client, &["dig", &server, "+norec", "+nsid", "nope.example.test"]);
    assert_eq!(code(&out), 0, "NXDOMAIN is still a response: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: "), "{text}");
    assert!(text.contains(";; flags: qr aa; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1\n"), "{text}");
    assert!(text.contains("; NSID: 6e 73 31 2d 6c 61 62 (\"ns1-lab\")\n"), "{text}");
    assert!(text.contains(";; QUESTION SECTION:\n;nope.example.test.\t\tIN\tA\n"), "{text}");
    assert!(text.contains(";; AUTHORITY SECTION:\nexample.test.\t\t"), "{text}");
    assert!(text.contains(";; MSG SIZE  rcvd: "), "{text}");

    let refused = netwalk(&client, &["--json", "dig", &server, "www.elsewhere.test"]);
    assert_eq!(json(&refused)["queries"][0]["status"], "REFUSED");
    assert_eq!(code(&refused), 0);
    let expect = netwalk(&client, &["dig", "--expect-rcode", "NOERROR", &server, "+short", "www.elsewhere.test"]);
    assert_eq!(code(&expect), 1, "--expect-rcode turns a status into a check");
    assert!(stdout(&expect).contains(";; expected status NOERROR for www.elsewhere.test, got REFUSED"));
    let ok = netwalk(&client, &["dig", "--expect-rcode", "nxdomain", &server, "+short", "nope.example.test"]);
    assert_eq!(code(&ok), 0);
}

#[test]
fn short_reverse_and_batch_in_input_order() {
    let (_lab, client, server) = lab_with_server();
    let out = netwalk(&client, &["dig", &server, "+short", "example.test", "MX"]);
    assert_eq!(sorted_lines(&stdout(&out)), vec!["10 mail.example.test.", "20 mail2.example.test."]);

    // -x builds the in-addr.arpa name; the lab zone has no reverse zone, so the server refuses it.
    let rev = netwalk(&client, &["--json", "dig", &server, "-x", "198.18.3.10"]);
    let q = &json(&rev)["queries"][0];
    assert_eq!(q["question"][0]["name"], "10.3.18.198.in-addr.arpa.");
    assert_eq!(q["question"][0]["type"], "PTR");

    let mut lines = String::new();
    let mut expected = Vec::new();
    for round in 0..10 {
        for (name, rtype, want) in [
            ("www.example.test", "A", "198.18.3.10"),
            ("www.example.test", "AAAA", "2001:db8:3::10"),
            ("ptr.example.test", "PTR", "www.example.test."),
            ("mail.example.test", "A", "198.18.3.25"),
        ] {
            lines += &format!("{name} {rtype}\n");
            expected.push(want.to_string());
        }
        if round == 0 {
            lines += "# comments and blank lines are skipped\n\n";
        }
    }
    let file = client.dir().join("batch.txt");
    std::fs::write(&file, lines).unwrap();
    let out = netwalk(&client, &["dig", &server, "+short", "-f", file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let got: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(got, expected, "answers come back in input order");
}

/// Runs netwalk with stdout on a fresh pseudo-terminal (a real TTY, as a
/// person's shell gives it); returns what it printed, without the tty's CRs.
fn netwalk_on_tty(host: &Host, args: &[&str]) -> (i32, String) {
    let (mut master, mut slave) = (-1, -1);
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    let (master, slave): (std::fs::File, std::fs::File) =
        unsafe { (std::os::fd::FromRawFd::from_raw_fd(master), std::os::fd::FromRawFd::from_raw_fd(slave)) };
    let mut child = host
        .command(NETWALK)
        .args(args)
        .stdout(std::process::Stdio::from(slave))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run netwalk");
    // The parent's copy of the slave went into Stdio and is closed by spawn, so
    // reading the master ends (EIO) once netwalk exits.
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut master = master;
        let _ = std::io::Read::read_to_end(&mut master, &mut text);
        text
    });
    let status = child.wait().unwrap();
    let text = reader.join().unwrap();
    (status.code().expect("exit code"), String::from_utf8_lossy(&text).replace("\r\n", "\n"))
}

#[test]
fn idnout_shows_unicode_names_on_a_terminal_only() {
    let (_lab, client, server) = lab_with_server();
    let ask = ["dig", server.as_str(), "+noall", "+answer"];
    let owner = [&ask[..], &["bücher.example.test", "A"]].concat();
    let (code, tty) = netwalk_on_tty(&client, &owner);
    assert_eq!(code, 0, "{tty}");
    assert_eq!(tty, "bücher.example.test.\t3600\tIN\tA\t198.18.3.30\n");
    let (_, tty) = netwalk_on_tty(&client, &[&ask[..], &["idn.example.test", "CNAME"]].concat());
    assert_eq!(tty, "idn.example.test.\t3600\tIN\tCNAME\tbücher.example.test.\n");
    let (_, tty) = netwalk_on_tty(&client, &[&ask[..], &["+short", "idn-mx.example.test", "MX"]].concat());
    assert_eq!(tty, "10 bücher.example.test.\n");
    let (_, tty) = netwalk_on_tty(&client, &["dig", &server, "+noall", "+question", "bücher.example.test"]);
    assert_eq!(tty, ";bücher.example.test.\t\tIN\tA\n");

    // +noidnout on the terminal, and the default into a pipe: A-labels.
    let (_, tty) = netwalk_on_tty(&client, &[&owner[..], &["+noidnout"]].concat());
    assert_eq!(tty, "xn--bcher-kva.example.test. 3600 IN\tA\t198.18.3.30\n");
    let piped = netwalk(&client, &[&ask[..], &["+idnout", "idn.example.test", "CNAME"]].concat());
    assert_eq!(stdout(&piped), "idn.example.test.\t3600\tIN\tCNAME\txn--bcher-kva.example.test.\n");
    // JSON keeps the wire form, even on a terminal.
    let (_, tty) = netwalk_on_tty(&client, &[&["--json"][..], &owner[..]].concat());
    let doc: Value = serde_json::from_str(&tty).expect("JSON on the tty");
    assert_eq!(doc["queries"][0]["answer"][0]["name"], "xn--bcher-kva.example.test.");
}

#[test]
fn system_path_hosts_file_first_then_resolv_conf_search_list() {
    let (lab, client, server) = lab_with_server();
    client.set_hosts_entry("files.test", "198.18.9.9".parse().unwrap());
    client.set_resolv_conf(&format!("nameserver {}\nsearch nowhere.test example.test\n", &server[1..]));
    let out = netwalk(&client, &["--json", "dig", "--system", "files.test"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["source"], "hosts_file");
    assert_eq!(doc["addresses"][0], "198.18.9.9");

    let out = netwalk(&client, &["dig", "--system", "www"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!(";; DNS www.nowhere.test. A @{}#53: REFUSED", &server[1..])), "{text}");
    let last = text.lines().last().unwrap();
    assert_eq!(
        last,
        format!("www: 198.18.3.10 2001:db8:3::10 from DNS server {}#53 for www.example.test.", &server[1..])
    );
    drop(lab);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let (_lab, client, server) = lab_with_server();
    for (args, message) in [
        (vec!["dig", "-t", "BOGUS", "www.example.test"], "netwalk: error: unknown query type 'BOGUS'"),
        (vec!["dig", "+frobnicate", "www.example.test"], "netwalk: error: unknown or unsupported option '+frobnicate'"),
        (vec!["dig", "@198.18.999.1", "www.example.test"], "netwalk: error: cannot resolve '198.18.999.1'"),
        (
            vec!["dig", "@[2001:db8::1", "www.example.test"],
            "netwalk: error: '@[2001:db8::1' is not a server address or name",
        ),
        (vec!["dig", &server, "-f", "/nonexistent/batch"], "netwalk: error: cannot read -f /nonexistent/batch"),
    ] {
        let out = netwalk(&client, &args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(message), "{err}");
    }
}

#[test]
fn batch_queries_share_one_socket_and_are_matched_by_id() {
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    const N: usize = 40;
    // A peer that answers only once it holds every query, last first: a client
    // that waited for each reply before the next query would time out.
    let socket = server.udp_socket(SocketAddr::new(server.addr(4), 53));
    let ports = std::thread::spawn(move || {
        let mut held = Vec::new();
        let mut buf = [0u8; 512];
        while held.len() < N {
            let (n, from) = socket.recv_from(&mut buf).unwrap();
            held.push((buf[..n].to_vec(), from));
        }
        for (query, from) in held.iter().rev() {
            socket.send_to(&as_reply(query), from).unwrap();
        }
        held.iter().map(|(_, from)| from.port()).collect::<std::collections::BTreeSet<u16>>()
    });
    let names: Vec<String> = (0..N).map(|i| format!("q{i}.example.test")).collect();
    let file = client.dir().join("ids.txt");
    std::fs::write(&file, names.join("\n")).unwrap();
    let at = format!("@{}", server.addr(4));
    let out = netwalk(&client, &["--json", "dig", &at, "+time=3", "+tries=1", "-f", file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let doc = json(&out);
    for (i, name) in names.iter().enumerate() {
        let q = &doc["queries"][i];
        assert_eq!(q["question"][0]["name"], format!("{name}."), "reply {i} belongs to query {i}");
        assert_eq!(q["notes"], serde_json::json!([]), "{q}");
    }
    assert_eq!(ports.join().unwrap().len(), 1, "all {N} queries left from one UDP socket");
}

/// A UDP peer that answers each query by `reply(query, socket)`.
fn hostile(
    host: &Host,
    port: u16,
    reply: impl Fn(&[u8], SocketAddr, &UdpSocket, &UdpSocket) + Send + 'static,
) -> String {
    let addr = host.addr(4);
    let socket = host.udp_socket(SocketAddr::new(addr, port));
    let other = host.udp_socket(SocketAddr::new(addr, port + 1000));
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            reply(&buf[..n], from, &socket, &other);
        }
    });
    format!("{port}")
}

fn as_reply(query: &[u8]) -> Vec<u8> {
    let mut r = query.to_vec();
    r[2] |= 0x80;
    r
}

#[test]
fn hostile_servers_get_a_clear_report_in_bounded_time() {
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let ip = format!("@{}", server.addr(4));
    let garbage = hostile(&server, 5301, |_, from, s, _| drop(s.send_to(b"\xde\xad\xbe\xef!", from)));
    let wrong_id = hostile(&server, 5302, |q, from, s, _| {
        let mut r = as_reply(q);
        r[1] ^= 0xff;
        let _ = s.send_to(&r, from);
    });
    let cut = hostile(&server, 5303, |q, from, s, _| {
        let mut r = as_reply(q);
        r[7] = 1; // ANCOUNT 1, but no record follows (sent with +noedns)
        let _ = s.send_to(&r, from);
    });
    let looped = hostile(&server, 5304, |q, from, s, _| {
        let mut r = as_reply(q); // sent with +noedns: the question is the whole query
        r[7] = 1;
        let at = r.len();
        r.extend([0xc0 | (at >> 8) as u8, at as u8, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 1]);
        let _ = s.send_to(&r, from);
    });
    let wrong_port = hostile(&server, 5305, |q, from, s, other| {
        let _ = other.send_to(&as_reply(q), from);
        let _ = s.send_to(&as_reply(q), from);
    });
    let servfail = hostile(&server, 5306, |q, from, s, _| {
        let mut r = as_reply(q);
        r[3] = (r[3] & 0xf0) | 2;
        let _ = s.send_to(&r, from);
    });
    let run = |port: &str, extra: &[&str]| {
        let mut args = vec!["dig", ip.as_str(), "-p", port, "+time=1", "+tries=1", "www.example.test"];
        args.extend(extra);
        let started = Instant::now();
        let out = netwalk(&client, &args);
        assert!(started.elapsed() < Duration::from_secs(5), "{port} took {:?}", started.elapsed());
        out
    };

    let out = run(&garbage, &[]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains(";; ignored 5-byte datagram from "), "{text}");
    assert!(text.contains(";; no response from "), "{text}");

    let out = run(&wrong_id, &[]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains(";; ID mismatch: expected ID "), "{}", stdout(&out));

    let out = run(&cut, &["+noedns"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains(";; Got bad packet: name runs past the end of the message at byte 34"), "{text}");
    assert!(text.contains(";; ->>HEADER<<- opcode: QUERY, status: NOERROR"), "the header is still shown: {text}");
    assert!(text.contains("0000  "), "and a hex dump: {text}");

    let out = run(&looped, &["+noedns"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("compression pointer does not point backwards (loop)"), "{}", stdout(&out));

    let out = run(&wrong_port, &["+short"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            ";; reply from unexpected source: {}#6305, expected {}#5305",
            server.addr(4),
            server.addr(4)
        )),
        "{text}"
    );

    let out = run(&servfail, &["+short"]);
    assert_eq!(code(&out), 0, "SERVFAIL is a response");
    let mut args =
        vec!["--json", "dig", "--expect-rcode", "NOERROR", ip.as_str(), "-p", servfail.as_str(), "www.example.test"];
    args.push("+time=1");
    let out = netwalk(&client, &args);
    assert_eq!(code(&out), 1);
    assert_eq!(json(&out)["queries"][0]["status"], "SERVFAIL");
}

/// Serves `zone_text` (plus `glue`, added to NS answers and referrals) on
/// port 53 of `host`, with the lab command's own zone server.
fn start_zone(host: &Host, origin: &str, zone_text: &str, glue: &[(&str, &str)]) {
    let at = SocketAddr::new(host.addr(4), 53);
    let (udp, tcp) = (host.udp_socket(at), host.tcp_listener(at));
    let zone = netwalk::lab::dns::Zone {
        origin: origin.to_string(),
        text: zone_text.to_string(),
        glue: glue.iter().map(|(name, ip)| (name.to_string(), ip.parse().unwrap())).collect(),
    };
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(netwalk::lab::dns::serve(zone, udp, tcp)).expect("zone served");
    });
}

/// client, root (198.18.5.2), tld (198.18.5.3) and auth (198.18.5.4) on one switch:
/// root delegates test. to tld, tld delegates example.test. to auth, each with glue.
fn hierarchy() -> (Lab, Host, String) {
    let lab = Lab::new();
    let lan = lab.switch("lan");
    let hosts: Vec<Host> = ["client", "root", "tld", "auth"].iter().map(|n| lab.host(n)).collect();
    for (i, h) in hosts.iter().enumerate() {
        lab.attach(h, &lan, &format!("198.18.5.{}/24", i + 1));
    }
    start_zone(
        &hosts[1],
        ".",
        "@ 86400 IN SOA a.root-servers.test. hostmaster.test. 1 1800 900 604800 86400\n\
         @ 518400 IN NS a.root-servers.test.\n\
         test. 172800 IN NS ns1.test.\n",
        &[("a.root-servers.test.", "198.18.5.2"), ("ns1.test.", "198.18.5.3")],
    );
    start_zone(
        &hosts[2],
        "test.",
        "@ 3600 IN SOA ns1.test. hostmaster.test. 1 1800 900 604800 3600\n\
         @ 172800 IN NS ns1.test.\n\
         example 86400 IN NS ns1.example.test.\n",
        &[("ns1.test.", "198.18.5.3"), ("ns1.example.test.", "198.18.5.4")],
    );
    start_server(&hosts[3], "198.18.5.4".parse().unwrap());
    let hints = hosts[0].dir().join("root.hints");
    std::fs::write(
        &hints,
        ";; lab root\n.\t3600000\tNS\tA.ROOT-SERVERS.TEST.\nA.ROOT-SERVERS.TEST. 3600000 A 198.18.5.2\n",
    )
    .unwrap();
    let hints = hints.to_str().unwrap().to_string();
    (lab, hosts[0].clone(), hints)
}

#[test]
fn trace_walks_root_tld_and_zone_with_glue() {
    let (_lab, client, hints) = hierarchy();
    let out = netwalk(&client, &["dig", "--root-hints", &hints, "+trace", "www.example.test"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let (banner, rest) = text.split_once(";; global options: +cmd\n").expect("dig's banner");
    assert_eq!(banner, format!("\n; <<>> netwalk dig {} <<>> +trace www.example.test\n", env!("CARGO_PKG_VERSION")));
    let steps: Vec<&str> = rest.split("\n\n").filter(|b| !b.trim().is_empty()).collect();
    assert_eq!(steps.len(), 4, "{text}");
    let received = |from: &str, name: &str| format!(";; Received \\d+ bytes from {from}#53\\({name}\\) in \\d+ ms");
    for (step, (records, ip, name)) in steps.iter().zip([
        (vec![".\t\t\t518400\tIN\tNS\ta.root-servers.test."], "198.18.5.2", "a.root-servers.test"),
        (vec!["test.\t\t\t172800\tIN\tNS\tns1.test."], "198.18.5.2", "a.root-servers.test"),
        (vec!["example.test.\t\t86400\tIN\tNS\tns1.example.test."], "198.18.5.3", "ns1.test"),
        (vec!["www.example.test.\t3600\tIN\tA\t198.18.3.10"], "198.18.5.4", "ns1.example.test"),
    ]) {
        let lines: Vec<&str> = step.lines().collect();
        let (last, shown) = lines.split_last().unwrap();
        assert_eq!(shown, records.as_slice(), "{text}");
        let want = received(&regex_escape(ip), &regex_escape(name));
        assert!(matches_pattern(last, &want), "{last} !~ {want}");
    }

    // The JSON document has every step: zone, server, and the glue each referral carried.
    let out = netwalk(&client, &["--json", "dig", "--root-hints", &hints, "+trace", "www.example.test"]);
    let doc = json(&out);
    let trace = doc["queries"][0]["trace"].as_array().unwrap();
    let zones: Vec<&str> = trace.iter().map(|s| s["zone"].as_str().unwrap()).collect();
    assert_eq!(zones, [".", ".", "test.", "example.test."]);
    assert_eq!(trace[1]["additional"][0]["data"], "198.18.5.3");
    assert_eq!(trace[2]["additional"][0]["name"], "ns1.example.test.");
    assert_eq!(trace[3]["flags"]["rd"], false, "iterative queries have RD=0");
    assert_eq!(doc["queries"][0]["answer"][0]["data"], "198.18.3.10");

    // NXDOMAIN from the zone's server ends the walk; it is a response (exit 0).
    let out = netwalk(&client, &["--json", "dig", "--root-hints", &hints, "+trace", "nope.example.test"]);
    assert_eq!(code(&out), 0);
    let doc = json(&out);
    assert_eq!(doc["queries"][0]["status"], "NXDOMAIN");
    assert_eq!(doc["queries"][0]["trace"].as_array().unwrap().len(), 4);

    // +short prints the final answer alone.
    let out = netwalk(&client, &["dig", "--root-hints", &hints, "+trace", "+short", "www.example.test"]);
    assert_eq!((code(&out), stdout(&out)), (0, "198.18.3.10\n".to_string()));

    // Without --root-hints the configured resolver is asked for `. NS` first (RD=1), as BIND's dig
    // does; here it is the lab root, so the walk works with no route to the real root servers.
    client.set_resolv_conf("nameserver 198.18.5.2\n");
    let doc = json(&netwalk(&client, &["--json", "dig", "+trace", "www.example.test"]));
    let trace = doc["queries"][0]["trace"].as_array().unwrap();
    assert_eq!(trace[0]["server"], "198.18.5.2#53");
    assert_eq!(trace[0]["flags"]["rd"], true, "the priming query to the resolver is recursive");
    assert_eq!(trace.len(), 4, "{doc}");
    assert_eq!(doc["queries"][0]["answer"][0]["data"], "198.18.3.10");

    // A delegation to a server that does not answer: each attempt is reported, then the walk fails.
    let dead = client.dir().join("dead.hints");
    std::fs::write(&dead, ". NS a.root-servers.test.\na.root-servers.test. A 198.18.5.9\n").unwrap();
    let started = Instant::now();
    let out = netwalk(
        &client,
        &["dig", "--root-hints", dead.to_str().unwrap(), "+trace", "+time=1", "+tries=1", "www.example.test"],
    );
    assert_eq!(code(&out), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = stdout(&out);
    assert!(text.contains(";; no response from 198.18.5.9#53 after 1 tries of 1 s"), "{text}");
    assert!(text.contains(";; trace failed: no root server answered the priming query (. NS)"), "{text}");

    let bad = client.dir().join("bad.hints");
    std::fs::write(&bad, ". NS a.root-servers.test.\na.root-servers.test. A 198.18.5\n").unwrap();
    let out = netwalk(&client, &["dig", "--root-hints", bad.to_str().unwrap(), "+trace", "www.example.test"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("line 2: '198.18.5' is not an address"), "{}", stderr(&out));
}

fn regex_escape(s: &str) -> String {
    s.replace('.', "\\.")
}

/// A tiny matcher for `\d+` and escaped dots, enough for timing lines.
fn matches_pattern(text: &str, pattern: &str) -> bool {
    fn go(t: &[u8], p: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'\\', b'd', b'+', rest @ ..] => {
                let n = t.iter().take_while(|c| c.is_ascii_digit()).count();
                (1..=n).any(|k| go(&t[k..], rest))
            }
            [b'\\', c, rest @ ..] => t.first() == Some(c) && go(&t[1..], rest),
            [c, rest @ ..] => t.first() == Some(c) && go(&t[1..], rest),
        }
    }
    go(text.as_bytes(), pattern.as_bytes())
}

/// A lab CA and a server certificate it signed for `names` (DNS names or addresses).
struct LabPki {
    ca_pem: String,
    cert: rustls::pki_types::CertificateDer<'static>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn lab_pki(ca_name: &str, names: &[&str]) -> LabPki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    LabPki {
        ca_pem: ca.pem(),
        cert: cert.der().clone(),
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    }
}

fn tls_acceptor(pki: &LabPki, alpn: &[u8]) -> tokio_rustls::TlsAcceptor {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![pki.cert.clone()], pki.key.clone_key())
        .unwrap();
    config.alpn_protocols = vec![alpn.to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Relays a DNS message to the lab's hickory server over UDP and returns its reply.
#[derive(Clone)]
struct Upstream(Arc<tokio::sync::Mutex<tokio::net::UdpSocket>>, SocketAddr);

impl Upstream {
    async fn ask(&self, query: &[u8]) -> Vec<u8> {
        let socket = self.0.lock().await;
        socket.send_to(query, self.1).await.unwrap();
        let mut buf = vec![0u8; 65535];
        loop {
            let (n, _) = socket.recv_from(&mut buf).await.unwrap();
            if buf[..2] == query[..2] {
                return buf[..n].to_vec();
            }
        }
    }
}

/// DoT on port 853 and DoH (hyper, HTTP/2, /dns-query) on port 443 of `host`, both
/// relaying to the hickory zone server on port 53 of the same address.
fn start_secure_frontends(host: &Host, addr: std::net::IpAddr, pki: &LabPki) {
    let dot = host.tcp_listener(SocketAddr::new(addr, 853));
    let doh = host.tcp_listener(SocketAddr::new(addr, 443));
    let relay = host.udp_socket(SocketAddr::new(addr, 0));
    let (dot_tls, doh_tls) = (tls_acceptor(pki, b"dot"), tls_acceptor(pki, b"h2"));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            relay.set_nonblocking(true).unwrap();
            let upstream = Upstream(
                Arc::new(tokio::sync::Mutex::new(tokio::net::UdpSocket::from_std(relay).unwrap())),
                SocketAddr::new(addr, 53),
            );
            dot.set_nonblocking(true).unwrap();
            doh.set_nonblocking(true).unwrap();
            let (dot, doh) =
                (tokio::net::TcpListener::from_std(dot).unwrap(), tokio::net::TcpListener::from_std(doh).unwrap());
            let up = upstream.clone();
            tokio::spawn(async move {
                while let Ok((tcp, _)) = dot.accept().await {
                    let (acceptor, up) = (dot_tls.clone(), up.clone());
                    tokio::spawn(async move {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                        while let Ok(len) = tls.read_u16().await {
                            let mut query = vec![0u8; len as usize];
                            if tls.read_exact(&mut query).await.is_err() {
                                return;
                            }
                            let reply = up.ask(&query).await;
                            let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                            framed.extend(reply);
                            let _ = tls.write_all(&framed).await;
                        }
                    });
                }
            });
            while let Ok((tcp, _)) = doh.accept().await {
                let (acceptor, up) = (doh_tls.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper::service::service_fn(move |req| doh_reply(req, up.clone()));
                    let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
    });
}

/// RFC 8484 on the server side: POST with an application/dns-message body, or GET ?dns=base64url.
async fn doh_reply(
    req: hyper::Request<hyper::body::Incoming>,
    up: Upstream,
) -> Result<hyper::Response<http_body_util::Full<bytes::Bytes>>, std::convert::Infallible> {
    use http_body_util::BodyExt;
    let respond = |status: u16, body: Vec<u8>| {
        hyper::Response::builder()
            .status(status)
            .header("content-type", if status == 200 { "application/dns-message" } else { "text/plain" })
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap()
    };
    if req.uri().path() != "/dns-query" {
        return Ok(respond(404, b"not found".to_vec()));
    }
    let query = if req.method() == hyper::Method::GET {
        let dns = req.uri().query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("dns=")));
        match dns.and_then(|d| data_encoding::BASE64URL_NOPAD.decode(d.as_bytes()).ok()) {
            Some(q) => q,
            None => return Ok(respond(400, b"bad dns parameter".to_vec())),
        }
    } else {
        let typed = req.headers().get("content-type").is_some_and(|v| v == "application/dns-message");
        let body = req.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
        if !typed || body.len() < 12 {
            return Ok(respond(415, b"want application/dns-message".to_vec()));
        }
        body
    };
    Ok(respond(200, up.ask(&query).await))
}

#[test]
fn dns_over_tls_and_https_with_a_lab_ca() {
    let (lab, client, server) = lab_with_server();
    let addr = lab.addr_of("server", 4);
    let pki = lab_pki("netwalk lab CA", &["ns1.example.test", &addr.to_string()]);
    start_secure_frontends(&lab.host_by_name("server"), addr, &pki);
    let ca = client.dir().join("lab-ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let ca = ca.to_str().unwrap();
    let wrong = client.dir().join("other-ca.pem");
    std::fs::write(&wrong, lab_pki("some other CA", &["ns1.example.test"]).ca_pem).unwrap();
    let wrong = wrong.to_str().unwrap();

    for (option, port, transport) in [
        ("+tls", 853, "TLS"),
        ("+https", 443, "HTTPS"),
        ("+https-get", 443, "HTTPS"),
        ("+https=/dns-query", 443, "HTTPS"),
    ] {
        let out = netwalk(&client, &["dig", "--ca-file", ca, &server, option, "www.example.test", "AAAA"]);
        assert_eq!(code(&out), 0, "{option}: {}{}", stdout(&out), stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("\n;; ANSWER SECTION:\nwww.example.test.\t3600\tIN\tAAAA\t2001:db8:3::10\n"), "{text}");
        assert!(text.contains(&format!(";; SERVER: {addr}#{port}({addr}) ({transport})\n")), "{option}: {text}");
    }
    let out = netwalk(&client, &["--json", "dig", "--ca-file", ca, &server, "+https", "example.test", "MX"]);
    let q = &json(&out)["queries"][0];
    assert_eq!((q["transport"].as_str(), q["id"].as_u64()), (Some("https"), Some(0)), "RFC 8484: ID 0");
    assert_eq!(q["answer"].as_array().unwrap().len(), 2);

    // The certificate is checked for the name given with @ as well as for an address.
    client.set_hosts_entry("ns1.example.test", addr);
    client.set_hosts_entry("other.example.test", addr);
    let out = netwalk(&client, &["dig", "--ca-file", ca, "@ns1.example.test", "+tls", "+short", "www.example.test"]);
    assert_eq!((code(&out), stdout(&out)), (0, "198.18.3.10\n".to_string()), "{}", stderr(&out));
    let out = netwalk(&client, &["dig", "--ca-file", ca, "@other.example.test", "+tls", "+short", "www.example.test"]);
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("TLS handshake failed: invalid peer certificate: certificate not valid for name"),
        "{}",
        stdout(&out)
    );

    // A CA that did not sign the server's certificate: a clear error and exit 1, for both transports.
    for (option, port) in [("+tls", 853), ("+https", 443)] {
        let started = Instant::now();
        let out = netwalk(&client, &["dig", "--ca-file", wrong, &server, option, "+short", "www.example.test"]);
        assert_eq!(code(&out), 1, "{option}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let over = if port == 853 { "TLS" } else { "HTTPS" };
        assert_eq!(
            stdout(&out),
            format!(
                ";; communications error to {addr}#{port} over {over}: TLS handshake failed: invalid peer certificate: UnknownIssuer\n"
            )
        );
    }
    // Without --ca-file only the system store is trusted, which does not know the lab CA.
    let out = netwalk(&client, &["dig", &server, "+tls", "+short", "www.example.test"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));

    let out = netwalk(&client, &["dig", "--ca-file", ca, &server, "+https=/nope", "+short", "www.example.test"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains(&format!("HTTP status 404 Not Found from https://{addr}/nope")), "{}", stdout(&out));

    let junk = client.dir().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let out = netwalk(&client, &["dig", "--ca-file", junk.to_str().unwrap(), &server, "+tls", "www.example.test"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.starts_with("netwalk: error: cannot use CA file ") && err.contains("no CERTIFICATE blocks in it"),
        "{err}"
    );
    let out = netwalk(&client, &["dig", "--root-hints", ca, &server, "+trace", "+tls", "www.example.test"]);
    assert_eq!(code(&out), 2);
}
