//! Steps 1–7, each a thin wrapper around the code another command runs.

use super::har;
use super::html::PageParser;
use super::report::{Failure, Step};
use super::{Flow, Walk};
use crate::cli::Global;
use crate::commands::arp;
use crate::commands::dig::system;
use crate::commands::hsts_check::preload::PreloadList;
use crate::commands::http::redirect;
use crate::error::Error;
use crate::net::http::{Connection, Dialled, Origin};
use crate::net::netlink::{self, Neighbour, RoutePath};
use crate::net::tcp::{self, Bind, Outcome};
use crate::output::{Format, Output, Report};
use crate::timing::millis;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::HeaderValue;
use serde_json::json;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use url::Url;

/// Bodies are read to measure the transfer, and dropped; past this the rest is left unread.
const BODY_LIMIT: u64 = 64 << 20;
/// Response headers worth explaining.
const KEY_HEADERS: [&str; 9] = [
    "strict-transport-security",
    "location",
    "content-type",
    "content-length",
    "content-encoding",
    "cache-control",
    "etag",
    "last-modified",
    "age",
];

/// A URL as typed and as it will be used.
pub struct Parsed {
    pub url: Url,
}

/// Step 1 for the URL typed: a usage error (exit 2) when it is not a URL.
pub fn parse_url(text: &str) -> Result<Parsed, Error> {
    let url = crate::commands::http::parse_url(text)?;
    Ok(Parsed { url })
}

fn url_step(walk: &mut Walk<'_>, begun: Instant, typed: &str, url: &Url) {
    let ascii = url.host_str().unwrap_or_default().to_string();
    let (unicode, _) = idna::domain_to_unicode(&ascii);
    let port = url.port_or_known_default().unwrap_or(80);
    let mut step = Step::new(
        1,
        "url",
        format!("{} → scheme {}, host {ascii}, port {port}, path {}", typed, url.scheme(), url.path()),
        json!({
            "input": typed,
            "scheme": url.scheme(),
            "host": ascii,
            "host_unicode": unicode,
            "port": port,
            "default_port": url.port().is_none(),
            "path": url.path(),
            "query": url.query(),
        }),
    );
    if unicode != ascii {
        step = step.detail(format!("the host {unicode} is not ASCII: IDNA turns it into {ascii} (punycode)"));
    }
    if url.port().is_none() {
        step = step.detail(format!("no port in the URL: {} uses {port}", url.scheme()));
    }
    walk.push(begun, step);
}

/// Steps 1 and 2: parse, then upgrade to https when the preload list (or an
/// earlier Strict-Transport-Security header) says the host is HTTPS-only.
pub fn hsts(walk: &mut Walk<'_>, parsed: &Parsed, sts_seen: &HashSet<String>) -> Url {
    let begun = Instant::now();
    let typed = if walk.hop == 1 { walk.args.url.clone() } else { parsed.url.to_string() };
    url_step(walk, begun, &typed, &parsed.url);

    let begun = Instant::now();
    let mut url = parsed.url.clone();
    let host = url.host_str().unwrap_or_default().to_string();
    let preload = walk.preload.get_or_insert_with(PreloadList::embedded);
    let lookup = preload.lookup(&host);
    let info = preload.info.clone();
    let dynamic = sts_seen.contains(&host);
    let upgrade = url.scheme() == "http" && (lookup.preloaded || dynamic);
    let why = if lookup.preloaded {
        match &lookup.entry {
            Some(e) if lookup.via_ancestor => {
                format!("{host} is covered by {} (include_subdomains) in the preload list", e.name)
            }
            _ => format!("{host} is in the preload list ({})", info.source),
        }
    } else if dynamic {
        format!("{host} sent Strict-Transport-Security on an earlier hop")
    } else {
        format!("{host} is not in the preload list ({} entries)", info.entries)
    };
    let summary = if upgrade {
        let default_port = url.port().is_none();
        let _ = url.set_scheme("https");
        if default_port || url.port() == Some(80) {
            let _ = url.set_port(None);
        }
        format!("{why}: http:// becomes {url} before anything is sent")
    } else if url.scheme() == "https" {
        format!("{why}; the URL is https:// already")
    } else {
        format!("{why}: the request goes out in clear text")
    };
    let step = Step::new(
        2,
        "hsts",
        summary,
        json!({
            "host": host,
            "preloaded": lookup.preloaded,
            "entry": lookup.entry,
            "via_ancestor": lookup.via_ancestor,
            "sts_seen_earlier": dynamic,
            "upgraded": upgrade,
            "url": url.as_str(),
            "list": info,
        }),
    );
    walk.push(begun, step);
    url
}

/// Step 3: the OS's path (dig --system): /etc/hosts, then resolv.conf's servers.
pub async fn dns(walk: &mut Walk<'_>, host: &str) -> Flow<Vec<IpAddr>> {
    let begun = Instant::now();
    let filter = format!("dns.qry.name == \"{host}\"");
    if let Ok(ip) = host.parse::<IpAddr>() {
        let step = Step::new(
            3,
            "dns",
            format!("{host} is an address: nothing to resolve"),
            json!({"source": "literal", "addresses": [ip]}),
        );
        walk.push(begun, step);
        return Ok(vec![ip]);
    }
    let report = match system::resolve(host, walk.global.family(), false, Some(walk.args.timeout)) {
        Ok(r) => r,
        Err(e) => {
            let explanation = format!("{host} cannot be resolved: {e}");
            walk.push(
                begun,
                Step::new(3, "dns", explanation.clone(), json!({"source": null, "error": e.to_string()}))
                    .failed()
                    .filter(filter),
            );
            return Err(Failure::new(3, "dns", explanation));
        }
    };
    let addrs = report.addresses.clone();
    let summary = match report.source.as_deref() {
        Some("hosts_file") => format!("{host} is in {}: {}", report.detail, list(&addrs)),
        Some(_) => format!("{host} is not in /etc/hosts; {} answered {}", report.detail, list(&addrs)),
        // Every query unanswered: the server is silent (or unreachable), not the name unknown.
        None if !report.steps.is_empty() && report.steps.iter().all(|q| q.result.starts_with("no response")) => {
            format!("{host} cannot be resolved: not in /etc/hosts and {}", report.steps[0].result)
        }
        None => format!("{host} does not resolve: not in /etc/hosts and no DNS server had an address"),
    };
    let mut step = Step::new(
        3,
        "dns",
        summary.clone(),
        json!({"source": report.source, "detail": report.detail, "addresses": addrs, "queries": report.steps}),
    );
    if report.source.as_deref() != Some("hosts_file") {
        step = step.detail(format!("/etc/hosts has no entry for {host}"));
        step = step.filter(filter);
        // The queries took a route too (issue: "the route to the DNS server").
        if let Ok(server) = system::first_nameserver()
            && let Ok(Some(r)) = netlink::route_get(server, None)
        {
            step = step.detail(format!("the queries to {server}: {}", route_summary(&r, server)));
            step.facts["nameserver_route"] = json!(r);
        }
    }
    for q in &report.steps {
        step = step.detail(format!("query {} {} → {} ({}, {:.3} ms)", q.name, q.qtype, q.server, q.result, q.time_ms));
        for a in &q.answers {
            step = step.detail(format!("  answer {a}"));
        }
    }
    if addrs.is_empty() {
        walk.push(begun, step.failed());
        return Err(Failure::new(3, "dns", summary));
    }
    if addrs.len() > 1 {
        step = step.detail(format!("the walk uses the first address, {}", addrs[0]));
    }
    walk.push(begun, step);
    Ok(addrs)
}

/// Step 3 on a later hop to a host already resolved: the browser's cache answers.
pub fn dns_cached(walk: &mut Walk<'_>, host: &str, addrs: &[IpAddr], hop: usize) {
    let step = Step::new(
        3,
        "dns",
        format!("{host} was resolved on hop {hop}: {} (cached, nothing sent)", list(addrs)),
        json!({"source": "cache", "addresses": addrs, "resolved_on_hop": hop}),
    );
    walk.push(Instant::now(), step);
}

fn list(addrs: &[IpAddr]) -> String {
    addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
}

fn mac_text(mac: [u8; 6]) -> String {
    arp::frames::Mac(mac).to_string()
}

/// The route and the next hop, kept for the TCP step's diagnosis.
pub struct RouteFacts {
    pub next_hop: IpAddr,
    pub interface: Option<String>,
    /// The neighbour cache had a usable entry before the walk sent anything.
    pub cached: bool,
}

fn neighbour(ip: IpAddr, interface: Option<&str>) -> Option<Neighbour> {
    netlink::neighbours().ok()?.into_iter().find(|n| n.address == ip && interface.is_none_or(|i| i == n.interface))
}

fn usable(n: &Neighbour) -> bool {
    n.mac.is_some() && !n.states.iter().any(|s| matches!(*s, "INCOMPLETE" | "FAILED"))
}

/// Step 4: the kernel's route to the server, and the next hop's MAC.
pub async fn route(walk: &mut Walk<'_>, addr: IpAddr) -> Flow<RouteFacts> {
    let begun = Instant::now();
    let oif = walk.global.interface.as_deref().and_then(|i| crate::net::iface::find(i).ok()).map(|i| i.index);
    let found = netlink::route_get(addr, oif).map_err(|e| Failure::new(4, "route", e.to_string()))?;
    let route = match found {
        Some(r) if r.kind == "unicast" || r.kind == "local" => r,
        other => {
            let why = match &other {
                Some(r) => format!("the route to {addr} is of type {}: the kernel refuses to send", r.kind),
                None => format!("no route to {addr}: the kernel has no matching route and no default gateway"),
            };
            walk.push(
                begun,
                Step::new(4, "route", why.clone(), json!({"route": other})).failed().detail("see `ip route`"),
            );
            return Err(Failure::new(4, "route", why));
        }
    };
    let next_hop = route.gateway.unwrap_or(addr);
    let summary = route_summary(&route, addr);
    let step = Step::new(
        4,
        "route",
        summary,
        json!({"destination": addr, "kind": route.kind, "interface": route.interface, "gateway": route.gateway, "source": route.source, "next_hop": next_hop}),
    );
    walk.push(begun, step);
    if route.kind == "local" {
        return Ok(RouteFacts { next_hop, interface: route.interface, cached: true });
    }
    arp_step(walk, &route, next_hop).await
}

fn route_summary(route: &RoutePath, addr: IpAddr) -> String {
    let iface = route.interface.as_deref().unwrap_or("?");
    let src = route.source.map(|s| format!(" from {s}")).unwrap_or_default();
    match route.gateway {
        Some(gw) => format!("{addr} is not on a local link: packets leave {iface}{src} via the gateway {gw}"),
        None if route.kind == "local" => format!("{addr} is an address of this host (loopback)"),
        None => format!("{addr} is on the link of {iface}: packets go to it directly{src}"),
    }
}

fn arp_filter(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("arp.dst.proto_ipv4 == {v4}"),
        IpAddr::V6(v6) => format!("icmpv6.nd.ns.target_address == {v6}"),
    }
}

/// Step 4, second half: the neighbour cache, or a who-has of our own.
async fn arp_step(walk: &mut Walk<'_>, route: &RoutePath, next_hop: IpAddr) -> Flow<RouteFacts> {
    let begun = Instant::now();
    let iface = route.interface.clone();
    let facts = |cached| RouteFacts { next_hop, interface: iface.clone(), cached };
    let role = if route.gateway.is_some() { "the gateway" } else { "the server" };
    if let Some(n) = neighbour(next_hop, iface.as_deref()).filter(usable) {
        let mac = n.mac.map(mac_text).unwrap_or_default();
        let step = Step::new(
            4,
            "arp",
            format!("{role} {next_hop} is in the neighbour cache: {mac} ({}); no ARP needed", n.states.join(",")),
            json!({"next_hop": next_hop, "mac": mac, "source": "neighbour_cache", "states": n.states}),
        )
        .filter(arp_filter(next_hop));
        walk.push(begun, step);
        return Ok(facts(true));
    }
    if !crate::net::privilege::has_net_raw() {
        let step = Step::new(
            4,
            "arp",
            format!(
                "{role} {next_hop} is not in the neighbour cache: the kernel will ask who-has {next_hop} when the SYN is queued"
            ),
            json!({"next_hop": next_hop, "mac": null, "source": "kernel_pending"}),
        )
        .detail("without CAP_NET_RAW explain cannot send the who-has itself; the TCP step reads what the kernel learned")
        .filter(arp_filter(next_hop));
        walk.push(begun, step);
        return Ok(facts(false));
    }
    // The arp command's own probe: one who-has, kernel-timestamped.
    let global = Global {
        json: true,
        json_lines: false,
        color: crate::cli::ColorChoice::Never,
        verbose: 0,
        ipv4: false,
        ipv6: false,
        interface: iface.clone(),
    };
    let args = arp::Args {
        target: Some(next_hop.to_string()),
        count: Some(1),
        interval: None,
        timeout: walk.args.timeout.min(Duration::from_secs(2)),
        dad: false,
        rate: None,
        retries: None,
        gateway: false,
        force: false,
        cache: false,
        localnet: false,
    };
    let quiet = Output::new(Format::Json, false);
    let report = match arp::run(args, &global, &quiet).await {
        Ok(r) => r.json(),
        Err(e) => {
            let why = format!("cannot ask who-has {next_hop}: {e}");
            walk.push(begun, Step::new(4, "arp", why.clone(), json!({"next_hop": next_hop})).failed());
            return Err(Failure::new(4, "arp", why));
        }
    };
    let mac = report["responders"][0]["mac"].as_str().map(str::to_string);
    let rtt = report["summary"]["avg_ms"].as_f64().or_else(|| report["replies"][0]["rtt_ms"].as_f64());
    match mac {
        Some(mac) => {
            let step = Step::new(
                4,
                "arp",
                format!("{role} {next_hop} was not in the neighbour cache: who-has {next_hop} → {mac} answered"),
                json!({"next_hop": next_hop, "mac": mac, "source": "who_has", "rtt_ms": rtt}),
            )
            .filter(arp_filter(next_hop));
            walk.push(begun, step);
            Ok(facts(false))
        }
        None => {
            let why = format!(
                "{role} {next_hop} does not answer who-has on {}: it is down, unplugged, or not at that address",
                iface.as_deref().unwrap_or("?")
            );
            let step =
                Step::new(4, "arp", why.clone(), json!({"next_hop": next_hop, "mac": null, "source": "who_has"}))
                    .failed()
                    .filter(arp_filter(next_hop));
            walk.push(begun, step);
            Err(Failure::new(4, "arp", why))
        }
    }
}

/// Step 5: the TCP handshake, as tcping and http make it.
pub async fn tcp(
    walk: &mut Walk<'_>,
    origin: &Origin,
    addr: IpAddr,
    route: &RouteFacts,
) -> Flow<(tokio::net::TcpStream, Dialled)> {
    let begun = Instant::now();
    let dst = SocketAddr::new(addr, origin.port);
    let ip_field = if addr.is_ipv4() { "ip.dst" } else { "ipv6.dst" };
    let syn = format!("tcp.flags.syn==1 && tcp.flags.ack==0 && {ip_field} == {addr} && tcp.dstport == {}", origin.port);
    let bind = Bind { interface: walk.global.interface.clone(), source: None };
    let connected = tcp::connect(dst, &bind, walk.args.timeout).await;
    let (attempt, stream) = match connected {
        Ok(pair) => pair,
        Err(e) => {
            let why = format!("cannot open a TCP socket: {e}");
            walk.push(begun, Step::new(5, "tcp", why.clone(), json!({"remote": dst})).failed());
            return Err(Failure::new(5, "tcp", why));
        }
    };
    let elapsed = attempt.elapsed;
    // What the kernel learned about the next hop while sending the SYN.
    let learned = (!route.cached).then(|| neighbour(route.next_hop, route.interface.as_deref())).flatten();
    if let Some(n) = &learned
        && usable(n)
        && !walk.steps.iter().any(|s| s.hop == walk.hop && s.name == "arp" && s.facts["mac"].is_string())
        && let Some(step) = walk.steps.iter_mut().rev().find(|s| s.name == "arp")
    {
        let mac = n.mac.map(mac_text).unwrap_or_default();
        step.facts["mac"] = json!(mac);
        step.facts["source"] = json!("kernel");
        step.details.push(format!("the kernel's who-has was answered: {} is at {mac}", route.next_hop));
    }
    let Some(stream) = stream else {
        let arp_failed = learned.as_ref().is_some_and(|n| !usable(n));
        let why = match &attempt.outcome {
            _ if arp_failed => format!(
                "the next hop {} never answered the kernel's who-has, so the SYN to {dst} could not leave",
                route.next_hop
            ),
            Outcome::Refused => format!(
                "port {} is closed: {addr} answered the SYN with a RST (nothing listens there, or a firewall rejects)",
                origin.port
            ),
            Outcome::TimedOut => format!(
                "no answer to the SYN within {}: a firewall drops it, or {addr} is down",
                crate::timing::human(walk.args.timeout)
            ),
            Outcome::Icmp(icmp) => {
                let from = icmp.from.map(|ip| format!(" from {ip}")).unwrap_or_default();
                format!("the SYN to {dst} was answered by ICMP {}{from}", icmp.reason())
            }
            Outcome::Local(e) => format!("the kernel did not send the SYN to {dst}: {e}"),
            Outcome::Established => unreachable!("no stream only when not established"),
        };
        if arp_failed && let Some(step) = walk.steps.iter_mut().rev().find(|s| s.name == "arp") {
            step.ok = false;
            step.details.push(why.clone());
            return Err(Failure::new(4, "arp", why));
        }
        walk.push_timed(
            begun,
            elapsed,
            Step::new(5, "tcp", why.clone(), json!({"remote": dst, "local": attempt.local})).failed().filter(syn),
        );
        return Err(Failure::new(5, "tcp", why));
    };
    let local = attempt.local;
    let lport = local.map(|l| l.port()).unwrap_or(0);
    let rtt = attempt.kernel_rtt;
    let mut step = Step::new(
        5,
        "tcp",
        format!(
            "SYN, SYN-ACK, ACK: connected {} → {dst} in {:.3} ms",
            local.map(|l| l.to_string()).unwrap_or_default(),
            millis(elapsed)
        ),
        json!({
            "local": local,
            "remote": dst,
            "connect_ms": millis(elapsed),
            "kernel_rtt_ms": rtt.map(millis),
        }),
    )
    .detail(format!("source port {lport} comes from the ephemeral range (net.ipv4.ip_local_port_range)"))
    .filter(format!("{syn} && tcp.srcport == {lport}"));
    if let Some(rtt) = rtt {
        step = step.detail(format!("the kernel's SYN → SYN-ACK sample (TCP_INFO): {:.3} ms", millis(rtt)));
    }
    walk.push_timed(begun, elapsed, step);
    let now = Instant::now();
    let dialled = Dialled {
        dialled: origin.authority(),
        resolved_by: "explain",
        dns: Duration::ZERO,
        started: begun,
        resolved: begun,
        attempt,
        remote: dst,
        connected: now,
        failed_attempts: Vec::new(),
    };
    Ok((stream, dialled))
}

/// Step 6 (https) and the HTTP connection handshake, through http's dialer.
pub async fn tls(
    walk: &mut Walk<'_>,
    origin: &Origin,
    stream: tokio::net::TcpStream,
    dialled: Dialled,
) -> Flow<Connection> {
    let begun = Instant::now();
    let lport = dialled.attempt.local.map(|l| l.port()).unwrap_or(0);
    let filter = format!("tls.handshake.type == 1 && tcp.srcport == {lport}");
    let timeout = walk.args.timeout;
    let dialer = match walk.dialer(origin.tls) {
        Ok(d) => d,
        Err(e) => {
            let why = format!("cannot set up the TLS client: {e}");
            walk.push(begun, Step::new(6, "tls", why.clone(), json!({"error": why})).failed());
            return Err(Failure::new(6, "tls", why));
        }
    };
    let connected = tokio::time::timeout(timeout, dialer.establish(origin, stream, dialled)).await;
    let conn = match connected {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            let (number, name) = if origin.tls { (6, "tls") } else { (7, "http") };
            let why = e.to_string();
            let mut step = Step::new(number, name, why.clone(), json!({"error": why})).failed();
            if let Some(hint) = e.hint() {
                step = step.detail(hint);
            }
            if origin.tls {
                step = step.filter(filter);
            }
            walk.push(begun, step);
            return Err(Failure::new(number, name, why));
        }
        Err(_) => {
            let why = format!(
                "{} did not finish the handshake within {}",
                origin.authority(),
                crate::timing::human(walk.args.timeout)
            );
            walk.push(begun, Step::new(6, "tls", why.clone(), json!({})).failed());
            return Err(Failure::new(6, "tls", why));
        }
    };
    if let Some(facts) = &conn.setup.tls_facts {
        let cert = facts.chain.first().and_then(|der| describe_cert(der));
        let trust = match &walk.args.ca_file {
            Some(p) => format!("verified against {}", p.display()),
            None => "verified against the system trust store".to_string(),
        };
        let mut step = Step::new(
            6,
            "tls",
            format!(
                "{} with {}, ALPN {}: certificate for {} {trust}",
                facts.version,
                facts.cipher,
                facts.alpn.as_deref().unwrap_or("none"),
                origin.host
            ),
            json!({
                "version": facts.version,
                "cipher": facts.cipher,
                "alpn": facts.alpn,
                "verified": facts.verified,
                "verdict": trust,
                "sni": origin.host,
                "certificate": cert,
                "chain_length": facts.chain.len(),
                "chain": facts.chain.iter().filter_map(|der| describe_cert(der)).collect::<Vec<_>>(),
            }),
        )
        .filter(format!("{filter} && tls.handshake.extensions_server_name == \"{}\"", origin.host));
        if let Some(c) = &cert {
            step = step.detail(format!("subject {}", c["subject"].as_str().unwrap_or_default()));
            step = step.detail(format!("issuer  {}", c["issuer"].as_str().unwrap_or_default()));
            step = step.detail(format!("valid until {}", c["not_after"].as_str().unwrap_or_default()));
        }
        // From the start: the trust store's first load and HTTP/2's preface are part of it.
        let step = step.detail(format!(
            "handshake {:.3} ms of the step's {:.3} ms (the rest: loading the trust store, the HTTP/2 preface)",
            millis(conn.setup.tls.unwrap_or_default()),
            millis(begun.elapsed())
        ));
        walk.push(begun, step);
    }
    Ok(conn)
}

fn describe_cert(der: &[u8]) -> Option<serde_json::Value> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let sans: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| ext.value.general_names.iter().map(|n| n.to_string()).collect())
        .unwrap_or_default();
    Some(json!({
        "subject": cert.subject().to_string(),
        "issuer": cert.issuer().to_string(),
        "not_before": cert.validity().not_before.to_string(),
        "not_after": cert.validity().not_after.to_string(),
        "san": sans,
    }))
}

/// What step 7 learned that the walk needs.
pub struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub sts: bool,
    pub reusable: bool,
    pub content_type: Option<String>,
    /// The parsed final page (--resources and an HTML response).
    pub page: Option<PageParser>,
}

/// The GET a browser sends for `url` over `conn`: origin-form with Host on
/// HTTP/1.1, absolute URI (hyper turns it into :authority) on HTTP/2. Also
/// returns the request as lines, for the report.
pub fn get_request(
    conn: &Connection,
    url: &Url,
) -> Result<(hyper::Request<crate::net::http::ReqBody>, Vec<String>), String> {
    let h2 = conn.setup.protocol == "HTTP/2";
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let uri = if h2 { url.as_str().to_string() } else { path };
    let mut builder = hyper::Request::builder().method("GET").uri(uri.as_str());
    if !h2 {
        builder = builder.header(hyper::header::HOST, host_header(url).as_str());
    }
    let request = builder
        .header(hyper::header::USER_AGENT, HeaderValue::from_static(concat!("netwalk/", env!("CARGO_PKG_VERSION"))))
        .header(hyper::header::ACCEPT, "*/*")
        .body(crate::net::http::full(Bytes::new()))
        .map_err(|e| format!("cannot build a request for {url}: {e}"))?;
    let mut sent: Vec<String> = vec![format!("GET {uri} {}", conn.setup.protocol)];
    sent.extend(request.headers().iter().map(|(n, v)| format!("{n}: {}", v.to_str().unwrap_or("?"))));
    Ok((request, sent))
}

fn host_header(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    }
}

/// Reads a response body to its end (or `limit` bytes, or `timeout`),
/// counting and dropping it; `page` sees every chunk. True when complete.
pub async fn drain(
    incoming: &mut hyper::body::Incoming,
    timeout: Duration,
    limit: u64,
    mut page: Option<&mut PageParser>,
) -> (u64, bool) {
    let mut bytes = 0u64;
    let mut complete = true;
    let read = tokio::time::timeout(timeout, async {
        while let Some(frame) = incoming.frame().await {
            let Ok(frame) = frame else {
                complete = false;
                break;
            };
            if let Ok(data) = frame.into_data() {
                bytes += data.len() as u64;
                if let Some(p) = page.as_deref_mut() {
                    p.feed(&data);
                }
            }
            if bytes > limit {
                complete = false;
                break;
            }
        }
    })
    .await;
    (bytes, complete && read.is_ok())
}

/// Step 7: one GET over the connection, the response head and the body's transfer.
/// With --resources, an HTML final response is parsed as it streams in.
pub async fn http(walk: &mut Walk<'_>, conn: &mut Connection, url: &Url, reused: bool) -> Flow<Response> {
    let begun = Instant::now();
    let fail = |why: String| Failure::new(7, "http", why);
    let host = host_header(url);
    let (request, sent) = get_request(conn, url).map_err(fail)?;
    let exchanged = tokio::time::timeout(walk.args.timeout, conn.send(request)).await;
    let (response, exchange) = match exchanged {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => {
            let why = e.to_string();
            walk.push(begun, Step::new(7, "http", why.clone(), json!({"request": sent})).failed());
            return Err(fail(why));
        }
        Err(_) => {
            let why = format!("no response within {}", crate::timing::human(walk.args.timeout));
            walk.push(begun, Step::new(7, "http", why.clone(), json!({"request": sent})).failed());
            return Err(fail(why));
        }
    };
    let (parts, mut incoming) = response.into_parts();
    let status = parts.status.as_u16();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let key: serde_json::Map<String, serde_json::Value> =
        KEY_HEADERS.iter().filter_map(|n| header(n).map(|v| (n.to_string(), json!(v)))).collect();
    let location = header("location");
    // The page a browser would render: its sub-resources are found as it streams in.
    let is_html = header("content-type").is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t.starts_with("text/html") || t.starts_with("application/xhtml+xml")
    });
    let final_page = !(location.is_some() && redirect::is_redirect(status));
    let mut page = (walk.args.resources && final_page && is_html).then(PageParser::new);
    // The body: counted and dropped, bounded.
    let (body_bytes, complete) = drain(&mut incoming, walk.args.timeout, BODY_LIMIT, page.as_mut()).await;
    let done = Instant::now();
    let first_byte = exchange.first_byte - exchange.started;
    let transfer = done - exchange.head;
    let reason = parts.status.canonical_reason().unwrap_or("");
    let mut summary = format!("{} → {status} {reason}", sent[0]);
    if let Some(loc) = &location
        && redirect::is_redirect(status)
    {
        summary += &format!(", redirect to {loc}");
    }
    let mut step = Step::new(
        7,
        "http",
        summary,
        json!({
            "url": url.as_str(),
            "protocol": conn.setup.protocol,
            "connection_reused": reused,
            "request": sent,
            "status": status,
            "headers": key,
            "first_byte_ms": millis(first_byte),
            "transfer_ms": millis(transfer),
            "body_bytes": body_bytes,
            "body_complete": complete,
        }),
    );
    if reused {
        step = step.detail("the connection of the previous hop is reused: no new DNS, TCP or TLS");
    }
    for line in &sent {
        step = step.detail(format!("> {line}"));
    }
    for (name, value) in &key {
        step = step.detail(format!("< {name}: {}", value.as_str().unwrap_or_default()));
    }
    step = step.detail(format!(
        "first byte after {:.3} ms; body {body_bytes} bytes in {:.3} ms{}",
        millis(first_byte),
        millis(transfer),
        if complete { "" } else { " (not read to the end)" }
    ));
    let lport = conn.setup.local.map(|l| l.port()).unwrap_or(0);
    step = step.filter(if conn.origin.tls {
        format!("tcp.srcport == {lport} && tls.record.content_type == 23 (encrypted: only lengths and timing show)")
    } else {
        format!("http.host == \"{host}\" && tcp.srcport == {lport}")
    });
    walk.push(begun, step);
    record(walk, conn, url, reused, begun, &exchange, done, &sent, status, &parts.headers, body_bytes);
    Ok(Response {
        status,
        location,
        sts: header("strict-transport-security").is_some(),
        // Whether hyper takes another request is asked when one is due (wait_ready).
        reusable: complete,
        content_type: header("content-type"),
        page,
    })
}

/// The hop's request for --har: its setup phases (unless the connection
/// was reused) and the exchange's own marks.
#[allow(clippy::too_many_arguments)]
fn record(
    walk: &mut Walk<'_>,
    conn: &Connection,
    url: &Url,
    reused: bool,
    begun: Instant,
    exchange: &crate::net::http::Exchange,
    done: Instant,
    sent: &[String],
    status: u16,
    headers: &hyper::HeaderMap,
    body_bytes: u64,
) {
    let since = |a: Instant, b: Instant| millis(b.saturating_duration_since(a));
    let setup: Vec<&Step> = if reused {
        Vec::new()
    } else {
        walk.steps
            .iter()
            .filter(|s| s.hop == walk.hop && matches!(s.name, "dns" | "route" | "arp" | "tcp" | "tls"))
            .collect()
    };
    let (setup_start, blocked, dns, connect, ssl) = har::setup_phases(&setup, conn.setup.tls.filter(|_| !reused));
    let queue = since(exchange.started, exchange.first_write);
    let timings = har::Timings {
        blocked: blocked.max(0.0) + queue,
        dns,
        connect,
        ssl,
        send: since(exchange.first_write, exchange.last_write),
        wait: since(exchange.last_write, exchange.first_byte),
        receive: since(exchange.first_byte, done),
    };
    let x = har::Exchange {
        start: setup_start.unwrap_or(begun - walk.started),
        url: url.to_string(),
        http_version: conn.setup.protocol.to_string(),
        request_headers: har::header_lines(sent),
        status: Some(status),
        response_headers: har::headers_of(headers),
        body_bytes,
        server: Some(conn.setup.remote.ip()),
        connection: conn.setup.local.map(|l| l.port()),
        timings,
        error: None,
    };
    walk.exchanges.push(x);
}
