//! Taking a DHCPv4 lease without I/O: DISCOVER → OFFER → REQUEST → ACK
//! (RFC 2131 §4.4), with retransmission and NAK handling. Only `netwalk
//! lab` uses it, to configure its client: everywhere else netwalk never
//! takes a lease. Frames and `Instant`s in, frames to send and the lease out.

use super::engine::{self, Offer, Request, Seen};
use serde::Serialize;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// Wait before sending the same message again (RFC 2131 suggests 4 s
/// doubling; a lab link loses nothing, so the first retry comes sooner).
const RETRY: Duration = Duration::from_millis(500);
/// Messages sent per state before giving up.
const TRIES: u32 = 4;
/// NAKs accepted (each restarts from DISCOVER) before giving up.
const MAX_NAKS: u32 = 3;

/// What the ACK gave us: enough to configure an interface.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lease {
    pub address: Ipv4Addr,
    pub prefix_len: u8,
    pub server: Ipv4Addr,
    pub server_mac: String,
    pub routers: Vec<Ipv4Addr>,
    pub dns_servers: Vec<Ipv4Addr>,
    pub domain_name: Option<String>,
    pub lease_time_s: u32,
    /// DISCOVER sent → OFFER received.
    #[serde(rename = "offer_ms", serialize_with = "crate::output::as_ms")]
    pub offer_after: Duration,
    /// REQUEST sent → ACK received.
    #[serde(rename = "ack_ms", serialize_with = "crate::output::as_ms")]
    pub ack_after: Duration,
    /// Messages exchanged, in order: DISCOVER, OFFER, REQUEST, ACK (and any NAK and retries).
    pub exchange: Vec<String>,
}

#[derive(Debug)]
enum State {
    Selecting,
    Requesting { offer: Box<Offer>, offer_after: Duration },
    Done,
}

/// What the caller does next.
#[derive(Debug, PartialEq)]
pub enum Action {
    /// Send this Ethernet frame.
    Send(Vec<u8>),
    /// The lease is ours.
    Bound(Box<Lease>),
    /// Give up, saying why.
    Failed(String),
    /// Keep listening.
    Wait,
}

/// One client transaction.
#[derive(Debug)]
pub struct LeaseClient {
    req: Request,
    state: State,
    sent_at: Instant,
    tries: u32,
    naks: u32,
    exchange: Vec<String>,
}

impl LeaseClient {
    /// A client that sends its first DISCOVER now: returns it and the frame.
    pub fn start(req: Request, now: Instant) -> (LeaseClient, Vec<u8>) {
        let frame = engine::discover_frame(&req);
        let client = LeaseClient {
            req,
            state: State::Selecting,
            sent_at: now,
            tries: 1,
            naks: 0,
            exchange: vec!["DHCPDISCOVER".into()],
        };
        (client, frame)
    }

    /// When [`LeaseClient::poll`] next has something to do.
    pub fn deadline(&self) -> Instant {
        self.sent_at + RETRY
    }

    /// A frame arrived at `now`.
    pub fn handle(&mut self, frame: &[u8], now: Instant) -> Action {
        let latency = now.saturating_duration_since(self.sent_at);
        let (kind, reply) = match engine::reply(frame, &self.req, latency) {
            Ok(r) => r,
            Err(Seen::Malformed { from, reason, .. }) => {
                tracing::debug!(%from, reason, "malformed DHCP reply ignored");
                return Action::Wait;
            }
            Err(_) => return Action::Wait,
        };
        match (&self.state, kind) {
            (State::Selecting, 2) => {
                if reply.offered.is_unspecified() {
                    tracing::debug!(server = %reply.server, "an OFFER of 0.0.0.0 ignored");
                    return Action::Wait;
                }
                self.exchange.push(format!("DHCPOFFER {} from {}", reply.offered, reply.server));
                let frame = engine::client_frame(&self.req, &engine::request(&self.req, reply.offered, reply.server));
                self.exchange.push(format!("DHCPREQUEST {}", reply.offered));
                self.state = State::Requesting { offer: reply, offer_after: latency };
                self.sent_at = now;
                self.tries = 1;
                Action::Send(frame)
            }
            (State::Requesting { offer, offer_after }, 5) if reply.server == offer.server => {
                self.exchange.push(format!("DHCPACK {} from {}", reply.offered, reply.server));
                let lease = match lease_from(&reply, *offer_after, latency, std::mem::take(&mut self.exchange)) {
                    Ok(l) => l,
                    Err(why) => return self.fail(why),
                };
                self.state = State::Done;
                Action::Bound(Box::new(lease))
            }
            (State::Requesting { offer, .. }, 6) if reply.server == offer.server => {
                self.naks += 1;
                self.exchange.push(format!("DHCPNAK from {}", reply.server));
                if self.naks >= MAX_NAKS {
                    return self.fail(format!("{} refused our REQUEST {} times (DHCPNAK)", reply.server, self.naks));
                }
                self.restart(now)
            }
            _ => Action::Wait,
        }
    }

    /// Time passed: retransmit or give up.
    pub fn poll(&mut self, now: Instant) -> Action {
        if matches!(self.state, State::Done) || now < self.deadline() {
            return Action::Wait;
        }
        if self.tries >= TRIES {
            let what = match self.state {
                State::Selecting => "no DHCP server answered our DISCOVER",
                _ => "the DHCP server did not acknowledge our REQUEST",
            };
            return self.fail(format!("{what} ({} tries)", self.tries));
        }
        self.tries += 1;
        self.sent_at = now;
        match &self.state {
            State::Selecting => {
                self.exchange.push("DHCPDISCOVER (again)".into());
                Action::Send(engine::discover_frame(&self.req))
            }
            State::Requesting { offer, .. } => {
                self.exchange.push(format!("DHCPREQUEST {} (again)", offer.offered));
                Action::Send(engine::client_frame(&self.req, &engine::request(&self.req, offer.offered, offer.server)))
            }
            State::Done => Action::Wait,
        }
    }

    fn restart(&mut self, now: Instant) -> Action {
        self.state = State::Selecting;
        self.sent_at = now;
        self.tries = 1;
        self.exchange.push("DHCPDISCOVER".into());
        Action::Send(engine::discover_frame(&self.req))
    }

    fn fail(&mut self, why: String) -> Action {
        self.state = State::Done;
        Action::Failed(why)
    }
}

fn lease_from(ack: &Offer, offer_after: Duration, ack_after: Duration, exchange: Vec<String>) -> Result<Lease, String> {
    let mask = ack.subnet_mask.ok_or_else(|| format!("the ACK from {} has no subnet mask (option 1)", ack.server))?;
    let bits = u32::from(mask);
    if bits.leading_ones() + bits.trailing_zeros() != 32 {
        return Err(format!("the ACK from {} has a non-contiguous subnet mask {mask}", ack.server));
    }
    if ack.offered.is_unspecified() || ack.offered.is_broadcast() || ack.offered.is_multicast() {
        return Err(format!("the ACK from {} assigns the unusable address {}", ack.server, ack.offered));
    }
    Ok(Lease {
        address: ack.offered,
        prefix_len: bits.leading_ones() as u8,
        server: ack.server,
        server_mac: ack.server_mac.clone(),
        routers: ack.routers.clone(),
        dns_servers: ack.dns_servers.clone(),
        domain_name: ack.domain_name.clone(),
        lease_time_s: ack.lease_time_s.unwrap_or(0),
        offer_after,
        ack_after,
        exchange,
    })
}

#[cfg(test)]
mod tests {
    use super::super::engine::tests::{offer_frame, request};
    use super::*;
    use dhcproto::v4::{DhcpOption, MessageType};
    use dhcproto::{Decodable, Decoder};

    fn typed(kind: MessageType, extra: &[DhcpOption]) -> Vec<DhcpOption> {
        let mut v = vec![DhcpOption::MessageType(kind)];
        v.extend_from_slice(extra);
        v
    }

    fn payload(frame: &[u8]) -> dhcproto::v4::Message {
        let dgram = crate::wire::udp_frame::parse(frame).unwrap();
        dhcproto::v4::Message::decode(&mut Decoder::new(dgram.payload)).unwrap()
    }

    const MASK: DhcpOption = DhcpOption::SubnetMask(Ipv4Addr::new(255, 255, 255, 0));

    #[test]
    fn discover_offer_request_ack_binds_the_acked_address() {
        let t0 = Instant::now();
        let req = request();
        let (mut c, discover) = LeaseClient::start(req.clone(), t0);
        assert_eq!(payload(&discover).opts().msg_type(), Some(MessageType::Discover));
        let Action::Send(req_frame) = c.handle(&offer_frame(&req, req.xid, &[]), t0 + Duration::from_millis(2)) else {
            panic!("an offer is answered with a REQUEST")
        };
        let sent = payload(&req_frame);
        assert_eq!(sent.opts().msg_type(), Some(MessageType::Request));
        assert_eq!(sent.xid(), req.xid);
        assert_eq!(
            sent.opts().get(dhcproto::v4::OptionCode::RequestedIpAddress),
            Some(&DhcpOption::RequestedIpAddress("198.18.5.100".parse().unwrap()))
        );
        assert_eq!(
            sent.opts().get(dhcproto::v4::OptionCode::ServerIdentifier),
            Some(&DhcpOption::ServerIdentifier("198.18.5.1".parse().unwrap()))
        );
        // A second OFFER while requesting changes nothing.
        assert_eq!(c.handle(&offer_frame(&req, req.xid, &[]), t0 + Duration::from_millis(3)), Action::Wait);
        let ack = offer_frame(
            &req,
            req.xid,
            &typed(
                MessageType::Ack,
                &[MASK, DhcpOption::Router(vec!["198.18.5.1".parse().unwrap()]), DhcpOption::AddressLeaseTime(600)],
            ),
        );
        let Action::Bound(lease) = c.handle(&ack, t0 + Duration::from_millis(5)) else { panic!("the ACK binds") };
        assert_eq!(lease.address, "198.18.5.100".parse::<Ipv4Addr>().unwrap());
        assert_eq!((lease.prefix_len, lease.lease_time_s), (24, 600));
        assert_eq!(lease.routers, vec!["198.18.5.1".parse::<Ipv4Addr>().unwrap()]);
        assert_eq!((lease.offer_after, lease.ack_after), (Duration::from_millis(2), Duration::from_millis(3)));
        assert_eq!(lease.exchange.len(), 4, "{:?}", lease.exchange);
    }

    #[test]
    fn an_ack_without_an_offer_or_from_another_transaction_is_ignored() {
        let t0 = Instant::now();
        let req = request();
        let (mut c, _) = LeaseClient::start(req.clone(), t0);
        let ack = offer_frame(&req, req.xid, &typed(MessageType::Ack, &[MASK]));
        assert_eq!(c.handle(&ack, t0), Action::Wait);
        assert_eq!(c.handle(&offer_frame(&req, req.xid ^ 1, &[]), t0), Action::Wait);
        assert_eq!(c.handle(b"garbage", t0), Action::Wait);
    }

    #[test]
    fn nak_restarts_and_too_many_fail() {
        let t0 = Instant::now();
        let req = request();
        let (mut c, _) = LeaseClient::start(req.clone(), t0);
        let nak = offer_frame(&req, req.xid, &typed(MessageType::Nak, &[]));
        for i in 0..MAX_NAKS {
            assert!(matches!(c.handle(&offer_frame(&req, req.xid, &[]), t0), Action::Send(_)));
            match c.handle(&nak, t0) {
                Action::Send(f) if i + 1 < MAX_NAKS => {
                    assert_eq!(payload(&f).opts().msg_type(), Some(MessageType::Discover))
                }
                Action::Failed(why) if i + 1 == MAX_NAKS => assert!(why.contains("DHCPNAK"), "{why}"),
                other => panic!("NAK {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn silence_retransmits_then_fails_and_bad_acks_are_refused() {
        let t0 = Instant::now();
        let req = request();
        let (mut c, _) = LeaseClient::start(req.clone(), t0);
        assert_eq!(c.poll(t0 + RETRY / 2), Action::Wait);
        let mut now = t0;
        for _ in 1..TRIES {
            now += RETRY;
            assert!(matches!(c.poll(now), Action::Send(_)));
        }
        now += RETRY;
        assert!(matches!(c.poll(now), Action::Failed(ref why) if why.contains("no DHCP server")));

        let (mut c, _) = LeaseClient::start(req.clone(), t0);
        c.handle(&offer_frame(&req, req.xid, &[]), t0);
        let no_mask = offer_frame(&req, req.xid, &typed(MessageType::Ack, &[]));
        assert!(matches!(c.handle(&no_mask, t0), Action::Failed(ref why) if why.contains("subnet mask")));
    }
}
