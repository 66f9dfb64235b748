//! The home router's DHCP server (dhcproto): one pool, answers DISCOVER with
//! an OFFER and a REQUEST for that offer with an ACK (anything else it was
//! not asked for with a NAK), replies broadcast to the client port.

use dhcproto::v4::{DhcpOption, HType, Message, MessageType, Opcode, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};

/// What the server hands out.
#[derive(Clone, Debug)]
pub struct Pool {
    pub server: Ipv4Addr,
    pub first: Ipv4Addr,
    pub size: u32,
    pub mask: Ipv4Addr,
    pub router: Ipv4Addr,
    pub dns: Vec<Ipv4Addr>,
    pub domain: String,
    pub lease_s: u32,
}

/// Leases by client hardware address.
#[derive(Default)]
pub struct Leases {
    by_mac: HashMap<Vec<u8>, Ipv4Addr>,
}

impl Pool {
    fn address_for(&self, leases: &mut Leases, chaddr: &[u8]) -> Option<Ipv4Addr> {
        if let Some(a) = leases.by_mac.get(chaddr) {
            return Some(*a);
        }
        let taken: Vec<Ipv4Addr> = leases.by_mac.values().copied().collect();
        let free = (0..self.size).map(|i| Ipv4Addr::from(u32::from(self.first) + i)).find(|a| !taken.contains(a))?;
        leases.by_mac.insert(chaddr.to_vec(), free);
        Some(free)
    }

    /// The reply to one client message, if it deserves one.
    pub fn answer(&self, leases: &mut Leases, msg: &Message) -> Option<Message> {
        if msg.opcode() != Opcode::BootRequest {
            return None;
        }
        let chaddr = crate::wire::dhcp_options::chaddr(msg)?.get(..6)?.to_vec();
        let (kind, yiaddr) = match msg.opts().msg_type()? {
            MessageType::Discover => (MessageType::Offer, self.address_for(leases, &chaddr)?),
            MessageType::Request => {
                let for_us = match msg.opts().get(OptionCode::ServerIdentifier) {
                    Some(DhcpOption::ServerIdentifier(s)) => *s == self.server,
                    _ => true, // INIT-REBOOT / RENEWING carry no server identifier
                };
                if !for_us {
                    return None; // the client chose another server
                }
                let wanted = match msg.opts().get(OptionCode::RequestedIpAddress) {
                    Some(DhcpOption::RequestedIpAddress(a)) => *a,
                    _ => msg.ciaddr(),
                };
                match leases.by_mac.get(&chaddr) {
                    Some(a) if *a == wanted => (MessageType::Ack, wanted),
                    _ => (MessageType::Nak, Ipv4Addr::UNSPECIFIED),
                }
            }
            _ => return None,
        };
        let mut reply = Message::new_with_id(
            msg.xid(),
            Ipv4Addr::UNSPECIFIED,
            yiaddr,
            Ipv4Addr::UNSPECIFIED,
            msg.giaddr(),
            msg.chaddr(),
        );
        reply.set_opcode(Opcode::BootReply).set_htype(HType::Eth).set_flags(msg.flags());
        let o = reply.opts_mut();
        o.insert(DhcpOption::MessageType(kind));
        o.insert(DhcpOption::ServerIdentifier(self.server));
        if kind != MessageType::Nak {
            o.insert(DhcpOption::SubnetMask(self.mask));
            o.insert(DhcpOption::Router(vec![self.router]));
            o.insert(DhcpOption::DomainNameServer(self.dns.clone()));
            o.insert(DhcpOption::DomainName(self.domain.clone()));
            o.insert(DhcpOption::AddressLeaseTime(self.lease_s));
            o.insert(DhcpOption::Renewal(self.lease_s / 2));
            o.insert(DhcpOption::Rebinding(self.lease_s / 8 * 7));
        }
        Some(reply)
    }
}

/// Answers on `socket` (0.0.0.0:67, bound to the LAN interface, broadcast
/// allowed) until the runtime stops. Undecodable messages are dropped.
pub async fn serve(pool: Pool, socket: UdpSocket) -> Result<(), String> {
    let io = |e: std::io::Error| format!("DHCP server socket: {e}");
    socket.set_broadcast(true).map_err(io)?;
    socket.set_nonblocking(true).map_err(io)?;
    let socket = tokio::net::UdpSocket::from_std(socket).map_err(io)?;
    let mut leases = Leases::default();
    let mut buf = vec![0u8; 1500];
    let to = SocketAddr::from((Ipv4Addr::BROADCAST, 68));
    loop {
        let (n, _) = socket.recv_from(&mut buf).await.map_err(io)?;
        let Ok(msg) = Message::decode(&mut Decoder::new(&buf[..n])) else { continue };
        let Some(reply) = pool.answer(&mut leases, &msg) else { continue };
        let mut bytes = Vec::new();
        if reply.encode(&mut Encoder::new(&mut bytes)).is_ok() {
            socket.send_to(&bytes, to).await.map_err(io)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::dhcp_discover::engine;

    fn pool() -> Pool {
        Pool {
            server: "198.18.0.1".parse().unwrap(),
            first: "198.18.0.100".parse().unwrap(),
            size: 2,
            mask: "255.255.255.0".parse().unwrap(),
            router: "198.18.0.1".parse().unwrap(),
            dns: vec!["198.18.0.1".parse().unwrap()],
            domain: "home.test".into(),
            lease_s: 3600,
        }
    }

    fn req(mac: u8) -> engine::Request {
        engine::Request { xid: 7, chaddr: [2, 0, 0, 0, 0, mac], client_id: None, hostname: None }
    }

    fn decode(bytes: &[u8]) -> Message {
        Message::decode(&mut Decoder::new(bytes)).unwrap()
    }

    #[test]
    fn offers_then_acks_the_offered_address_and_naks_others() {
        let (p, mut leases) = (pool(), Leases::default());
        let offer = p.answer(&mut leases, &decode(&engine::discover(&req(1)))).unwrap();
        assert_eq!(offer.opts().msg_type(), Some(MessageType::Offer));
        assert_eq!(offer.yiaddr(), "198.18.0.100".parse::<Ipv4Addr>().unwrap());
        let ack = p.answer(&mut leases, &decode(&engine::request(&req(1), offer.yiaddr(), p.server))).unwrap();
        assert_eq!((ack.opts().msg_type(), ack.yiaddr()), (Some(MessageType::Ack), offer.yiaddr()));
        let wrong = engine::request(&req(1), "198.18.0.150".parse().unwrap(), p.server);
        assert_eq!(p.answer(&mut leases, &decode(&wrong)).unwrap().opts().msg_type(), Some(MessageType::Nak));
        let other_server = engine::request(&req(1), offer.yiaddr(), "198.18.0.2".parse().unwrap());
        assert!(p.answer(&mut leases, &decode(&other_server)).is_none());
        // A second client gets the next address; a third finds the pool empty.
        let second = p.answer(&mut leases, &decode(&engine::discover(&req(2)))).unwrap();
        assert_eq!(second.yiaddr(), "198.18.0.101".parse::<Ipv4Addr>().unwrap());
        assert!(p.answer(&mut leases, &decode(&engine::discover(&req(3)))).is_none());
    }
}
