//! DHCPv4 discovery without I/O: the DISCOVER we send, and what every frame
//! that comes back means (an offer for us, noise to count, or a malformed
//! message to report).

use crate::wire::dhcp_options::{self, RawOptions};
use crate::wire::udp_frame::{self, BROADCAST_MAC, Endpoints, Mac};
use dhcproto::v4::{DhcpOption, Flags, HType, Message, MessageType, Opcode, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use serde::Serialize;
use std::net::Ipv4Addr;
use std::time::Duration;

pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;
/// BOOTP's minimum message size (RFC 951/1542): older relays drop shorter ones.
const BOOTP_MIN: usize = 300;

/// The options we ask for: addressing, names, times, boot and vendor data,
/// routes, and WPAD (252): a server that hands out a proxy auto-config URL
/// steers every browser that auto-detects proxies, so it must show.
pub const PARAMETERS: &[u8] = &[1, 2, 3, 6, 12, 15, 26, 28, 42, 43, 51, 54, 58, 59, 60, 66, 67, 119, 121, 150, 252];

/// Option 252: the proxy auto-config (WPAD) URL (draft-ietf-wrec-wpad-01).
pub const WPAD: u8 = 252;

/// Who we say we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub xid: u32,
    pub chaddr: Mac,
    pub client_id: Option<Vec<u8>>,
    pub hostname: Option<String>,
}

/// The DHCPDISCOVER payload: broadcast flag set, our parameter list, padded.
pub fn discover(req: &Request) -> Vec<u8> {
    client_message(req, MessageType::Discover, 0, [])
}

/// The whole Ethernet frame: 0.0.0.0:68 → 255.255.255.255:67 from our MAC.
pub fn discover_frame(req: &Request) -> Vec<u8> {
    discover_frame_after(req, 0)
}

/// A DISCOVER sent `secs` seconds after the first one (a retransmission
/// keeps the xid and says how long the client has been trying, RFC 2131 §4.1).
pub fn discover_frame_after(req: &Request, secs: u16) -> Vec<u8> {
    client_frame(req, &client_message(req, MessageType::Discover, secs, []))
}

/// Why a frame was not an offer for us (counted, shown with -v).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ignored {
    NotDhcp,
    OwnRequest,
    OtherTransaction,
    OtherClient,
    NotAnOffer,
    /// The same offer again from the same server: its answer to a retransmission.
    RepeatedOffer,
}

/// One option as decoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionValue {
    pub code: u8,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub destination: String,
    pub gateway: Ipv4Addr,
}

/// Everything a DHCPOFFER says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer {
    /// Option 54, or the IP source when a server leaves it out.
    pub server: Ipv4Addr,
    pub server_identifier: Option<Ipv4Addr>,
    pub server_ip: Ipv4Addr,
    pub server_mac: String,
    pub relay: Option<Ipv4Addr>,
    pub offered: Ipv4Addr,
    pub subnet_mask: Option<Ipv4Addr>,
    pub routers: Vec<Ipv4Addr>,
    pub dns_servers: Vec<Ipv4Addr>,
    pub domain_name: Option<String>,
    pub lease_time_s: Option<u32>,
    pub renewal_time_s: Option<u32>,
    pub rebinding_time_s: Option<u32>,
    pub broadcast: Option<Ipv4Addr>,
    pub ntp_servers: Vec<Ipv4Addr>,
    pub next_server: Option<Ipv4Addr>,
    pub tftp_server: Option<String>,
    pub boot_file: Option<String>,
    pub vendor_class: Option<String>,
    pub vendor_options: Vec<OptionValue>,
    pub classless_routes: Vec<Route>,
    /// Option 252: the proxy auto-config URL this server tells browsers to load.
    pub wpad: Option<String>,
    /// Every option in the order the server sent it, by name and value.
    pub options: Vec<OptionValue>,
    /// Encoding problems that did not stop the offer from being read.
    pub problems: Vec<String>,
    /// Since the latest DISCOVER sent before it arrived.
    #[serde(rename = "latency_ms", serialize_with = "crate::output::as_ms")]
    pub latency: Duration,
    /// Since the first DISCOVER.
    #[serde(rename = "elapsed_ms", serialize_with = "crate::output::as_ms")]
    pub elapsed: Duration,
    /// DISCOVERs sent when it arrived (all carry one xid, so past 1 it may
    /// answer any of them).
    pub discovers_sent: u32,
}

impl Offer {
    /// Whether `other` says exactly what this offer says (the server's
    /// answer to a retransmission): everything but the timing is equal.
    pub fn same_as(&self, other: &Offer) -> bool {
        let timeless =
            |o: &Offer| Offer { latency: Duration::ZERO, elapsed: Duration::ZERO, discovers_sent: 0, ..o.clone() };
        timeless(self) == timeless(other)
    }
}

/// What one received frame was.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Offer(Box<Offer>),
    Ignored(Ignored),
    /// DHCP traffic to the client port that could not be read as a message.
    Malformed {
        from: Ipv4Addr,
        mac: String,
        reason: String,
    },
}

pub fn inspect(frame: &[u8], req: &Request, latency: Duration) -> Seen {
    match reply(frame, req, latency) {
        Ok((2, offer)) => Seen::Offer(offer),
        Ok(_) => Seen::Ignored(Ignored::NotAnOffer),
        Err(seen) => seen,
    }
}

/// A server's reply to our transaction: its DHCP message type (option 53:
/// 2 OFFER, 5 ACK, 6 NAK…) and everything it says; anything else is noise
/// or malformed, as `inspect` reports it.
pub fn reply(frame: &[u8], req: &Request, latency: Duration) -> Result<(u8, Box<Offer>), Seen> {
    let Some(dgram) = udp_frame::parse(frame) else { return Err(Seen::Ignored(Ignored::NotDhcp)) };
    if dgram.ends.dst_port != CLIENT_PORT || dgram.ends.src_port != SERVER_PORT {
        return Err(Seen::Ignored(if dgram.ends.dst_port == SERVER_PORT {
            Ignored::OwnRequest
        } else {
            Ignored::NotDhcp
        }));
    }
    let malformed = |reason: String| Seen::Malformed {
        from: dgram.ends.src_ip,
        mac: udp_frame::mac_string(&dgram.ends.src_mac),
        reason,
    };
    let raw = dhcp_options::split(dgram.payload).map_err(malformed)?;
    if let Some(problem) = raw.length_problem() {
        return Err(malformed(problem));
    }
    let msg =
        Message::decode(&mut Decoder::new(dgram.payload)).map_err(|e| malformed(format!("undecodable header: {e}")))?;
    if msg.opcode() != Opcode::BootReply {
        return Err(Seen::Ignored(Ignored::OwnRequest));
    }
    if msg.xid() != req.xid {
        return Err(Seen::Ignored(Ignored::OtherTransaction));
    }
    let Some(chaddr) = dhcp_options::chaddr(&msg) else {
        return Err(malformed(format!("hardware address length {} is over chaddr's 16 bytes", msg.hlen())));
    };
    if chaddr.get(..6) != Some(&req.chaddr[..]) {
        return Err(Seen::Ignored(Ignored::OtherClient));
    }
    match raw.get(53) {
        Some([kind]) => Ok((*kind, Box::new(offer(&msg, &raw, &dgram.ends, latency)))),
        Some(_) => Err(malformed("option 53 (message type) is not one byte long".into())),
        None => Err(malformed("a reply to our DISCOVER without a message type (option 53)".into())),
    }
}

/// The DHCPREQUEST (SELECTING state, RFC 2131 §4.3.2) that takes `offered`
/// from `server`: broadcast, ciaddr 0, options 50 and 54 naming the offer.
pub fn request(req: &Request, offered: Ipv4Addr, server: Ipv4Addr) -> Vec<u8> {
    client_message(
        req,
        MessageType::Request,
        0,
        [DhcpOption::RequestedIpAddress(offered), DhcpOption::ServerIdentifier(server)],
    )
}

/// A client message as we send them all: broadcast flag, our xid and MAC,
/// `extra` options after the type, then our parameter list, size and
/// identity, padded to the BOOTP minimum.
fn client_message<const N: usize>(req: &Request, kind: MessageType, secs: u16, extra: [DhcpOption; N]) -> Vec<u8> {
    let zero = Ipv4Addr::UNSPECIFIED;
    let mut msg = Message::new_with_id(req.xid, zero, zero, zero, zero, &req.chaddr);
    msg.set_opcode(Opcode::BootRequest).set_htype(HType::Eth).set_flags(Flags::default().set_broadcast());
    msg.set_secs(secs);
    let opts = msg.opts_mut();
    opts.insert(DhcpOption::MessageType(kind));
    for option in extra {
        opts.insert(option);
    }
    opts.insert(DhcpOption::ParameterRequestList(PARAMETERS.iter().map(|&c| OptionCode::from(c)).collect()));
    opts.insert(DhcpOption::MaxMessageSize(1500));
    if let Some(id) = &req.client_id {
        opts.insert(DhcpOption::ClientIdentifier(id.clone()));
    }
    if let Some(name) = &req.hostname {
        opts.insert(DhcpOption::Hostname(name.clone()));
    }
    let mut bytes = Vec::with_capacity(BOOTP_MIN);
    msg.encode(&mut Encoder::new(&mut bytes)).expect("a client message always encodes");
    bytes.resize(bytes.len().max(BOOTP_MIN), 0);
    bytes
}

/// The whole Ethernet frame of a broadcast client message (DISCOVER, REQUEST).
pub fn client_frame(req: &Request, payload: &[u8]) -> Vec<u8> {
    let ends = Endpoints {
        src_mac: req.chaddr,
        dst_mac: BROADCAST_MAC,
        src_ip: Ipv4Addr::UNSPECIFIED,
        dst_ip: Ipv4Addr::BROADCAST,
        src_port: CLIENT_PORT,
        dst_port: SERVER_PORT,
    };
    udp_frame::build(&ends, 64, payload)
}

fn offer(msg: &Message, raw: &RawOptions, ends: &Endpoints, latency: Duration) -> Offer {
    let mut problems = raw.problems.clone();
    let mut decoded = Vec::new();
    for (code, data) in &raw.options {
        match decode_option(*code, data) {
            Ok(opt) => decoded.push(opt),
            Err(why) => problems.push(format!("option {code}: {why}")),
        }
    }
    let find = |code: u8| decoded.iter().find(|o| u8::from(OptionCode::from(*o)) == code);
    let addr = |code| match find(code) {
        Some(DhcpOption::SubnetMask(a) | DhcpOption::BroadcastAddr(a) | DhcpOption::ServerIdentifier(a)) => Some(*a),
        _ => None,
    };
    let addrs = |code| match find(code) {
        Some(DhcpOption::Router(v) | DhcpOption::DomainNameServer(v) | DhcpOption::NtpServers(v)) => v.clone(),
        _ => Vec::new(),
    };
    let seconds = |code| match find(code) {
        Some(DhcpOption::AddressLeaseTime(s) | DhcpOption::Renewal(s) | DhcpOption::Rebinding(s)) => Some(*s),
        _ => None,
    };
    let text = |code: u8| raw.get(code).map(printable);
    let server_identifier = addr(54);
    let nonzero = |a: Ipv4Addr| (!a.is_unspecified()).then_some(a);
    let classless_routes = match find(121) {
        Some(DhcpOption::ClasslessStaticRoute(routes)) => {
            routes.iter().map(|(net, gw)| Route { destination: net.to_string(), gateway: *gw }).collect()
        }
        _ => Vec::new(),
    };
    let vendor_options = raw.get(43).map(vendor_suboptions).unwrap_or_default();
    let file_field = (raw.get(52).is_none()).then(|| msg.fname().map(printable)).flatten().filter(|s| !s.is_empty());
    Offer {
        server: server_identifier.unwrap_or(ends.src_ip),
        server_identifier,
        server_ip: ends.src_ip,
        server_mac: udp_frame::mac_string(&ends.src_mac),
        relay: nonzero(msg.giaddr()),
        offered: msg.yiaddr(),
        subnet_mask: addr(1),
        routers: addrs(3),
        dns_servers: addrs(6),
        domain_name: text(15),
        lease_time_s: seconds(51),
        renewal_time_s: seconds(58),
        rebinding_time_s: seconds(59),
        broadcast: addr(28),
        ntp_servers: addrs(42),
        next_server: nonzero(msg.siaddr()),
        tftp_server: text(66),
        boot_file: text(67).or(file_field),
        vendor_class: text(60),
        vendor_options,
        classless_routes,
        wpad: text(WPAD).filter(|u| !u.is_empty()),
        options: decoded.iter().map(describe).collect(),
        problems,
        latency,
        elapsed: latency,
        discovers_sent: 1,
    }
}

/// Decodes one option with dhcproto; joined options longer than one TLV are
/// decoded only where the type does not care (lists), else shown raw.
fn decode_option(code: u8, data: &[u8]) -> Result<DhcpOption, String> {
    if data.len() > 255 {
        return Ok(DhcpOption::Unknown(dhcproto::v4::UnknownOption::new(OptionCode::from(code), data.to_vec())));
    }
    let mut tlv = vec![code, data.len() as u8];
    tlv.extend_from_slice(data);
    DhcpOption::decode(&mut Decoder::new(&tlv)).map_err(|e| e.to_string())
}

/// Text from option bytes: UTF-8 up to the first NUL, else escaped.
fn printable(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes[..end].escape_ascii().to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// Option 43 as RFC 2132 §8.4 encapsulated sub-options, or one raw blob.
fn vendor_suboptions(data: &[u8]) -> Vec<OptionValue> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            0 => i += 1,
            255 => break,
            code => match data.get(i + 1).map(|&l| usize::from(l)) {
                Some(len) if i + 2 + len <= data.len() => {
                    let value = hex(&data[i + 2..i + 2 + len]);
                    out.push(OptionValue { code, name: format!("vendor sub-option {code}"), value });
                    i += 2 + len;
                }
                _ => return vec![OptionValue { code: 43, name: "vendor data".into(), value: hex(data) }],
            },
        }
    }
    out
}

fn join<T: ToString>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(", ")
}

fn seconds(s: u32) -> String {
    format!("{s}s ({})", humantime::format_duration(Duration::from_secs(u64::from(s))))
}

/// One option by name and value, in words.
pub fn describe(opt: &DhcpOption) -> OptionValue {
    let code = OptionCode::from(opt);
    let (name, value): (&str, String) = match opt {
        DhcpOption::SubnetMask(a) => ("subnet mask", a.to_string()),
        DhcpOption::Router(v) => ("router", join(v)),
        DhcpOption::DomainNameServer(v) => ("domain name server", join(v)),
        DhcpOption::NtpServers(v) => ("NTP servers", join(v)),
        DhcpOption::Hostname(s) => ("host name", s.clone()),
        DhcpOption::DomainName(s) => ("domain name", s.clone()),
        DhcpOption::BroadcastAddr(a) => ("broadcast address", a.to_string()),
        DhcpOption::InterfaceMtu(m) => ("interface MTU", m.to_string()),
        DhcpOption::TimeOffset(t) => ("time offset", format!("{t}s")),
        DhcpOption::AddressLeaseTime(s) => ("lease time", seconds(*s)),
        DhcpOption::Renewal(s) => ("renewal (T1) time", seconds(*s)),
        DhcpOption::Rebinding(s) => ("rebinding (T2) time", seconds(*s)),
        DhcpOption::MessageType(t) => ("message type", format!("{t:?}").to_uppercase()),
        DhcpOption::ServerIdentifier(a) => ("server identifier", a.to_string()),
        DhcpOption::ClassIdentifier(b) => ("vendor class", printable(b)),
        DhcpOption::ClientIdentifier(b) => ("client identifier", hex(b)),
        DhcpOption::VendorExtensions(b) => ("vendor options", hex(b)),
        DhcpOption::TFTPServerName(b) => ("TFTP server", printable(b)),
        DhcpOption::BootfileName(b) => ("boot file", printable(b)),
        DhcpOption::TFTPServerAddress(a) => ("TFTP server address", a.to_string()),
        DhcpOption::DomainSearch(names) => ("domain search", join(names)),
        DhcpOption::ClasslessStaticRoute(routes) => (
            "classless static routes",
            routes.iter().map(|(net, gw)| format!("{net} via {gw}")).collect::<Vec<_>>().join(", "),
        ),
        DhcpOption::Message(s) => ("message", s.clone()),
        DhcpOption::Unknown(u) if u8::from(code) == WPAD => ("WPAD proxy auto-config URL", printable(u.data())),
        DhcpOption::Unknown(u) => {
            return OptionValue { code: u8::from(code), name: "unknown".into(), value: hex(u.data()) };
        }
        other => {
            // Anything else: dhcproto's own name for the code and its value.
            let debug = format!("{other:?}");
            let value = debug.split_once('(').map_or(String::new(), |(_, v)| v.trim_end_matches(')').to_string());
            return OptionValue { code: u8::from(code), name: format!("{code:?}"), value };
        }
    };
    OptionValue { code: u8::from(code), name: name.to_string(), value }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn request() -> Request {
        Request { xid: 0x1234_5678, chaddr: [2, 0, 0, 0, 0, 0x10], client_id: None, hostname: Some("probe".into()) }
    }

    /// An OFFER as a server would send it, built with dhcproto.
    pub(crate) fn offer_frame(req: &Request, xid: u32, extra: &[DhcpOption]) -> Vec<u8> {
        let mut msg = Message::new_with_id(
            xid,
            Ipv4Addr::UNSPECIFIED,
            "198.18.5.100".parse().unwrap(),
            "198.18.5.1".parse().unwrap(),
            Ipv4Addr::UNSPECIFIED,
            &req.chaddr,
        );
        msg.set_opcode(Opcode::BootReply);
        let opts = msg.opts_mut();
        opts.insert(DhcpOption::MessageType(MessageType::Offer));
        opts.insert(DhcpOption::ServerIdentifier("198.18.5.1".parse().unwrap()));
        for o in extra {
            opts.insert(o.clone());
        }
        let mut payload = Vec::new();
        msg.encode(&mut Encoder::new(&mut payload)).unwrap();
        let ends = Endpoints {
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: BROADCAST_MAC,
            src_ip: "198.18.5.1".parse().unwrap(),
            dst_ip: Ipv4Addr::BROADCAST,
            src_port: SERVER_PORT,
            dst_port: CLIENT_PORT,
        };
        udp_frame::build(&ends, 64, &payload)
    }

    /// Inputs the fuzzer found (fuzz/fuzz_targets/dhcp_reply.rs), replayed the
    /// way that target feeds them: the UDP payload of a reply addressed to us.
    #[test]
    #[allow(clippy::single_element_loop)] // the fuzzer's next finds join the list
    fn fuzzer_found_replies_are_reported_not_panicked_on() {
        for (name, why) in [
            ("dhcp_reply-c61694aa.bin", "option 80 (rapid commit) is 80 bytes long, not 0"),
            ("dhcp_reply-562676d7.bin", "hardware address length 255 is over chaddr's 16 bytes"),
            ("dhcp_reply-16714176.bin", "option 81 (client FQDN) is 1 bytes long, under 3"),
        ] {
            let payload = std::fs::read(format!("{}/tests/data/fuzz/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            let xid = u32::from_be_bytes(payload[4..8].try_into().unwrap());
            let chaddr: [u8; 6] = payload[28..34].try_into().unwrap();
            let ends = Endpoints {
                src_mac: [2, 0, 0, 0, 0, 1],
                dst_mac: BROADCAST_MAC,
                src_ip: "198.18.0.1".parse().unwrap(),
                dst_ip: Ipv4Addr::BROADCAST,
                src_port: SERVER_PORT,
                dst_port: CLIENT_PORT,
            };
            let req = Request { xid, chaddr, client_id: None, hostname: None };
            let seen = inspect(&udp_frame::build(&ends, 64, &payload), &req, Duration::ZERO);
            let Seen::Malformed { reason, .. } = &seen else { panic!("{name}: {seen:?}") };
            assert_eq!(reason, why, "{name}");
        }
    }

    #[test]
    fn discover_is_a_padded_broadcast_request() {
        let req = request();
        let frame = discover_frame(&req);
        let d = udp_frame::parse(&frame).unwrap();
        assert_eq!((d.ends.src_port, d.ends.dst_port, d.ends.dst_ip), (68, 67, Ipv4Addr::BROADCAST));
        assert_eq!(d.ends.src_mac, req.chaddr);
        assert!(d.payload.len() >= BOOTP_MIN);
        let msg = Message::decode(&mut Decoder::new(d.payload)).unwrap();
        assert_eq!((msg.xid(), msg.opcode()), (req.xid, Opcode::BootRequest));
        assert!(msg.flags().broadcast());
        assert_eq!(msg.opts().msg_type(), Some(MessageType::Discover));
        assert_eq!(msg.opts().get(OptionCode::Hostname), Some(&DhcpOption::Hostname("probe".into())));
        assert_eq!(inspect(&frame, &req, Duration::ZERO), Seen::Ignored(Ignored::OwnRequest));
    }

    #[test]
    fn an_offer_is_read_field_by_field() {
        let req = request();
        let frame = offer_frame(
            &req,
            req.xid,
            &[
                DhcpOption::SubnetMask("255.255.255.0".parse().unwrap()),
                DhcpOption::Router(vec!["198.18.5.1".parse().unwrap()]),
                DhcpOption::DomainNameServer(vec!["198.18.5.53".parse().unwrap(), "198.18.5.54".parse().unwrap()]),
                DhcpOption::DomainName("lab.test".into()),
                DhcpOption::AddressLeaseTime(3600),
                DhcpOption::Renewal(1800),
                DhcpOption::Rebinding(3150),
                DhcpOption::VendorExtensions(vec![1, 2, 0xaa, 0xbb]),
                DhcpOption::ClasslessStaticRoute(vec![(
                    "198.19.0.0/16".parse().unwrap(),
                    "198.18.5.2".parse().unwrap(),
                )]),
                DhcpOption::Unknown(dhcproto::v4::UnknownOption::new(OptionCode::from(224), vec![0xde, 0xad])),
            ],
        );
        let Seen::Offer(o) = inspect(&frame, &req, Duration::from_micros(420)) else { panic!("not an offer") };
        assert_eq!(o.server, "198.18.5.1".parse::<Ipv4Addr>().unwrap());
        assert_eq!(o.offered, "198.18.5.100".parse::<Ipv4Addr>().unwrap());
        assert_eq!(o.server_mac, "02:00:00:00:00:01");
        assert_eq!(o.dns_servers.len(), 2);
        assert_eq!(o.domain_name.as_deref(), Some("lab.test"));
        assert_eq!((o.lease_time_s, o.renewal_time_s, o.rebinding_time_s), (Some(3600), Some(1800), Some(3150)));
        assert_eq!(o.next_server, Some("198.18.5.1".parse().unwrap()));
        assert_eq!(
            o.vendor_options,
            vec![OptionValue { code: 1, name: "vendor sub-option 1".into(), value: "aa bb".into() }]
        );
        assert_eq!(
            o.classless_routes,
            vec![Route { destination: "198.19.0.0/16".into(), gateway: "198.18.5.2".parse().unwrap() }]
        );
        let unknown = o.options.iter().find(|v| v.code == 224).unwrap();
        assert_eq!((unknown.name.as_str(), unknown.value.as_str()), ("unknown", "de ad"));
        let lease = o.options.iter().find(|v| v.code == 51).unwrap();
        assert_eq!(lease.value, "3600s (1h)");
        assert!(o.problems.is_empty(), "{:?}", o.problems);
    }

    #[test]
    fn noise_is_sorted_out() {
        let req = request();
        assert_eq!(inspect(&offer_frame(&req, 7, &[]), &req, Duration::ZERO), Seen::Ignored(Ignored::OtherTransaction));
        let other = Request { chaddr: [2, 9, 9, 9, 9, 9], ..req.clone() };
        assert_eq!(
            inspect(&offer_frame(&other, req.xid, &[]), &req, Duration::ZERO),
            Seen::Ignored(Ignored::OtherClient)
        );
        let ack = offer_frame(&req, req.xid, &[DhcpOption::MessageType(MessageType::Ack)]);
        assert_eq!(inspect(&ack, &req, Duration::ZERO), Seen::Ignored(Ignored::NotAnOffer));
        assert_eq!(inspect(&[0u8; 60], &req, Duration::ZERO), Seen::Ignored(Ignored::NotDhcp));
    }

    #[test]
    fn hostile_offers_are_reported_not_trusted() {
        let req = request();
        let mut cookie = offer_frame(&req, req.xid, &[]);
        cookie[42 + 236] = 0;
        assert!(
            matches!(inspect(&cookie, &req, Duration::ZERO), Seen::Malformed { reason, .. } if reason.contains("magic cookie"))
        );
        // An option claiming more bytes than the packet holds: the offer is read, the problem kept.
        let good = offer_frame(&req, req.xid, &[]);
        let ends = udp_frame::parse(&good).unwrap().ends;
        let mut payload = good[42..].to_vec(); // after the Ethernet, IPv4 and UDP headers
        *payload.last_mut().unwrap() = 3; // the end option becomes "router, 200 bytes"
        payload.extend([200, 198, 18]);
        let Seen::Offer(o) = inspect(&udp_frame::build(&ends, 64, &payload), &req, Duration::ZERO) else {
            panic!("offer expected")
        };
        assert_eq!(o.problems, vec!["option 3 in the options field claims 200 bytes but only 2 remain"]);
        // Truncated below the fixed header.
        let short = udp_frame::build(&ends, 64, &[2u8; 100]);
        assert!(
            matches!(inspect(&short, &req, Duration::ZERO), Seen::Malformed { reason, .. } if reason.starts_with("truncated"))
        );
    }
}
