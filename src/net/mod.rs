//! The only code that makes syscalls: sockets, interfaces, routes, the resolver.

pub mod capture;
pub mod dns;
pub mod errqueue;
pub mod fetch;
pub mod h2c;
pub mod http;
pub mod iface;
pub mod interrupt;
pub mod lease;
pub mod netlink;
pub mod packet;
pub mod privilege;
pub mod proxy;
pub mod resolve;
pub mod starttls;
pub mod tcp;
pub mod tls;
pub mod tls_client;
pub mod tls_probe;
pub mod trace;
pub mod udp;

/// setsockopt(2) for the options socket2 does not name.
pub(crate) fn setsockopt<T>(fd: &impl std::os::fd::AsRawFd, level: i32, name: i32, value: &T) -> std::io::Result<()> {
    // SAFETY: value points to a live T of the size we pass.
    let rc = unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, (value as *const T).cast(), size_of::<T>() as libc::socklen_t)
    };
    if rc == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}
