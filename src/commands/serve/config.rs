//! The module file, in blackbox_exporter's shape (`modules: {name: {prober,
//! timeout, <prober>: {…}}}`), so an existing blackbox.yml's http, tcp, icmp
//! and dns modules load as they are. Options netwalk does not implement are
//! refused by name at start-up rather than silently ignored: a probe that
//! checks less than its config says would pass when it should fail.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A module file larger than this is not a config (blackbox's own are a few KiB).
const MAX_CONFIG_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub modules: BTreeMap<String, Module>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Prober {
    Http,
    Tcp,
    Icmp,
    Dns,
    Tls,
    Hsts,
    Traceroute,
    Dhcp,
    Arp,
}

impl Prober {
    pub fn name(self) -> &'static str {
        match self {
            Prober::Http => "http",
            Prober::Tcp => "tcp",
            Prober::Icmp => "icmp",
            Prober::Dns => "dns",
            Prober::Tls => "tls",
            Prober::Hsts => "hsts",
            Prober::Traceroute => "traceroute",
            Prober::Dhcp => "dhcp",
            Prober::Arp => "arp",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub prober: Prober,
    /// Upper bound of one probe; Prometheus' scrape timeout lowers it.
    #[serde(default, with = "opt_duration", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<IpModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp: Option<IcmpModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsts: Option<HstsModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceroute: Option<TracerouteModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp: Option<DhcpModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arp: Option<ArpModule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IpProtocol {
    Ip4,
    Ip6,
}

/// blackbox's address-family options, shared by every prober that resolves.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IpModule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_ip_protocol: Option<IpProtocol>,
    #[serde(default = "yes")]
    pub ip_protocol_fallback: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip_address: Option<IpAddr>,
}

impl IpModule {
    /// The global `-4`/`-6` for this module: blackbox prefers a family and
    /// falls back; netwalk pins IPv4 when asked to prefer it (its resolver
    /// already prefers IPv6 when both exist) and IPv6 only without fallback.
    pub fn family_flag(&self) -> Option<&'static str> {
        match (self.preferred_ip_protocol, self.ip_protocol_fallback) {
            (Some(IpProtocol::Ip4), _) => Some("-4"),
            (Some(IpProtocol::Ip6), false) => Some("-6"),
            _ => None,
        }
    }
}

/// The address-family options of a prober section (serde cannot flatten
/// them into a struct that refuses unknown fields).
macro_rules! ip_options {
    ($($section:ident),*) => {$(
        impl $section {
            pub fn ip(&self) -> IpModule {
                IpModule {
                    preferred_ip_protocol: self.preferred_ip_protocol,
                    ip_protocol_fallback: self.ip_protocol_fallback,
                    source_ip_address: self.source_ip_address,
                }
            }
        }
    )*};
}
ip_options!(HttpModule, IcmpModule, DnsModule);

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    #[serde(default)]
    pub insecure_skip_verify: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpModule {
    /// Accepted status codes; empty means 2xx, as in blackbox.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub valid_status_codes: Vec<u16>,
    /// "HTTP/1.1", "HTTP/2.0" (blackbox's spelling); empty accepts any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub valid_http_versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default)]
    pub no_follow_redirects: bool,
    #[serde(default)]
    pub fail_if_ssl: bool,
    #[serde(default)]
    pub fail_if_not_ssl: bool,
    #[serde(default)]
    pub tls_config: TlsConfig,
    /// Largest body accepted (bytes); larger fails the probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_size_limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_ip_protocol: Option<IpProtocol>,
    #[serde(default = "yes")]
    pub ip_protocol_fallback: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip_address: Option<IpAddr>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IcmpModule {
    /// The echo request's TTL (blackbox's `ttl`), 64 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_ip_protocol: Option<IpProtocol>,
    #[serde(default = "yes")]
    pub ip_protocol_fallback: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip_address: Option<IpAddr>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Udp,
    Tcp,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DnsModule {
    pub query_name: String,
    #[serde(default = "any")]
    pub query_type: String,
    #[serde(default)]
    pub transport_protocol: Transport,
    #[serde(default = "yes")]
    pub recursion_desired: bool,
    /// Accepted RCODEs by name; empty means NOERROR, as in blackbox.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub valid_rcodes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_ip_protocol: Option<IpProtocol>,
    #[serde(default = "yes")]
    pub ip_protocol_fallback: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip_address: Option<IpAddr>,
}

fn any() -> String {
    "ANY".into()
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsModule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Fail when a certificate expires within this (tls-inspect's --expires-within).
    #[serde(default, with = "opt_duration", skip_serializing_if = "Option::is_none")]
    pub expires_within: Option<Duration>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HstsModule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Succeed only when the domain meets every preload requirement; by
    /// default a header that browsers honour is enough.
    #[serde(default)]
    pub preloadable: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TraceMethod {
    #[default]
    Icmp,
    Udp,
    Tcp,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TracerouteModule {
    #[serde(default)]
    pub method: TraceMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ttl: Option<u8>,
    /// Probes per hop (traceroute's -q), 3 by default: loss needs more than one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queries: Option<u8>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DhcpModule {
    /// The servers allowed to answer; any other is counted as rogue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_servers: Vec<IpAddr>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArpModule {
    /// The interface to ask on (the target is the IPv4 address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// Requests per probe, 3 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u8>,
}

impl Config {
    /// The modules served without `--config`: blackbox's usual names
    /// (http_2xx, tcp_connect, icmp) and one per netwalk prober.
    pub fn builtin() -> Config {
        Config::parse(BUILTIN, "the built-in modules").expect("the built-in modules parse")
    }

    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = crate::input::read_text_capped("--config", path, MAX_CONFIG_BYTES)?;
        Config::parse(&text, &format!("--config {}", path.display()))
    }

    fn parse(text: &str, what: &str) -> Result<Config, Error> {
        let config: Config = serde_yaml_ng::from_str(text).map_err(|e| {
            let message = e.to_string().replace('\n', " ");
            Error::usage(format!("{what}: {message}"))
        })?;
        for (name, module) in &config.modules {
            module.check().map_err(|e| Error::usage(format!("{what}: module {name}: {e}")))?;
        }
        Ok(config)
    }

    /// The module file as blackbox shows it under debug=true.
    pub fn module_yaml(module: &Module) -> String {
        serde_yaml_ng::to_string(module).unwrap_or_default()
    }
}

impl Module {
    /// What serde cannot say: the prober's section must be its own, and
    /// every value must be usable.
    fn check(&self) -> Result<(), String> {
        let sections = [
            ("http", self.http.is_some(), Prober::Http),
            ("tcp", self.tcp.is_some(), Prober::Tcp),
            ("icmp", self.icmp.is_some(), Prober::Icmp),
            ("dns", self.dns.is_some(), Prober::Dns),
            ("tls", self.tls.is_some(), Prober::Tls),
            ("hsts", self.hsts.is_some(), Prober::Hsts),
            ("traceroute", self.traceroute.is_some(), Prober::Traceroute),
            ("dhcp", self.dhcp.is_some(), Prober::Dhcp),
            ("arp", self.arp.is_some(), Prober::Arp),
        ];
        for (section, present, prober) in sections {
            if present && prober != self.prober {
                return Err(format!("has a '{section}' section but its prober is {}", self.prober.name()));
            }
        }
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err("timeout must be positive".into());
        }
        if self.prober == Prober::Dns && self.dns.is_none() {
            return Err("prober dns needs dns.query_name".into());
        }
        if let Some(dns) = &self.dns {
            if dns.source_ip_address.is_some() {
                return Err("dns: source_ip_address is not supported (netwalk dig has no source option)".into());
            }
            for rcode in &dns.valid_rcodes {
                if crate::wire::dns_text::parse_rcode(rcode).is_none() {
                    return Err(format!("valid_rcodes: '{rcode}' is not an RCODE"));
                }
            }
        }
        if let Some(http) = &self.http {
            for version in &http.valid_http_versions {
                if !matches!(version.as_str(), "HTTP/1.0" | "HTTP/1.1" | "HTTP/2" | "HTTP/2.0") {
                    return Err(format!("valid_http_versions: '{version}' is not HTTP/1.0, HTTP/1.1 or HTTP/2.0"));
                }
            }
            if let Some(code) = http.valid_status_codes.iter().find(|c| !(100..=599).contains(*c)) {
                return Err(format!("valid_status_codes: {code} is not an HTTP status"));
            }
        }
        Ok(())
    }
}

const BUILTIN: &str = "
modules:
  http_2xx:
    prober: http
    timeout: 5s
  tcp_connect:
    prober: tcp
    timeout: 5s
  icmp:
    prober: icmp
    timeout: 5s
  tls:
    prober: tls
    timeout: 5s
  hsts:
    prober: hsts
    timeout: 10s
  traceroute:
    prober: traceroute
    timeout: 10s
";

/// Durations as blackbox writes them (`5s`, `500ms`, `1m`).
mod opt_duration {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(d)?;
        crate::timing::parse_duration(&text).map(Some).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blackbox_modules_load_and_unknown_options_are_named() {
        let config = Config::parse(
            "modules:\n  http_2xx:\n    prober: http\n    timeout: 2s\n    http:\n      valid_status_codes: [200, 301]\n      preferred_ip_protocol: ip4\n      tls_config:\n        insecure_skip_verify: true\n  dns_a:\n    prober: dns\n    dns:\n      query_name: www.example.test\n      query_type: A\n",
            "t",
        )
        .unwrap();
        let http = &config.modules["http_2xx"];
        assert_eq!(http.timeout, Some(Duration::from_secs(2)));
        let options = http.http.as_ref().unwrap();
        assert_eq!(options.valid_status_codes, [200, 301]);
        assert_eq!(options.ip().family_flag(), Some("-4"));
        assert!(options.tls_config.insecure_skip_verify);
        assert!(config.modules["dns_a"].dns.as_ref().unwrap().recursion_desired);

        let err =
            Config::parse("modules:\n  x:\n    prober: tcp\n    tcp:\n      query_response: []\n", "t").unwrap_err();
        assert!(err.to_string().contains("unknown field `query_response`"), "{err}");
        let err = Config::parse("modules:\n  x:\n    prober: grpc\n", "t").unwrap_err();
        assert!(err.to_string().contains("unknown variant `grpc`"), "{err}");
        let err = Config::parse("modules:\n  x:\n    prober: tcp\n    http: {}\n", "t").unwrap_err();
        assert_eq!(err.to_string(), "t: module x: has a 'http' section but its prober is tcp");
        let err = Config::parse(
            "modules:\n  x:\n    prober: dns\n    dns:\n      query_name: a.test\n      valid_rcodes: [NOPE]\n",
            "t",
        )
        .unwrap_err();
        assert!(err.to_string().ends_with("valid_rcodes: 'NOPE' is not an RCODE"), "{err}");
    }

    #[test]
    fn the_builtin_modules_parse() {
        let config = Config::builtin();
        assert_eq!(config.modules["http_2xx"].prober, Prober::Http);
        assert!(Config::module_yaml(&config.modules["icmp"]).contains("prober: icmp"));
    }
}
