//! dig's command-line grammar: `@server`, `-x/-t/-c/-p/-f/-q/-4/-6`,
//! positional NAME/TYPE/CLASS in any order, and `+[no]option[=value]`.
//! Pure: words in, a `Line` out; `-f` files reuse it one line at a time,
//! starting from the command line's settings as dig does.

use crate::net::resolve::Family;
use crate::wire::dns_text::{parse_class, parse_type};
use std::net::IpAddr;
use std::time::Duration;

/// What a `+option` turns on or off, and the values dig takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub server: Option<String>,
    pub port: u16,
    /// -p was given; otherwise the port follows the transport (53, 853, 443).
    pub port_set: bool,
    pub family: Family,
    pub tcp: bool,
    /// +tls: DNS over TLS (RFC 7858).
    pub tls: bool,
    /// +https[=PATH]: DNS over HTTPS (RFC 8484) at this path, POST unless `https_get`.
    pub https: Option<String>,
    pub https_get: bool,
    pub ignore: bool,
    pub short: bool,
    pub cmd: bool,
    pub comments: bool,
    pub question: bool,
    pub answer: bool,
    pub authority: bool,
    pub additional: bool,
    pub stats: bool,
    pub dnssec: bool,
    /// EDNS version to send, or None for +noedns.
    pub edns: Option<u8>,
    pub bufsize: u16,
    pub nsid: bool,
    pub cookie: bool,
    pub subnet: Option<(IpAddr, u8)>,
    pub recurse: bool,
    pub time: Duration,
    pub tries: u32,
    /// Say each unanswered try on stderr (dig does); explain tells them in its own story instead.
    pub say_waits: bool,
    pub idnout: bool,
    /// +trace: iterate from the root instead of asking one server.
    pub trace: bool,
    /// IXFR=N: the serial the client has (sent as the SOA in the authority section).
    pub ixfr_serial: Option<u32>,
    /// AD and CD in the query (dig sets AD by default, RFC 6840 5.7).
    pub adflag: bool,
    pub cdflag: bool,
    /// Record lines with the class and TTL columns (+noclass, +nottlid), TTLs as units (+ttlunits).
    pub class: bool,
    pub ttlid: bool,
    pub ttlunits: bool,
    /// +short lines end with the server and time (+identify).
    pub identify: bool,
    /// AXFR shows the opening SOA only (+onesoa).
    pub onesoa: bool,
    pub opcode: u8,
    /// EDNS options: EXPIRE (RFC 7314), padding to a block size (RFC 7830), and any +ednsopt=CODE[:HEX].
    pub expire: bool,
    pub padding: Option<u16>,
    pub ednsopts: Vec<(u16, Vec<u8>)>,
    /// +multiline: long records over several lines with BIND's comments.
    pub multiline: bool,
    /// +split=W: base64/hex chunk width (Some(0) for +nosplit; None: 56, or 44 under +multiline).
    pub split: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            server: None,
            port: 53,
            port_set: false,
            family: Family::Any,
            tcp: false,
            tls: false,
            https: None,
            https_get: false,
            ignore: false,
            short: false,
            cmd: true,
            comments: true,
            question: true,
            answer: true,
            authority: true,
            additional: true,
            stats: true,
            dnssec: false,
            edns: Some(0),
            bufsize: 1232,
            nsid: false,
            cookie: true,
            subnet: None,
            recurse: true,
            time: Duration::from_secs(5),
            tries: 3,
            say_waits: true,
            idnout: true,
            trace: false,
            ixfr_serial: None,
            adflag: true,
            cdflag: false,
            class: true,
            ttlid: true,
            ttlunits: false,
            identify: false,
            onesoa: false,
            opcode: 0,
            expire: false,
            padding: None,
            ednsopts: Vec::new(),
            multiline: false,
            split: None,
        }
    }
}

impl Settings {
    /// The port to query: -p, else the transport's well-known port.
    pub fn server_port(&self) -> u16 {
        match (self.port_set, self.https.is_some(), self.tls) {
            (true, ..) => self.port,
            (false, true, _) => 443,
            (false, false, true) => 853,
            _ => 53,
        }
    }
}

/// One question to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// As typed (or the reverse name for -x), before IDN conversion.
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
}

/// A parsed command line (or `-f` line): its questions and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub questions: Vec<Question>,
    pub settings: Settings,
    pub batch_file: Option<String>,
}

fn need<'a>(words: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a String, String> {
    words.next().ok_or_else(|| format!("option {flag} needs a value"))
}

/// Parses dig arguments on top of `base` settings.
pub fn parse(words: &[String], base: &Settings) -> Result<Line, String> {
    let mut s = base.clone();
    let mut questions: Vec<Question> = Vec::new();
    let mut pending_type: Option<u16> = None;
    let mut pending_class: Option<u16> = None;
    let mut batch_file = None;
    let mut words = words.iter();
    // A type or class typed before any name applies to the next name (dig: `dig MX example.test`).
    let push = |q: &mut Vec<Question>, name: String, t: Option<u16>, c: Option<u16>| {
        q.push(Question { name, qtype: t.unwrap_or(1), qclass: c.unwrap_or(1) });
    };
    let mut type_set_for_last = false;
    let mut class_set_for_last = false;
    while let Some(word) = words.next() {
        if let Some(server) = word.strip_prefix('@') {
            if server.is_empty() {
                return Err("'@' needs a server address or name".into());
            }
            s.server = Some(server.to_string());
        } else if let Some(opt) = word.strip_prefix('+') {
            plus_option(opt, &mut s)?;
        } else if word.len() >= 2 && word.starts_with('-') && word.is_char_boundary(2) {
            let (flag, inline) = word.split_at(2);
            let value = |words: &mut std::slice::Iter<'_, String>| -> Result<String, String> {
                if inline.is_empty() { need(words, flag).cloned() } else { Ok(inline.to_string()) }
            };
            match flag {
                "-4" => s.family = Family::V4,
                "-6" => s.family = Family::V6,
                "-p" => {
                    let v = value(&mut words)?;
                    s.port = v.parse().map_err(|_| format!("'{v}' is not a port number"))?;
                    s.port_set = true;
                }
                "-t" => {
                    let v = value(&mut words)?;
                    let t = ixfr_word(&v, &mut s)?
                        .or_else(|| parse_type(&v))
                        .ok_or_else(|| format!("unknown query type '{v}'"))?;
                    set_type(&mut questions, &mut pending_type, &mut type_set_for_last, t);
                }
                "-c" => {
                    let v = value(&mut words)?;
                    let c = parse_class(&v).ok_or_else(|| format!("unknown query class '{v}'"))?;
                    set_class(&mut questions, &mut pending_class, &mut class_set_for_last, c);
                }
                "-x" => {
                    let v = value(&mut words)?;
                    let addr: IpAddr = v.parse().map_err(|_| format!("-x needs an IP address, not '{v}'"))?;
                    push(
                        &mut questions,
                        reverse_name(addr),
                        Some(pending_type.take().unwrap_or(12)),
                        pending_class.take(),
                    );
                    type_set_for_last = false;
                    class_set_for_last = false;
                }
                "-q" => {
                    let v = value(&mut words)?;
                    push(&mut questions, v, pending_type.take(), pending_class.take());
                    type_set_for_last = false;
                    class_set_for_last = false;
                }
                "-f" => batch_file = Some(value(&mut words)?),
                _ => return Err(format!("unknown option '{word}'")),
            }
        } else if let Some(t) =
            ixfr_word(word, &mut s)?.or_else(|| parse_type(word)).filter(|_| !type_set_for_last || questions.is_empty())
        {
            set_type(&mut questions, &mut pending_type, &mut type_set_for_last, t);
        } else if let Some(c) = parse_class(word).filter(|_| !class_set_for_last || questions.is_empty()) {
            set_class(&mut questions, &mut pending_class, &mut class_set_for_last, c);
        } else if looks_like_type(word) {
            return Err(format!(
                "unknown record type '{word}' (a type name BIND knows, or TYPEnnn; a query name needs a dot or lower case)"
            ));
        } else {
            push(&mut questions, word.clone(), pending_type.take(), pending_class.take());
            type_set_for_last = false;
            class_set_for_last = false;
        }
    }
    // `dig MX` alone asks the root, as dig does; with no words at all, dig asks `. NS`.
    if questions.is_empty() && batch_file.is_none() {
        let default_type = if pending_type.is_none() { 2 } else { 1 };
        push(&mut questions, ".".into(), pending_type.or(Some(default_type)), pending_class);
    }
    Ok(Line { questions, settings: s, batch_file })
}

/// dig's `IXFR=SERIAL` type word: an incremental transfer from that serial.
fn ixfr_word(word: &str, s: &mut Settings) -> Result<Option<u16>, String> {
    let Some(serial) = word.get(..5).filter(|p| p.eq_ignore_ascii_case("ixfr=")).map(|_| &word[5..]) else {
        return Ok(None);
    };
    s.ixfr_serial =
        Some(serial.parse().map_err(|_| format!("{word}: the IXFR serial must be a number up to 4294967295"))?);
    Ok(Some(251))
}

/// An upper-case word with no dot (`AFSDBX`, `TYPE12X`) is a mistyped record
/// type, not a name: dig would silently ask `afsdbx. A` and exit 0.
fn looks_like_type(word: &str) -> bool {
    !word.contains('.')
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

fn set_type(q: &mut [Question], pending: &mut Option<u16>, set: &mut bool, t: u16) {
    match q.last_mut() {
        Some(last) if !*set => {
            last.qtype = t;
            *set = true;
        }
        _ => *pending = Some(t),
    }
}

fn set_class(q: &mut [Question], pending: &mut Option<u16>, set: &mut bool, c: u16) {
    match q.last_mut() {
        Some(last) if !*set => {
            last.qclass = c;
            *set = true;
        }
        _ => *pending = Some(c),
    }
}

/// in-addr.arpa / ip6.arpa names for -x.
pub fn reverse_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut name = String::new();
            for byte in v6.octets().iter().rev() {
                name += &format!("{:x}.{:x}.", byte & 0x0f, byte >> 4);
            }
            name + "ip6.arpa."
        }
    }
}

fn number<T: std::str::FromStr>(name: &str, value: Option<&str>) -> Result<T, String> {
    let v = value.ok_or_else(|| format!("+{name} needs a value (+{name}=N)"))?;
    v.parse().map_err(|_| format!("+{name}={v}: not a valid number"))
}

/// Bounds on +time and +tries: past them a query could wait for hours.
const MAX_TIME_SECS: u64 = 300;
const MAX_TRIES: u32 = 20;
/// dig's largest +split.
const MAX_SPLIT: usize = 1023;

const PLUS_OPTIONS: &[&str] = &[
    "tcp",
    "vc",
    "ignore",
    "short",
    "cmd",
    "comments",
    "question",
    "answer",
    "authority",
    "additional",
    "stats",
    "dnssec",
    "nsid",
    "cookie",
    "recurse",
    "idnout",
    "all",
    "edns",
    "bufsize",
    "time",
    "tries",
    "retry",
    "subnet",
    "trace",
    "tls",
    "https",
    "https-get",
    "https-post",
    "adflag",
    "cdflag",
    "class",
    "ttlid",
    "ttlunits",
    "identify",
    "onesoa",
    "opcode",
    "expire",
    "padding",
    "ednsopt",
    "multiline",
    "split",
];

/// dig accepts unambiguous abbreviations (`+norec`, `+add`).
fn expand(name: &str) -> Result<&'static str, String> {
    if let Some(exact) = PLUS_OPTIONS.iter().find(|o| **o == name) {
        return Ok(exact);
    }
    let matches: Vec<&&str> = PLUS_OPTIONS.iter().filter(|o| o.starts_with(name)).collect();
    match matches.as_slice() {
        [one] if !name.is_empty() => Ok(one),
        [] | [_] => Err(format!("unknown or unsupported option '+{name}'")),
        many => Err(format!(
            "ambiguous option '+{name}' ({})",
            many.iter().map(|o| format!("+{o}")).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn plus_option(opt: &str, s: &mut Settings) -> Result<(), String> {
    let (key, value) = match opt.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (opt, None),
    };
    let (on, name) = match key.strip_prefix("no") {
        Some(rest) if !rest.is_empty() && rest != "ne" => (false, rest),
        _ => (true, key),
    };
    let flag = |field: &mut bool| -> Result<(), String> {
        if value.is_some() {
            return Err(format!("+{key} takes no value"));
        }
        *field = on;
        Ok(())
    };
    let name = expand(&name.to_ascii_lowercase())?;
    match name {
        "tcp" | "vc" => flag(&mut s.tcp)?,
        "ignore" => flag(&mut s.ignore)?,
        "short" => flag(&mut s.short)?,
        "cmd" => flag(&mut s.cmd)?,
        "comments" => flag(&mut s.comments)?,
        "question" => flag(&mut s.question)?,
        "answer" => flag(&mut s.answer)?,
        "authority" => flag(&mut s.authority)?,
        "additional" => flag(&mut s.additional)?,
        "stats" => flag(&mut s.stats)?,
        "dnssec" => flag(&mut s.dnssec)?,
        "nsid" => flag(&mut s.nsid)?,
        "cookie" => flag(&mut s.cookie)?,
        "recurse" => flag(&mut s.recurse)?,
        "idnout" => flag(&mut s.idnout)?,
        "tls" => flag(&mut s.tls)?,
        "https" | "https-get" | "https-post" if !on => s.https = None,
        "https" | "https-get" | "https-post" => {
            let path = value.unwrap_or("/dns-query");
            if !path.starts_with('/') {
                return Err(format!("+{key}={path}: the path must start with '/'"));
            }
            s.https = Some(path.to_string());
            s.https_get = name == "https-get";
        }
        "trace" => {
            flag(&mut s.trace)?;
            // As dig: +trace also sets +dnssec and prints only the answer and authority sections;
            // options after it can change that.
            if on {
                s.dnssec = true;
                (s.comments, s.question, s.stats, s.additional, s.authority) = (false, false, false, false, true);
            }
        }
        "all" => {
            if value.is_some() {
                return Err("+all takes no value".into());
            }
            for f in [&mut s.cmd, &mut s.comments, &mut s.question, &mut s.answer, &mut s.authority] {
                *f = on;
            }
            s.additional = on;
            s.stats = on;
        }
        "edns" => {
            s.edns = match (on, value) {
                (false, _) => None,
                (true, None) => Some(0),
                (true, Some(_)) => Some(number("edns", value)?),
            }
        }
        "bufsize" if on => s.bufsize = number("bufsize", value)?,
        "time" if on => {
            let secs: u64 = number("time", value)?;
            if secs > MAX_TIME_SECS {
                return Err(format!("+time={secs}: at most {MAX_TIME_SECS} seconds per try"));
            }
            s.time = Duration::from_secs(secs.max(1));
        }
        "tries" | "retry" if on => {
            let n = number::<u32>(name, value)?;
            let tries = if name == "retry" { n.saturating_add(1) } else { n.max(1) };
            if tries > MAX_TRIES {
                return Err(format!("+{name}={n}: at most {MAX_TRIES} tries"));
            }
            s.tries = tries;
        }
        "adflag" => flag(&mut s.adflag)?,
        "cdflag" => flag(&mut s.cdflag)?,
        "class" => flag(&mut s.class)?,
        "ttlid" => flag(&mut s.ttlid)?,
        "ttlunits" => flag(&mut s.ttlunits)?,
        "identify" => flag(&mut s.identify)?,
        "onesoa" => flag(&mut s.onesoa)?,
        "expire" => flag(&mut s.expire)?,
        "opcode" if !on => s.opcode = 0,
        "opcode" => {
            let v = value.ok_or("+opcode needs a value (QUERY, IQUERY, STATUS, NOTIFY, UPDATE or 0-15)")?;
            let named =
                ["QUERY", "IQUERY", "STATUS", "", "NOTIFY", "UPDATE"].iter().position(|n| v.eq_ignore_ascii_case(n));
            s.opcode = match named.filter(|_| !v.is_empty()) {
                Some(n) => n as u8,
                None => v
                    .parse()
                    .ok()
                    .filter(|n| *n < 16)
                    .ok_or_else(|| format!("+opcode={v}: not an opcode (0-15 or a name)"))?,
            };
        }
        "padding" if !on => s.padding = None,
        "padding" => {
            let n: u16 = number("padding", value)?;
            s.padding = (n > 0).then_some(n);
        }
        "ednsopt" if !on => s.ednsopts.clear(),
        "ednsopt" => s.ednsopts.push(edns_option(value.ok_or("+ednsopt needs CODE[:HEXVALUE]")?)?),
        "multiline" => flag(&mut s.multiline)?,
        "split" if !on => s.split = Some(0),
        "split" => {
            let w: usize = number("split", value)?;
            if w > MAX_SPLIT {
                return Err(format!("+split={w}: at most {MAX_SPLIT}"));
            }
            // As dig: the width is rounded up to a multiple of 4 (whole base64 quanta).
            s.split = Some(w.div_ceil(4) * 4);
        }
        "subnet" if !on => s.subnet = None,
        "subnet" => {
            let v = value.ok_or("+subnet needs ADDR/LEN")?;
            let (addr, len) = v.split_once('/').unwrap_or((v, ""));
            let addr: IpAddr = addr.parse().map_err(|_| format!("+subnet={v}: not an address"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len: u8 = if len.is_empty() {
                max
            } else {
                len.parse().map_err(|_| format!("+subnet={v}: bad prefix length"))?
            };
            if len > max {
                return Err(format!("+subnet={v}: prefix length above {max}"));
            }
            s.subnet = Some((addr, len));
        }
        _ => return Err(format!("'+{opt}' is not a valid option")),
    }
    Ok(())
}

/// `+ednsopt=CODE[:HEX]`: CODE a number or a name dig knows.
fn edns_option(v: &str) -> Result<(u16, Vec<u8>), String> {
    let (code, hex) = v.split_once(':').unwrap_or((v, ""));
    const NAMES: &[(&str, u16)] = &[
        ("LLQ", 1),
        ("UL", 2),
        ("NSID", 3),
        ("DAU", 5),
        ("DHU", 6),
        ("N3U", 7),
        ("ECS", 8),
        ("EXPIRE", 9),
        ("COOKIE", 10),
        ("KEEPALIVE", 11),
        ("PADDING", 12),
        ("CHAIN", 13),
        ("KEY-TAG", 14),
        ("EDE", 15),
        ("CLIENT-TAG", 16),
        ("SERVER-TAG", 17),
    ];
    let code = match NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(code)) {
        Some((_, c)) => *c,
        None => code.parse().map_err(|_| format!("+ednsopt={v}: '{code}' is not an option code or name"))?,
    };
    let hex = hex.to_ascii_uppercase();
    let data = data_encoding::HEXUPPER
        .decode(hex.as_bytes())
        .map_err(|_| format!("+ednsopt={v}: the value must be an even number of hex digits"))?;
    Ok((code, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Result<Line, String> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&words, &Settings::default())
    }

    #[test]
    fn positional_type_and_class_in_any_order() {
        let l = p("@198.18.3.2 example.test MX").unwrap();
        assert_eq!(l.settings.server.as_deref(), Some("198.18.3.2"));
        assert_eq!(l.questions, vec![Question { name: "example.test".into(), qtype: 15, qclass: 1 }]);
        let l = p("MX CH example.test").unwrap();
        assert_eq!(l.questions[0], Question { name: "example.test".into(), qtype: 15, qclass: 3 });
        let l = p("-t TYPE65280 -c IN unk.test -p 5353").unwrap();
        assert_eq!((l.questions[0].qtype, l.settings.port), (65280, 5353));
        let l = p("a.test b.test AAAA").unwrap();
        assert_eq!(l.questions.len(), 2);
        assert_eq!((l.questions[0].qtype, l.questions[1].qtype), (1, 28));
        assert_eq!(p("").unwrap().questions[0], Question { name: ".".into(), qtype: 2, qclass: 1 });
    }

    #[test]
    fn reverse_lookups() {
        let l = p("-x 198.18.3.10").unwrap();
        assert_eq!(l.questions[0], Question { name: "10.3.18.198.in-addr.arpa.".into(), qtype: 12, qclass: 1 });
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
    }

    #[test]
    fn plus_options() {
        let l = p(
            "+noall +answer +tcp +bufsize=512 +nsid +norecurse +subnet=198.18.0.0/15 +time=2 +retry=0 +noedns a.test",
        )
        .unwrap();
        let s = l.settings;
        assert!(!s.question && s.answer && !s.stats && !s.comments && s.tcp && s.nsid && !s.recurse);
        assert_eq!((s.bufsize, s.time, s.tries, s.edns), (512, Duration::from_secs(2), 1, None));
        assert_eq!(s.subnet, Some(("198.18.0.0".parse().unwrap(), 15)));
        assert!(!p("+norec a.test").unwrap().settings.recurse);
        assert!(p("+a a.test").unwrap_err().starts_with("ambiguous option '+a'"));
        assert!(p("+short +dnssec +nocookie +ignore +idnout a.test").unwrap().settings.short);
        assert!(p("a.test").unwrap().settings.idnout && !p("+noidnout a.test").unwrap().settings.idnout);
        let t = p("+trace +additional a.test").unwrap().settings;
        assert!(t.trace && t.dnssec && t.additional && t.authority && !t.comments && !t.stats);
        assert!(!p("+trace +nodnssec a.test").unwrap().settings.dnssec);
        let h = p("+https a.test").unwrap().settings;
        assert_eq!((h.https.as_deref(), h.https_get, h.server_port()), (Some("/dns-query"), false, 443));
        let h = p("+https-get=/q -p 8443 a.test").unwrap().settings;
        assert_eq!((h.https.as_deref(), h.https_get, h.server_port()), (Some("/q"), true, 8443));
        assert_eq!(p("+tls a.test").unwrap().settings.server_port(), 853);
        assert!(p("+https=q a.test").is_err());
    }

    #[test]
    fn bad_input_is_an_error_with_a_reason() {
        assert_eq!(p("-t BOGUS a.test").unwrap_err(), "unknown query type 'BOGUS'");
        assert_eq!(p("+frobnicate a.test").unwrap_err(), "unknown or unsupported option '+frobnicate'");
        assert_eq!(p("+bufsize=big a.test").unwrap_err(), "+bufsize=big: not a valid number");
        assert_eq!(p("-x not-an-ip").unwrap_err(), "-x needs an IP address, not 'not-an-ip'");
        assert_eq!(p("-p").unwrap_err(), "option -p needs a value");
        assert!(p("+subnet=198.18.0.0/40 a.test").is_err());
        assert!(p("-z a.test").is_err());
        assert!(p("a.test FOOBAR").unwrap_err().starts_with("unknown record type 'FOOBAR'"));
        assert!(p("a.test TYPE12X").is_err());
        assert_eq!(p("@198.18.3.2 afsdb01.example AFSDB").unwrap().questions[0].qtype, 18);
        assert_eq!(p("a.test nsap-ptr").unwrap().questions[0].qtype, 23);
        assert_eq!(p("a.test localhost").unwrap().questions.len(), 2);
        let l = p("a.test ixfr=2026120301").unwrap();
        assert_eq!((l.questions[0].qtype, l.settings.ixfr_serial), (251, Some(2026120301)));
        assert!(p("a.test IXFR=x").unwrap_err().contains("IXFR serial"));
        assert_eq!(p("+time=301 a.test").unwrap_err(), "+time=301: at most 300 seconds per try");
        assert_eq!(p("+tries=21 a.test").unwrap_err(), "+tries=21: at most 20 tries");
        assert_eq!(p("+retry=4294967295 a.test").unwrap_err(), "+retry=4294967295: at most 20 tries");
        assert!(p("+time=99999999999999999999 a.test").is_err());
        assert_eq!(p("+time=0 +retry=19 a.test").unwrap().settings.tries, 20);
        let s = p("+noadflag +cd +noclass +nottlid +ttlunits +identify +onesoa +opcode=notify +expire +padding=128 +ednsopt=65001:beef +ednsopt=nsid a.test").unwrap().settings;
        assert!(!s.adflag && s.cdflag && !s.class && !s.ttlid && s.ttlunits && s.identify && s.onesoa && s.expire);
        assert_eq!((s.opcode, s.padding), (4, Some(128)));
        assert_eq!(s.ednsopts, vec![(65001, vec![0xbe, 0xef]), (3, vec![])]);
        assert!(
            p("+ednsopt=x1 a.test").is_err() && p("+ednsopt=5:abc a.test").is_err() && p("+opcode=16 a.test").is_err()
        );
    }

    #[test]
    fn batch_lines_start_from_the_command_line_settings() {
        let base = p("+short @198.18.3.2").unwrap().settings;
        let words: Vec<String> = "www.test AAAA +tcp".split(' ').map(String::from).collect();
        let l = parse(&words, &base).unwrap();
        assert!(l.settings.short && l.settings.tcp);
        assert_eq!(l.settings.server.as_deref(), Some("198.18.3.2"));
    }
}
