#![cfg(feature = "interop")]
//! dig against BIND: named serves tests/data/example.test.zone signed with
//! dnssec-signzone (NSEC3), and for every record type `netwalk dig +noall
//! +answer` must print what BIND's own dig prints, with and without
//! +dnssec. Needs named, dnssec-keygen, dnssec-signzone and dig (.ci/run
//! installs bind9, bind9-utils, bind9-dnsutils); fails loudly without them.

use crate::lab;

use lab::{Host, Lab};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

fn require(program: &str) -> String {
    lab::require(program).to_string_lossy().into_owned()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Signs the fixture zone with a fresh KSK and ZSK (ECDSA P-256, NSEC3 salt AABBCCDD) in `dir`.
fn sign_zone(host: &Host, dir: &Path) -> String {
    let zone = dir.join("example.test.zone");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/example.test.zone"), &zone).unwrap();
    let keygen = require("dnssec-keygen");
    let d = dir.to_str().unwrap();
    for extra in [&["-f", "KSK"][..], &[][..]] {
        let mut cmd = host.command(&keygen);
        cmd.args(["-q", "-K", d, "-a", "ECDSAP256SHA256"]).args(extra).arg("example.test");
        ok(&cmd.output().unwrap(), "dnssec-keygen");
    }
    let signed = dir.join("example.test.zone.signed");
    let mut cmd = host.command(require("dnssec-signzone"));
    // -d: the DS set goes to the lab directory, not the working directory (the repository).
    cmd.args(["-q", "-S", "-K", d, "-d", d, "-3", "AABBCCDD", "-H", "0", "-o", "example.test", "-f"])
        .arg(&signed)
        .arg(&zone);
    ok(&cmd.output().unwrap(), "dnssec-signzone");
    signed.to_string_lossy().into_owned()
}

/// Starts named in `host` for the signed zone and waits until it answers.
fn start_named(lab: &Lab, host: &Host, client: &Host, dig: &str) -> (lab::Server, String) {
    let dir = host.dir().join("named");
    std::fs::create_dir_all(&dir).unwrap();
    let signed = sign_zone(host, &dir);
    start_named_with(lab, host, client, dig, &signed, "")
}

/// named with the signed example.test, types.test and the zones of `extra` (named.conf text).
fn start_named_with(
    lab: &Lab,
    host: &Host,
    client: &Host,
    dig: &str,
    signed: &str,
    extra: &str,
) -> (lab::Server, String) {
    let dir = host.dir().join("named");
    let types = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/types.test.zone");
    let addr = host.addr(4).to_string();
    let d = dir.to_str().unwrap();
    let conf = format!(
        "options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  session-keyfile \"{d}/session.key\";\n  \
         managed-keys-directory \"{d}\";\n  listen-on port 53 {{ {addr}; }};\n  listen-on-v6 {{ none; }};\n  \
         recursion no;\n  dnssec-validation no;\n  server-id \"ns1-bind\";\n}};\ncontrols {{ }};\n\
         zone \"example.test\" {{ type primary; file \"{signed}\"; }};\n\
         zone \"types.test\" {{ type primary; file \"{types}\"; check-names ignore; }};\n{extra}"
    );
    let conf_path = dir.join("named.conf");
    std::fs::write(&conf_path, conf).unwrap();
    // No `-u root`: named's initgroups() is refused in the lab's user namespace (setgroups is denied
    // there), and without -u it keeps the lab's only user, uid 0, anyway.
    let named = host.spawn_server(&require("named"), ["-g", "-c", conf_path.to_str().unwrap()]);
    // Ready when it answers a SOA query (bounded; named loads the zone in well under a second).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = client
            .command(dig)
            .args([&format!("@{addr}"), "+time=1", "+tries=1", "+short", "example.test", "SOA"])
            .output()
            .unwrap();
        if out.status.success() && !out.stdout.is_empty() {
            break;
        }
        assert!(named.is_running(), "named exited:\n{}", named.log());
        assert!(Instant::now() < deadline, "named did not answer within 20 s:\n{}", named.log());
    }
    let _ = lab;
    (named, addr)
}

/// Every (name, type) of the fixture zone, plus the DNSSEC types signing added.
const QUERIES: &[(&str, &str)] = &[
    ("example.test", "SOA"),
    ("example.test", "NS"),
    ("www.example.test", "A"),
    ("www.example.test", "AAAA"),
    ("alias.example.test", "CNAME"),
    ("alias.example.test", "A"),
    ("sub.example.test", "DNAME"),
    ("example.test", "MX"),
    ("txt.example.test", "TXT"),
    ("multi.example.test", "TXT"),
    ("ptr.example.test", "PTR"),
    ("10.3.18.198.in-addr.arpa.example.test", "PTR"),
    ("_sip._tcp.example.test", "SRV"),
    ("example.test", "CAA"),
    ("naptr.example.test", "NAPTR"),
    ("sshfp.example.test", "SSHFP"),
    ("_443._tcp.www.example.test", "TLSA"),
    ("ds.example.test", "DS"),
    ("svc.example.test", "SVCB"),
    ("www.example.test", "HTTPS"),
    ("hinfo.example.test", "HINFO"),
    ("loc.example.test", "LOC"),
    ("_http._tcp.example.test", "URI"),
    ("unk.example.test", "TYPE65280"),
    ("example.test", "DNSKEY"),
    ("example.test", "NSEC3PARAM"),
];

fn sorted(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().filter(|l| !l.is_empty()).map(String::from).collect();
    // BIND rotates the records of an RRset between replies (rrset-order cyclic), so order is not compared.
    lines.sort();
    lines
}

#[test]
fn answers_match_bind_dig_for_every_type_with_and_without_dnssec() {
    let dig = require("dig");
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let (_named, addr) = start_named(&lab, &server, &client, &dig);
    let at = format!("@{addr}");
    let mut compared = 0;
    for (name, rtype) in QUERIES {
        for extra in [&["+noall", "+answer"][..], &["+noall", "+answer", "+dnssec"][..]] {
            let mut args = vec![at.as_str(), "+norec"];
            args.extend(extra);
            args.extend([*name, *rtype]);
            let theirs = ok(&client.command(&dig).args(&args).output().unwrap(), "dig");
            let ours = ok(&client.command(NETWALK).arg("dig").args(&args).output().unwrap(), "netwalk dig");
            assert!(!theirs.trim().is_empty(), "BIND has no answer for {name} {rtype}");
            assert_eq!(sorted(&ours), sorted(&theirs), "{}", args.join(" "));
            if extra.len() == 3 {
                let has_rrsig = theirs.lines().any(|l| l.split_whitespace().nth(3) == Some("RRSIG"));
                assert!(has_rrsig, "+dnssec answers carry RRSIGs: {theirs}");
            }
            compared += 1;
        }
    }
    assert_eq!(compared, QUERIES.len() * 2);

    // Denial of existence: the NSEC3 records and their RRSIGs in the authority section.
    let args = [at.as_str(), "+norec", "+noall", "+authority", "+dnssec", "nope.example.test", "A"];
    let theirs = ok(&client.command(&dig).args(args).output().unwrap(), "dig");
    let ours = ok(&client.command(NETWALK).arg("dig").args(args).output().unwrap(), "netwalk dig");
    assert!(theirs.lines().any(|l| l.split_whitespace().nth(3) == Some("NSEC3")), "{theirs}");
    assert_eq!(sorted(&ours), sorted(&theirs));

    // The header comment lines agree too (flags, counts, status, the OPT pseudo-section's EDNS line).
    let args = [at.as_str(), "+norec", "+nocookie", "+dnssec", "www.example.test", "A"];
    let pick = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with(";; flags:") || l.starts_with("; EDNS:") || l.contains("status:"))
            .map(|l| l.split(", id:").next().unwrap().to_string())
            .collect()
    };
    let theirs = ok(&client.command(&dig).args(args).output().unwrap(), "dig");
    let ours = ok(&client.command(NETWALK).arg("dig").args(args).output().unwrap(), "netwalk dig");
    assert_eq!(pick(&ours), pick(&theirs));
    assert_eq!(pick(&ours).len(), 3, "{ours}");
}

/// The (owner, type) pairs of tests/data/types.test.zone, read from the file itself so a record added there is compared too.
fn every_type_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/types.test.zone")).unwrap();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with(';') && !l.starts_with('$') && !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let owner = if words[0] == "@" { "types.test".to_string() } else { format!("{}.types.test", words[0]) };
        let pair = (owner, words[2].to_string());
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    out
}

#[test]
fn every_bind_type_prints_as_bind_dig_prints_it() {
    let dig = require("dig");
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let (_named, addr) = start_named(&lab, &server, &client, &dig);
    let at = format!("@{addr}");
    let queries = every_type_queries();
    assert!(queries.len() > 80, "{}", queries.len());
    let mut mismatches = Vec::new();
    for (name, rtype) in &queries {
        let args = [at.as_str(), "+norec", "+noall", "+answer", name.as_str(), rtype.as_str()];
        let theirs = ok(&client.command(&dig).args(args).output().unwrap(), "dig");
        let ours = ok(&client.command(NETWALK).arg("dig").args(args).output().unwrap(), "netwalk dig");
        if theirs.trim().is_empty() {
            mismatches.push(format!("{name} {rtype}: BIND has no answer"));
        }
        // No record may fall back to RFC 3597 hex unless BIND's does too.
        if sorted(&ours) != sorted(&theirs) {
            mismatches.push(format!("{name} {rtype}:\n  bind: {}\n  ours: {}", theirs.trim(), ours.trim()));
        }
    }
    assert!(mismatches.is_empty(), "{} of {} differ:\n{}", mismatches.len(), queries.len(), mismatches.join("\n"));

    // An AXFR of the whole zone is the same record set too (every message, over TCP).
    let args = [at.as_str(), "+noall", "+answer", "types.test", "AXFR"];
    let theirs = ok(&client.command(&dig).args(args).output().unwrap(), "dig axfr");
    let ours = ok(&client.command(NETWALK).arg("dig").args(args).output().unwrap(), "netwalk dig axfr");
    assert_eq!(sorted(&ours), sorted(&theirs));
    assert!(sorted(&theirs).len() > 90, "{theirs}");

    // A mistyped type word is a usage error, not a second query name.
    let out = client.command(NETWALK).args(["dig", &at, "afsdb.types.test", "AFSDBX"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown record type 'AFSDBX'"), "{out:?}");
}

/// `big.test`: 10 000 A records, dynamic (so named keeps a journal and answers IXFR incrementally).
fn big_zone(dir: &Path) -> String {
    let mut zone = String::from(
        "$ORIGIN big.test.\n$TTL 300\n@ IN SOA ns.big.test. hostmaster.big.test. 1 7200 900 1209600 300\n\
         @ IN NS ns.big.test.\nns IN A 198.18.3.2\n",
    );
    for i in 0..10_000 {
        zone += &format!("h{i} IN A 198.18.{}.{}\n", 8 + i / 250, 1 + i % 250);
    }
    let path = dir.join("big.test.zone");
    std::fs::write(&path, zone).unwrap();
    path.to_string_lossy().into_owned()
}

fn stdout_of(host: &Host, program: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = host.command(program).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn xfr_line(text: &str) -> String {
    text.lines().find(|l| l.starts_with(";; XFR size:")).unwrap_or("no XFR size line").to_string()
}

#[test]
fn zone_transfers_of_ten_thousand_records_match_bind_dig() {
    let dig = require("dig");
    let nsupdate = require("nsupdate");
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let dir = server.dir().join("named");
    std::fs::create_dir_all(&dir).unwrap();
    let signed = sign_zone(&server, &dir);
    let big = big_zone(&dir);
    let closed = dir.join("closed.test.zone");
    std::fs::write(
        &closed,
        "@ 300 IN SOA ns.closed.test. h.closed.test. 1 7200 900 1209600 300\n@ 300 IN NS ns\nns 300 IN A 198.18.3.2\n",
    )
    .unwrap();
    let closed = closed.to_string_lossy();
    let extra = format!(
        "zone \"big.test\" {{ type primary; file \"{big}\"; allow-update {{ any; }}; allow-transfer {{ any; }}; }};\n\
         zone \"closed.test\" {{ type primary; file \"{closed}\"; allow-transfer {{ none; }}; }};\n"
    );
    let (_named, addr) = start_named_with(&lab, &server, &client, &dig, &signed, &extra);
    let at = format!("@{addr}");

    // AXFR: 10 004 records in many messages, the same records and the same summary as BIND's dig.
    let (code, ours) = stdout_of(&client, NETWALK, &["dig", &at, "big.test", "AXFR"]);
    let (_, theirs) = stdout_of(&client, &dig, &[&at, "big.test", "AXFR"]);
    assert_eq!(code, Some(0), "{ours}");
    let records = |t: &str| sorted(&t.lines().filter(|l| !l.starts_with(';')).collect::<Vec<_>>().join("\n"));
    assert_eq!(records(&ours).len(), 10_004);
    assert_eq!(records(&ours), records(&theirs));
    assert_eq!(xfr_line(&ours), xfr_line(&theirs));
    assert!(!xfr_line(&ours).contains("messages 1,"), "{}", xfr_line(&ours));

    // Five updates: each deletes 10 records and adds 2 000, so IXFR from serial 1 is five diffs over many messages.
    let mut script = format!("server {addr}\nzone big.test\n");
    for round in 0..5 {
        for i in 0..10 {
            script += &format!("update delete h{}.big.test. A\n", round * 10 + i);
        }
        for i in 0..2000 {
            script += &format!("update add n{round}-{i}.big.test. 300 A 198.18.100.{}\n", 1 + i % 250);
        }
        script += "send\n";
    }
    let script_path = client.dir().join("updates.txt");
    std::fs::write(&script_path, script).unwrap();
    ok(&client.command(&nsupdate).arg("-v").arg(&script_path).output().unwrap(), "nsupdate");
    let (code, ours) = stdout_of(&client, NETWALK, &["dig", &at, "+noall", "+answer", "big.test", "IXFR=1"]);
    let (_, theirs) = stdout_of(&client, &dig, &[&at, "+noall", "+answer", "big.test", "IXFR=1"]);
    assert_eq!(code, Some(0));
    assert_eq!(ours.lines().count(), 1 + 5 * (2 + 10 + 2000) + 1, "{}", &ours[..ours.len().min(2000)]);
    // An IXFR is a sequence (deletions, then additions, per version): compared in order.
    assert_eq!(ours, theirs);
    let (_, ours) = stdout_of(&client, NETWALK, &["dig", &at, "big.test", "IXFR=1"]);
    let (_, theirs) = stdout_of(&client, &dig, &[&at, "big.test", "IXFR=1"]);
    assert_eq!(xfr_line(&ours), xfr_line(&theirs));

    // Up to date: IXFR=current serial is the SOA alone.
    let (code, ours) = stdout_of(&client, NETWALK, &["dig", &at, "+noall", "+answer", "big.test", "IXFR=6"]);
    let (_, theirs) = stdout_of(&client, &dig, &[&at, "+noall", "+answer", "big.test", "IXFR=6"]);
    assert_eq!((code, ours.lines().count()), (Some(0), 1), "{ours}");
    assert_eq!(ours, theirs);

    // A refused transfer: BIND's line, and exit 1 (BIND's dig exits 0).
    let (code, ours) = stdout_of(&client, NETWALK, &["dig", &at, "closed.test", "AXFR"]);
    let (_, theirs) = stdout_of(&client, &dig, &[&at, "closed.test", "AXFR"]);
    assert!(theirs.contains("; Transfer failed."), "{theirs}");
    assert!(ours.contains("; Transfer failed.") && ours.contains("REFUSED"), "{ours}");
    assert_eq!(code, Some(1));
}

#[test]
fn display_and_header_options_match_bind_dig() {
    let dig = require("dig");
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let (_named, addr) = start_named(&lab, &server, &client, &dig);
    let at = format!("@{addr}");
    let run = |program: &str, args: &[&str]| -> String {
        let mut cmd = client.command(program);
        if program == NETWALK {
            cmd.arg("dig");
        }
        ok(&cmd.arg(&at).args(args).output().unwrap(), program)
    };
    for opts in
        [&["+nottlid"][..], &["+noclass"], &["+ttlunits"], &["+nottlid", "+noclass"], &["+ttlunits", "+noclass"]]
    {
        for (name, rtype) in [("types.test", "SOA"), ("nsap-ptr.types.test", "NSAP-PTR"), ("aaaa.types.test", "AAAA")] {
            let mut args = vec!["+norec", "+noall", "+answer"];
            args.extend(opts);
            args.extend([name, rtype]);
            assert_eq!(sorted(&run(NETWALK, &args)), sorted(&run(&dig, &args)), "{args:?}");
        }
    }
    let args = ["+noall", "+answer", "+onesoa", "types.test", "AXFR"];
    assert_eq!(sorted(&run(NETWALK, &args)), sorted(&run(&dig, &args)));
    // EXPIRE (RFC 7314), CD without AD, a non-QUERY opcode: the lines BIND's dig prints for them.
    let pick = |text: &str, keys: &[&str]| -> Vec<String> {
        let lines = text.lines().filter(|l| keys.iter().any(|k| l.contains(k)));
        lines.map(|l| l.split(", id:").next().unwrap().to_string()).collect()
    };
    for (args, keys) in [
        (&["+norec", "+expire", "types.test", "SOA"][..], &["; EXPIRE:"][..]),
        (&["+norec", "+cd", "+noadflag", "types.test", "SOA"], &[";; flags:"]),
        (&["+norec", "+opcode=status", "types.test", "SOA"], &["opcode:"]),
    ] {
        let (ours, theirs) = (pick(&run(NETWALK, args), keys), pick(&run(&dig, args), keys));
        assert!(!theirs.is_empty(), "{args:?}");
        assert_eq!(ours, theirs, "{args:?}");
    }
    let ours = run(NETWALK, &["+short", "+identify", "types.test", "NS"]);
    assert!(ours.starts_with(&format!("ns.types.test. from server {addr} in ")) && ours.ends_with(" ms.\n"), "{ours}");
}

/// What BIND's dig and netwalk print for the same arguments, with the lines that differ
/// by nature (program name, query id, cookie, timing, date) masked.
fn masked(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = match line {
            l if l.starts_with("; <<>>") || l == "; (1 server found)" || l.starts_with(";; global options") => continue,
            l if l.starts_with("; COOKIE:") => "; COOKIE".to_string(),
            l if l.starts_with(";; Query time:") || l.starts_with(";; WHEN:") => "; TIME".to_string(),
            l => match l.split_once(", id: ") {
                Some((head, _)) => format!("{head}, id: ID"),
                None => l.to_string(),
            },
        };
        out += &line;
        out.push('\n');
    }
    out
}

#[test]
fn multiline_and_split_lay_records_out_as_bind_dig() {
    let dig = require("dig");
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let (_named, addr) = start_named(&lab, &server, &client, &dig);
    let at = format!("@{addr}");
    let run = |program: &str, args: &[&str]| -> String {
        let mut cmd = client.command(program);
        if program == NETWALK {
            cmd.arg("dig");
        }
        ok(&cmd.arg(&at).args(args).output().unwrap(), program)
    };
    // Whole zones in transfer order, byte for byte: every type of types.test (SOA comments,
    // keys with role/algorithm/tag, DS, TLSA, DHCID, HIP, IPSECKEY, RFC 3597 data ...) and the
    // signed example.test (RRSIG, NSEC3 with one line per bitmap window).
    for zone in ["types.test", "example.test"] {
        for opts in [
            &["+multiline"][..],
            &["+split=8"],
            &["+nosplit"],
            &["+split=12", "+multiline"],
            &["+nosplit", "+multiline"],
            &["+multiline", "+nottlid"],
            &["+multiline", "+noclass", "+ttlunits"],
        ] {
            let mut args = vec!["+noall", "+answer"];
            args.extend(opts);
            args.extend([zone, "AXFR"]);
            let (ours, theirs) = (run(NETWALK, &args), run(&dig, &args));
            assert!(theirs.lines().count() > 90, "{theirs}");
            assert_eq!(ours, theirs, "{args:?}");
        }
    }
    // The whole reply (question line in the same columns), and +short staying on one line.
    for args in [
        &["+norec", "+multiline", "types.test", "SOA"][..],
        &["+norec", "+multi", "+noclass", "dnskey.types.test", "DNSKEY"],
        &["+norec", "+nottlid", "ds.types.test", "DS"],
        &["+short", "+multiline", "types.test", "SOA"],
        &["+short", "+split=8", "dnskey.types.test", "DNSKEY"],
        // Two queries: one greeting line; an empty +short answer prints nothing at all.
        &["+norec", "types.test", "SOA", "aligned-thirty-one1.types.test", "A"],
        &["+short", "nope.types.test", "A"],
        &["+norec", "nope.types.test", "A"],
    ] {
        assert_eq!(masked(&run(NETWALK, args)), masked(&run(&dig, args)), "{args:?}");
    }
}
