//! A minimal DER reader for the few structures no crate here parses for us
//! (the OCSP response). Every accessor returns `None` on malformed input;
//! nothing panics whatever the bytes are.

/// One tag-length-value element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
}

/// Reads the next element of `input`, returning it and the rest.
pub fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers never occur in the structures we read
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((Tlv { tag, value: &rest[..len] }, &rest[len..]))
}

/// The whole encoding (tag, length, value) of `tlv`, read from `input`.
pub fn raw<'a>(input: &'a [u8], tlv: &Tlv<'a>) -> Option<&'a [u8]> {
    let start = input.as_ptr() as usize;
    let end = (tlv.value.as_ptr() as usize).checked_add(tlv.value.len())?.checked_sub(start)?;
    input.get(..end)
}

/// Iterates over the elements inside a constructed value.
pub fn children(value: &[u8]) -> impl Iterator<Item = Tlv<'_>> {
    let mut rest = value;
    std::iter::from_fn(move || {
        let (tlv, next) = read(rest)?;
        rest = next;
        Some(tlv)
    })
}

pub const SEQUENCE: u8 = 0x30;
pub const ENUMERATED: u8 = 0x0a;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const GENERALIZED_TIME: u8 = 0x18;

/// `YYYYMMDDHHMMSS[.fff]Z` as seconds since the Unix epoch.
pub fn generalized_time(value: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?;
    let text = text.strip_suffix('Z')?;
    let digits = text.split('.').next()?;
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, s) = (n(8..10)?, n(10..12)?, n(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        let (tlv, rest) = read(&[0x04, 0x02, 0xaa, 0xbb, 0xff]).unwrap();
        assert_eq!((tlv.tag, tlv.value, rest), (0x04, &[0xaa, 0xbb][..], &[0xff][..]));
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(read(&long).unwrap().0.value.len(), 0x80);
    }

    #[test]
    fn malformed_is_none() {
        for bad in [&[][..], &[0x30], &[0x30, 0x05, 0x00], &[0x30, 0x80], &[0x30, 0x85, 1, 1, 1, 1, 1], &[0x1f, 0]] {
            assert_eq!(read(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(generalized_time(b"19700101000000Z"), Some(0));
        assert_eq!(generalized_time(b"20240229120000Z"), Some(1_709_208_000));
        assert_eq!(generalized_time(b"20240229120000.5Z"), Some(1_709_208_000));
        assert_eq!(generalized_time(b"2024022912000Z"), None);
        assert_eq!(generalized_time(b"20241301000000Z"), None);
    }
}
