//! `+trace`: the iteration from the root, as a pure engine. It reads each
//! reply and says what to ask next (the servers of a closer zone, with their
//! glue) or that the walk is over; the caller does the I/O and timing.

use crate::net::resolve::Family;
use crate::wire::dns::Message;
use std::net::IpAddr;

/// Referrals followed before giving up (a loop or an absurdly deep tree).
pub const MAX_STEPS: usize = 24;

/// A name server of a zone and the addresses known for it (glue or hints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameServer {
    pub name: String,
    pub addrs: Vec<IpAddr>,
}

/// What a reply means for the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Ask the servers of `zone`, in this order.
    Referral { zone: String, servers: Vec<NameServer> },
    /// An answer, NXDOMAIN, NODATA or another final status.
    Done,
    /// The reply leads nowhere (an upward or sideways referral, no NS at all).
    Stuck(String),
}

fn lower_fqdn(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with('.') { lower } else { lower + "." }
}

/// `name` is `zone` or below it (both absolute).
pub fn is_within(name: &str, zone: &str) -> bool {
    let (name, zone) = (lower_fqdn(name), lower_fqdn(zone));
    zone == "." || name == zone || name.ends_with(&format!(".{zone}"))
}

fn label_count(name: &str) -> usize {
    lower_fqdn(name).trim_end_matches('.').split('.').filter(|l| !l.is_empty()).count()
}

/// Servers named by the NS records of `zone` in `records`, with addresses
/// from `glue` (A/AAAA in the additional section) that `family` allows.
fn servers_of(
    zone: &str,
    ns: &[&crate::wire::dns::Record],
    glue: &[crate::wire::dns::Record],
    family: Family,
) -> Vec<NameServer> {
    let mut out: Vec<NameServer> = Vec::new();
    for rec in ns.iter().filter(|r| r.rtype == 2 && lower_fqdn(&r.name) == lower_fqdn(zone)) {
        let name = lower_fqdn(&rec.data);
        if out.iter().any(|s| s.name == name) {
            continue;
        }
        let mut addrs: Vec<IpAddr> = glue
            .iter()
            .filter(|g| (g.rtype == 1 || g.rtype == 28) && lower_fqdn(&g.name) == name)
            .filter_map(|g| g.data.parse().ok())
            .filter(|ip| family.allows(*ip))
            .collect();
        // IPv4 first unless -6: more hosts can reach it.
        addrs.sort_by_key(|ip| ip.is_ipv6());
        out.push(NameServer { name, addrs });
    }
    out
}

/// The root servers from a priming reply (`. NS`), with glue; names the
/// reply gives no address for keep the hint's addresses.
pub fn after_priming(msg: &Message, hints: &[NameServer], family: Family) -> Next {
    let ns: Vec<_> = msg.answer.iter().collect();
    let mut servers = servers_of(".", &ns, &msg.additional, family);
    if servers.is_empty() {
        return Stuck(format!(
            "the priming reply has no NS records for the root (status {})",
            crate::wire::dns_text::rcode_name(msg.rcode())
        ));
    }
    for s in servers.iter_mut().filter(|s| s.addrs.is_empty()) {
        if let Some(h) = hints.iter().find(|h| h.name == s.name) {
            s.addrs = h.addrs.clone();
        }
    }
    Next::Referral { zone: ".".into(), servers }
}
use Next::Stuck;

/// What to do after `msg` answered `qname` for `zone`.
pub fn after_reply(msg: &Message, qname: &str, zone: &str, family: Family) -> Next {
    if msg.rcode() != 0 || !msg.answer.is_empty() {
        return Next::Done;
    }
    let ns: Vec<_> = msg.authority.iter().filter(|r| r.rtype == 2).collect();
    if ns.is_empty() {
        // No NS and no answer: NODATA (with SOA) or an empty reply; either way nothing more to ask.
        return Next::Done;
    }
    // A referral must lead strictly closer to the name: below the zone we asked, above (or at) the name.
    let child = lower_fqdn(&ns[0].name);
    if !is_within(qname, &child) || !is_within(&child, zone) || label_count(&child) <= label_count(zone) {
        if msg.authority.iter().any(|r| r.rtype == 6) || msg.header.aa {
            return Next::Done;
        }
        return Stuck(format!("bad referral to {child} from a server of {}", lower_fqdn(zone)));
    }
    let servers = servers_of(&child, &ns, &msg.additional, family);
    Next::Referral { zone: child, servers }
}

/// Reads a root hints file (named.root format: `NAME [TTL] [CLASS] TYPE DATA`,
/// `;` comments); the NS records of `.` name the servers, A/AAAA give addresses.
pub fn parse_hints(text: &str, family: Family) -> Result<Vec<NameServer>, String> {
    let mut names: Vec<String> = Vec::new();
    let mut addrs: Vec<(String, IpAddr)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split(';').next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('$') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| ["NS", "A", "AAAA"].contains(&w.to_ascii_uppercase().as_str()))
            .filter(|&i| i >= 1 && i + 1 < words.len())
            .ok_or_else(|| format!("line {}: expected 'NAME [TTL] [IN] NS|A|AAAA DATA', got '{line}'", n + 1))?;
        let (owner, data) = (lower_fqdn(words[0]), words[at + 1]);
        match words[at].to_ascii_uppercase().as_str() {
            "NS" if owner == "." => names.push(lower_fqdn(data)),
            "NS" => return Err(format!("line {}: NS record for {owner}, hints hold the root's servers only", n + 1)),
            _ => {
                let ip: IpAddr = data.parse().map_err(|_| format!("line {}: '{data}' is not an address", n + 1))?;
                addrs.push((owner, ip));
            }
        }
    }
    let mut servers: Vec<NameServer> = names
        .into_iter()
        .map(|name| {
            let mut a: Vec<IpAddr> =
                addrs.iter().filter(|(o, ip)| *o == name && family.allows(*ip)).map(|(_, ip)| *ip).collect();
            a.sort_by_key(|ip| ip.is_ipv6());
            NameServer { name, addrs: a }
        })
        .collect();
    servers.retain(|s| !s.addrs.is_empty());
    if servers.is_empty() {
        return Err("no root server with a usable address (NS records of '.' and their A/AAAA records)".into());
    }
    Ok(servers)
}

/// The IANA root servers (named.root, 2024), used when no hints file is given.
pub fn builtin_hints(family: Family) -> Vec<NameServer> {
    const ROOTS: [(char, &str, &str); 13] = [
        ('a', "198.41.0.4", "2001:503:ba3e::2:30"),
        ('b', "170.247.170.2", "2801:1b8:10::b"),
        ('c', "192.33.4.12", "2001:500:2::c"),
        ('d', "199.7.91.13", "2001:500:2d::d"),
        ('e', "192.203.230.10", "2001:500:a8::e"),
        ('f', "192.5.5.241", "2001:500:2f::f"),
        ('g', "192.112.36.4", "2001:500:12::d0d"),
        ('h', "198.97.190.53", "2001:500:1::53"),
        ('i', "192.36.148.17", "2001:7fe::53"),
        ('j', "192.58.128.30", "2001:503:c27::2:30"),
        ('k', "193.0.14.129", "2001:7fd::1"),
        ('l', "199.7.83.42", "2001:500:9f::42"),
        ('m', "202.12.27.33", "2001:dc3::35"),
    ];
    let mut text = String::new();
    for (letter, v4, v6) in ROOTS {
        text += &format!(
            ". NS {letter}.root-servers.net.\n{letter}.root-servers.net. A {v4}\n{letter}.root-servers.net. AAAA {v6}\n"
        );
    }
    parse_hints(&text, family).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dns::{Header, Record};

    fn rec(name: &str, rtype: u16, data: &str) -> Record {
        Record { name: name.into(), rtype, class: 1, ttl: 60, data: data.into(), raw: vec![] }
    }

    fn msg(answer: Vec<Record>, authority: Vec<Record>, additional: Vec<Record>) -> Message {
        let header = Header::parse(&[0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
        Message { header, questions: vec![], answer, authority, additional, opt: None }
    }

    #[test]
    fn a_referral_names_the_child_zone_and_its_glue() {
        let m = msg(
            vec![],
            vec![rec("test.", 2, "ns1.test."), rec("test.", 2, "ns2.test.")],
            vec![
                rec("ns1.test.", 28, "2001:db8::53"),
                rec("ns1.test.", 1, "198.18.6.2"),
                rec("other.", 1, "198.18.9.9"),
            ],
        );
        let Next::Referral { zone, servers } = after_reply(&m, "www.example.test.", ".", Family::Any) else { panic!() };
        assert_eq!(zone, "test.");
        assert_eq!(servers[0].addrs, vec!["198.18.6.2".parse::<IpAddr>().unwrap(), "2001:db8::53".parse().unwrap()]);
        assert_eq!((servers[1].name.as_str(), servers[1].addrs.len()), ("ns2.test.", 0));
        let Next::Referral { servers, .. } = after_reply(&m, "www.example.test.", ".", Family::V6) else { panic!() };
        assert_eq!(servers[0].addrs.len(), 1);
    }

    #[test]
    fn answers_errors_and_nodata_end_the_walk_and_bad_referrals_stop_it() {
        let answer = msg(vec![rec("www.example.test.", 1, "198.18.3.10")], vec![], vec![]);
        assert_eq!(after_reply(&answer, "www.example.test.", "example.test.", Family::Any), Next::Done);
        let nodata = msg(vec![], vec![rec("example.test.", 6, "ns1. h. 1 2 3 4 5")], vec![]);
        assert_eq!(after_reply(&nodata, "www.example.test.", "example.test.", Family::Any), Next::Done);
        let upward = msg(vec![], vec![rec(".", 2, "a.root.")], vec![]);
        assert!(matches!(after_reply(&upward, "www.example.test.", "test.", Family::Any), Next::Stuck(_)));
        let sideways = msg(vec![], vec![rec("other.test.", 2, "ns.other.test.")], vec![]);
        assert!(matches!(after_reply(&sideways, "www.example.test.", "test.", Family::Any), Next::Stuck(_)));
        let same = msg(vec![], vec![rec("test.", 2, "ns.test.")], vec![]);
        assert!(matches!(after_reply(&same, "www.example.test.", "test.", Family::Any), Next::Stuck(_)));
    }

    #[test]
    fn hints_files_and_the_builtin_list() {
        let hints = parse_hints(
            "; lab root\n.\t3600000\tIN\tNS\tROOT.TEST.\nroot.test. 3600000 A 198.18.5.2\nroot.test. AAAA 2001:db8:5::2\n",
            Family::Any,
        )
        .unwrap();
        assert_eq!(
            hints,
            vec![NameServer {
                name: "root.test.".into(),
                addrs: vec!["198.18.5.2".parse().unwrap(), "2001:db8:5::2".parse().unwrap()]
            }]
        );
        assert!(parse_hints(". NS root.test.\n", Family::Any).is_err());
        assert!(parse_hints("root.test. A 999.1.1.1\n", Family::Any).unwrap_err().starts_with("line 1:"));
        assert!(parse_hints("garbage\n", Family::Any).is_err());
        let roots = builtin_hints(Family::V4);
        assert_eq!(roots.len(), 13);
        assert_eq!(roots[0].addrs, vec!["198.41.0.4".parse::<IpAddr>().unwrap()]);
        let primed = msg(vec![rec(".", 2, "a.root-servers.net.")], vec![], vec![]);
        let Next::Referral { servers, .. } = after_priming(&primed, &roots, Family::V4) else { panic!() };
        assert_eq!(servers[0].addrs, roots[0].addrs, "a name without glue keeps the hint's address");
    }
}
