//! `--resources`: what a browser fetches after the page, fetched the same way.
//! Same-origin resources go over the page's connection (one after another
//! on HTTP/1.1 keep-alive, all at once as HTTP/2 streams); another origin
//! gets its own DNS, route, TCP and TLS through the walk's step functions.
//! Origins are served one after the other (the page's first), and a
//! connection that closes is reopened for the rest of its queue. Bodies are
//! counted and dropped. A failing resource is a row with its error: the
//! walk's verdict is the page's.

use super::html::{Links, Resource};
use super::report::Step;
use super::{Cache, Walk, steps};
use crate::net::http::{Connection, Origin, protocol_error};
use crate::timing::millis;
use futures_util::future::join_all;
use serde::Serialize;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use url::Url;

/// A page naming more resources than this has the rest listed as not fetched.
pub const MAX_RESOURCES: usize = 100;
/// Per resource: past this the body is left unread (counted, never stored).
const BODY_LIMIT: u64 = 16 << 20;
/// How long a keep-alive connection may take to accept the next request.
const READY_WAIT: Duration = Duration::from_millis(200);

/// One connection the resources used.
#[derive(Debug, Serialize)]
pub struct Conn {
    pub id: usize,
    pub origin: String,
    /// Opened for the resources (false: the page's own connection).
    pub new: bool,
    pub protocol: Option<&'static str>,
    pub local: Option<SocketAddr>,
    pub remote: Option<SocketAddr>,
    /// The DNS, route, ARP, TCP and TLS steps that opened it.
    pub setup: Vec<Step>,
    pub error: Option<String>,
}

/// One resource, as a row of the waterfall. Times are from the walk's start.
#[derive(Debug, Serialize)]
pub struct Row {
    pub kind: &'static str,
    pub url: String,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// Body bytes received (after transfer coding, before content coding).
    pub bytes: u64,
    /// The body was read to its end.
    pub complete: bool,
    /// `Conn::id`, when a connection was had.
    pub connection: Option<usize>,
    /// An earlier request had used this connection already.
    pub reused: bool,
    pub protocol: Option<&'static str>,
    #[serde(rename = "queued_ms", serialize_with = "crate::output::as_ms")]
    pub queued: Duration,
    #[serde(rename = "start_ms", serialize_with = "crate::output::as_opt_ms")]
    pub start: Option<Duration>,
    #[serde(rename = "first_byte_ms", serialize_with = "crate::output::as_opt_ms")]
    pub first_byte: Option<Duration>,
    #[serde(rename = "end_ms", serialize_with = "crate::output::as_ms")]
    pub end: Duration,
    pub error: Option<String>,
    /// For --har: the request's header lines and the response's headers.
    #[serde(skip)]
    pub request_lines: Vec<String>,
    #[serde(skip)]
    pub response_headers: Vec<(String, String)>,
}

impl Row {
    fn failed(r: &Resource, queued: Duration, at: Duration, error: String) -> Row {
        Row {
            kind: r.kind,
            url: r.url.clone(),
            status: None,
            content_type: None,
            bytes: 0,
            complete: false,
            connection: None,
            reused: false,
            protocol: None,
            queued,
            start: None,
            first_byte: None,
            end: at,
            error: Some(error),
            request_lines: Vec::new(),
            response_headers: Vec::new(),
        }
    }

    /// A response arrived: the row's verdict is its status.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| s < 400)
    }
}

/// Everything `--resources` found and did.
#[derive(Debug, Serialize)]
pub struct Resources {
    pub page: String,
    /// Why nothing was fetched, when nothing was.
    pub note: Option<String>,
    pub base: Option<String>,
    pub skipped: Vec<String>,
    pub duplicates: usize,
    pub over_limit: usize,
    pub parse_error: Option<String>,
    pub connections: Vec<Conn>,
    pub items: Vec<Row>,
    pub loaded: usize,
    pub failed: usize,
    pub bytes: u64,
}

impl Resources {
    /// A final response that is not a page to parse.
    pub fn nothing(page: &Url, note: String) -> Resources {
        Resources {
            page: page.to_string(),
            note: Some(note),
            base: None,
            skipped: Vec::new(),
            duplicates: 0,
            over_limit: 0,
            parse_error: None,
            connections: Vec::new(),
            items: Vec::new(),
            loaded: 0,
            failed: 0,
            bytes: 0,
        }
    }

    /// Step 9 of the report: the summary and a line per resource.
    pub fn step(&self) -> Step {
        let hosts = self.connections.iter().map(|c| c.origin.as_str()).collect::<std::collections::BTreeSet<_>>();
        let summary = match &self.note {
            Some(note) => note.clone(),
            None => format!(
                "{} resources from {} origin{}: {} loaded, {} failed, {} bytes; {} new connection{}",
                self.items.len(),
                hosts.len(),
                if hosts.len() == 1 { "" } else { "s" },
                self.loaded,
                self.failed,
                self.bytes,
                self.connections.iter().filter(|c| c.new).count(),
                if self.connections.iter().filter(|c| c.new).count() == 1 { "" } else { "s" },
            ),
        };
        let mut step = Step::new(9, "resources", summary, serde_json::json!({}));
        for c in &self.connections {
            let how = if c.new { "opened for the resources" } else { "the page's connection" };
            let line = match &c.error {
                Some(e) => format!("connection #{} to {}: {e}", c.id, c.origin),
                None => format!(
                    "connection #{} to {} ({how}, {}): {} → {}",
                    c.id,
                    c.origin,
                    c.protocol.unwrap_or("?"),
                    c.local.map(|a| a.to_string()).unwrap_or_default(),
                    c.remote.map(|a| a.to_string()).unwrap_or_default()
                ),
            };
            step = step.detail(line);
            for s in &c.setup {
                step = step.detail(format!("  {}. {} {}", super::report::label(s), s.name, s.summary));
            }
        }
        for r in &self.items {
            let what = match (&r.error, r.status) {
                (Some(e), _) => format!("✗ {e}"),
                (None, Some(s)) => format!("{s} {}", r.content_type.as_deref().unwrap_or("-")),
                (None, None) => "?".into(),
            };
            let conn = match r.connection {
                Some(id) => format!("#{id} {}", if r.reused { "reused" } else { "new" }),
                None => "-".into(),
            };
            step = step.detail(format!("{:<10} {} {} B via {conn}: {what}", r.kind, r.url, r.bytes));
        }
        if self.duplicates + self.over_limit + self.skipped.len() > 0 {
            step = step.detail(format!(
                "not fetched: {} duplicate(s), {} over the limit of {MAX_RESOURCES}, {} not http(s)",
                self.duplicates,
                self.over_limit,
                self.skipped.len()
            ));
        }
        if let Some(e) = &self.parse_error {
            step = step.detail(format!("the HTML parser stopped early: {e}"));
        }
        if self.failed > 0 {
            step = step.detail("failed resources do not fail the walk: the page loaded (exit code 0)");
        }
        step.filter("http.request || tls.handshake.type == 1")
    }
}

/// Fetches every resource of `links`, found on `page`.
pub async fn fetch(walk: &mut Walk<'_>, cache: &mut Cache, page: &Url, links: Links) -> Resources {
    let queued = walk.started.elapsed();
    let mut out = Resources {
        page: page.to_string(),
        note: None,
        base: links.base,
        skipped: links.skipped,
        duplicates: links.duplicates,
        over_limit: links.over_limit,
        parse_error: links.parse_error,
        connections: Vec::new(),
        items: Vec::new(),
        loaded: 0,
        failed: 0,
        bytes: 0,
    };
    // Per origin, in page order, the page's origin first.
    let page_origin = Origin::from_url(page).ok();
    let mut groups: Vec<(Origin, VecDeque<Resource>)> = Vec::new();
    for r in links.resources {
        let origin = match Url::parse(&r.url)
            .map_err(|e| e.to_string())
            .and_then(|u| Origin::from_url(&u).map_err(|e| e.to_string()))
        {
            Ok(o) => o,
            Err(e) => {
                out.items.push(Row::failed(&r, queued, walk.started.elapsed(), e));
                continue;
            }
        };
        match groups.iter_mut().find(|(o, _)| *o == origin) {
            Some((_, list)) => list.push_back(r),
            None => groups.push((origin, VecDeque::from([r]))),
        }
    }
    groups.sort_by_key(|(o, _)| Some(o) != page_origin.as_ref());
    for (origin, mut pending) in groups {
        while !pending.is_empty() {
            let mut page_conn = match &cache.conn {
                Some(c) if c.origin == origin => cache.conn.take(),
                _ => None,
            };
            if let Some(c) = page_conn.as_mut()
                && !c.wait_ready(READY_WAIT).await
            {
                page_conn = None;
            }
            let (mut conn, id, mut used) = match page_conn {
                Some(c) => {
                    let id = register(&mut out.connections, &c, false, Vec::new());
                    (c, id, true)
                }
                None => {
                    let began = walk.started.elapsed();
                    let saved = std::mem::take(&mut walk.steps);
                    let opened = super::connect(walk, &mut cache.names, &origin).await;
                    let setup = std::mem::replace(&mut walk.steps, saved);
                    match opened {
                        Ok(c) => {
                            let id = register(&mut out.connections, &c, true, setup);
                            (c, id, false)
                        }
                        Err(failure) => {
                            let id = out.connections.len() + 1;
                            out.connections.push(Conn {
                                id,
                                origin: origin.authority(),
                                new: true,
                                protocol: None,
                                local: None,
                                remote: None,
                                setup,
                                error: Some(failure.explanation.clone()),
                            });
                            let at = walk.started.elapsed();
                            for r in pending.drain(..) {
                                let mut row = Row::failed(&r, queued, at, failure.explanation.clone());
                                row.connection = Some(id);
                                row.start = Some(began);
                                out.items.push(row);
                            }
                            break;
                        }
                    }
                }
            };
            let timeout = walk.args.timeout;
            if let Some(sender) = conn.h2_sender() {
                // HTTP/2: every request at once, one stream each.
                let jobs: Vec<_> = pending
                    .drain(..)
                    .enumerate()
                    .map(|(i, r)| {
                        let request = steps::get_request(&conn, &Url::parse(&r.url).expect("parsed above"));
                        h2_fetch(
                            sender.clone(),
                            request,
                            r,
                            Shared { id, reused: used || i > 0, queued, walk: walk.started, timeout },
                        )
                    })
                    .collect();
                out.items.extend(join_all(jobs).await);
            } else {
                while let Some(r) = pending.pop_front() {
                    if used && !conn.wait_ready(READY_WAIT).await {
                        pending.push_front(r);
                        break; // closed (or still busy): a new connection for the rest
                    }
                    let shared = Shared { id, reused: used, queued, walk: walk.started, timeout };
                    out.items.push(h1_fetch(&mut conn, r, shared).await);
                    used = true;
                }
            }
            if Some(&origin) == page_origin.as_ref() {
                cache.conn = Some(conn);
            }
        }
    }
    out.loaded = out.items.iter().filter(|r| r.ok()).count();
    out.failed = out.items.len() - out.loaded;
    out.bytes = out.items.iter().map(|r| r.bytes).sum();
    out
}

fn register(conns: &mut Vec<Conn>, c: &Connection, new: bool, setup: Vec<Step>) -> usize {
    let local = c.setup.local;
    if let Some(known) = conns.iter().find(|k| k.local == local && local.is_some()) {
        return known.id;
    }
    let id = conns.len() + 1;
    conns.push(Conn {
        id,
        origin: c.origin.authority(),
        new,
        protocol: Some(c.setup.protocol),
        local,
        remote: Some(c.setup.remote),
        setup,
        error: None,
    });
    id
}

/// What every request of one connection shares.
#[derive(Clone, Copy)]
struct Shared {
    id: usize,
    reused: bool,
    queued: Duration,
    walk: Instant,
    timeout: Duration,
}

fn row(r: Resource, s: Shared, protocol: &'static str) -> Row {
    Row {
        connection: Some(s.id),
        reused: s.reused,
        protocol: Some(protocol),
        error: None,
        ..Row::failed(&r, s.queued, Duration::ZERO, String::new())
    }
}

async fn finish(
    mut row: Row,
    s: Shared,
    response: hyper::Response<hyper::body::Incoming>,
    started: Instant,
    first_byte: Instant,
) -> Row {
    let (parts, mut body) = response.into_parts();
    row.status = Some(parts.status.as_u16());
    row.response_headers = super::har::headers_of(&parts.headers);
    row.content_type = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    let (bytes, complete) = steps::drain(&mut body, s.timeout, BODY_LIMIT, None).await;
    row.bytes = bytes;
    row.complete = complete;
    row.start = Some(started - s.walk);
    row.first_byte = Some(first_byte - s.walk);
    row.end = s.walk.elapsed();
    row.error = (!complete).then(|| {
        if bytes > BODY_LIMIT {
            format!("body larger than {} MiB: left unread", BODY_LIMIT >> 20)
        } else {
            format!("the body did not arrive in full within {}", crate::timing::human(s.timeout))
        }
    });
    row
}

async fn h1_fetch(conn: &mut Connection, r: Resource, s: Shared) -> Row {
    let mut out = row(r, s, conn.setup.protocol);
    let url = Url::parse(&out.url).expect("parsed before queuing");
    let started = Instant::now();
    let (request, lines) = match steps::get_request(conn, &url) {
        Ok(pair) => pair,
        Err(e) => return Row { error: Some(e), end: s.walk.elapsed(), ..out },
    };
    out.request_lines = lines;
    match tokio::time::timeout(s.timeout, conn.send(request)).await {
        Ok(Ok((response, exchange))) => finish(out, s, response, exchange.started, exchange.first_byte).await,
        Ok(Err(e)) => {
            out.start = Some(started - s.walk);
            out.error = Some(e.to_string());
            out.end = s.walk.elapsed();
            out
        }
        Err(_) => {
            out.start = Some(started - s.walk);
            out.error = Some(format!("no response within {}", crate::timing::human(s.timeout)));
            out.end = s.walk.elapsed();
            out
        }
    }
}

async fn h2_fetch(
    mut sender: hyper::client::conn::http2::SendRequest<crate::net::http::ReqBody>,
    request: Result<(hyper::Request<crate::net::http::ReqBody>, Vec<String>), String>,
    r: Resource,
    s: Shared,
) -> Row {
    let mut out = row(r, s, "HTTP/2");
    let authority = Url::parse(&out.url).ok().and_then(|u| Origin::from_url(&u).ok()).map(|o| o.authority());
    let authority = authority.unwrap_or_default();
    let started = Instant::now();
    out.start = Some(started - s.walk);
    let request = match request {
        Ok((request, lines)) => {
            out.request_lines = lines;
            request
        }
        Err(e) => return Row { error: Some(e), end: s.walk.elapsed(), ..out },
    };
    let sent = async {
        sender.ready().await?;
        sender.send_request(request).await
    };
    match tokio::time::timeout(s.timeout, sent).await {
        // HTTP/2: the first byte that matters is the stream's HEADERS frame.
        Ok(Ok(response)) => finish(out, s, response, started, Instant::now()).await,
        Ok(Err(e)) => {
            out.error = Some(protocol_error(&authority, &e).to_string());
            out.end = s.walk.elapsed();
            out
        }
        Err(_) => {
            out.error = Some(format!("no response within {}", crate::timing::human(s.timeout)));
            out.end = s.walk.elapsed();
            out
        }
    }
}

/// The rows as a waterfall: ░ queued, ▒ waiting for the first byte, █ transfer.
pub fn waterfall(rows: &[Row], total: Duration) -> String {
    const WIDTH: f64 = 40.0;
    let from = rows.iter().map(|r| r.queued).min().unwrap_or_default();
    let span = millis(total.saturating_sub(from)).max(0.001);
    let col = |d: Duration| ((millis(d.saturating_sub(from)) / span * WIDTH).round() as usize).min(WIDTH as usize);
    let mut text = format!(
        "Resources waterfall (from {:.3} ms: ░ queued, ▒ request → first byte, █ body, ✗ failed)\n",
        millis(from)
    );
    for (i, r) in rows.iter().enumerate() {
        let q = col(r.queued);
        let s = r.start.map(col).unwrap_or(q).max(q);
        let f = r.first_byte.map(col).unwrap_or(s).max(s).min(WIDTH as usize - 1);
        let s = s.min(f);
        let q = q.min(s);
        let e = col(r.end).max(f).max(f + 1).min(WIDTH as usize);
        let f = f.min(e);
        let s = s.min(f);
        let bar = if r.status.is_none() {
            // No response: queued, then ✗ while the attempt lasted.
            format!("{}{}{}", " ".repeat(q), "░".repeat(s - q), "✗".repeat(e - s))
        } else {
            format!("{}{}{}{}", " ".repeat(q), "░".repeat(s - q), "▒".repeat(f - s), "█".repeat(e - f))
        };
        let pad = " ".repeat(WIDTH as usize - e.max(q));
        let status = match (&r.error, r.status) {
            (Some(_), Some(st)) | (None, Some(st)) => st.to_string(),
            _ => "ERR".into(),
        };
        let conn = r.connection.map(|c| format!("#{c}{}", if r.reused { "" } else { "+" })).unwrap_or("-".into());
        text += &format!(
            "  {:>2} {status:>3} {conn:<4}{bar}{pad} {:>8.3} ms {:>8} B  {}\n",
            i + 1,
            millis(r.end.saturating_sub(r.start.unwrap_or(r.queued))),
            r.bytes,
            r.url
        );
    }
    text + "  (#N is the connection; + marks a request that opened it)\n"
}
