//! Every error netwalk can report, and the exit-code policy, in one place.
//!
//! Exit codes (also in README and the man pages):
//! 0 the check passed; 1 it ran and the target failed it; 2 usage or input
//! error; 3 missing privilege or environment. `http` also uses curl's numbers
//! for the ways a transfer fails that scripts already test for: 7 could not
//! connect, 18 the body ended short, 22 an HTTP error status under --fail,
//! 28 a timeout (--connect-timeout, --max-time, --speed-limit/--speed-time),
//! 47 too many redirects.

use std::process::ExitCode;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Passed = 0,
    Failed = 1,
    Usage = 2,
    Environment = 3,
    /// Stopped by Ctrl-C (SIGINT) before the work was done: what it found
    /// so far is printed, but it is not a verdict (the shell's 128 + 2).
    Interrupted = 130,
    /// curl's 7: no address of the server accepted the connection.
    Connect = 7,
    /// curl's 18: the body ended before its announced length.
    Partial = 18,
    /// curl's 22: --fail and a status of 400 or more.
    HttpError = 22,
    /// curl's 28: --connect-timeout, --max-time or the low-speed limit.
    TimedOut = 28,
    /// curl's 47: more redirects than --max-redirs.
    TooManyRedirects = 47,
}

/// How an HTTP transfer failed, for the exit codes curl users test for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    Connect,
    Partial,
    HttpError,
    TimedOut,
    TooManyRedirects,
}

impl Transfer {
    pub fn exit(self) -> Exit {
        match self {
            Transfer::Connect => Exit::Connect,
            Transfer::Partial => Exit::Partial,
            Transfer::HttpError => Exit::HttpError,
            Transfer::TimedOut => Exit::TimedOut,
            Transfer::TooManyRedirects => Exit::TooManyRedirects,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// What went wrong before a check could give its verdict.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line input that clap's parser cannot see (target syntax, conflicting values).
    #[error("{message}")]
    Usage { message: String, hint: Option<String> },

    #[error("cannot resolve '{host}': {reason}")]
    Resolve { host: String, reason: String },

    #[error("no such interface '{name}'")]
    NoSuchInterface { name: String, available: Vec<String> },

    #[error("source address {addr} is not usable: {source}")]
    SourceAddress { addr: std::net::IpAddr, source: std::io::Error },

    /// The operation needs CAP_NET_RAW (raw or packet sockets).
    #[error("{what} needs CAP_NET_RAW")]
    Privilege { what: String, fallback: Option<String> },

    /// The interface cannot do what was asked (no Ethernet address, no IPv4 address, …).
    #[error("{message}")]
    Link { message: String, hint: Option<String> },

    /// A syscall failed in a way the user's environment explains.
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },

    /// The peer was reached but failed the check: refused, broke the protocol,
    /// failed TLS verification, sent too much, redirected in a loop.
    #[error("{message}")]
    Target { message: String, hint: Option<String> },

    /// The rootless lab cannot be built here (no user namespaces, no `ip`).
    #[error("{message}")]
    Lab { message: String, hint: Option<String> },

    /// An HTTP transfer failed in one of the ways `http` gives curl's exit
    /// code for (other commands see it as Target: see `as_check_failure`).
    #[error("{message}")]
    Transfer { failure: Transfer, message: String, hint: Option<String> },

    /// The whole operation ran past its deadline (`--max-time`).
    #[error("{what}: no result within {}", crate::timing::human(*after))]
    TimedOut { what: String, after: std::time::Duration },
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage { message: message.into(), hint: None }
    }

    pub fn usage_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage { message: message.into(), hint: Some(hint.into()) }
    }

    pub fn target(message: impl Into<String>) -> Self {
        Error::Target { message: message.into(), hint: None }
    }

    pub fn target_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Target { message: message.into(), hint: Some(hint.into()) }
    }

    pub fn transfer(failure: Transfer, message: impl Into<String>, hint: Option<String>) -> Self {
        Error::Transfer { failure, message: message.into(), hint }
    }

    /// For commands other than `http`: a failed transfer is just a failed
    /// check (exit 1), not one of curl's numbers.
    pub fn as_check_failure(self) -> Self {
        match self {
            Error::Transfer { message, hint, .. } => Error::Target { message, hint },
            other => other,
        }
    }

    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { what: what.into(), source }
    }

    /// The policy: input problems are 2, the machine or privilege is 3.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage { .. } | Error::Resolve { .. } => Exit::Usage,
            Error::Target { .. } => Exit::Failed,
            Error::Transfer { failure, .. } => failure.exit(),
            Error::TimedOut { .. } => Exit::TimedOut,
            Error::NoSuchInterface { .. }
            | Error::SourceAddress { .. }
            | Error::Privilege { .. }
            | Error::Link { .. }
            | Error::Lab { .. }
            | Error::Io { .. } => Exit::Environment,
        }
    }

    /// What the user can do about it, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Usage { hint, .. }
            | Error::Link { hint, .. }
            | Error::Lab { hint, .. }
            | Error::Target { hint, .. }
            | Error::Transfer { hint, .. } => hint.clone(),
            Error::TimedOut { .. } => Some("raise --max-time, or check that the peer answers".into()),
            Error::Resolve { .. } => {
                Some("check the spelling, /etc/hosts and the servers in /etc/resolv.conf".into())
            }
            Error::NoSuchInterface { available, .. } => {
                Some(format!("interfaces here: {}", available.join(", ")))
            }
            Error::SourceAddress { .. } => {
                Some("use an address configured on this host (see `ip addr`)".into())
            }
            Error::Privilege { fallback, .. } => {
                let mut hint = "run it with sudo, or grant the capability once: \
                                sudo setcap cap_net_raw+ep \"$(command -v netwalk)\""
                    .to_string();
                if let Some(fallback) = fallback {
                    hint += &format!("; or {fallback}");
                }
                Some(hint)
            }
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                Some("this needs CAP_NET_RAW or CAP_NET_ADMIN: run with sudo, or `sudo setcap cap_net_raw+ep $(which netwalk)`".into())
            }
            Error::Io { .. } => None,
        }
    }

    /// The one line printed on stderr.
    pub fn line(&self) -> String {
        match self.hint() {
            Some(hint) => format!("netwalk: error: {self} ({hint})"),
            None => format!("netwalk: error: {self}"),
        }
    }
}

/// Prints a clap parse error whole (what is wrong, clap's tip for a
/// misspelling, the usage line) and maps it onto the policy (exit 2);
/// `--help` and `--version` print normally and exit 0.
pub fn clap_exit(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            Exit::Passed.into()
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            Exit::Usage.into()
        }
        _ => {
            crate::output::stderr_line(&clap_text(&err));
            Exit::Usage.into()
        }
    }
}

/// clap's rendering, plain, its first line prefixed like every other
/// netwalk error so scripts can grep one prefix.
fn clap_text(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let body = rendered.trim_end().strip_prefix("error: ").unwrap_or(rendered.trim_end());
    format!("netwalk: error: {body}")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_maps_each_kind() {
        assert_eq!(Error::usage("x").exit(), Exit::Usage);
        let resolve = Error::Resolve { host: "a.test".into(), reason: "NXDOMAIN".into() };
        assert_eq!(resolve.exit(), Exit::Usage);
        let iface = Error::NoSuchInterface { name: "eth9".into(), available: vec!["lo".into()] };
        assert_eq!(iface.exit(), Exit::Environment);
        assert_eq!(iface.line(), "netwalk: error: no such interface 'eth9' (interfaces here: lo)");
        let raw = Error::Privilege { what: "sending ARP".into(), fallback: Some("use --unprivileged".into()) };
        assert_eq!(raw.exit(), Exit::Environment);
        assert!(raw.line().starts_with("netwalk: error: sending ARP needs CAP_NET_RAW (run it with sudo"));
        assert!(raw.line().ends_with("; or use --unprivileged)"));
    }

    #[test]
    fn a_clap_error_keeps_the_argument_the_tip_and_the_usage() {
        use clap::Parser;
        let err = crate::cli::Cli::try_parse_from(["netwalk", "tcping"]).unwrap_err();
        let text = clap_text(&err);
        assert!(text.starts_with("netwalk: error: the following required arguments were not provided"), "{text}");
        assert!(text.contains("<TARGET>") && text.contains("Usage: netwalk tcping"), "{text}");
        let err = crate::cli::Cli::try_parse_from(["netwalk", "tcping", "--coutn", "3", "x"]).unwrap_err();
        assert!(clap_text(&err).contains("tip: a similar argument exists: '--count'"), "{}", clap_text(&err));
    }
}
