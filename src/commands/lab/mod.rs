//! `netwalk lab`: build the offline mini-internet (see `crate::lab::internet`),
//! run one command (or a shell) in its client, tear everything down, and
//! exit with the command's own exit code.

use crate::cli::Global;
use crate::error::Error;
use crate::lab::internet::{Internet, WWW};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};

#[derive(Debug, clap::Args)]
#[command(after_long_help = concat!(
    "Examples:\n",
    "  netwalk lab\n",
    "  netwalk lab --shell\n",
    "  netwalk lab -- netwalk --json explain --ca-file /path/from/NETWALK_LAB_CA http://www.example.test/\n",
    "  netwalk lab -- sh -c 'netwalk dig --root-hints \"$NETWALK_LAB_ROOT_HINTS\" +trace www.example.test'\n\n",
    "Builds, without sudo (user + network namespaces), a small offline internet: a client that\n",
    "takes its address, route and resolver by DHCP from a home router, two ISP routers, the DNS\n",
    "servers of the root, test. and example.test., and www.example.test (http redirects to https,\n",
    "HSTS, a certificate from a lab CA made at start). Runs COMMAND in the client (by default\n",
    "`netwalk explain --ca-file $NETWALK_LAB_CA http://www.example.test/`) and removes\n",
    "everything afterwards. In the client: PATH starts with netwalk's directory;\n",
    "NETWALK_LAB_CA (the CA certificate, PEM), NETWALK_LAB_ROOT_HINTS (root hints for\n",
    "dig +trace), NETWALK_LAB_LEASE (the DHCP lease, JSON) and NETWALK_LAB_DIR are set.\n\n",
    "Exit codes: COMMAND's own exit code (128+N if a signal N ended it); 3 when the lab cannot\n",
    "be built here (no unprivileged user namespaces, no iproute2); 1 when the client gets no lease.\n"
))]
pub struct Args {
    /// Open an interactive shell ($SHELL, else /bin/sh) in the client instead of a command
    #[arg(long, conflicts_with = "command")]
    pub shell: bool,

    /// The command to run in the client, after `--`
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// The last signal that asked us to stop (0: none).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(sig: libc::c_int) {
    SIGNALLED.store(sig, Ordering::SeqCst);
}

const STOP_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Ctrl-C and friends are recorded (no SA_RESTART, so a wait returns EINTR)
/// instead of killing us: the lab is always torn down.
fn catch_stop_signals() {
    for sig in STOP_SIGNALS {
        // SAFETY: installs an async-signal-safe handler (one atomic store).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = record as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

fn interrupted() -> Result<(), Error> {
    match SIGNALLED.load(Ordering::SeqCst) {
        0 => Ok(()),
        sig => Err(Error::Lab { message: format!("interrupted by signal {sig} while building the lab"), hint: None }),
    }
}

/// Builds the lab, runs the command, tears down; the exit code is the command's.
pub fn run(args: Args, global: &Global) -> Result<u8, Error> {
    catch_stop_signals();
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find the netwalk executable", e))?;
    let mut lab = Internet::build()?;
    interrupted()?;
    let l = &lab.lease;
    crate::output::stderr_line(&format!(
        "lab: built in {}: client {}/{} leased from {} (DISCOVER→OFFER {}, REQUEST→ACK {}), \
         router {}, DNS {}; www.example.test is {WWW}; CA {}",
        ms(lab.built_in),
        l.address,
        l.prefix_len,
        l.server,
        ms(l.offer_after),
        ms(l.ack_after),
        l.routers.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "),
        l.dns_servers.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "),
        lab.ca.display(),
    ));
    let (program, rest): (OsString, Vec<OsString>) = if args.shell {
        (std::env::var_os("SHELL").filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into()), Vec::new())
    } else if let Some((first, rest)) = args.command.split_first() {
        (first.clone(), rest.to_vec())
    } else {
        let mut default: Vec<OsString> = vec!["explain".into(), "--ca-file".into(), lab.ca.clone().into()];
        if global.json {
            default.insert(0, "--json".into());
        }
        default.push("http://www.example.test/".into());
        (exe.clone().into(), default)
    };
    let mut cmd = lab.net.command(lab.client, &program);
    cmd.args(&rest).stdin(Stdio::inherit()).stdout(Stdio::inherit()).stderr(Stdio::inherit());
    client_env(&mut cmd, &lab, &exe);
    let code = run_child(cmd, &program);
    lab.teardown();
    code
}

fn ms(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn client_env(cmd: &mut Command, lab: &Internet, exe: &std::path::Path) {
    let bin = exe.parent().map(PathBuf::from).unwrap_or_default();
    let mut path = std::ffi::OsString::from(bin.as_os_str());
    if let Some(old) = std::env::var_os("PATH") {
        path.push(":");
        path.push(old);
    }
    cmd.env("PATH", path)
        .env("NETWALK_LAB_DIR", lab.net.dir())
        .env("NETWALK_LAB_CA", &lab.ca)
        .env("NETWALK_LAB_ROOT_HINTS", &lab.root_hints)
        .env("NETWALK_LAB_LEASE", &lab.lease_file)
        .env("PS1", "netwalk-lab$ ");
}

/// Runs the child to its end, passing on any stop signal we receive.
fn run_child(mut cmd: Command, program: &OsString) -> Result<u8, Error> {
    let child = cmd.spawn().map_err(|e| {
        Error::usage_with_hint(
            format!("cannot run `{}` in the lab's client: {e}", program.to_string_lossy()),
            "check the command name (the client's PATH is netwalk's directory, then yours)",
        )
    })?;
    let pid = child.id() as libc::pid_t;
    loop {
        let mut status = 0;
        // SAFETY: waitpid on our own child; EINTR when a stop signal arrives.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            if libc::WIFEXITED(status) {
                return Ok(libc::WEXITSTATUS(status) as u8);
            }
            if libc::WIFSIGNALED(status) {
                return Ok(128u8.wrapping_add(libc::WTERMSIG(status) as u8));
            }
            continue;
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(Error::io("waiting for the lab's command", e));
        }
        // Ctrl-C and Ctrl-\ already reached the child from the terminal (same
        // process group); pass on the others.
        let sig = SIGNALLED.swap(0, Ordering::SeqCst);
        if sig == libc::SIGTERM || sig == libc::SIGHUP {
            // SAFETY: forwarding a signal to our own, unreaped child.
            unsafe { libc::kill(pid, sig) };
        }
    }
}
