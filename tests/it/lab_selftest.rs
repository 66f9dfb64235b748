use crate::lab;

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};

use lab::{Host, Lab};

/// The `ttl=` of the first reply in ping's output.
fn ttl(ping_output: &str) -> u32 {
    ping_output
        .split_whitespace()
        .find_map(|w| w.strip_prefix("ttl="))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no ttl= in ping output:\n{ping_output}"))
}

fn ping(from: &Host, to: IpAddr) -> String {
    from.run("ping", ["-n", "-c1", "-W2", &to.to_string()])
}

/// Start time of a process (field 22 of /proc/<pid>/stat), to tell a dead
/// pid from a recycled one.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    after_comm.split_whitespace().nth(19).map(str::to_string)
}

#[test]
fn chain_routes_and_forwards_v4_and_v6() {
    let lab = Lab::chain(&["client", "r1", "r2", "r3", "server"]);
    let client = lab.host_by_name("client");
    assert!(lab.host_by_name("r2").is_router() && !client.is_router());
    assert_eq!(lab.addr_of("server", 4), "198.18.4.2".parse::<IpAddr>().unwrap());
    assert_eq!(lab.addr_of("server", 6), "2001:db8:4::2".parse::<IpAddr>().unwrap());
    for family in [4, 6] {
        let out = ping(&client, lab.addr_of("server", family));
        // 64 minus one per router: r1, r2 and r3 forwarded the echo reply.
        assert_eq!(ttl(&out), 61, "IPv{family}: expected 3 forwarding hops:\n{out}");
    }
    // The middle router has routes to both far subnets, via its neighbours.
    let routes = lab.host_by_name("r2").ip("route show");
    assert!(routes.contains("198.18.1.0/24 via 198.18.2.1 dev eth0"), "{routes}");
    assert!(routes.contains("198.18.4.0/24 via 198.18.3.2 dev eth1"), "{routes}");
    let routes6 = lab.host_by_name("r2").ip("-6 route show");
    assert!(routes6.contains("2001:db8:4::/64 via 2001:db8:3::2 dev eth1"), "{routes6}");
    // Forwarding is on in routers only.
    assert_eq!(lab.host_by_name("r1").sh("cat /proc/sys/net/ipv4/ip_forward").trim(), "1");
    assert_eq!(client.sh("cat /proc/sys/net/ipv4/ip_forward").trim(), "0");
    assert_eq!(client.sh("cat /proc/sys/net/ipv6/conf/all/forwarding").trim(), "0");
    assert_eq!(lab.host_by_name("r3").sh("cat /proc/sys/net/ipv6/conf/all/forwarding").trim(), "1");
}

#[test]
fn sockets_made_in_a_host_live_in_the_lab() {
    let lab = Lab::chain(&["client", "r1", "r2", "r3", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    for family in [4, 6] {
        let listener = server.tcp_listener(SocketAddr::new(lab.addr_of("server", family), 8080));
        let accepted = std::thread::spawn(move || {
            let (mut conn, peer) = listener.accept().unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut text = String::new();
            conn.read_to_string(&mut text).unwrap();
            (peer, text)
        });
        let dst = lab.addr_of("server", family);
        client.run("bash", ["-c", &format!("exec 3<>/dev/tcp/{dst}/8080; echo hi >&3")]);
        let (peer, text) = accepted.join().unwrap();
        assert_eq!(peer.ip(), lab.addr_of("client", family), "the peer is the client's lab address");
        assert_eq!(text, "hi\n");
    }
    // UDP too, and the generic socket() builds the same thing.
    let udp = server.udp_socket("198.18.4.2:5353".parse().unwrap());
    udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    client.run("bash", ["-c", "echo ping > /dev/udp/198.18.4.2/5353"]);
    let mut buf = [0u8; 64];
    let (n, peer) = udp.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], peer.ip()), (&b"ping\n"[..], lab.addr_of("client", 4)));
    let raw = server.socket(libc::AF_INET, libc::SOCK_DGRAM, 0, Some("198.18.4.2:0".parse().unwrap()));
    let local = std::net::UdpSocket::from(raw).local_addr().unwrap();
    assert_eq!(local.ip(), lab.addr_of("server", 4));
    assert_ne!(local.port(), 0);
    // Raw and packet sockets work too (CAP_NET_RAW in the lab, even as a user).
    server.socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP, None);
    server.socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(0x0806u16.to_be()), None);
}

#[test]
fn custom_routes_and_nftables() {
    let lab = Lab::chain(&["a", "r", "b"]);
    let (a, r) = (lab.host_by_name("a"), lab.host_by_name("r"));
    r.route("prohibit 198.18.77.0/24");
    assert!(r.ip("route show type prohibit").contains("198.18.77.0/24"));
    // Probes to a prohibited destination come back as ICMP errors from r.
    let mut probe = a.command("ping");
    probe.args(["-n", "-c1", "-W2", "198.18.77.1"]);
    let out = a.output(probe);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && text.contains("From 198.18.1.2"), "{text}");
    // A TCP reset from an nftables rule in b.
    lab.host_by_name("b").nft(
        "table inet t {\n  chain c {\n    type filter hook input priority 0;\n    tcp dport 9 reject with tcp reset\n  }\n}\n",
    );
    let mut connect = a.command("bash");
    connect.args(["-c", "exec 3<>/dev/tcp/198.18.2.2/9"]);
    let out = a.output(connect);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Connection refused"), "{out:?}");
}

#[test]
fn bind_failure_names_the_host_and_the_step() {
    let lab = Lab::chain(&["a", "b"]);
    let err = std::panic::catch_unwind(|| {
        lab.host_by_name("a").tcp_listener("198.18.1.2:80".parse().unwrap());
    })
    .expect_err("198.18.1.2 belongs to b, binding it in a must fail");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("lab host `a`") && msg.contains("bind()") && msg.contains("(os error 99)"), "{msg}");
}

#[test]
fn teardown_kills_everything_and_parallel_labs_are_isolated() {
    let results: Vec<(Vec<(u32, String)>, std::path::PathBuf)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    // Identical addresses and ports in every lab.
                    let lab = Lab::chain(&["a", "r", "b"]);
                    let (a, b) = (lab.host_by_name("a"), lab.host_by_name("b"));
                    let _listener = b.tcp_listener("198.18.2.2:8080".parse().unwrap());
                    assert_eq!(ttl(&ping(&a, lab.addr_of("b", 4))), 63);
                    let server = b.spawn_server("sleep", ["30"]);
                    assert!(server.is_running());
                    let pids: Vec<_> = lab.pids().into_iter().map(|p| (p, start_time(p).expect("live pid"))).collect();
                    assert_eq!(pids.len(), 5, "root, a, r, b holders and one server");
                    (pids, lab.dir().to_path_buf())
                    // `lab` dropped here
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for (pids, dir) in results {
        for (pid, started) in pids {
            assert_ne!(start_time(pid), Some(started), "pid {pid} survived the lab");
        }
        assert!(!dir.exists(), "{} was not removed", dir.display());
    }
}

#[test]
fn teardown_happens_when_a_test_panics() {
    let mut seen = Vec::new();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let lab = Lab::chain(&["a", "b"]);
        seen = lab.pids().into_iter().map(|p| (p, start_time(p).unwrap())).collect();
        panic!("test failure");
    }));
    assert!(r.is_err());
    for (pid, started) in seen {
        assert_ne!(start_time(pid), Some(started), "pid {pid} survived a panicking test");
    }
}

#[test]
fn switch_segment_macs_and_default_routes() {
    let lab = Lab::new();
    let lan = lab.switch("lan");
    let hosts: Vec<Host> = ["h1", "h2", "h3"].iter().map(|n| lab.host(n)).collect();
    for (i, h) in hosts.iter().enumerate() {
        let n = 10 + i;
        let iface = lab.attach(h, &lan, &format!("198.18.5.{n}/24,2001:db8:5::{n}/64"));
        assert_eq!(iface.name, "eth0");
    }
    // A router on the LAN leading to a server behind it.
    let gw = lab.router("gw");
    let srv = lab.host("srv");
    lab.attach(&gw, &lan, "198.18.5.1/24,2001:db8:5::1/64");
    let link = lab.link(&gw, "198.18.6.1/24,2001:db8:6::1/64", &srv, "198.18.6.2/24,2001:db8:6::2/64");
    assert_eq!((link.a.name.as_str(), link.b.name.as_str()), ("eth1", "eth0"));
    lab.route_all();

    for a in &hosts {
        for b in &hosts {
            if a.name() != b.name() {
                for family in [4, 6] {
                    assert_eq!(ttl(&ping(a, b.addr(family))), 64);
                }
            }
        }
        for family in [4, 6] {
            assert_eq!(ttl(&ping(a, srv.addr(family))), 63, "{} reaches srv through gw", a.name());
        }
    }
    // MACs: as the lab derived them, locally administered, all distinct,
    // visible in sysfs, `ip link`, and h1's neighbour table.
    let mut macs = Vec::new();
    for h in &hosts {
        let mac = h.mac("eth0");
        assert!(mac.starts_with("02:"), "{mac}");
        assert_eq!(h.sh("cat /sys/class/net/eth0/address").trim(), mac);
        assert!(h.ip("link show dev eth0").contains(&mac));
        macs.push(mac);
    }
    macs.sort();
    macs.dedup();
    assert_eq!(macs.len(), 3);
    let neigh = hosts[0].ip("neigh show 198.18.5.11");
    assert!(neigh.contains(&hosts[1].mac("eth0")), "{neigh}");
    // An explicit MAC.
    hosts[2].set_mac("eth0", "02:aa:bb:cc:dd:ee");
    assert_eq!(hosts[2].sh("cat /sys/class/net/eth0/address").trim(), "02:aa:bb:cc:dd:ee");
    assert_eq!(hosts[2].mac("eth0"), "02:aa:bb:cc:dd:ee");
    // The bridge lives in the switch's namespace.
    let ports = lan.host().ip("-o link show master br0");
    assert_eq!(ports.lines().count(), 4, "{ports}");
}

#[test]
fn hosts_and_resolv_conf_are_per_host() {
    let lab = Lab::chain(&["a", "b"]);
    let (a, b) = (lab.host_by_name("a"), lab.host_by_name("b"));
    let outer = std::fs::read_to_string("/etc/resolv.conf").unwrap();
    a.set_resolv_conf("nameserver 198.18.1.2\n");
    b.set_resolv_conf("nameserver 198.18.1.1\noptions ndots:1\n");
    assert_eq!(a.sh("cat /etc/resolv.conf"), "nameserver 198.18.1.2\n");
    assert_eq!(b.sh("cat /etc/resolv.conf"), "nameserver 198.18.1.1\noptions ndots:1\n");
    assert_eq!(std::fs::read_to_string("/etc/resolv.conf").unwrap(), outer, "the machine's file is untouched");

    a.set_hosts_entry("www.example.test", "198.18.1.2".parse().unwrap());
    assert!(a.sh("getent ahostsv4 www.example.test").contains("198.18.1.2"));
    let mut getent = b.command("getent");
    getent.args(["hosts", "www.example.test"]);
    assert!(!b.output(getent).status.success(), "b has no such entry");
    assert!(a.sh("getent ahostsv4 b.lab.test").starts_with("198.18.1.2 "));
    assert!(b.sh("cat /etc/hosts").contains("2001:db8:1::1 a.lab.test"));

    // Sysctls per host.
    a.no_icmp_ratelimit();
    a.allow_ping_sockets();
    assert_eq!(a.sh("cat /proc/sys/net/ipv4/icmp_ratelimit /proc/sys/net/ipv6/icmp/ratelimit"), "0\n0\n");
    assert_eq!(a.sh("cat /proc/sys/net/ipv4/ping_group_range").split_whitespace().collect::<Vec<_>>(), ["0", "0"]);
    // ICMP datagram sockets: allowed in a, refused (EACCES) in b.
    a.socket(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_ICMP, None);
    let refused = std::panic::catch_unwind(|| b.socket(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_ICMP, None));
    let msg = refused.expect_err("b has the default ping_group_range");
    assert!(msg.downcast_ref::<String>().is_some_and(|m| m.contains("Permission denied")));
    assert_ne!(b.sh("cat /proc/sys/net/ipv4/icmp_ratelimit").trim(), "0", "b keeps the kernel default");
}

#[test]
fn command_is_the_program_itself_and_sigint_reaches_it() {
    let lab = Lab::chain(&["solo"]);
    let h = lab.host_by_name("solo");
    let mut child = h.command("sleep").arg("30").spawn().unwrap();
    let pid = child.id();
    assert_eq!(std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap().trim(), "sleep");
    let ns = |p: u32| std::fs::read_link(format!("/proc/{p}/ns/net")).unwrap();
    assert_eq!(ns(pid), ns(h.pid()), "runs in the host's network namespace");
    assert_ne!(ns(pid), ns(std::process::id()));
    let t0 = Instant::now();
    // SAFETY: plain kill(2) on our own unreaped child.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status}");
    assert!(t0.elapsed() < Duration::from_secs(5));
    // The working directory is kept inside the host.
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(h.sh("pwd").trim(), cwd.to_str().unwrap());
}

#[test]
fn servers_log_to_files_and_failures_say_what_failed() {
    let lab = Lab::chain(&["a"]);
    let a = lab.host_by_name("a");
    let srv = a.spawn_server("sh", ["-c", "echo to-stdout; echo to-stderr >&2; exit 3"]);
    let st = srv.wait_exit(Duration::from_secs(10)).expect("server exits");
    assert_eq!(st.code(), Some(3));
    let log = srv.log();
    assert!(log.contains("to-stdout") && log.contains("to-stderr"), "{}", srv.describe());
    assert!(srv.log_path().starts_with(lab.dir()));

    let err = std::panic::catch_unwind(|| a.sh("echo some-diagnostic >&2; exit 7")).expect_err("must panic");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("lab host `a`") && msg.contains("exit status: 7") && msg.contains("some-diagnostic"), "{msg}");
}

#[test]
#[should_panic(expected = "outside the lab address plan")]
fn addresses_outside_the_plan_are_refused() {
    let lab = Lab::new();
    let (a, b) = (lab.host("a"), lab.host("b"));
    lab.link(&a, "10.0.0.1/24", &b, "198.18.1.2/24");
}

#[test]
fn lab_files_are_in_the_lab_dir() {
    let lab = Lab::chain(&["a", "b"]);
    let dir = lab.dir().to_path_buf();
    assert!(Path::new(&dir).join("a/hosts").exists());
    drop(lab);
    assert!(!dir.exists());
}

#[test]
fn route_all_on_a_diamond() {
    //        r1
    //  a ──<    >── b     a and b have two links each, routed per subnet.
    //        r2
    let lab = Lab::new();
    let (a, b) = (lab.host("a"), lab.host("b"));
    let (r1, r2) = (lab.router("r1"), lab.router("r2"));
    lab.link(&a, "198.18.10.1/24,2001:db8:10::1/64", &r1, "198.18.10.2/24,2001:db8:10::2/64");
    lab.link(&r1, "198.18.11.1/24,2001:db8:11::1/64", &b, "198.18.11.2/24,2001:db8:11::2/64");
    lab.link(&a, "198.18.12.1/24,2001:db8:12::1/64", &r2, "198.18.12.2/24,2001:db8:12::2/64");
    lab.link(&r2, "198.18.13.1/24,2001:db8:13::1/64", &b, "198.18.13.2/24,2001:db8:13::2/64");
    lab.route_all();
    let routes = a.ip("route show");
    assert!(routes.contains("198.18.11.0/24 via 198.18.10.2 dev eth0"), "{routes}");
    assert!(routes.contains("198.18.13.0/24 via 198.18.12.2 dev eth1"), "{routes}");
    for dst in ["198.18.11.2", "198.18.13.2", "2001:db8:11::2", "2001:db8:13::2"] {
        assert_eq!(ttl(&ping(&a, dst.parse().unwrap())), 63, "a -> {dst}");
    }
}
