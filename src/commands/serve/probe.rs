//! One probe: the module's command line is parsed by netwalk's own CLI and
//! run by the command's own `run` (the same engine, options and checks as
//! in a shell), its JSON report turned into metrics by the prober. It runs
//! on a blocking thread with a runtime of its own, so a slow or blocking
//! engine (dig, traceroute) never holds up another probe or the server.

use super::config::Module;
use super::metrics::Metrics;
use super::prober::{self, Memory};
use crate::cli::{Cli, Command};
use crate::commands;
use crate::error::{Error, Exit};
use crate::output::{Format, Output, Report};
use clap::Parser;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The debug log kept for `debug=true` stops here (a probe of a chatty
/// peer must not grow the server).
const LOG_CAP: usize = 64 << 10;

/// The probe's log, in the order things happened: the server's own lines
/// and, under `debug=true`, the engine's tracing events.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<String>>);

impl Log {
    pub fn line(&self, level: &str, message: &str, fields: &[(&str, String)]) {
        let mut line = format!(
            "ts={} level={level} msg={message:?}",
            humantime::format_rfc3339_millis(std::time::SystemTime::now())
        );
        for (key, value) in fields {
            line += &format!(" {key}={value:?}");
        }
        line.push('\n');
        self.append(line.as_bytes());
    }

    fn append(&self, bytes: &[u8]) {
        let mut text = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if text.len() >= LOG_CAP {
            return;
        }
        let room = LOG_CAP - text.len();
        text.push_str(&String::from_utf8_lossy(&bytes[..bytes.len().min(room)]));
        if text.len() >= LOG_CAP {
            text.push_str("\n(log truncated)\n");
        }
    }

    pub fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.append(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

/// What a probe returns to the server.
pub struct Outcome {
    pub success: bool,
    /// Seconds the probe took.
    pub duration: f64,
    pub metrics: Metrics,
    pub log: Log,
}

impl Outcome {
    /// A probe whose thread did not hand in its report in time.
    pub fn unfinished(name: &str, timeout: Duration) -> Outcome {
        let log = Log::default();
        log.line("error", "Probe did not finish within its timeout", &[("module", name.to_string())]);
        let mut metrics = Metrics::default();
        let duration = timeout.as_secs_f64();
        metrics.gauge("probe_duration_seconds", "Returns how long the probe took to complete in seconds", duration);
        metrics.gauge("probe_success", "Displays whether or not the probe was a success", 0.0);
        Outcome { success: false, duration, metrics, log }
    }
}

/// Runs `module` against `target` within `timeout` (on the calling thread).
pub fn run(
    name: &str,
    module: &Module,
    target: &str,
    timeout: Duration,
    debug: bool,
    interface: Option<&str>,
    memory: &Memory,
) -> Outcome {
    let log = Log::default();
    let _capture = debug.then(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(log.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_default(subscriber)
    });
    log.line(
        "info",
        "Beginning probe",
        &[
            ("module", name.to_string()),
            ("target", target.to_string()),
            ("probe", module.prober.name().to_string()),
            ("timeout_seconds", format!("{:.3}", timeout.as_secs_f64())),
        ],
    );
    let started = Instant::now();
    let mut metrics = Metrics::default();
    // The command's own timeouts end it a little before the hard cut, so a
    // filtered port or a silent server is reported as such, not as "cut".
    let report = match prober::argv(module, target, timeout * 9 / 10) {
        Ok(mut argv) => {
            // serve's -I applies to every probe that does not name its own.
            if let Some(iface) = interface
                && !argv.iter().any(|a| a == "-I")
            {
                argv.splice(1..1, ["-I".to_string(), iface.to_string()]);
            }
            log.line("debug", "Running", &[("command", argv[1..].join(" "))]);
            execute(argv, timeout)
        }
        Err(message) => Err(Error::usage(message)),
    };
    let report = match report {
        Ok((json, _exit)) => Some(json),
        Err(err) => {
            log.line("error", "Probe could not complete", &[("err", err.to_string())]);
            None
        }
    };
    let success = prober::metrics(module, target, report.as_ref(), &mut metrics, &log, memory);
    let elapsed = started.elapsed().as_secs_f64();
    metrics.gauge("probe_duration_seconds", "Returns how long the probe took to complete in seconds", elapsed);
    metrics.gauge("probe_success", "Displays whether or not the probe was a success", if success { 1.0 } else { 0.0 });
    let verdict = if success { "Probe succeeded" } else { "Probe failed" };
    log.line(if success { "info" } else { "error" }, verdict, &[("duration_seconds", elapsed.to_string())]);
    Outcome { success, duration: elapsed, metrics, log }
}

/// Parses `argv` as a netwalk command line and runs it, as `netwalk --json`
/// would, returning its JSON report. Async commands are cut at `timeout`;
/// dig and traceroute end by their own timeouts (set from it by the prober).
fn execute(argv: Vec<String>, timeout: Duration) -> Result<(serde_json::Value, Exit), Error> {
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        let text = e.render().to_string();
        Error::usage(text.lines().next().unwrap_or("bad probe options").trim_start_matches("error: ").to_string())
    })?;
    let out = Output::new(Format::Json, false);
    let Cli { global, command } = cli;
    let report: Box<dyn Report> = match command {
        Command::Dig(args) => commands::dig::run(args, &global)?.into(),
        Command::Traceroute(args) => Box::new(commands::traceroute::run(args, &global, &out)?),
        command => crate::block_on(async {
            let work = async {
                let report: Box<dyn Report> = match command {
                    Command::Http(args) => Box::new(commands::http::run(args, &global, &out).await?),
                    Command::Tcping(args) => Box::new(commands::tcping::run(args, &global, &out).await?),
                    Command::TlsInspect(args) => Box::new(commands::tls_inspect::run(args, &global, &out).await?),
                    Command::HstsCheck(args) => Box::new(commands::hsts_check::run(args, &global, &out).await?),
                    Command::DhcpDiscover(args) => Box::new(commands::dhcp_discover::run(args, &global, &out).await?),
                    Command::Arp(args) => Box::new(commands::arp::run(args, &global, &out).await?),
                    _ => return Err(Error::usage("this command is not a prober")),
                };
                Ok(report)
            };
            tokio::time::timeout(timeout, work)
                .await
                .map_err(|_| Error::TimedOut { what: "the probe".into(), after: timeout })?
        })??,
    };
    Ok((report.json(), report.exit()))
}
