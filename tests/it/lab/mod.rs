//! The rootless network lab: small networks in Linux namespaces, no sudo.
//!
//! ```text
//!  Lab::chain(&["client", "r1", "r2", "server"])     (r1, r2 are routers)
//!
//!  client            r1                   r2                   server
//!  eth0 ─────────── eth0 eth1 ────────── eth0 eth1 ────────── eth0
//!   .1  198.18.1.0/24  .2  .1 198.18.2.0/24 .2  .1 198.18.3.0/24 .2
//!  ::1  2001:db8:1::/64 ::2 ::1 2001:db8:2::/64 ::2 ::1 2001:db8:3::/64 ::2
//!
//!  let lan = lab.switch("lan");            h1 eth0 ─┐
//!  lab.attach(&h1, &lan, "198.18.5.10/24") h2 eth0 ─┼─ [lan: bridge br0, ports p0..]
//!  ...                                     gw eth1 ─┘
//! ```
//!
//! ```rust,ignore
//! mod lab;
//! let lab = lab::Lab::chain(&["client", "r1", "server"]); // links up, routes computed
//! let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
//! let listener = server.tcp_listener("198.18.2.2:8080".parse().unwrap()); // already listening
//! std::thread::spawn(move || while let Ok((_conn, peer)) = listener.accept() { dbg!(peer); });
//! let out = client.run("ping", ["-c1", "-W1", &lab.addr_of("server", 4).to_string()]);
//! let netwalk = client.command(env!("CARGO_BIN_EXE_netwalk")).args(["tcping", "198.18.2.2:8080"]).output();
//! lab.host_by_name("r1").route("prohibit 198.18.2.2/32"); // or .sh("ip route ..."), .nft(..)
//! let daemon = server.spawn_server("some-daemon", ["--foreground"]); // logs: daemon.log()
//! client.set_resolv_conf("nameserver 198.18.2.2\n"); client.set_hosts_entry("web.test", lab.addr_of("server", 4));
//! // dropping `lab` kills every holder and server and removes its temp dir
//! ```
//!
//! How it works: `Lab::new` spawns a holder process (`sleep infinity`) that
//! unshares a user + network namespace (as `unshare -Urn` does) and maps
//! the caller's uid/gid to root. Every host, router and switch is another
//! holder that joins that user namespace and unshares its own network and
//! mount namespaces (private `/etc/hosts`, `/etc/resolv.conf`,
//! `/etc/nsswitch.conf` with `hosts: files dns`, a fresh `/sys`). Programs
//! run in a host through [`Host::command`], whose `pre_exec` joins the
//! host's namespaces with `setns` and then execs the program directly.
//! Sysctls are written from `pre_exec` too (open/write on /proc/sys, which
//! is per network namespace), so no `sysctl` binary is needed.
//!
//! Rules: every spawned process gets `PR_SET_PDEATHSIG(SIGKILL)` and
//! default signal dispositions (even if the test runner ignores SIGINT); `Drop`
//! kills and reaps holders and servers in reverse order, also when the test
//! panics. PDEATHSIG fires when the *thread* that spawned a process exits:
//! create the `Lab` in the test's own thread and spawn long-lived servers
//! from a thread that outlives them. `LAB_KEEP=1` keeps the lab directory
//! (logs, hosts files) for debugging. Never sleep for synchronisation: the
//! harness returns holders after their `exec` (hence after `pre_exec` did
//! its work), links once the kernel reports them up, and sockets already
//! bound and listening.
//!
//! Inside the lab only uid 0 and gid 0 exist (mapped to the caller), so
//! daemons must not switch to another user (e.g. dnsmasq `-u root`), and
//! ping_group_range can only be "0 0" ([`Host::allow_ping_sockets`]).

#![allow(dead_code)]

pub mod cli;
pub mod tmux;

pub use netwalk::lab::route::Cidr;

use netwalk::lab::ns::{self, NsFiles, USERNS_HINT, describe_cmd, holder_command, mac_for, spawn_with_ops};
use netwalk::lab::{route, sys};

use std::ffi::OsStr;
use std::fs::File;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Every program a test starts, and the Debian package that has it. .ci/run
/// installs these; a test that cannot find one fails with [`not_installed`].
pub const PROGRAMS: &[(&str, &str)] = &[
    ("ip", "iproute2"),
    ("bridge", "iproute2"),
    ("nft", "nftables"),
    ("ping", "iputils-ping"),
    ("getent", "libc-bin"),
    ("time", "time"),
    ("bash", "bash"),
    ("tmux", "tmux"),
    ("dnsmasq", "dnsmasq-base"),
    ("openssl", "openssl"),
    ("nginx", "nginx"),
    ("curl", "curl"),
    ("named", "bind9"),
    ("dnssec-keygen", "bind9-utils"),
    ("dnssec-signzone", "bind9-utils"),
    ("dig", "bind9-dnsutils"),
    ("chromium", "chromium"),
    ("nsupdate", "bind9-dnsutils"),
    ("python3", "python3"),
    ("sslscan", "sslscan"),
    ("prometheus", "prometheus"),
    ("promtool", "prometheus"),
    ("prometheus-blackbox-exporter", "prometheus-blackbox-exporter"),
];

/// The one line a test fails with when `program` is missing.
pub fn not_installed(program: &str) -> String {
    let name = Path::new(program).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match PROGRAMS.iter().find(|(p, _)| *p == name) {
        Some((_, pkg)) => format!("`{name}` is not installed: apt-get install {pkg} (.ci/run installs it)"),
        None => format!("`{name}` is not installed, and tests/it/lab/mod.rs PROGRAMS does not name its package"),
    }
}

/// The path of `program` (PATH, then the sbin directories a non-root PATH
/// lacks); panics with [`not_installed`] when there is none.
pub fn require(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin", "/sbin"].map(PathBuf::from));
    dirs.map(|dir| dir.join(program)).find(|p| p.is_file()).unwrap_or_else(|| panic!("{}", not_installed(program)))
}

/// A spawn failure: a missing program says which package has it.
fn spawn_failure(host: &str, desc: &str, program: &OsStr, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!("lab host `{host}`: cannot start `{desc}`: {}", not_installed(&program.to_string_lossy()))
    } else {
        format!("lab host `{host}`: cannot start `{desc}`: {e}")
    }
}

/// How long `Host::run`/`sh`/`output` let a command run before killing it.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to wait for a socket made inside a host.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Host,
    Router,
    Switch,
}

struct Node {
    index: usize,
    name: String,
    kind: Kind,
    pid: u32,
    dir: PathBuf,
    ns: Mutex<Option<Arc<NsFiles>>>,
}

/// One interface as the lab configured it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iface {
    /// Host (or switch) name.
    pub host: String,
    /// Interface name inside that host, e.g. `eth0`.
    pub name: String,
    /// Locally administered MAC, `02:..`, lower case.
    pub mac: String,
    pub addrs: Vec<Cidr>,
    /// The interface index the lab gave it (unique within the lab).
    pub ifindex: u32,
}

/// Both ends of a veth link.
#[derive(Clone, Debug)]
pub struct Link {
    pub a: Iface,
    pub b: Iface,
}

struct Proc {
    label: String,
    child: Child,
    status: Option<ExitStatus>,
}

#[derive(Default)]
struct State {
    nodes: Vec<Arc<Node>>,
    /// Per node index: its interfaces in creation order.
    ifaces: Vec<Vec<Iface>>,
    /// Per node index: lines appended with `set_hosts_entry`.
    extra_hosts: Vec<Vec<String>>,
    /// Links and switches: members are (node index, interface name).
    segments: Vec<Vec<(usize, String)>>,
    /// Switch node index -> its segment index.
    switch_segment: Vec<(usize, usize)>,
}

struct Shared {
    dir: PathBuf,
    root: Arc<Node>,
    state: Mutex<State>,
    procs: Mutex<Vec<Proc>>,
    torn_down: AtomicBool,
    no_ratelimit: AtomicBool,
    seq: AtomicU64,
    /// Next interface index: unique per lab, so no veth ever has the same
    /// ifindex as its peer (the kernel then treats its carrier changes as
    /// non-urgent and delays them up to 1 s, which stalls IPv6 ND).
    next_ifindex: AtomicU64,
}

/// A lab: one user namespace holding any number of hosts, routers and
/// switches. Dropping it tears everything down.
pub struct Lab {
    shared: Arc<Shared>,
}

/// A host (or router) of a lab. Cheap to clone; usable from any thread.
#[derive(Clone)]
pub struct Host {
    node: Arc<Node>,
    lab: Arc<Shared>,
}

/// A shared L2 segment: a Linux bridge `br0` in its own network namespace.
#[derive(Clone)]
pub struct Switch {
    host: Host,
}

/// A background process started by [`Host::spawn_server`]; killed when the
/// lab is dropped. Its stdout and stderr go to [`Server::log_path`].
pub struct Server {
    lab: Arc<Shared>,
    slot: usize,
    pid: u32,
    label: String,
    log: PathBuf,
}

// ---------------------------------------------------------------- Lab

impl Lab {
    /// A new, empty lab. Panics (never skips) when unprivileged user
    /// namespaces are unavailable, saying how to enable them.
    pub fn new() -> Lab {
        for f in ["/etc/hosts", "/etc/resolv.conf"] {
            if std::fs::metadata(f).is_err() {
                panic!("lab: {f} does not exist; the lab bind-mounts a private copy over it in every host");
            }
        }
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        let dir = loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let d = base.join(format!("netwalk-lab-{}-{n}-{nanos:x}", std::process::id()));
            match std::fs::create_dir(&d) {
                Ok(()) => break d,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("lab: cannot create the lab directory {}: {e}", d.display()),
            }
        };
        let ops = ns::root_holder_ops();
        let mut cmd = holder_command();
        let child = match spawn_with_ops(&mut cmd, ops, None) {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                if e.op.is_none() {
                    panic!("lab: cannot start the lab root holder: {}", e.msg);
                }
                panic!(
                    "lab: unprivileged user namespaces are unavailable, so the rootless network lab \
                     cannot start ({}). {USERNS_HINT} These tests never skip.",
                    e.msg
                )
            }
        };
        let pid = child.id();
        let ns = match ns::open_ns(pid, false) {
            Ok(ns) => ns,
            Err(e) => {
                let mut child = child;
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&dir);
                panic!("lab: opening the namespaces of the lab root holder (pid {pid}): {e}")
            }
        };
        let root = Arc::new(Node {
            index: usize::MAX,
            name: "<lab root>".into(),
            kind: Kind::Switch,
            pid,
            dir: dir.clone(),
            ns: Mutex::new(Some(Arc::new(ns))),
        });
        let shared = Arc::new(Shared {
            dir,
            root,
            state: Mutex::new(State::default()),
            procs: Mutex::new(vec![Proc { label: "lab root holder".into(), child, status: None }]),
            torn_down: AtomicBool::new(false),
            no_ratelimit: AtomicBool::new(false),
            seq: AtomicU64::new(0),
            next_ifindex: AtomicU64::new(1000),
        });
        Lab { shared }
    }

    /// A chain `names[0] — names[1] — … — names[n-1]`: the ends are hosts,
    /// the middle ones routers. Link N (1-based) is 198.18.N.0/24 and
    /// 2001:db8:N::/64, left side .1 / ::1, right side .2 / ::2. Routes are
    /// computed.
    pub fn chain(names: &[&str]) -> Lab {
        assert!(!names.is_empty() && names.len() < 255, "lab: chain needs 1..=254 names");
        let lab = Lab::new();
        let last = names.len() - 1;
        let nodes: Vec<Host> = names
            .iter()
            .enumerate()
            .map(|(i, n)| if i == 0 || i == last { lab.host(n) } else { lab.router(n) })
            .collect();
        for (i, pair) in nodes.windows(2).enumerate() {
            let n = i + 1;
            lab.link(
                &pair[0],
                &format!("198.18.{n}.1/24,2001:db8:{n:x}::1/64"),
                &pair[1],
                &format!("198.18.{n}.2/24,2001:db8:{n:x}::2/64"),
            );
        }
        lab.route_all();
        lab
    }

    /// Adds a host (no forwarding).
    pub fn host(&self, name: &str) -> Host {
        self.add_node(name, Kind::Host)
    }

    /// Adds a router: a host with net.ipv4.ip_forward=1 and
    /// net.ipv6.conf.all.forwarding=1.
    pub fn router(&self, name: &str) -> Host {
        self.add_node(name, Kind::Router)
    }

    /// Adds a switch: a bridge `br0` (STP and multicast snooping off, so
    /// ports forward at once) in its own network namespace.
    pub fn switch(&self, name: &str) -> Switch {
        let host = self.add_node(name, Kind::Switch);
        let idx = host.node.index;
        let br = {
            let mut st = lock(&self.shared.state);
            let br = self.reserve_iface(&mut st, idx, Some("br0"), 0x53, &[]);
            let seg = st.segments.len();
            st.segments.push(Vec::new());
            st.switch_segment.push((idx, seg));
            br
        };
        host.ip_batch(&[
            format!("link add br0 index {} address {} type bridge stp_state 0 mcast_snooping 0", br.ifindex, br.mac),
            "link set br0 up".into(),
        ]);
        Switch { host }
    }

    /// A veth link between `a` and `b`, named eth0, eth1, … per host in
    /// creation order. Addresses are comma-separated CIDRs (may be empty).
    pub fn link(&self, a: &Host, a_addrs: &str, b: &Host, b_addrs: &str) -> Link {
        self.link_impl(a, None, a_addrs, b, None, b_addrs)
    }

    /// Like [`Lab::link`] with explicit interface names (max 15 bytes).
    pub fn link_named(&self, a: &Host, a_if: &str, a_addrs: &str, b: &Host, b_if: &str, b_addrs: &str) -> Link {
        self.link_impl(a, Some(a_if), a_addrs, b, Some(b_if), b_addrs)
    }

    /// Connects `host` to `switch` with a veth (host side ethN, bridge side
    /// pK) and gives the host side `addrs`.
    pub fn attach(&self, host: &Host, switch: &Switch, addrs: &str) -> Iface {
        self.attach_impl(host, None, switch, addrs)
    }

    /// Like [`Lab::attach`] with an explicit host-side interface name.
    pub fn attach_named(&self, host: &Host, ifname: &str, switch: &Switch, addrs: &str) -> Iface {
        self.attach_impl(host, Some(ifname), switch, addrs)
    }

    /// Static routes for every host from the link graph (BFS, shortest
    /// path, ties broken by creation order; only routers forward). A host
    /// with a single interface gets just default routes (v4, v6) via its
    /// peer, or via the first router on its switch. Uses `route replace`,
    /// so it can be called again after adding links.
    pub fn route_all(&self) {
        let (hosts, lines) = {
            let st = lock(&self.shared.state);
            let topo = route::Topology {
                nodes: st.nodes.iter().map(|n| (n.kind != Kind::Switch).then_some(n.kind == Kind::Router)).collect(),
                segments: st
                    .segments
                    .iter()
                    .map(|seg| {
                        seg.iter()
                            .map(|(n, ifname)| {
                                let addrs = st.ifaces[*n].iter().find(|i| &i.name == ifname).map(|i| i.addrs.clone());
                                (*n, ifname.clone(), addrs.unwrap_or_default())
                            })
                            .collect()
                    })
                    .collect(),
            };
            (st.nodes.clone(), topo.routes())
        };
        for (node, lines) in hosts.into_iter().zip(lines) {
            if !lines.is_empty() {
                Host { node, lab: self.shared.clone() }.ip_batch(&lines);
            }
        }
    }

    /// The host or router called `name` (panics listing the known names).
    pub fn host_by_name(&self, name: &str) -> Host {
        let st = lock(&self.shared.state);
        match st.nodes.iter().find(|n| n.name == name && n.kind != Kind::Switch) {
            Some(n) => Host { node: n.clone(), lab: self.shared.clone() },
            None => {
                let known: Vec<_> =
                    st.nodes.iter().filter(|n| n.kind != Kind::Switch).map(|n| n.name.as_str()).collect();
                panic!("lab: no host named `{name}`; hosts: {known:?}")
            }
        }
    }

    /// All hosts and routers in creation order.
    pub fn hosts(&self) -> Vec<Host> {
        let st = lock(&self.shared.state);
        st.nodes
            .iter()
            .filter(|n| n.kind != Kind::Switch)
            .map(|n| Host { node: n.clone(), lab: self.shared.clone() })
            .collect()
    }

    /// The first IPv4 (`family` 4) or IPv6 (6) address of host `name`.
    pub fn addr_of(&self, name: &str, family: u8) -> IpAddr {
        self.host_by_name(name).addr(family)
    }

    /// Sets net.ipv4.icmp_ratelimit and net.ipv6.icmp.ratelimit to 0 (and
    /// lifts icmp_msgs_per_sec/burst) on every host, now and later.
    pub fn no_icmp_ratelimit(&self) {
        self.shared.no_ratelimit.store(true, Ordering::SeqCst);
        for h in self.hosts() {
            h.no_icmp_ratelimit();
        }
    }

    /// The lab's temp directory (logs, per-host files).
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Pids of every holder and server the lab owns (for teardown tests).
    pub fn pids(&self) -> Vec<u32> {
        lock(&self.shared.procs).iter().map(|p| p.child.id()).collect()
    }

    fn add_node(&self, name: &str, kind: Kind) -> Host {
        let valid = !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-');
        assert!(valid, "lab: bad host name `{name}`: use 1-32 of [a-z0-9-] (it becomes {name}.lab.test)");
        let shared = &self.shared;
        shared.check_alive();
        // The state lock is held while the holder starts so names stay unique.
        let mut st = lock(&shared.state);
        assert!(!st.nodes.iter().any(|n| n.name == name), "lab: a host named `{name}` already exists");
        let index = st.nodes.len();
        let dir = shared.dir.join(name);
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("lab: creating {}: {e}", dir.display()));
        ns::write_host_files(&dir, name).unwrap_or_else(|e| panic!("lab: writing files in {}: {e}", dir.display()));
        let root_ns = shared.root.ns_files();
        let no_ratelimit = kind != Kind::Switch && shared.no_ratelimit.load(Ordering::SeqCst);
        let ops = ns::host_holder_ops(&root_ns, &dir, kind == Kind::Router, no_ratelimit);
        let mut cmd = holder_command();
        let child = spawn_with_ops(&mut cmd, ops, Some(root_ns.clone())).unwrap_or_else(|e| {
            let hint = if matches!(e.errno, Some(libc::EPERM | libc::EACCES)) {
                format!(" This usually means user namespaces are restricted. {USERNS_HINT}")
            } else {
                String::new()
            };
            panic!("lab: starting host `{name}` failed: {}.{hint} These tests never skip.", e.msg)
        });
        let pid = child.id();
        lock(&shared.procs).push(Proc { label: format!("holder of `{name}`"), child, status: None });
        let ns = ns::open_ns(pid, true)
            .unwrap_or_else(|e| panic!("lab: opening namespaces of host `{name}` (pid {pid}): {e}"));
        let node = Arc::new(Node { index, name: name.into(), kind, pid, dir, ns: Mutex::new(Some(Arc::new(ns))) });
        st.nodes.push(node.clone());
        st.ifaces.push(Vec::new());
        st.extra_hosts.push(Vec::new());
        drop(st);
        let host = Host { node, lab: shared.clone() };
        host.write_hosts_file();
        host
    }

    fn check_same_lab(&self, h: &Host) {
        assert!(Arc::ptr_eq(&self.shared, &h.lab), "lab: host `{}` belongs to another lab", h.name());
    }

    /// Reserves an interface on node `idx`: name, MAC and ifindex.
    fn reserve_iface(&self, st: &mut State, idx: usize, want: Option<&str>, mac_kind: u8, addrs: &[Cidr]) -> Iface {
        let node = &st.nodes[idx];
        let taken = |n: &str| st.ifaces[idx].iter().any(|i| i.name == n);
        let name = match want {
            Some(n) => {
                assert!(
                    !n.is_empty()
                        && n.len() <= 15
                        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
                    "lab: bad interface name `{n}` (1-15 of [A-Za-z0-9-_.])"
                );
                assert!(!taken(n) && n != "lo", "lab: host `{}` already has an interface `{n}`", node.name);
                n.to_string()
            }
            None => {
                let prefix = if node.kind == Kind::Switch { "p" } else { "eth" };
                (0..).map(|k| format!("{prefix}{k}")).find(|n| !taken(n)).expect("free name")
            }
        };
        let ordinal = st.ifaces[idx].len();
        let iface = Iface {
            host: node.name.clone(),
            name,
            mac: mac_for(mac_kind, idx, ordinal),
            addrs: addrs.to_vec(),
            ifindex: self.shared.next_ifindex.fetch_add(1, Ordering::Relaxed) as u32,
        };
        st.ifaces[idx].push(iface.clone());
        iface
    }

    fn link_impl(
        &self,
        a: &Host,
        a_if: Option<&str>,
        a_addrs: &str,
        b: &Host,
        b_if: Option<&str>,
        b_addrs: &str,
    ) -> Link {
        self.check_same_lab(a);
        self.check_same_lab(b);
        assert!(a.node.index != b.node.index, "lab: cannot link host `{}` to itself", a.name());
        let ca = route::parse_cidrs(a_addrs, &format!("link {} — {}, side {}", a.name(), b.name(), a.name()));
        let cb = route::parse_cidrs(b_addrs, &format!("link {} — {}, side {}", a.name(), b.name(), b.name()));
        let (ia, ib) = {
            let mut st = lock(&self.shared.state);
            let ia = self.reserve_iface(&mut st, a.node.index, a_if, 0x48, &ca);
            let ib = self.reserve_iface(&mut st, b.node.index, b_if, 0x48, &cb);
            st.segments.push(vec![(a.node.index, ia.name.clone()), (b.node.index, ib.name.clone())]);
            (ia, ib)
        };
        self.root_ip(&format!(
            "link add {} index {} address {} netns {} type veth peer name {} index {} address {} netns {}",
            ia.name, ia.ifindex, ia.mac, a.node.pid, ib.name, ib.ifindex, ib.mac, b.node.pid
        ));
        a.configure_iface(&ia);
        b.configure_iface(&ib);
        a.wait_iface_ready(&ia, false);
        b.wait_iface_ready(&ib, false);
        self.write_all_hosts_files();
        Link { a: ia, b: ib }
    }

    fn attach_impl(&self, host: &Host, ifname: Option<&str>, switch: &Switch, addrs: &str) -> Iface {
        self.check_same_lab(host);
        self.check_same_lab(&switch.host);
        let c = route::parse_cidrs(addrs, &format!("attach {} to switch {}", host.name(), switch.name()));
        let sw = switch.host.node.index;
        let (ih, port) = {
            let mut st = lock(&self.shared.state);
            let ih = self.reserve_iface(&mut st, host.node.index, ifname, 0x48, &c);
            let port = self.reserve_iface(&mut st, sw, None, 0x53, &[]);
            let seg = st.switch_segment.iter().find(|(n, _)| *n == sw).expect("switch segment").1;
            st.segments[seg].push((host.node.index, ih.name.clone()));
            (ih, port)
        };
        self.root_ip(&format!(
            "link add {} index {} address {} netns {} type veth peer name {} index {} address {} netns {}",
            ih.name, ih.ifindex, ih.mac, host.node.pid, port.name, port.ifindex, port.mac, switch.host.node.pid
        ));
        switch.host.ip_batch(&[format!("link set {} master br0", port.name), format!("link set {} up", port.name)]);
        host.configure_iface(&ih);
        host.wait_iface_ready(&ih, false);
        switch.host.wait_iface_ready(&port, true);
        self.write_all_hosts_files();
        ih
    }

    /// Runs one `ip` command in the lab root network namespace.
    fn root_ip(&self, line: &str) {
        let root = Host { node: self.shared.root.clone(), lab: self.shared.clone() };
        root.ip_batch(&[line.to_string()]);
    }

    fn write_all_hosts_files(&self) {
        for h in self.hosts() {
            h.write_hosts_file();
        }
    }
}

impl Default for Lab {
    fn default() -> Self {
        Lab::new()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.shared.teardown();
    }
}

impl Shared {
    fn check_alive(&self) {
        assert!(!self.torn_down.load(Ordering::SeqCst), "lab: used after the Lab was dropped");
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    fn teardown(&self) {
        if self.torn_down.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut procs = lock(&self.procs);
        for p in procs.iter_mut().rev() {
            if p.status.is_none() {
                let _ = p.child.kill();
                p.status = p.child.wait().ok();
            }
        }
        drop(procs);
        for n in lock(&self.state).nodes.iter() {
            lock(&n.ns).take();
        }
        lock(&self.root.ns).take();
        if std::env::var_os("LAB_KEEP").is_some_and(|v| v == "1") {
            eprintln!("lab: LAB_KEEP=1, keeping {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// ---------------------------------------------------------------- Host

impl Host {
    pub fn name(&self) -> &str {
        &self.node.name
    }

    pub fn is_router(&self) -> bool {
        self.node.kind == Kind::Router
    }

    /// Pid of the holder process (`sleep infinity`) of this host.
    pub fn pid(&self) -> u32 {
        self.node.pid
    }

    /// This host's directory in the lab dir (hosts, resolv.conf, logs).
    pub fn dir(&self) -> &Path {
        &self.node.dir
    }

    fn ns_files(&self) -> Arc<NsFiles> {
        self.lab.check_alive();
        self.node.ns_files()
    }

    /// Like [`Host::command`], but the program runs without CAP_NET_RAW: it is
    /// dropped from the bounding set before exec, so uid 0 execs without it
    /// (how a test exercises the unprivileged path and the privilege errors).
    pub fn command_without_net_raw(&self, program: impl AsRef<OsStr>) -> Command {
        const CAP_NET_RAW: libc::c_ulong = 13; // linux/capability.h
        let mut cmd = self.command(program);
        // SAFETY: prctl only changes this child's capability bounding set.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd
    }

    /// A `Command` that runs `program` inside this host (its user, mount and
    /// network namespaces). The program is exec'd directly, so the Child's
    /// pid is the program's pid. stdin is null; stdout/stderr inherit unless
    /// you set them. PDEATHSIG(SIGKILL) is set. The working directory is kept.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        ns::command_in(self.ns_files(), program)
    }

    /// Runs `program args…` in this host to completion and returns its
    /// stdout. Panics with the command, exit status, stderr and stdout if it
    /// fails or runs longer than [`RUN_TIMEOUT`].
    pub fn run<I, S>(&self, program: &str, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(program);
        cmd.args(args);
        self.checked(cmd, None)
    }

    /// `sh -c script` in this host; returns stdout, panics on failure.
    pub fn sh(&self, script: &str) -> String {
        self.run("sh", ["-c", script])
    }

    /// Like [`Host::run`] with `stdin` fed to the program.
    pub fn run_with_stdin<I, S>(&self, program: &str, args: I, stdin: &str) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(program);
        cmd.args(args);
        self.checked(cmd, Some(stdin.as_bytes()))
    }

    /// Runs `cmd` (from [`Host::command`]) to completion without judging the
    /// exit status; stdout/stderr are captured (through files, so a
    /// background grandchild cannot hang it). Panics on spawn failure or
    /// timeout.
    pub fn output(&self, cmd: Command) -> Output {
        self.output_impl(cmd, None)
    }

    /// `ip <args>` (split on whitespace) in this host; returns stdout.
    pub fn ip(&self, args: &str) -> String {
        self.run("ip", args.split_whitespace())
    }

    /// `ip route add <spec>`, e.g. `host.route("blackhole 198.18.9.0/24")`.
    pub fn route(&self, spec: &str) {
        self.ip(&format!("route add {spec}"));
    }

    /// Loads an nftables ruleset (`nft -f -`).
    pub fn nft(&self, ruleset: &str) {
        self.run_with_stdin("nft", ["-f", "-"], ruleset);
    }

    /// Writes a sysctl in this host's network namespace, e.g.
    /// `host.sysctl("net.ipv4.icmp_ratelimit", "0")`. Keys use dots (or
    /// slashes, for interface names containing dots).
    pub fn sysctl(&self, key: &str, value: &str) {
        self.sysctls(&[(key, value)]);
    }

    /// Several sysctls with one spawn.
    pub fn sysctls(&self, kv: &[(&str, &str)]) {
        let ns = self.ns_files();
        let mut ops = ns::enter_ops(&ns, false);
        for (k, v) in kv {
            let path = if k.contains('/') { k.to_string() } else { k.replace('.', "/") };
            ops.push(ns::sysctl_op(&path, v));
        }
        let mut cmd = Command::new("true");
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        match spawn_with_ops(&mut cmd, ops, Some(ns)) {
            Ok(mut child) => {
                let _ = child.wait();
            }
            Err(e) => panic!("lab host `{}`: setting sysctls {kv:?} failed: {}", self.name(), e.msg),
        }
    }

    /// net.ipv4.icmp_ratelimit=0, net.ipv6.icmp.ratelimit=0 and no global
    /// ICMP budget (icmp_msgs_per_sec/burst), so every ICMP error is sent.
    pub fn no_icmp_ratelimit(&self) {
        let kv: Vec<(&str, &str)> = ns::NO_RATELIMIT.to_vec();
        self.sysctls(&kv);
    }

    /// Allows ICMP datagram ("ping") sockets for every group of the lab.
    /// The lab's user namespace maps a single gid (0), and the kernel only
    /// accepts mapped gids here, so the value is "0 0" (the equivalent of
    /// "0 2147483647" outside: every lab process has gid 0).
    pub fn allow_ping_sockets(&self) {
        self.sysctl("net.ipv4.ping_group_range", "0 0");
    }

    /// Starts `program args…` in this host in the background. Its stdout
    /// and stderr go to a log file in the lab dir; it is killed on drop.
    pub fn spawn_server<I, S>(&self, program: &str, args: I) -> Server
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(program);
        cmd.args(args);
        self.spawn_server_cmd(cmd)
    }

    /// Starts a `Command` made by [`Host::command`] as a server (stdout and
    /// stderr are redirected to the log file whatever they were).
    pub fn spawn_server_cmd(&self, mut cmd: Command) -> Server {
        let prog =
            Path::new(cmd.get_program()).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let label = format!("{} {}", prog, cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "));
        let log = self.node.dir.join(format!("{prog}-{}.log", self.lab.next_seq()));
        let f = File::create(&log).unwrap_or_else(|e| panic!("lab: creating {}: {e}", log.display()));
        cmd.stdout(f.try_clone().expect("lab: dup log fd")).stderr(f);
        let child =
            cmd.spawn().unwrap_or_else(|e| panic!("{}", spawn_failure(self.name(), &label, cmd.get_program(), &e)));
        let pid = child.id();
        let mut procs = lock(&self.lab.procs);
        if self.lab.torn_down.load(Ordering::SeqCst) {
            drop(procs);
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
            panic!("lab: used after the Lab was dropped");
        }
        let slot = procs.len();
        procs.push(Proc { label: format!("server `{label}` in `{}`", self.name()), child, status: None });
        Server { lab: self.lab.clone(), slot, pid, label, log }
    }

    /// A TCP socket bound to `addr` inside this host and listening
    /// (backlog 1024, SO_REUSEADDR, IPV6_V6ONLY for v6): accept from any
    /// thread of the test; connections arrive from the lab.
    pub fn tcp_listener(&self, addr: SocketAddr) -> TcpListener {
        let domain = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
        TcpListener::from(self.socket_impl(domain, libc::SOCK_STREAM, 0, Some(addr), Some(1024)))
    }

    /// A UDP socket bound to `addr` inside this host.
    pub fn udp_socket(&self, addr: SocketAddr) -> UdpSocket {
        let domain = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
        UdpSocket::from(self.socket_impl(domain, libc::SOCK_DGRAM, 0, Some(addr), None))
    }

    /// Any socket created inside this host, optionally bound to `bind`
    /// (with SO_REUSEADDR, and IPV6_V6ONLY for v6 stream/datagram sockets).
    /// E.g. `host.socket(libc::AF_PACKET, libc::SOCK_RAW, 0x0806u16.to_be() as i32, None)`.
    pub fn socket(&self, domain: i32, ty: i32, protocol: i32, bind: Option<SocketAddr>) -> OwnedFd {
        self.socket_impl(domain, ty, protocol, bind, None)
    }

    fn socket_impl(
        &self,
        domain: i32,
        ty: i32,
        protocol: i32,
        bind: Option<SocketAddr>,
        listen: Option<i32>,
    ) -> OwnedFd {
        ns::socket_in(self.ns_files(), self.name(), domain, ty, protocol, bind, listen)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// All interfaces the lab configured on this host, in creation order.
    pub fn ifaces(&self) -> Vec<Iface> {
        lock(&self.lab.state).ifaces[self.node.index].clone()
    }

    /// The MAC the lab gave interface `ifname` (e.g. `02:48:00:00:01:00`).
    pub fn mac(&self, ifname: &str) -> String {
        self.iface(ifname).mac
    }

    /// The lab's record of interface `ifname` (panics if unknown).
    pub fn iface(&self, ifname: &str) -> Iface {
        let ifaces = self.ifaces();
        match ifaces.iter().find(|i| i.name == ifname) {
            Some(i) => i.clone(),
            None => panic!(
                "lab host `{}` has no interface `{ifname}`; it has {:?}",
                self.name(),
                ifaces.iter().map(|i| i.name.as_str()).collect::<Vec<_>>()
            ),
        }
    }

    /// Changes the MAC of `ifname` (must be locally administered unicast).
    pub fn set_mac(&self, ifname: &str, mac: &str) {
        let bytes: Vec<u8> = mac.split(':').filter_map(|x| u8::from_str_radix(x, 16).ok()).collect();
        assert!(
            bytes.len() == 6 && bytes[0] & 0x02 != 0 && bytes[0] & 0x01 == 0,
            "lab: MAC `{mac}` must be a locally administered unicast address (first octet like 02)"
        );
        let mac = mac.to_ascii_lowercase();
        self.iface(ifname); // panics if unknown
        self.ip(&format!("link set dev {ifname} address {mac}"));
        let mut st = lock(&self.lab.state);
        if let Some(i) = st.ifaces[self.node.index].iter_mut().find(|i| i.name == ifname) {
            i.mac = mac;
        }
    }

    /// The kernel's ifindex of `ifname` in this host.
    pub fn ifindex(&self, ifname: &str) -> u32 {
        let out = self.run("ip", ["-o", "link", "show", "dev", ifname]);
        out.split(':')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("lab host `{}`: cannot parse ifindex from `{out}`", self.name()))
    }

    /// This host's addresses of `family` (4 or 6), in configuration order.
    pub fn addrs(&self, family: u8) -> Vec<IpAddr> {
        self.ifaces().iter().flat_map(|i| i.addrs.clone()).filter(|c| c.family() == family).map(|c| c.addr).collect()
    }

    /// The first address of `family` (4 or 6); panics if there is none.
    pub fn addr(&self, family: u8) -> IpAddr {
        assert!(family == 4 || family == 6, "lab: family must be 4 or 6, not {family}");
        *self.addrs(family).first().unwrap_or_else(|| panic!("lab host `{}` has no IPv{family} address", self.name()))
    }

    /// Appends `addr name` to this host's /etc/hosts.
    pub fn set_hosts_entry(&self, name: &str, addr: IpAddr) {
        if !route::in_address_plan(addr) {
            panic!("{}", route::plan_violation(&format!("hosts entry `{name}` in `{}`", self.name()), addr));
        }
        lock(&self.lab.state).extra_hosts[self.node.index].push(format!("{addr} {name}"));
        self.write_hosts_file();
    }

    /// Replaces this host's /etc/resolv.conf.
    pub fn set_resolv_conf(&self, text: &str) {
        self.lab.check_alive();
        // Rewritten in place: the bind mount follows the inode.
        let p = self.node.dir.join("resolv.conf");
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("lab: writing {}: {e}", p.display()));
    }

    fn write_hosts_file(&self) {
        let st = lock(&self.lab.state);
        let mut text = String::from("127.0.0.1 localhost\n::1 localhost\n");
        for n in st.nodes.iter().filter(|n| n.kind != Kind::Switch) {
            for i in &st.ifaces[n.index] {
                for c in i.addrs.iter().filter(|c| !c.addr.is_loopback()) {
                    text.push_str(&format!("{} {}.lab.test\n", c.addr, n.name));
                }
            }
        }
        for line in &st.extra_hosts[self.node.index] {
            text.push_str(line);
            text.push('\n');
        }
        let p = self.node.dir.join("hosts");
        // In place (truncate + write): the bind mount follows the inode.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&p)
            .unwrap_or_else(|e| panic!("lab: writing {}: {e}", p.display()));
        f.write_all(text.as_bytes()).unwrap_or_else(|e| panic!("lab: writing {}: {e}", p.display()));
    }

    fn configure_iface(&self, i: &Iface) {
        let mut lines: Vec<String> = i
            .addrs
            .iter()
            .map(|c| {
                let nodad = if c.family() == 6 { " nodad" } else { "" };
                format!("addr add {c} dev {}{nodad}", i.name)
            })
            .collect();
        lines.push(format!("link set {} up", i.name));
        self.ip_batch(&lines);
    }

    /// Waits (bounded, polling real state) until the kernel has processed
    /// the carrier change of a new interface: operstate `up`, the bridge
    /// port forwarding, and for IPv6 the link-local address present (the
    /// same notifier joins the solicited-node groups; before that an NDP
    /// solicitation is dropped and costs a 1 s retransmit). Reads
    /// /proc/<holder>/root/sys (the host's own sysfs) and
    /// /proc/<holder>/net/if_inet6; a check whose file is missing is skipped.
    fn wait_iface_ready(&self, i: &Iface, bridge_port: bool) {
        let v6 = i.addrs.iter().any(|c| c.family() == 6);
        ns::wait_iface_ready(self.node.pid, &i.name, v6, bridge_port)
            .unwrap_or_else(|e| panic!("lab: `{}`: {e}", self.name()));
    }

    /// `ip -batch -` with `lines` in this host (or the lab root).
    fn ip_batch(&self, lines: &[String]) {
        let mut text = lines.join("\n");
        text.push('\n');
        let mut cmd = self.command("ip");
        cmd.args(["-batch", "-"]);
        self.checked_desc(cmd, Some(text.as_bytes()), Some(format!("ip -batch - <<EOF\n{text}EOF")));
    }

    fn checked(&self, cmd: Command, stdin: Option<&[u8]>) -> String {
        self.checked_desc(cmd, stdin, None)
    }

    fn checked_desc(&self, cmd: Command, stdin: Option<&[u8]>, desc: Option<String>) -> String {
        let desc = desc.unwrap_or_else(|| describe_cmd(&cmd));
        let out = self.output_impl(cmd, stdin);
        if !out.status.success() {
            panic!(
                "lab host `{}`: `{desc}` failed ({})\n--- stderr ---\n{}--- stdout ---\n{}",
                self.name(),
                out.status,
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn output_impl(&self, mut cmd: Command, stdin: Option<&[u8]>) -> Output {
        let desc = describe_cmd(&cmd);
        let seq = self.lab.next_seq();
        let base = self.lab.dir.join(format!(".run-{seq}"));
        let (out_p, err_p, in_p) = (base.with_extension("out"), base.with_extension("err"), base.with_extension("in"));
        let create = |p: &Path| File::create(p).unwrap_or_else(|e| panic!("lab: creating {}: {e}", p.display()));
        cmd.stdout(create(&out_p)).stderr(create(&err_p));
        if let Some(data) = stdin {
            std::fs::write(&in_p, data).unwrap_or_else(|e| panic!("lab: writing {}: {e}", in_p.display()));
            cmd.stdin(File::open(&in_p).expect("lab: open stdin file"));
        }
        let spawned = cmd.spawn();
        let mut child =
            spawned.unwrap_or_else(|e| panic!("{}", spawn_failure(self.name(), &desc, cmd.get_program(), &e)));
        drop(cmd);
        let status = match sys::wait_timeout(&mut child, RUN_TIMEOUT) {
            Ok(Some(st)) => st,
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                let err = std::fs::read(&err_p).unwrap_or_default();
                panic!(
                    "lab host `{}`: `{desc}` still running after {RUN_TIMEOUT:?}; killed\n--- stderr ---\n{}",
                    self.name(),
                    String::from_utf8_lossy(&err)
                )
            }
            Err(e) => panic!("lab host `{}`: waiting for `{desc}`: {e}", self.name()),
        };
        let stdout = std::fs::read(&out_p).unwrap_or_default();
        let stderr = std::fs::read(&err_p).unwrap_or_default();
        for p in [&out_p, &err_p, &in_p] {
            let _ = std::fs::remove_file(p);
        }
        Output { status, stdout, stderr }
    }
}

impl Node {
    fn ns_files(&self) -> Arc<NsFiles> {
        lock(&self.ns).clone().unwrap_or_else(|| panic!("lab: host `{}` used after the Lab was dropped", self.name))
    }
}

// ---------------------------------------------------------------- Switch

impl Switch {
    pub fn name(&self) -> &str {
        self.host.name()
    }

    /// The switch's own namespace, e.g. `sw.host().run("bridge", ["fdb"])`.
    pub fn host(&self) -> &Host {
        &self.host
    }
}

// ---------------------------------------------------------------- Server

impl Server {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// True until the process has exited.
    pub fn is_running(&self) -> bool {
        let mut procs = lock(&self.lab.procs);
        let p = &mut procs[self.slot];
        if p.status.is_none() {
            p.status = p.child.try_wait().ok().flatten();
        }
        p.status.is_none()
    }

    /// Sends `sig` (e.g. `libc::SIGTERM`) if the server is still running.
    pub fn signal(&self, sig: i32) {
        let procs = lock(&self.lab.procs);
        if procs[self.slot].status.is_none() {
            // SAFETY: the child is not reaped (status is None), so the pid is ours.
            unsafe { libc::kill(self.pid as libc::pid_t, sig) };
        }
    }

    /// Waits up to `timeout` for the server to exit on its own.
    pub fn wait_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        let mut procs = lock(&self.lab.procs);
        let p = &mut procs[self.slot];
        if p.status.is_none() {
            p.status = sys::wait_timeout(&mut p.child, timeout).ok().flatten();
        }
        p.status
    }

    /// Kills (SIGKILL) and reaps the server; returns its log.
    pub fn stop(&self) -> String {
        {
            let mut procs = lock(&self.lab.procs);
            let p = &mut procs[self.slot];
            if p.status.is_none() {
                let _ = p.child.kill();
                p.status = p.child.wait().ok();
            }
        }
        self.log()
    }

    /// "server `label` log:\n..." — for assertion messages.
    pub fn describe(&self) -> String {
        format!("server `{}` (pid {}), log {}:\n{}", self.label, self.pid, self.log.display(), self.log())
    }
}
