//! What `http` measured, per hop, and how it is shown: an httpstat-style
//! waterfall, curl-compatible timing fields in JSON, the caching summary.

use super::BodyOutcome;
use crate::error::Exit;
use crate::net::http::{Connection, Exchange, Setup};
use crate::output::{Output, Report, Tone};
use crate::timing;
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};
use url::Url;

/// `--expect-status`: one code or a class (`2xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Expect {
    Code(u16),
    Class(u16),
}

impl Expect {
    pub fn parse(text: &str) -> Result<Expect, String> {
        let t = text.trim().to_ascii_lowercase();
        let bad = || format!("'{text}' is not a status code (200) or class (2xx)");
        if let Some(class) = t.strip_suffix("xx") {
            let c: u16 = class.parse().map_err(|_| bad())?;
            return if (1..=5).contains(&c) { Ok(Expect::Class(c)) } else { Err(bad()) };
        }
        let code: u16 = t.parse().map_err(|_| bad())?;
        if (100..=599).contains(&code) { Ok(Expect::Code(code)) } else { Err(bad()) }
    }

    pub fn matches(self, status: u16) -> bool {
        match self {
            Expect::Code(c) => c == status,
            Expect::Class(c) => status / 100 == c,
        }
    }

    fn describe(self) -> String {
        match self {
            Expect::Code(c) => c.to_string(),
            Expect::Class(c) => format!("{c}xx"),
        }
    }
}

/// curl's `-w` timings: offsets from the start of the hop. A reused
/// connection has no DNS, connect or TLS phase (they read as zero).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    pub namelookup: Duration,
    pub connect: Duration,
    /// TLS done; zero for plain HTTP, as in curl.
    pub appconnect: Duration,
    /// The first byte of the request written.
    pub pretransfer: Duration,
    /// The last byte of the request written.
    pub request_sent: Duration,
    /// The 101 Switching Protocols of an h2c upgrade arrived.
    pub switched: Option<Duration>,
    pub starttransfer: Duration,
    pub total: Duration,
}

impl Timings {
    /// Builds offsets from instants, clamping so they never run backwards.
    pub fn new(start: Instant, setup: Option<&Setup>, ex: &Exchange, end: Instant) -> Timings {
        let at = |t: Instant| t.saturating_duration_since(start);
        let (namelookup, connect, appconnect) = match setup {
            Some(s) => {
                let n = at(s.at.resolved);
                let c = at(s.at.connected).max(n);
                (n, c, s.at.secured.map(|t| at(t).max(c)).unwrap_or_default())
            }
            None => Default::default(),
        };
        let floor = connect.max(appconnect);
        let pretransfer = at(ex.first_write).max(floor);
        let request_sent = at(ex.last_write).max(pretransfer);
        let switched = ex.switched.map(|t| at(t).max(request_sent));
        let starttransfer = at(ex.first_byte).max(switched.unwrap_or(request_sent));
        let total = at(end).max(starttransfer);
        Timings { namelookup, connect, appconnect, pretransfer, request_sent, switched, starttransfer, total }
    }

    /// The waterfall's phases as (name, start, duration).
    pub fn phases(&self, tls: bool) -> Vec<(&'static str, Duration, Duration)> {
        let secured = if tls { self.appconnect } else { self.connect };
        let mut phases = vec![
            ("DNS lookup", Duration::ZERO, self.namelookup),
            ("TCP connect", self.namelookup, self.connect - self.namelookup),
        ];
        if tls {
            phases.push(("TLS handshake", self.connect, secured - self.connect));
        }
        // From the end of the setup, so the phases tile the total: HTTP/2's
        // preface and SETTINGS exchange count as sending the request.
        phases.push(("request sent", secured, self.request_sent - secured));
        let mut waited_from = self.request_sent;
        if let Some(switched) = self.switched {
            phases.push(("h2c switch (101)", self.request_sent, switched - self.request_sent));
            waited_from = switched;
        }
        phases.extend([
            ("server processing", waited_from, self.starttransfer - waited_from),
            ("content transfer", self.starttransfer, self.total - self.starttransfer),
        ]);
        phases
    }

    fn json(&self) -> serde_json::Value {
        let s = |d: Duration| d.as_secs_f64();
        let mut doc = json!({
            "time_namelookup": s(self.namelookup),
            "time_connect": s(self.connect),
            "time_appconnect": s(self.appconnect),
            "time_pretransfer": s(self.pretransfer),
            "time_starttransfer": s(self.starttransfer),
            "time_total": s(self.total),
            "request_sent_ms": timing::millis(self.request_sent),
        });
        if let Some(switched) = self.switched {
            doc["h2c_switch_ms"] = json!(timing::millis(switched));
        }
        doc
    }
}

/// The response's caching headers, summarised.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Caching {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub cache_control: Option<String>,
    pub age: Option<String>,
    pub expires: Option<String>,
    pub vary: Option<String>,
    /// 304: the cached copy the conditional request named is still good.
    pub not_modified: bool,
}

/// One request and its response.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub reason: String,
    pub protocol: &'static str,
    pub remote: std::net::SocketAddr,
    /// The request went over the previous hop's connection.
    pub reused_connection: bool,
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<Setup>,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub caching: Caching,
    /// Body bytes received on the wire for this hop.
    pub body_wire_bytes: u64,
    #[serde(skip)]
    pub timings: Timings,
    #[serde(skip)]
    start: Option<Instant>,
    #[serde(skip)]
    exchange: Option<Exchange>,
}

impl Hop {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        method: &hyper::Method,
        url: &Url,
        parts: &hyper::http::response::Parts,
        setup: Option<Setup>,
        conn: &Connection,
        request_head: &RequestHead,
        location: Option<String>,
        start: Instant,
        exchange: &Exchange,
    ) -> Hop {
        let header = |name: hyper::header::HeaderName| {
            let values: Vec<&str> = parts.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
            (!values.is_empty()).then(|| values.join(", "))
        };
        let caching = Caching {
            etag: header(hyper::header::ETAG),
            last_modified: header(hyper::header::LAST_MODIFIED),
            cache_control: header(hyper::header::CACHE_CONTROL),
            age: header(hyper::header::AGE),
            expires: header(hyper::header::EXPIRES),
            vary: header(hyper::header::VARY),
            not_modified: parts.status.as_u16() == 304,
        };
        Hop {
            method: method.to_string(),
            url: url.to_string(),
            status: parts.status.as_u16(),
            reason: parts.status.canonical_reason().unwrap_or("").to_string(),
            protocol: conn.setup.protocol,
            remote: conn.setup.remote,
            reused_connection: setup.is_none(),
            location,
            connection: setup,
            request_headers: request_head.headers.clone(),
            response_headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
            caching,
            body_wire_bytes: 0,
            timings: Timings::default(),
            start: Some(start),
            exchange: Some(*exchange),
        }
    }

    /// The body is done: the hop's total time is known.
    pub fn finish(&mut self, end: Instant, wire_bytes: u64) {
        self.body_wire_bytes = wire_bytes;
        if let (Some(start), Some(ex)) = (self.start, self.exchange) {
            self.timings = Timings::new(start, self.connection.as_ref(), &ex, end);
        }
    }

    fn json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["timings"] = self.timings.json();
        v
    }
}

/// The request line and headers as sent (for -v and the report).
pub struct RequestHead {
    pub line: String,
    pub headers: Vec<(String, String)>,
}

/// Credentials in it are redacted (for -v and JSON alike) unless `show_secrets`.
pub fn request_head(
    req: &hyper::Request<crate::net::http::ReqBody>,
    protocol: &str,
    show_secrets: bool,
) -> RequestHead {
    let line = format!("{} {} {protocol}", req.method(), req.uri());
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), redact(k.as_str(), &String::from_utf8_lossy(v.as_bytes()), show_secrets)))
        .collect();
    RequestHead { line, headers }
}

/// Credentials are shown only with --show-secrets.
fn redact(name: &str, value: &str, show: bool) -> String {
    let secret =
        ["authorization", "proxy-authorization", "cookie", "set-cookie"].contains(&name.to_ascii_lowercase().as_str());
    if secret && !show { "<redacted: --show-secrets shows it>".to_string() } else { value.to_string() }
}

/// -v: the request head (already redacted by `request_head`).
pub fn print_request(head: &RequestHead) {
    let mut text = format!("> {}\n", head.line);
    for (k, v) in &head.headers {
        text += &format!("> {k}: {v}\n");
    }
    crate::output::stderr_line(&format!("{text}>"));
}

pub fn print_response(parts: &hyper::http::response::Parts, protocol: &str) {
    let mut text = String::new();
    for line in response_head_text(parts, protocol).lines() {
        let line = match line.split_once(": ") {
            Some((k, v)) => format!("{k}: {}", redact(k, v, false)),
            None => line.to_string(),
        };
        text += &format!("< {line}\n");
    }
    crate::output::stderr_line(text.trim_end_matches('\n'));
}

/// The response head as curl -i prints it.
pub fn response_head_text(parts: &hyper::http::response::Parts, protocol: &str) -> String {
    let mut text = format!("{protocol} {}\r\n", parts.status);
    for (k, v) in &parts.headers {
        text += &format!("{k}: {}\r\n", String::from_utf8_lossy(v.as_bytes()));
    }
    text + "\r\n"
}

#[derive(Debug)]
pub struct HttpReport {
    hops: Vec<Hop>,
    body: BodyOutcome,
    warnings: Vec<String>,
    expect: Option<Expect>,
    elapsed: Duration,
    /// Body bytes went to stdout, so the human report goes to stderr.
    pub report_on_stderr: bool,
}

impl HttpReport {
    pub fn new(
        hops: Vec<Hop>,
        body: BodyOutcome,
        warnings: Vec<String>,
        expect: Option<Expect>,
        elapsed: Duration,
        _out: &Output,
    ) -> HttpReport {
        let report_on_stderr = body.on_stdout && body.bytes > 0;
        HttpReport { hops, body, warnings, expect, elapsed, report_on_stderr }
    }

    fn final_status(&self) -> u16 {
        self.hops.last().map_or(0, |h| h.status)
    }

    fn failure(&self) -> Option<String> {
        let expect = self.expect?;
        let status = self.final_status();
        (!expect.matches(status)).then(|| format!("status {status}, expected {}", expect.describe()))
    }

    fn hop_text(&self, out: &Output, index: usize, hop: &Hop) -> String {
        let tone = match hop.status {
            200..=299 => Tone::Good,
            300..=399 => Tone::Warn,
            _ => Tone::Bad,
        };
        let status = out.paint(&format!("{} {}", hop.status, hop.reason), tone);
        let mut text = String::new();
        let prefix = if self.hops.len() > 1 { format!("[{}] ", index + 1) } else { String::new() };
        let via = match &hop.connection {
            Some(c) => {
                let tls = c.tls_facts.as_ref().map(|f| format!(", {} {}", f.version, f.cipher)).unwrap_or_default();
                format!("{}{tls}", c.remote)
            }
            None => format!("{}, connection reused", hop.remote),
        };
        let upgrade = match hop.connection.as_ref().and_then(|c| c.h2c_upgrade) {
            Some("switched") => " (h2c upgrade from HTTP/1.1)",
            Some(_) => " (the server ignored the h2c upgrade)",
            None => "",
        };
        text += &format!("{prefix}{} {} → {}{upgrade} {status}  ({via})\n", hop.method, hop.url, hop.protocol);
        if let Some(c) = &hop.connection {
            for f in &c.failed_attempts {
                text += &out.paint(
                    &format!("    connect {} failed: {} after {} ms\n", f.address, f.reason, timing::ms(f.elapsed)),
                    Tone::Warn,
                );
            }
        }
        if let Some(location) = &hop.location {
            text += &format!("    Location: {location}\n");
        }
        let tls = hop.connection.as_ref().is_some_and(|c| c.tls.is_some());
        text += &waterfall(out, &hop.timings, tls, hop.connection.is_none());
        text
    }
}

/// httpstat's picture: one row per phase, a bar placed at its offset.
fn waterfall(out: &Output, t: &Timings, tls: bool, reused: bool) -> String {
    const WIDTH: f64 = 40.0;
    let total = t.total.as_secs_f64().max(1e-9);
    let mut text = String::new();
    for (name, start, len) in t.phases(tls) {
        if reused && matches!(name, "DNS lookup" | "TCP connect" | "TLS handshake") {
            continue;
        }
        let from = (start.as_secs_f64() / total * WIDTH).round() as usize;
        let cells = ((len.as_secs_f64() / total * WIDTH).round() as usize).max(1);
        let bar = format!(
            "{}{}",
            " ".repeat(from.min(WIDTH as usize)),
            "█".repeat(cells.min(WIDTH as usize + 1 - from.min(WIDTH as usize)))
        );
        text += &format!("    {name:<18}{:>10} ms  {}\n", timing::ms(len), out.paint(&bar, Tone::Dim));
    }
    text += &format!("    {:<18}{:>10} ms\n", "total", timing::ms(t.total));
    text
}

impl Report for HttpReport {
    fn human(&self, out: &Output) -> String {
        let mut text = String::new();
        for (i, hop) in self.hops.iter().enumerate() {
            text += &self.hop_text(out, i, hop);
        }
        if let Some(last) = self.hops.last() {
            let c = &last.caching;
            let mut cache = Vec::new();
            for (name, value) in [
                ("ETag", &c.etag),
                ("Last-Modified", &c.last_modified),
                ("Cache-Control", &c.cache_control),
                ("Age", &c.age),
                ("Expires", &c.expires),
            ] {
                if let Some(v) = value {
                    cache.push(format!("{name}: {v}"));
                }
            }
            if c.not_modified {
                cache.insert(0, "304 Not Modified: the cached copy is still valid".into());
            }
            if !cache.is_empty() {
                text += &format!("caching: {}\n", cache.join("; "));
            }
        }
        let body = match (&self.body.saved_to, self.body.on_stdout) {
            (Some(path), _) => format!("body: {} bytes saved to {path}", self.body.bytes),
            (None, true) if self.body.bytes > 0 => format!("body: {} bytes on stdout", self.body.bytes),
            (None, _) => format!("body: {} bytes", self.body.bytes),
        };
        let decoded = match &self.body.decoded {
            Some(coding) => format!(" ({coding}, {} bytes on the wire)", self.body.wire_bytes),
            None => String::new(),
        };
        text += &format!("{body}{decoded}; {} in {} ms\n", plural(self.hops.len()), timing::ms(self.elapsed));
        for w in &self.warnings {
            text += &format!("{} {w}\n", out.paint("WARNING", Tone::Warn));
        }
        if let Some(why) = self.failure() {
            text += &format!("{} {why}\n", out.paint("FAIL", Tone::Bad));
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        let last = self.hops.last();
        let mut doc = json!({
            "command": "http",
            "url": self.hops.first().map(|h| h.url.clone()),
            "final_url": last.map(|h| h.url.clone()),
            "status": self.final_status(),
            "protocol": last.map(|h| h.protocol),
            "redirects": self.hops.len().saturating_sub(1),
            "hops": self.hops.iter().map(Hop::json).collect::<Vec<_>>(),
            "body": self.body,
            "caching": last.map(|h| &h.caching),
            "warnings": self.warnings,
            "expect_status": self.expect.map(|e| e.describe()),
            "passed": self.failure().is_none(),
            "total_ms": timing::millis(self.elapsed),
        });
        if let Some(last) = last {
            doc["timings"] = last.timings.json();
        }
        doc
    }

    fn exit(&self) -> Exit {
        if self.failure().is_some() { Exit::Failed } else { Exit::Passed }
    }
}

fn plural(hops: usize) -> String {
    if hops == 1 { "1 request".into() } else { format!("{hops} requests") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_codes_and_classes() {
        assert_eq!(Expect::parse("200"), Ok(Expect::Code(200)));
        assert_eq!(Expect::parse("2XX"), Ok(Expect::Class(2)));
        assert!(Expect::parse("2xx").unwrap().matches(204));
        assert!(!Expect::parse("2xx").unwrap().matches(301));
        assert!(Expect::parse("200").unwrap().matches(200));
        assert!(Expect::parse("99").is_err() && Expect::parse("9xx").is_err() && Expect::parse("ok").is_err());
    }

    #[test]
    fn timings_are_ordered_even_when_marks_are_missing_or_early() {
        let start = Instant::now();
        let ms = |n| start + Duration::from_millis(n);
        let ex = Exchange {
            started: ms(0),
            first_write: ms(0),
            last_write: ms(5),
            first_byte: ms(3),
            head: ms(9),
            switched: None,
        };
        let t = Timings::new(start, None, &ex, ms(12));
        assert_eq!(t.request_sent, Duration::from_millis(5));
        // A first byte before the last write (an early server) is clamped to keep the order.
        assert_eq!(t.starttransfer, Duration::from_millis(5));
        assert_eq!(t.total, Duration::from_millis(12));
        let phases = t.phases(false);
        assert_eq!(phases.last().unwrap().2, Duration::from_millis(7));
        let sum: Duration = phases.iter().map(|p| p.2).sum();
        assert_eq!(sum, t.total, "the phases tile the total");
    }

    #[test]
    fn an_h2c_switch_is_its_own_phase_between_request_and_response() {
        let start = Instant::now();
        let ms = |n| start + Duration::from_millis(n);
        let ex = Exchange {
            started: ms(0),
            first_write: ms(1),
            last_write: ms(2),
            first_byte: ms(9),
            head: ms(9),
            switched: Some(ms(4)),
        };
        let t = Timings::new(start, None, &ex, ms(15));
        let phases = t.phases(false);
        let names: Vec<&str> = phases.iter().map(|p| p.0).collect();
        assert_eq!(
            names,
            ["DNS lookup", "TCP connect", "request sent", "h2c switch (101)", "server processing", "content transfer"]
        );
        assert_eq!((phases[3].2, phases[4].2), (Duration::from_millis(2), Duration::from_millis(5)));
        assert_eq!(phases.iter().map(|p| p.2).sum::<Duration>(), t.total);
        assert_eq!(t.json()["h2c_switch_ms"], 4.0);
    }

    #[test]
    fn secrets_are_redacted() {
        assert!(redact("Authorization", "Bearer x", false).contains("redacted"));
        assert_eq!(redact("Authorization", "Bearer x", true), "Bearer x");
        assert_eq!(redact("Accept", "*/*", false), "*/*");
    }
}
