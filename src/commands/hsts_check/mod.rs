//! `netwalk hsts-check`: the Strict-Transport-Security header, hstspreload's
//! preload requirements, and the Chromium preload list offline.

pub mod domain;
pub mod header;
pub mod issue;
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
    "  netwalk hsts-check --header 'max-age=31536000; includeSubDomains; preload'\n",
    "  netwalk hsts-check mail.google.com\n",
    "  netwalk hsts-check bücher.de --preload-list transport_security_state_static.json\n\n",
    "Issue codes are hstspreload's (the library behind hstspreload.org). The preload list is\n",
    "an embedded snapshot of Chromium's, force-https entries only; --preload-list reads a\n",
    "current transport_security_state_static.json instead. Nothing is fetched to get it.\n\n",
    "Exit codes:\n",
    "  0  the header is preloadable (with --removable: removable); the domain is preloaded\n",
    "  1  errors found (not preloadable)\n",
    "  2  usage or input error (bad domain, IP address, malformed list file)\n",
    "  3  missing environment"
))]
#[command(group = clap::ArgGroup::new("what").required(true).args(["domain", "header"]))]
pub struct Args {
    /// Look this domain up in the preload list (IDN names are punycoded); sends nothing
    #[arg(value_name = "DOMAIN")]
    pub domain: Option<String>,

    /// Parse this Strict-Transport-Security value offline instead of checking a domain
    #[arg(long, value_name = "VALUE", conflicts_with = "domain")]
    pub header: Option<String>,

    /// Use this Chromium transport_security_state_static.json instead of the embedded snapshot
    #[arg(long, value_name = "FILE")]
    pub preload_list: Option<PathBuf>,

    /// Judge the --header value for removal from the list instead of for preloading
    #[arg(long)]
    pub removable: bool,
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

pub async fn run(args: Args, _global: &Global, _out: &Output) -> Result<HstsReport, Error> {
    if let Some(value) = &args.header {
        // The list file is still validated, so a bad --preload-list never passes silently.
        if args.preload_list.is_some() {
            load_list(&args)?;
        }
        return Ok(HstsReport::for_header(value, args.removable));
    }
    if args.removable {
        // The removal check needs the site's header: give it with --header.
        return Err(Error::usage_with_hint("--removable judges a header", "add --header 'VALUE'"));
    }
    let input = args.domain.as_deref().unwrap_or_default();
    let (domain, issues) = parse_domain(input)?;
    let list = load_list(&args)?;
    let lookup = (!issues.has_errors()).then(|| list.lookup(&domain.ascii));
    // The level rule (eTLD+1) is about submissions; a lookup reports the list as it is.
    Ok(HstsReport::for_domain(domain, list.info.clone(), lookup, issues, Mode::Lookup))
}
