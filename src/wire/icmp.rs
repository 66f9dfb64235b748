//! Incoming ICMP/ICMPv6 messages seen by a traceroute: echo replies, and
//! errors with the headers of the probe they quote, so a reply is matched to
//! its probe by addresses, ports, ids and sequence, never by arrival order.

use super::ext::{self, MplsLabel};
use pnet_packet::Packet;
use pnet_packet::icmp::IcmpPacket;
use pnet_packet::icmpv6::Icmpv6Packet;
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use pnet_packet::tcp::TcpPacket;
use pnet_packet::udp::UdpPacket;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};

/// What identifies a probe on the wire: the transport header fields a router
/// quotes back (RFC 792 guarantees the first 8 bytes past the IP header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "proto", rename_all = "lowercase")]
pub enum Transport {
    Icmp {
        id: u16,
        seq: u16,
    },
    /// `seq` is the probe number: read from the quoted payload when the
    /// router quoted it, else from the checksum the payload steered.
    Udp {
        sport: u16,
        dport: u16,
        seq: u16,
    },
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
    },
    /// A probe the kernel matched for us (one socket per probe, IP_RECVERR).
    Socket {
        token: u32,
    },
}

/// The original datagram inside an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    EchoReply {
        id: u16,
        seq: u16,
    },
    Error {
        v6: bool,
        icmp_type: u8,
        code: u8,
        /// Next-hop MTU of "fragmentation needed" / "packet too big".
        mtu: Option<u32>,
        quote: Quote,
        mpls: Vec<MplsLabel>,
    },
}

const V4_ECHO_REPLY: u8 = 0;
const V4_UNREACH: u8 = 3;
const V4_TIME_EXCEEDED: u8 = 11;
const V6_UNREACH: u8 = 1;
const V6_TOO_BIG: u8 = 2;
const V6_TIME_EXCEEDED: u8 = 3;
const V6_ECHO_REPLY: u8 = 129;

/// Parses what a raw IPv4 ICMP socket reads: the IPv4 header, then ICMP.
/// Returns the sender and the message; anything we do not use gives None.
pub fn parse_v4(packet: &[u8]) -> Option<(Ipv4Addr, Message)> {
    let ip = Ipv4Packet::new(packet)?;
    let header = usize::from(ip.get_header_length()) * 4;
    if header < 20 || ip.get_next_level_protocol() != IpNextHeaderProtocols::Icmp {
        return None;
    }
    let icmp = IcmpPacket::new(packet.get(header..)?)?;
    let (t, code) = (icmp.get_icmp_type().0, icmp.get_icmp_code().0);
    let raw = icmp.packet();
    let message = match t {
        V4_ECHO_REPLY => {
            let rest = raw.get(4..8)?;
            Message::EchoReply {
                id: u16::from_be_bytes([rest[0], rest[1]]),
                seq: u16::from_be_bytes([rest[2], rest[3]]),
            }
        }
        V4_UNREACH | V4_TIME_EXCEEDED => {
            let body = raw.get(8..)?;
            let quote = parse_quote_v4(body)?;
            let quoted_len = usize::from(raw[5]) * 4;
            let mtu = (t == V4_UNREACH && code == 4).then(|| u32::from(u16::from_be_bytes([raw[6], raw[7]])));
            Message::Error { v6: false, icmp_type: t, code, mtu, quote, mpls: ext::mpls_labels(body, quoted_len) }
        }
        _ => return None,
    };
    Some((ip.get_source(), message))
}

/// Parses what a raw ICMPv6 socket reads (no IP header; the sender comes
/// from recvfrom).
pub fn parse_v6(raw: &[u8]) -> Option<Message> {
    let icmp = Icmpv6Packet::new(raw)?;
    let (t, code) = (icmp.get_icmpv6_type().0, icmp.get_icmpv6_code().0);
    match t {
        V6_ECHO_REPLY => {
            let rest = raw.get(4..8)?;
            Some(Message::EchoReply {
                id: u16::from_be_bytes([rest[0], rest[1]]),
                seq: u16::from_be_bytes([rest[2], rest[3]]),
            })
        }
        V6_UNREACH | V6_TOO_BIG | V6_TIME_EXCEEDED => {
            let body = raw.get(8..)?;
            let quote = parse_quote_v6(body)?;
            let mtu = (t == V6_TOO_BIG).then(|| u32::from_be_bytes([raw[4], raw[5], raw[6], raw[7]]));
            // RFC 4884 length is in 64-bit words for ICMPv6 (not on packet too big).
            let quoted_len = if t == V6_TOO_BIG { 0 } else { usize::from(raw[4]) * 8 };
            let mpls = if t == V6_TOO_BIG { Vec::new() } else { ext::mpls_labels(body, quoted_len) };
            Some(Message::Error { v6: true, icmp_type: t, code, mtu, quote, mpls })
        }
        _ => None,
    }
}

/// The quoted IPv4 datagram: its addresses and the probe's identity.
pub fn parse_quote_v4(body: &[u8]) -> Option<Quote> {
    let ip = Ipv4Packet::new(body)?;
    let header = usize::from(ip.get_header_length()) * 4;
    if header < 20 || ip.get_version() != 4 {
        return None;
    }
    let transport = transport(ip.get_next_level_protocol().0, body.get(header..)?, false)?;
    Some(Quote { src: ip.get_source().into(), dst: ip.get_destination().into(), transport })
}

/// The quoted IPv6 datagram (extension headers are not followed: probes carry none).
pub fn parse_quote_v6(body: &[u8]) -> Option<Quote> {
    let ip = Ipv6Packet::new(body)?;
    if ip.get_version() != 6 {
        return None;
    }
    let transport = transport(ip.get_next_header().0, body.get(40..)?, true)?;
    Some(Quote { src: ip.get_source().into(), dst: ip.get_destination().into(), transport })
}

/// The identity fields of a quoted transport header (only 8 bytes are sure to be there).
fn transport(proto: u8, bytes: &[u8], v6: bool) -> Option<Transport> {
    let word = |i: usize| bytes.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match proto {
        1 | 58 => {
            let (icmp_proto, echo_request) = if v6 { (58, 128) } else { (1, 8) };
            let is_echo = proto == icmp_proto && *bytes.first()? == echo_request;
            is_echo.then_some(Transport::Icmp { id: word(4)?, seq: word(6)? })
        }
        17 => {
            let udp = UdpPacket::new(bytes)?;
            // Checksum offload can leave a partial checksum in the quote, so the
            // quoted payload (Linux routers quote up to 576 bytes) comes first.
            let seq = match bytes.get(8..10) {
                Some(p) => u16::from_be_bytes([p[0], p[1]]),
                None => super::probe::seq_from_udp_checksum(udp.get_checksum()),
            };
            Some(Transport::Udp { sport: udp.get_source(), dport: udp.get_destination(), seq })
        }
        6 => {
            // TcpPacket::new wants 20 bytes; the first 8 are all a router must quote.
            let seq = bytes.get(4..8).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))?;
            Some(Transport::Tcp { sport: word(0)?, dport: word(2)?, seq })
        }
        _ => None,
    }
}

/// A TCP segment answering a SYN probe: (source port, destination port, the
/// probe sequence it acknowledges, RST?).
pub fn parse_tcp_answer(segment: &[u8]) -> Option<(u16, u16, u32, bool)> {
    let tcp = TcpPacket::new(segment)?;
    let flags = tcp.get_flags();
    const RST: u8 = 0x04;
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    let rst = flags & RST != 0;
    if flags & ACK == 0 || (!rst && flags & SYN == 0) {
        return None;
    }
    Some((tcp.get_source(), tcp.get_destination(), tcp.get_acknowledgement().wrapping_sub(1), rst))
}

/// Strips the IPv4 header a raw IPv4 socket delivers; returns (source, payload).
pub fn strip_v4(packet: &[u8], proto: u8) -> Option<(Ipv4Addr, &[u8])> {
    let ip = Ipv4Packet::new(packet)?;
    let header = usize::from(ip.get_header_length()) * 4;
    (header >= 20 && ip.get_next_level_protocol().0 == proto).then_some(())?;
    Some((ip.get_source(), packet.get(header..)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::probe;
    use std::net::Ipv6Addr;

    fn v4_header(proto: u8, src: Ipv4Addr, dst: Ipv4Addr, payload_len: usize) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 1, proto, 0, 0];
        h[2..4].copy_from_slice(&((20 + payload_len) as u16).to_be_bytes());
        h.extend(src.octets());
        h.extend(dst.octets());
        h
    }

    fn time_exceeded_v4(router: Ipv4Addr, me: Ipv4Addr, quoted: &[u8]) -> Vec<u8> {
        let mut icmp = vec![11, 0, 0, 0, 0, 0, 0, 0];
        icmp.extend(quoted);
        let mut pkt = v4_header(1, router, me, icmp.len());
        pkt.extend(icmp);
        pkt
    }

    #[test]
    fn time_exceeded_quoting_an_echo_request() {
        let me = Ipv4Addr::new(198, 18, 1, 1);
        let target = Ipv4Addr::new(198, 18, 9, 2);
        let echo = probe::echo_request(false, 0x1234, 7, 16);
        let mut quoted = v4_header(1, me, target, echo.len());
        quoted.extend(&echo[..8]); // only 8 bytes quoted
        let (from, msg) = parse_v4(&time_exceeded_v4(Ipv4Addr::new(198, 18, 1, 2), me, &quoted)).unwrap();
        assert_eq!(from, Ipv4Addr::new(198, 18, 1, 2));
        let Message::Error { icmp_type, quote, mtu, mpls, .. } = msg else { panic!() };
        assert_eq!((icmp_type, mtu, mpls.len()), (11, None, 0));
        assert_eq!(quote.dst, IpAddr::V4(target));
        assert_eq!(quote.transport, Transport::Icmp { id: 0x1234, seq: 7 });
    }

    #[test]
    fn udp_and_tcp_quotes_and_the_mtu() {
        let me = Ipv4Addr::new(198, 18, 1, 1);
        let target = Ipv4Addr::new(198, 18, 9, 2);
        let mut quoted = v4_header(17, me, target, 8);
        quoted.extend([0x80, 0x00, 0x82, 0x9a, 0, 8, 0x00, 0x08]);
        let mut pkt = time_exceeded_v4(me, me, &quoted);
        pkt[20] = 3;
        pkt[21] = 4;
        pkt[26..28].copy_from_slice(&1300u16.to_be_bytes());
        let (_, msg) = parse_v4(&pkt).unwrap();
        let Message::Error { quote, mtu, .. } = msg else { panic!() };
        assert_eq!(mtu, Some(1300));
        assert_eq!(quote.transport, Transport::Udp { sport: 0x8000, dport: 33434, seq: 7 });
        let mut with_payload = v4_header(17, me, target, 12);
        with_payload.extend([0x80, 0x00, 0x82, 0x9a, 0, 12, 0xbe, 0xef, 0, 42, 0, 0]);
        let quote = parse_quote_v4(&with_payload).unwrap();
        assert_eq!(quote.transport, Transport::Udp { sport: 0x8000, dport: 33434, seq: 42 }, "payload wins");
        let mut tcp = v4_header(6, me, target, 8);
        tcp.extend([0x80, 0x01, 0, 80, 0xde, 0xad, 0xbe, 0xef]);
        let quote = parse_quote_v4(&tcp).unwrap();
        assert_eq!(quote.transport, Transport::Tcp { sport: 0x8001, dport: 80, seq: 0xdeadbeef });
    }

    #[test]
    fn icmpv6_errors_and_echo_replies() {
        let me: Ipv6Addr = "2001:db8:1::1".parse().unwrap();
        let target: Ipv6Addr = "2001:db8:9::2".parse().unwrap();
        let mut quoted = vec![0x60, 0, 0, 0, 0, 16, 58, 1];
        quoted.extend(me.octets());
        quoted.extend(target.octets());
        quoted.extend(probe::echo_request(true, 9, 3, 8));
        let mut msg = vec![V6_TOO_BIG, 0, 0, 0, 0, 0, 0x05, 0x14];
        msg.extend(&quoted);
        let Some(Message::Error { mtu, quote, .. }) = parse_v6(&msg) else { panic!() };
        assert_eq!(
            (mtu, quote.dst, quote.transport),
            (Some(1300), IpAddr::V6(target), Transport::Icmp { id: 9, seq: 3 })
        );
        assert_eq!(parse_v6(&[129, 0, 0, 0, 0, 9, 0, 3]), Some(Message::EchoReply { id: 9, seq: 3 }));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            let _ = parse_v4(&bytes);
            let _ = parse_v6(&bytes);
            let mut fake = bytes.clone();
            if fake.len() > 28 {
                fake[0] = 0x45;
                fake[9] = 1;
                fake[20] = 11;
            }
            let _ = parse_v4(&fake);
            let _ = parse_tcp_answer(&bytes);
            let _ = strip_v4(&bytes, 6);
        }
        assert_eq!(parse_v4(&[0x45]), None);
    }

    #[test]
    fn tcp_answers() {
        let mut syn_ack = vec![0u8; 20];
        syn_ack[0..2].copy_from_slice(&80u16.to_be_bytes());
        syn_ack[2..4].copy_from_slice(&40000u16.to_be_bytes());
        syn_ack[8..12].copy_from_slice(&1001u32.to_be_bytes());
        syn_ack[12] = 0x50;
        syn_ack[13] = 0x12;
        assert_eq!(parse_tcp_answer(&syn_ack), Some((80, 40000, 1000, false)));
        syn_ack[13] = 0x14;
        assert_eq!(parse_tcp_answer(&syn_ack), Some((80, 40000, 1000, true)));
        syn_ack[13] = 0x02; // a bare SYN is not an answer
        assert_eq!(parse_tcp_answer(&syn_ack), None);
    }
}
