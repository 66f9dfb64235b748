//! Packet and message building and parsing that pnet_packet, dhcproto and
//! hickory-proto do not do for us. No sockets, no clock, no tokio: bytes in,
//! values out; malformed input is an error value, never a panic.

pub mod der;
pub mod dhcp_options;
pub mod ocsp;
pub mod tls_hello;
pub mod udp_frame;
