//! The Strict-Transport-Security header, read two ways:
//!
//! * as hstspreload reads it ([`parse`], [`preloadable`], [`removable`]): the
//!   value split on `;`, directives trimmed and matched case-insensitively, with
//!   hstspreload's issue codes, so a verdict here is the verdict of hstspreload.org;
//! * as a user agent following RFC 6797 §6.1 reads it ([`rfc6797`]): tokens,
//!   quoted-string values, optional whitespace around `=`, each directive at most
//!   once. Where the two disagree (a quoted max-age, `max-age = 1`), both are shown.
//!
//! Pure functions over a string: no I/O, linear in the header's length.

use super::issue::{Issues, quote};
use serde::Serialize;

pub const ONE_YEAR: u64 = 86_400 * 365;
pub const TEN_YEARS: u64 = 10 * ONE_YEAR;

/// What hstspreload understood of a header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Header {
    /// Seconds; `None` when there was no valid max-age directive.
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    pub preload: bool,
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len() && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// hstspreload's `ParseHeaderString`: syntax issues only, no preload judgement.
pub fn parse(value: &str) -> (Header, Issues) {
    let mut header = Header::default();
    let mut issues = Issues::default();
    if value.trim().is_empty() {
        issues.warning("header.parse.empty", "Empty Header", "The Strict-Transport-Security header is empty.");
        return (header, issues);
    }
    for directive in value.split(';').map(str::trim) {
        if directive.eq_ignore_ascii_case("preload") {
            if header.preload {
                issues.unique_warning(
                    "header.parse.repeated.preload",
                    "Repeated preload directive",
                    "The header repeats the `preload` directive.",
                );
            }
            header.preload = true;
        } else if starts_with_ignore_case(directive, "preload") {
            issues.unique_warning(
                "header.parse.invalid.preload",
                "Invalid preload directive",
                format!("The `preload` directive takes no value or suffix: {}.", quote(directive)),
            );
        } else if directive.eq_ignore_ascii_case("includeSubDomains") {
            if header.include_subdomains {
                issues.unique_warning(
                    "header.parse.repeated.include_sub_domains",
                    "Repeated includeSubDomains directive",
                    "The header repeats the `includeSubDomains` directive.",
                );
            }
            header.include_subdomains = true;
        } else if starts_with_ignore_case(directive, "includeSubDomains") {
            issues.unique_warning(
                "header.parse.invalid.include_sub_domains",
                "Invalid includeSubDomains directive",
                format!("The `includeSubDomains` directive takes no value or suffix: {}.", quote(directive)),
            );
        } else if starts_with_ignore_case(directive, "max-age=") {
            let (seconds, max_age_issues) = parse_max_age(directive);
            let failed = max_age_issues.has_errors();
            issues.extend(max_age_issues);
            if failed {
                continue;
            }
            if header.max_age.is_none() {
                header.max_age = seconds;
            } else {
                issues.unique_warning(
                    "header.parse.repeated.max_age",
                    "Repeated max-age directive",
                    "The header repeats the `max-age` directive; the first one counts.",
                );
            }
        } else if starts_with_ignore_case(directive, "max-age") {
            issues.unique_error(
                "header.parse.invalid.max_age.no_value",
                "Max-age directive without a value",
                format!("{} names max-age without `=SECONDS` right after it.", quote(directive)),
            );
        } else if directive.is_empty() {
            issues.unique_warning(
                "header.parse.empty_directive",
                "Empty directive or extra semicolon",
                "The header has an empty directive (two `;` in a row, or one at either end).",
            );
        } else {
            issues.warning(
                "header.parse.unknown_directive",
                "Unknown directive",
                format!("The header has a directive hstspreload does not know: {}.", quote(directive)),
            );
        }
    }
    (header, issues)
}

/// The value after `max-age=`: digits only (hstspreload refuses quotes), fits in 64 bits.
fn parse_max_age(directive: &str) -> (Option<u64>, Issues) {
    let mut issues = Issues::default();
    let digits = &directive["max-age=".len()..];
    if digits.len() > 1 && digits.starts_with('0') {
        issues.warning(
            "header.parse.max_age.leading_zero",
            "Unexpected max-age syntax",
            format!("The max-age value has a leading 0: {}.", quote(directive)),
        );
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        let mut message = format!("The max-age value has characters that are not digits: {}.", quote(directive));
        if digits.len() >= 2 && digits.starts_with('"') && digits.ends_with('"') {
            message += " RFC 6797 §6.2 allows a quoted value, but hstspreload (and so the preload list) does not.";
        }
        issues.error("header.parse.max_age.non_digit_characters", "Invalid max-age syntax", message);
        return (None, issues);
    }
    match digits.parse::<u64>() {
        Ok(seconds) => (Some(seconds), issues),
        Err(_) => {
            issues.error(
                "header.parse.max_age.parse_int_error",
                "Invalid max-age syntax",
                format!("The max-age value {} is not a number of seconds that fits in 64 bits.", quote(digits)),
            );
            (None, issues)
        }
    }
}

/// hstspreload's `PreloadableHeader` (policy bulk-1-year): includeSubDomains,
/// preload, then max-age of at least a year.
pub fn preloadable(header: &Header) -> Issues {
    let mut issues = Issues::default();
    if !header.include_subdomains {
        issues.error(
            "header.preloadable.include_sub_domains.missing",
            "No includeSubDomains directive",
            "A preloaded domain must send `includeSubDomains`: the list covers every subdomain.",
        );
    }
    if !header.preload {
        issues.error(
            "header.preloadable.preload.missing",
            "No preload directive",
            "The header must contain `preload` to show the owner consents to preloading.",
        );
    }
    match header.max_age {
        None => issues.error(
            "header.preloadable.max_age.missing",
            "No max-age directive",
            "The header must contain a valid `max-age` directive.",
        ),
        Some(0) => issues.error(
            "header.preloadable.max_age.zero",
            "Max-age is 0",
            format!(
                "max-age=0 tells browsers to forget HSTS for this host; preloading needs at least {ONE_YEAR} \
                 seconds (1 year). To leave the list, use --removable."
            ),
        ),
        Some(seconds) if seconds < ONE_YEAR => issues.error(
            "header.preloadable.max_age.below_1_year",
            "Max-age too low",
            format!("max-age={seconds} is below the {ONE_YEAR} seconds (1 year) preloading needs."),
        ),
        Some(seconds) if seconds > TEN_YEARS => issues.warning(
            "header.preloadable.max_age.over_10_years",
            "Max-age > 10 years",
            format!("max-age={seconds} is more than 10 years, an unusually long value."),
        ),
        Some(_) => {}
    }
    issues
}

/// hstspreload's `RemovableHeaderString`: parse errors (not warnings), no
/// `preload`, a valid max-age.
pub fn removable(value: &str) -> Issues {
    let (header, parsed) = parse(value);
    let mut issues = parsed.errors_only();
    if header.preload {
        issues.error(
            "header.removable.contains.preload",
            "Contains preload directive",
            "To be removed from the preload list the header must no longer contain `preload`.",
        );
    }
    if header.max_age.is_none() {
        issues.error(
            "header.removable.missing.max_age",
            "No max-age directive",
            "The header must contain a valid `max-age` directive.",
        );
    }
    issues
}

/// hstspreload's `PreloadableHeaderString`: parse issues then preload requirements.
pub fn preloadable_str(value: &str) -> (Header, Issues) {
    let (header, mut issues) = parse(value);
    issues.extend(preloadable(&header));
    (header, issues)
}

/// How a user agent following RFC 6797 treats the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UaView {
    /// Whether a conforming UA records the policy (§6.1 rules 1-5, §8.1).
    pub honoured: bool,
    /// Why it is ignored, when it is.
    pub reason: Option<String>,
    /// Seconds (quoted or not); saturates at u64::MAX.
    pub max_age: Option<u64>,
    pub include_subdomains: bool,
    /// Directives the RFC does not define (a UA ignores them); `preload` is one.
    pub unrecognised: Vec<String>,
    /// How many unrecognised directives there were (the list keeps the first 16).
    pub unrecognised_count: usize,
}

const UNRECOGNISED_KEPT: usize = 16;

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn skip_ows(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// RFC 7230 tchar.
    fn token(&mut self) -> Option<&str> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b) {
                self.pos += 1;
            } else {
                break;
            }
        }
        (self.pos > start).then(|| std::str::from_utf8(&self.s[start..self.pos]).unwrap_or_default())
    }

    /// A quoted-string with backslash escapes, returned unescaped.
    fn quoted(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err("a quoted value is not closed".into()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    let Some(&escaped) = self.s.get(self.pos + 1) else {
                        return Err("a quoted value ends in a lone backslash".into());
                    };
                    out.push(escaped);
                    self.pos += 2;
                }
                Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                    out.push(b);
                    self.pos += 1;
                }
                Some(_) => return Err("a quoted value holds a control character".into()),
            }
        }
    }
}

/// RFC 6797 §6.1: `[ directive ] *( ";" [ directive ] )`, directive = name [ "=" value ].
pub fn rfc6797(value: &str) -> UaView {
    let mut view = UaView {
        honoured: false,
        reason: None,
        max_age: None,
        include_subdomains: false,
        unrecognised: Vec::new(),
        unrecognised_count: 0,
    };
    match rfc_directives(value, &mut view) {
        Ok(()) if view.max_age.is_none() => view.reason = Some("max-age is required (RFC 6797 §6.1.1)".into()),
        Ok(()) => view.honoured = true,
        Err(reason) => {
            view.reason = Some(reason);
            view.max_age = None;
            view.include_subdomains = false;
        }
    }
    view
}

fn rfc_directives(value: &str, view: &mut UaView) -> Result<(), String> {
    let mut lex = Lexer { s: value.as_bytes(), pos: 0 };
    let mut seen = std::collections::HashSet::new();
    loop {
        lex.skip_ows();
        match lex.peek() {
            None => return Ok(()),
            Some(b';') => {
                lex.pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let at = lex.pos;
        let name = lex
            .token()
            .ok_or_else(|| format!("byte {at} is not the start of a directive name (RFC 6797 §6.1)"))?
            .to_ascii_lowercase();
        lex.skip_ows();
        let mut directive_value = None;
        if lex.peek() == Some(b'=') {
            lex.pos += 1;
            lex.skip_ows();
            directive_value = Some(match lex.peek() {
                Some(b'"') => lex.quoted()?,
                _ => {
                    lex.token().map(str::to_string).ok_or_else(|| format!("directive '{name}' has '=' but no value"))?
                }
            });
            lex.skip_ows();
        }
        match lex.peek() {
            None | Some(b';') => {}
            Some(_) => return Err(format!("unexpected text after directive '{name}' at byte {}", lex.pos)),
        }
        match name.as_str() {
            "max-age" => {
                if view.max_age.is_some() {
                    return Err("max-age appears twice; each directive may appear only once (§6.1 rule 2)".into());
                }
                let digits = directive_value.ok_or("max-age has no value (§6.1.1)")?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("max-age value {} is not delta-seconds (§6.1.1)", quote(&digits)));
                }
                // RFC 2616 §14.6: a value too large to represent is taken as the largest one.
                view.max_age = Some(digits.parse().unwrap_or(u64::MAX));
            }
            "includesubdomains" => {
                if view.include_subdomains {
                    return Err(
                        "includeSubDomains appears twice; each directive may appear only once (§6.1 rule 2)".into()
                    );
                }
                if directive_value.is_some() {
                    return Err("includeSubDomains takes no value (§6.1.2)".into());
                }
                view.include_subdomains = true;
            }
            _ => {
                if !seen.insert(name.clone()) {
                    return Err(format!("'{name}' appears twice; each directive may appear only once (§6.1 rule 2)"));
                }
                view.unrecognised_count += 1;
                if view.unrecognised.len() < UNRECOGNISED_KEPT {
                    view.unrecognised.push(name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(value: &str) -> Vec<&'static str> {
        preloadable_str(value).1.codes()
    }

    #[test]
    fn hstspreload_codes_table() {
        let good = "max-age=31536000; includeSubDomains; preload";
        for (value, expected) in [
            (good, vec![]),
            ("MAX-AGE=31536000;INCLUDESUBDOMAINS;PRELOAD", vec![]),
            ("  max-age=31536000 ;\tincludeSubDomains ;preload  ", vec![]),
            ("max-age=63072000; includeSubDomains; preload", vec![]),
            ("max-age=400000000; includeSubDomains; preload", vec!["header.preloadable.max_age.over_10_years"]),
            ("max-age=86400; includeSubDomains; preload", vec!["header.preloadable.max_age.below_1_year"]),
            ("max-age=0; includeSubDomains; preload", vec!["header.preloadable.max_age.zero"]),
            (
                "max-age=\"31536000\"; includeSubDomains; preload",
                vec!["header.parse.max_age.non_digit_characters", "header.preloadable.max_age.missing"],
            ),
            ("max-age=031536000; includeSubDomains; preload", vec!["header.parse.max_age.leading_zero"]),
            (
                "max-age=99999999999999999999; includeSubDomains; preload",
                vec!["header.parse.max_age.parse_int_error", "header.preloadable.max_age.missing"],
            ),
            ("max-age=31536000; preload", vec!["header.preloadable.include_sub_domains.missing"]),
            ("max-age=31536000; includeSubDomains", vec!["header.preloadable.preload.missing"]),
            (
                "max-age=31536000; max-age=1; includeSubDomains; includeSubDomains; preload; preload",
                vec![
                    "header.parse.repeated.max_age",
                    "header.parse.repeated.include_sub_domains",
                    "header.parse.repeated.preload",
                ],
            ),
            ("max-age=31536000; includeSubDomains; preload; report-uri=x", vec!["header.parse.unknown_directive"]),
            ("max-age=31536000; includeSubDomains; preload;", vec!["header.parse.empty_directive"]),
            (
                "max-age=31536000; includeSubDomains=yes; preload",
                vec!["header.parse.invalid.include_sub_domains", "header.preloadable.include_sub_domains.missing"],
            ),
            (
                "max-age=31536000; includeSubDomains; preloaded",
                vec!["header.parse.invalid.preload", "header.preloadable.preload.missing"],
            ),
            (
                "max-age = 31536000; includeSubDomains; preload",
                vec!["header.parse.invalid.max_age.no_value", "header.preloadable.max_age.missing"],
            ),
            (
                "",
                vec![
                    "header.parse.empty",
                    "header.preloadable.include_sub_domains.missing",
                    "header.preloadable.preload.missing",
                    "header.preloadable.max_age.missing",
                ],
            ),
        ] {
            assert_eq!(codes(value), expected, "{value:?}");
        }
    }

    #[test]
    fn repeated_max_age_keeps_the_first() {
        let (header, _) = parse("max-age=5; max-age=31536000");
        assert_eq!(header.max_age, Some(5));
    }

    #[test]
    fn unknown_directives_are_each_reported_other_repeats_once() {
        let (_, issues) = parse("a; b; a; preload; preload; preload");
        assert_eq!(
            issues.codes(),
            ["header.parse.unknown_directive"; 3]
                .into_iter()
                .chain(["header.parse.repeated.preload"])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn removal_ignores_warnings() {
        assert_eq!(removable("max-age=0; foo").codes(), Vec::<&str>::new());
        assert_eq!(removable("max-age=31536000; preload").codes(), ["header.removable.contains.preload"]);
        assert_eq!(
            removable("max-age=x").codes(),
            ["header.parse.max_age.non_digit_characters", "header.removable.missing.max_age"]
        );
    }

    #[test]
    fn rfc_view_where_it_agrees_and_where_it_differs() {
        let v = rfc6797("max-age=31536000; includeSubDomains; preload");
        assert!(v.honoured);
        assert_eq!(
            (v.max_age, v.include_subdomains, v.unrecognised.clone()),
            (Some(31536000), true, vec!["preload".into()])
        );
        // Quoted and spaced forms are valid RFC 6797 though hstspreload rejects them.
        let v = rfc6797("max-age=\"31536000\"");
        assert_eq!((v.honoured, v.max_age), (true, Some(31536000)));
        let v = rfc6797("Max-Age = 600 ; INCLUDESUBDOMAINS");
        assert_eq!((v.honoured, v.max_age, v.include_subdomains), (true, Some(600), true));
        let v = rfc6797("max-age=\"3\\1\"");
        assert_eq!(v.max_age, Some(31));
        let v = rfc6797("max-age=99999999999999999999999");
        assert_eq!(v.max_age, Some(u64::MAX));
        for (value, needle) in [
            ("includeSubDomains", "max-age is required"),
            ("max-age=1; max-age=2", "appears twice"),
            ("max-age=1; includeSubDomains; includesubdomains", "appears twice"),
            ("max-age=1; foo=1; FOO=2", "appears twice"),
            ("max-age=abc", "not delta-seconds"),
            ("max-age=\"1", "not closed"),
            ("max-age=1 2", "unexpected text"),
            ("max-age=1; includeSubDomains=1", "takes no value"),
            ("max-age=", "no value"),
            ("max-age=1; =x", "not the start of a directive"),
            ("max-age=1; é", "not the start of a directive"),
        ] {
            let v = rfc6797(value);
            assert!(!v.honoured, "{value:?}");
            assert!(v.reason.as_deref().unwrap_or("").contains(needle), "{value:?}: {:?}", v.reason);
            assert_eq!(v.max_age, None);
        }
    }

    /// Every judge runs on `value` and keeps its messages short. (Time is
    /// the fuzz target's job, fuzz/fuzz_targets/hsts_header.rs, with a
    /// per-input timeout, not a wall clock in a unit test.)
    fn judged_in_short(value: &str) {
        let (_, issues) = preloadable_str(value);
        let _ = rfc6797(value);
        let _ = removable(value);
        assert!(issues.0.iter().all(|i| i.message.len() < 400), "messages stay short");
    }

    #[test]
    fn pathological_headers_are_judged_whole() {
        // 10 000 directives: each unknown one is reported.
        let many: String = (0..10_000).map(|i| format!("x{i}=1; ")).collect::<String>() + "max-age=31536000";
        judged_in_short(&many);
        let (_, issues) = parse(&many);
        assert_eq!(issues.codes().iter().filter(|c| **c == "header.parse.unknown_directive").count(), 10_000);
        let view = rfc6797(&many);
        assert!(view.honoured);
        assert_eq!((view.unrecognised.len(), view.unrecognised_count), (16, 10_000));
        // 10 000 empty directives collapse into one warning.
        let semis = ";".repeat(10_000);
        assert_eq!(parse(&semis).1.codes(), ["header.parse.empty_directive"]);
        // A 1 MB header: one huge max-age, one huge unknown token, one huge quoted string.
        let mb = 1 << 20;
        for value in [
            format!("max-age={}", "9".repeat(mb)),
            "a".repeat(mb),
            format!("max-age=\"{}", "1".repeat(mb)),
            format!("max-age=1; x=\"{}\"", "\\\"".repeat(mb / 2)),
        ] {
            judged_in_short(&value);
        }
        assert_eq!(parse(&format!("max-age={}", "9".repeat(mb))).1.codes(), ["header.parse.max_age.parse_int_error"]);
    }
}
