//! The lab's web host www.example.test: port 80 redirects every request to
//! https (301), port 443 serves a small page and its sub-resources over TLS
//! (HTTP/2 or HTTP/1.1 by ALPN) with Strict-Transport-Security.

use super::pki::Pki;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::TcpListener;
use std::sync::Arc;

pub const HOST: &str = "www.example.test";
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The page and what it references: a stylesheet, a script, an image and an icon.
pub const PAGE: &str = "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<title>www.example.test: the netwalk lab</title>
<link rel=\"stylesheet\" href=\"/style.css\">
<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">
<script src=\"/app.js\" defer></script>
</head>
<body>
<h1>Hello from the lab</h1>
<img src=\"/logo.svg\" alt=\"the lab logo\" width=\"64\" height=\"64\">
<p>This page came over a DHCP lease, three DNS zones, two ISP routers and TLS from the lab CA.</p>
</body>
</html>
";

const STYLE: &str = "body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }\nh1 { color: #246; }\n";
const SCRIPT: &str = "document.addEventListener('DOMContentLoaded', () => { document.title += ' (script ran)'; });\n";
const LOGO: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><circle cx=\"32\" cy=\"32\" r=\"28\" fill=\"#246\"/></svg>\n";
const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"16\" height=\"16\"><rect width=\"16\" height=\"16\" fill=\"#246\"/></svg>\n";

/// Every path the https site serves, with its content type and body.
pub const RESOURCES: &[(&str, &str, &str)] = &[
    ("/", "text/html; charset=utf-8", PAGE),
    ("/style.css", "text/css", STYLE),
    ("/app.js", "text/javascript", SCRIPT),
    ("/logo.svg", "image/svg+xml", LOGO),
    ("/favicon.svg", "image/svg+xml", ICON),
];

type Reply = Response<Full<Bytes>>;

fn plain(req: &Request<Incoming>) -> Reply {
    let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let location = format!("https://{HOST}{target}");
    Response::builder()
        .status(301)
        .header("location", &location)
        .header("content-type", "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(format!("<a href=\"{location}\">moved permanently</a>\n"))))
        .unwrap_or_default()
}

fn secure(req: &Request<Incoming>) -> Reply {
    let found = RESOURCES.iter().find(|(path, _, _)| *path == req.uri().path());
    let (status, ctype, body, cache) = match found {
        Some((_, ctype, body)) => (200, *ctype, *body, "public, max-age=300"),
        None => (404, "text/plain; charset=utf-8", "not found\n", "no-store"),
    };
    Response::builder()
        .status(status)
        .header("strict-transport-security", HSTS)
        .header("content-type", ctype)
        .header("cache-control", cache)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap_or_default()
}

fn acceptor(pki: &Pki) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = vec![CertificateDer::from_pem_slice(pki.cert_pem.as_bytes()).map_err(|e| format!("lab cert: {e}"))?];
    let key = PrivateKeyDer::from_pem_slice(pki.key_pem.as_bytes()).map_err(|e| format!("lab key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| format!("lab TLS config: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves port 80 (`plain`) and 443 (`tls`) until the runtime stops.
pub async fn serve(plain_listener: TcpListener, tls_listener: TcpListener, pki: &Pki) -> Result<(), String> {
    let acceptor = acceptor(pki)?;
    let io = |e: std::io::Error| format!("web server socket: {e}");
    plain_listener.set_nonblocking(true).map_err(io)?;
    tls_listener.set_nonblocking(true).map_err(io)?;
    let plain_listener = tokio::net::TcpListener::from_std(plain_listener).map_err(io)?;
    let tls_listener = tokio::net::TcpListener::from_std(tls_listener).map_err(io)?;
    let http = async move {
        while let Ok((stream, _)) = plain_listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req| async move { Ok::<_, Infallible>(plain(&req)) });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    };
    let https = async move {
        while let Ok((stream, _)) = tls_listener.accept().await {
            // Small responses go out at once (Nagle would hold them for the client's delayed ACK).
            let _ = stream.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else { return };
                let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                let service = hyper::service::service_fn(|req| async move { Ok::<_, Infallible>(secure(&req)) });
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            });
        }
    };
    tokio::join!(http, https);
    Ok(())
}
