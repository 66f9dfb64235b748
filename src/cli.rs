//! The command line: global options and one variant per working command.

use crate::commands::{
    arp, dhcp_discover, dig, explain, hsts_check, http, lab, serve, tcping, tls_inspect, traceroute,
};
use crate::net::resolve::Family;
use crate::output::{Format, Output};
use clap::{Parser, ValueEnum};
use std::io::IsTerminal;

/// The exit-code table shown in every `--help` and man page.
#[macro_export]
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  the check passed
  1  it ran and the target failed it (closed, filtered, unreachable, threshold breached)
  2  usage or input error (bad option, bad target, name does not resolve)
  3  missing privilege or environment (no such interface, address not local, no CAP_NET_RAW)"
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "netwalk",
    version,
    about = "Network diagnostics in one binary",
    long_about = "Network diagnostics in one binary: each command talks to a real peer, measures what \
                  it sees, and answers in a table, JSON for scripts, and an exit code for CI.",
    after_help = exit_codes!(),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// One line per command: its variant, name, module and the one-line summary
/// shown by `netwalk --help`. Each command's options are built only when that
/// command is parsed (`Command::defer`), which clap's derive cannot say:
/// building all of them on every run is measurable start-up (README →
/// Development).
macro_rules! commands {
    ($($variant:ident($module:ident) = $name:literal, $about:literal;)*) => {
        // One Command is parsed per run; boxing http's many options would buy nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug)]
        pub enum Command {
            $(#[doc = $about] $variant($module::Args),)*
        }

        impl clap::Subcommand for Command {
            fn augment_subcommands(cmd: clap::Command) -> clap::Command {
                cmd$(.subcommand(clap::Command::new($name).about($about).defer(|c| {
                    <$module::Args as clap::Args>::augment_args(c)
                })))*
            }
            fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
                cmd$(.subcommand(clap::Command::new($name).about($about).defer(|c| {
                    <$module::Args as clap::Args>::augment_args_for_update(c)
                })))*
            }
            fn has_subcommand(name: &str) -> bool {
                matches!(name, $($name)|*)
            }
        }

        impl clap::FromArgMatches for Command {
            fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
                Self::from_arg_matches_mut(&mut matches.clone())
            }
            fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
                match matches.remove_subcommand() {
                    $(Some((name, mut sub)) if name == $name => {
                        Ok(Self::$variant($module::Args::from_arg_matches_mut(&mut sub)?))
                    })*
                    Some((name, _)) => Err(clap::Error::raw(
                        clap::error::ErrorKind::InvalidSubcommand,
                        format!("unknown command '{name}'"),
                    )),
                    None => Err(clap::Error::raw(clap::error::ErrorKind::MissingSubcommand, "a command is required")),
                }
            }
            fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
                *self = Self::from_arg_matches(matches)?;
                Ok(())
            }
        }
    };
}

commands! {
    Tcping(tcping) = "tcping",
        "Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why";
    DhcpDiscover(dhcp_discover) = "dhcp-discover",
        "Find every DHCP server on a link without taking a lease: all offers decoded, rogue detection";
    Arp(arp) = "arp",
        "Who-has with kernel-timed RTT, IP conflicts, duplicate-address probes, subnet sweeps, the neighbour cache";
    HstsCheck(hsts_check) = "hsts-check",
        "The Strict-Transport-Security header per RFC 6797, hstspreload's preload requirements, the Chromium preload list offline";
    TlsInspect(tls_inspect) = "tls-inspect",
        "TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS";
    Http(http) = "http",
        "An HTTP/1.1 or HTTP/2 request with per-phase timings (DNS, TCP, TLS, first byte, transfer), redirects hop by hop";
    Traceroute(traceroute) = "traceroute",
        "The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU";
    Dig(dig) = "dig",
        "DNS queries with dig's command line and BIND's output: UDP with TCP fallback, EDNS, -x, batches";
    Explain(explain) = "explain",
        "What happens when you open a URL: name, route, ARP, TCP, TLS, HTTP, redirects, step by step with Wireshark filters";
    Serve(serve) = "serve",
        "Every check as a Prometheus probe: /probe?target=&module= as blackbox_exporter, modules from its YAML shape";
    Lab(lab) = "lab",
        "An offline mini-internet in rootless namespaces (DHCP, DNS root to zone, HTTPS), a command run inside it";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct Global {
    /// Print one JSON document instead of text
    #[arg(long, global = true, conflicts_with = "json_lines")]
    pub json: bool,

    /// Print one JSON object per line as events happen (NDJSON)
    #[arg(long, global = true)]
    pub json_lines: bool,

    /// Colour the output: auto (terminal and no NO_COLOR), always, never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// More detail on stderr (-v debug, -vv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Use IPv4 only
    #[arg(short = '4', global = true, conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Use IPv6 only
    #[arg(short = '6', global = true)]
    pub ipv6: bool,

    /// Send from this network interface
    #[arg(short = 'I', long, global = true, value_name = "IFACE")]
    pub interface: Option<String>,
}

impl Global {
    pub fn family(&self) -> Family {
        match (self.ipv4, self.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        }
    }

    pub fn output(&self) -> Output {
        let format = if self.json {
            Format::Json
        } else if self.json_lines {
            Format::JsonLines
        } else {
            Format::Human
        };
        Output::new(format, self.color_on(&std::io::stdout()))
    }

    /// Whether to colour a stream: `--color`, then NO_COLOR, then whether it is a terminal.
    pub fn color_on(&self, stream: &impl IsTerminal) -> bool {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && stream.is_terminal(),
        }
    }
}
