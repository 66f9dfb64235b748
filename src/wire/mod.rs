//! Packet parsing and building that pnet_packet does not do by itself: which
//! probe an ICMP error quotes, ICMP extensions (RFC 4884/4950 MPLS), and probe
//! payloads. No sockets, no clock: every function takes bytes and returns
//! values, and never panics on short or hostile input.

pub mod ext;
pub mod icmp;
pub mod probe;
