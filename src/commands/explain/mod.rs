//! `netwalk explain URL`: "what happens when you type a URL and press enter",
//! one step at a time on the real network. Every step runs the code the other
//! commands run — dig's system resolver path, the kernel's route and
//! neighbour tables (arp), the TCP connect (tcping), the TLS client and the
//! HTTP connection (http) — and records what happened, its timing and the
//! Wireshark display filter that shows it.

mod export;
mod har;
mod html;
mod leases;
mod network;
mod page;
mod report;
mod resources;
mod steps;

use crate::cli::Global;
use crate::commands::hsts_check::preload::PreloadList;
use crate::commands::http::redirect;
use crate::error::Error;
use crate::net::capture::{Capture, Watch};
use crate::net::http::{Connection, Dialer, Origin, Version};
use crate::net::resolve::Resolver;
use crate::net::tcp::Bind;
use crate::net::tls_client;
use crate::output::Output;
use crate::timing::parse_duration;
pub use report::{ExplainReport, Failure, Step};
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use url::Url;

/// Browsers stop after about 20; the walk keeps the story short.
const MAX_HOPS: usize = 10;

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Examples:\n",
    "  netwalk explain http://www.example.test/\n",
    "  netwalk explain --ca-file lab-ca.pem https://bücher.test/\n",
    "  netwalk --json explain --preload-list list.json http://www.example.test/\n\n",
    "Step 0, once: this host's network (the interface the walk leaves by, its address and\n",
    "  prefix, default gateway, MTU, DNS servers and search list) and where each came from: the\n",
    "  DHCP lease (dhclient, NetworkManager or systemd-networkd lease files, or --lease), a\n",
    "  static configuration, resolv.conf as systemd-resolved, NetworkManager or resolvconf\n",
    "  manage it; the lease's server, times and remaining time. --dhcp sends one DISCOVER\n",
    "  (dhcp-discover's, never a REQUEST: no lease is taken; needs CAP_NET_RAW) and lists the\n",
    "  servers that answer within --dhcp-wait.\n",
    "The steps, in order, for each hop of the walk (a redirect is a new hop):\n",
    "  1 URL parsing (scheme, host, port, path; IDN hosts punycoded)\n",
    "  2 HSTS: the Chromium preload list (and Strict-Transport-Security seen on an earlier hop)\n",
    "    upgrades http:// to https:// before anything is sent\n",
    "  3 name resolution as the OS does it: /etc/hosts, then the servers of /etc/resolv.conf\n",
    "  4a the route to the server, 4b the next hop's link-layer address (ARP / neighbour cache;\n",
    "    a who-has of our own with CAP_NET_RAW when the cache has no entry); both are step 4\n",
    "    in JSON and in failures\n",
    "  5 the TCP handshake (4-tuple, kernel RTT)\n",
    "  6 the TLS handshake for https (version, cipher, ALPN, certificate, verdict)\n",
    "  7 the HTTP request and response (status, key headers, first byte, transfer)\n",
    "  8 a waterfall of the whole walk\n",
    "  9 with --resources, the page's sub-resources\n",
    "Each step prints the Wireshark display filter that shows its packets. A connection is\n",
    "reused when the next hop has the same origin; at most 10 redirects are followed.\n\n",
    "--resources: when the final response is HTML, every img src, script src and link\n",
    "rel=stylesheet/icon href (resolved against the page and its <base href>, deduplicated,\n",
    "at most 100) is fetched as a browser would: same-origin ones over the page's connection\n",
    "(one after another on HTTP/1.1 keep-alive, all at once as HTTP/2 streams), another host\n",
    "with its own DNS, route, TCP and TLS steps; each gets a row (status, type, bytes, the\n",
    "connection, queued/start/first byte/end) and a waterfall. Bodies are counted, not kept\n",
    "(16 MiB each at most); each request and each body waits --timeout at most. A resource\n",
    "that fails (404, refused, TLS) is a row with its error and does not change the exit code.\n\n",
    "--pcap FILE: the walk's own packets (ARP and neighbour discovery, and every packet to or\n",
    "from the DNS servers and web servers it used, on all interfaces) into a pcap file\n",
    "(nanosecond timestamps, Ethernet, 65535-byte snap length, at most 64 MiB) for Wireshark.\n",
    "It needs CAP_NET_RAW: without it explain stops before sending anything (exit 3); run it\n",
    "with sudo or `sudo setcap cap_net_raw+ep \"$(command -v netwalk)\"`. A FILE that cannot\n",
    "be written is a usage error (exit 2).\n\n",
    "--har FILE: the walk's requests (each hop, --resources' rows, the request a failure stopped)\n",
    "as HAR 1.2 with the walk's own timings (dns, connect with ssl inside, send, wait, receive).\n",
    "--html FILE: one self-contained page (steps, Wireshark filters, the waterfall as a picture,\n",
    "the certificate chain) that loads nothing. Both are created before anything is sent: a FILE\n",
    "that cannot be written is a usage error (exit 2).\n\n",
    "Exit codes: 0 a final response arrived (whatever its status: the walk is the check, the\n",
    "status is reported); 1 the walk stopped at a step (no such name, no route, next hop silent,\n",
    "port closed, certificate rejected, redirect loop) and the report says which and why;\n",
    "2 usage or input error; 3 missing privilege or environment."
))]
pub struct Args {
    /// The URL to walk (http:// or https://; a bare host/path means http://)
    #[arg(value_name = "URL")]
    pub url: String,

    /// Trust only the CA certificates in this PEM file (as http's --cacert)
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Use this Chromium-format preload list (JSON) instead of the embedded one
    #[arg(long, value_name = "FILE")]
    pub preload_list: Option<PathBuf>,

    /// Longest wait for each network step (DNS server, ARP, TCP, TLS, HTTP response)
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// After an HTML page, fetch its images, scripts, stylesheets and icons as a browser would
    /// (a failing resource is reported, the exit code stays 0 when the page loaded)
    #[arg(long)]
    pub resources: bool,

    /// Capture the walk's packets into this pcap file (needs CAP_NET_RAW: exit 3 without it,
    /// before anything is sent)
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,

    /// Write the walk (and --resources) as an HTTP Archive (HAR 1.2) for Chrome DevTools and HAR viewers
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,

    /// Write the walk as one self-contained HTML page (steps, waterfall, Wireshark filters,
    /// certificate chain)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Step 0: also send a DHCPDISCOVER (no lease is taken) to show which servers answer now
    #[arg(long)]
    pub dhcp: bool,

    /// How long --dhcp listens for offers (implies --dhcp)
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub dhcp_wait: Option<Duration>,

    /// Step 0: read this host's DHCP lease from FILE (dhclient, NetworkManager, systemd-networkd,
    /// or netwalk lab's lease.json) instead of searching the usual places
    #[arg(long, value_name = "FILE", env = "NETWALK_LAB_LEASE", hide_env_values = true)]
    pub lease: Option<PathBuf>,
}

/// --dhcp's listening time when --dhcp-wait is not given.
const DHCP_WAIT: Duration = Duration::from_secs(1);

/// How a step ended: go on, or stop the walk here.
pub(crate) type Flow<T> = Result<T, Failure>;

/// What a later hop can reuse from an earlier one.
pub(crate) struct Cache {
    /// host → addresses and the hop that resolved them (a browser's DNS cache).
    names: Vec<(String, Vec<IpAddr>, usize)>,
    /// Hosts that sent Strict-Transport-Security over https.
    sts: HashSet<String>,
    conn: Option<Connection>,
}

pub(crate) struct Walk<'a> {
    pub(crate) args: &'a Args,
    pub(crate) global: &'a Global,
    pub(crate) started: Instant,
    pub(crate) steps: Vec<Step>,
    pub(crate) hop: usize,
    /// http's dialer; None until the first connection (see `run`).
    pub(crate) dialer: Option<Dialer>,
    /// For http:// origins only (see `dialer`).
    pub(crate) plain: Option<Dialer>,
    /// None until step 2 first needs the embedded list.
    pub(crate) preload: Option<PreloadList>,
    /// --pcap: the peers whose packets the capture keeps.
    pub(crate) watch: Option<Watch>,
    /// Each hop's request and response, for --har and --html.
    pub(crate) exchanges: Vec<har::Exchange>,
}

impl Walk<'_> {
    /// Records a step that began at `begun` and ends now.
    pub(crate) fn push(&mut self, begun: Instant, step: Step) {
        let mut step = step;
        step.hop = self.hop;
        step.start = begun - self.started;
        step.duration = begun.elapsed();
        self.steps.push(step);
    }

    /// The last HTTP step's response cannot be followed: the walk ends there.
    fn fail_last(&mut self, why: String) -> Failure {
        if let Some(step) = self.steps.iter_mut().rev().find(|s| s.name == "http") {
            step.ok = false;
            step.details.push(why.clone());
        }
        Failure::new(7, "http", why)
    }

    /// Records a step with a measured duration that may be shorter than the wall time around it.
    pub(crate) fn push_timed(&mut self, begun: Instant, duration: Duration, step: Step) {
        let mut step = step;
        step.hop = self.hop;
        step.start = begun - self.started;
        step.duration = duration;
        self.steps.push(step);
    }
}

fn dialer(args: &Args, global: &Global, tls: tls_client::Client) -> Dialer {
    Dialer {
        resolver: Resolver::system(global.family()),
        resolve: Vec::new(),
        connect_to: Vec::new(),
        proxy: Default::default(),
        bind: Bind { interface: global.interface.clone(), source: None },
        connect_timeout: args.timeout,
        tls,
        version: Version::Auto,
        progress: Default::default(),
    }
}

impl Walk<'_> {
    /// The dialer for an origin. https: the verifying one, built with the
    /// system trust store on first use (inside step 6, whose time it is).
    /// http: one whose TLS client is never used, so that a clear-text walk
    /// does not pay for loading certificates it has no use for.
    pub(crate) fn dialer(&mut self, tls: bool) -> Result<&Dialer, Error> {
        if !tls {
            if let Some(d) = &self.dialer {
                return Ok(d);
            }
            if self.plain.is_none() {
                self.plain = Some(dialer(self.args, self.global, tls_client::Client::new(true, None)?));
            }
            return Ok(self.plain.as_ref().expect("set above"));
        }
        if self.dialer.is_none() {
            self.dialer = Some(dialer(self.args, self.global, tls_client::Client::new(false, None)?));
        }
        Ok(self.dialer.as_ref().expect("set above"))
    }
}

pub async fn run(args: Args, global: &Global, _out: &Output) -> Result<ExplainReport, Error> {
    let first = steps::parse_url(&args.url)?;
    // A --preload-list file is read now (a bad file is a usage error); the
    // embedded list is unpacked inside step 2, whose time it is.
    let preload = args.preload_list.as_deref().map(PreloadList::from_json_file).transpose()?;
    // A --ca-file is read now (a bad file is a usage error); the system trust
    // store is loaded by the first connection that needs it, inside its step.
    let dialer = match &args.ca_file {
        Some(path) => Some(dialer(&args, global, tls_client::Client::new(false, Some(path))?)),
        None => None,
    };
    // The capture is open before anything is sent; the DNS servers are
    // watched from the start, the web servers as the walk resolves them.
    let capture = args.pcap.as_deref().map(Capture::start).transpose()?;
    let watch = capture.as_ref().map(|c| c.watch.clone());
    if let Some(w) = &watch {
        crate::commands::dig::system::nameservers().into_iter().for_each(|ns| w.add(ns));
    }
    let lease = args.lease.as_deref().map(network::read_lease).transpose()?;
    // Export files are created now: one that cannot be written is a usage error before anything is sent.
    let har_file = args.har.as_deref().map(|p| export::create("--har", p)).transpose()?;
    let html_file = args.html.as_deref().map(|p| export::create("--html", p)).transpose()?;
    let started_at = std::time::SystemTime::now();
    let started = Instant::now();
    let mut walk = Walk {
        args: &args,
        global,
        started,
        steps: Vec::new(),
        hop: 0,
        dialer,
        plain: None,
        preload,
        watch,
        exchanges: Vec::new(),
    };
    let mut cache = Cache { names: Vec::new(), sts: HashSet::new(), conn: None };
    host_network(&mut walk, lease.as_deref()).await;
    let outcome = walk_all(&mut walk, &mut cache, first).await;
    let (final_status, failure, resources) = match outcome {
        Ok(end) => {
            let resources = match (args.resources, end.page) {
                (false, _) => None,
                (true, Some(parser)) => {
                    let begun = Instant::now();
                    let links = parser.finish(&end.url, resources::MAX_RESOURCES);
                    let found = resources::fetch(&mut walk, &mut cache, &end.url, links).await;
                    walk.push(begun, found.step());
                    Some(found)
                }
                (true, None) => {
                    let what = end.content_type.as_deref().unwrap_or("no Content-Type");
                    let found = resources::Resources::nothing(
                        &end.url,
                        format!("the page is not HTML ({what}): nothing to fetch"),
                    );
                    walk.push(Instant::now(), found.step());
                    Some(found)
                }
            };
            (Some(end.status), None, resources)
        }
        Err(failure) => (None, Some(failure), None),
    };
    // Connections close (their FINs are part of the capture) before it stops.
    drop(cache);
    let total = started.elapsed();
    // Aborted connection tasks drop their sockets when next scheduled: let them.
    tokio::task::yield_now().await;
    let capture = match capture {
        Some(c) => Some(c.stop().await),
        None => None,
    };
    let mut exchanges = std::mem::take(&mut walk.exchanges);
    if let Some(f) = &failure {
        exchanges.extend(export::failed_exchange(&walk.steps, walk.hop, f));
    }
    if let Some(r) = &resources {
        exchanges.extend(export::resource_exchanges(r));
    }
    let mut report = ExplainReport::new(&args.url, walk.steps, final_status, failure, total);
    report.resources = resources;
    report.capture = capture;
    report.started_at = started_at;
    report.exchanges = exchanges;
    if let Some((path, file)) = args.har.as_deref().zip(har_file) {
        export::write(path, file, &serde_json::to_vec_pretty(&har::log(&report)).unwrap_or_default());
    }
    if let Some((path, file)) = args.html.as_deref().zip(html_file) {
        export::write(path, file, page::render(&report).as_bytes());
    }
    Ok(report)
}

/// Step 0: where the walk starts from (and with --dhcp, who answers a DISCOVER now).
async fn host_network(walk: &mut Walk<'_>, lease: Option<&str>) {
    let begun = Instant::now();
    let file = walk.args.lease.as_deref().zip(lease);
    let net = network::gather(walk.global, file);
    let wait = walk.args.dhcp_wait.or(walk.args.dhcp.then_some(DHCP_WAIT));
    let dhcp = match wait {
        Some(wait) => Some(network::discover(walk.global, net.interface.as_deref(), wait).await),
        None => None,
    };
    walk.push(begun, network::step(&net, dhcp));
}

/// Where the walk ended well.
struct End {
    status: u16,
    url: Url,
    content_type: Option<String>,
    page: Option<html::PageParser>,
}

/// Steps 3 to 6 for an origin the walk has no open connection to: the
/// name (from the walk's DNS cache when it was resolved before), the route
/// and next hop, TCP, then TLS and the HTTP handshake.
pub(crate) async fn connect(
    walk: &mut Walk<'_>,
    names: &mut Vec<(String, Vec<IpAddr>, usize)>,
    origin: &Origin,
) -> Flow<Connection> {
    let addrs = match names.iter().find(|(h, _, _)| *h == origin.host) {
        Some((_, addrs, hop)) => {
            let (addrs, hop) = (addrs.clone(), *hop);
            steps::dns_cached(walk, &origin.host, &addrs, hop);
            addrs
        }
        None => {
            let addrs = steps::dns(walk, &origin.host).await?;
            names.push((origin.host.clone(), addrs.clone(), walk.hop));
            addrs
        }
    };
    let addr = addrs[0];
    if let Some(w) = &walk.watch {
        w.add(addr);
    }
    let route = steps::route(walk, addr).await?;
    let (stream, dialled) = steps::tcp(walk, origin, addr, &route).await?;
    steps::tls(walk, origin, stream, dialled).await
}

/// Every hop until a final response, a failure or the hop limit.
async fn walk_all(walk: &mut Walk<'_>, cache: &mut Cache, first: steps::Parsed) -> Flow<End> {
    let mut parsed = first;
    let mut visited: Vec<(String, Url)> = Vec::new();
    loop {
        walk.hop += 1;
        let url = steps::hsts(walk, &parsed, &cache.sts);
        let origin = Origin::from_url(&url).map_err(|e| Failure::new(7, "http", e.to_string()))?;
        let reuse = match cache.conn.as_mut() {
            Some(c) if c.origin == origin => c.wait_ready(Duration::from_millis(200)).await,
            _ => false,
        };
        if !reuse {
            drop(cache.conn.take());
            cache.conn = Some(connect(walk, &mut cache.names, &origin).await?);
        }
        let Some(conn) = cache.conn.as_mut() else { unreachable!("connected above") };
        let response = steps::http(walk, conn, &url, reuse).await?;
        if response.sts && origin.tls {
            cache.sts.insert(origin.host.clone());
        }
        if !response.reusable {
            cache.conn = None;
        }
        visited.push(("GET".into(), url.clone()));
        let Some(location) = response.location.filter(|_| redirect::is_redirect(response.status)) else {
            return Ok(End { status: response.status, url, content_type: response.content_type, page: response.page });
        };
        let next = match redirect::target(&url, &location) {
            Ok(next) => next,
            Err(e) => return Err(walk.fail_last(format!("the redirect cannot be followed: {e}"))),
        };
        if let Some(path) = redirect::find_loop(&visited, "GET", &next) {
            return Err(
                walk.fail_last(format!("redirect loop: {path}; a browser gives up with ERR_TOO_MANY_REDIRECTS"))
            );
        }
        if walk.hop > MAX_HOPS {
            return Err(walk.fail_last(format!(
                "more than {MAX_HOPS} redirects; the next was to {next}: stopping as a browser would"
            )));
        }
        parsed = steps::Parsed { url: next };
    }
}
