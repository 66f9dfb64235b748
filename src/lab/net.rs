//! A lab network as `netwalk lab` builds it: holders (hosts, routers,
//! switches) in one user namespace, veth links, static routes, and a
//! teardown that leaves no process behind. Same machinery as the test
//! harness (`ns`, `route`); errors are values, never panics.

use super::ns::{self, NsFiles};
use super::route::{self, Cidr};
use crate::error::Error;
use std::io::Write as _;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Host,
    Router,
    Switch,
}

struct Node {
    name: String,
    kind: Kind,
    pid: u32,
    ns: Arc<NsFiles>,
    dir: PathBuf,
    ifaces: usize,
}

/// Index of a node in a [`Net`].
pub type Id = usize;

pub struct Net {
    dir: PathBuf,
    root: Arc<NsFiles>,
    nodes: Vec<Node>,
    /// Links and switches: members (node, interface, addresses).
    segments: Vec<Vec<(Id, String, Vec<Cidr>)>>,
    /// Switch node → its segment.
    switch_segment: Vec<(Id, usize)>,
    /// Holders, root first.
    holders: Vec<Child>,
    next_ifindex: u32,
}

pub fn lab_error(message: impl Into<String>) -> Error {
    Error::Lab { message: message.into(), hint: None }
}

impl Net {
    /// The root holder: a new user + network namespace. Exit 3 with the
    /// remedy when user namespaces are unavailable.
    pub fn new() -> Result<Net, Error> {
        for f in ["/etc/hosts", "/etc/resolv.conf"] {
            if std::fs::metadata(f).is_err() {
                return Err(lab_error(format!(
                    "{f} does not exist; the lab mounts a private copy over it in every host"
                )));
            }
        }
        let dir = std::env::temp_dir().join(format!("netwalk-lab-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir)
            .map_err(|e| Error::io(format!("cannot create the lab directory {}", dir.display()), e))?;
        let child = match ns::spawn_with_ops(&mut ns::holder_command(), ns::root_holder_ops(), None) {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                if e.op.is_none() {
                    return Err(lab_error(format!("cannot start the lab: {}", e.msg)));
                }
                return Err(Error::Lab {
                    message: format!(
                        "unprivileged user namespaces are unavailable, so the lab cannot start ({})",
                        e.msg
                    ),
                    hint: Some(ns::USERNS_HINT.into()),
                });
            }
        };
        let root = match ns::open_ns(child.id(), false) {
            Ok(root) => root,
            Err(e) => {
                let mut child = child;
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&dir);
                return Err(Error::io("cannot open the lab's namespaces", e));
            }
        };
        let net = Net {
            dir,
            root: Arc::new(root),
            nodes: Vec::new(),
            segments: Vec::new(),
            switch_segment: Vec::new(),
            holders: vec![child],
            next_ifindex: 1000,
        };
        Ok(net)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn add(&mut self, name: &str, kind: Kind) -> Result<Id, Error> {
        let dir = self.dir.join(name);
        std::fs::create_dir(&dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        ns::write_host_files(&dir, name)
            .map_err(|e| Error::io(format!("cannot write files in {}", dir.display()), e))?;
        let ops = ns::host_holder_ops(&self.root, &dir, kind == Kind::Router, false);
        let child = ns::spawn_with_ops(&mut ns::holder_command(), ops, Some(self.root.clone())).map_err(|e| {
            let hint = e.is_userns_denied().then(|| ns::USERNS_HINT.to_string());
            Error::Lab { message: format!("starting lab host `{name}` failed: {}", e.msg), hint }
        })?;
        let pid = child.id();
        self.holders.push(child);
        let nsf =
            ns::open_ns(pid, true).map_err(|e| Error::io(format!("cannot open the namespaces of `{name}`"), e))?;
        self.nodes.push(Node { name: name.into(), kind, pid, ns: Arc::new(nsf), dir, ifaces: 0 });
        let id = self.nodes.len() - 1;
        if kind == Kind::Switch {
            let (ifindex, mac) = self.reserve(id, 0x53);
            self.ip(
                Some(id),
                &[
                    format!("link add br0 index {ifindex} address {mac} type bridge stp_state 0 mcast_snooping 0"),
                    "link set br0 up".into(),
                ],
            )?;
            self.switch_segment.push((id, self.segments.len()));
            self.segments.push(Vec::new());
        }
        Ok(id)
    }

    fn reserve(&mut self, id: Id, mac_kind: u8) -> (u32, String) {
        let node = &mut self.nodes[id];
        let mac = ns::mac_for(mac_kind, id, node.ifaces);
        node.ifaces += 1;
        self.next_ifindex += 1;
        (self.next_ifindex, mac)
    }

    /// A veth between `a` (named `a_if`) and `b` (named `b_if`) with addresses.
    pub fn link(&mut self, a: Id, a_if: &str, a_addrs: &str, b: Id, b_if: &str, b_addrs: &str) -> Result<(), Error> {
        let ca = route::try_parse_cidrs(a_addrs, "link").map_err(lab_error)?;
        let cb = route::try_parse_cidrs(b_addrs, "link").map_err(lab_error)?;
        let (ia, ma) = self.reserve(a, 0x48);
        let (ib, mb) = self.reserve(b, 0x48);
        let (pa, pb) = (self.nodes[a].pid, self.nodes[b].pid);
        self.ip(None, &[format!(
            "link add {a_if} index {ia} address {ma} netns {pa} type veth peer name {b_if} index {ib} address {mb} netns {pb}"
        )])?;
        self.configure(a, a_if, &ca)?;
        self.configure(b, b_if, &cb)?;
        self.wait_ready(a, a_if)?;
        self.wait_ready(b, b_if)?;
        self.segments.push(vec![(a, a_if.into(), ca), (b, b_if.into(), cb)]);
        Ok(())
    }

    /// Connects `host` (interface `ifname`) to `switch`'s bridge.
    /// Returns the host-side interface index.
    pub fn attach(&mut self, host: Id, ifname: &str, switch: Id, addrs: &str) -> Result<u32, Error> {
        let c = route::try_parse_cidrs(addrs, "attach").map_err(lab_error)?;
        let port = format!("p{}", self.nodes[switch].ifaces);
        let (ih, mh) = self.reserve(host, 0x48);
        let (ip, mp) = self.reserve(switch, 0x53);
        let (ph, ps) = (self.nodes[host].pid, self.nodes[switch].pid);
        self.ip(None, &[format!(
            "link add {ifname} index {ih} address {mh} netns {ph} type veth peer name {port} index {ip} address {mp} netns {ps}"
        )])?;
        self.ip(Some(switch), &[format!("link set {port} master br0"), format!("link set {port} up")])?;
        self.configure(host, ifname, &c)?;
        self.wait_ready(host, ifname)?;
        ns::wait_iface_ready(ps, &port, false, true).map_err(lab_error)?;
        let seg = self
            .switch_segment
            .iter()
            .find(|(n, _)| *n == switch)
            .map(|s| s.1)
            .ok_or_else(|| lab_error("not a switch"))?;
        self.segments[seg].push((host, ifname.into(), c));
        Ok(ih)
    }

    fn configure(&self, id: Id, ifname: &str, addrs: &[Cidr]) -> Result<(), Error> {
        let mut lines: Vec<String> = addrs.iter().map(|c| format!("addr add {c} dev {ifname}")).collect();
        lines.push(format!("link set {ifname} up"));
        self.ip(Some(id), &lines)
    }

    fn wait_ready(&self, id: Id, ifname: &str) -> Result<(), Error> {
        ns::wait_iface_ready(self.nodes[id].pid, ifname, false, false)
            .map_err(|e| lab_error(format!("`{}`: {e}", self.nodes[id].name)))
    }

    /// Static routes for every host and router from the link graph.
    pub fn route_all(&self) -> Result<(), Error> {
        let topo = route::Topology {
            nodes: self.nodes.iter().map(|n| (n.kind != Kind::Switch).then_some(n.kind == Kind::Router)).collect(),
            segments: self.segments.clone(),
        };
        for (id, lines) in topo.routes().into_iter().enumerate() {
            if !lines.is_empty() {
                self.ip(Some(id), &lines)?;
            }
        }
        Ok(())
    }

    /// `ip -batch -` with `lines` in node `id` (None: the lab root).
    pub fn ip(&self, id: Option<Id>, lines: &[String]) -> Result<(), Error> {
        let nsf = id.map(|i| self.nodes[i].ns.clone()).unwrap_or_else(|| self.root.clone());
        let mut cmd = ns::command_in(nsf, "ip");
        cmd.args(["-batch", "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
        let where_ = id.map(|i| self.nodes[i].name.as_str()).unwrap_or("lab root");
        let mut child = cmd.spawn().map_err(|e| Error::Lab {
            message: format!("cannot run `ip` in `{where_}`: {e}"),
            hint: Some("install iproute2".into()),
        })?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all((lines.join("\n") + "\n").as_bytes());
        }
        let out = child.wait_with_output().map_err(|e| Error::io("waiting for `ip`", e))?;
        if !out.status.success() {
            return Err(lab_error(format!(
                "`ip -batch` in `{where_}` failed: {} ({})",
                String::from_utf8_lossy(&out.stderr).trim(),
                lines.join("; ")
            )));
        }
        Ok(())
    }

    /// A command that runs inside node `id`.
    pub fn command(&self, id: Id, program: impl AsRef<std::ffi::OsStr>) -> Command {
        ns::command_in(self.nodes[id].ns.clone(), program)
    }

    /// A socket made inside node `id`.
    pub fn socket(
        &self,
        id: Id,
        domain: i32,
        ty: i32,
        proto: i32,
        bind: Option<SocketAddr>,
        listen: Option<i32>,
    ) -> Result<OwnedFd, Error> {
        ns::socket_in(self.nodes[id].ns.clone(), &self.nodes[id].name, domain, ty, proto, bind, listen)
            .map_err(lab_error)
    }

    pub fn udp(&self, id: Id, at: SocketAddr) -> Result<std::net::UdpSocket, Error> {
        Ok(self.socket(id, libc::AF_INET, libc::SOCK_DGRAM, 0, Some(at), None)?.into())
    }

    pub fn tcp_listener(&self, id: Id, at: SocketAddr) -> Result<std::net::TcpListener, Error> {
        Ok(self.socket(id, libc::AF_INET, libc::SOCK_STREAM, 0, Some(at), Some(1024))?.into())
    }

    /// A factory of sockets inside node `id`, for connections this process
    /// opens from there (see [`ns::SocketFactory`]).
    pub fn socket_factory(&self, id: Id) -> Result<ns::SocketFactory, Error> {
        ns::SocketFactory::start(self.nodes[id].ns.clone(), &self.nodes[id].name).map_err(lab_error)
    }

    /// The private files of node `id` (hosts, resolv.conf, nsswitch.conf).
    pub fn host_dir(&self, id: Id) -> &Path {
        &self.nodes[id].dir
    }

    /// The kernel's id of node `id`'s network namespace (`net:[N]`).
    pub fn netns_id(&self, id: Id) -> Option<String> {
        std::fs::read_link(format!("/proc/{}/ns/net", self.nodes[id].pid))
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// Kills every process still inside one of the lab's network namespaces
    /// (what a command left running in the background), then the holders,
    /// and removes the lab directory.
    pub fn teardown(&mut self) {
        if self.holders.is_empty() {
            return;
        }
        let mut spaces: Vec<String> = (0..self.nodes.len()).filter_map(|i| self.netns_id(i)).collect();
        if let Ok(p) = std::fs::read_link(format!("/proc/{}/ns/net", self.holders[0].id())) {
            spaces.push(p.to_string_lossy().into_owned());
        }
        let holders: Vec<u32> = self.holders.iter().map(Child::id).collect();
        for _ in 0..3 {
            let stray = stragglers(&spaces, &holders);
            if stray.is_empty() {
                break;
            }
            for pid in stray {
                // SAFETY: kill(2) on a pid that lives in our lab's namespace.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
        for child in self.holders.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.holders.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Pids (not holders) whose network namespace is one of `spaces`.
fn stragglers(spaces: &[String], holders: &[u32]) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| !holders.contains(pid) && *pid != std::process::id())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/ns/net"))
                .is_ok_and(|p| spaces.iter().any(|s| *s == p.to_string_lossy()))
        })
        .collect()
}

impl Drop for Net {
    fn drop(&mut self) {
        self.teardown();
    }
}
