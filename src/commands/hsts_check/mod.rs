//! `netwalk hsts-check`: the Strict-Transport-Security header, hstspreload's
//! preload requirements, and the Chromium preload list offline.

pub mod domain;
mod fetch;
pub mod header;
pub mod issue;
mod online;
pub mod preload;
mod report;

use crate::cli::Global;
use crate::error::Error;
use crate::output::Output;
use issue::Issues;
use preload::PreloadList;
pub use report::{HstsReport, Mode};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Examples:\n",
    "  netwalk hsts-check example.com\n",
    "  netwalk hsts-check --removable example.com\n",
    "  netwalk hsts-check --offline mail.google.com\n",
    "  netwalk hsts-check --header 'max-age=31536000; includeSubDomains; preload'\n",
    "  netwalk hsts-check bücher.de --offline --preload-list transport_security_state_static.json\n\n",
    "A DOMAIN runs hstspreload's checks against the live site, in its order: the name's format\n",
    "and level (eTLD+1), GET https://DOMAIN/ without following redirects (chain, SHA-1, suite,\n",
    "one Strict-Transport-Security header that meets the preload rules), http://DOMAIN/ and its\n",
    "redirects (to https on the same host first, at most 3, all https), the https redirects, and\n",
    "TLS on www.DOMAIN when it answers on 443. Ports are 80 and 443, as for hstspreload.org.\n",
    "The domain's preload-list status is shown too; --offline shows only that and sends nothing.\n\n",
    "Issue codes are hstspreload's (the library behind hstspreload.org). The preload list is\n",
    "an embedded snapshot of Chromium's, force-https entries only; --preload-list reads a\n",
    "current transport_security_state_static.json instead. Nothing is fetched to get it.\n\n",
    "Exit codes:\n",
    "  0  preloadable (with --removable: removable; with --offline: on the preload list)\n",
    "  1  errors found (not preloadable / not removable / not preloaded)\n",
    "  2  usage or input error (bad domain, IP address, malformed list or CA file)\n",
    "  3  missing environment"
))]
#[command(group = clap::ArgGroup::new("what").required(true).args(["domain", "header"]))]
pub struct Args {
    /// Check this domain online for preloading (or removal), and look it up in the preload list
    #[arg(value_name = "DOMAIN")]
    pub domain: Option<String>,

    /// Parse this Strict-Transport-Security value offline instead of checking a domain
    #[arg(long, value_name = "VALUE", conflicts_with = "domain")]
    pub header: Option<String>,

    /// Use this Chromium transport_security_state_static.json instead of the embedded snapshot
    #[arg(long, value_name = "FILE")]
    pub preload_list: Option<PathBuf>,

    /// Run hstspreload's removal check (on the site, or on the --header value) instead of the preload check
    #[arg(long)]
    pub removable: bool,

    /// Only look DOMAIN up in the preload list; send nothing
    #[arg(long, requires = "domain", conflicts_with_all = ["removable", "ca_file"])]
    pub offline: bool,

    /// Trust the CA certificates in this PEM file instead of the system store (e.g. a lab CA)
    #[arg(long, value_name = "PEM", conflicts_with = "header")]
    pub ca_file: Option<PathBuf>,
}

/// A domain as typed and in the lower-case A-label form the checks use.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Domain {
    pub input: String,
    pub ascii: String,
}

/// Reads what the user typed: IP addresses and empty names are usage errors
/// (exit 2); hstspreload's format rules are issues (exit 1), as on hstspreload.org.
pub fn parse_domain(input: &str) -> Result<(Domain, Issues), Error> {
    let text = input.trim();
    if text.is_empty() {
        return Err(Error::usage("empty domain: give a name such as example.com"));
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Err(Error::usage_with_hint(
            format!("'{text}' is an IP address"),
            "HSTS and the preload list apply to domain names: give one",
        ));
    }
    let lower = text.to_lowercase();
    let format = domain::format(&lower);
    if format.has("domain.format.begins_with_dot")
        || format.has("domain.format.ends_with_dot")
        || format.has("domain.format.contains_double_dot")
    {
        return Ok((Domain { input: input.into(), ascii: lower }, format));
    }
    let ascii = match preload::normalise(&lower) {
        Some(ascii) => ascii,
        // Characters IDNA cannot map: hstspreload's invalid_characters.
        None => lower,
    };
    let issues = domain::format(&ascii);
    Ok((Domain { input: input.into(), ascii }, issues))
}

fn load_list(args: &Args) -> Result<PreloadList, Error> {
    match &args.preload_list {
        Some(path) => PreloadList::from_json_file(path),
        None => Ok(PreloadList::embedded()),
    }
}

pub async fn run(args: Args, global: &Global, _out: &Output) -> Result<HstsReport, Error> {
    if let Some(value) = &args.header {
        // The list file is still validated, so a bad --preload-list never passes silently.
        if args.preload_list.is_some() {
            load_list(&args)?;
        }
        return Ok(HstsReport::for_header(value, args.removable));
    }
    let input = args.domain.as_deref().unwrap_or_default();
    let (domain, mut issues) = parse_domain(input)?;
    let list = load_list(&args)?;
    let lookup = (!issues.has_errors()).then(|| list.lookup(&domain.ascii));
    if args.offline {
        // The level rule (eTLD+1) is about submissions; a lookup reports the list as it is.
        return Ok(HstsReport::for_domain(domain, list.info.clone(), lookup, issues, Mode::Lookup));
    }
    let mode = if args.removable { Mode::Removable } else { Mode::Preloadable };
    // As hstspreload: a malformed name is not dialled.
    if issues.has_errors() {
        return Ok(HstsReport::for_domain(domain, list.info.clone(), lookup, issues, mode));
    }
    let fetch = fetch::Fetcher::new(global, args.ca_file.as_deref())?;
    let outcome = if args.removable {
        online::removable(&fetch, &domain.ascii).await
    } else {
        issues.extend(domain::level(&domain.ascii));
        online::preloadable(&fetch, &domain.ascii, issues).await
    };
    let mut report = HstsReport::for_domain(domain, list.info.clone(), lookup, outcome.issues, mode);
    report.header = outcome.header.as_deref().map(report::HeaderReport::new);
    Ok(report)
}
