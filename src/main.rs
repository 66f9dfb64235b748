use clap::Parser;
use netwalk::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return netwalk::error::clap_exit(err),
    };
    netwalk::init_tracing(cli.global.verbose, cli.global.color_on(&std::io::stderr()));
    if let netwalk::cli::Command::Lab(args) = cli.command {
        return netwalk::run_lab(args, &cli.global);
    }
    match netwalk::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            netwalk::output::stderr_line(&err.line());
            err.exit().into()
        }
    }
}
