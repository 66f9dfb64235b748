//! `netwalk serve`: every check as a Prometheus probe. Prometheus scrapes
//! `/probe?target=…&module=…` (blackbox_exporter's interface) and does the
//! scheduling, storage and alerting; each module runs one netwalk command.

mod config;
mod metrics;
mod probe;
mod prober;
mod server;

use crate::cli::Global;
use crate::error::{Error, Exit};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Examples:\n",
    "  netwalk serve\n",
    "  netwalk serve --listen 0.0.0.0:9115 --config /etc/netwalk/blackbox.yml\n",
    "  curl 'http://127.0.0.1:9115/probe?module=tcp_connect&target=db.test:5432'\n",
    "  curl 'http://127.0.0.1:9115/probe?module=http_2xx&target=https://web.test/&debug=true'\n\n",
    "Endpoints: /probe?target=T&module=M[&debug=true] (the probe's metrics; debug=true the\n",
    "probe's log, its metrics and its module, as blackbox_exporter shows them), /metrics (the\n",
    "server's own), /-/healthy. The config file has blackbox_exporter's shape: modules with a\n",
    "prober (http, tcp, icmp, dns, or netwalk's tls, hsts, traceroute, dhcp, arp), a timeout\n",
    "and the prober's options. Without --config: http_2xx, tcp_connect, icmp, tls, hsts and\n",
    "traceroute. A probe's time is Prometheus' X-Prometheus-Scrape-Timeout-Seconds less 0.5s,\n",
    "capped by the module's timeout. Bad query parameters get 400; more than --max-concurrent\n",
    "probes waiting past their timeout get 503. SIGINT or SIGTERM stops the server (exit 0).\n\n",
    crate::exit_codes!()
))]
pub struct Args {
    /// Address to listen on (0.0.0.0:9115 for every interface, as blackbox_exporter)
    #[arg(long, default_value = "127.0.0.1:9115", value_name = "ADDR")]
    pub listen: SocketAddr,

    /// Module file in blackbox_exporter's YAML shape
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Probes run at once; more wait for a slot within their timeout
    #[arg(long, default_value_t = 64, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_concurrent: u32,
}

pub fn run(args: Args, global: &Global) -> Result<Exit, Error> {
    let config = match &args.config {
        Some(path) => config::Config::load(path)?,
        None => config::Config::builtin(),
    };
    // The server's own work is small (parse a query, write metrics): one
    // thread; each probe runs on a blocking thread of its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    let state = server::State::new(config, args.max_concurrent as usize, global.interface.clone());
    let result = runtime.block_on(server::serve(args.listen, state));
    // A probe still running on its blocking thread is bounded by its own
    // timeout; do not wait for it on the way out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    result.map(|()| Exit::Passed)
}
