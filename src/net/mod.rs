//! The only code that makes syscalls: sockets, interfaces, routes, the resolver.

pub mod capture;
pub mod dns;
pub mod errqueue;
pub mod h2c;
pub mod http;
pub mod iface;
pub mod lease;
pub mod netlink;
pub mod packet;
pub mod privilege;
pub mod resolve;
pub mod starttls;
pub mod tcp;
pub mod tls;
pub mod tls_client;
pub mod tls_probe;
pub mod trace;
pub mod udp;
