//! Every integration test in one binary, so the lab harness and the netwalk
//! library are compiled and linked once. Each module tests one command
//! against real peers in the rootless lab (`lab`); `*_interop` modules need
//! the programs `.ci/run` installs and are built with `--features interop`.

mod http_peers;
mod lab;
mod tlslab;

mod arp;
mod bounded;
mod dhcp_discover;
mod dhcp_interop;
mod dig;
mod dig_interop;
mod dig_transfer;
mod dig_unreachable;
mod explain;
mod generated;
mod hsts_check;
mod hsts_interop;
mod hsts_offline;
mod http;
mod http_interop;
mod lab_command;
mod lab_selftest;
mod schema;
mod serve;
mod serve_interop;
mod tcping;
mod tls_inspect;
mod tls_interop;
mod traceroute;
