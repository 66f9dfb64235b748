//! The HTTP side: hyper's HTTP/1.1 server, `/probe` (blackbox_exporter's
//! query parameters and timeout header), `/metrics`, `/-/healthy`.

use super::config::Config;
use super::metrics::Metrics;
use super::probe;
use super::prober::Memory;
use crate::error::Error;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;

/// blackbox_exporter's default: the probe ends this long before Prometheus
/// gives up on the scrape, so the failure is reported, not lost.
const TIMEOUT_MARGIN: Duration = Duration::from_millis(500);
/// A module without a timeout and a request without Prometheus' header.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// After its timeout a probe gets this long to hand in its report before
/// the server answers without it (its thread ends by its own timeouts).
const GRACE: Duration = Duration::from_secs(1);
/// Open connections beyond this are closed at accept: each costs a task.
const MAX_CONNECTIONS: usize = 1024;
/// A client that has not sent its request headers by then is dropped.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub struct State {
    config: Config,
    slots: Arc<Semaphore>,
    max_concurrent: usize,
    interface: Option<String>,
    memory: Memory,
    started: SystemTime,
    probes: Mutex<BTreeMap<(String, bool), (u64, f64)>>,
    rejected: AtomicU64,
    bad_requests: AtomicU64,
    unknown_module: AtomicU64,
}

impl State {
    pub fn new(config: Config, max_concurrent: usize, interface: Option<String>) -> Arc<State> {
        Arc::new(State {
            config,
            slots: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            interface,
            memory: Memory::default(),
            started: SystemTime::now(),
            probes: Mutex::new(BTreeMap::new()),
            rejected: AtomicU64::new(0),
            bad_requests: AtomicU64::new(0),
            unknown_module: AtomicU64::new(0),
        })
    }
}

pub async fn serve(listen: SocketAddr, state: Arc<State>) -> Result<(), Error> {
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|e| Error::io(format!("cannot listen on {listen}"), e))?;
    let shown = listener.local_addr().unwrap_or(listen);
    crate::output::stderr_line(&format!(
        "netwalk serve: listening on http://{shown}/ ({} modules: {})",
        state.config.modules.len(),
        state.config.modules.keys().cloned().collect::<Vec<_>>().join(", ")
    ));
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::io("cannot watch SIGTERM", e))?;
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // EMFILE and friends pass; the next accept may work.
                Err(e) => {
                    tracing::debug!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else { continue };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, state.clone()));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!("connection ended: {e}");
            }
            drop(permit);
        });
    }
}

type Reply = Response<Full<Bytes>>;

async fn handle(req: Request<Incoming>, state: Arc<State>) -> Result<Reply, std::convert::Infallible> {
    Ok(match req.uri().path() {
        "/probe" => match probe(&req, &state).await {
            Ok(reply) => reply,
            Err((status, line)) => {
                if status == StatusCode::BAD_REQUEST {
                    state.bad_requests.fetch_add(1, Ordering::Relaxed);
                }
                text(status, "text/plain; charset=utf-8", format!("{line}\n"))
            }
        },
        "/metrics" => text(StatusCode::OK, TEXT_FORMAT, own_metrics(&state).render()),
        "/-/healthy" => text(StatusCode::OK, "text/plain; charset=utf-8", "OK\n".into()),
        "/" => text(StatusCode::OK, "text/plain; charset=utf-8", index(&state)),
        other => text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            format!("no such page: {other} (try /probe or /metrics)\n"),
        ),
    })
}

fn text(status: StatusCode, kind: &'static str, body: String) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(body)));
    *reply.status_mut() = status;
    reply.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(kind));
    reply
}

fn index(state: &State) -> String {
    let mut page = String::from(
        "netwalk serve: Prometheus probes\n\n/probe?target=T&module=M[&debug=true]\n/metrics\n\nmodules:\n",
    );
    for (name, module) in &state.config.modules {
        page += &format!("  {name} (prober {})\n", module.prober.name());
    }
    page
}

type Refusal = (StatusCode, String);

async fn probe(req: &Request<Incoming>, state: &Arc<State>) -> Result<Reply, Refusal> {
    let bad = |line: String| (StatusCode::BAD_REQUEST, line);
    let mut target = None;
    let mut module_name = None;
    let mut debug = false;
    for (key, value) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "target" => target = Some(value.into_owned()),
            "module" => module_name = Some(value.into_owned()),
            "debug" => debug = value.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    let target = target.filter(|t| !t.is_empty()).ok_or_else(|| bad("Target parameter is missing".into()))?;
    // blackbox's default module.
    let module_name = module_name.unwrap_or_else(|| "http_2xx".into());
    let Some(module) = state.config.modules.get(&module_name) else {
        state.unknown_module.fetch_add(1, Ordering::Relaxed);
        return Err(bad(format!("Unknown module {module_name:?}")));
    };
    let timeout =
        probe_timeout(req.headers().get("x-prometheus-scrape-timeout-seconds"), module.timeout).map_err(bad)?;
    // A bad target is the scraper's mistake, told before any slot is taken.
    super::prober::argv(module, &target, timeout).map_err(bad)?;

    let waited = Instant::now();
    let permit = match tokio::time::timeout(timeout, state.slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            state.rejected.fetch_add(1, Ordering::Relaxed);
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "{} probes are running and none ended within {}: raise --max-concurrent or lower the scrape rate",
                    state.max_concurrent,
                    crate::timing::human(timeout)
                ),
            ));
        }
    };
    let left = timeout.saturating_sub(waited.elapsed()).max(Duration::from_millis(1));
    let (module, name, shared, interface) =
        (module.clone(), module_name.clone(), state.clone(), state.interface.clone());
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        probe::run(&name, &module, &target, left, debug, interface.as_deref(), &shared.memory)
    });
    let outcome = match tokio::time::timeout(left + GRACE, work).await {
        Ok(Ok(outcome)) => outcome,
        // The probe's thread is left to end by its own timeouts (it keeps its slot).
        _ => probe::Outcome::unfinished(&module_name, left),
    };
    {
        let mut probes = state.probes.lock().unwrap_or_else(|e| e.into_inner());
        let entry = probes.entry((module_name.clone(), outcome.success)).or_default();
        entry.0 += 1;
        entry.1 += outcome.duration;
    }
    let body = outcome.metrics.render();
    if debug {
        let module = &state.config.modules[&module_name];
        let page = format!(
            "Logs for the probe:\n{}\n\n\nMetrics that would have been returned:\n{body}\n\n\nModule configuration:\n{}",
            outcome.log.text(),
            Config::module_yaml(module)
        );
        return Ok(text(StatusCode::OK, "text/plain; charset=utf-8", page));
    }
    Ok(text(StatusCode::OK, TEXT_FORMAT, body))
}

/// The probe's time: Prometheus' scrape timeout less the margin, capped by
/// the module's timeout (blackbox_exporter's rule).
fn probe_timeout(header: Option<&hyper::header::HeaderValue>, module: Option<Duration>) -> Result<Duration, String> {
    let cap = module.unwrap_or(DEFAULT_TIMEOUT);
    let Some(header) = header else { return Ok(cap) };
    let seconds: f64 = header
        .to_str()
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|s: &f64| s.is_finite() && *s > 0.0)
        .ok_or_else(|| format!("X-Prometheus-Scrape-Timeout-Seconds {:?} is not a positive number", header))?;
    let scrape = Duration::from_secs_f64(seconds.min(86_400.0));
    // A very short scrape timeout keeps half of itself rather than nothing.
    let offered = scrape.saturating_sub(TIMEOUT_MARGIN).max(scrape / 2);
    Ok(offered.min(cap))
}

fn own_metrics(state: &State) -> Metrics {
    let mut m = Metrics::default();
    {
        let probes = state.probes.lock().unwrap_or_else(|e| e.into_inner());
        for ((module, success), (count, seconds)) in probes.iter() {
            let result = if *success { "success" } else { "failure" };
            let labels = [("module", module.as_str()), ("result", result)];
            m.counter_with(
                "netwalk_serve_probes_total",
                "Probes answered, by module and result",
                &labels,
                *count as f64,
            );
            m.counter_with(
                "netwalk_serve_probe_seconds_total",
                "Time spent in probes, by module and result",
                &labels,
                *seconds,
            );
        }
    }
    let counter = |m: &mut Metrics, name, help, value: &AtomicU64| {
        m.counter_with(name, help, &[], value.load(Ordering::Relaxed) as f64)
    };
    counter(
        &mut m,
        "netwalk_serve_probes_rejected_total",
        "Probes refused (503): no slot within their timeout",
        &state.rejected,
    );
    counter(
        &mut m,
        "netwalk_serve_bad_requests_total",
        "Probe requests refused (400): bad target, module or timeout header",
        &state.bad_requests,
    );
    counter(
        &mut m,
        "netwalk_serve_module_unknown_total",
        "Count of unknown modules requested by probes",
        &state.unknown_module,
    );
    let running = state.max_concurrent - state.slots.available_permits();
    m.gauge("netwalk_serve_probes_in_flight", "Probes running now", running as f64);
    m.gauge("netwalk_serve_max_concurrent", "Probes allowed at once (--max-concurrent)", state.max_concurrent as f64);
    m.gauge("netwalk_serve_modules", "Modules in the configuration", state.config.modules.len() as f64);
    m.gauge_with("netwalk_build_info", "netwalk's version", &[("version", env!("CARGO_PKG_VERSION"))], 1.0);
    if let Ok(since) = state.started.duration_since(std::time::UNIX_EPOCH) {
        m.gauge(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            since.as_secs_f64(),
        );
    }
    if let Some(rss) = resident_bytes() {
        m.gauge("process_resident_memory_bytes", "Resident memory size in bytes", rss);
    }
    m
}

/// Resident set size from /proc/self/statm (pages).
fn resident_bytes() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * page.max(4096) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn the_timeout_follows_prometheus_less_the_margin_capped_by_the_module() {
        let h = HeaderValue::from_static;
        assert_eq!(probe_timeout(None, None).unwrap(), DEFAULT_TIMEOUT);
        assert_eq!(probe_timeout(None, Some(Duration::from_secs(3))).unwrap(), Duration::from_secs(3));
        assert_eq!(probe_timeout(Some(&h("10")), None).unwrap(), Duration::from_millis(9500));
        assert_eq!(probe_timeout(Some(&h("10")), Some(Duration::from_secs(5))).unwrap(), Duration::from_secs(5));
        assert_eq!(probe_timeout(Some(&h("0.6")), None).unwrap(), Duration::from_millis(300));
        assert!(probe_timeout(Some(&h("soon")), None).unwrap_err().contains("is not a positive number"));
        assert!(probe_timeout(Some(&h("-1")), None).is_err());
    }
}
