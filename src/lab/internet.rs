//! The mini-internet of `netwalk lab`:
//!
//! ```text
//!  client ─[lan]─ home ──── isp1 ──── isp2 ─[dc]─┬─ root-ns     a.root-servers.test 198.18.3.10
//!   DHCP   198.18.0.0/24  198.18.1.0/24  198.18.2.0/24  ├─ tld-ns      ns1.test            198.18.3.11
//!          home .1 runs the DHCP server             ├─ example-ns  ns1.example.test    198.18.3.12
//!          and a caching recursive resolver         └─ www         www.example.test    198.18.3.80
//! ```
//!
//! Routers are the kernel's (forwarding on, static routes); the DHCP, DNS
//! and web servers run in this process on sockets made inside their hosts.
//! The client takes its address, prefix, default route and resolver (the
//! home router, which recurses from the lab's root hints) from a real DHCP
//! exchange with the home router.

use super::dhcp_server::{self, Pool};
use super::net::{Id, Kind, Net, lab_error};
use super::{dns, pki, recursor, web};
use crate::commands::dhcp_discover::engine::Request;
use crate::commands::dhcp_discover::lease::Lease;
use crate::error::Error;
use crate::net::packet::PacketSocket;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const ROOT_NS: Ipv4Addr = Ipv4Addr::new(198, 18, 3, 10);
pub const TLD_NS: Ipv4Addr = Ipv4Addr::new(198, 18, 3, 11);
pub const EXAMPLE_NS: Ipv4Addr = Ipv4Addr::new(198, 18, 3, 12);
pub const WWW: Ipv4Addr = Ipv4Addr::new(198, 18, 3, 80);
pub const HOME: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// A name only the `test.` zone serves: proof that the home resolver recursed.
pub const NIC: Ipv4Addr = TLD_NS;
const CLIENT_MAC: [u8; 6] = [0x02, 0x48, 0x00, 0x00, 0x00, 0x00];

/// A built lab: the network, the client's lease, the files the client sees.
pub struct Internet {
    pub net: Net,
    pub client: Id,
    pub lease: Lease,
    pub ca: PathBuf,
    pub root_hints: PathBuf,
    pub lease_file: PathBuf,
    pub built_in: Duration,
    servers: Option<(tokio::sync::oneshot::Sender<()>, std::thread::JoinHandle<()>)>,
}

fn zones() -> Vec<(Ipv4Addr, dns::Zone)> {
    vec![
        (
            ROOT_NS,
            dns::Zone {
                origin: ".".into(),
                text: "@ 86400 IN SOA a.root-servers.test. hostmaster.test. 1 1800 900 604800 86400\n\
                       @ 518400 IN NS a.root-servers.test.\n\
                       test. 172800 IN NS ns1.test.\n"
                    .into(),
                glue: vec![("a.root-servers.test.".into(), ROOT_NS), ("ns1.test.".into(), TLD_NS)],
            },
        ),
        (
            TLD_NS,
            dns::Zone {
                origin: "test.".into(),
                text: format!(
                    "@ 3600 IN SOA ns1.test. hostmaster.test. 1 1800 900 604800 3600\n\
                     @ 172800 IN NS ns1.test.\n\
                     ns1 172800 IN A {TLD_NS}\n\
                     a.root-servers 172800 IN A {ROOT_NS}\n\
                     nic 3600 IN A {NIC}\n\
                     example 86400 IN NS ns1.example.test.\n"
                ),
                glue: vec![("ns1.example.test.".into(), EXAMPLE_NS)],
            },
        ),
        (
            EXAMPLE_NS,
            dns::Zone {
                origin: "example.test.".into(),
                text: format!(
                    "@ 3600 IN SOA ns1 hostmaster 1 7200 900 1209600 300\n\
                     @ 3600 IN NS ns1\n\
                     ns1 3600 IN A {EXAMPLE_NS}\n\
                     www 300 IN A {WWW}\n"
                ),
                glue: Vec::new(),
            },
        ),
    ]
}

impl Internet {
    pub fn build() -> Result<Internet, Error> {
        let started = Instant::now();
        let mut net = Net::new()?;
        let client = net.add("client", Kind::Host)?;
        let home = net.add("home", Kind::Router)?;
        let isp1 = net.add("isp1", Kind::Router)?;
        let isp2 = net.add("isp2", Kind::Router)?;
        let servers: Vec<(Id, Ipv4Addr)> =
            [("root-ns", ROOT_NS), ("tld-ns", TLD_NS), ("example-ns", EXAMPLE_NS), ("www", WWW)]
                .into_iter()
                .map(|(name, ip)| Ok((net.add(name, Kind::Host)?, ip)))
                .collect::<Result<_, Error>>()?;
        let lan = net.add("lan", Kind::Switch)?;
        let dc = net.add("dc", Kind::Switch)?;
        let client_if = net.attach(client, "eth0", lan, "")?;
        net.attach(home, "eth0", lan, &format!("{HOME}/24"))?;
        net.link(home, "eth1", "198.18.1.1/24", isp1, "eth0", "198.18.1.2/24")?;
        net.link(isp1, "eth1", "198.18.2.1/24", isp2, "eth0", "198.18.2.2/24")?;
        net.attach(isp2, "eth1", dc, "198.18.3.1/24")?;
        for (id, ip) in &servers {
            net.attach(*id, "eth0", dc, &format!("{ip}/24"))?;
        }
        net.route_all()?;
        net.ip(Some(client), &[format!("link set eth0 address {}", mac_text(&CLIENT_MAC))])?;

        let pki = pki::make(&[web::HOST]).map_err(lab_error)?;
        let ca = net.dir().join("ca.pem");
        let root_hints = net.dir().join("root.hints");
        let write = |p: &PathBuf, text: &str| {
            std::fs::write(p, text).map_err(|e| Error::io(format!("cannot write {}", p.display()), e))
        };
        write(&ca, &pki.ca_pem)?;
        write(
            &root_hints,
            &format!(
                ";; the lab's root servers\n.\t3600000\tNS\tA.ROOT-SERVERS.TEST.\nA.ROOT-SERVERS.TEST.\t3600000\tA\t{ROOT_NS}\n"
            ),
        )?;

        // Every server socket is made inside its host before a server runs.
        let dhcp = net.udp(home, SocketAddr::from((Ipv4Addr::UNSPECIFIED, 67)))?;
        socket2::SockRef::from(&dhcp)
            .bind_device(Some(b"eth0"))
            .map_err(|e| Error::io("cannot bind the DHCP server to the LAN", e))?;
        // The home router's resolver: LAN port 53, upstream sockets made in the router.
        let home_dns = SocketAddr::from((HOME, 53));
        let resolver = (
            net.udp(home, home_dns)?,
            net.tcp_listener(home, home_dns)?,
            recursor::HomeSockets::new(net.socket_factory(home)?),
            root_hints.clone(),
        );
        let mut dns_sockets = Vec::new();
        for ((id, _), (ip, zone)) in servers.iter().zip(zones()) {
            let at = SocketAddr::from((ip, 53));
            dns_sockets.push((zone, net.udp(*id, at)?, net.tcp_listener(*id, at)?));
        }
        let www = servers[3].0;
        let http = net.tcp_listener(www, SocketAddr::from((WWW, 80)))?;
        let https = net.tcp_listener(www, SocketAddr::from((WWW, 443)))?;
        let pool = Pool {
            server: HOME,
            first: Ipv4Addr::new(198, 18, 0, 100),
            size: 100,
            mask: Ipv4Addr::new(255, 255, 255, 0),
            router: HOME,
            dns: vec![HOME],
            domain: "home.test".into(),
            lease_s: 3600,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("lab-servers".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async move {
                    let report = |what: &str, r: Result<(), String>| {
                        if let Err(e) = r {
                            crate::output::stderr_line(&format!("netwalk lab: {what} stopped: {e}"));
                        }
                    };
                    let mut tasks = tokio::task::JoinSet::new();
                    tasks.spawn(async move { report("DHCP server", dhcp_server::serve(pool, dhcp).await) });
                    let (udp, tcp, sockets, roots) = resolver;
                    tasks.spawn(async move {
                        report("recursive resolver", recursor::serve(roots, sockets, udp, tcp).await)
                    });
                    for (zone, udp, tcp) in dns_sockets {
                        tasks.spawn(async move { report("DNS server", dns::serve(zone, udp, tcp).await) });
                    }
                    tasks.spawn(async move { report("web server", web::serve(http, https, &pki).await) });
                    let _ = stopped.await;
                    tasks.abort_all();
                });
            })
            .map_err(|e| Error::io("cannot start the lab's server thread", e))?;
        let servers = Some((stop, thread));

        let lease = take_lease(&net, client, client_if)?;
        net.ip(
            Some(client),
            &[
                format!(
                    "addr add {}/{} dev eth0 valid_lft {} preferred_lft {}",
                    lease.address, lease.prefix_len, lease.lease_time_s, lease.lease_time_s
                ),
                match lease.routers.first() {
                    Some(gw) => format!("route add default via {gw} dev eth0"),
                    None => return Err(lab_error("the DHCP ACK names no router")),
                },
            ],
        )?;
        let mut resolv = format!("# from the DHCP ACK of {}\n", lease.server);
        if let Some(domain) = &lease.domain_name {
            resolv += &format!("search {domain}\n");
        }
        for ns in &lease.dns_servers {
            resolv += &format!("nameserver {ns}\n");
        }
        write(&net.host_dir(client).join("resolv.conf"), &resolv)?;
        let lease_file = net.dir().join("lease.json");
        write(&lease_file, &serde_json::to_string_pretty(&lease).unwrap_or_default())?;
        Ok(Internet { net, client, lease, ca, root_hints, lease_file, built_in: started.elapsed(), servers })
    }

    /// Stops the servers and removes every namespace and process.
    pub fn teardown(&mut self) {
        if let Some((stop, thread)) = self.servers.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
        self.net.teardown();
    }
}

impl Drop for Internet {
    fn drop(&mut self) {
        self.teardown();
    }
}

fn mac_text(mac: &[u8; 6]) -> String {
    crate::wire::udp_frame::mac_string(mac)
}

/// The client's DHCP exchange, on a packet socket made inside the client.
fn take_lease(net: &Net, client: Id, ifindex: u32) -> Result<Lease, Error> {
    let fd = net.socket(client, libc::AF_PACKET, libc::SOCK_RAW, i32::from(0x0800u16.to_be()), None, None)?;
    let req = Request { xid: rand::random(), chaddr: CLIENT_MAC, client_id: None, hostname: Some("client".into()) };
    crate::block_on(async move {
        let mut socket = PacketSocket::from_fd(fd)?;
        socket.bind(ifindex, 0x0800)?;
        crate::net::lease::take(&socket, req, Duration::from_secs(5)).await
    })?
}
