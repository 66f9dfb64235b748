//! `netwalk dig`: dig's command line and BIND's output, over UDP with TCP
//! fallback, EDNS options, -x, batches (-f) and the system resolution path.

pub mod grammar;
mod idn;
mod iterate;
mod layout;
pub mod query;
mod render;
mod secure;
pub mod system;
pub mod trace;
pub mod transfer;

use crate::cli::Global;
use crate::error::{Error, Exit};
use crate::net::dns::{UdpQuery, tcp_exchange, udp_exchange_many};
use crate::net::resolve::{Family, Resolver};
use crate::target;
use grammar::{Line, Question, Settings};
use query::{Sent, Verdict, judge};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use render::DigReport;
pub use system::SystemReport;

/// How many batch queries are in flight at once.
const BATCH_PARALLEL: usize = 64;
/// How many TCP exchanges (+tcp, truncated replies) run at once.
const TCP_PARALLEL: usize = 8;
/// A -f file larger than this is refused rather than read into memory.
const BATCH_MAX_BYTES: u64 = 16 << 20;

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Arguments follow dig: netwalk dig [@server] [-p PORT] [-t TYPE] [-c CLASS] [-x ADDR] [-f FILE]\n",
    "[-q NAME] [-4|-6] NAME [TYPE] [CLASS] [+options]. Several names make several queries.\n\n",
    "+options (each also as +noOPTION):\n",
    "  +tcp (+vc)           use TCP instead of UDP\n",
    "  +ignore              do not retry over TCP when the reply is truncated (TC=1)\n",
    "  +short               print only the record data of the answer\n",
    "  +[no]cmd +[no]comments +[no]question +[no]answer +[no]authority\n",
    "  +[no]additional +[no]stats +[no]all   choose what is printed\n",
    "  +dnssec              set the DO bit (ask for RRSIGs)\n",
    "  +[no]edns[=VERSION]  send an OPT record (default on, version 0)\n",
    "  +bufsize=N           advertised UDP payload size (default 1232)\n",
    "  +nsid                ask for the server's NSID\n",
    "  +[no]cookie          send a client cookie (default on)\n",
    "  +subnet=ADDR/LEN     send an EDNS Client Subnet option\n",
    "  +[no]recurse         set RD (default on)\n",
    "  +time=SECONDS        wait per try (default 5)\n",
    "  +tries=N +retry=N    UDP attempts (default 3 tries)\n",
    "  +tls                 DNS over TLS (RFC 7858, port 853); the certificate must verify\n",
    "  +https[=PATH]        DNS over HTTPS (RFC 8484) on HTTP/2, POST to PATH (default\n",
    "                       /dns-query, port 443); +https-get[=PATH] sends GET ?dns=\n",
    "                       Certificates are checked against the system store and --ca-file,\n",
    "                       for the @server name or address; one that fails is exit 1.\n",
    "  +trace               iterate from the root servers (or --root-hints) with RD=0, printing\n",
    "                       each referral and the server that gave it; implies +dnssec\n",
    "  +[no]multiline       long records (SOA, keys, signatures, digests) over several lines\n",
    "                       with BIND's comments (SOA field names, key role, algorithm, key id)\n",
    "  +split=W, +nosplit   base64/hex fields in chunks of W characters (rounded up to a multiple\n",
    "                       of 4; default 56, 44 under +multiline); +nosplit keeps them whole\n",
    "  +[no]idnout          show names in Unicode instead of A-labels (xn--) when stdout is a\n",
    "                       terminal (default on, as dig); never in pipes, files or --json\n\n",
    "Without @server the first nameserver of /etc/resolv.conf is asked.\n",
    "Examples:\n",
    "  netwalk dig @198.18.3.2 example.test MX\n",
    "  netwalk dig +noall +answer -x 198.18.3.10\n",
    "  netwalk dig @198.18.3.2 -f queries.txt +short\n",
    "  netwalk dig --system www.test\n",
    "  netwalk dig --expect-rcode NOERROR @198.18.3.2 www.example.test\n\n",
    "--json prints {\"queries\": [...]}: per query the server, transport, status, rcode, id,\n",
    "flags, edns (version, udp_size, flags, options with decoded nsid/cookie/subnet),\n",
    "question/answer/authority/additional records {name, ttl, class, type, data},\n",
    "query_time_ms, when, msg_size, notes, or error when nothing usable came back.\n\n",
    "Exit codes: 0 every query got a response (any RCODE, as dig); 1 some server did not\n",
    "answer, answered garbage, or --expect-rcode did not match; 2 usage or input error;\n",
    "3 environment (no resolv.conf server, sockets)."
))]
pub struct Args {
    /// Exit 1 unless every response has this RCODE (NOERROR, NXDOMAIN, SERVFAIL, ... or a number)
    #[arg(long, value_name = "RCODE", value_parser = parse_rcode_arg)]
    pub expect_rcode: Option<u16>,

    /// Resolve NAME as the operating system does (hosts file, then resolv.conf servers and search list) and say which source answered
    #[arg(long, value_name = "NAME")]
    pub system: Option<String>,

    /// Root hints for +trace (named.root format: `. NS name` and `name A|AAAA addr` lines) instead of the built-in IANA root servers
    #[arg(long, value_name = "FILE")]
    pub root_hints: Option<std::path::PathBuf>,

    /// Also trust the certificate authorities in this PEM file for +tls and +https (the system store is always trusted)
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,

    /// dig arguments: [@server] [-t TYPE] [-x ADDR] [-f FILE] NAME [TYPE] [CLASS] [+options]
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub words: Vec<String>,
}

fn parse_rcode_arg(text: &str) -> Result<u16, String> {
    crate::wire::dns_text::parse_rcode(text).ok_or_else(|| format!("'{text}' is not an RCODE name or number"))
}

/// One query to run: the question, its settings, and the words that asked it.
#[derive(Debug, Clone)]
struct Job {
    question: Question,
    settings: Settings,
    cmdline: String,
}

/// How a reply travelled, as dig names it on the SERVER line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Https,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Https => "HTTPS",
        }
    }
}

/// What came back for one query.
#[derive(Debug, Clone)]
pub enum Outcome {
    Reply { msg: Box<crate::wire::dns::Message>, size: usize, elapsed: Duration, transport: Transport },
    Bad { header: crate::wire::dns::Header, error: String, raw: Vec<u8> },
    NoResponse { reason: String },
}

#[derive(Debug)]
pub struct QueryResult {
    pub cmdline: String,
    pub question: Question,
    pub settings: Settings,
    pub server: Option<SocketAddr>,
    pub sent_cookie: Option<[u8; 8]>,
    pub notes: Vec<String>,
    pub outcome: Outcome,
    pub when: SystemTime,
    /// Every step of a +trace walk, in order.
    pub trace: Option<Vec<iterate::TraceStep>>,
    /// What an AXFR/IXFR received, complete or not.
    pub transfer: Option<transfer::Transfer>,
}

pub enum DigOutput {
    Queries(DigReport),
    System(SystemReport),
}

pub fn run(args: Args, global: &Global) -> Result<DigOutput, Error> {
    let mut base = Settings::default();
    if global.family() != Family::Any {
        base.family = global.family();
    }
    if let Some(name) = &args.system {
        if !args.words.is_empty() {
            return Err(Error::usage("--system takes one name and no dig arguments"));
        }
        return Ok(DigOutput::System(system::resolve(name, base.family, true, None)?));
    }
    let line = grammar::parse(&args.words, &base).map_err(Error::usage)?;
    let mut jobs = Vec::new();
    if let Some(path) = &line.batch_file {
        jobs.extend(batch_jobs(path, &line)?);
    }
    // With -f the parser adds no default question, so these are only names typed on the command line.
    jobs.extend(line_jobs(&line, &args.words.join(" ")));
    // Resolve each distinct @server once, up front, so a bad one is a usage error before any query.
    // resolv.conf is read, and the system resolver built, only when a job needs them.
    let mut servers: Vec<(Option<String>, Family, IpAddr)> = Vec::new();
    let mut default_server = None;
    for job in &jobs {
        if job.settings.trace && job.settings.server.is_none() {
            continue; // +trace starts from the root hints
        }
        let key = (job.settings.server.clone(), job.settings.family);
        if servers.iter().any(|(s, f, _)| (s, f) == (&key.0, &key.1)) {
            continue;
        }
        let ip = match &key.0 {
            Some(text) => {
                let host = target::parse_host(text, text).map_err(|_| {
                    Error::usage_with_hint(
                        format!("'@{text}' is not a server address or name"),
                        "use @ADDRESS or @HOSTNAME",
                    )
                })?;
                match host {
                    target::Host::Ip(ip) if key.1.allows(ip) => ip,
                    // Names (and a literal of the wrong family, which it reports) go through the system resolver.
                    host => crate::block_on(Resolver::system(key.1).resolve(&host))??.addrs[0],
                }
            }
            None => default_server.get_or_insert_with(system::first_nameserver).clone().map_err(|e| Error::Io {
                what: "no server given and none usable in /etc/resolv.conf".into(),
                source: std::io::Error::other(e),
            })?,
        };
        servers.push((key.0, key.1, ip));
    }
    if jobs.iter().any(|j| j.settings.trace && (j.settings.tls || j.settings.https.is_some())) {
        return Err(Error::usage("+trace asks each server over UDP/TCP; it cannot be combined with +tls or +https"));
    }
    let tls = match jobs.iter().any(|j| j.settings.tls || j.settings.https.is_some()) {
        true => Some(crate::net::tls_client::client_config(args.ca_file.as_deref())?),
        false => None,
    };
    let hints =
        Arc::new(if jobs.iter().any(|j| j.settings.trace) { root_hints(&args, base.family)? } else { Vec::new() });
    // As BIND's dig, +trace without @server first asks the configured resolver for the root servers
    // (`. NS`), so it works where only that resolver can reach them; --root-hints skips that step.
    let trace_resolver =
        match args.root_hints.is_none() && jobs.iter().any(|j| j.settings.trace && j.settings.server.is_none()) {
            true => system::first_nameserver().ok(),
            false => None,
        };

    let mut plain = Vec::new();
    let mut rest = Vec::new();
    let mut xfr = Vec::new();
    for (index, job) in jobs.into_iter().enumerate() {
        let ip = servers
            .iter()
            .find(|(s, f, _)| s == &job.settings.server && *f == job.settings.family)
            .map(|(_, _, ip)| *ip)
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let s = &job.settings;
        let is_xfr = matches!(job.question.qtype, 251 | 252);
        match s.trace || s.tls || s.https.is_some() {
            false if is_xfr => xfr.push((index, job, ip)),
            false => plain.push((index, job, ip)),
            true => rest.push((index, job, ip)),
        }
    }
    let mut results: Vec<Option<QueryResult>> = Vec::new();
    let mut place = |index: usize, result: QueryResult| {
        if results.len() <= index {
            results.resize_with(index + 1, || None);
        }
        results[index] = Some(result);
    };
    // UDP and TCP queries, all at once over shared sockets, with no runtime.
    for (index, result) in ask_plain(plain)? {
        place(index, result);
    }
    // Zone transfers: TCP, every message, one transfer at a time.
    for (index, job, ip) in xfr {
        place(index, ask_transfer(&job, ip)?);
    }
    // DoT, DoH and +trace are async: a runtime for them alone.
    if !rest.is_empty() {
        for (index, result) in crate::block_on(ask_async(rest, hints, trace_resolver, tls))?? {
            place(index, result);
        }
    }
    Ok(DigOutput::Queries(DigReport {
        results: results.into_iter().flatten().collect(),
        expect_rcode: args.expect_rcode,
    }))
}

/// +tls, +https and +trace jobs, `BATCH_PARALLEL` at a time (each +trace step's
/// blocking UDP/TCP exchange runs on the blocking pool, so walks overlap).
async fn ask_async(
    jobs: Vec<(usize, Job, IpAddr)>,
    hints: Arc<Vec<trace::NameServer>>,
    trace_resolver: Option<IpAddr>,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Vec<(usize, QueryResult)>, Error> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(BATCH_PARALLEL));
    let mut set = tokio::task::JoinSet::new();
    for (index, job, ip) in jobs {
        let permit = semaphore.clone();
        let hints = hints.clone();
        let tls = tls.clone();
        set.spawn(async move {
            let _permit = permit.acquire_owned().await;
            let result = if job.settings.trace {
                let start = match (&job.settings.server, trace_resolver) {
                    (Some(name), _) => iterate::Start::Server { name: name.clone(), addr: ip },
                    (None, Some(addr)) => iterate::Start::Resolver { addr },
                    (None, None) => iterate::Start::Hints,
                };
                iterate::walk(job, &hints, start).await
            } else {
                ask_secure(job, SocketAddr::new(ip, 0), tls).await
            };
            (index, result)
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = set.join_next().await {
        let (index, result) = joined.map_err(|e| Error::io("a query task failed", std::io::Error::other(e)))?;
        done.push((index, result?));
    }
    Ok(done)
}

/// The --root-hints file, or the built-in root servers.
fn root_hints(args: &Args, family: Family) -> Result<Vec<trace::NameServer>, Error> {
    let Some(path) = &args.root_hints else {
        return Ok(trace::builtin_hints(family));
    };
    let shown = path.display();
    let text = crate::input::read_text_capped("--root-hints", path, BATCH_MAX_BYTES)?;
    trace::parse_hints(&text, family).map_err(|e| Error::usage(format!("--root-hints {shown}: {e}")))
}

fn line_jobs(line: &Line, cmdline: &str) -> Vec<Job> {
    line.questions
        .iter()
        .map(|q| Job { question: q.clone(), settings: line.settings.clone(), cmdline: cmdline.to_string() })
        .collect()
}

fn batch_jobs(path: &str, line: &Line) -> Result<Vec<Job>, Error> {
    let text = crate::input::read_text_capped("-f", std::path::Path::new(path), BATCH_MAX_BYTES)?;
    let mut jobs = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let words: Vec<String> = trimmed.split_whitespace().map(String::from).collect();
        let parsed = grammar::parse(&words, &line.settings)
            .map_err(|e| Error::usage(format!("-f {path} line {}: {e}", n + 1)))?;
        if parsed.batch_file.is_some() {
            return Err(Error::usage(format!("-f {path} line {}: -f cannot be nested", n + 1)));
        }
        jobs.extend(line_jobs(&parsed, trimmed));
    }
    Ok(jobs)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // getrandom(2) never fails for small buffers once the pool is ready; fall back to the clock.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), N, 0) };
    if n != N as isize {
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (nanos >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
    buf
}

/// A fresh query for `job`, and the result it will fill in.
fn prepare(job: &Job, server: SocketAddr) -> Result<(Sent, QueryResult), Error> {
    let s = &job.settings;
    let server = SocketAddr::new(server.ip(), s.server_port());
    let [a, b, c @ ..]: [u8; 10] = random_bytes();
    // RFC 8484 4.1: DoH queries carry ID 0 so that HTTP caches can share them.
    let id = if s.https.is_some() { 0 } else { u16::from_be_bytes([a, b]) };
    let sent = query::build(&job.question, s, id, c).map_err(Error::usage)?;
    let result = QueryResult {
        cmdline: job.cmdline.clone(),
        question: job.question.clone(),
        settings: job.settings.clone(),
        server: Some(server),
        sent_cookie: sent.cookie,
        notes: Vec::new(),
        outcome: Outcome::NoResponse { reason: String::new() },
        when: SystemTime::now(),
        trace: None,
        transfer: None,
    };
    Ok((sent, result))
}

async fn ask_secure(
    job: Job,
    server: SocketAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<QueryResult, Error> {
    let (sent, mut result) = prepare(&job, server)?;
    let server = result.server.unwrap_or(server);
    let s = &job.settings;
    let Some(config) = &tls else { return Err(Error::usage("+tls and +https need a TLS configuration")) };
    let peer = secure::peer(s, server, config).map_err(Error::usage)?;
    result.outcome = secure::exchange(server, &sent, s, &peer).await;
    result.when = SystemTime::now();
    Ok(result)
}

/// An AXFR or IXFR over TCP (as dig, whatever +tcp says): every message until the closing SOA.
fn ask_transfer(job: &Job, ip: IpAddr) -> Result<QueryResult, Error> {
    let (sent, mut result) = prepare(job, SocketAddr::new(ip, 0))?;
    let server = result.server.unwrap_or(SocketAddr::new(ip, 53));
    let mut xfr = transfer::Xfr::new(job.question.qtype == 251);
    let mut failed = None;
    let mut last = None;
    let ran = crate::net::dns::tcp_messages(server, &sent.bytes, job.settings.time, |data| {
        match xfr.feed(data, server, &sent) {
            Ok(more) => {
                if !more {
                    last = crate::wire::dns::Message::parse(data).ok();
                }
                more
            }
            Err(why) => {
                failed = Some(why);
                false
            }
        }
    });
    let mut t = xfr.transfer;
    result.when = SystemTime::now();
    result.outcome = match (ran, failed, last) {
        (Ok(elapsed), None, Some(msg)) => {
            Outcome::Reply { msg: Box::new(msg), size: t.bytes, elapsed, transport: Transport::Tcp }
        }
        (Ok(_), Some(why), _) | (Err(_), Some(why), _) => Outcome::NoResponse { reason: why },
        (Err(e), None, _) => {
            Outcome::NoResponse { reason: format!("communications error to {} over TCP: {e}", query::endpoint(server)) }
        }
        (Ok(_), None, None) => Outcome::NoResponse { reason: "the transfer ended without a message".into() },
    };
    if let Outcome::NoResponse { reason } = &result.outcome {
        t.failed = Some(reason.clone());
    }
    result.transfer = Some(t);
    Ok(result)
}

/// Plain UDP/TCP jobs: every query built, then all exchanged together.
fn ask_plain(jobs: Vec<(usize, Job, IpAddr)>) -> Result<Vec<(usize, QueryResult)>, Error> {
    let mut prepared = Vec::with_capacity(jobs.len());
    for (index, job, ip) in &jobs {
        let (sent, result) = prepare(job, SocketAddr::new(*ip, 0))?;
        prepared.push((*index, sent, result));
    }
    let asks: Vec<Ask> = prepared
        .iter()
        .map(|(_, sent, r)| Ask {
            server: r.server.unwrap_or(SocketAddr::new([0, 0, 0, 0].into(), 53)),
            sent,
            settings: &r.settings,
        })
        .collect();
    let outcomes = exchange_all(&asks);
    let now = SystemTime::now();
    Ok(prepared
        .into_iter()
        .zip(outcomes)
        .map(|((index, _, mut result), (outcome, notes))| {
            result.outcome = outcome;
            result.notes = notes;
            result.when = now;
            (index, result)
        })
        .collect())
}

/// One query for [`exchange_all`].
struct Ask<'a> {
    server: SocketAddr,
    sent: &'a Sent,
    settings: &'a Settings,
}

/// One query: UDP first (unless +tcp), then TCP when the reply is truncated (unless +ignore).
fn exchange(server: SocketAddr, sent: &Sent, s: &Settings) -> (Outcome, Vec<String>) {
    let mut all = exchange_all(&[Ask { server, sent, settings: s }]);
    all.pop().unwrap_or_else(|| (Outcome::NoResponse { reason: "no query was sent".into() }, Vec::new()))
}

/// Every query at once: the UDP ones in flight together over shared sockets,
/// then TCP (+tcp, and truncated replies unless +ignore) on a few threads.
fn exchange_all(asks: &[Ask]) -> Vec<(Outcome, Vec<String>)> {
    let mut notes: Vec<Vec<String>> = asks.iter().map(|_| Vec::new()).collect();
    let mut outcomes: Vec<Option<Outcome>> = asks.iter().map(|_| None).collect();
    let udp: Vec<usize> = (0..asks.len()).filter(|&i| !asks[i].settings.tcp).collect();
    let queries: Vec<UdpQuery> = udp
        .iter()
        .map(|&i| {
            let a = &asks[i];
            UdpQuery {
                server: a.server,
                bytes: &a.sent.bytes,
                id: a.sent.id,
                timeout: a.settings.time,
                tries: a.settings.tries,
            }
        })
        .collect();
    let mut said = 0;
    let replies = udp_exchange_many(
        &queries,
        BATCH_PARALLEL,
        |k, data, from| {
            let a = &asks[udp[k]];
            match judge(data, from, a.server, a.sent) {
                Verdict::Ignore(why) => {
                    notes[udp[k]].push(why);
                    None
                }
                verdict => Some((verdict, data.to_vec())),
            }
        },
        |k, attempt, of| {
            let a = &asks[udp[k]];
            if a.settings.say_waits {
                say_waiting(&mut said, a.server, "", a.settings.time, attempt, of);
            }
        },
    );
    for (k, reply) in replies.into_iter().enumerate() {
        let i = udp[k];
        let (a, s) = (&asks[i], asks[i].settings);
        outcomes[i] = match reply {
            Err(e) => Some(Outcome::NoResponse {
                reason: format!("communications error to {}: {e}", query::endpoint(a.server)),
            }),
            Ok(None) => Some(Outcome::NoResponse {
                reason: format!(
                    "no response from {} after {} tries of {} s",
                    query::endpoint(a.server),
                    s.tries,
                    s.time.as_secs()
                ),
            }),
            Ok(Some(got)) => match got.value {
                (Verdict::Reply(msg), _) if msg.header.tc && !s.ignore => {
                    notes[i].push("Truncated, retrying in TCP mode.".into());
                    None
                }
                (Verdict::Reply(msg), _) => {
                    Some(Outcome::Reply { msg, size: got.size, elapsed: got.elapsed, transport: Transport::Udp })
                }
                (Verdict::Bad { header, error }, raw) => Some(Outcome::Bad { header, error, raw }),
                (Verdict::Ignore(why), _) => Some(Outcome::NoResponse { reason: why }),
            },
        };
    }
    // Over TCP: what is left, a few connections at a time.
    let tcp: Vec<usize> = (0..asks.len()).filter(|&i| outcomes[i].is_none()).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..tcp.len().min(TCP_PARALLEL) {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = tcp.get(k) else { break };
                    let outcome = over_tcp(asks[i].server, asks[i].sent, asks[i].settings);
                    done.lock().unwrap_or_else(|e| e.into_inner()).push((i, outcome));
                }
            });
        }
    });
    for (i, outcome) in done.into_inner().unwrap_or_else(|e| e.into_inner()) {
        outcomes[i] = Some(outcome);
    }
    outcomes
        .into_iter()
        .zip(notes)
        .map(|(o, n)| (o.unwrap_or(Outcome::NoResponse { reason: "no query was sent".into() }), n))
        .collect()
}

/// Stderr lines shown per batch before the rest are summed up: a dead server must not bury the answers.
const WAIT_LINES: usize = 20;

/// One stderr line per unanswered try, so a silent server is never a silent wait.
fn say_waiting(said: &mut usize, server: SocketAddr, over: &str, time: Duration, attempt: u32, of: u32) {
    *said += 1;
    let next = if attempt < of { "trying again" } else { "giving up" };
    match *said {
        n if n <= WAIT_LINES => crate::output::stderr_line(&format!(
            ";; no response from {}{over} within {} s (try {attempt} of {of}), {next}",
            query::endpoint(server),
            time.as_secs()
        )),
        n if n == WAIT_LINES + 1 => {
            crate::output::stderr_line(";; more tries without a response; not shown one by one")
        }
        _ => {}
    }
}

fn over_tcp(server: SocketAddr, sent: &Sent, s: &Settings) -> Outcome {
    let mut last = String::new();
    let of = s.tries.max(1);
    let mut said = 0;
    for attempt in 1..=of {
        match tcp_exchange(server, &sent.bytes, s.time) {
            Ok(Some((data, elapsed))) => {
                return match judge(&data, server, server, sent) {
                    Verdict::Reply(msg) => Outcome::Reply { msg, size: data.len(), elapsed, transport: Transport::Tcp },
                    Verdict::Bad { header, error } => Outcome::Bad { header, error, raw: data },
                    Verdict::Ignore(why) => Outcome::NoResponse { reason: format!("over TCP: {why}") },
                };
            }
            Ok(None) => {
                if s.say_waits {
                    say_waiting(&mut said, server, " over TCP", s.time, attempt, of);
                }
                last = format!(
                    "no response from {} over TCP after {attempt} tries of {} s ({} s)",
                    query::endpoint(server),
                    s.time.as_secs(),
                    s.time.as_secs() * attempt as u64
                )
            }
            Err(e) => {
                last = format!("communications error to {} over TCP: {e}", query::endpoint(server));
                if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    break;
                }
            }
        }
    }
    Outcome::NoResponse { reason: last }
}

impl From<DigOutput> for Box<dyn crate::output::Report> {
    fn from(out: DigOutput) -> Self {
        match out {
            DigOutput::Queries(r) => Box::new(r),
            DigOutput::System(r) => Box::new(r),
        }
    }
}

pub(crate) fn exit_for(results: &[QueryResult], expect: Option<u16>) -> Exit {
    let ok = results.iter().all(|r| match &r.outcome {
        Outcome::Reply { msg, .. } => expect.is_none_or(|want| msg.rcode() == want),
        _ => false,
    });
    if ok { Exit::Passed } else { Exit::Failed }
}
