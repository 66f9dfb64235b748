//! Proxies as curl chooses them: `-x/--proxy` or the environment
//! (`http_proxy` — lower case only, as curl, against httpoxy —
//! `https_proxy`/`HTTPS_PROXY`, `all_proxy`/`ALL_PROXY`), skipped for hosts in
//! `no_proxy`/`NO_PROXY` (or `--noproxy`). http:// proxies tunnel https with
//! CONNECT and take absolute-form requests for http; socks5:// (names
//! resolved here) and socks5h:// (names resolved by the proxy) tunnel both.

use crate::error::Error;
use crate::net::http::Origin;
use std::net::IpAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Http,
    Socks5,
    /// socks5h: the proxy resolves the name.
    Socks5h,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub kind: Kind,
    pub host: String,
    pub port: u16,
    /// user and password from the proxy URL (never shown).
    pub auth: Option<(String, String)>,
}

impl Proxy {
    /// A proxy URL as curl takes it: no scheme means http://.
    pub fn parse(text: &str) -> Result<Proxy, Error> {
        let shown = crate::commands::http::auth::hide_password(text);
        let full = if text.contains("://") { text.to_string() } else { format!("http://{text}") };
        let mut url =
            url::Url::parse(&full).map_err(|e| Error::usage(format!("proxy '{shown}' is not a valid URL: {e}")))?;
        let (kind, default_port) = match url.scheme() {
            "http" => (Kind::Http, 1080),
            "socks5" => (Kind::Socks5, 1080),
            "socks5h" => (Kind::Socks5h, 1080),
            other => {
                return Err(Error::usage_with_hint(
                    format!("proxy '{shown}': the scheme '{other}' is not supported"),
                    "use an http://, socks5:// or socks5h:// proxy",
                ));
            }
        };
        let auth = crate::commands::http::auth::take_from_url(&mut url);
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(v4)) => v4.to_string(),
            Some(url::Host::Ipv6(v6)) => v6.to_string(),
            None => return Err(Error::usage(format!("proxy '{shown}' has no host"))),
        };
        // curl's default proxy port is 1080 for every scheme.
        Ok(Proxy { kind, host, port: url.port().unwrap_or(default_port), auth })
    }

    /// `scheme://host:port` without credentials, for reports.
    pub fn shown(&self) -> String {
        let scheme = match self.kind {
            Kind::Http => "http",
            Kind::Socks5 => "socks5",
            Kind::Socks5h => "socks5h",
        };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("{scheme}://{host}:{}", self.port)
    }
}

/// Which proxy, if any, each origin goes through.
#[derive(Debug, Clone, Default)]
pub struct Proxies {
    /// -x, or all_proxy: for every scheme.
    pub all: Option<Proxy>,
    pub http: Option<Proxy>,
    pub https: Option<Proxy>,
    /// no_proxy entries, lower case, without leading dots; "*" is everything.
    pub no_proxy: Vec<String>,
}

impl Proxies {
    /// curl's choice: `explicit` (-x) wins over the environment; `noproxy`
    /// (--noproxy) over no_proxy. `env` looks a variable up.
    pub fn choose(
        explicit: Option<&str>,
        noproxy: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Proxies, Error> {
        let var = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.trim().is_empty()));
        let parse = |v: Option<String>| v.as_deref().map(Proxy::parse).transpose();
        let mut proxies = Proxies::default();
        match explicit {
            Some(text) if !text.is_empty() => proxies.all = Some(Proxy::parse(text)?),
            Some(_) => {} // -x "" turns proxies off, as in curl
            None => {
                proxies.all = parse(var(&["all_proxy", "ALL_PROXY"]))?;
                proxies.http = parse(var(&["http_proxy"]))?;
                proxies.https = parse(var(&["https_proxy", "HTTPS_PROXY"]))?;
            }
        }
        let list = match noproxy {
            Some(list) => Some(list.to_string()),
            None => var(&["no_proxy", "NO_PROXY"]),
        };
        proxies.no_proxy = list
            .unwrap_or_default()
            .split(',')
            .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        Ok(proxies)
    }

    pub fn for_origin(&self, origin: &Origin) -> Option<&Proxy> {
        if self.bypassed(&origin.host) {
            return None;
        }
        let by_scheme = if origin.tls { self.https.as_ref() } else { self.http.as_ref() };
        by_scheme.or(self.all.as_ref())
    }

    pub fn any(&self) -> bool {
        self.all.is_some() || self.http.is_some() || self.https.is_some()
    }

    /// no_proxy: "*", the host itself, a domain it is under, or an address
    /// or CIDR block that holds it.
    fn bypassed(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let ip: Option<IpAddr> = host.parse().ok();
        self.no_proxy.iter().any(|entry| {
            if entry == "*" || *entry == host {
                return true;
            }
            if let (Some(ip), Some((net, bits))) = (ip, entry.split_once('/'))
                && let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>())
            {
                return in_block(ip, net, bits);
            }
            ip.is_none() && host.ends_with(&format!(".{entry}"))
        })
    }
}

fn in_block(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// RFC 1928 (and 1929 user/password): asks the SOCKS5 proxy on `stream`
/// for a tunnel to `target` (a name for socks5h, an address otherwise).
pub async fn socks5<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &Proxy,
    target: Target<'_>,
    port: u16,
) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::target(format!("SOCKS5 proxy {}: {e}", proxy.shown()));
    let methods: &[u8] = if proxy.auth.is_some() { &[0x00, 0x02] } else { &[0x00] };
    let mut hello = vec![5, methods.len() as u8];
    hello.extend_from_slice(methods);
    stream.write_all(&hello).await.map_err(io)?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await.map_err(io)?;
    match choice {
        [5, 0x00] => {}
        [5, 0x02] => {
            let (user, password) = proxy.auth.clone().unwrap_or_default();
            if user.len() > 255 || password.len() > 255 {
                return Err(Error::usage("a SOCKS5 user name or password is at most 255 bytes"));
            }
            let mut auth = vec![1, user.len() as u8];
            auth.extend_from_slice(user.as_bytes());
            auth.push(password.len() as u8);
            auth.extend_from_slice(password.as_bytes());
            stream.write_all(&auth).await.map_err(io)?;
            let mut status = [0u8; 2];
            stream.read_exact(&mut status).await.map_err(io)?;
            if status[1] != 0 {
                return Err(Error::target(format!(
                    "SOCKS5 proxy {} refused the user name and password",
                    proxy.shown()
                )));
            }
        }
        [5, 0xff] => {
            return Err(Error::target(format!(
                "SOCKS5 proxy {} accepts none of the offered authentication methods",
                proxy.shown()
            )));
        }
        other => return Err(Error::target(format!("{} is not a SOCKS5 proxy (answered {other:02x?})", proxy.shown()))),
    }
    let mut request = vec![5, 1, 0];
    match target {
        Target::Addr(IpAddr::V4(a)) => {
            request.push(1);
            request.extend_from_slice(&a.octets());
        }
        Target::Addr(IpAddr::V6(a)) => {
            request.push(4);
            request.extend_from_slice(&a.octets());
        }
        Target::Name(name) => {
            if name.len() > 255 {
                return Err(Error::usage(format!("'{name}' is too long for SOCKS5")));
            }
            request.extend_from_slice(&[3, name.len() as u8]);
            request.extend_from_slice(name.as_bytes());
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    stream.write_all(&request).await.map_err(io)?;
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await.map_err(io)?;
    if reply[0] != 5 {
        return Err(Error::target(format!("{} sent a malformed SOCKS5 reply", proxy.shown())));
    }
    if reply[1] != 0 {
        let why = match reply[1] {
            1 => "general failure",
            2 => "not allowed by its rules",
            3 => "network unreachable",
            4 => "host unreachable",
            5 => "connection refused",
            6 => "TTL expired",
            7 => "command not supported",
            8 => "address type not supported",
            _ => "unknown error",
        };
        return Err(Error::transfer(
            crate::error::Transfer::Connect,
            format!("SOCKS5 proxy {} could not connect to the target: {why}", proxy.shown()),
            None,
        ));
    }
    // The bound address, which nobody needs: skip it.
    let skip = match reply[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => stream.read_u8().await.map_err(io)? as usize + 2,
        _ => return Err(Error::target(format!("{} sent a malformed SOCKS5 reply", proxy.shown()))),
    };
    let mut rest = vec![0u8; skip];
    stream.read_exact(&mut rest).await.map_err(io)?;
    Ok(())
}

/// What a SOCKS5 CONNECT names.
pub enum Target<'a> {
    Addr(IpAddr),
    Name(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(host: &str, tls: bool) -> Origin {
        Origin { tls, host: host.into(), port: if tls { 443 } else { 80 } }
    }

    #[test]
    fn the_environment_is_read_as_curl_reads_it() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let p = Proxies::choose(
            None,
            None,
            env(&[
                ("HTTP_PROXY", "http://up:1"),
                ("https_proxy", "p.test:3128"),
                ("NO_PROXY", ".int.test,198.18.9.0/24"),
            ]),
        )
        .unwrap();
        assert_eq!(p.for_origin(&origin("web.test", false)), None, "HTTP_PROXY is ignored (httpoxy)");
        let https = p.for_origin(&origin("web.test", true)).unwrap();
        assert_eq!((https.kind, https.host.as_str(), https.port), (Kind::Http, "p.test", 3128));
        assert_eq!(p.for_origin(&origin("a.int.test", true)), None);
        assert_eq!(p.for_origin(&origin("int.test", true)), None);
        assert_eq!(p.for_origin(&origin("198.18.9.7", true)), None);
        assert!(p.for_origin(&origin("198.18.8.7", true)).is_some());
        assert!(p.for_origin(&origin("xint.test", true)).is_some());

        let p = Proxies::choose(Some("socks5h://u:pw@s.test"), Some("*"), env(&[("all_proxy", "http://a:1")])).unwrap();
        assert_eq!(p.for_origin(&origin("web.test", false)), None, "--noproxy '*'");
        let p = Proxies::choose(Some("socks5h://u:pw@s.test"), None, env(&[("all_proxy", "http://a:1")])).unwrap();
        let all = p.for_origin(&origin("web.test", false)).unwrap();
        assert_eq!((all.kind, all.port, all.auth.clone()), (Kind::Socks5h, 1080, Some(("u".into(), "pw".into()))));
        assert_eq!(all.shown(), "socks5h://s.test:1080");
        let p = Proxies::choose(Some(""), None, env(&[("all_proxy", "http://a:1")])).unwrap();
        assert!(!p.any(), "-x '' turns the environment off");
        assert!(Proxy::parse("ftp://p.test").is_err());
        let err = Proxy::parse("http://u:secret@[bad").unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
    }
}
