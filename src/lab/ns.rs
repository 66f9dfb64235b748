//! Holders, namespaces and sockets: the process-level machinery of the lab,
//! shared by `netwalk lab` and the test harness (tests/it/lab/).
//!
//! A lab is a tree of holder processes (`sleep infinity`): the root holder
//! unshares a user + network namespace and maps the caller to root in it;
//! every host is another holder that joins that user namespace and unshares
//! its own network and mount namespaces. Programs and sockets are made in a
//! host by a child whose `pre_exec` joins the holder's namespaces (a
//! multithreaded process cannot join a user namespace itself).

use super::sys::{self, Op};
use std::ffi::{CString, OsStr};
use std::fs::File;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long to wait for a socket made inside a host.
pub const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// How to enable unprivileged user namespaces.
pub const USERNS_HINT: &str = "Enable them: `sysctl -w kernel.unprivileged_userns_clone=1` (Debian and older \
     Ubuntu kernels), `sysctl -w user.max_user_namespaces=15000` (must be > 0), and on Ubuntu 23.10+ \
     `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (or an AppArmor profile allowing userns \
     for the program); in a container, allow unshare/setns/mount in its seccomp profile.";

/// ICMP error rate limits off: every error is sent.
pub const NO_RATELIMIT: [(&str, &str); 4] = [
    ("net/ipv4/icmp_ratelimit", "0"),
    ("net/ipv6/icmp/ratelimit", "0"),
    ("net/ipv4/icmp_msgs_per_sec", "1000000"),
    ("net/ipv4/icmp_msgs_burst", "1000000"),
];

/// Open namespace files of one holder; closures in `pre_exec` keep an Arc.
pub struct NsFiles {
    pub user: File,
    pub net: File,
    pub mnt: Option<File>,
}

/// Opens /proc/PID/ns/{user,net}[,mnt].
pub fn open_ns(pid: u32, with_mnt: bool) -> std::io::Result<NsFiles> {
    let open = |kind: &str| File::open(format!("/proc/{pid}/ns/{kind}"));
    Ok(NsFiles { user: open("user")?, net: open("net")?, mnt: if with_mnt { Some(open("mnt")?) } else { None } })
}

/// `sleep infinity`, detached from our stdio, cwd `/`.
pub fn holder_command() -> Command {
    let mut cmd = Command::new("sleep");
    cmd.arg("infinity").current_dir("/").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

/// Why a spawn with ops failed: the op (if one failed) and a sentence.
#[derive(Debug)]
pub struct SpawnError {
    pub op: Option<usize>,
    pub errno: Option<i32>,
    pub msg: String,
}

impl SpawnError {
    /// EPERM/EACCES from a namespace op: user namespaces are restricted.
    pub fn is_userns_denied(&self) -> bool {
        self.op.is_some() && matches!(self.errno, Some(libc::EPERM | libc::EACCES | libc::ENOSPC | libc::EINVAL))
    }
}

/// Spawns `cmd` with `ops` as its pre_exec; on failure says which op failed.
/// `keep` holds namespace files the ops refer to by fd.
pub fn spawn_with_ops(cmd: &mut Command, ops: Vec<Op>, keep: Option<Arc<NsFiles>>) -> Result<Child, SpawnError> {
    let report = sys::StageReport::new().map_err(|e| SpawnError {
        op: None,
        errno: e.raw_os_error(),
        msg: format!("pipe2 failed: {e}"),
    })?;
    let w = report.writer();
    let ops = Arc::new(ops);
    let child_ops = ops.clone();
    // SAFETY: run_ops and StageReport::tell are async-signal-safe and
    // allocation free; `keep` holds the namespace fds the ops refer to.
    unsafe {
        cmd.pre_exec(move || {
            let _keep = &keep;
            sys::run_ops(&child_ops).map_err(|(i, e)| {
                sys::StageReport::tell(&w, i);
                std::io::Error::from_raw_os_error(e)
            })
        });
    }
    cmd.spawn().map_err(|e| {
        let op = report.failed_index();
        let msg = match op {
            Some(i) => format!("{} failed: {e}", ops.get(i).map(Op::describe).unwrap_or_else(|| format!("step {i}"))),
            None => format!("spawning `{}` failed: {e}", describe_cmd(cmd)),
        };
        SpawnError { op, errno: e.raw_os_error(), msg }
    })
}

/// The root holder's program: a new user + network namespace with the
/// caller's uid/gid mapped to 0.
pub fn root_holder_ops() -> Vec<Op> {
    // SAFETY: trivial getters.
    let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
    vec![
        Op::DeathSig { parent: std::process::id() },
        Op::DefaultSignals,
        Op::Unshare { flags: libc::CLONE_NEWUSER | libc::CLONE_NEWNET, what: "CLONE_NEWUSER|CLONE_NEWNET" },
        Op::Write { path: CString::from(c"/proc/self/setgroups"), data: b"deny".to_vec(), optional: false },
        Op::Write {
            path: CString::from(c"/proc/self/uid_map"),
            data: format!("0 {euid} 1").into_bytes(),
            optional: false,
        },
        Op::Write {
            path: CString::from(c"/proc/self/gid_map"),
            data: format!("0 {egid} 1").into_bytes(),
            optional: false,
        },
    ]
}

/// A host holder's program: join the lab's user namespace, own network and
/// mount namespaces with private hosts/resolv.conf/nsswitch.conf files from
/// `dir`, a fresh /sys, lo up, explicit IPv6 defaults, forwarding for routers.
pub fn host_holder_ops(root: &NsFiles, dir: &Path, router: bool, no_ratelimit: bool) -> Vec<Op> {
    let mut ops = vec![
        Op::DeathSig { parent: std::process::id() },
        Op::DefaultSignals,
        Op::Setns { fd: root.user.as_raw_fd(), nstype: libc::CLONE_NEWUSER, what: "lab user" },
        Op::Unshare { flags: libc::CLONE_NEWNET | libc::CLONE_NEWNS, what: "CLONE_NEWNET|CLONE_NEWNS" },
        Op::MakeRootPrivate,
        Op::BindMount { src: cpath(&dir.join("hosts")), dst: CString::from(c"/etc/hosts") },
        Op::BindMount { src: cpath(&dir.join("resolv.conf")), dst: CString::from(c"/etc/resolv.conf") },
    ];
    if Path::new("/etc/nsswitch.conf").exists() {
        ops.push(Op::BindMount { src: cpath(&dir.join("nsswitch.conf")), dst: CString::from(c"/etc/nsswitch.conf") });
    }
    ops.push(Op::MountSysfs);
    ops.push(Op::LoUp);
    // Explicit IPv6 defaults: with net.core.devconf_inherit_init_net a new
    // namespace would copy the machine's settings.
    let mut sysctls = vec![
        ("net/ipv6/conf/all/disable_ipv6", "0"),
        ("net/ipv6/conf/default/disable_ipv6", "0"),
        ("net/ipv6/conf/default/addr_gen_mode", "0"),
        ("net/ipv6/conf/all/accept_dad", "0"),
        ("net/ipv6/conf/default/accept_dad", "0"),
    ];
    if router {
        sysctls.extend([
            ("net/ipv4/ip_forward", "1"),
            ("net/ipv6/conf/all/forwarding", "1"),
            ("net/ipv6/conf/default/forwarding", "1"),
        ]);
    }
    if no_ratelimit {
        sysctls.extend(NO_RATELIMIT);
    }
    ops.extend(sysctls.into_iter().map(|(k, v)| sysctl_op(k, v)));
    ops
}

/// The files a host holder bind-mounts, written into `dir`.
pub fn write_host_files(dir: &Path, name: &str) -> std::io::Result<()> {
    std::fs::write(dir.join("hosts"), "127.0.0.1 localhost\n::1 localhost\n")?;
    std::fs::write(dir.join("resolv.conf"), format!("# lab host {name}: no resolver configured\n"))?;
    std::fs::write(
        dir.join("nsswitch.conf"),
        "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n\
         protocols: files\nservices: files\nethers: files\nrpc: files\n",
    )
}

/// The ops that move a child into a host: user, mount (keeping the working
/// directory) and network namespaces.
pub fn enter_ops(ns: &NsFiles, with_mnt: bool) -> Vec<Op> {
    let mut ops = vec![
        Op::DeathSig { parent: std::process::id() },
        Op::DefaultSignals,
        Op::Setns { fd: ns.user.as_raw_fd(), nstype: libc::CLONE_NEWUSER, what: "lab user" },
    ];
    if with_mnt && let Some(m) = &ns.mnt {
        ops.push(Op::SetnsMntKeepCwd { fd: m.as_raw_fd() });
    }
    ops.push(Op::Setns { fd: ns.net.as_raw_fd(), nstype: libc::CLONE_NEWNET, what: "host network" });
    ops
}

/// A `Command` that runs `program` inside the host whose namespaces are `ns`.
/// stdin is null; PDEATHSIG(SIGKILL) is set; the working directory is kept.
pub fn command_in(ns: Arc<NsFiles>, program: impl AsRef<OsStr>) -> Command {
    let ops = enter_ops(&ns, true);
    let mut cmd = Command::new(program);
    cmd.stdin(Stdio::null());
    // SAFETY: run_ops is async-signal-safe and allocation free; `ns` keeps
    // the namespace fds open for as long as the Command lives.
    unsafe {
        cmd.pre_exec(move || {
            let _keep = &ns;
            sys::run_ops(&ops).map_err(|(_, e)| std::io::Error::from_raw_os_error(e))
        });
    }
    cmd
}

/// Any socket created inside a host, optionally bound (SO_REUSEADDR, and
/// IPV6_V6ONLY for v6) and listening. `host` names it in errors.
pub fn socket_in(
    ns: Arc<NsFiles>,
    host: &str,
    domain: i32,
    ty: i32,
    protocol: i32,
    bind: Option<SocketAddr>,
    listen: Option<i32>,
) -> Result<OwnedFd, String> {
    let what = format!(
        "lab host `{host}`: socket({}, {}, {protocol}){}",
        match domain {
            libc::AF_INET => "AF_INET".to_string(),
            libc::AF_INET6 => "AF_INET6".to_string(),
            libc::AF_PACKET => "AF_PACKET".to_string(),
            d => format!("domain {d}"),
        },
        match ty {
            libc::SOCK_STREAM => "SOCK_STREAM".to_string(),
            libc::SOCK_DGRAM => "SOCK_DGRAM".to_string(),
            libc::SOCK_RAW => "SOCK_RAW".to_string(),
            t => format!("type {t}"),
        },
        bind.map(|a| format!(" bound to {a}")).unwrap_or_default()
    );
    let ops = enter_ops(&ns, false);
    let descriptions: Vec<String> = ops.iter().map(Op::describe).collect();
    let spec = sys::SockSpec { domain, ty, protocol, bind: bind.as_ref().map(sys::sockaddr), listen };
    let (mine, theirs) = sys::seqpacket_pair().map_err(|e| format!("{what}: socketpair failed: {e}"))?;
    // SAFETY: socket_in_child is async-signal-safe and does not allocate;
    // spec was prepared above.
    let spawned = unsafe { spawn_in_host(ns, ops, theirs, move |chan| sys::socket_in_child(&spec, chan)) };
    let reply = sys::recv_reply(&mine, SOCKET_TIMEOUT);
    match spawned {
        Ok(mut child) => {
            if let Ok(None) = sys::wait_timeout(&mut child, SOCKET_TIMEOUT) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        Err(e) if !matches!(reply, sys::Received::Fd(_)) => {
            return Err(format!("{what}: spawning the helper failed: {e}"));
        }
        Err(_) => {}
    }
    match reply {
        sys::Received::Fd(fd) => Ok(fd),
        sys::Received::Failed(stage, errno) => {
            let step = match stage {
                sys::STAGE_SOCKET => "socket()".to_string(),
                sys::STAGE_SOCKOPT => "setsockopt(SO_REUSEADDR/IPV6_V6ONLY)".to_string(),
                sys::STAGE_BIND => "bind()".to_string(),
                sys::STAGE_LISTEN => "listen()".to_string(),
                i => descriptions.get(i as usize).cloned().unwrap_or_else(|| format!("step {i}")),
            };
            let hint = if stage == sys::STAGE_BIND && errno == libc::EADDRNOTAVAIL {
                " (is that address configured on one of this host's interfaces?)"
            } else {
                ""
            };
            Err(format!("{what} failed at {step}: {}{hint}", sys::errno_text(errno)))
        }
        sys::Received::Nothing => Err(format!("{what}: the helper exited without sending the socket")),
        sys::Received::TimedOut => Err(format!("{what}: no answer within {SOCKET_TIMEOUT:?}")),
    }
}

/// Spawns a short-lived child that enters a host's namespaces (`ops`) and
/// then runs `work` on its end of the channel (`theirs`), which is closed in
/// this process once the child exists.
///
/// # Safety
/// `work` runs between fork and exec: it must be async-signal-safe and must
/// not allocate.
unsafe fn spawn_in_host(
    ns: Arc<NsFiles>,
    ops: Vec<Op>,
    theirs: OwnedFd,
    work: impl Fn(std::os::fd::RawFd) + Send + Sync + 'static,
) -> std::io::Result<Child> {
    let mut cmd = Command::new("true");
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // SAFETY: run_ops and socket_ops_failed are async-signal-safe and do not
    // allocate (all buffers were prepared by the caller); so is `work`, by
    // this function's contract.
    unsafe {
        cmd.pre_exec(move || {
            let _keep = &ns;
            match sys::run_ops(&ops) {
                Ok(()) => work(theirs.as_raw_fd()),
                Err((i, e)) => sys::socket_ops_failed(theirs.as_raw_fd(), i, e),
            }
            Ok(())
        });
    }
    cmd.spawn() // dropping cmd closes our copy of the child's end
}

/// Makes sockets inside one host on demand, for code of this process that
/// opens its own connections there (the home router's recursive resolver):
/// a long-lived helper in the host's namespaces answers each request with a
/// new socket, a round trip of microseconds instead of a fork per socket.
/// The helper ends when this factory is dropped (its channel closes).
pub struct SocketFactory {
    chan: std::sync::Mutex<OwnedFd>,
    host: String,
}

impl SocketFactory {
    pub fn start(ns: Arc<NsFiles>, host: &str) -> Result<SocketFactory, String> {
        let ops = enter_ops(&ns, false);
        let descriptions: Vec<String> = ops.iter().map(Op::describe).collect();
        let (mine, theirs) =
            sys::seqpacket_pair().map_err(|e| format!("lab host `{host}`: socket factory: socketpair failed: {e}"))?;
        // SAFETY: the factory loop is async-signal-safe and does not allocate.
        let spawned = unsafe { spawn_in_host(ns, ops, theirs, |chan| sys::socket_factory_in_child(chan)) };
        let mut child = spawned.map_err(|e| format!("lab host `{host}`: socket factory: spawn failed: {e}"))?;
        let _ = sys::wait_timeout(&mut child, SOCKET_TIMEOUT);
        // The helper's first words, if any, are a failure: which op, or nothing
        // at all when the fork failed and the channel closed.
        match sys::recv_reply(&mine, Duration::ZERO) {
            sys::Received::TimedOut => {}
            sys::Received::Failed(i, e) => {
                let step = descriptions.get(i as usize).cloned().unwrap_or_else(|| format!("step {i}"));
                return Err(format!("lab host `{host}`: socket factory failed at {step}: {}", sys::errno_text(e)));
            }
            _ => return Err(format!("lab host `{host}`: the socket factory exited at start")),
        }
        Ok(SocketFactory { chan: std::sync::Mutex::new(mine), host: host.into() })
    }

    /// `socket(domain, ty, 0)` inside the host (`ty` may carry SOCK_NONBLOCK).
    pub fn make(&self, domain: i32, ty: i32) -> std::io::Result<OwnedFd> {
        let chan = self.chan.lock().unwrap_or_else(|e| e.into_inner());
        sys::send_request(&chan, sys::SockRequest { domain, ty })?;
        match sys::recv_reply(&chan, SOCKET_TIMEOUT) {
            sys::Received::Fd(fd) => Ok(fd),
            sys::Received::Failed(_, errno) => Err(std::io::Error::from_raw_os_error(errno)),
            sys::Received::Nothing => {
                Err(std::io::Error::other(format!("the socket helper of `{}` has gone", self.host)))
            }
            sys::Received::TimedOut => Err(std::io::Error::other(format!(
                "the socket helper of `{}` did not answer within {SOCKET_TIMEOUT:?}",
                self.host
            ))),
        }
    }
}

/// Waits (bounded, polling real state) until the kernel has processed the
/// carrier change of a new interface: operstate `up`, the bridge port
/// forwarding, and for IPv6 the link-local address present (the same
/// notifier joins the solicited-node groups; before that an NDP
/// solicitation is dropped and costs a 1 s retransmit). Reads the holder's
/// own sysfs and /proc/<holder>/net/if_inet6; a missing file is skipped.
pub fn wait_iface_ready(holder: u32, ifname: &str, v6: bool, bridge_port: bool) -> Result<(), String> {
    let sys = format!("/proc/{holder}/root/sys/class/net/{ifname}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let up = read(&format!("{sys}/operstate")).is_none_or(|s| s.trim() == "up");
        let fwd = !bridge_port || read(&format!("{sys}/brport/state")).is_none_or(|s| s.trim() == "3");
        let ll = !v6
            || read(&format!("/proc/{holder}/net/if_inet6")).is_none_or(|t| {
                t.lines().any(|l| l.starts_with("fe80") && l.split_whitespace().last() == Some(ifname))
            });
        if up && fwd && ll {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "interface {ifname} not ready after 5 s (operstate up: {up}, bridge port forwarding: {fwd}, \
                 IPv6 link-local: {ll})"
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A sysctl write as an op; `path` like `net/ipv4/ip_forward`.
pub fn sysctl_op(path: &str, value: &str) -> Op {
    let full = format!("/proc/sys/{path}");
    // The global ICMP budget sysctls are per-namespace only on newer kernels.
    let optional = path.ends_with("icmp_msgs_per_sec") || path.ends_with("icmp_msgs_burst");
    Op::Write { path: CString::new(full).unwrap_or_default(), data: format!("{value}\n").into_bytes(), optional }
}

pub fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap_or_default()
}

/// `02:KK:00:HH:HH:II`: KK = 0x48 ('H') for hosts, 0x53 ('S') for switches.
pub fn mac_for(kind: u8, node: usize, ordinal: usize) -> String {
    let n = node as u16;
    format!("02:{kind:02x}:00:{:02x}:{:02x}:{:02x}", n >> 8, n & 0xff, ordinal as u8)
}

/// A command line as a shell would show it.
pub fn describe_cmd(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"$;&|<>()*?".contains(c)) {
            parts.push(format!("'{}'", a.replace('\'', "'\\''")));
        } else {
            parts.push(a.into_owned());
        }
    }
    parts.join(" ")
}
