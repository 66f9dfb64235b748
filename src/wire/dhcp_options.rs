//! The DHCPv4 options area walked as raw TLVs, so a malformed offer is
//! reported precisely (dhcproto's own decoder stops quietly at the first bad
//! option). Split options (RFC 3396) are concatenated before decoding.

/// The fixed BOOTP header, then the magic cookie.
pub const HEADER: usize = 236;
pub const MAGIC: [u8; 4] = [99, 130, 83, 99];
const SNAME: std::ops::Range<usize> = 44..108;
const FILE: std::ops::Range<usize> = 108..236;
pub const OVERLOAD: u8 = 52;

/// Raw options in order of first appearance, each with its (joined) data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawOptions {
    pub options: Vec<(u8, Vec<u8>)>,
    /// What was wrong with the encoding, if anything; options before it are kept.
    pub problems: Vec<String>,
    /// The first option occurrence whose length breaks its standard's rule.
    length_problem: Option<String>,
}

impl RawOptions {
    pub fn get(&self, code: u8) -> Option<&[u8]> {
        self.options.iter().find(|(c, _)| *c == code).map(|(_, d)| d.as_slice())
    }

    fn push(&mut self, code: u8, data: &[u8]) {
        match self.options.iter_mut().find(|(c, _)| *c == code) {
            Some((_, existing)) => existing.extend_from_slice(data),
            None => self.options.push((code, data.to_vec())),
        }
    }

    /// Walks one options area ("where" names it in problems).
    fn walk(&mut self, area: &[u8], place: &str) {
        let mut i = 0;
        while i < area.len() {
            match area[i] {
                0 => i += 1,
                255 => return,
                code => {
                    let Some(&len) = area.get(i + 1) else {
                        self.problems.push(format!("option {code} in the {place} has no length byte"));
                        return;
                    };
                    let data = &area[i + 2..];
                    if usize::from(len) > data.len() {
                        self.problems.push(format!(
                            "option {code} in the {place} claims {len} bytes but only {} remain",
                            data.len()
                        ));
                        return;
                    }
                    if self.length_problem.is_none() {
                        self.length_problem = length_rule_broken(code, usize::from(len));
                    }
                    self.push(code, &data[..usize::from(len)]);
                    i += 2 + usize::from(len);
                }
            }
        }
        if place == "options field" {
            self.problems.push("the options field has no end option".to_string());
        }
    }
}

/// Splits a DHCP message's options, following Option Overload (52) into the
/// file and sname fields. Err when the message is too short or the magic
/// cookie is wrong: then it is not a DHCP message at all.
pub fn split(message: &[u8]) -> Result<RawOptions, String> {
    if message.len() < HEADER + MAGIC.len() {
        return Err(format!("truncated: {} bytes, a DHCP message has at least {}", message.len(), HEADER + 4));
    }
    let cookie = &message[HEADER..HEADER + 4];
    if cookie != MAGIC {
        return Err(format!("wrong magic cookie {cookie:02x?} (expected 63 82 53 63)"));
    }
    let mut raw = RawOptions::default();
    raw.walk(&message[HEADER + 4..], "options field");
    let overload = raw.get(OVERLOAD).map(|d| d.to_vec());
    match overload.as_deref() {
        None => {}
        Some([1]) => raw.walk(&message[FILE], "file field (overload)"),
        Some([2]) => raw.walk(&message[SNAME], "sname field (overload)"),
        Some([3]) => {
            raw.walk(&message[FILE], "file field (overload)");
            raw.walk(&message[SNAME], "sname field (overload)");
        }
        Some(other) => raw.problems.push(format!("option overload has invalid value {other:?}")),
    }
    Ok(raw)
}

/// The client hardware address of a decoded message, or None when the
/// sender's hlen is over the field's 16 bytes: dhcproto's `chaddr()` slices
/// by hlen and would panic on such a message.
pub fn chaddr(msg: &dhcproto::v4::Message) -> Option<&[u8]> {
    (msg.hlen() <= 16).then(|| msg.chaddr())
}

/// Options whose length the standard fixes (or bounds below: `exact` false).
/// dhcproto's decoder asserts these lengths instead of returning an error, on
/// each occurrence and on consecutive occurrences joined, so a server that
/// gets one wrong is reported before dhcproto sees it.
const FIXED_LENGTHS: [(u8, &str, usize, bool); 7] = [
    (80, "rapid commit", 0, true),
    (81, "client FQDN", 3, false),
    (94, "client network interface", 3, true),
    (152, "BLQ base time", 4, true),
    (153, "BLQ start time of state", 4, true),
    (154, "BLQ query start time", 4, true),
    (155, "BLQ query end time", 4, true),
];

fn length_rule_broken(code: u8, got: usize) -> Option<String> {
    let &(_, name, len, exact) = FIXED_LENGTHS.iter().find(|(c, ..)| *c == code)?;
    if exact && got != len {
        Some(format!("option {code} ({name}) is {got} bytes long, not {len}"))
    } else if !exact && got < len {
        Some(format!("option {code} ({name}) is {got} bytes long, under {len}"))
    } else {
        None
    }
}

impl RawOptions {
    /// The first option whose length, in one occurrence or all joined,
    /// breaks its standard's rule.
    pub fn length_problem(&self) -> Option<String> {
        self.length_problem
            .clone()
            .or_else(|| self.options.iter().find_map(|(code, data)| length_rule_broken(*code, data.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(options: &[u8]) -> Vec<u8> {
        let mut m = vec![0u8; HEADER];
        m.extend(MAGIC);
        m.extend(options);
        m
    }

    #[test]
    fn walks_pads_and_joins_split_options() {
        let raw = split(&message(&[0, 0, 53, 1, 2, 15, 3, b'a', b'b', b'c', 15, 2, b'.', b't', 255, 9, 9])).unwrap();
        assert_eq!(raw.get(53), Some(&[2][..]));
        assert_eq!(raw.get(15), Some(&b"abc.t"[..]), "RFC 3396 concatenation");
        assert!(raw.problems.is_empty(), "{:?}", raw.problems);
    }

    #[test]
    fn reports_truncation_and_overflow_but_keeps_what_came_before() {
        let raw = split(&message(&[53, 1, 2, 3, 8, 198, 18])).unwrap();
        assert_eq!(raw.get(53), Some(&[2][..]));
        assert_eq!(raw.problems, vec!["option 3 in the options field claims 8 bytes but only 2 remain"]);
        let raw = split(&message(&[53, 1, 2, 6])).unwrap();
        assert_eq!(raw.problems, vec!["option 6 in the options field has no length byte"]);
        let raw = split(&message(&[53, 1, 2])).unwrap();
        assert_eq!(raw.problems, vec!["the options field has no end option"]);
    }

    #[test]
    fn rejects_short_messages_and_bad_cookies() {
        assert!(split(&[0u8; 100]).unwrap_err().starts_with("truncated: 100 bytes"));
        let mut m = message(&[255]);
        m[HEADER] = 1;
        assert!(split(&m).unwrap_err().starts_with("wrong magic cookie"));
    }

    #[test]
    fn follows_option_overload_into_file_and_sname() {
        let mut m = message(&[52, 1, 3, 53, 1, 2, 255]);
        m[FILE.start..FILE.start + 6].copy_from_slice(&[67, 3, b'p', b'x', b'e', 255]);
        m[SNAME.start..SNAME.start + 7].copy_from_slice(&[66, 4, b't', b'f', b't', b'p', 255]);
        let raw = split(&m).unwrap();
        assert_eq!(raw.get(67), Some(&b"pxe"[..]));
        assert_eq!(raw.get(66), Some(&b"tftp"[..]));
        let mut bad = message(&[52, 1, 7, 255]);
        bad.truncate(bad.len());
        assert_eq!(split(&bad).unwrap().problems, vec!["option overload has invalid value [7]"]);
    }
}
