//! Redirect rules, pure: which statuses redirect, how the method changes
//! (RFC 9110 §15.4), where the Location points, loops and downgrades.

use url::Url;

/// The statuses `-L` follows.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The next request's method, and whether the body goes along.
/// 303 turns anything but HEAD into GET; 301/302 turn POST into GET (what
/// every user agent does, RFC 9110 §15.4.2-3); 307/308 keep both.
pub fn next_method(status: u16, method: &str) -> (String, bool) {
    match status {
        303 if method != "HEAD" => ("GET".into(), false),
        301 | 302 if method == "POST" => ("GET".into(), false),
        _ => (method.to_string(), true),
    }
}

/// Where a Location header points, resolved against the current URL.
pub fn target(current: &Url, location: &str) -> Result<Url, String> {
    let next = current.join(location.trim()).map_err(|e| format!("Location '{location}' is not a valid URL ({e})"))?;
    match next.scheme() {
        "http" | "https" => Ok(next),
        other => Err(format!("Location '{location}' uses the unsupported scheme '{other}'")),
    }
}

/// An https → http step: everything after it travels in clear text.
pub fn is_downgrade(from: &Url, to: &Url) -> bool {
    from.scheme() == "https" && to.scheme() == "http"
}

/// Whether credentials must be dropped: the next hop is another host.
pub fn crosses_host(from: &Url, to: &Url) -> bool {
    from.host_str() != to.host_str() || from.port_or_known_default() != to.port_or_known_default()
}

/// The loop, if `next` (with `method`) was already requested in this chain.
pub fn find_loop(visited: &[(String, Url)], method: &str, next: &Url) -> Option<String> {
    let start = visited.iter().position(|(m, u)| m == method && u == next)?;
    let mut path: Vec<String> = visited[start..].iter().map(|(_, u)| u.to_string()).collect();
    path.push(next.to_string());
    Some(path.join(" → "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn method_rules() {
        assert_eq!(next_method(303, "POST"), ("GET".into(), false));
        assert_eq!(next_method(303, "PUT"), ("GET".into(), false));
        assert_eq!(next_method(303, "HEAD"), ("HEAD".into(), true));
        assert_eq!(next_method(301, "POST"), ("GET".into(), false));
        assert_eq!(next_method(302, "POST"), ("GET".into(), false));
        assert_eq!(next_method(302, "PUT"), ("PUT".into(), true));
        assert_eq!(next_method(307, "POST"), ("POST".into(), true));
        assert_eq!(next_method(308, "PATCH"), ("PATCH".into(), true));
        assert!([301, 302, 303, 307, 308].iter().all(|s| is_redirect(*s)));
        assert!(!is_redirect(304) && !is_redirect(300) && !is_redirect(200));
    }

    #[test]
    fn locations_resolve_relative_and_reject_other_schemes() {
        let here = url("https://web.test/a/b?x=1");
        assert_eq!(target(&here, "c").unwrap().as_str(), "https://web.test/a/c");
        assert_eq!(target(&here, "/d").unwrap().as_str(), "https://web.test/d");
        assert_eq!(target(&here, "//other.test/e").unwrap().as_str(), "https://other.test/e");
        assert_eq!(target(&here, "http://web.test/").unwrap().as_str(), "http://web.test/");
        assert!(target(&here, "ftp://web.test/").unwrap_err().contains("unsupported scheme"));
        assert!(target(&here, "http://[::1").is_err());
    }

    #[test]
    fn loops_downgrades_and_hosts() {
        let (a, b) = (url("http://web.test/a"), url("http://web.test/b"));
        let visited = vec![("GET".to_string(), a.clone()), ("GET".to_string(), b.clone())];
        assert_eq!(
            find_loop(&visited, "GET", &a).unwrap(),
            "http://web.test/a → http://web.test/b → http://web.test/a"
        );
        assert!(find_loop(&visited, "POST", &a).is_none());
        assert!(find_loop(&visited, "GET", &url("http://web.test/c")).is_none());
        assert!(is_downgrade(&url("https://web.test/"), &a));
        assert!(!is_downgrade(&a, &url("https://web.test/")));
        assert!(crosses_host(&a, &url("http://other.test/a")));
        assert!(crosses_host(&a, &url("http://web.test:8080/a")));
        assert!(!crosses_host(&a, &b));
    }
}
