//! Runs a `+trace` walk: the priming query, then one query per referral,
//! each to the first server of the zone that answers, as the trace engine
//! directs. Every step is kept, failed attempts included, so the report
//! shows which server was asked and how long it took.

use super::grammar::{Question, Settings};
use super::trace::{self, MAX_STEPS, NameServer, Next};
use super::{Job, Outcome, QueryResult, exchange, query, random_bytes};
use crate::error::Error;
use crate::net::resolve::Resolver;
use crate::target;
use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

/// Addresses tried per step before the zone counts as unreachable.
const ATTEMPTS_PER_STEP: usize = 4;

/// One query of the walk: which zone's server was asked, and what came back.
#[derive(Debug, Clone)]
pub struct TraceStep {
    pub zone: String,
    pub server_name: String,
    pub server: SocketAddr,
    pub question: Question,
    pub sent_cookie: Option<[u8; 8]>,
    pub notes: Vec<String>,
    pub outcome: Outcome,
}

/// Where the walk starts: root hints (RD=0), the server given with @ (RD=1, as dig does), or the
/// resolv.conf resolver (RD=1) with the root hints as the fallback when it does not answer.
pub enum Start {
    Hints,
    Server { name: String, addr: IpAddr },
    Resolver { addr: IpAddr },
}

pub async fn walk(job: Job, hints: &[NameServer], start: Start) -> Result<QueryResult, Error> {
    let s = &job.settings;
    let qname = query::wire_name(&job.question.name).map_err(Error::usage)?.to_ascii().to_ascii_lowercase();
    let resolver = Resolver::system(s.family);
    let mut steps: Vec<TraceStep> = Vec::new();
    let root = Question { name: ".".into(), qtype: 2, qclass: job.question.qclass };
    let (first, rd, fallback) = match start {
        Start::Hints => (hints.to_vec(), false, false),
        Start::Server { name, addr } => (vec![NameServer { name, addrs: vec![addr] }], true, false),
        Start::Resolver { addr } => (vec![NameServer { name: addr.to_string(), addrs: vec![addr] }], true, true),
    };
    let mut primed = ask_zone(".", &first, &root, s, rd, &resolver, &mut steps).await?;
    if primed.is_none() && fallback {
        primed = ask_zone(".", hints, &root, s, false, &resolver, &mut steps).await?;
    }
    let mut next = match primed {
        Some(msg) => trace::after_priming(&msg, hints, s.family),
        None => Next::Stuck("no root server answered the priming query (. NS)".into()),
    };
    let mut error = None;
    loop {
        next = match next {
            Next::Referral { zone, servers } => {
                match ask_zone(&zone, &servers, &job.question, s, false, &resolver, &mut steps).await? {
                    Some(msg) => trace::after_reply(&msg, &qname, &zone, s.family),
                    None => Next::Stuck(format!("no server of {zone} answered")),
                }
            }
            Next::Done => break,
            Next::Stuck(why) => {
                error = Some(why);
                break;
            }
        };
        if let Next::Referral { zone, .. } = &next
            && steps.len() > MAX_STEPS
        {
            error = Some(format!("gave up after {MAX_STEPS} referrals (last to {zone})"));
            break;
        }
    }
    let last = steps.last();
    let outcome = match (&error, last) {
        (None, Some(step)) => step.outcome.clone(),
        (Some(why), _) => Outcome::NoResponse { reason: why.clone() },
        (None, None) => Outcome::NoResponse { reason: "no server was asked".into() },
    };
    Ok(QueryResult {
        cmdline: job.cmdline.clone(),
        question: job.question.clone(),
        settings: job.settings.clone(),
        server: last.map(|st| st.server),
        sent_cookie: last.and_then(|st| st.sent_cookie),
        notes: Vec::new(),
        outcome,
        when: SystemTime::now(),
        trace: Some(steps),
        transfer: None,
    })
}

/// Asks the servers of one zone in order until one gives a usable reply.
async fn ask_zone(
    zone: &str,
    servers: &[NameServer],
    question: &Question,
    base: &Settings,
    rd: bool,
    resolver: &Resolver,
    steps: &mut Vec<TraceStep>,
) -> Result<Option<Box<crate::wire::dns::Message>>, Error> {
    let settings = Settings { recurse: rd, ..base.clone() };
    let mut attempts = 0;
    for ns in servers {
        let mut addrs = ns.addrs.clone();
        if addrs.is_empty() {
            // No glue: find the server's address as dig does, through the system resolver.
            match target::parse_host(&ns.name, &ns.name) {
                Ok(host) => match resolver.resolve(&host).await {
                    Ok(r) => addrs = r.addrs,
                    Err(e) => {
                        tracing::debug!(server = %ns.name, error = %e, "no address for a name server");
                        continue;
                    }
                },
                Err(_) => continue,
            }
        }
        for addr in addrs {
            if attempts == ATTEMPTS_PER_STEP {
                return Ok(None);
            }
            attempts += 1;
            let server = SocketAddr::new(addr, settings.server_port());
            let [a, b, c @ ..]: [u8; 10] = random_bytes();
            let sent = query::build(question, &settings, u16::from_be_bytes([a, b]), c).map_err(Error::usage)?;
            // The exchange blocks (poll, no runtime): on the blocking pool, so other walks and DoT/DoH go on.
            let (query, step_settings) = (sent.clone(), settings.clone());
            let (outcome, notes) = tokio::task::spawn_blocking(move || exchange(server, &query, &step_settings))
                .await
                .map_err(|e| Error::io("a +trace query failed", std::io::Error::other(e)))?;
            let reply = match &outcome {
                Outcome::Reply { msg, .. } => Some(msg.clone()),
                _ => None,
            };
            steps.push(TraceStep {
                zone: zone.to_string(),
                server_name: ns.name.clone(),
                server,
                question: question.clone(),
                sent_cookie: sent.cookie,
                notes,
                outcome,
            });
            if reply.is_some() {
                return Ok(reply);
            }
        }
    }
    Ok(None)
}
