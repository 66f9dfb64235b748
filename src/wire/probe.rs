//! Probe packets: ICMP echo requests, UDP payloads whose checksum carries the
//! probe number (Paris traceroute: the 5-tuple stays fixed, so every probe of
//! a flow takes the same ECMP path), and TCP SYNs.

use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::tcp::{MutableTcpPacket, TcpFlags};
use std::net::IpAddr;

/// The UDP checksum that identifies probe `seq` (never 0, which means "no
/// checksum" in IPv4, and never 0xffff, its alias).
pub fn udp_checksum_for(seq: u16) -> u16 {
    (seq % 0xfffd) + 1
}

/// The probe number a steered UDP checksum stands for.
pub fn seq_from_udp_checksum(checksum: u16) -> u16 {
    checksum.wrapping_sub(1)
}

/// An ICMP / ICMPv6 echo request with `payload` bytes of padding. The ICMPv4
/// checksum is filled in; for ICMPv6 the kernel computes it.
pub fn echo_request(v6: bool, id: u16, seq: u16, payload: usize) -> Vec<u8> {
    let mut pkt = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    pkt.extend(id.to_be_bytes());
    pkt.extend(seq.to_be_bytes());
    pkt.extend((0..payload).map(|i| 0x40 + (i % 32) as u8));
    if !v6 {
        let sum = pnet_packet::util::checksum(&pkt, 1);
        pkt[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    pkt
}

/// A UDP payload of `len` bytes (at least 4) that starts with `seq` and makes
/// the datagram's checksum equal `udp_checksum_for(seq)` on the given path.
pub fn udp_payload(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, seq: u16, len: usize) -> Vec<u8> {
    let mut payload = vec![0u8; len.max(4)];
    payload[0..2].copy_from_slice(&seq.to_be_bytes());
    let natural = udp_checksum(src, dst, sport, dport, &payload);
    // One's-complement arithmetic: adding X to the sum moves the checksum to
    // the target T when X = ~T + C0, where C0 is the checksum with X = 0.
    let target = udp_checksum_for(seq);
    let mut x = u32::from(!target) + u32::from(natural);
    x = (x & 0xffff) + (x >> 16);
    payload[2..4].copy_from_slice(&(x as u16).to_be_bytes());
    payload
}

/// The UDP checksum of a datagram with these fields.
pub fn udp_checksum(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, payload: &[u8]) -> u16 {
    let mut datagram = Vec::with_capacity(8 + payload.len());
    datagram.extend(sport.to_be_bytes());
    datagram.extend(dport.to_be_bytes());
    datagram.extend(((8 + payload.len()) as u16).to_be_bytes());
    datagram.extend([0, 0]);
    datagram.extend(payload);
    let udp = IpNextHeaderProtocols::Udp;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => pnet_packet::util::ipv4_checksum(&datagram, 3, &[], &s, &d, udp),
        (IpAddr::V6(s), IpAddr::V6(d)) => pnet_packet::util::ipv6_checksum(&datagram, 3, &[], &s, &d, udp),
        _ => 0,
    }
}

/// A TCP SYN (20-byte header, no options) carrying `payload` zero bytes
/// (data on a SYN is legal, RFC 9293 3.10.7.2: a peer without TCP Fast Open
/// ignores it and answers SYN-ACK or RST as usual), with its checksum.
pub fn tcp_syn(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, seq: u32, payload: usize) -> Vec<u8> {
    let mut buf = vec![0u8; 20 + payload];
    if let Some(mut tcp) = MutableTcpPacket::new(&mut buf) {
        tcp.set_source(sport);
        tcp.set_destination(dport);
        tcp.set_sequence(seq);
        tcp.set_data_offset(5);
        tcp.set_flags(TcpFlags::SYN);
        tcp.set_window(64240);
        let sum = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => pnet_packet::tcp::ipv4_checksum(&tcp.to_immutable(), &s, &d),
            (IpAddr::V6(s), IpAddr::V6(d)) => pnet_packet::tcp::ipv6_checksum(&tcp.to_immutable(), &s, &d),
            _ => 0,
        };
        tcp.set_checksum(sum);
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use pnet_packet::icmp::IcmpPacket;
    use pnet_packet::udp::UdpPacket;

    #[test]
    fn payload_steers_the_udp_checksum() {
        let pairs: [(IpAddr, IpAddr); 2] = [
            ("198.18.1.1".parse().unwrap(), "198.18.9.2".parse().unwrap()),
            ("2001:db8:1::1".parse().unwrap(), "2001:db8:9::2".parse().unwrap()),
        ];
        for (src, dst) in pairs {
            for seq in [0u16, 1, 2, 77, 0xfffc, 0xfffd, 0xfffe, 0xffff] {
                let payload = udp_payload(src, dst, 40000, 33434, seq, 32);
                assert_eq!(udp_checksum(src, dst, 40000, 33434, &payload), udp_checksum_for(seq), "seq {seq}");
                assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), seq);
                if seq < 0xfffd {
                    assert_eq!(seq_from_udp_checksum(udp_checksum_for(seq)), seq);
                }
                // Cross-check with pnet's own view of the finished datagram.
                let mut d = vec![0x9c, 0x40, 0x82, 0x9a, 0, 40, 0, 0];
                d.extend(&payload);
                let sum = udp_checksum_for(seq);
                d[6..8].copy_from_slice(&sum.to_be_bytes());
                let udp = UdpPacket::new(&d).unwrap();
                let pnet = match (src, dst) {
                    (IpAddr::V4(s), IpAddr::V4(t)) => pnet_packet::udp::ipv4_checksum(&udp, &s, &t),
                    (IpAddr::V6(s), IpAddr::V6(t)) => pnet_packet::udp::ipv6_checksum(&udp, &s, &t),
                    _ => unreachable!(),
                };
                assert_eq!(pnet, sum);
            }
        }
        assert_ne!(udp_checksum_for(0xfffd), 0);
        assert_ne!(udp_checksum_for(0xfffc), 0xffff);
    }

    #[test]
    fn echo_checksum_verifies() {
        let pkt = echo_request(false, 0xabcd, 3, 24);
        let icmp = IcmpPacket::new(&pkt).unwrap();
        assert_eq!(pnet_packet::icmp::checksum(&icmp), icmp.get_checksum());
        assert_eq!(pkt.len(), 32);
    }

    #[test]
    fn syn_has_flags_and_checksum() {
        let (s, d): (IpAddr, IpAddr) = ("198.18.1.1".parse().unwrap(), "198.18.9.2".parse().unwrap());
        for payload in [0, 1, 1432] {
            let syn = tcp_syn(s, d, 40000, 80, 12345, payload);
            assert_eq!(syn.len(), 20 + payload);
            let tcp = pnet_packet::tcp::TcpPacket::new(&syn).unwrap();
            assert_eq!(tcp.get_flags(), TcpFlags::SYN);
            assert_eq!((tcp.get_sequence(), tcp.get_data_offset()), (12345, 5));
            let (IpAddr::V4(s4), IpAddr::V4(d4)) = (s, d) else { unreachable!() };
            assert_eq!(pnet_packet::tcp::ipv4_checksum(&tcp, &s4, &d4), tcp.get_checksum(), "payload {payload}");
        }
    }
}
