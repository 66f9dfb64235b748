//! Packet and message building and parsing that pnet_packet, dhcproto and
//! hickory-proto do not do for us: DNS messages in BIND's text, DHCP option walking and UDP framing, ICMP
//! quotes and RFC 4884/4950 extensions, traceroute probes, DER/OCSP and TLS
//! hellos. No sockets, no clock, no tokio: bytes in, values out; short or
//! hostile input is an error value, never a panic.

pub mod der;
pub mod dhcp_options;
pub mod dns;
pub mod dns_rdata;
pub mod dns_text;
pub mod ext;
pub mod icmp;
pub mod ocsp;
pub mod pcap;
pub mod probe;
pub mod tls_hello;
pub mod udp_frame;
