//! dhcp-discover against real DHCP servers on a lab bridge: in-process
//! servers built on dhcproto (well-behaved, rogue and hostile), the client's
//! interface without an IPv4 address.

use crate::lab;

use dhcproto::v4::{self, DhcpOption, HType, Message, MessageType, Opcode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use lab::cli::{assert_refused, code, json, netwalk, stderr};
use lab::{Host, Lab};
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr, UdpSocket};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

/// client (no IPv4) and two would-be servers on one bridge:
///
///   client eth0 ──┐
///   dhcp1  eth0 ──┼── [lan]   dhcp1 198.18.5.1, dhcp2 198.18.5.2
///   dhcp2  eth0 ──┘
struct Net {
    _lab: Lab,
    client: Host,
    dhcp1: Host,
    dhcp2: Host,
}

fn net() -> Net {
    let lab = Lab::new();
    let lan = lab.switch("lan");
    let (client, dhcp1, dhcp2) = (lab.host("client"), lab.host("dhcp1"), lab.host("dhcp2"));
    lab.attach(&client, &lan, "");
    lab.attach(&dhcp1, &lan, "198.18.5.1/24,2001:db8:5::1/64");
    lab.attach(&dhcp2, &lan, "198.18.5.2/24");
    Net { _lab: lab, client, dhcp1, dhcp2 }
}

/// How a lab server answers a DISCOVER.
#[derive(Clone)]
pub(crate) enum Behaviour {
    /// A complete, correct OFFER.
    Offer,
    /// Raw payloads built from the DISCOVER, sent in order (hostile servers).
    Raw(fn(&Message, Ipv4Addr) -> Vec<Vec<u8>>),
    /// Loses the first DISCOVER, offers to the next ones (a lossy link).
    LoseFirst,
}

/// Every DHCP message the server received, for assertions on what the client sent.
pub(crate) type Seen = mpsc::Receiver<Message>;

pub(crate) fn serve(host: &Host, ip: Ipv4Addr, behaviour: Behaviour) -> Seen {
    let socket = host.udp_socket("0.0.0.0:67".parse().unwrap());
    socket.set_broadcast(true).unwrap();
    socket2::SockRef::from(&socket).bind_device(Some(b"eth0")).unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        let mut discovers = 0;
        while let Ok((n, _)) = socket.recv_from(&mut buf) {
            let Ok(msg) = Message::decode(&mut Decoder::new(&buf[..n])) else { continue };
            let discover = msg.opts().msg_type() == Some(MessageType::Discover);
            let _ = tx.send(msg.clone());
            if !discover {
                continue;
            }
            discovers += 1;
            let replies = match &behaviour {
                Behaviour::Offer => vec![encode(&offer(&msg, ip))],
                Behaviour::Raw(build) => build(&msg, ip),
                Behaviour::LoseFirst if discovers == 1 => Vec::new(),
                Behaviour::LoseFirst => vec![encode(&offer(&msg, ip))],
            };
            for reply in replies {
                let _ = socket.send_to(&reply, "255.255.255.255:68");
            }
        }
    });
    rx
}

fn encode(msg: &Message) -> Vec<u8> {
    let mut bytes = Vec::new();
    msg.encode(&mut Encoder::new(&mut bytes)).unwrap();
    bytes
}

/// The offer a well-configured server makes: 198.18.5.100+ from server .1, .150 from .2.
fn offer(discover: &Message, server: Ipv4Addr) -> Message {
    let yiaddr = Ipv4Addr::new(198, 18, 5, if server.octets()[3] == 1 { 100 } else { 150 });
    let mut msg = Message::new_with_id(
        discover.xid(),
        Ipv4Addr::UNSPECIFIED,
        yiaddr,
        server,
        Ipv4Addr::UNSPECIFIED,
        discover.chaddr(),
    );
    msg.set_opcode(Opcode::BootReply).set_htype(HType::Eth).set_flags(discover.flags());
    let o = msg.opts_mut();
    o.insert(DhcpOption::MessageType(MessageType::Offer));
    o.insert(DhcpOption::ServerIdentifier(server));
    o.insert(DhcpOption::SubnetMask("255.255.255.0".parse().unwrap()));
    o.insert(DhcpOption::Router(vec![server]));
    o.insert(DhcpOption::DomainNameServer(vec!["198.18.5.53".parse().unwrap(), "198.18.5.54".parse().unwrap()]));
    o.insert(DhcpOption::DomainName("lab.test".into()));
    o.insert(DhcpOption::AddressLeaseTime(3600));
    o.insert(DhcpOption::Renewal(1800));
    o.insert(DhcpOption::Rebinding(3150));
    o.insert(DhcpOption::BroadcastAddr("198.18.5.255".parse().unwrap()));
    o.insert(DhcpOption::NtpServers(vec!["198.18.5.123".parse().unwrap()]));
    o.insert(DhcpOption::TFTPServerName(b"tftp.lab.test".to_vec()));
    o.insert(DhcpOption::BootfileName(b"pxelinux.0".to_vec()));
    o.insert(DhcpOption::ClassIdentifier(b"netwalk-lab".to_vec()));
    o.insert(DhcpOption::VendorExtensions(vec![1, 2, 0xca, 0xfe, 2, 1, 7]));
    o.insert(DhcpOption::ClasslessStaticRoute(vec![("198.19.0.0/16".parse().unwrap(), server)]));
    o.insert(DhcpOption::InterfaceMtu(1400));
    o.insert(DhcpOption::Unknown(v4::UnknownOption::new(224.into(), vec![0xde, 0xad, 0xbe, 0xef])));
    msg
}

#[test]
fn every_field_of_an_offer_on_an_interface_without_ipv4() {
    let n = net();
    assert!(!n.client.ip("-4 addr show dev eth0").contains("inet "), "the client has no IPv4 address");
    let seen = serve(&n.dhcp1, "198.18.5.1".parse().unwrap(), Behaviour::Offer);
    let out = netwalk(&n.client, &["--json", "dhcp-discover", "--timeout", "1s", "--hostname", "probe"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["interface"], "eth0");
    assert_eq!(doc["client_mac"], n.client.mac("eth0"));
    let o = &doc["offers"][0];
    assert_eq!(o["server"], "198.18.5.1");
    assert_eq!(o["server_identifier"], "198.18.5.1");
    assert_eq!(o["server_ip"], "198.18.5.1");
    assert_eq!(o["server_mac"], n.dhcp1.mac("eth0"));
    assert_eq!(o["relay"], Value::Null);
    assert_eq!(o["offered"], "198.18.5.100");
    assert_eq!(o["subnet_mask"], "255.255.255.0");
    assert_eq!(o["routers"], serde_json::json!(["198.18.5.1"]));
    assert_eq!(o["dns_servers"], serde_json::json!(["198.18.5.53", "198.18.5.54"]));
    assert_eq!(o["domain_name"], "lab.test");
    assert_eq!(
        (o["lease_time_s"].as_u64(), o["renewal_time_s"].as_u64(), o["rebinding_time_s"].as_u64()),
        (Some(3600), Some(1800), Some(3150))
    );
    assert_eq!(o["broadcast"], "198.18.5.255");
    assert_eq!(o["ntp_servers"], serde_json::json!(["198.18.5.123"]));
    assert_eq!(o["next_server"], "198.18.5.1");
    assert_eq!(o["tftp_server"], "tftp.lab.test");
    assert_eq!(o["boot_file"], "pxelinux.0");
    assert_eq!(o["vendor_class"], "netwalk-lab");
    assert_eq!(o["vendor_options"][0]["value"], "ca fe");
    assert_eq!(o["vendor_options"][1]["value"], "07");
    assert_eq!(o["classless_routes"][0]["destination"], "198.19.0.0/16");
    assert_eq!(o["classless_routes"][0]["gateway"], "198.18.5.1");
    let option = |code: u64| o["options"].as_array().unwrap().iter().find(|v| v["code"] == code).cloned().unwrap();
    assert_eq!(option(26)["value"], "1400");
    assert_eq!(option(51)["value"], "3600s (1h)");
    assert_eq!((option(224)["name"].as_str(), option(224)["value"].as_str()), (Some("unknown"), Some("de ad be ef")));
    let latency = o["latency_ms"].as_f64().unwrap();
    assert!(latency > 0.0 && latency < 1000.0, "{latency}");

    // What the server saw: one DISCOVER from our MAC with the broadcast flag, and never a REQUEST.
    let discover = seen.recv_timeout(Duration::from_secs(1)).expect("the server saw the DISCOVER");
    assert_eq!(discover.opts().msg_type(), Some(MessageType::Discover));
    assert_eq!(v4_mac(discover.chaddr()), n.client.mac("eth0"));
    assert!(discover.flags().broadcast());
    assert_eq!(discover.opts().get(v4::OptionCode::Hostname), Some(&DhcpOption::Hostname("probe".into())));
    let Some(DhcpOption::ParameterRequestList(asked)) = discover.opts().get(v4::OptionCode::ParameterRequestList)
    else {
        panic!("no parameter request list")
    };
    assert!(asked.contains(&v4::OptionCode::from(252)), "WPAD (252) is asked for: {asked:?}");
    assert!(seen.recv_timeout(Duration::from_millis(200)).is_err(), "no REQUEST or DECLINE follows: no lease taken");
}

fn v4_mac(chaddr: &[u8]) -> String {
    chaddr[..6].iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

#[test]
fn a_lost_discover_is_retransmitted_after_4s_with_the_same_xid() {
    let n = net();
    let seen = serve(&n.dhcp1, "198.18.5.1".parse().unwrap(), Behaviour::LoseFirst);
    // The default window (5 s): the retransmission at 3-5 s gets the offer.
    let started = Instant::now();
    let out = netwalk(&n.client, &["--json", "dhcp-discover"]);
    let took = started.elapsed();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(took >= Duration::from_secs(5) && took < Duration::from_secs(8), "the 5 s default window: {took:?}");
    let doc = json(&out);
    assert_eq!(doc["timeout_ms"], 5000.0);
    assert_eq!(doc["sent"], 2, "{doc:#}");
    let o = &doc["offers"][0];
    assert_eq!((&o["offered"], &o["discovers_sent"]), (&Value::from("198.18.5.100"), &Value::from(2)));
    let elapsed = o["elapsed_ms"].as_f64().unwrap();
    assert!((2900.0..5100.0).contains(&elapsed), "the offer came after the retransmission: {elapsed} ms");
    assert!(o["latency_ms"].as_f64().unwrap() < elapsed, "latency counts from the retransmission");

    let first = seen.recv_timeout(Duration::from_secs(1)).unwrap();
    let again = seen.recv_timeout(Duration::from_secs(1)).unwrap();
    assert_eq!(again.opts().msg_type(), Some(MessageType::Discover));
    assert_eq!(again.xid(), first.xid(), "a retransmission keeps the xid");
    assert_eq!(first.secs(), 0);
    assert!((2..=5).contains(&again.secs()), "secs says how long the client has tried: {}", again.secs());
    assert!(seen.recv_timeout(Duration::from_millis(200)).is_err(), "two DISCOVERs in 5 s, no REQUEST");

    // The text says so; --first still returns at the first offer.
    let started = Instant::now();
    let out = netwalk(&n.client, &["dhcp-discover", "--first"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(5), "--first returned at the offer");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DHCPOFFER from 198.18.5.1"), "{text}");
}

#[test]
fn two_servers_are_reported_and_expect_server_makes_it_a_check() {
    let n = net();
    let _a = serve(&n.dhcp1, "198.18.5.1".parse().unwrap(), Behaviour::Offer);
    let _b = serve(&n.dhcp2, "198.18.5.2".parse().unwrap(), Behaviour::Offer);
    let out = netwalk(&n.client, &["dhcp-discover", "--timeout", "500ms"]);
    assert_eq!(code(&out), 0, "without --expect-server two servers are a warning, not a failure");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("WARNING: 2 DHCP servers answered on eth0: 198.18.5.1, 198.18.5.2")
            || text.contains("WARNING: 2 DHCP servers answered on eth0: 198.18.5.2, 198.18.5.1"),
        "{text}"
    );
    assert!(text.contains("DHCPOFFER from 198.18.5.1") && text.contains("DHCPOFFER from 198.18.5.2"), "{text}");

    let out = netwalk(&n.client, &["--json", "dhcp-discover", "--timeout", "500ms", "--expect-server", "198.18.5.1"]);
    assert_eq!(code(&out), 1, "a rogue server fails the check");
    let doc = json(&out);
    assert_eq!(doc["multiple_servers"], true);
    assert_eq!(doc["unexpected_servers"], serde_json::json!(["198.18.5.2"]));
    assert_eq!(doc["failures"][0], "unexpected DHCP server 198.18.5.2 (not in --expect-server)");
    let out = netwalk(&n.client, &["dhcp-discover", "--timeout", "500ms", "--expect-server", "198.18.5.2,198.18.5.1"]);
    assert_eq!(code(&out), 0, "both expected");
}

#[test]
fn no_server_fails_and_first_returns_at_once() {
    let n = net();
    let out = netwalk(&n.client, &["dhcp-discover", "--timeout", "300ms"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL no DHCP server answered within 300ms"));
    let out = netwalk(&n.client, &["dhcp-discover", "--timeout", "300ms", "--expect-server", "198.18.5.1"]);
    assert_eq!(code(&out), 1, "--expect-server with no offer at all fails too");

    let _a = serve(&n.dhcp1, "198.18.5.1".parse().unwrap(), Behaviour::Offer);
    let _b = serve(&n.dhcp2, "198.18.5.2".parse().unwrap(), Behaviour::Offer);
    let started = Instant::now();
    let out = netwalk(&n.client, &["--json", "dhcp-discover", "--timeout", "20s", "--first"]);
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["offers"].as_array().unwrap().len(), 1, "--first keeps the first offer only");
    assert!(started.elapsed() < Duration::from_secs(10), "--first did not wait for the 20s timeout");
}

#[test]
fn random_and_given_macs_are_used_for_chaddr_and_the_ethernet_source() {
    let n = net();
    let seen = serve(&n.dhcp1, "198.18.5.1".parse().unwrap(), Behaviour::Offer);
    // A packet socket in the server host sees the frame as it crossed the bridge.
    let sniffer = n.dhcp1.socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(0x0800u16.to_be()), None);
    let sniffer = UdpSocket::from(sniffer); // only for recv with a timeout
    sniffer.set_read_timeout(Some(Duration::from_secs(2))).unwrap();

    let out = netwalk(
        &n.client,
        &["--json", "dhcp-discover", "--timeout", "500ms", "--random-mac", "--client-id", "01:02:03"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let mac = doc["client_mac"].as_str().unwrap().to_string();
    assert_ne!(mac, n.client.mac("eth0"), "a random MAC, not the interface's");
    let first = u8::from_str_radix(&mac[..2], 16).unwrap();
    assert_eq!(first & 0b11, 0b10, "locally administered unicast: {mac}");
    let discover = seen.recv_timeout(Duration::from_secs(1)).unwrap();
    assert_eq!(v4_mac(discover.chaddr()), mac);
    assert_eq!(
        discover.opts().get(v4::OptionCode::ClientIdentifier),
        Some(&DhcpOption::ClientIdentifier(vec![1, 2, 3]))
    );
    assert_eq!(doc["offers"][0]["offered"], "198.18.5.100", "the offer to the random MAC came back");
    let mut frame = [0u8; 1600];
    let eth_src = loop {
        let n = sniffer.recv(&mut frame).expect("the DISCOVER frame crossed the bridge");
        if n > 42 && frame[36..38] == 67u16.to_be_bytes() {
            break v4_mac(&frame[6..12]);
        }
    };
    assert_eq!(eth_src, mac, "Ethernet source and chaddr match");

    let out = netwalk(&n.client, &["--json", "dhcp-discover", "--timeout", "300ms", "--mac", "02:aa:bb:cc:dd:ee"]);
    assert_eq!(json(&out)["client_mac"], "02:aa:bb:cc:dd:ee");
    assert_eq!(v4_mac(seen.recv_timeout(Duration::from_secs(1)).unwrap().chaddr()), "02:aa:bb:cc:dd:ee");
}

/// A hostile server: a wrong cookie, a truncated message, an option running
/// past the end, 300 offers for other transactions, then one real offer whose
/// boot file hides in the `file` field behind option overload.
fn hostile(discover: &Message, server: Ipv4Addr) -> Vec<Vec<u8>> {
    let good = offer(discover, server);
    let mut replies = Vec::new();
    let mut cookie = encode(&good);
    cookie[236] = 0x42;
    replies.push(cookie);
    replies.push(encode(&good)[..150].to_vec());
    let mut overflow = encode(&good);
    let end = overflow.len() - 1; // the end option
    overflow[end] = 6;
    overflow.extend([250, 198, 18, 5]);
    replies.push(overflow);
    for i in 0..300u32 {
        let mut other = good.clone();
        other.set_xid(discover.xid().wrapping_add(1 + i));
        replies.push(encode(&other));
    }
    let mut overloaded = good;
    overloaded.opts_mut().remove(v4::OptionCode::BootfileName);
    overloaded.opts_mut().insert(DhcpOption::OptionOverload(1));
    let mut bytes = encode(&overloaded);
    let file = b"\x43\x0bhidden.efi\0\xff"; // option 67, 11 bytes, then end
    bytes[108..108 + file.len()].copy_from_slice(file);
    replies.push(bytes);
    replies
}

#[test]
fn hostile_offers_are_reported_or_ignored_in_bounded_time() {
    let n = net();
    let _bad = serve(&n.dhcp1, "198.18.5.1".parse().unwrap(), Behaviour::Raw(hostile));
    let started = Instant::now();
    let out = netwalk(&n.client, &["--json", "-v", "dhcp-discover", "--timeout", "1s"]);
    assert!(started.elapsed() < Duration::from_secs(5), "bounded by the timeout");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    let doc = json(&out);
    let malformed: Vec<&str> = doc["malformed"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(
        malformed.iter().any(|m| m.starts_with("198.18.5.1 (") && m.contains("wrong magic cookie")),
        "{malformed:?}"
    );
    assert!(malformed.iter().any(|m| m.contains("truncated: 150 bytes")), "{malformed:?}");
    let offers = doc["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 2, "the overflowing offer (its problem noted) and the overloaded one");
    assert!(
        offers.iter().any(|o| o["problems"][0]
            .as_str()
            .unwrap_or("")
            .contains("option 6 in the options field claims 250 bytes"))
    );
    assert!(offers.iter().any(|o| o["boot_file"] == "hidden.efi"), "option overload followed into the file field");
    assert_eq!(doc["ignored"]["other_transaction"], 300);
}

#[test]
fn dhcpv6_solicit_lists_the_advertise() {
    let n = net();
    let server = n.dhcp1.socket(libc::AF_INET6, libc::SOCK_DGRAM, 0, Some("[::]:547".parse().unwrap()));
    let server = UdpSocket::from(server);
    let ifindex = n.dhcp1.ifindex("eth0");
    socket2::SockRef::from(&server).join_multicast_v6(&"ff02::1:2".parse().unwrap(), ifindex).unwrap();
    thread::spawn(move || {
        use dhcproto::v6;
        let mut buf = [0u8; 1500];
        while let Ok((len, from)) = server.recv_from(&mut buf) {
            let Ok(solicit) = v6::Message::decode(&mut Decoder::new(&buf[..len])) else { continue };
            let mut ad = v6::Message::new(v6::MessageType::Advertise);
            ad.set_xid(solicit.xid());
            let o = ad.opts_mut();
            o.insert(solicit.opts().get(v6::OptionCode::ClientId).unwrap().clone());
            o.insert(v6::DhcpOption::ServerId(vec![0, 3, 0, 1, 2, 0, 0, 0, 5, 1]));
            let mut ia = v6::DhcpOptions::new();
            ia.insert(v6::DhcpOption::IAAddr(v6::IAAddr {
                addr: "2001:db8:5::100".parse().unwrap(),
                preferred_life: 300,
                valid_life: 600,
                opts: Default::default(),
            }));
            o.insert(v6::DhcpOption::IANA(v6::IANA { id: 1, t1: 150, t2: 240, opts: ia }));
            o.insert(v6::DhcpOption::DomainNameServers(vec!["2001:db8:5::53".parse().unwrap()]));
            o.insert(v6::DhcpOption::DomainSearchList(vec!["lab.test.".parse().unwrap()]));
            let mut bytes = Vec::new();
            ad.encode(&mut Encoder::new(&mut bytes)).unwrap();
            let _ = server.send_to(&bytes, from);
        }
    });
    let out = netwalk(&n.client, &["--json", "dhcp-discover", "--v6", "--timeout", "500ms"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let doc = json(&out);
    let ad = &doc["advertises"][0];
    assert_eq!(ad["addresses"][0]["address"], "2001:db8:5::100");
    assert_eq!(ad["addresses"][0]["valid_lifetime_s"], 600);
    assert_eq!((&ad["iaid"], &ad["t1_s"], &ad["t2_s"]), (&Value::from(1), &Value::from(150), &Value::from(240)));
    assert_eq!(ad["dns_servers"], serde_json::json!(["2001:db8:5::53"]));
    assert_eq!(ad["domain_search"], serde_json::json!(["lab.test."]));
    assert_eq!(ad["server_duid"], "00:03:00:01:02:00:00:00:05:01");
    let from: Ipv6Addr = ad["server_ip"].as_str().unwrap().parse().unwrap();
    assert_eq!(from.segments()[0], 0xfe80, "the server answered from its link-local address");
}

#[test]
fn bad_input_and_missing_privilege() {
    let n = net();
    for (args, expected, needle) in [
        (&["dhcp-discover", "-I", "nosuch0"][..], 3, "no such interface 'nosuch0'"),
        (&["dhcp-discover", "-I", "lo"][..], 2, "lo is a loopback interface"),
        (&["dhcp-discover", "--mac", "02:00:5e:10:00"][..], 2, "is not a MAC address"),
        (&["dhcp-discover", "--client-id", "0g"][..], 2, "is not hex"),
        (&["dhcp-discover", "--mac", "02:00:5e:10:00:01", "--random-mac"][..], 2, "cannot be used with"),
    ] {
        assert_refused(&format!("{args:?}"), &netwalk(&n.client, args), expected, needle);
    }
    // Without CAP_NET_RAW (dropped from the bounding set before exec): exit 3 with the remedies.
    let out = n.client.command_without_net_raw(NETWALK).args(["dhcp-discover", "--timeout", "200ms"]).output().unwrap();
    let err = stderr(&out);
    assert_eq!(code(&out), 3, "{err}");
    assert!(err.contains("DHCP discovery needs CAP_NET_RAW") && err.contains("setcap cap_net_raw+ep"), "{err}");
}
