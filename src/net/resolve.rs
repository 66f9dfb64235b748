//! The one resolver every command uses, in the order the OS uses: the hosts
//! file first, then the DNS servers of /etc/resolv.conf (through hickory).

use crate::error::Error;
use crate::target::Host;
use hickory_resolver::config::{LookupIpStrategy, ResolveHosts};
use hickory_resolver::lookup_ip::LookupIp;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::Query;
use hickory_resolver::proto::rr::{Name, RecordType};
use hickory_resolver::{Hosts, TokioResolver};
use serde::Serialize;
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which address families a command may use (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    #[default]
    Any,
    V4,
    V6,
}

impl Family {
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The target was an address; nothing was looked up.
    Literal,
    HostsFile,
    Dns,
}

/// The addresses of one host and what it took to learn them.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    pub addrs: Vec<IpAddr>,
    pub source: Source,
    #[serde(rename = "elapsed_ms", serialize_with = "crate::output::as_ms")]
    pub elapsed: Duration,
}

pub struct Resolver {
    family: Family,
    /// Read on first use: a command given only addresses never touches
    /// /etc/hosts or resolv.conf (start-up time matters to traceroute and dig).
    hosts: OnceLock<Hosts>,
    dns: OnceLock<Result<TokioResolver, String>>,
}

impl Resolver {
    /// Reads /etc/hosts and /etc/resolv.conf once, when first needed. A missing
    /// or empty resolv.conf is not an error until a name actually needs DNS.
    pub fn system(family: Family) -> Self {
        Resolver { family, hosts: OnceLock::new(), dns: OnceLock::new() }
    }

    fn hosts(&self) -> &Hosts {
        self.hosts.get_or_init(|| Hosts::from_system().unwrap_or_default())
    }

    fn dns(&self) -> &Result<TokioResolver, String> {
        let family = self.family;
        self.dns.get_or_init(|| {
            TokioResolver::builder_tokio()
                .map_err(|e| format!("no usable DNS configuration in /etc/resolv.conf ({e})"))
                .map(|mut builder| {
                    let opts = builder.options_mut();
                    opts.use_hosts_file = ResolveHosts::Never; // we read it ourselves, first
                    opts.ip_strategy = match family {
                        Family::Any => LookupIpStrategy::Ipv4AndIpv6,
                        Family::V4 => LookupIpStrategy::Ipv4Only,
                        Family::V6 => LookupIpStrategy::Ipv6Only,
                    };
                    builder.build()
                })
                .and_then(|built| built.map_err(|e| format!("cannot start the DNS resolver: {e}")))
        })
    }

    /// A resolver that knows only the given hosts-file text (for tests).
    #[cfg(test)]
    fn with_hosts(text: &str, family: Family) -> Self {
        let mut hosts = Hosts::default();
        hosts.read_hosts_conf(text.as_bytes()).unwrap();
        let dns = TokioResolver::builder_with_config(
            hickory_resolver::config::ResolverConfig::from_parts(None, vec![], vec![]),
            hickory_resolver::net::runtime::TokioRuntimeProvider::default(),
        )
        .build()
        .map_err(|e| e.to_string());
        Resolver { family, hosts: OnceLock::from(hosts), dns: OnceLock::from(dns) }
    }

    /// An address literal's resolution, without a runtime; `None` for a name.
    pub fn literal(&self, host: &Host) -> Option<Result<Resolution, Error>> {
        match host {
            Host::Ip(ip) => Some(self.literal_ip(*ip)),
            Host::Name { .. } => None,
        }
    }

    fn literal_ip(&self, ip: IpAddr) -> Result<Resolution, Error> {
        if !self.family.allows(ip) {
            return Err(Error::usage(format!(
                "{ip} is not an {} address, but {} was given",
                if ip.is_ipv4() { "IPv6" } else { "IPv4" },
                if ip.is_ipv4() { "-6" } else { "-4" },
            )));
        }
        Ok(Resolution { addrs: vec![ip], source: Source::Literal, elapsed: Duration::ZERO })
    }

    pub async fn resolve(&self, host: &Host) -> Result<Resolution, Error> {
        let started = Instant::now();
        let name = match host {
            Host::Ip(ip) => return self.literal_ip(*ip),
            Host::Name { ascii, .. } => ascii,
        };
        let fail = |reason: String| Error::Resolve { host: name.clone(), reason };
        let fqdn = Name::from_ascii(format!("{name}.")).map_err(|e| fail(e.to_string()))?;

        let from_hosts = self.hosts_file_lookup(&fqdn);
        tracing::debug!(name = %fqdn, hosts_file = ?from_hosts, "resolving");
        if !from_hosts.is_empty() {
            return Ok(Resolution { addrs: from_hosts, source: Source::HostsFile, elapsed: started.elapsed() });
        }
        let dns = self.dns().as_ref().map_err(|e| fail(format!("not in /etc/hosts, and {e}")))?;
        // A silent server must not mean a silent wait: one stderr line per try's worth of time.
        let (per_try, attempts) = (dns.options().timeout.max(Duration::from_secs(1)), dns.options().attempts);
        let lookup = dns.lookup_ip(fqdn);
        tokio::pin!(lookup);
        let mut waited = 0u32;
        let lookup = loop {
            match tokio::time::timeout(per_try, &mut lookup).await {
                Ok(done) => break done,
                Err(_) => {
                    waited += 1;
                    crate::output::stderr_line(&format!(
                        ";; resolving {name}: no answer from the DNS servers of /etc/resolv.conf after {} s, still trying \
                         (resolv.conf timeout:{} attempts:{attempts})",
                        per_try.as_secs() * u64::from(waited),
                        per_try.as_secs()
                    ));
                }
            }
        };
        let lookup = lookup.map_err(|e| fail(describe(&e)))?;
        let addrs: Vec<IpAddr> = lookup.iter().filter(|ip| self.family.allows(*ip)).collect();
        tracing::debug!(name = %name, ?addrs, elapsed = ?started.elapsed(), "answered by DNS");
        if addrs.is_empty() {
            return Err(fail("the name exists but has no address of the requested family".into()));
        }
        Ok(Resolution { addrs, source: Source::Dns, elapsed: started.elapsed() })
    }

    /// The name of an address (PTR): the hosts file first, then DNS; None
    /// when there is none or DNS does not answer within `timeout`.
    pub async fn reverse(&self, ip: IpAddr, timeout: Duration) -> Option<String> {
        let arpa = Name::from(ip);
        if let Some(lookup) = self.hosts().lookup_static_host(&Query::query(arpa, RecordType::PTR)) {
            let name = lookup.answers().iter().find_map(|r| match &r.data {
                hickory_resolver::proto::rr::RData::PTR(ptr) => Some(ptr.0.to_utf8()),
                _ => None,
            });
            if name.is_some() {
                return name.map(|n| n.trim_end_matches('.').to_string());
            }
        }
        let dns = self.dns().as_ref().ok()?;
        let lookup = tokio::time::timeout(timeout, dns.reverse_lookup(ip)).await.ok()?.ok()?;
        lookup.answers().iter().find_map(|r| match &r.data {
            hickory_resolver::proto::rr::RData::PTR(ptr) => Some(ptr.0.to_utf8().trim_end_matches('.').to_string()),
            _ => None,
        })
    }

    /// The TXT strings of `name` (each record's strings joined); None when
    /// there are none or DNS does not answer within `timeout`.
    pub async fn txt(&self, name: &str, timeout: Duration) -> Option<Vec<String>> {
        let dns = self.dns().as_ref().ok()?;
        let fqdn = Name::from_ascii(format!("{}.", name.trim_end_matches('.'))).ok()?;
        let lookup = tokio::time::timeout(timeout, dns.txt_lookup(fqdn)).await.ok()?.ok()?;
        let texts: Vec<String> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                hickory_resolver::proto::rr::RData::TXT(txt) => {
                    Some(txt.txt_data.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect::<String>())
                }
                _ => None,
            })
            .collect();
        (!texts.is_empty()).then_some(texts)
    }

    fn hosts_file_lookup(&self, name: &Name) -> Vec<IpAddr> {
        let types: &[RecordType] = match self.family {
            Family::Any => &[RecordType::A, RecordType::AAAA],
            Family::V4 => &[RecordType::A],
            Family::V6 => &[RecordType::AAAA],
        };
        types
            .iter()
            .filter_map(|t| self.hosts().lookup_static_host(&Query::query(name.clone(), *t)))
            .flat_map(|lookup| LookupIp::from(lookup).iter().collect::<Vec<_>>())
            .collect()
    }
}

/// hickory's errors print whole queries; say what happened in words.
fn describe(err: &NetError) -> String {
    match err {
        NetError::Dns(DnsError::NoRecordsFound(no)) => {
            format!("no such name ({} from the DNS server)", no.response_code)
        }
        NetError::Dns(DnsError::ResponseCode(code)) => format!("the DNS server answered {code}"),
        NetError::Timeout => "no answer from the DNS servers in /etc/resolv.conf".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::parse_host;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    const HOSTS: &str = "198.18.7.7 web.test\n2001:db8::7 web.test\n";

    #[test]
    fn hosts_file_first_with_family_filter() {
        let host = parse_host("web.test", "web.test").unwrap();
        let any = rt().block_on(Resolver::with_hosts(HOSTS, Family::Any).resolve(&host)).unwrap();
        assert_eq!(any.source, Source::HostsFile);
        assert_eq!(any.addrs, vec!["198.18.7.7".parse::<IpAddr>().unwrap(), "2001:db8::7".parse().unwrap()]);
        let v6 = rt().block_on(Resolver::with_hosts(HOSTS, Family::V6).resolve(&host)).unwrap();
        assert_eq!(v6.addrs, vec!["2001:db8::7".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn reverse_from_the_hosts_file() {
        let r = Resolver::with_hosts(HOSTS, Family::Any);
        let name = rt().block_on(r.reverse("2001:db8::7".parse().unwrap(), Duration::from_millis(50)));
        assert_eq!(name.as_deref(), Some("web.test"));
        let none = rt().block_on(r.reverse("198.18.9.9".parse().unwrap(), Duration::from_millis(50)));
        assert_eq!(none, None);
    }

    #[test]
    fn literal_of_the_wrong_family_is_a_usage_error() {
        let host = parse_host("198.18.0.1", "x").unwrap();
        let err = rt().block_on(Resolver::with_hosts("", Family::V6).resolve(&host)).unwrap_err();
        assert_eq!(err.exit(), crate::error::Exit::Usage);
    }
}
