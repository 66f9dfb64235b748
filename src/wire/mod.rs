//! Packet parsing the crates we use do not already do; no sockets, no clock.

pub mod dns;
pub mod dns_text;
