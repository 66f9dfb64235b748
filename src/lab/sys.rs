//! Raw Linux plumbing for the lab (namespaces, mounts, fd passing).
//!
//! Everything named `*_in_child` or reached from [`run_ops`] runs inside a
//! `pre_exec` closure, i.e. in the forked child before `exec`. The rules
//! there: no allocation, no locks, only async-signal-safe libc calls. Every
//! buffer and C string those functions touch is prepared by the parent.

use std::ffi::{CStr, CString};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::{Child, ExitStatus};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One step of a `pre_exec` program. The parent builds a `Vec<Op>`; the
/// child runs it with [`run_ops`]. A failing step is reported by its index,
/// which the parent turns back into a sentence with [`Op::describe`].
pub enum Op {
    /// `prctl(PR_SET_PDEATHSIG, SIGKILL)`, then make sure the parent did not
    /// already die (the signal would never come).
    DeathSig {
        parent: u32,
    },
    /// Every standard signal back to SIG_DFL: a test runner started in the
    /// background (SIGINT/SIGQUIT ignored) must not pass that on, or a
    /// test's SIGINT would be lost.
    DefaultSignals,
    Unshare {
        flags: libc::c_int,
        what: &'static str,
    },
    Setns {
        fd: RawFd,
        nstype: libc::c_int,
        what: &'static str,
    },
    /// setns into a mount namespace, keeping the working directory (by path:
    /// the host's mount namespace is a copy of the outer one).
    SetnsMntKeepCwd {
        fd: RawFd,
    },
    /// `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL)`.
    MakeRootPrivate,
    BindMount {
        src: CString,
        dst: CString,
    },
    /// A fresh sysfs on /sys so /sys/class/net shows this host's interfaces.
    /// Best effort: failure is ignored.
    MountSysfs,
    Write {
        path: CString,
        data: Vec<u8>,
        optional: bool,
    },
    /// `ip link set lo up`, done with two ioctls.
    LoUp,
}

impl Op {
    pub fn describe(&self) -> String {
        match self {
            Op::DeathSig { .. } => "prctl(PR_SET_PDEATHSIG) / parent check".into(),
            Op::DefaultSignals => "reset signal dispositions".into(),
            Op::Unshare { what, .. } => format!("unshare({what})"),
            Op::Setns { what, .. } => format!("setns(<{what} namespace>)"),
            Op::SetnsMntKeepCwd { .. } => "setns(<mount namespace>)".into(),
            Op::MakeRootPrivate => "mount(\"/\", MS_REC|MS_PRIVATE)".into(),
            Op::BindMount { src, dst } => format!("bind mount {src:?} over {dst:?}"),
            Op::MountSysfs => "mount sysfs on /sys".into(),
            Op::Write { path, data, .. } => {
                format!("write {:?} to {path:?}", String::from_utf8_lossy(data))
            }
            Op::LoUp => "bring up lo".into(),
        }
    }
}

fn errno() -> libc::c_int {
    io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// Runs `ops` in order. Child side: async-signal-safe, allocation free.
/// Returns the index of the failing op and its errno.
///
/// # Safety
/// Only call in a forked child before `exec` (it changes namespaces, mounts
/// and signal dispositions of the calling process).
pub unsafe fn run_ops(ops: &[Op]) -> Result<(), (usize, libc::c_int)> {
    for (i, op) in ops.iter().enumerate() {
        // SAFETY: each arm only calls libc with pointers to live, NUL
        // terminated buffers owned by `ops` or by this stack frame.
        let ok = unsafe { run_op(op) };
        if !ok {
            return Err((i, errno()));
        }
    }
    Ok(())
}

unsafe fn run_op(op: &Op) -> bool {
    unsafe {
        match op {
            Op::DeathSig { parent } => {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                    return false;
                }
                if libc::getppid() as u32 != *parent {
                    *libc::__errno_location() = libc::ESRCH;
                    return false;
                }
                true
            }
            Op::DefaultSignals => {
                for sig in 1..32 {
                    if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                        libc::signal(sig, libc::SIG_DFL);
                    }
                }
                true
            }
            Op::Unshare { flags, .. } => libc::unshare(*flags) == 0,
            Op::Setns { fd, nstype, .. } => libc::setns(*fd, *nstype) == 0,
            Op::SetnsMntKeepCwd { fd } => {
                let mut buf = [0 as libc::c_char; 4096];
                let have_cwd = !libc::getcwd(buf.as_mut_ptr(), buf.len()).is_null();
                if libc::setns(*fd, libc::CLONE_NEWNS) != 0 {
                    return false;
                }
                if !have_cwd || libc::chdir(buf.as_ptr()) != 0 {
                    libc::chdir(c"/".as_ptr());
                }
                true
            }
            Op::MakeRootPrivate => {
                libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) == 0
            }
            Op::BindMount { src, dst } => {
                libc::mount(src.as_ptr(), dst.as_ptr(), std::ptr::null(), libc::MS_BIND, std::ptr::null()) == 0
            }
            Op::MountSysfs => {
                let base = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
                for flags in [base, base | libc::MS_RDONLY] {
                    let r =
                        libc::mount(c"sysfs".as_ptr(), c"/sys".as_ptr(), c"sysfs".as_ptr(), flags, std::ptr::null());
                    if r == 0 {
                        break;
                    }
                }
                true
            }
            Op::Write { path, data, optional } => write_file(path, data) || *optional,
            Op::LoUp => lo_up(),
        }
    }
}

/// open + write + close without allocating; keeps the first errno.
unsafe fn write_file(path: &CStr, data: &[u8]) -> bool {
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return false;
        }
        let n = libc::write(fd, data.as_ptr().cast(), data.len());
        let saved = errno();
        libc::close(fd);
        if n != data.len() as isize {
            *libc::__errno_location() = if n < 0 { saved } else { libc::EIO };
            return false;
        }
        true
    }
}

unsafe fn lo_up() -> bool {
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return false;
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        ifr.ifr_name[0] = b'l' as libc::c_char;
        ifr.ifr_name[1] = b'o' as libc::c_char;
        let mut ok = libc::ioctl(s, libc::SIOCGIFFLAGS as _, &mut ifr as *mut libc::ifreq) == 0;
        if ok {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            ok = libc::ioctl(s, libc::SIOCSIFFLAGS as _, &ifr as *const libc::ifreq) == 0;
        }
        let saved = errno();
        libc::close(s);
        *libc::__errno_location() = saved;
        ok
    }
}

/// A pipe through which a failing `pre_exec` tells the parent *which* op
/// failed (std only forwards the errno).
pub struct StageReport {
    read: OwnedFd,
    write: Arc<OwnedFd>,
}

impl StageReport {
    pub fn new() -> io::Result<StageReport> {
        let mut fds = [0; 2];
        // SAFETY: plain pipe2 on a 2-element array.
        let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 just returned these two fresh descriptors.
        unsafe { Ok(StageReport { read: OwnedFd::from_raw_fd(fds[0]), write: Arc::new(OwnedFd::from_raw_fd(fds[1])) }) }
    }

    pub fn writer(&self) -> Arc<OwnedFd> {
        self.write.clone()
    }

    /// Child side: record the failing op index (allocation free).
    pub fn tell(w: &OwnedFd, index: usize) {
        let b = index.min(255) as u8;
        // SAFETY: one byte from the stack to an open pipe.
        unsafe { libc::write(w.as_raw_fd(), (&b as *const u8).cast(), 1) };
    }

    /// Parent side, after a failed spawn: the index the child wrote, if any.
    pub fn failed_index(&self) -> Option<usize> {
        let mut b = 0u8;
        // SAFETY: one byte into a stack variable; the fd is non-blocking.
        let n = unsafe { libc::read(self.read.as_raw_fd(), (&mut b as *mut u8).cast(), 1) };
        (n == 1).then_some(b as usize)
    }
}

/// What the child needs to create a socket inside a namespace.
pub struct SockSpec {
    pub domain: libc::c_int,
    pub ty: libc::c_int,
    pub protocol: libc::c_int,
    pub bind: Option<(libc::sockaddr_storage, libc::socklen_t)>,
    pub listen: Option<libc::c_int>,
}

/// Result message sent back over the socketpair: op index (or a socket
/// stage) and errno; the fd itself travels as SCM_RIGHTS.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Reply {
    stage: u32,
    errno: i32,
}

pub const STAGE_OK: u32 = u32::MAX;
pub const STAGE_SOCKET: u32 = 1000;
pub const STAGE_SOCKOPT: u32 = 1001;
pub const STAGE_BIND: u32 = 1002;
pub const STAGE_LISTEN: u32 = 1003;

#[repr(C, align(8))]
struct CmsgBuf([u8; 64]);

/// Child side: creates the socket described by `spec` (the ops have already
/// moved us into the right namespaces) and sends it over `chan`.
///
/// # Safety
/// Only call in a forked child before `exec`; `chan` must be an open socket.
pub unsafe fn socket_in_child(spec: &SockSpec, chan: RawFd) {
    unsafe {
        let fail = |stage: u32, fd: RawFd| {
            let e = errno();
            if fd >= 0 {
                libc::close(fd);
            }
            send_reply(chan, Reply { stage, errno: e }, -1);
        };
        let fd = libc::socket(spec.domain, spec.ty | libc::SOCK_CLOEXEC, spec.protocol);
        if fd < 0 {
            return fail(STAGE_SOCKET, -1);
        }
        let inet = spec.domain == libc::AF_INET || spec.domain == libc::AF_INET6;
        let one: libc::c_int = 1;
        let optlen = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        if inet && spec.bind.is_some() {
            let p = (&one as *const libc::c_int).cast();
            if libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, p, optlen) != 0 {
                return fail(STAGE_SOCKOPT, fd);
            }
            let stream_or_dgram = spec.ty == libc::SOCK_STREAM || spec.ty == libc::SOCK_DGRAM;
            if spec.domain == libc::AF_INET6
                && stream_or_dgram
                && libc::setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, p, optlen) != 0
            {
                return fail(STAGE_SOCKOPT, fd);
            }
        }
        if let Some((ss, len)) = &spec.bind
            && libc::bind(fd, (ss as *const libc::sockaddr_storage).cast(), *len) != 0
        {
            return fail(STAGE_BIND, fd);
        }
        if let Some(backlog) = spec.listen
            && libc::listen(fd, backlog) != 0
        {
            return fail(STAGE_LISTEN, fd);
        }
        send_reply(chan, Reply { stage: STAGE_OK, errno: 0 }, fd);
        libc::close(fd);
    }
}

/// A socket factory's request: `socket(domain, ty, 0)`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct SockRequest {
    pub domain: libc::c_int,
    pub ty: libc::c_int,
}

/// Child side of a socket factory: forks a grandchild that keeps only `chan`
/// (as fd 3) and answers every [`SockRequest`] with a new socket made in the
/// namespaces the ops moved us into, until the parent closes its end. The
/// child itself returns at once and execs, so `spawn` does not wait on the
/// loop; the fork also drops PDEATHSIG, and the closed channel ends the loop.
///
/// # Safety
/// Only call in a forked child before `exec`; `chan` must be an open socket.
pub unsafe fn socket_factory_in_child(chan: RawFd) {
    unsafe {
        if libc::fork() != 0 {
            return; // the child (or a failed fork: the channel just closes)
        }
        if chan != 3 && libc::dup2(chan, 3) != 3 {
            libc::_exit(1);
        }
        // Every other descriptor of the parent (its end of the channel
        // included) would otherwise stay open here for good: no exec follows.
        if libc::syscall(libc::SYS_close_range, 4u32, u32::MAX, 0u32) != 0 {
            for fd in 4..65536 {
                libc::close(fd);
            }
        }
        loop {
            let mut req = SockRequest::default();
            let size = std::mem::size_of::<SockRequest>();
            let n = libc::recv(3, (&mut req as *mut SockRequest).cast(), size, 0);
            if n < 0 && errno() == libc::EINTR {
                continue;
            }
            if n != size as isize {
                libc::_exit(0);
            }
            let spec = SockSpec { domain: req.domain, ty: req.ty, protocol: 0, bind: None, listen: None };
            socket_in_child(&spec, 3);
        }
    }
}

/// Parent side: one request to a socket factory.
pub fn send_request(chan: &OwnedFd, req: SockRequest) -> io::Result<()> {
    let size = std::mem::size_of::<SockRequest>();
    // SAFETY: sends `size` bytes from a live stack value.
    let n = unsafe { libc::send(chan.as_raw_fd(), (&req as *const SockRequest).cast(), size, libc::MSG_NOSIGNAL) };
    if n == size as isize { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Child side of the failure path of the ops before the socket.
///
/// # Safety
/// As [`socket_in_child`].
pub unsafe fn socket_ops_failed(chan: RawFd, index: usize, errno: libc::c_int) {
    unsafe { send_reply(chan, Reply { stage: index as u32, errno }, -1) };
}

unsafe fn send_reply(chan: RawFd, reply: Reply, fd: RawFd) {
    unsafe {
        let mut data = reply;
        let mut iov = libc::iovec { iov_base: (&mut data as *mut Reply).cast(), iov_len: std::mem::size_of::<Reply>() };
        let mut cbuf = CmsgBuf([0; 64]);
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if fd >= 0 {
            let space = libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize;
            msg.msg_control = cbuf.0.as_mut_ptr().cast();
            msg.msg_controllen = space as _;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<RawFd>(), fd);
        }
        libc::sendmsg(chan, &msg, libc::MSG_NOSIGNAL);
    }
}

/// A connected `AF_UNIX/SOCK_SEQPACKET` pair (both ends close-on-exec).
pub fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: plain socketpair on a 2-element array.
    let r = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair just returned these two fresh descriptors.
    unsafe { Ok((OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))) }
}

pub enum Received {
    Fd(OwnedFd),
    /// (stage, errno) reported by the child.
    Failed(u32, i32),
    /// The child closed the channel without a word (it died before
    /// sending, e.g. exec failed).
    Nothing,
    TimedOut,
}

/// Parent side: waits (bounded) for the child's reply and fd.
pub fn recv_reply(chan: &OwnedFd, timeout: Duration) -> Received {
    if !poll_readable(chan.as_raw_fd(), timeout) {
        return Received::TimedOut;
    }
    let mut data = Reply::default();
    let mut iov = libc::iovec { iov_base: (&mut data as *mut Reply).cast(), iov_len: std::mem::size_of::<Reply>() };
    let mut cbuf = CmsgBuf([0; 64]);
    // SAFETY: msghdr points at live stack buffers of the stated sizes.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.0.as_mut_ptr().cast();
        msg.msg_controllen = cbuf.0.len() as _;
        let n = libc::recvmsg(chan.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC);
        if n <= 0 {
            return Received::Nothing;
        }
        let mut got: Option<OwnedFd> = None;
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let fd = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<RawFd>());
                got = Some(OwnedFd::from_raw_fd(fd));
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
        match (data.stage, got) {
            (STAGE_OK, Some(fd)) => Received::Fd(fd),
            (STAGE_OK, None) => Received::Failed(STAGE_OK, libc::EBADMSG),
            (stage, _) => Received::Failed(stage, data.errno),
        }
    }
}

/// poll(2) for readability with a deadline, retrying on EINTR.
fn poll_readable(fd: RawFd, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        let ms = left.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one pollfd on the stack.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r > 0 {
            return true;
        }
        if r == 0 || (r < 0 && errno() != libc::EINTR) || left.is_zero() {
            return false;
        }
    }
}

/// Waits for `child` to exit, at most `timeout` (pidfd + poll: no sleeping).
/// `Ok(None)` means it is still running.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    if let Some(st) = child.try_wait()? {
        return Ok(Some(st));
    }
    // SAFETY: pidfd_open(pid, 0) returns a new fd or -1.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id() as libc::pid_t, 0) };
    if raw < 0 {
        // No pidfd (kernel < 5.3): wait without a deadline.
        return child.wait().map(Some);
    }
    // SAFETY: fresh descriptor from pidfd_open.
    let pidfd = unsafe { OwnedFd::from_raw_fd(raw as RawFd) };
    if poll_readable(pidfd.as_raw_fd(), timeout) { child.wait().map(Some) } else { Ok(None) }
}

/// A `sockaddr_storage` for `addr`.
pub fn sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage; we write a smaller
    // sockaddr_in/in6 at its start (storage is larger and suitably aligned).
    unsafe {
        let mut ss: libc::sockaddr_storage = std::mem::zeroed();
        let len = match addr {
            SocketAddr::V4(a) => {
                let sin = &mut *(&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>();
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from(*a.ip()).to_be();
                std::mem::size_of::<libc::sockaddr_in>()
            }
            SocketAddr::V6(a) => {
                let sin6 = &mut *(&mut ss as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>();
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_scope_id = a.scope_id();
                std::mem::size_of::<libc::sockaddr_in6>()
            }
        };
        (ss, len as libc::socklen_t)
    }
}

pub fn errno_text(e: i32) -> String {
    io::Error::from_raw_os_error(e).to_string()
}
