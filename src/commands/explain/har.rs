//! `--har FILE`: the walk's requests (each hop, and `--resources`) as an
//! HTTP Archive 1.2 log (<http://www.softwareishard.com/blog/har-12-spec/>)
//! that Chrome DevTools and HAR viewers open. Timings are the walk's own
//! measurements: dns and connect from steps 3 and 5 (connect includes ssl,
//! as the spec says), ssl from the TLS handshake, send/wait/receive from the
//! request's first and last write, the first response byte and the body's
//! end. A phase that did not happen for a request (a reused connection) is
//! -1. Built without I/O from the report.

use super::network::civil_from_days;
use super::report::{ExplainReport, Step};
use crate::timing::millis;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// HAR's seven phases in milliseconds; -1: not applicable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    pub blocked: f64,
    pub dns: f64,
    pub connect: f64,
    pub ssl: f64,
    pub send: f64,
    pub wait: f64,
    pub receive: f64,
}

impl Timings {
    /// The entry's total: every phase that happened (ssl is inside connect).
    pub fn total(&self) -> f64 {
        [self.blocked, self.dns, self.connect, self.send, self.wait, self.receive].iter().filter(|t| **t >= 0.0).sum()
    }
}

/// One request and its response, as the walk saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// From the walk's start to the first phase (DNS on a new connection).
    pub start: Duration,
    pub url: String,
    pub http_version: String,
    pub request_headers: Vec<(String, String)>,
    /// None: no response (the error says why).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub body_bytes: u64,
    pub server: Option<IpAddr>,
    /// The local port: HAR's connection id.
    pub connection: Option<u16>,
    pub timings: Timings,
    pub error: Option<String>,
}

/// The request line and header lines explain prints (`GET / HTTP/1.1`,
/// `name: value`) as HAR header objects, the request line dropped.
pub fn header_lines(lines: &[String]) -> Vec<(String, String)> {
    lines.iter().skip(1).filter_map(|l| l.split_once(": ")).map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

pub fn headers_of(map: &hyper::HeaderMap) -> Vec<(String, String)> {
    map.iter().map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

/// RFC 3339 in UTC with milliseconds, as HAR's startedDateTime.
pub fn iso8601(at: SystemTime) -> String {
    let d = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (secs, ms) = (d.as_secs(), d.subsec_millis());
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!("{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn pairs(h: &[(String, String)]) -> Value {
    Value::Array(h.iter().map(|(n, v)| json!({"name": n, "value": v})).collect())
}

fn header_value<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn entry(x: &Exchange, started: SystemTime) -> Value {
    let query: Vec<Value> = url::Url::parse(&x.url)
        .map(|u| u.query_pairs().map(|(n, v)| json!({"name": n, "value": v})).collect())
        .unwrap_or_default();
    let t = x.timings;
    let mut e = json!({
        "pageref": "page_1",
        "startedDateTime": iso8601(started + x.start),
        "time": t.total(),
        "request": {
            "method": "GET",
            "url": x.url,
            "httpVersion": x.http_version,
            "cookies": [],
            "headers": pairs(&x.request_headers),
            "queryString": query,
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": x.status.unwrap_or(0),
            "statusText": x.status.and_then(|s| hyper::StatusCode::from_u16(s).ok()).and_then(|s| s.canonical_reason()).unwrap_or(""),
            "httpVersion": x.http_version,
            "cookies": [],
            "headers": pairs(&x.response_headers),
            "content": {
                "size": x.body_bytes,
                "mimeType": header_value(&x.response_headers, "content-type").unwrap_or("x-unknown"),
                "comment": "bodies are counted, not kept",
            },
            "redirectURL": header_value(&x.response_headers, "location").unwrap_or(""),
            "headersSize": -1,
            "bodySize": x.body_bytes,
        },
        "cache": {},
        "timings": {
            "blocked": t.blocked,
            "dns": t.dns,
            "connect": t.connect,
            "ssl": t.ssl,
            "send": t.send,
            "wait": t.wait,
            "receive": t.receive,
        },
    });
    if let Some(ip) = x.server {
        e["serverIPAddress"] = json!(ip.to_string());
    }
    if let Some(port) = x.connection {
        e["connection"] = json!(port.to_string());
    }
    if let Some(err) = &x.error {
        e["_error"] = json!(err);
    }
    e
}

/// The phases before the request of a new connection, from the setup
/// steps of one hop (or of a resource's connection): DNS (step 3), route
/// and ARP as blocked (step 4), TCP + TLS as connect (steps 5 and 6), and
/// when that began.
pub fn setup_phases(steps: &[&Step], tls: Option<Duration>) -> (Option<Duration>, f64, f64, f64, f64) {
    let sum = |names: &[&str]| -> Option<f64> {
        let found: Vec<&&Step> = steps.iter().filter(|s| names.contains(&s.name)).collect();
        (!found.is_empty()).then(|| found.iter().map(|s| millis(s.duration)).sum())
    };
    let begun = steps.iter().filter(|s| s.name != "network").map(|s| s.start).min();
    let dns = sum(&["dns"]).unwrap_or(-1.0);
    let blocked = sum(&["route", "arp"]).unwrap_or(-1.0);
    let connect = sum(&["tcp", "tls"]).unwrap_or(-1.0);
    let ssl = tls.map(millis).unwrap_or(-1.0);
    (begun, blocked, dns, connect, ssl)
}

/// The whole log.
pub fn log(report: &ExplainReport) -> Value {
    let started = report.started_at;
    json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "netwalk", "version": env!("CARGO_PKG_VERSION")},
            "pages": [{
                "startedDateTime": iso8601(started),
                "id": "page_1",
                "title": report.url,
                "pageTimings": {"onContentLoad": -1, "onLoad": millis(report.total)},
            }],
            "entries": report.exchanges.iter().map(|x| entry(x, started)).collect::<Vec<_>>(),
            "comment": match &report.failure {
                Some(f) => format!("netwalk explain: stopped at step {} ({}): {}", f.step, f.name, f.explanation),
                None => format!("netwalk explain: final response {}", report.final_status.unwrap_or(0)),
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_totals() {
        assert_eq!(iso8601(UNIX_EPOCH + Duration::from_millis(1_796_288_753_042)), "2026-12-03T09:05:53.042Z");
        let t = Timings { blocked: 1.0, dns: -1.0, connect: 3.0, ssl: 2.0, send: 0.5, wait: 4.0, receive: 1.5 };
        assert_eq!(t.total(), 10.0);
        let lines = vec!["GET / HTTP/1.1".to_string(), "host: a.test".into(), "accept: */*".into()];
        assert_eq!(header_lines(&lines), [("host".into(), "a.test".into()), ("accept".into(), "*/*".into())]);
    }
}
