//! `netwalk http`: one HTTP/1.1 or HTTP/2 request (and its redirects), each
//! phase timed: DNS, TCP, TLS, request sent, first byte, transfer.

pub mod auth;
pub mod body;
pub mod cookies;
pub mod redirect;
mod report;
pub mod upload;

use crate::cli::Global;
use crate::error::{Error, Transfer};
use crate::net::http::{ConnectTo, Connection, Dialer, Origin, ReqBody, ResolveOverride, Version};
use crate::net::resolve::Resolver;
use crate::net::tcp::Bind;
use crate::net::tls_client;
use crate::output::{Format, Output};
use crate::timing::parse_duration;
use body::{Coding, Decoder, Sink};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request};
pub use report::{Expect, Hop, HttpReport};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use upload::Upload;
use url::Url;

/// Decoded bodies stop here unless `--max-filesize` says otherwise (bombs).
const DEFAULT_DECODED_CAP: u64 = 1 << 30;
/// A body bound for a terminal stops here unless `--max-filesize` says
/// otherwise: nobody reads more than this scroll by, and a bomb stops early.
const TERMINAL_CAP: u64 = 10 << 20;
/// A redirect's own body is read and dropped up to this size to keep the
/// connection reusable; past it the connection is abandoned.
const DRAIN_LIMIT: u64 = 1 << 20;

/// curl's numbers for the failures scripts test for (src/error.rs).
macro_rules! http_exit_codes {
    () => {
        "
  7  could not connect (refused, unreachable, not every address timed out)
  18 the body ended before its Content-Length (or chunked end)
  22 --fail and a final status of 400 or more
  28 timeout: --connect-timeout (TCP, proxy CONNECT, TLS), --max-time, or under --speed-limit for --speed-time
  47 more redirects than --max-redirs"
    };
}

#[derive(Debug, clap::Args)]
#[command(after_help = concat!(crate::exit_codes!(), "
  7/18/22/28/47  curl's: connect, short body, --fail, timeout, redirects (see --help)"), after_long_help = concat!(
    "Examples:\n",
    "  netwalk http https://web.test/\n",
    "  netwalk http -L --max-redirs 5 http://web.test/old\n",
    "  netwalk http POST https://api.test/items -H 'Content-Type: application/json' -d @item.json\n",
    "  netwalk http -o big.iso --max-time 5m https://mirror.test/big.iso\n",
    "  netwalk http --etag '\"v1\"' https://web.test/logo.png     (shows the 304 path)\n",
    "  netwalk --json http --expect-status 2xx --max-time 2s https://web.test/health\n\n",
    "Timings follow curl's -w: time_namelookup, time_connect, time_appconnect (TLS done),\n",
    "time_pretransfer (first request byte written), time_starttransfer (first response byte;\n",
    "for HTTP/2 the response HEADERS frame) and time_total, each from the start of the hop.\n",
    "The body goes to stdout (or -o FILE) and the timing report to stderr; when no body byte\n",
    "reaches stdout (-o FILE, --head, 304) the report goes to stdout. With --json the body is\n",
    "not printed unless -o says where (JSON has its size and SHA-256). -I is the global\n",
    "--interface option here: use --head (or the HEAD method) for a HEAD request.\n\n",
    crate::exit_codes!(),
    http_exit_codes!()
))]
pub struct Args {
    /// [METHOD] URL: the method is optional (GET, or POST with -d, HEAD with --head)
    #[arg(required = true, num_args = 1..=2, value_name = "[METHOD] URL")]
    pub request: Vec<String>,

    /// Basic credentials (curl's -u): USER:PASSWORD, or USER to be asked for the password on the terminal;
    /// overrides a URL's user:password@
    #[arg(short = 'u', long = "user", value_name = "USER[:PASSWORD]")]
    pub user: Option<String>,

    /// Add a request header ('Name: value'); 'Name:' removes a default header
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body: literal DATA, @FILE (streamed), or @- for standard input (POST unless a method is given)
    #[arg(short, long, value_name = "DATA")]
    pub data: Option<String>,

    /// Upload FILE as the body, streamed (PUT unless a method is given); a URL ending in / gets the file's name
    #[arg(short = 'T', long = "upload-file", value_name = "FILE", conflicts_with = "data")]
    pub upload_file: Option<PathBuf>,

    /// Exit 22, writing no body, when the final status is 400 or more (curl's -f)
    #[arg(short = 'f', long)]
    pub fail: bool,

    /// Send cookies: 'name=value; name2=value2', or a jar FILE to read (curl's Netscape format; repeatable)
    #[arg(short = 'b', long = "cookie", value_name = "DATA|FILE")]
    pub cookie: Vec<String>,

    /// Write the cookies at the end to FILE (Netscape format, which curl -b reads)
    #[arg(short = 'c', long = "cookie-jar", value_name = "FILE")]
    pub cookie_jar: Option<PathBuf>,

    /// Follow redirects (301, 302, 303, 307, 308), listing every hop
    #[arg(short = 'L', long = "location")]
    pub follow: bool,

    /// Most redirects to follow with -L
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub max_redirs: u32,

    /// Stream the body to FILE (constant memory); '-' writes it to stdout even if binary
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Send a HEAD request (curl's -I; -I is --interface in netwalk)
    #[arg(long)]
    pub head: bool,

    /// Write the response headers before the body
    #[arg(short, long)]
    pub include: bool,

    /// HTTP/1.1 only
    #[arg(long = "http1.1", group = "http_version")]
    pub http1_1: bool,

    /// HTTP/2: over TLS through ALPN (fail if the server does not agree); for http:// an h2c Upgrade, staying on HTTP/1.1 if the server ignores it
    #[arg(long, group = "http_version")]
    pub http2: bool,

    /// HTTP/2 without negotiation (h2c for http://)
    #[arg(long, group = "http_version")]
    pub http2_prior_knowledge: bool,

    /// Use ADDR for HOST:PORT instead of resolving it (repeatable)
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,

    /// Connect to HOST2:PORT2 for requests to HOST1:PORT1, keeping the name for Host and TLS (repeatable)
    #[arg(long, value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Vec<String>,

    /// Do not verify the server certificate (insecure: anyone in the path can read and change the traffic)
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Trust only the CA certificates in this PEM file
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,

    /// Ask for a compressed body (gzip, deflate, br, zstd) and decode it
    #[arg(long)]
    pub compressed: bool,

    /// Fail when the body (after decoding) exceeds this size: 1048576, 512K, 10M, 2G [default: 1G once decoded]
    #[arg(long, value_parser = body::parse_size, value_name = "SIZE")]
    pub max_filesize: Option<u64>,

    /// Go through this proxy: http://[USER:PASS@]HOST[:PORT] (CONNECT for https), socks5:// or socks5h://;
    /// overrides http_proxy, https_proxy and all_proxy; '' uses none
    #[arg(short = 'x', long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Hosts that bypass the proxy (comma-separated names, domains, addresses, CIDR blocks, or *); overrides no_proxy
    #[arg(long, value_name = "LIST")]
    pub noproxy: Option<String>,

    /// Fail (exit 1) unless the final status is this code or class (200, 2xx, 304)
    #[arg(long, value_parser = Expect::parse, value_name = "CODE")]
    pub expect_status: Option<Expect>,

    /// Give up (exit 28) when the whole transfer takes longer than this (2.5 or 2500ms; bare numbers are seconds)
    #[arg(short = 'm', long, value_parser = parse_seconds, value_name = "DURATION")]
    pub max_time: Option<Duration>,

    /// Give up on an address (exit 7, or 28 when every address timed out), and on the proxy CONNECT and TLS handshake
    #[arg(long, default_value = "10s", value_parser = parse_seconds, value_name = "DURATION")]
    pub connect_timeout: Duration,

    /// Abort (exit 28) when fewer than this many bytes/s move for --speed-time; 0 turns the check off
    #[arg(short = 'Y', long, default_value_t = 10, value_name = "BYTES")]
    pub speed_limit: u64,

    /// How long the transfer may stay under --speed-limit (a server that never answers, a trickling body)
    #[arg(short = 'y', long, default_value = "20s", value_parser = parse_seconds, value_name = "DURATION")]
    pub speed_time: Duration,

    /// Conditional request: send If-None-Match with this ETag
    #[arg(long, value_name = "ETAG")]
    pub etag: Option<String>,

    /// Conditional request: send If-Modified-Since with this date (HTTP date or RFC 3339)
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    pub if_modified_since: Option<String>,

    /// Show Authorization, Cookie and Proxy-Authorization values under -v instead of redacting them
    #[arg(long)]
    pub show_secrets: bool,
}

/// A duration, or a bare number of seconds as curl takes them (`-m 2.5`).
fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs < 1e9 => Ok(Duration::from_secs_f64(secs)),
        Ok(_) => Err(format!("'{text}' must be a positive number of seconds")),
        Err(_) => parse_duration(text),
    }
}

fn parse_date(text: &str) -> Result<String, String> {
    let time = httpdate::parse_http_date(text.trim()).or_else(|_| humantime::parse_rfc3339_weak(text.trim())).map_err(
        |_| format!("'{text}' is not a date; write 'Wed, 21 Oct 2015 07:28:00 GMT' or 2015-10-21T07:28:00Z"),
    )?;
    Ok(httpdate::fmt_http_date(time))
}

/// The request as the command line describes it, checked.
struct Plan {
    method: Method,
    url: Url,
    headers: Vec<(HeaderName, Option<HeaderValue>)>,
    /// Basic credentials from -u or the URL (taken out of `url`).
    auth: Option<HeaderValue>,
    body: Option<Upload>,
    /// The body came from -T (no form Content-Type).
    upload: bool,
}

fn plan(args: &Args) -> Result<Plan, Error> {
    let (method, url) = match args.request.as_slice() {
        [url] => (None, url),
        [method, url] => (Some(method), url),
        _ => return Err(Error::usage("give [METHOD] URL")),
    };
    let mut url = parse_url(url)?;
    let from_url = auth::take_from_url(&mut url);
    let auth = match (&args.user, from_url) {
        (Some(user), _) => Some(auth::parse_user(user)?),
        (None, found) => found,
    }
    .map(|(user, password)| auth::basic(&user, &password));
    let mut headers = Vec::new();
    for line in &args.headers {
        headers.push(parse_header(line)?);
    }
    if let Some(etag) = &args.etag {
        let value = HeaderValue::from_str(etag)
            .map_err(|_| Error::usage(format!("--etag '{etag}' is not a valid header value")))?;
        headers.push((hyper::header::IF_NONE_MATCH, Some(value)));
    }
    if let Some(date) = &args.if_modified_since {
        headers.push((hyper::header::IF_MODIFIED_SINCE, HeaderValue::from_str(date).ok()));
    }
    let upload = args.upload_file.is_some();
    let body = match (&args.data, &args.upload_file) {
        (Some(data), _) => Some(Upload::from_data(data)?),
        (None, Some(path)) => {
            // curl -T: a URL that ends in / names the directory the file goes to.
            if url.path().ends_with('/')
                && let Some(name) = path.file_name().and_then(|n| n.to_str())
            {
                let joined = format!("{}{}", url.path(), percent_encoding::utf8_percent_encode(name, PATH_SEGMENT));
                url.set_path(&joined);
            }
            Some(Upload::from_file("-T", path)?)
        }
        (None, None) => None,
    };
    let method = match method {
        Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .map_err(|_| Error::usage(format!("'{m}' is not an HTTP method")))?,
        None if args.head => Method::HEAD,
        None if upload => Method::PUT,
        None if body.is_some() => Method::POST,
        None => Method::GET,
    };
    if args.head && method != Method::HEAD {
        return Err(Error::usage(format!("--head conflicts with the method {method}")));
    }
    Ok(Plan { method, url, headers, auth, body, upload })
}

/// A URL with http(s) scheme; a bare `host/path` means http://, as in curl.
pub fn parse_url(text: &str) -> Result<Url, Error> {
    let full = if text.contains("://") { text.to_string() } else { format!("http://{text}") };
    let shown = auth::hide_password(text);
    let url = Url::parse(&full).map_err(|e| Error::usage(format!("'{shown}' is not a valid URL: {e}")))?;
    let mut bare = url.clone();
    auth::take_from_url(&mut bare);
    Origin::from_url(&bare)?;
    if url.port() == Some(0) {
        return Err(Error::usage(format!("port 0 in '{shown}' is not a valid TCP port")));
    }
    Ok(url)
}

fn parse_header(line: &str) -> Result<(HeaderName, Option<HeaderValue>), Error> {
    let bad =
        |why: &str| Error::usage_with_hint(format!("bad header '{line}': {why}"), "write a header as 'Name: value'");
    let (name, value) = line.split_once(':').ok_or_else(|| bad("no ':'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad("invalid name"))?;
    let value = value.trim();
    if value.is_empty() {
        return Ok((name, None));
    }
    let value = HeaderValue::from_str(value).map_err(|_| bad("invalid value"))?;
    Ok((name, Some(value)))
}

/// What a path segment must escape (a file name appended by -T).
const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'/').add(b'?').add(b'<').add(b'>');

/// `--resolve HOST:PORT:ADDR` (ADDR may be [v6]).
fn parse_resolve(text: &str) -> Result<ResolveOverride, Error> {
    let bad = || {
        Error::usage_with_hint(
            format!("bad --resolve '{text}'"),
            "write it as HOST:PORT:ADDR, e.g. web.test:443:198.18.1.2",
        )
    };
    let mut parts = text.splitn(3, ':');
    let (host, port, addr) =
        (parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?);
    let addr = addr.trim_start_matches('[').trim_end_matches(']').parse().map_err(|_| bad())?;
    let port = port.parse().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok(ResolveOverride { host: host.to_ascii_lowercase(), port, addr })
}

/// `--connect-to HOST1:PORT1:HOST2:PORT2`, any part may be empty.
fn parse_connect_to(text: &str) -> Result<ConnectTo, Error> {
    let bad = || {
        Error::usage_with_hint(
            format!("bad --connect-to '{text}'"),
            "write it as HOST1:PORT1:HOST2:PORT2 (parts may be empty), e.g. web.test:443:backend.test:8443",
        )
    };
    // Split on ':' outside brackets, so [2001:db8::1] stays whole.
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    let [fh, fp, th, tp] = parts.as_slice() else { return Err(bad()) };
    let host = |h: &str| (!h.is_empty()).then(|| h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase());
    let port = |p: &str| if p.is_empty() { Ok(None) } else { p.parse::<u16>().map(Some).map_err(|_| bad()) };
    Ok(ConnectTo { from_host: host(fh), from_port: port(fp)?, to_host: host(th), to_port: port(tp)? })
}

/// Where the final body goes.
enum Destination {
    Stdout,
    File(PathBuf),
    Discard,
}

pub async fn run(args: Args, global: &Global, out: &Output) -> Result<HttpReport, Error> {
    let plan = plan(&args)?;
    let version = match (args.http1_1, args.http2, args.http2_prior_knowledge) {
        (true, _, _) => Version::Http11,
        (_, true, _) => Version::Http2,
        (_, _, true) => Version::Http2PriorKnowledge,
        _ => Version::Auto,
    };
    let dialer = Dialer {
        resolver: Resolver::system(global.family()),
        resolve: args.resolve.iter().map(|r| parse_resolve(r)).collect::<Result<_, _>>()?,
        connect_to: args.connect_to.iter().map(|c| parse_connect_to(c)).collect::<Result<_, _>>()?,
        proxy: crate::net::proxy::Proxies::choose(args.proxy.as_deref(), args.noproxy.as_deref(), |name| {
            std::env::var(name).ok()
        })?,
        bind: Bind { interface: global.interface.clone(), source: None },
        connect_timeout: args.max_time.map_or(args.connect_timeout, |t| t.min(args.connect_timeout)),
        tls: tls_client::Client::new(args.insecure, args.cacert.as_deref())?,
        version,
        progress: Default::default(),
    };
    let progress = dialer.progress.clone();
    let destination = match &args.output {
        Some(p) if p.as_os_str() == "-" => Destination::Stdout,
        Some(p) => Destination::File(p.clone()),
        None if out.format != Format::Human => Destination::Discard,
        None => Destination::Stdout,
    };
    let mut warnings = Vec::new();
    if args.insecure {
        let warning = "-k: the server certificate is NOT verified; anyone in the path can read and change this traffic";
        crate::output::stderr_line(&format!("netwalk: warning: {warning}"));
        warnings.push(warning.to_string());
    }
    let jar = cookies::Jar::new(&args.cookie, args.cookie_jar.as_deref())?;
    let mut session = Session { args: &args, global, dialer, plan, destination, warnings, hops: Vec::new(), jar };
    let started = Instant::now();
    let what = format!("{} {}", session.plan.method, session.plan.url);
    let watched = async {
        tokio::select! {
            outcome = session.exchange() => outcome,
            stalled = low_speed(&progress, args.speed_limit, args.speed_time, &what) => Err(stalled),
        }
    };
    let outcome = match args.max_time {
        Some(limit) => {
            tokio::time::timeout(limit, watched).await.map_err(|_| Error::TimedOut { what, after: limit })?
        }
        None => watched.await,
    };
    // The jar is written whatever happened, as curl writes it.
    session.jar.save()?;
    let outcome = outcome?;
    Ok(HttpReport::new(session.hops, outcome, session.warnings, args.expect_status, started.elapsed(), out))
}

/// curl's low-speed check: fails once fewer than `limit` bytes/s moved (both
/// ways, every connection) for `time` on end. 0 turns it off.
async fn low_speed(progress: &crate::net::http::Progress, limit: u64, time: Duration, what: &str) -> Error {
    if limit == 0 {
        return std::future::pending().await;
    }
    let tick = (time / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    let (mut last, mut at) = (progress.bytes(), Instant::now());
    let mut slow_since: Option<Instant> = None;
    loop {
        interval.tick().await;
        let (now, bytes) = (Instant::now(), progress.bytes());
        let rate = (bytes - last) as f64 / (now - at).as_secs_f64().max(1e-3);
        (last, at) = (bytes, now);
        if rate >= limit as f64 {
            slow_since = None;
            continue;
        }
        let since = *slow_since.get_or_insert(now - tick);
        if now - since >= time {
            return Error::transfer(
                Transfer::TimedOut,
                format!(
                    "{what}: less than {limit} bytes/s for {}; transfer stopped (--speed-limit {limit} --speed-time {})",
                    crate::timing::human(time),
                    crate::timing::human(time)
                ),
                Some("raise --speed-time, or --speed-limit 0 to wait for as long as it takes".into()),
            );
        }
    }
}

/// Prints the report: on stderr when the body already went to stdout.
pub fn finish(out: &Output, report: &HttpReport) -> crate::error::Exit {
    use crate::output::Report;
    if out.format == Format::Human && report.report_on_stderr {
        crate::output::stderr_line(report.human(out).trim_end());
        return report.exit();
    }
    out.finish(report)
}

struct Session<'a> {
    args: &'a Args,
    global: &'a Global,
    dialer: Dialer,
    plan: Plan,
    destination: Destination,
    warnings: Vec<String>,
    hops: Vec<Hop>,
    jar: cookies::Jar,
}

/// What happened to the final body.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct BodyOutcome {
    /// Bytes written after decoding.
    pub bytes: u64,
    /// Bytes as they came off the wire.
    pub wire_bytes: u64,
    pub decoded: Option<String>,
    pub sha256: Option<String>,
    pub saved_to: Option<String>,
    pub on_stdout: bool,
}

impl Session<'_> {
    async fn exchange(&mut self) -> Result<BodyOutcome, Error> {
        let mut url = self.plan.url.clone();
        let mut method = self.plan.method.clone();
        let mut body = self.plan.body.clone();
        let mut headers = self.plan.headers.clone();
        let mut auth = self.plan.auth.clone();
        let mut conn: Option<Connection> = None;
        let mut visited: Vec<(String, Url)> = Vec::new();
        loop {
            let hop_start = Instant::now();
            let origin = Origin::from_url(&url)?;
            let reuse = conn.as_ref().is_some_and(|c| c.origin == origin && c.is_ready());
            if !reuse {
                drop(conn.take());
                conn = Some(self.dialer.connect(&origin).await?);
            }
            let Some(c) = conn.as_mut() else { unreachable!("connection set above") };
            let cookie = self.jar.header(&url);
            let request = self.build(&url, &method, &headers, [auth.as_ref(), cookie.as_ref()], body.as_ref(), c)?;
            let request_head = report::request_head(&request, c.setup.protocol, self.args.show_secrets);
            if self.global.verbose > 0 {
                report::print_request(&request_head);
            }
            let (response, exchange) = c.send(request).await?;
            let (parts, incoming) = response.into_parts();
            self.jar.store(&parts.headers, &url);
            if self.global.verbose > 0 {
                report::print_response(&parts, c.setup.protocol);
            }
            let location = parts.headers.get(hyper::header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
            let status = parts.status.as_u16();
            let follow = self.args.follow && redirect::is_redirect(status) && location.is_some();
            let setup = (!reuse).then(|| c.setup.clone());
            let mut hop =
                Hop::new(&method, &url, &parts, setup, c, &request_head, location.clone(), hop_start, &exchange);
            hop.redact_response(self.args.show_secrets);
            if self.args.include {
                let head = report::response_head_text(&parts, c.setup.protocol);
                self.write_head(&head)?;
            }
            visited.push((method.to_string(), url.clone()));

            if follow {
                // Read and drop this hop's body so the connection can carry the next request.
                let drained = drain(incoming, DRAIN_LIMIT).await;
                hop.finish(Instant::now(), drained.unwrap_or(0));
                if drained.is_none() {
                    conn = None;
                }
                self.hops.push(hop);
                let Some(location) = location else { unreachable!("follow needs a Location") };
                let mut next = redirect::target(&url, &location).map_err(Error::target)?;
                let next_auth = auth::take_from_url(&mut next);
                if self.hops.len() > self.args.max_redirs as usize {
                    return Err(Error::transfer(
                        Transfer::TooManyRedirects,
                        format!(
                            "stopped after {} redirects (--max-redirs {}); the next was to {next}",
                            self.args.max_redirs, self.args.max_redirs
                        ),
                        Some("raise --max-redirs, or follow the chain without -L to see it".into()),
                    ));
                }
                let (next_method, keep_body) = redirect::next_method(status, method.as_str());
                if let Some(path) = redirect::find_loop(&visited, &next_method, &next) {
                    return Err(Error::target(format!("redirect loop: {path}")));
                }
                if redirect::is_downgrade(&url, &next) {
                    let warning = format!("redirect from {url} downgrades to clear-text HTTP: {next}");
                    crate::output::stderr_line(&format!("netwalk: warning: {warning}"));
                    self.warnings.push(warning);
                }
                if redirect::crosses_host(&url, &next) {
                    // Credentials were meant for the first host only (curl does the same).
                    headers.retain(|(name, _)| *name != hyper::header::AUTHORIZATION && *name != hyper::header::COOKIE);
                    auth = None;
                }
                if let Some((user, password)) = next_auth {
                    auth = Some(auth::basic(&user, &password));
                }
                if !keep_body {
                    body = None;
                    headers.retain(|(name, _)| *name != hyper::header::CONTENT_TYPE);
                }
                method = Method::from_bytes(next_method.as_bytes()).unwrap_or(Method::GET);
                url = next;
                continue;
            }

            if self.args.fail && status >= 400 {
                hop.finish(Instant::now(), 0);
                self.hops.push(hop);
                return Err(Error::transfer(
                    Transfer::HttpError,
                    format!("{method} {url}: the server answered {} (--fail)", parts.status),
                    None,
                ));
            }
            let coding = if self.args.compressed {
                parts.headers.get(hyper::header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).and_then(Coding::parse)
            } else {
                None
            };
            let outcome = self.read_body(incoming, coding, &url).await;
            hop.finish(Instant::now(), outcome.as_ref().map(|o| o.wire_bytes).unwrap_or(0));
            self.hops.push(hop);
            return outcome;
        }
    }

    fn build(
        &self,
        url: &Url,
        method: &Method,
        extra: &[(HeaderName, Option<HeaderValue>)],
        [auth, cookie]: [Option<&HeaderValue>; 2],
        body: Option<&Upload>,
        conn: &Connection,
    ) -> Result<Request<ReqBody>, Error> {
        let h2 = conn.setup.protocol == "HTTP/2";
        let uri = if h2 || conn.absolute_form {
            url.as_str().to_string()
        } else {
            let mut path = url.path().to_string();
            if let Some(q) = url.query() {
                path = format!("{path}?{q}");
            }
            path
        };
        let mut headers = HeaderMap::new();
        if !h2 {
            let host = match url.port() {
                Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_string(),
            };
            headers.insert(hyper::header::HOST, header_value(&host)?);
        }
        headers.insert(
            hyper::header::USER_AGENT,
            HeaderValue::from_static(concat!("netwalk/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(hyper::header::ACCEPT, HeaderValue::from_static("*/*"));
        if self.args.compressed {
            headers.insert(hyper::header::ACCEPT_ENCODING, HeaderValue::from_static(body::ACCEPT_ENCODING));
        }
        if body.is_some() && !self.plan.upload {
            headers.insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        }
        if let Some(auth) = auth {
            headers.insert(hyper::header::AUTHORIZATION, auth.clone());
        }
        if let Some(cookie) = cookie {
            headers.insert(hyper::header::COOKIE, cookie.clone());
        }
        if let Some(proxy_auth) = &conn.proxy_auth {
            headers.insert(hyper::header::PROXY_AUTHORIZATION, proxy_auth.clone());
        }
        for (name, value) in conn.upgrade_headers() {
            headers.insert(name, value);
        }
        for (name, value) in extra {
            match value {
                // 'Name:' removes a default header; repeated -H of one name adds values.
                None => {
                    headers.remove(name);
                }
                Some(value) if is_default(name) => {
                    headers.insert(name.clone(), value.clone());
                }
                Some(value) => {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
        let mut request = Request::builder()
            .method(method.clone())
            .uri(uri.as_str())
            .body(match body {
                Some(upload) => upload.body()?,
                None => crate::net::http::full(Bytes::new()),
            })
            .map_err(|e| Error::usage(format!("cannot build a request for {url}: {e}")))?;
        *request.headers_mut() = headers;
        Ok(request)
    }

    fn write_head(&self, head: &str) -> Result<(), Error> {
        match &self.destination {
            Destination::Discard => Ok(()),
            _ if self.args.output.as_ref().is_some_and(|p| p.as_os_str() != "-") => Ok(()),
            _ => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(head.as_bytes()).map_err(|e| Error::io("cannot write to stdout", e))
            }
        }
    }

    async fn read_body(
        &mut self,
        mut incoming: hyper::body::Incoming,
        coding: Option<Coding>,
        url: &Url,
    ) -> Result<BodyOutcome, Error> {
        let hash = self.global.json || self.global.json_lines;
        let (writer, on_stdout, saved_to): (Box<dyn Write + Send>, bool, Option<String>) = match &self.destination {
            Destination::Stdout => (Box::new(std::io::stdout()), true, None),
            Destination::Discard => (Box::new(std::io::sink()), false, None),
            Destination::File(path) => {
                let file = std::fs::File::create(path)
                    .map_err(|e| Error::io(format!("cannot create the output file {}", path.display()), e))?;
                // Unbuffered: body chunks are already tens of KiB, a buffer would only copy them.
                (Box::new(file), false, Some(path.display().to_string()))
            }
        };
        let terminal = on_stdout && std::io::stdout().is_terminal();
        let refuse_binary = terminal && self.args.output.is_none();
        let cap = match (self.args.max_filesize, coding) {
            (Some(limit), _) => Some(limit),
            (None, _) if terminal => Some(TERMINAL_CAP),
            (None, Some(_)) => Some(DEFAULT_DECODED_CAP),
            (None, None) => None,
        };
        // A body announced larger than the cap is refused before a byte of it is read.
        if let (Some(limit), Some(len)) = (cap, hyper::body::Body::size_hint(&incoming).exact())
            && coding.is_none()
            && len > limit
        {
            return Err(too_large(url, limit, len, terminal, self.args.max_filesize.is_some()));
        }
        let sink = Sink::new(writer, cap, hash, refuse_binary);
        let mut decoder = Decoder::new(coding, sink).map_err(|e| Error::io("cannot start the decoder", e))?;
        let mut wire_bytes = 0u64;
        let authority = Origin::from_url(url)?.authority();
        let failed = |e: std::io::Error, wire: u64| -> Error {
            if let Some(limit) = body::too_large(&e) {
                let what = if coding.is_some() { "decoded body" } else { "body" };
                let bomb = if coding.is_some() { " (a decompression bomb?)" } else { "" };
                let hint = if terminal && self.args.max_filesize.is_none() {
                    "the cap for a terminal: save it with -o FILE, or raise --max-filesize"
                } else {
                    "raise --max-filesize if this size is expected"
                };
                return Error::target_with_hint(
                    format!(
                        "the {what} of {url} exceeds {limit} bytes after {wire} bytes received{bomb}; transfer stopped at {limit} bytes"
                    ),
                    hint,
                );
            }
            if body::is_binary_refusal(&e) {
                return Error::usage_with_hint(
                    format!("the body of {url} is binary and stdout is a terminal"),
                    "save it with -o FILE, or force it with -o -",
                );
            }
            match e.kind() {
                // A closed pipe (`| head`) is the reader's choice, as in Output::line.
                std::io::ErrorKind::BrokenPipe if on_stdout => std::process::exit(0),
                std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::InvalidData
                | std::io::ErrorKind::InvalidInput
                | std::io::ErrorKind::Other => Error::target(format!("the body of {url} could not be decoded ({e})")),
                _ => Error::io("cannot write the body", e),
            }
        };
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| body_error(&authority, url, wire_bytes, &e))?;
            let Ok(data) = frame.into_data() else { continue };
            wire_bytes += data.len() as u64;
            if coding.is_none()
                && let Some(limit) = self.args.max_filesize
                && wire_bytes > limit
            {
                return Err(Error::target_with_hint(
                    format!("the body of {url} exceeds --max-filesize {limit} bytes; transfer stopped"),
                    "raise --max-filesize if this size is expected",
                ));
            }
            decoder.write_chunk(&data).map_err(|e| failed(e, wire_bytes))?;
        }
        let mut sink = decoder.finish().map_err(|e| failed(e, wire_bytes))?;
        Ok(BodyOutcome {
            bytes: sink.written,
            wire_bytes,
            decoded: coding.map(|c| format!("{c:?}").to_ascii_lowercase()),
            sha256: sink.sha256(),
            saved_to,
            on_stdout,
        })
    }
}

/// A body that could not be read to its end: cut short is curl's 18.
fn body_error(authority: &str, url: &Url, wire: u64, err: &hyper::Error) -> Error {
    let mut cut = err.is_incomplete_message();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        cut |= inner.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof);
        source = inner.source();
    }
    let plain = crate::net::http::protocol_error(authority, err);
    if !cut {
        return plain;
    }
    Error::transfer(Transfer::Partial, format!("{plain} (the body of {url} ended after {wire} bytes)"), None)
}

fn too_large(url: &Url, limit: u64, len: u64, terminal: bool, explicit: bool) -> Error {
    let hint = if terminal && !explicit {
        "the cap for a terminal: save it with -o FILE, or raise --max-filesize"
    } else {
        "raise --max-filesize if this size is expected"
    };
    Error::target_with_hint(
        format!("the body of {url} is {len} bytes (Content-Length), more than the {limit}-byte cap; nothing was read"),
        hint,
    )
}

/// Headers netwalk sets itself, which a -H of the same name replaces.
fn is_default(name: &HeaderName) -> bool {
    [
        hyper::header::HOST,
        hyper::header::USER_AGENT,
        hyper::header::ACCEPT,
        hyper::header::ACCEPT_ENCODING,
        hyper::header::CONTENT_TYPE,
        hyper::header::AUTHORIZATION,
        hyper::header::COOKIE,
    ]
    .contains(name)
}

fn header_value(text: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(text).map_err(|_| Error::usage(format!("'{text}' cannot be sent in a header")))
}

/// Reads and drops a body up to `limit` bytes; None when it was larger or broke.
async fn drain(mut incoming: hyper::body::Incoming, limit: u64) -> Option<u64> {
    let mut total = 0u64;
    while let Some(frame) = incoming.frame().await {
        let data = frame.ok()?.into_data().unwrap_or_default();
        total += data.len() as u64;
        if total > limit {
            return None;
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_and_connect_to_syntax() {
        let r = parse_resolve("web.test:443:198.18.1.2").unwrap();
        assert_eq!((r.host.as_str(), r.port, r.addr.to_string().as_str()), ("web.test", 443, "198.18.1.2"));
        let r = parse_resolve("Web.Test:80:[2001:db8::2]").unwrap();
        assert_eq!((r.host.as_str(), r.addr.to_string().as_str()), ("web.test", "2001:db8::2"));
        assert!(parse_resolve("web.test:443").is_err());
        assert!(parse_resolve("web.test:x:198.18.1.2").is_err());
        let c = parse_connect_to("web.test:443:[2001:db8::9]:8443").unwrap();
        assert_eq!(c.from_host.as_deref(), Some("web.test"));
        assert_eq!((c.from_port, c.to_host.as_deref(), c.to_port), (Some(443), Some("2001:db8::9"), Some(8443)));
        let c = parse_connect_to("::backend.test:").unwrap();
        assert_eq!((c.from_host, c.from_port, c.to_port), (None, None, None));
        assert!(parse_connect_to("a:b").is_err());
    }

    #[test]
    fn urls_headers_and_dates() {
        assert_eq!(parse_url("web.test/x").unwrap().as_str(), "http://web.test/x");
        assert_eq!(parse_url("ftp://web.test/").unwrap_err().exit(), crate::error::Exit::Usage);
        assert_eq!(parse_url("http://").unwrap_err().exit(), crate::error::Exit::Usage);
        assert!(parse_header("X-A: 1").unwrap().1.is_some());
        assert!(parse_header("Accept:").unwrap().1.is_none());
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
        assert_eq!(parse_date("2015-10-21T07:28:00Z").unwrap(), "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap(), "Wed, 21 Oct 2015 07:28:00 GMT");
        assert!(parse_date("yesterday").is_err());
    }
}
