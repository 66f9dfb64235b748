//! The only code that makes syscalls: sockets, interfaces, routes, the resolver.

pub mod errqueue;
pub mod iface;
pub mod netlink;
pub mod packet;
pub mod privilege;
pub mod resolve;
pub mod starttls;
pub mod tcp;
pub mod tls;
pub mod tls_probe;
pub mod udp;
