//! netwalk: network diagnostics sharing one socket, timing and output layer.
//! Data flows one way: `net` and the pure engines ← command `run` ← `main`.

pub mod cli;
pub mod commands;
pub mod error;
pub mod input;
pub mod lab;
pub mod live;
pub mod net;
pub mod output;
pub mod target;
pub mod timing;
pub mod wire;

use cli::{Cli, Command};
use error::{Error, Exit};

/// Runs the parsed command line: the result is printed and judged here.
pub fn run(cli: Cli) -> Result<Exit, Error> {
    let out = cli.global.output();
    let Cli { global, command } = cli;
    if let Command::Lab(_) = command {
        return Err(Error::usage("netwalk lab exits with its command's code: call run_lab"));
    }
    // dig and traceroute build a runtime only for the work that needs one
    // (dig: DoT, DoH, +trace; traceroute: names): a plain query or trace is
    // over before a runtime would have started.
    if let Command::Traceroute(args) = command {
        let report = commands::traceroute::run(args, &global, &out).inspect_err(|e| out.failure("traceroute", e));
        return Ok(out.finish(&report?));
    }
    // serve runs until stopped, on a runtime of its own.
    if let Command::Serve(args) = command {
        return commands::serve::run(args, &global);
    }
    if let Command::Dig(args) = command {
        let report: Box<dyn output::Report> =
            commands::dig::run(args, &global).inspect_err(|e| out.failure("dig", e))?.into();
        return Ok(out.finish(report.as_ref()));
    }
    // Every command: parse → run → one typed report, printed and judged by `out`.
    macro_rules! dispatch {
        ($command:expr; $($variant:ident => $module:ident $name:literal,)*) => {
            match $command {
                // http prints its body on stdout and its report beside it: its own finish.
                Command::Http(args) => commands::http::finish(&out, &commands::http::run(args, &global, &out).await?),
                Command::Dig(_) | Command::Traceroute(_) | Command::Serve(_) => unreachable!("runs without this runtime, above"),
                Command::Lab(_) => unreachable!("lab runs in run_lab"),
                // A command that fails before its verdict still answers --json with a document.
                $(Command::$variant(args) => {
                    let report = commands::$module::run(args, &global, &out).await;
                    out.finish(&report.inspect_err(|e| out.failure($name, e))?)
                })*
            }
        };
    }
    block_on(async {
        Ok(dispatch! { command;
            Tcping => tcping "tcping",
            Arp => arp "arp",
            DhcpDiscover => dhcp_discover "dhcp-discover",
            HstsCheck => hsts_check "hsts-check",
            TlsInspect => tls_inspect "tls-inspect",
            Explain => explain "explain",
        })
    })?
}

/// `netwalk lab`: exits with the code of the command it ran in the lab
/// (any 0..=255), so it does not go through `run`'s verdicts.
pub fn run_lab(args: commands::lab::Args, global: &cli::Global) -> std::process::ExitCode {
    match commands::lab::run(args, global) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(err) => {
            output::stderr_line(&err.line());
            err.exit().into()
        }
    }
}

/// Runs `work` on a fresh current-thread runtime (I/O and timers enabled).
pub fn block_on<F: std::future::Future>(work: F) -> Result<F::Output, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    Ok(runtime.block_on(work))
}

/// `-v` debug, `-vv` trace, on stderr. Without -v nothing is logged (the
/// report and the one-line errors say what happened) and no subscriber is
/// installed: its registry would cost start-up for nothing.
pub fn init_tracing(verbose: u8, color: bool) {
    let level = match verbose {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(verbose > 1)
        .with_ansi(color)
        // On a closed stderr (`-v … 2>&1 | head -1`) tracing would report its
        // write error with eprintln!, which panics: the exit code must stay ours.
        .log_internal_errors(false)
        .init();
}
