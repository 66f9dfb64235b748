//! hstspreload's preloadable and removable checks against a live domain, in
//! its order and with its codes: domain format and level, the HTTPS response
//! (redirects not followed) and its certificate chain and suite, a single
//! header that passes the header rules, the HTTP → HTTPS redirect rules, the
//! HTTPS redirect chain, and the www subdomain's TLS.
//!
//! The rules over what was fetched are pure functions (unit-tested below);
//! `preloadable` and `removable` only sequence them around the fetches.

use super::fetch::{ChainEnd, Fetcher, MAX_REDIRECTS, Response};
use super::header;
use super::issue::{Issues, quote};
use rustls::pki_types::CertificateDer;
use url::Url;

/// What an online check found: the issues, and the single header when there was one.
pub struct Outcome {
    pub issues: Issues,
    pub header: Option<String>,
}

/// hstspreload's getResponse: a verified GET of https://DOMAIN; when only an
/// unverified one works, `domain.tls.invalid_cert_chain` (and that response).
async fn get_response(fetch: &Fetcher, domain: &str) -> (Option<Response>, Issues) {
    let mut issues = Issues::default();
    let url = https(domain);
    let first = match fetch.first_response(&url, true).await {
        Ok(r) => return (Some(r), issues),
        Err(e) => e,
    };
    // hstspreload tries twice before it suspects the chain.
    let error = match fetch.first_response(&url, true).await {
        Ok(r) => return (Some(r), issues),
        Err(_) => first,
    };
    if let Ok(r) = fetch.first_response(&url, false).await {
        issues.error(
            "domain.tls.invalid_cert_chain",
            "Invalid Certificate Chain",
            format!("https://{domain} uses an incomplete or invalid certificate chain ({error})."),
        );
        return (Some(r), issues);
    }
    issues.error(
        "domain.tls.cannot_connect",
        "Cannot connect using TLS",
        format!("We cannot connect to https://{domain} using TLS ({error})."),
    );
    (None, issues)
}

fn https(domain: &str) -> Url {
    Url::parse(&format!("https://{domain}/")).expect("a checked domain makes a valid URL")
}

fn http(domain: &str) -> Url {
    Url::parse(&format!("http://{domain}/")).expect("a checked domain makes a valid URL")
}

/// hstspreload's `EligibleDomainResponse` (policy bulk-1-year).
pub async fn preloadable(fetch: &Fetcher, domain: &str, format_and_level: Issues) -> Outcome {
    let level_failed = super::domain::level(domain).has_errors();
    let mut issues = format_and_level;
    let (response, response_issues) = get_response(fetch, domain).await;
    let failed = response_issues.has_errors();
    issues.extend(response_issues);
    let Some(response) = response.filter(|_| !failed) else { return Outcome { issues, header: None } };

    if let Some(tls) = &response.tls {
        issues.extend(sha1(&tls.chain));
        let probed = if tls.version == "TLSv1.2" { fetch.tls12_choice(response.remote, domain).await } else { None };
        issues.extend(cipher_suite(&tls.version, probed, domain));
    }

    let (header, header_issues) = preloadable_response(&response.sts);
    let header_failed = header_issues.has_errors();
    issues.extend(header_issues);

    let (general, first_redirect_hsts) = http_redirects(fetch, domain).await;
    issues.extend(general);
    // Header problems already reported on the HTTPS response are not repeated.
    if !header_failed {
        issues.extend(first_redirect_hsts);
    }

    let start = https(domain);
    let (chain, end) = fetch.redirect_chain(&start).await;
    issues.extend(chain_end(&start, end));
    issues.extend(redirect_chain(&start, &chain));

    let suffix = super::domain::public_suffix(domain);
    if !level_failed && !ALLOWED_WWW_SUFFIXES.contains(&suffix) {
        issues.extend(www(fetch, domain).await);
    }
    Outcome { issues, header }
}

/// hstspreload's `RemovableDomain`: the HTTPS response must carry one header
/// without `preload` and with a valid max-age.
pub async fn removable(fetch: &Fetcher, domain: &str) -> Outcome {
    let (response, mut issues) = get_response(fetch, domain).await;
    let Some(response) = response.filter(|_| !issues.has_errors()) else { return Outcome { issues, header: None } };
    match single_header(&response.sts) {
        Ok(value) => {
            issues.extend(header::removable(value));
            Outcome { issues, header: Some(value.clone()) }
        }
        Err(single) => {
            issues.extend(single);
            Outcome { issues, header: None }
        }
    }
}

/// Suffixes where a www subdomain cannot have its own certificate (hstspreload's list).
const ALLOWED_WWW_SUFFIXES: &[&str] = &["appspot.com"];

/// hstspreload's checkSingleHeader.
pub fn single_header(values: &[String]) -> Result<&String, Issues> {
    let mut issues = Issues::default();
    match values {
        [one] => Ok(one),
        [] => {
            issues.error("response.no_header", "No HSTS header", "No HSTS header is present on the response.");
            Err(issues)
        }
        many => {
            issues.error(
                "response.multiple_headers",
                "Multiple HSTS headers",
                format!("The response has {} HSTS headers; it must have exactly one.", many.len()),
            );
            Err(issues)
        }
    }
}

/// hstspreload's PreloadableResponse: one header, then the header rules.
pub fn preloadable_response(values: &[String]) -> (Option<String>, Issues) {
    match single_header(values) {
        Ok(value) => (Some(value.clone()), header::preloadable_str(value).1),
        Err(issues) => (None, issues),
    }
}

const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
const ECDSA_WITH_SHA1: &str = "1.2.840.10045.4.1";

/// hstspreload's checkSHA1, over the served chain without its self-issued root.
pub fn sha1(chain: &[CertificateDer<'_>]) -> Issues {
    let mut issues = Issues::default();
    for der in chain {
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else { continue };
        if cert.tbs_certificate.subject.as_raw() == cert.tbs_certificate.issuer.as_raw() {
            continue;
        }
        let oid = cert.signature_algorithm.algorithm.to_id_string();
        if oid == SHA1_WITH_RSA || oid == ECDSA_WITH_SHA1 {
            let cn = cert.subject().iter_common_name().next().and_then(|c| c.as_str().ok()).unwrap_or("");
            issues.error(
                "domain.tls.sha1",
                "SHA-1 Certificate",
                format!(
                    "One or more of the certificates in the chain is signed using SHA-1 and must be replaced \
                     (the first one has common name {}).",
                    quote(cn)
                ),
            );
            break;
        }
    }
    issues
}

/// ECDHE with an AEAD cipher: the TLS 1.2 suites hstspreload accepts.
const MODERN_TLS12: &[u16] = &[0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030, 0xcca8];

/// hstspreload's checkCipherSuite: TLS 1.3 is modern; over TLS 1.2 the suite a
/// Go-like client gets (`probed`, see Fetcher::tls12_choice) must be ECDHE+AEAD.
pub fn cipher_suite(version: &str, probed: Option<u16>, domain: &str) -> Issues {
    let mut issues = Issues::default();
    if version == "TLSv1.3" {
        return issues;
    }
    if let Some(suite) = probed.filter(|s| !MODERN_TLS12.contains(s)) {
        issues.warning(
            "tls.obsolete_cipher_suite",
            "Obsolete Cipher Suite",
            format!(
                "https://{domain} picks {} for a client that also offers ECDHE with AES-GCM or ChaCha20: \
                 obsolete TLS settings.",
                crate::wire::tls_hello::suite_name(suite)
            ),
        );
    }
    issues
}

/// hstspreload's preloadableRedirectChain: every hop must be https.
pub fn redirect_chain(initial: &Url, chain: &[Url]) -> Issues {
    let mut issues = Issues::default();
    if let Some((i, url)) = chain.iter().enumerate().find(|(_, u)| u.scheme() != "https") {
        if i == 0 {
            issues.error(
                "redirects.insecure.initial",
                "Insecure redirect",
                format!("`{initial}` redirects to an insecure page: `{url}`."),
            );
        } else {
            issues.error(
                "redirects.insecure.subsequent",
                "Insecure redirect",
                format!("`{initial}` redirects to an insecure page on redirect #{}: `{url}`.", i + 1),
            );
        }
    }
    issues
}

/// The errors of preloadableRedirects: too many hops, or a hop that failed.
pub fn chain_end(initial: &Url, end: Option<ChainEnd>) -> Issues {
    let mut issues = Issues::default();
    match end {
        None => {}
        Some(ChainEnd::TooMany) => issues.error(
            "redirects.too_many",
            "Too many redirects",
            format!("There are more than {MAX_REDIRECTS} redirects starting from `{initial}`."),
        ),
        Some(ChainEnd::Failed(why)) => {
            issues.error("redirects.follow_error", "Error following redirects", format!("Redirect error: {why}"))
        }
    }
    issues
}

/// hstspreload's preloadableHTTPRedirects: (general issues, first-redirect HSTS issues).
async fn http_redirects(fetch: &Fetcher, domain: &str) -> (Issues, Issues) {
    let start = http(domain);
    let mut general = Issues::default();
    let mut first_hsts = Issues::default();
    match fetch.first_response(&start, true).await {
        Err(e) => {
            general.warning(
                "redirects.http.does_not_exist",
                "Unavailable over HTTP",
                format!(
                    "The site appears to be unavailable over plain HTTP at {start} ({e}); browsers that do not \
                     have the preload list yet cannot reach it by typing the bare name."
                ),
            );
            return (general, first_hsts);
        }
        Ok(r) if !r.sts.is_empty() => general.warning(
            "redirects.http.useless_header",
            "Unnecessary HSTS header over HTTP",
            format!("The HTTP page at {start} sends an HSTS header; it has no effect over HTTP and should be removed."),
        ),
        Ok(_) => {}
    }
    let (chain, end) = fetch.redirect_chain(&start).await;
    general.extend(chain_end(&start, end));
    let target = https(domain);
    let Some(first) = chain.first() else {
        general.error(
            "redirects.http.no_redirect",
            "No redirect from HTTP",
            format!("`{start}` does not redirect to `{target}`."),
        );
        return (general, first_hsts);
    };
    match first_redirect(first, domain) {
        FirstRedirect::SameHostHttps => {
            match fetch.first_response(first, true).await {
                Err(e) => first_hsts.error(
                    "redirects.http.first_redirect.invalid",
                    "Invalid redirect",
                    format!("`{start}` redirects to `{first}`, which we could not connect to: {e}"),
                ),
                Ok(r) => {
                    let (_, issues) = preloadable_response(&r.sts);
                    if let Some(err) = issues.errors().next() {
                        first_hsts.error(
                            "redirects.http.first_redirect.no_hsts",
                            "HTTP redirects to a page without HSTS",
                            format!(
                                "`{start}` redirects to `{first}`, which does not serve an HSTS header that \
                                 satisfies the preload conditions. First error: {}",
                                err.summary
                            ),
                        );
                    }
                }
            }
            general.extend(redirect_chain(&start, &chain));
        }
        FirstRedirect::Www => general.error(
            "redirects.http.www_first",
            "HTTP redirects to www first",
            format!(
                "`{start}` (HTTP) should immediately redirect to `{target}` (HTTPS) before adding the www \
                 subdomain; the first redirect is to `{first}`. Only then do browsers record HSTS for the \
                 domain itself, not just for www."
            ),
        ),
        FirstRedirect::Elsewhere => general.error(
            "redirects.http.first_redirect.insecure",
            "HTTP does not redirect to HTTPS",
            format!(
                "`{start}` (HTTP) redirects to `{first}`; the first redirect from `{start}` should be to a \
                 secure page on the same host (`{target}`)."
            ),
        ),
    }
    (general, first_hsts)
}

#[derive(Debug, PartialEq, Eq)]
pub enum FirstRedirect {
    SameHostHttps,
    Www,
    Elsewhere,
}

/// Where the first redirect from http://DOMAIN goes, as hstspreload sorts it.
pub fn first_redirect(first: &Url, domain: &str) -> FirstRedirect {
    let host = first.host_str().unwrap_or_default();
    if first.scheme() == "https" && host == domain {
        FirstRedirect::SameHostHttps
    } else if host.strip_prefix("www.") == Some(domain) {
        FirstRedirect::Www
    } else {
        FirstRedirect::Elsewhere
    }
}

/// hstspreload's checkWWW: when www.DOMAIN accepts TCP on 443 it must speak
/// (verified) TLS there.
async fn www(fetch: &Fetcher, domain: &str) -> Issues {
    let mut issues = Issues::default();
    let www = format!("www.{domain}");
    if fetch.tcp_open(&www, 443).await
        && let Err(e) = fetch.tls_dial(&www).await
    {
        issues.error(
            "domain.www.no_tls",
            "www subdomain does not support HTTPS",
            format!(
                "The www subdomain exists, but we could not connect to it using HTTPS ({e}). Since many people \
                 type it by habit, preloading would likely break the site for them."
            ),
        );
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn one_header_exactly() {
        assert_eq!(single_header(&[]).unwrap_err().codes(), ["response.no_header"]);
        let two = ["max-age=1".to_string(), "max-age=2".to_string()];
        let err = single_header(&two).unwrap_err();
        assert_eq!(err.codes(), ["response.multiple_headers"]);
        assert!(err.0[0].message.contains("2 HSTS headers"));
        assert_eq!(single_header(&two[..1]).unwrap(), "max-age=1");
        let (value, issues) = preloadable_response(&["max-age=31536000; includeSubDomains; preload".into()]);
        assert!(value.is_some() && issues.0.is_empty());
    }

    #[test]
    fn redirect_chains_must_stay_https() {
        let start = url("https://example.test/");
        assert!(redirect_chain(&start, &[url("https://example.test/a")]).0.is_empty());
        assert_eq!(redirect_chain(&start, &[url("http://example.test/")]).codes(), ["redirects.insecure.initial"]);
        let later = redirect_chain(&start, &[url("https://example.test/a"), url("http://example.test/b")]);
        assert_eq!(later.codes(), ["redirects.insecure.subsequent"]);
        assert!(later.0[0].message.contains("redirect #2"));
        assert_eq!(chain_end(&start, Some(ChainEnd::TooMany)).codes(), ["redirects.too_many"]);
        assert_eq!(chain_end(&start, Some(ChainEnd::Failed("x".into()))).codes(), ["redirects.follow_error"]);
        assert!(chain_end(&start, None).0.is_empty());
    }

    #[test]
    fn first_redirect_kinds() {
        assert_eq!(first_redirect(&url("https://example.test/x"), "example.test"), FirstRedirect::SameHostHttps);
        assert_eq!(first_redirect(&url("https://www.example.test/"), "example.test"), FirstRedirect::Www);
        assert_eq!(first_redirect(&url("http://www.example.test/"), "example.test"), FirstRedirect::Www);
        assert_eq!(first_redirect(&url("http://example.test/"), "example.test"), FirstRedirect::Elsewhere);
        assert_eq!(first_redirect(&url("https://other.test/"), "example.test"), FirstRedirect::Elsewhere);
        assert_eq!(first_redirect(&url("https://wwwexample.test/"), "example.test"), FirstRedirect::Elsewhere);
    }

    #[test]
    fn cipher_suites() {
        assert!(cipher_suite("TLSv1.3", None, "a.test").0.is_empty());
        assert!(cipher_suite("TLSv1.2", Some(0xc02f), "a.test").0.is_empty());
        assert!(cipher_suite("TLSv1.2", None, "a.test").0.is_empty());
        let old = cipher_suite("TLSv1.2", Some(0x002f), "a.test");
        assert_eq!(old.codes(), ["tls.obsolete_cipher_suite"]);
        assert!(old.0[0].message.contains("TLS_RSA_WITH_AES_128_CBC_SHA"), "{}", old.0[0].message);
    }

    /// A leaf signed with sha1WithRSAEncryption by "netwalk sha1 CA" (made
    /// once with `openssl x509 -sha1`; rcgen cannot sign with SHA-1).
    const SHA1_LEAF: &str = include_str!("../../../tests/fixtures/sha1-leaf.pem");

    #[test]
    fn sha1_signatures_are_found_and_roots_ignored() {
        use rustls::pki_types::pem::PemObject;
        let leaf = CertificateDer::from_pem_slice(SHA1_LEAF.as_bytes()).unwrap();
        let issues = sha1(std::slice::from_ref(&leaf));
        assert_eq!(issues.codes(), ["domain.tls.sha1"]);
        assert!(issues.0[0].message.contains("sha1.test"), "{}", issues.0[0].message);
        // A modern leaf from rcgen (ECDSA with SHA-256) under a CA passes.
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let modern =
            rcgen::CertificateParams::new(vec!["a.test".to_string()]).unwrap().signed_by(&key, &issuer).unwrap();
        assert!(sha1(&[modern.der().clone()]).0.is_empty());
    }
}
