//! `--system NAME`: the path getaddrinfo takes with `hosts: files dns` —
//! /etc/hosts first, then each search candidate (ndots rule) against the
//! resolv.conf servers in order — with every step and the answering source.

use super::grammar::{Question, Settings};
use super::{Outcome, exchange, query};
use crate::error::{Error, Exit};
use crate::net::resolve::Family;
use crate::output::{Output, Report};
use crate::wire::dns_text::{rcode_name, type_name};
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const HOSTS: &str = "/etc/hosts";
const RESOLV_CONF: &str = "/etc/resolv.conf";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResolvConf {
    pub nameservers: Vec<IpAddr>,
    pub search: Vec<String>,
    pub ndots: usize,
    /// `options timeout:N` (seconds per try, glibc caps it at 30) and `attempts:N` (rounds over all servers, at most 5).
    pub timeout: Option<u64>,
    pub attempts: Option<u32>,
}

/// The parts of resolv.conf(5) that decide where a name is asked.
pub fn parse_resolv_conf(text: &str) -> ResolvConf {
    let mut conf = ResolvConf { ndots: 1, ..Default::default() };
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => conf.nameservers.extend(words.next().and_then(|w| w.parse::<IpAddr>().ok())),
            Some("search") | Some("domain") => {
                conf.search = words.map(|w| w.trim_end_matches('.').to_string()).collect()
            }
            Some("options") => {
                for o in words {
                    if let Some(n) = o.strip_prefix("ndots:").and_then(|n| n.parse().ok()) {
                        conf.ndots = n;
                    }
                    if let Some(n) = o.strip_prefix("timeout:").and_then(|n| n.parse::<u64>().ok()) {
                        conf.timeout = Some(n.clamp(1, 30));
                    }
                    if let Some(n) = o.strip_prefix("attempts:").and_then(|n| n.parse::<u32>().ok()) {
                        conf.attempts = Some(n.clamp(1, 5));
                    }
                }
            }
            _ => {}
        }
    }
    conf
}

/// Addresses for `name` in hosts-file text, with the line they came from.
pub fn hosts_lookup(text: &str, name: &str, family: Family) -> Option<(Vec<IpAddr>, usize)> {
    let want = name.trim_end_matches('.');
    let mut found: Option<(Vec<IpAddr>, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(addr) = words.next().and_then(|a| a.parse::<IpAddr>().ok()) else { continue };
        if family.allows(addr) && words.any(|w| w.eq_ignore_ascii_case(want)) {
            let entry = found.get_or_insert((Vec::new(), n + 1));
            if !entry.0.contains(&addr) {
                entry.0.push(addr);
            }
        }
    }
    found
}

/// The search candidates in the order glibc tries them.
pub fn candidates(name: &str, conf: &ResolvConf) -> Vec<String> {
    if name.ends_with('.') {
        return vec![name.to_string()];
    }
    let absolute = format!("{name}.");
    let searched: Vec<String> = conf.search.iter().map(|d| format!("{name}.{d}.")).collect();
    if name.matches('.').count() >= conf.ndots {
        std::iter::once(absolute).chain(searched).collect()
    } else {
        searched.into_iter().chain(std::iter::once(absolute)).collect()
    }
}

pub fn first_nameserver() -> Result<IpAddr, String> {
    let text = std::fs::read_to_string(RESOLV_CONF).map_err(|e| format!("{RESOLV_CONF}: {e}"))?;
    parse_resolv_conf(&text).nameservers.first().copied().ok_or_else(|| format!("{RESOLV_CONF} names no nameserver"))
}

/// Every nameserver of resolv.conf (none when it cannot be read).
pub fn nameservers() -> Vec<IpAddr> {
    std::fs::read_to_string(RESOLV_CONF).map(|t| parse_resolv_conf(&t).nameservers).unwrap_or_default()
}

#[derive(Debug, serde::Serialize)]
pub struct Step {
    pub name: String,
    #[serde(rename = "type")]
    pub qtype: String,
    pub server: String,
    pub result: String,
    pub addresses: Vec<IpAddr>,
    /// The answer section (CNAME chain included) as `name TTL TYPE data`.
    pub answers: Vec<String>,
    pub time_ms: f64,
}

#[derive(Debug, serde::Serialize)]
pub struct SystemReport {
    pub name: String,
    /// "hosts_file", "dns", or null when nothing answered.
    pub source: Option<String>,
    pub detail: String,
    pub addresses: Vec<IpAddr>,
    pub steps: Vec<Step>,
}

/// `say_waits`: each unanswered try on stderr (dig) or not (explain tells them itself);
/// `cap`: the caller's own bound on one try (explain's --timeout), below resolv.conf's.
pub fn resolve(name: &str, family: Family, say_waits: bool, cap: Option<Duration>) -> Result<SystemReport, Error> {
    let ascii = query::wire_name(name).map_err(Error::usage)?.to_ascii();
    let bare = if name.ends_with('.') { ascii.clone() } else { ascii.trim_end_matches('.').to_string() };
    let hosts = std::fs::read_to_string(HOSTS).unwrap_or_default();
    if let Some((addrs, line)) = hosts_lookup(&hosts, &bare, family) {
        return Ok(SystemReport {
            name: name.into(),
            source: Some("hosts_file".into()),
            detail: format!("{HOSTS} line {line}"),
            addresses: addrs,
            steps: Vec::new(),
        });
    }
    let text = std::fs::read_to_string(RESOLV_CONF)
        .map_err(|e| Error::io(format!("'{name}' is not in {HOSTS} and {RESOLV_CONF} cannot be read"), e))?;
    let conf = parse_resolv_conf(&text);
    if conf.nameservers.is_empty() {
        return Err(Error::io(
            format!("'{name}' is not in {HOSTS} and {RESOLV_CONF} names no nameserver"),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let types: &[u16] = match family {
        Family::Any => &[1, 28],
        Family::V4 => &[1],
        Family::V6 => &[28],
    };
    // As glibc: each round asks every server once, `timeout` apart; `attempts` rounds. Without
    // options the wait is shorter than glibc's 5 s x 2 (this is a diagnosis, not a lookup to wait out).
    let mut per_try = Duration::from_secs(conf.timeout.unwrap_or(2));
    if let Some(cap) = cap {
        per_try = per_try.min(cap);
    }
    let rounds = conf.attempts.unwrap_or(2);
    let settings = Settings { time: per_try, tries: 1, say_waits, ..Settings::default() };
    let mut steps = Vec::new();
    for candidate in candidates(&bare, &conf) {
        let mut addrs = Vec::new();
        let mut answered_by = None;
        let mut any_reply = false;
        for &qtype in types {
            'rounds: for _round in 1..=rounds {
                for server in &conf.nameservers {
                    let q = Question { name: candidate.clone(), qtype, qclass: 1 };
                    let [a, b, c @ ..]: [u8; 10] = super::random_bytes();
                    let sent = query::build(&q, &settings, u16::from_be_bytes([a, b]), c).map_err(Error::usage)?;
                    let addr = SocketAddr::new(*server, 53);
                    let (outcome, _) = exchange(addr, &sent, &settings);
                    let answers: Vec<String> = match &outcome {
                        Outcome::Reply { msg, .. } => msg
                            .answer
                            .iter()
                            .map(|r| format!("{} {} {} {}", r.name, r.ttl, type_name(r.rtype), r.data))
                            .collect(),
                        _ => Vec::new(),
                    };
                    let (result, found, time) = match &outcome {
                        Outcome::Reply { msg, elapsed, .. } => {
                            let found: Vec<IpAddr> = msg
                                .answer
                                .iter()
                                .filter(|r| r.rtype == qtype)
                                .filter_map(|r| r.data.parse().ok())
                                .collect();
                            (rcode_name(msg.rcode()), found, crate::timing::millis(*elapsed))
                        }
                        Outcome::Bad { error, .. } => (format!("bad reply: {error}"), Vec::new(), 0.0),
                        Outcome::NoResponse { reason } => (reason.clone(), Vec::new(), 0.0),
                    };
                    let replied = matches!(outcome, Outcome::Reply { .. });
                    steps.push(Step {
                        name: candidate.clone(),
                        qtype: type_name(qtype),
                        server: query::endpoint(addr),
                        result,
                        addresses: found.clone(),
                        answers,
                        time_ms: time,
                    });
                    if !found.is_empty() {
                        answered_by.get_or_insert(addr);
                    }
                    addrs.extend(found);
                    any_reply |= replied;
                    if replied {
                        break 'rounds; // the resolver moves to the next server only when one is silent
                    }
                }
            }
            // Every server stayed silent through every round: asking them for another type or
            // another search-list name would only wait as long again for the same silence.
            if !any_reply {
                break;
            }
        }
        if !any_reply {
            break;
        }
        if !addrs.is_empty() {
            let server = answered_by.map(query::endpoint).unwrap_or_default();
            return Ok(SystemReport {
                name: name.into(),
                source: Some("dns".into()),
                detail: format!("DNS server {server} for {candidate}"),
                addresses: addrs,
                steps,
            });
        }
    }
    Ok(SystemReport {
        name: name.into(),
        source: None,
        detail: "no source had an address".into(),
        addresses: Vec::new(),
        steps,
    })
}

impl Report for SystemReport {
    fn human(&self, _out: &Output) -> String {
        let mut text = String::new();
        if self.source.as_deref() != Some("hosts_file") {
            text += &format!(";; {HOSTS}: no entry for {}\n", self.name);
        }
        for s in &self.steps {
            text += &format!(";; DNS {} {} @{}: {} ({:.1} ms)\n", s.name, s.qtype, s.server, s.result, s.time_ms);
        }
        if self.addresses.is_empty() {
            text += &format!("{}: does not resolve ({})\n", self.name, self.detail);
        } else {
            let addrs: Vec<String> = self.addresses.iter().map(|a| a.to_string()).collect();
            text += &format!("{}: {} from {}\n", self.name, addrs.join(" "), self.detail);
        }
        text
    }

    fn json(&self) -> Value {
        json!(self)
    }

    fn exit(&self) -> Exit {
        if self.addresses.is_empty() { Exit::Failed } else { Exit::Passed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_and_search_order() {
        let conf = parse_resolv_conf(
            "# lab\nnameserver 198.18.3.2\nnameserver 2001:db8:3::2\nsearch lab.test corp.test\noptions ndots:2\n",
        );
        assert_eq!(conf.nameservers.len(), 2);
        assert_eq!(conf.ndots, 2);
        assert_eq!(candidates("www", &conf), vec!["www.lab.test.", "www.corp.test.", "www."]);
        assert_eq!(candidates("a.b.c", &conf), vec!["a.b.c.", "a.b.c.lab.test.", "a.b.c.corp.test."]);
        assert_eq!(candidates("x.test.", &conf), vec!["x.test."]);
        let conf =
            parse_resolv_conf("nameserver 198.18.3.2\noptions timeout:1 attempts:3 rotate\noptions timeout:99\n");
        assert_eq!((conf.timeout, conf.attempts), (Some(30), Some(3)), "glibc's caps");
        assert_eq!((parse_resolv_conf("").timeout, parse_resolv_conf("").attempts), (None, None));
    }

    #[test]
    fn hosts_file_lines_and_family() {
        let hosts = "127.0.0.1 localhost\n198.18.9.9 web.test web # comment\n2001:db8::9 web.test\n";
        assert_eq!(
            hosts_lookup(hosts, "WEB.test", Family::Any).unwrap(),
            (vec!["198.18.9.9".parse().unwrap(), "2001:db8::9".parse().unwrap()], 2)
        );
        assert_eq!(hosts_lookup(hosts, "web", Family::V6), None);
        assert_eq!(hosts_lookup(hosts, "comment", Family::Any), None);
    }
}
