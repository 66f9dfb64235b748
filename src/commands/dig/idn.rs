//! `+idnout`: names shown in Unicode, as dig does on a terminal. Only the
//! text output changes; lookups, matching and JSON keep the A-labels.

use std::borrow::Cow;

/// A presentation-format name with its A-labels (`xn--…`) decoded, when every
/// label is valid IDNA; otherwise unchanged (dig keeps a name it cannot convert).
pub fn unicode_name(name: &str) -> Cow<'_, str> {
    let has_a_label = name.split('.').any(|l| l.len() > 4 && l[..4].eq_ignore_ascii_case("xn--"));
    // A label with a backslash escape is not a hostname label, so not an A-label either.
    if !has_a_label || name.contains('\\') {
        return Cow::Borrowed(name);
    }
    match idna::domain_to_unicode(name) {
        (unicode, Ok(())) => Cow::Owned(unicode),
        (_, Err(_)) => Cow::Borrowed(name),
    }
}

/// Which space-separated fields of a type's presentation are domain names.
enum Names {
    Fields(&'static [usize]),
    /// NAPTR: the replacement, after quoted strings that may hold spaces.
    Last,
    None,
}

fn name_fields(rtype: u16) -> Names {
    match rtype {
        // NS, CNAME, MB, MG, MR, PTR, DNAME
        2 | 5 | 7 | 8 | 9 | 12 | 39 => Names::Fields(&[0]),
        // SOA MNAME RNAME, RP, NSEC next name
        6 | 17 => Names::Fields(&[0, 1]),
        47 => Names::Fields(&[0]),
        // MX, AFSDB, RT, KX exchange; SVCB and HTTPS target
        15 | 18 | 21 | 36 | 64 | 65 => Names::Fields(&[1]),
        33 => Names::Fields(&[3]),
        46 => Names::Fields(&[7]),
        35 => Names::Last,
        _ => Names::None,
    }
}

/// RDATA text with its name-valued fields decoded (CNAME target, MX exchange,
/// SRV target, RRSIG signer, …); other fields are left exactly as they are.
pub fn unicode_rdata(rtype: u16, data: &str) -> Cow<'_, str> {
    match name_fields(rtype) {
        Names::None => Cow::Borrowed(data),
        Names::Last => match data.rsplit_once(' ') {
            Some((head, last)) => match unicode_name(last) {
                Cow::Owned(u) => Cow::Owned(format!("{head} {u}")),
                Cow::Borrowed(_) => Cow::Borrowed(data),
            },
            None => Cow::Borrowed(data),
        },
        Names::Fields(fields) => {
            let mut changed = false;
            let parts: Vec<Cow<str>> = data
                .split(' ')
                .enumerate()
                .map(|(i, part)| {
                    let shown = if fields.contains(&i) { unicode_name(part) } else { Cow::Borrowed(part) };
                    changed |= matches!(shown, Cow::Owned(_));
                    shown
                })
                .collect();
            if changed { Cow::Owned(parts.join(" ")) } else { Cow::Borrowed(data) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_labels_become_unicode_and_everything_else_stays() {
        assert_eq!(unicode_name("xn--bcher-kva.example.test."), "bücher.example.test.");
        assert_eq!(unicode_name("XN--BCHER-KVA.test."), "bücher.test.");
        assert_eq!(unicode_name("www.example.test."), "www.example.test.");
        assert_eq!(unicode_name("."), ".");
        // Not valid punycode, or not a hostname label: kept as it came.
        assert_eq!(unicode_name("xn--zz-.test."), "xn--zz-.test.");
        assert_eq!(unicode_name("xn--bcher-kva\\032x.test."), "xn--bcher-kva\\032x.test.");
    }

    #[test]
    fn only_name_fields_of_rdata_are_converted() {
        let b = "xn--bcher-kva.test.";
        assert_eq!(unicode_rdata(5, b), "bücher.test.");
        assert_eq!(unicode_rdata(15, &format!("10 {b}")), "10 bücher.test.");
        assert_eq!(unicode_rdata(33, &format!("0 5 5060 {b}")), "0 5 5060 bücher.test.");
        assert_eq!(
            unicode_rdata(6, &format!("{b} hostmaster.{b} 1 2 3 4 5")),
            "bücher.test. hostmaster.bücher.test. 1 2 3 4 5"
        );
        assert_eq!(
            unicode_rdata(35, &format!("100 10 \"S\" \"SIP+D2U\" \"a xn--bcher-kva b\" _sip._udp.{b}")),
            "100 10 \"S\" \"SIP+D2U\" \"a xn--bcher-kva b\" _sip._udp.bücher.test."
        );
        assert_eq!(
            unicode_rdata(46, &format!("A 13 2 3600 20260101000000 20250101000000 1 {b} QUJD")),
            "A 13 2 3600 20260101000000 20250101000000 1 bücher.test. QUJD"
        );
        // TXT is text, never a name.
        assert_eq!(unicode_rdata(16, "\"xn--bcher-kva.test.\""), "\"xn--bcher-kva.test.\"");
        assert!(matches!(unicode_rdata(1, "198.18.3.30"), Cow::Borrowed(_)));
    }
}
