//! One module per command: clap Args, a pure engine, and a thin `run`.

pub mod arp;
pub mod dhcp_discover;
pub mod dig;
pub mod explain;
pub mod hsts_check;
pub mod http;
pub mod lab;
pub mod serve;
pub mod tcping;
pub mod tls_inspect;
pub mod traceroute;
