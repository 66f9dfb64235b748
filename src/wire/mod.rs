//! Packet and message building/parsing that no crate here does for us.
//! No sockets, no clock, no tokio: bytes in, values out; malformed input is
//! an error value, never a panic.

pub mod der;
pub mod ocsp;
pub mod tls_hello;
