//! Target syntax shared by every command: `host`, `host:port`, `[v6]:port`,
//! a bare IPv6 address, or a URL whose scheme implies the port. IDN names are
//! punycoded here, once.

use crate::error::Error;
use serde::Serialize;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Host {
    Ip(IpAddr),
    /// An ASCII (A-label) name; `unicode` keeps what the user typed when it differed.
    Name {
        ascii: String,
        unicode: Option<String>,
    },
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Name { ascii, .. } => f.write_str(ascii),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What the user typed, for headers and JSON.
    pub input: String,
    pub host: Host,
    /// The port the target itself names (explicitly or through its URL scheme).
    pub port: Option<u16>,
}

impl Target {
    /// `host:port` as a human reads it, brackets around IPv6.
    pub fn endpoint(&self, port: u16) -> String {
        match &self.host {
            Host::Ip(IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
            host => format!("{host}:{port}"),
        }
    }
}

/// Default ports of URL schemes that `url` does not know itself.
fn scheme_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "ssh" => 22,
        "smtp" => 25,
        "dns" => 53,
        "pop3" => 110,
        "imap" => 143,
        "ldap" => 389,
        "smtps" => 465,
        "submission" => 587,
        "ldaps" => 636,
        "dot" => 853,
        "imaps" => 993,
        "pop3s" => 995,
        _ => return None,
    })
}

fn check_port(text: &str, input: &str) -> Result<u16, Error> {
    match text.parse::<u32>() {
        Ok(port @ 1..=65535) => Ok(port as u16),
        Ok(port) => Err(Error::usage(format!("port {port} in '{input}' is out of range: a TCP port is 1 to 65535"))),
        Err(_) => Err(Error::usage(format!("'{text}' in '{input}' is not a port number"))),
    }
}

/// Validates a host name and turns an IDN into its A-label form.
pub fn parse_host(text: &str, input: &str) -> Result<Host, Error> {
    if text.is_empty() {
        return Err(Error::usage(format!("'{input}' has an empty host name")));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    // Underscores are in real names (_dmarc, SRV owners, some internal hosts);
    // openssl and webpki accept them, IDNA's STD3 rules do not.
    let plain = trimmed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    let strict = if plain && trimmed.contains('_') {
        Ok(trimmed.to_ascii_lowercase())
    } else {
        idna::domain_to_ascii_strict(trimmed)
    };
    let ascii = strict.map_err(|_| {
        Error::usage_with_hint(
            format!("'{text}' is not a valid host name"),
            "a name is labels of letters, digits and hyphens separated by dots",
        )
    })?;
    if ascii.is_empty() || ascii.split('.').any(|label| label.is_empty() || label.len() > 63) || ascii.len() > 253 {
        return Err(Error::usage(format!("'{text}' is not a valid host name")));
    }
    let unicode = (ascii != trimmed.to_ascii_lowercase()).then(|| trimmed.to_string());
    Ok(Host::Name { ascii, unicode })
}

pub fn parse(input: &str) -> Result<Target, Error> {
    let text = input.trim();
    if text.is_empty() {
        return Err(Error::usage("empty target: give a host, host:port, [v6]:port or a URL"));
    }
    if text.contains("://") {
        return parse_url(input, text);
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) =
            rest.split_once(']').ok_or_else(|| Error::usage(format!("'{input}' opens '[' without closing it")))?;
        let v6: Ipv6Addr =
            inside.parse().map_err(|_| Error::usage(format!("'{inside}' in '{input}' is not an IPv6 address")))?;
        let port = match after {
            "" => None,
            _ => Some(check_port(after.strip_prefix(':').unwrap_or(after), input)?),
        };
        (Host::Ip(IpAddr::V6(v6)), port)
    } else if text.matches(':').count() > 1 {
        let v6: Ipv6Addr = text.parse().map_err(|_| {
            Error::usage_with_hint(
                format!("'{input}' is not an IPv6 address"),
                "write an IPv6 address with a port as [2001:db8::1]:443",
            )
        })?;
        (Host::Ip(IpAddr::V6(v6)), None)
    } else if let Some((host, port)) = text.split_once(':') {
        (parse_host(host, input)?, Some(check_port(port, input)?))
    } else {
        (parse_host(text, input)?, None)
    };
    Ok(Target { input: input.to_string(), host, port })
}

fn parse_url(input: &str, text: &str) -> Result<Target, Error> {
    let url = url::Url::parse(text).map_err(|e| Error::usage(format!("'{input}' is not a valid URL: {e}")))?;
    let host = match url.host() {
        Some(url::Host::Ipv4(v4)) => Host::Ip(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Host::Ip(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => {
            // `url` has already applied IDNA; keep what the user typed for display.
            let typed = text.split("://").nth(1).unwrap_or("");
            let typed = typed.split(['/', ':', '?', '#']).next().unwrap_or("");
            let typed = typed.rsplit('@').next().unwrap_or(typed);
            let ascii = name.strip_suffix('.').unwrap_or(name).to_string();
            let unicode = (!typed.is_ascii()).then(|| typed.to_string());
            Host::Name { ascii, unicode }
        }
        None => return Err(Error::usage(format!("URL '{input}' has no host"))),
    };
    let port = url.port_or_known_default().or_else(|| scheme_port(url.scheme()));
    if port.is_none() {
        return Err(Error::usage_with_hint(
            format!("URL scheme '{}' has no default port", url.scheme()),
            "add the port, as in scheme://host:PORT",
        ));
    }
    if port == Some(0) {
        return Err(Error::usage(format!("port 0 in '{input}' is not a valid TCP port")));
    }
    Ok(Target { input: input.to_string(), host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Host {
        Host::Name { ascii: s.into(), unicode: None }
    }

    #[test]
    fn every_form() {
        let t = parse("web.test").unwrap();
        assert_eq!((t.host, t.port), (name("web.test"), None));
        let t = parse("web.test:8443").unwrap();
        assert_eq!((t.host, t.port), (name("web.test"), Some(8443)));
        let t = parse("198.18.0.1:22").unwrap();
        assert_eq!(t.host, Host::Ip("198.18.0.1".parse().unwrap()));
        let t = parse("[2001:db8::1]:443").unwrap();
        assert_eq!((t.host.to_string(), t.port), ("2001:db8::1".into(), Some(443)));
        assert_eq!(t.endpoint(443), "[2001:db8::1]:443");
        let t = parse("2001:db8::1").unwrap();
        assert_eq!(t.port, None);
        assert_eq!(parse("https://web.test/x?y").unwrap().port, Some(443));
        assert_eq!(parse("http://web.test:8080/").unwrap().port, Some(8080));
        assert_eq!(parse("ssh://git.test").unwrap().port, Some(22));
        assert_eq!(parse("https://[2001:db8::5]/").unwrap().host.to_string(), "2001:db8::5");
    }

    #[test]
    fn idn_is_punycoded() {
        let t = parse("bücher.test:80").unwrap();
        assert_eq!(t.host, Host::Name { ascii: "xn--bcher-kva.test".into(), unicode: Some("bücher.test".into()) });
        let t = parse("https://bücher.test/").unwrap();
        assert_eq!(t.host.to_string(), "xn--bcher-kva.test");
    }

    #[test]
    fn bad_input_is_explained() {
        for (input, needle) in [
            ("", "empty target"),
            (":80", "empty host"),
            ("web.test:0", "out of range"),
            ("web.test:70000", "out of range"),
            ("web.test:http", "not a port"),
            ("[2001:db8::1", "without closing"),
            ("[not-v6]:80", "not an IPv6"),
            ("2001:db8::zz", "not an IPv6"),
            ("bad_host!.test", "not a valid host"),
            ("a..test", "not a valid host"),
            ("gopher2://x.test", "no default port"),
            ("https://", "not a valid URL"),
        ] {
            let err = parse(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input:?}: {err}");
        }
    }
}
