//! netwalk serve against real peers in the lab: an HTTP server (200 and
//! 503), an HTTPS server with an expired certificate, open, closed and
//! filtered TCP ports, a DNS server (NOERROR and NXDOMAIN), the kernel's
//! echo replies. Requests reach the server through sockets made in its
//! lab host, as Prometheus would send them. serve_interop.rs runs Debian's
//! Prometheus and blackbox_exporter on the same site.

use crate::http_peers;
use crate::lab;

use lab::{Host, Lab, Server};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

/// client — r1 — server: netwalk serve (and the peers' probers) on the
/// client, every target on the server.
pub struct Site {
    pub lab: Lab,
    pub client: Host,
    pub server_addr: std::net::IpAddr,
    pub config: std::path::PathBuf,
}

/// (module, target, the probe_success both exporters must report)
pub fn cases(site: &Site) -> Vec<(&'static str, String, u8)> {
    let s = site.server_addr;
    vec![
        ("http_2xx", format!("http://{s}:8080/"), 1),
        ("http_2xx", format!("http://{s}:8080/redirect/503/x"), 0),
        ("http_2xx", format!("https://{s}:8443/"), 0),
        ("http_insecure", format!("https://{s}:8443/"), 1),
        ("tcp_connect", format!("{s}:8080"), 1),
        ("tcp_connect", format!("{s}:8081"), 0),
        ("tcp_connect", format!("{s}:8082"), 0),
        ("dns_www", format!("{s}:53"), 1),
        ("dns_nx", format!("{s}:53"), 0),
        ("icmp", s.to_string(), 1),
        ("icmp", "198.18.9.9".to_string(), 0),
    ]
}

/// One module file for both exporters: blackbox_exporter's own shape.
fn config_text(ca_file: &std::path::Path) -> String {
    format!(
        "modules:
  http_2xx:
    prober: http
    timeout: 3s
    http:
      preferred_ip_protocol: ip4
      tls_config:
        ca_file: {}
  http_insecure:
    prober: http
    timeout: 3s
    http:
      preferred_ip_protocol: ip4
      tls_config:
        insecure_skip_verify: true
  tcp_connect:
    prober: tcp
    timeout: 2s
    tcp:
      preferred_ip_protocol: ip4
  dns_www:
    prober: dns
    timeout: 2s
    dns:
      query_name: www.example.test
      query_type: A
      preferred_ip_protocol: ip4
  dns_nx:
    prober: dns
    timeout: 2s
    dns:
      query_name: nx.example.test
      query_type: A
      preferred_ip_protocol: ip4
  icmp:
    prober: icmp
    timeout: 2s
    icmp:
      preferred_ip_protocol: ip4
",
        ca_file.display()
    )
}

pub fn site() -> Site {
    let lab = Lab::chain(&["client", "r1", "server"]);
    let server = lab.host_by_name("server");
    let client = lab.host_by_name("client");
    let s = lab.addr_of("server", 4);
    // The expired certificate names the address the probes dial, so expiry
    // is the only thing wrong with it.
    let pki = http_peers::expired_pki(&[&s.to_string()]);
    let plain = server.tcp_listener(SocketAddr::new(s, 8080));
    let tls = server.tcp_listener(SocketAddr::new(s, 8443));
    http_peers::serve(vec![plain], vec![tls], Some(&pki));
    // 8082 is filtered: SYNs vanish. 8081 is closed: the kernel resets.
    server.nft("table inet serve { chain input { type filter hook input priority 0; tcp dport 8082 drop; }; }");
    crate::dig::start_server(&server, s);
    let ca = lab.dir().join("serve-ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let config = lab.dir().join("blackbox.yml");
    std::fs::write(&config, config_text(&ca)).unwrap();
    Site { lab, client, server_addr: s, config }
}

/// Starts `netwalk serve` on the client's loopback and waits until it accepts.
pub fn start_serve(site: &Site, port: u16, extra: &[&str]) -> Server {
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--listen", &listen, "--config", site.config.to_str().unwrap()];
    args.extend(extra);
    let server = site.client.spawn_server(NETWALK, args);
    wait_accepting(&site.client, port, &server);
    server
}

pub fn wait_accepting(host: &Host, port: u16, server: &Server) {
    // Generous: prometheus creates its TSDB first, slow on a loaded 2-core machine.
    let deadline = Instant::now() + Duration::from_secs(60);
    while connect(host, port).is_err() {
        assert!(server.is_running(), "{} exited: {}", server.describe(), server.log());
        assert!(Instant::now() < deadline, "{} never accepted on {port}: {}", server.describe(), server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn connect(host: &Host, port: u16) -> std::io::Result<TcpStream> {
    let fd = host.socket(libc::AF_INET, libc::SOCK_STREAM, 0, None);
    let socket = socket2::Socket::from(fd);
    socket.connect(&SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    Ok(socket.into())
}

/// GET `path` from 127.0.0.1:`port` in `host`: (status, body).
pub fn get(host: &Host, port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = connect(host, port).expect("connect to the exporter");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    request += "\r\n";
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read the reply");
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP reply: {reply:?}"));
    let status =
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("bad status line: {head}"));
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_string() };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out += &rest[..n];
        body = &rest[n + 2..];
    }
    out
}

pub fn probe_path(module: &str, target: &str) -> String {
    let target: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
    format!("/probe?module={module}&target={target}")
}

/// The samples of an exposition: `name{labels}` → value.
pub fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn every_case_gets_its_verdict_and_blackbox_metric_names() {
    let site = site();
    let _serve = start_serve(&site, 9115, &[]);
    for (module, target, want) in cases(&site) {
        let (status, body) = get(&site.client, 9115, &probe_path(module, &target), &[]);
        assert_eq!(status, 200, "{module} {target}: {body}");
        let m = samples(&body);
        assert_eq!(m.get("probe_success"), Some(&f64::from(want)), "{module} {target}:\n{body}");
        assert!(m["probe_duration_seconds"] > 0.0, "{body}");
        match (module, want) {
            ("http_2xx", 1) => {
                assert_eq!(m["probe_http_status_code"], 200.0, "{body}");
                assert_eq!(m["probe_http_version"], 1.1, "{body}");
                assert_eq!(m["probe_ip_protocol"], 4.0, "{body}");
                for phase in ["resolve", "connect", "tls", "processing", "transfer"] {
                    assert!(m.contains_key(&format!("probe_http_duration_seconds{{phase=\"{phase}\"}}")), "{body}");
                }
            }
            ("http_insecure", 1) => {
                // The chain is not checked, but its expiry is still told (2021-01-01).
                assert_eq!(m["probe_http_ssl"], 1.0, "{body}");
                assert_eq!(m["probe_ssl_earliest_cert_expiry"], 1_609_459_200.0, "{body}");
            }
            ("http_2xx", 0) if target.ends_with("/x") => assert_eq!(m["probe_http_status_code"], 503.0, "{body}"),
            ("tcp_connect", 0) => {
                let state = if target.ends_with(":8081") { "closed" } else { "filtered" };
                assert_eq!(m[&format!("probe_tcp_state{{state=\"{state}\"}}")], 1.0, "{body}");
            }
            ("tcp_connect", 1) => assert!(m["probe_tcp_rtt_seconds"] > 0.0, "{body}"),
            ("dns_www", _) => {
                assert_eq!(m["probe_dns_answer_rrs"], 1.0, "{body}");
                assert_eq!(m["probe_dns_rcode"], 0.0, "{body}");
            }
            ("dns_nx", _) => {
                assert_eq!(m["probe_dns_rcode"], 3.0, "{body}");
                assert_eq!(m["probe_dns_query_succeeded"], 1.0, "the query itself worked: {body}");
            }
            ("icmp", 1) => assert!(m["probe_icmp_duration_seconds{phase=\"rtt\"}"] > 0.0, "{body}"),
            _ => {}
        }
    }
    // The server counted every probe, by module and result.
    let (status, own) = get(&site.client, 9115, "/metrics", &[]);
    assert_eq!(status, 200);
    let own = samples(&own);
    assert_eq!(own["netwalk_serve_probes_total{module=\"tcp_connect\",result=\"failure\"}"], 2.0);
    assert_eq!(own["netwalk_serve_probes_total{module=\"http_2xx\",result=\"success\"}"], 1.0);
    assert!(own["process_resident_memory_bytes"] > 0.0);
}

#[test]
fn debug_shows_the_probe_log_its_metrics_and_its_module() {
    let site = site();
    let _serve = start_serve(&site, 9115, &[]);
    let s = site.server_addr;
    let path = probe_path("http_2xx", &format!("https://{s}:8443/")) + "&debug=true";
    let (status, body) = get(&site.client, 9115, &path, &[]);
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("Logs for the probe:\n"), "{body}");
    assert!(body.contains("msg=\"Beginning probe\""), "{body}");
    assert!(body.to_lowercase().contains("expired"), "the log says why: {body}");
    assert!(body.contains("Metrics that would have been returned:\n# HELP"), "{body}");
    assert!(body.contains("\nprobe_success 0\n"), "{body}");
    assert!(body.contains("Module configuration:\nprober: http\ntimeout: 3s\n"), "{body}");
}

#[test]
fn the_scrape_timeout_header_bounds_a_filtered_probe() {
    let site = site();
    let _serve = start_serve(&site, 9115, &[]);
    let s = site.server_addr;
    let started = Instant::now();
    let path = probe_path("tcp_connect", &format!("{s}:8082")) + "&debug=true";
    let (status, body) = get(&site.client, 9115, &path, &[("X-Prometheus-Scrape-Timeout-Seconds", "1")]);
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("timeout_seconds=\"0.500\""), "1s less the 0.5s margin: {body}");
    assert!(took < Duration::from_millis(1500), "the probe ended by its timeout: {took:?}");
    assert!(body.contains("\nprobe_success 0\n"), "{body}");
}

#[test]
fn bad_parameters_get_400_with_one_line() {
    let site = site();
    let _serve = start_serve(&site, 9115, &[]);
    for (path, headers, needle) in [
        ("/probe?module=tcp_connect", &[][..], "Target parameter is missing"),
        ("/probe?module=nope&target=a.test:1", &[][..], "Unknown module \"nope\""),
        ("/probe?module=tcp_connect&target=-k", &[][..], "starts with '-'"),
        ("/probe?module=tcp_connect&target=a.test", &[][..], "has no port"),
        ("/probe?module=http_2xx&target=ftp://a.test/", &[][..], "is not http or https"),
        (
            "/probe?module=tcp_connect&target=a.test:1",
            &[("X-Prometheus-Scrape-Timeout-Seconds", "soon")][..],
            "is not a positive number",
        ),
    ] {
        let (status, body) = get(&site.client, 9115, path, headers);
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body.lines().count(), 1, "{path}: {body}");
        assert!(body.contains(needle), "{path}: {body}");
    }
    let (status, _) = get(&site.client, 9115, "/nothing", &[]);
    assert_eq!(status, 404);
    let (_, own) = get(&site.client, 9115, "/metrics", &[]);
    assert_eq!(samples(&own)["netwalk_serve_bad_requests_total"], 6.0, "{own}");
}

#[test]
fn a_slow_probe_never_blocks_another_and_concurrency_is_bounded() {
    let site = site();
    let _serve = start_serve(&site, 9115, &["--max-concurrent", "2"]);
    let s = site.server_addr;
    let client = site.client.clone();
    // Two filtered probes take both slots for their 2s timeout …
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let (client, path) = (client.clone(), probe_path("tcp_connect", &format!("{s}:8082")));
            std::thread::spawn(move || get(&client, 9115, &path, &[]))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // … so a third waits for a slot past its own 0.5s and is refused (503) …
    let (status, body) = get(
        &client,
        9115,
        &probe_path("tcp_connect", &format!("{s}:8080")),
        &[("X-Prometheus-Scrape-Timeout-Seconds", "1")],
    );
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("raise --max-concurrent"), "{body}");
    // … while the server itself still answers at once.
    let started = Instant::now();
    let (status, _) = get(&client, 9115, "/metrics", &[]);
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    for t in slow {
        let (status, body) = t.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(samples(&body)["probe_success"], 0.0);
    }
    // With slots free, a probe to the open port passes while another is slow.
    let path = probe_path("tcp_connect", &format!("{s}:8082"));
    let slow = std::thread::spawn(move || get(&client, 9115, &path, &[]));
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let (_, body) = get(&site.client, 9115, &probe_path("tcp_connect", &format!("{s}:8080")), &[]);
    assert_eq!(samples(&body)["probe_success"], 1.0, "{body}");
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "not held up by the filtered probe: {:?}",
        started.elapsed()
    );
    slow.join().unwrap();
}

#[test]
fn a_bad_config_is_one_line_and_exit_2() {
    let site = site();
    let bad = site.lab.dir().join("bad.yml");
    std::fs::write(&bad, "modules:\n  x:\n    prober: tcp\n    tcp:\n      query_response: []\n").unwrap();
    let out = lab::cli::netwalk(&site.client, &["serve", "--config", bad.to_str().unwrap()]);
    lab::cli::assert_refused("an option netwalk lacks", &out, 2, "unknown field `query_response`");
    let out = lab::cli::netwalk(&site.client, &["serve", "--config", "/dev/zero"]);
    lab::cli::assert_refused("a device", &out, 2, "larger than 1 MiB");
}

#[test]
fn netwalk_probers_tls_verdict_traceroute_hops_and_arp() {
    let site = site();
    let s = site.server_addr;
    let ca = site.lab.dir().join("serve-ca.pem");
    let config = site.lab.dir().join("netwalk.yml");
    std::fs::write(
        &config,
        format!(
            "modules:\n  tls:\n    prober: tls\n    timeout: 3s\n    tls:\n      ca_file: {}\n  trace:\n    prober: traceroute\n    timeout: 3s\n  arp:\n    prober: arp\n    timeout: 2s\n    arp:\n      count: 2\n",
            ca.display()
        ),
    )
    .unwrap();
    let server = site
        .client
        .spawn_server(NETWALK, ["serve", "--listen", "127.0.0.1:9117", "--config", config.to_str().unwrap()]);
    wait_accepting(&site.client, 9117, &server);

    // The expired leaf: blackbox's expiry names with its date, and the verdict's reason.
    let (_, body) = get(&site.client, 9117, &(probe_path("tls", &format!("{s}:8443")) + "&debug=true"), &[]);
    let m = samples(&body);
    assert_eq!(m["probe_success"], 0.0, "{body}");
    assert_eq!(m["probe_ssl_earliest_cert_expiry"], 1_609_459_200.0, "not after 2021-01-01: {body}");
    assert_eq!(m["probe_tls_trusted"], 0.0, "{body}");
    let verdict = m.keys().find(|k| k.starts_with("probe_tls_verdict_info{")).expect("a verdict");
    assert!(verdict.contains("status=\"expired\""), "{verdict}");

    // client — r1 — server: two hops, none lossy; the same path the second time.
    let (_, body) = get(&site.client, 9117, &probe_path("trace", &s.to_string()), &[]);
    let m = samples(&body);
    assert_eq!(m["probe_success"], 1.0, "{body}");
    assert_eq!(m["probe_traceroute_hops"], 2.0, "{body}");
    assert_eq!(m["probe_traceroute_hop_loss_ratio{ttl=\"1\",address=\"198.18.1.2\"}"], 0.0, "{body}");
    assert_eq!(m[&format!("probe_traceroute_hop_loss_ratio{{ttl=\"2\",address=\"{s}\"}}")], 0.0, "{body}");
    assert!(m["probe_traceroute_hop_rtt_seconds{ttl=\"1\",address=\"198.18.1.2\"}"] > 0.0, "{body}");
    assert!(!m.contains_key("probe_traceroute_path_changed"), "nothing to compare with yet: {body}");
    let (_, body) = get(&site.client, 9117, &probe_path("trace", &s.to_string()), &[]);
    assert_eq!(samples(&body)["probe_traceroute_path_changed"], 0.0, "{body}");
    // r1 stops forwarding to the server: the path ends at r1, which is a change.
    site.lab.host_by_name("r1").route(&format!("blackhole {s}/32"));
    let (_, body) = get(&site.client, 9117, &(probe_path("trace", &s.to_string()) + "&debug=true"), &[]);
    let m = samples(&body);
    assert_eq!(m.get("probe_success"), Some(&0.0), "{body}");
    assert_eq!(m.get("probe_traceroute_path_changed"), Some(&1.0), "{body}");

    // r1 answers who-has from the client's link.
    let (_, body) = get(&site.client, 9117, &probe_path("arp", "198.18.1.2"), &[]);
    let m = samples(&body);
    assert_eq!(m["probe_success"], 1.0, "{body}");
    assert_eq!(m["probe_arp_replies"], 2.0, "{body}");
    assert_eq!(m["probe_arp_conflict"], 0.0, "{body}");
    let (status, body) = get(&site.client, 9117, &probe_path("arp", "r1.test"), &[]);
    assert_eq!(status, 400, "{body}");
}
