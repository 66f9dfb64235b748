//! `netwalk hsts-check DOMAIN` against real HTTPS and HTTP servers in the
//! lab: one in-process hyper server answers on 443 (tokio-rustls, a cert from
//! an rcgen lab CA for every name) and 80 for many `.test` sites at once, and
//! behaves per site by the Host header. A second address serves plain HTTP on
//! 443, the "www without TLS" case. Every case asserts hstspreload's codes,
//! exactly and in order, and the exit code.

use crate::http_peers;
use crate::lab;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use lab::{Host, Lab};
use serde_json::Value;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Output;

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");
const GOOD: &str = "max-age=63072000; includeSubDomains; preload";

/// Every site the server knows; each also has a www name.
const SITES: &[&str] = &[
    "ok.test",
    "nohdr.test",
    "low.test",
    "zero.test",
    "quoted.test",
    "leadzero.test",
    "nosub.test",
    "nopreload.test",
    "repeated.test",
    "unknown.test",
    "twohdr.test",
    "httphdr.test",
    "noredir.test",
    "wwwfirst.test",
    "elsewhere.test",
    "fourhops.test",
    "insecure.test",
    "nowww.test",
    "removed.test",
];

/// The site's HSTS header values over HTTPS.
fn sts(site: &str) -> Vec<&'static str> {
    match site {
        "nohdr.test" => vec![],
        "low.test" => vec!["max-age=86400; includeSubDomains; preload"],
        "zero.test" => vec!["max-age=0; includeSubDomains; preload"],
        "quoted.test" => vec!["max-age=\"63072000\"; includeSubDomains; preload"],
        "leadzero.test" => vec!["max-age=063072000; includeSubDomains; preload"],
        "nosub.test" => vec!["max-age=63072000; preload"],
        "nopreload.test" => vec!["max-age=63072000; includeSubDomains"],
        "repeated.test" => vec!["max-age=63072000; max-age=63072000; includeSubDomains; preload"],
        "unknown.test" => vec!["max-age=63072000; includeSubDomains; preload; report-uri=\"/r\""],
        "twohdr.test" => vec![GOOD, GOOD],
        "removed.test" => vec!["max-age=0"],
        _ => vec![GOOD],
    }
}

/// How each site answers: (status, headers).
fn route(tls: bool, host: &str, path: &str) -> (u16, Vec<(&'static str, String)>) {
    let host = host.split(':').next().unwrap_or_default();
    let site = host.strip_prefix("www.").unwrap_or(host);
    let go = |to: String| (301, vec![("location", to)]);
    let with_sts = |(status, mut headers): (u16, Vec<(&'static str, String)>)| {
        headers.extend(sts(site).into_iter().map(|v| ("strict-transport-security", v.to_string())));
        (status, headers)
    };
    if !tls {
        return match (site, host.starts_with("www."), path) {
            ("noredir.test", _, _) => (200, vec![]),
            ("wwwfirst.test", false, _) => go("http://www.wwwfirst.test/".into()),
            ("elsewhere.test", _, _) => go("https://ok.test/".into()),
            ("insecure.test", _, "/plain") => (200, vec![]),
            ("httphdr.test", _, _) => {
                (301, vec![("location", "https://httphdr.test/".into()), ("strict-transport-security", GOOD.into())])
            }
            _ => go(format!("https://{host}/")),
        };
    }
    match (site, path) {
        ("fourhops.test", "/") => with_sts(go("/1".into())),
        ("fourhops.test", "/1") => go("/2".into()),
        ("fourhops.test", "/2") => go("/3".into()),
        ("fourhops.test", "/3") => go("/4".into()),
        ("insecure.test", "/") => with_sts(go("/a".into())),
        ("insecure.test", "/a") => go("http://insecure.test/plain".into()),
        _ => with_sts((200, vec![])),
    }
}

async fn handle(req: Request<hyper::body::Incoming>, tls: bool) -> Result<Response<Full<Bytes>>, Infallible> {
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or(req.uri().host())
        .unwrap_or_default()
        .to_string();
    let (status, headers) = route(tls, &host, req.uri().path());
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(name, value);
    }
    Ok(response.body(Full::new(Bytes::from_static(b"hsts lab\n"))).unwrap())
}

/// Serves `route` on each (listener, tls) from a thread that outlives the test body.
fn serve(listeners: Vec<(TcpListener, bool)>, pki: &http_peers::Pki) {
    let acceptor = http_peers::tls_acceptor(pki);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for (listener, tls) in listeners {
                listener.set_nonblocking(true).unwrap();
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let acceptor = acceptor.clone();
                tasks.push(tokio::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            let service = hyper::service::service_fn(move |req| handle(req, tls));
                            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                            if tls {
                                let Ok(stream) = acceptor.accept(stream).await else { return };
                                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                            } else {
                                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                            }
                        });
                    }
                }));
            }
            for t in tasks {
                let _ = t.await;
            }
        });
    });
}

pub(crate) struct Sites {
    _lab: Lab,
    pub(crate) client: Host,
    pub(crate) ca: PathBuf,
}

/// client — server. The server has 198.18.1.2 (every site and its www, 80
/// and 443) and 198.18.1.3 (www.nowww.test and plain.test: plain HTTP on 443).
pub(crate) fn sites() -> Sites {
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr = lab.addr_of("server", 4);
    let IpAddr::V4(v4) = addr else { panic!("server address {addr}") };
    let second = IpAddr::from([v4.octets()[0], v4.octets()[1], v4.octets()[2], v4.octets()[3] + 1]);
    server.sh(&format!("ip addr add {second}/24 dev eth0"));
    let mut names: Vec<String> = Vec::new();
    for site in SITES {
        names.push(site.to_string());
        names.push(format!("www.{site}"));
    }
    names.push("sub.ok.test".into());
    // A hostile peer: plain HTTP where TLS is expected.
    names.push("plain.test".into());
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let pki = http_peers::pki(&refs);
    serve(
        vec![
            (server.tcp_listener(SocketAddr::new(addr, 443)), true),
            (server.tcp_listener(SocketAddr::new(addr, 80)), false),
            (server.tcp_listener(SocketAddr::new(second, 443)), false),
        ],
        &pki,
    );
    for name in &names {
        let to = if name == "www.nowww.test" || name == "plain.test" { second } else { addr };
        client.set_hosts_entry(name, to);
    }
    // Nothing listens on this address's 80 or 443.
    client.set_hosts_entry("closed.test", lab.addr_of("client", 4));
    let ca = lab.dir().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    Sites { _lab: lab, client, ca }
}

impl Sites {
    fn check(&self, args: &[&str]) -> (i32, Value, Output) {
        let ca = self.ca.to_str().unwrap();
        let out = self
            .client
            .command(NETWALK)
            .args(["hsts-check", "--json", "--ca-file", ca])
            .args(args)
            .output()
            .expect("run netwalk");
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), v, out)
    }
}

fn codes(v: &Value) -> Vec<String> {
    v["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn every_preload_requirement_yields_its_hstspreload_codes() {
    let s = sites();
    let cases: &[(&str, &[&str], i32)] = &[
        ("ok.test", &[], 0),
        ("nohdr.test", &["response.no_header"], 1),
        ("low.test", &["header.preloadable.max_age.below_1_year"], 1),
        ("zero.test", &["header.preloadable.max_age.zero"], 1),
        ("quoted.test", &["header.parse.max_age.non_digit_characters", "header.preloadable.max_age.missing"], 1),
        ("leadzero.test", &["header.parse.max_age.leading_zero"], 0),
        ("nosub.test", &["header.preloadable.include_sub_domains.missing"], 1),
        ("nopreload.test", &["header.preloadable.preload.missing"], 1),
        ("repeated.test", &["header.parse.repeated.max_age"], 0),
        ("unknown.test", &["header.parse.unknown_directive"], 0),
        ("twohdr.test", &["response.multiple_headers"], 1),
        ("httphdr.test", &["redirects.http.useless_header"], 0),
        ("noredir.test", &["redirects.http.no_redirect"], 1),
        ("wwwfirst.test", &["redirects.http.www_first"], 1),
        ("elsewhere.test", &["redirects.http.first_redirect.insecure"], 1),
        // http → https://fourhops.test/ → /1 → /2 → /3, and https / → /1 → /2 → /3 → /4.
        ("fourhops.test", &["redirects.too_many", "redirects.too_many"], 1),
        // http → https / → /a → http /plain (hop 3); https / → /a → http /plain (hop 2).
        ("insecure.test", &["redirects.insecure.subsequent", "redirects.insecure.subsequent"], 1),
        ("nowww.test", &["domain.www.no_tls"], 1),
        // Checked all the same, without the www check (hstspreload skips it for subdomains).
        ("sub.ok.test", &["domain.is_subdomain"], 1),
        ("closed.test", &["domain.tls.cannot_connect"], 1),
        ("plain.test", &["domain.tls.cannot_connect"], 1),
    ];
    let mut failures = Vec::new();
    for (domain, want, exit) in cases {
        let (code, v, out) = s.check(&[domain]);
        let got = codes(&v);
        if got != *want || code != *exit {
            failures.push(format!(
                "{domain}: exit {code} codes {got:?}, want exit {exit} codes {want:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        assert_eq!(v["mode"], "preloadable", "{domain}");
        assert_eq!(v["preload"]["preloaded"], false, "{domain}: .test names are not on the list");
        for issue in v["issues"].as_array().unwrap() {
            assert!(!issue["summary"].as_str().unwrap().is_empty() && !issue["message"].as_str().unwrap().is_empty());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The header read from the site is reported with both readings.
    let (_, v, _) = s.check(&["quoted.test"]);
    assert_eq!(v["header"]["value"], "max-age=\"63072000\"; includeSubDomains; preload");
    assert_eq!(v["header"]["rfc6797"]["honoured"], true);
    let (_, v, _) = s.check(&["insecure.test"]);
    let messages: Vec<&str> = v["issues"].as_array().unwrap().iter().map(|i| i["message"].as_str().unwrap()).collect();
    assert!(
        messages[0].contains("`http://insecure.test/` redirects to an insecure page on redirect #3"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("`https://insecure.test/` redirects to an insecure page on redirect #2"),
        "{messages:?}"
    );
}

#[test]
fn an_untrusted_chain_and_the_removal_check() {
    let s = sites();
    // Without --ca-file the lab CA is unknown: the site answers only to an unverified client.
    let out = s.client.command(NETWALK).args(["hsts-check", "--json", "ok.test"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((out.status.code(), codes(&v)), (Some(1), vec!["domain.tls.invalid_cert_chain".to_string()]));
    assert!(v["issues"][0]["message"].as_str().unwrap().contains("https://ok.test"));

    let (code, v, _) = s.check(&["--removable", "removed.test"]);
    assert_eq!((code, codes(&v), v["verdict"].as_str()), (0, vec![], Some("removable")));
    assert_eq!(v["header"]["value"], "max-age=0");
    let (code, v, _) = s.check(&["--removable", "ok.test"]);
    assert_eq!((code, codes(&v)), (1, vec!["header.removable.contains.preload".to_string()]));
    let (code, v, _) = s.check(&["--removable", "twohdr.test"]);
    assert_eq!((code, codes(&v)), (1, vec!["response.multiple_headers".to_string()]));
    let (code, v, _) = s.check(&["--removable", "nohdr.test"]);
    assert_eq!((code, codes(&v)), (1, vec!["response.no_header".to_string()]));
}

#[test]
fn human_output_lists_code_summary_and_message() {
    let s = sites();
    let ca = s.ca.to_str().unwrap();
    let out = s
        .client
        .command(NETWALK)
        .args(["hsts-check", "--ca-file", ca, "wwwfirst.test"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("redirects.http.www_first"), "{text}");
    assert!(text.contains("HTTP redirects to www first"), "{text}");
    assert!(text.contains("Strict-Transport-Security: max-age=63072000; includeSubDomains; preload"), "{text}");
    assert!(text.contains("not preloaded"), "{text}");
    assert!(text.contains("Verdict: not preloadable (1 errors, 0 warnings)"), "{text}");
}
