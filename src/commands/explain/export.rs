//! The files --har and --html write: created before the walk (a path that
//! cannot be written is a usage error, exit 2, before anything is sent) and
//! filled after it; and the exchanges a HAR holds besides each hop's
//! response: the request a failure stopped, and --resources' rows.

use super::har::{self, Exchange, Timings};
use super::report::{Failure, Step};
use super::resources::Resources;
use crate::error::Error;
use crate::timing::millis;
use std::fs::File;
use std::io::Write;
use std::path::Path;

pub fn create(option: &str, path: &Path) -> Result<File, Error> {
    File::create(path).map_err(|e| {
        Error::usage_with_hint(
            format!("cannot write {option} {}: {e}", path.display()),
            format!("give {option} a path in a writable directory"),
        )
    })
}

/// Fills a file made by [`create`]; a failure now (disk full) is one line
/// on stderr and leaves the walk's verdict alone.
pub fn write(path: &Path, mut file: File, bytes: &[u8]) {
    if let Err(e) = file.write_all(bytes).and_then(|_| file.flush()) {
        crate::output::stderr_line(&format!("netwalk: cannot write {}: {e}", path.display()));
    }
}

/// The request a failed hop never got an answer to: its setup phases, no response.
pub fn failed_exchange(steps: &[Step], hop: usize, failure: &Failure) -> Option<Exchange> {
    if failure.step < 3 {
        return None;
    }
    let of_hop: Vec<&Step> = steps.iter().filter(|s| s.hop == hop).collect();
    // A redirect loop or hop limit: the hop's response is in the log already.
    if of_hop.iter().any(|s| s.name == "http" && s.facts["status"].is_u64()) {
        return None;
    }
    let url = of_hop.iter().find(|s| s.name == "hsts")?.facts["url"].as_str()?.to_string();
    let setup: Vec<&Step> = of_hop.iter().copied().filter(|s| s.name != "url" && s.name != "hsts").collect();
    let tls = setup.iter().find(|s| s.name == "tls" && s.ok).map(|s| s.duration);
    let (start, blocked, dns, connect, ssl) = har::setup_phases(&setup, tls);
    let waited = setup.iter().find(|s| s.name == "http").map(|s| millis(s.duration)).unwrap_or(0.0);
    let server = of_hop
        .iter()
        .find(|s| s.name == "tcp")
        .and_then(|s| s.facts["remote"].as_str())
        .and_then(|r| r.parse::<std::net::SocketAddr>().ok())
        .map(|a| a.ip());
    Some(Exchange {
        start: start.unwrap_or_default(),
        url,
        http_version: "HTTP/1.1".into(),
        request_headers: Vec::new(),
        status: None,
        response_headers: Vec::new(),
        body_bytes: 0,
        server,
        connection: None,
        timings: Timings { blocked, dns, connect, ssl, send: 0.0, wait: waited, receive: 0.0 },
        error: Some(format!("step {} ({}): {}", failure.step, failure.name, failure.explanation)),
    })
}

/// --resources' rows: the first request of a new connection carries its setup.
pub fn resource_exchanges(r: &Resources) -> Vec<Exchange> {
    let ms = millis;
    r.items
        .iter()
        .map(|row| {
            let conn = row.connection.and_then(|id| r.connections.iter().find(|c| c.id == id));
            let setup: Vec<&Step> = match conn {
                Some(c) if c.new && !row.reused => c.setup.iter().collect(),
                _ => Vec::new(),
            };
            let tls = setup.iter().find(|s| s.name == "tls").map(|s| s.duration);
            let (_, route, dns, connect, ssl) = har::setup_phases(&setup, tls);
            let setup_ms: f64 = [route, dns, connect].iter().filter(|t| **t > 0.0).sum();
            let asked = row.start.unwrap_or(row.queued);
            let queue = (ms(asked.saturating_sub(row.queued)) - setup_ms).max(0.0);
            let answered = row.first_byte.unwrap_or(row.end);
            Exchange {
                start: row.queued,
                url: row.url.clone(),
                http_version: row.protocol.unwrap_or("HTTP/1.1").to_string(),
                request_headers: har::header_lines(&row.request_lines),
                status: row.status,
                response_headers: row.response_headers.clone(),
                body_bytes: row.bytes,
                server: conn.and_then(|c| c.remote).map(|a| a.ip()),
                connection: conn.and_then(|c| c.local).map(|a| a.port()),
                timings: Timings {
                    blocked: route.max(0.0) + queue,
                    dns,
                    connect,
                    ssl,
                    send: 0.0,
                    wait: ms(answered.saturating_sub(asked)),
                    receive: ms(row.end.saturating_sub(answered)),
                },
                error: row.error.clone(),
            }
        })
        .collect()
}
