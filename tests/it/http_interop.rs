#![cfg(feature = "interop")]
//! `netwalk http` against nginx in the lab (HTTP/1.1 in clear text, HTTP/1.1
//! and HTTP/2 over TLS with a lab CA): status, headers and body bytes must be
//! what curl receives from the same server. .ci/run installs nginx and curl.

use crate::http_peers;
use crate::lab;

use lab::{Host, Lab};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

struct Nginx {
    _lab: Lab,
    _server: lab::Server,
    client: Host,
    dir: PathBuf,
    ca: PathBuf,
}

/// nginx as root in the server host, pid and logs in the lab dir.
fn nginx() -> Nginx {
    lab::require("nginx");
    lab::require("curl");
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr: IpAddr = lab.addr_of("server", 4);
    client.set_hosts_entry("web.test", addr);
    let dir = lab.dir().join("nginx");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let pki = http_peers::pki(&["web.test"]);
    std::fs::write(dir.join("cert.pem"), &pki.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &pki.key_pem).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    std::fs::write(dir.join("www/index.html"), "<h1>nginx in the lab</h1>\n").unwrap();
    let data: Vec<u8> = (0..3_000_000u64).map(http_peers::pattern).collect();
    std::fs::write(dir.join("www/data.bin"), data).unwrap();
    let d = dir.display();
    let conf = format!(
        "user root;\ndaemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/tmp/body;\n  proxy_temp_path {d}/tmp/proxy;\n\
           fastcgi_temp_path {d}/tmp/fastcgi;\n  uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
           types {{ text/html html; application/octet-stream bin; }}\n\
           server {{\n    listen {addr}:8080;\n    listen {addr}:8443 ssl http2;\n    server_name web.test;\n\
             ssl_certificate {d}/cert.pem;\n    ssl_certificate_key {d}/key.pem;\n    root {d}/www;\n\
             etag on;\n    add_header Cache-Control \"max-age=30\";\n\
             location = /old {{ return 301 /index.html; }}\n\
             location = /secure {{ return 302 https://web.test:8443/index.html; }}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let server_proc =
        server.spawn_server("nginx", ["-c", dir.join("nginx.conf").to_str().unwrap(), "-e", &format!("{d}/error.log")]);
    // Readiness: both ports accept (bounded polling, no sleeps standing in for it).
    let probe = format!(
        "for i in $(seq 500); do (exec 3<>/dev/tcp/{addr}/8080 && exec 4<>/dev/tcp/{addr}/8443) 2>/dev/null && exit 0; sleep 0.01; done; exit 1"
    );
    let ready = client.output({
        let mut c = client.command("bash");
        c.args(["-c", &probe]);
        c
    });
    assert!(
        ready.status.success(),
        "nginx did not start: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
    Nginx { _lab: lab, _server: server_proc, client, dir, ca }
}

fn run(host: &Host, program: &str, args: &[&str]) -> Output {
    let mut cmd = host.command(program);
    cmd.args(args);
    let out = host.output(cmd);
    assert!(out.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Header fields by lower-case name, without Date (it moves with the clock).
fn fields(pairs: impl Iterator<Item = (String, String)>) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        let k = k.to_ascii_lowercase();
        if k != "date" {
            map.entry(k).or_default().push(v.trim().to_string());
        }
    }
    map
}

/// The last response head in a curl -D dump: status and fields.
fn curl_head(dump: &str) -> (u16, BTreeMap<String, Vec<String>>) {
    let last = dump.trim_end().rsplit("\r\n\r\n").next().unwrap();
    let mut lines = last.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let pairs = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.to_string(), v.to_string()));
    (status, fields(pairs))
}

/// Same URL through netwalk and curl: status, headers, body bytes.
fn compare(n: &Nginx, url: &str, netwalk_flags: &[&str], curl_flags: &[&str]) -> Value {
    let ca = n.ca.to_str().unwrap();
    let tag = url.replace(|c: char| !c.is_ascii_alphanumeric(), "_") + &netwalk_flags.join("_");
    let (nw_body, curl_body, dump) =
        (n.dir.join(format!("{tag}.nw")), n.dir.join(format!("{tag}.curl")), n.dir.join(format!("{tag}.hdr")));
    let mut args = vec!["--json", "http", "--cacert", ca, "-o", nw_body.to_str().unwrap()];
    args.extend_from_slice(netwalk_flags);
    args.push(url);
    let out = run(&n.client, NETWALK, &args);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut cargs = vec!["-sS", "--cacert", ca, "-D", dump.to_str().unwrap(), "-o", curl_body.to_str().unwrap()];
    cargs.extend_from_slice(curl_flags);
    cargs.push(url);
    run(&n.client, "curl", &cargs);
    let (status, curl_fields) = curl_head(&std::fs::read_to_string(&dump).unwrap());
    assert_eq!(doc["status"].as_u64(), Some(u64::from(status)), "{url}: {doc}");
    let last = doc["hops"].as_array().unwrap().last().unwrap();
    let ours = fields(
        last["response_headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().to_string(), h[1].as_str().unwrap().to_string())),
    );
    assert_eq!(ours, curl_fields, "{url}: headers differ from curl's");
    assert_eq!(read(&nw_body), read(&curl_body), "{url}: body bytes differ from curl's");
    doc
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

#[test]
fn get_http1_and_http2_match_curl() {
    let n = nginx();
    let doc = compare(&n, "http://web.test:8080/index.html", &[], &["--http1.1"]);
    assert_eq!(doc["protocol"], "HTTP/1.1");
    let doc = compare(&n, "https://web.test:8443/data.bin", &[], &["--http2"]);
    assert_eq!(doc["protocol"], "HTTP/2");
    assert_eq!(doc["body"]["bytes"], 3_000_000);
    let doc = compare(&n, "https://web.test:8443/index.html", &["--http1.1"], &["--http1.1"]);
    assert_eq!(doc["hops"][0]["connection"]["tls_facts"]["alpn"], "http/1.1");
    assert!(doc["caching"]["etag"].as_str().unwrap().starts_with('"'));
    assert_eq!(doc["caching"]["cache_control"], "max-age=30");
}

#[test]
fn redirects_and_conditional_requests_match_curl() {
    let n = nginx();
    let doc = compare(&n, "http://web.test:8080/old", &["-L"], &["-L"]);
    assert_eq!(doc["redirects"], 1);
    assert_eq!(doc["hops"][0]["status"], 301);
    let doc = compare(&n, "http://web.test:8080/secure", &["-L"], &["-L"]);
    assert_eq!(doc["final_url"], "https://web.test:8443/index.html");
    assert_eq!(doc["protocol"], "HTTP/2");
    let doc = compare(&n, "http://web.test:8080/old", &[], &[]);
    assert_eq!(doc["status"], 301);

    // The ETag nginx gave comes back as a 304, as curl's If-None-Match does.
    let doc = compare(&n, "https://web.test:8443/index.html", &[], &[]);
    let etag = doc["caching"]["etag"].as_str().unwrap().to_string();
    let header = format!("If-None-Match: {etag}");
    let doc = compare(&n, "https://web.test:8443/index.html", &["--etag", &etag], &["-H", &header]);
    assert_eq!(doc["status"], 304);
    assert_eq!(doc["caching"]["not_modified"], true);
}

#[test]
fn cleartext_http2_upgrades_like_curl() {
    lab::require("curl");
    // nginx has no h2c Upgrade: both clients stay on HTTP/1.1 there.
    let n = nginx();
    let doc = compare(&n, "http://web.test:8080/index.html", &["--http2"], &["--http2"]);
    assert_eq!(doc["protocol"], "HTTP/1.1");
    assert_eq!(doc["hops"][0]["connection"]["h2c_upgrade"], "declined");

    // The in-process server that does upgrade: curl (nghttp2) reads the
    // stream-1 response, and netwalk must receive the same status, headers, body.
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr: IpAddr = lab.addr_of("server", 4);
    client.set_hosts_entry("web.test", addr);
    let seen = http_peers::serve_h2c_upgrade(server.tcp_listener(std::net::SocketAddr::new(addr, 8082)));
    let url = "http://web.test:8082/";
    let (dump, body) = (lab.dir().join("curl.hdr"), lab.dir().join("curl.body"));
    run(&client, "curl", &["-sS", "--http2", "-D", dump.to_str().unwrap(), "-o", body.to_str().unwrap(), url]);
    let dump = std::fs::read_to_string(&dump).unwrap();
    assert!(dump.starts_with("HTTP/1.1 101") && dump.contains("\r\n\r\nHTTP/2 200"), "curl did not upgrade: {dump}");
    let (status, curl_fields) = curl_head(&dump);
    let nw_body = lab.dir().join("netwalk.body");
    let out = run(&client, NETWALK, &["--json", "http", "--http2", "-o", nw_body.to_str().unwrap(), url]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc["status"].as_u64(), doc["protocol"].as_str()), (Some(u64::from(status)), Some("HTTP/2")), "{doc}");
    let ours = fields(
        doc["hops"][0]["response_headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().to_string(), h[1].as_str().unwrap().to_string())),
    );
    assert_eq!(ours, curl_fields, "headers differ from curl's");
    assert_eq!(read(&nw_body), read(&body), "body bytes differ from curl's");
    assert_eq!(read(&nw_body), http_peers::PAGE);
    // Each client's request was answered once, on stream 1.
    let lines = seen.requests.lock().unwrap().clone();
    let gets: Vec<&String> = lines.iter().filter(|l| !l.starts_with("UPGRADE ")).collect();
    assert_eq!(gets, ["GET http://web.test:8082/ HTTP/2.0", "GET http://web.test:8082/ HTTP/2.0"], "{lines:?}");
}

/// The same hostile peers, the same options, through curl and netwalk: the
/// exit codes curl users script against come out the same.
#[test]
fn exit_codes_match_curls_on_hostile_peers() {
    use std::io::Write;
    let n = nginx();
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr: IpAddr = lab.addr_of("server", 4);
    client.set_hosts_entry("web.test", addr);
    http_peers::raw_peer(server.tcp_listener(std::net::SocketAddr::new(addr, 9012)), |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        for _ in 0..100 {
            if s.write_all(b"x").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    http_peers::raw_peer(server.tcp_listener(std::net::SocketAddr::new(addr, 9013)), |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nshort");
    });
    http_peers::raw_peer(server.tcp_listener(std::net::SocketAddr::new(addr, 9014)), |_| {
        std::thread::sleep(Duration::from_secs(30));
    });
    let cases: [(&Host, &str, &[&str], i32); 7] = [
        (&client, "http://web.test:9012/", &["--speed-limit", "100", "--speed-time", "2"], 28),
        (&client, "http://web.test:9013/", &[], 18),
        (&client, "http://web.test:9014/", &["--max-time", "1"], 28),
        (&client, "https://web.test:9014/", &["--connect-timeout", "1"], 28),
        (&client, "http://web.test:9999/", &[], 7),
        (&n.client, "http://web.test:8080/missing", &["--fail"], 22),
        (&n.client, "http://web.test:8080/old", &["-L", "--max-redirs", "0"], 47),
    ];
    for (host, url, flags, want) in cases {
        let mut curl = vec!["-sS", "-o", "/dev/null"];
        curl.extend_from_slice(flags);
        curl.push(url);
        let mut cmd = host.command("curl");
        cmd.args(&curl);
        let curl_out = host.output(cmd);
        let mut ours = vec!["http", "-o", "/dev/null"];
        ours.extend_from_slice(flags);
        ours.push(url);
        let mut cmd = host.command(NETWALK);
        cmd.args(&ours);
        let out = host.output(cmd);
        assert_eq!(curl_out.status.code(), Some(want), "curl {curl:?}: {}", String::from_utf8_lossy(&curl_out.stderr));
        assert_eq!(out.status.code(), Some(want), "netwalk {ours:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Cookie jars go both ways between curl and netwalk: what one saved after
/// a login redirect, the other sends back.
#[test]
fn cookie_jars_are_shared_with_curl() {
    lab::require("curl");
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr: IpAddr = lab.addr_of("server", 4);
    client.set_hosts_entry("web.test", addr);
    http_peers::serve(vec![server.tcp_listener(std::net::SocketAddr::new(addr, 8080))], vec![], None);
    let (curl_jar, our_jar) = (lab.dir().join("curl.jar"), lab.dir().join("netwalk.jar"));
    let (curl_jar, our_jar) = (curl_jar.to_str().unwrap(), our_jar.to_str().unwrap());
    run(&client, "curl", &["-sS", "-L", "-c", curl_jar, "-o", "/dev/null", "http://web.test:8080/login"]);
    run(&client, NETWALK, &["http", "-L", "-c", our_jar, "-o", "/dev/null", "http://web.test:8080/login"]);
    for (reader, jar) in [("netwalk", curl_jar), ("curl", our_jar)] {
        let out = if reader == "curl" {
            run(&client, "curl", &["-sS", "-b", jar, "http://web.test:8080/echo"])
        } else {
            run(&client, NETWALK, &["http", "-b", jar, "http://web.test:8080/echo"])
        };
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let cookie =
            text.lines().find_map(|l| l.strip_prefix("cookie: ")).unwrap_or_else(|| panic!("{reader}: {text}"));
        let mut got: Vec<&str> = cookie.split("; ").collect();
        got.sort();
        assert_eq!(got, ["sid=abc123", "theme=dark"], "{reader} reading {jar}");
    }
    // And the login itself: curl needs -b '' (its engine is off by default), netwalk keeps them always.
    let out = run(&client, "curl", &["-sS", "-L", "-b", "", "http://web.test:8080/login"]);
    let curl_text = String::from_utf8_lossy(&out.stdout).into_owned();
    let out = run(&client, NETWALK, &["http", "-L", "http://web.test:8080/login"]);
    let ours = String::from_utf8_lossy(&out.stdout).into_owned();
    let cookie = |t: &str| {
        let mut v: Vec<String> =
            t.lines().find_map(|l| l.strip_prefix("cookie: ")).unwrap_or("").split("; ").map(String::from).collect();
        v.sort();
        v
    };
    assert_eq!(cookie(&ours), cookie(&curl_text), "{ours}\n{curl_text}");
}
