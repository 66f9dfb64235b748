//! The cookie engine (cookie_store, RFC 6265): every Set-Cookie of a run is
//! kept and sent back where it belongs, redirects included (a login that
//! sets its session cookie on a 302 keeps it); `-b` adds cookies (literal
//! `name=value; …` or a jar file), `-c FILE` saves the jar at the end. Jar
//! files are curl's Netscape format, so the two tools share them.

use crate::error::Error;
use cookie_store::{CookieDomain, CookieExpiration, CookieStore, RawCookie};
use hyper::header::{HeaderMap, HeaderValue};
use std::path::{Path, PathBuf};
use url::Url;

/// A jar file larger than this is refused (curl's are a few KiB).
const JAR_CAP: u64 = 16 << 20;

pub struct Jar {
    store: CookieStore,
    /// `-b 'a=1; b=2'`: sent with every request, as curl does.
    literal: Vec<String>,
    save_to: Option<PathBuf>,
}

impl Jar {
    /// `-b` values (each literal cookies when it holds '=', else a jar file;
    /// a missing file is an empty jar, as with curl) and `-c FILE`.
    pub fn new(b: &[String], c: Option<&Path>) -> Result<Jar, Error> {
        let mut jar = Jar { store: CookieStore::new(), literal: Vec::new(), save_to: c.map(Path::to_path_buf) };
        for value in b {
            if value.contains('=') {
                jar.literal.push(value.trim().trim_end_matches(';').to_string());
                continue;
            }
            let path = Path::new(value);
            if !path.exists() {
                continue;
            }
            let text = crate::input::read_text_capped("-b", path, JAR_CAP)?;
            jar.load(&text);
        }
        Ok(jar)
    }

    /// Netscape lines (`domain flag path secure expires name value`); a
    /// `#HttpOnly_` prefix marks HttpOnly; other `#` lines are comments;
    /// lines that do not parse or have expired are skipped, as curl skips them.
    fn load(&mut self, text: &str) {
        for line in text.lines() {
            let (http_only, line) = match line.strip_prefix("#HttpOnly_") {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [domain, subdomains, path, secure, expires, name, value] = fields[..] else { continue };
            let host = domain.trim_start_matches('.');
            let secure = secure.eq_ignore_ascii_case("TRUE");
            let Ok(url) = Url::parse(&format!("{}://{host}{path}", if secure { "https" } else { "http" })) else {
                continue;
            };
            let mut raw = RawCookie::new(name.to_string(), value.to_string());
            raw.set_path(path.to_string());
            raw.set_secure(secure);
            raw.set_http_only(http_only);
            if subdomains.eq_ignore_ascii_case("TRUE") {
                raw.set_domain(host.to_string());
            }
            match expires.parse::<i64>() {
                Ok(0) | Err(_) => {}
                Ok(at) => match time::OffsetDateTime::from_unix_timestamp(at) {
                    Ok(at) => raw.set_expires(at),
                    Err(_) => continue,
                },
            }
            let _ = self.store.insert_raw(&raw, &url);
        }
    }

    /// The Cookie header for a request to `url`, if any cookie applies.
    pub fn header(&self, url: &Url) -> Option<HeaderValue> {
        let mut pairs: Vec<String> = self.literal.clone();
        // RFC 6265 5.4: longer paths first; then by name, so the order is stable.
        let mut matching = self.store.matches(url);
        matching.sort_by_key(|c| (std::cmp::Reverse(c.path.len()), c.name().to_string()));
        pairs.extend(matching.iter().map(|c| format!("{}={}", c.name(), c.value())));
        if pairs.is_empty() {
            return None;
        }
        let mut value = HeaderValue::from_str(&pairs.join("; ")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Keeps the Set-Cookie fields of a response from `url`.
    pub fn store(&mut self, headers: &HeaderMap, url: &Url) {
        let cookies = headers
            .get_all(hyper::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| RawCookie::parse(v.to_string()).ok());
        self.store.store_response_cookies(cookies, url);
    }

    /// Writes the jar for `-c` (curl's header line first; session cookies
    /// with expiry 0, as curl writes them).
    pub fn save(&self) -> Result<(), Error> {
        let Some(path) = &self.save_to else { return Ok(()) };
        let mut text = String::from("# Netscape HTTP Cookie File\n# Written by netwalk; curl reads it with -b.\n\n");
        for cookie in self.store.iter_unexpired() {
            let (domain, subdomains) = match &cookie.domain {
                CookieDomain::HostOnly(d) => (d.clone(), "FALSE"),
                CookieDomain::Suffix(d) => (format!(".{d}"), "TRUE"),
                _ => continue,
            };
            let expires = match cookie.expires {
                CookieExpiration::AtUtc(at) => at.unix_timestamp(),
                CookieExpiration::SessionEnd => 0,
            };
            let prefix = if cookie.http_only().unwrap_or(false) { "#HttpOnly_" } else { "" };
            let secure = if cookie.secure().unwrap_or(false) { "TRUE" } else { "FALSE" };
            let path_attr: &str = cookie.path.as_ref();
            text += &format!(
                "{prefix}{domain}\t{subdomains}\t{path_attr}\t{secure}\t{expires}\t{}\t{}\n",
                cookie.name(),
                cookie.value()
            );
        }
        std::fs::write(path, text).map_err(|e| Error::io(format!("cannot write the cookie jar {}", path.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_netscape_jar_round_trips_and_scopes_by_domain_and_path() {
        let text = "# Netscape HTTP Cookie File\n\
                    web.test\tFALSE\t/\tFALSE\t0\tsid\tabc\n\
                    .web.test\tTRUE\t/app\tTRUE\t4102444800\tpref\tdark\n\
                    #HttpOnly_web.test\tFALSE\t/\tFALSE\t0\thid\t1\n\
                    old.test\tFALSE\t/\tFALSE\t1\tgone\tx\n\
                    garbage line\n";
        let mut jar = Jar { store: CookieStore::new(), literal: vec!["lit=1".into()], save_to: None };
        jar.load(text);
        let header = |u: &str| jar.header(&Url::parse(u).unwrap()).map(|v| v.to_str().unwrap().to_string());
        let plain = header("http://web.test/").unwrap();
        assert!(plain.starts_with("lit=1; ") && plain.contains("sid=abc") && plain.contains("hid=1"), "{plain}");
        assert!(!plain.contains("pref"), "secure and /app only: {plain}");
        assert!(header("https://www.web.test/app/x").unwrap().contains("pref=dark"));
        assert!(!header("http://sub.web.test/").unwrap().contains("sid"), "host-only");
        assert_eq!(header("http://old.test/").unwrap(), "lit=1", "expired");

        let mut headers = HeaderMap::new();
        headers.append(hyper::header::SET_COOKIE, HeaderValue::from_static("new=2; Path=/; Max-Age=3600"));
        jar.store(&headers, &Url::parse("http://web.test/login").unwrap());
        let after = jar.header(&Url::parse("http://web.test/").unwrap()).unwrap();
        assert!(after.to_str().unwrap().contains("new=2"), "{after:?}");
    }
}
