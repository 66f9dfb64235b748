//! Packet building and parsing that pnet_packet, dhcproto and hickory-proto do
//! not do on their own. No sockets, no clock: bytes in, bytes or views out.

pub mod dhcp_options;
pub mod udp_frame;
