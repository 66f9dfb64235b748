//! The domain rules of hstspreload: format, then level (the domain must be its
//! own eTLD+1). The public suffix list is the `psl` crate's compiled-in copy.
//!
//! A TLD the list does not know (`.test`, used by the lab) falls under the
//! list's default rule `*`: its suffix is the TLD itself, so `example.test` is
//! an eTLD+1 and `www.example.test` a subdomain, exactly as `example.com` and
//! `www.example.com`. golang.org/x/net/publicsuffix, which hstspreload uses,
//! applies the same default rule.

use super::issue::Issues;

/// The public suffix of a lower-case A-label name (the default rule `*` for unknown TLDs).
pub fn public_suffix(domain: &str) -> &str {
    psl::suffix_str(domain).unwrap_or_else(|| domain.rsplit('.').next().unwrap_or(domain))
}

/// The registrable domain (eTLD+1), `None` when the name is a public suffix.
pub fn registrable(domain: &str) -> Option<&str> {
    psl::domain_str(domain)
}

/// hstspreload's `checkDomainFormat`, in its order.
pub fn format(domain: &str) -> Issues {
    let mut issues = Issues::default();
    if domain.starts_with('.') {
        issues.error("domain.format.begins_with_dot", "Invalid domain name", "The domain begins with `.`.");
    } else if domain.ends_with('.') {
        issues.error("domain.format.ends_with_dot", "Invalid domain name", "The domain ends with `.`.");
    } else if domain.contains("..") {
        issues.error("domain.format.contains_double_dot", "Invalid domain name", "The domain contains `..`.");
    } else if public_suffix(domain) == domain {
        issues.error(
            "domain.format.public_suffix",
            "Domain is a TLD or public suffix",
            format!(
                "`{domain}` is a public suffix (a TLD or another name on publicsuffix.org's list); \
                 give a registered domain such as example.{domain}."
            ),
        );
    } else if !domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        issues.error(
            "domain.format.invalid_characters",
            "Invalid domain name",
            "A domain uses letters, digits, dashes and dots only.",
        );
    }
    issues
}

/// hstspreload's `preloadableDomainLevel`: only whole registered domains are accepted.
pub fn level(domain: &str) -> Issues {
    let mut issues = Issues::default();
    match registrable(domain) {
        None => issues.error("internal.domain.name.cannot_compute_etld1", "Internal Error", "No eTLD+1 for this name."),
        Some(etld1) if etld1 != domain => issues.error(
            "domain.is_subdomain",
            "Subdomain",
            format!(
                "`{domain}` is a subdomain; only whole registered domains are preloaded, so preload `{etld1}` instead."
            ),
        ),
        Some(_) => {}
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etld_plus_one_with_known_and_unknown_tlds() {
        assert_eq!(registrable("www.example.com"), Some("example.com"));
        assert_eq!(registrable("a.b.example.co.uk"), Some("example.co.uk"));
        assert_eq!(registrable("www.example.test"), Some("example.test"));
        assert_eq!(registrable("test"), None);
        assert_eq!(public_suffix("example.test"), "test");
        assert_eq!(public_suffix("foo.github.io"), "github.io");
    }

    #[test]
    fn format_and_level_codes() {
        for (domain, code) in [
            (".example.test", Some("domain.format.begins_with_dot")),
            ("example.test.", Some("domain.format.ends_with_dot")),
            ("a..test", Some("domain.format.contains_double_dot")),
            ("co.uk", Some("domain.format.public_suffix")),
            ("test", Some("domain.format.public_suffix")),
            ("exa_mple.test", Some("domain.format.invalid_characters")),
            ("example.test", None),
        ] {
            assert_eq!(format(domain).codes().first().copied(), code, "{domain}");
        }
        assert_eq!(level("www.example.test").codes(), ["domain.is_subdomain"]);
        assert!(level("www.example.test").0[0].message.contains("`example.test`"));
        assert_eq!(level("example.co.uk").codes(), Vec::<&str>::new());
    }
}
