//! ICMP multi-part messages (RFC 4884) and the MPLS label stack object
//! (RFC 4950) that MPLS routers append to time-exceeded and unreachable errors.

use serde::Serialize;

/// One MPLS label stack entry as the router saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MplsLabel {
    pub label: u32,
    /// Traffic class (formerly EXP).
    pub tc: u8,
    /// Bottom of stack.
    pub s: bool,
    pub ttl: u8,
}

impl std::fmt::Display for MplsLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "L={} E={} S={} TTL={}", self.label, self.tc, u8::from(self.s), self.ttl)
    }
}

/// RFC 4884: original datagrams are padded to 128 bytes before an extension.
const ORIGINAL_MIN: usize = 128;
const CLASS_MPLS: u8 = 1;
const CTYPE_INCOMING_STACK: u8 = 1;

/// Finds the extension structure after the quoted datagram and returns the
/// MPLS labels in it. `body` is everything after the 8-byte ICMP header;
/// `length_words` is the RFC 4884 length field (32-bit words for ICMPv4,
/// 64-bit words for ICMPv6 are given already converted to bytes by the caller
/// as `quoted_len`). Old routers that set no length but still pad to 128 bytes
/// are accepted as RFC 4884 section 5 suggests.
pub fn mpls_labels(body: &[u8], quoted_len: usize) -> Vec<MplsLabel> {
    let start = if quoted_len >= ORIGINAL_MIN { quoted_len } else { ORIGINAL_MIN };
    let Some(ext) = body.get(start..) else { return Vec::new() };
    if quoted_len == 0 && body.len() <= ORIGINAL_MIN {
        return Vec::new();
    }
    parse_extension(ext).unwrap_or_default()
}

fn parse_extension(ext: &[u8]) -> Option<Vec<MplsLabel>> {
    // Header: version (4 bits) = 2, reserved, checksum.
    let header = ext.get(0..4)?;
    if header[0] >> 4 != 2 {
        return None;
    }
    let checksum = u16::from_be_bytes([header[2], header[3]]);
    if checksum != 0 && pnet_packet::util::checksum(ext, 1) != checksum {
        return None;
    }
    let mut labels = Vec::new();
    let mut rest = &ext[4..];
    while rest.len() >= 4 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let (class, ctype) = (rest[2], rest[3]);
        if len < 4 || len > rest.len() {
            break;
        }
        if class == CLASS_MPLS && ctype == CTYPE_INCOMING_STACK {
            for entry in rest[4..len].chunks_exact(4) {
                let word = u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]);
                labels.push(MplsLabel {
                    label: word >> 12,
                    tc: ((word >> 9) & 0x7) as u8,
                    s: (word >> 8) & 1 == 1,
                    ttl: (word & 0xff) as u8,
                });
            }
        }
        rest = &rest[len..];
    }
    Some(labels)
}

/// Builds an extension structure with one MPLS object (for tests and the lab's
/// hostile peers).
pub fn build_mpls_extension(labels: &[MplsLabel]) -> Vec<u8> {
    let mut ext = vec![0x20, 0, 0, 0];
    let len = 4 + 4 * labels.len();
    ext.extend((len as u16).to_be_bytes());
    ext.extend([CLASS_MPLS, CTYPE_INCOMING_STACK]);
    for l in labels {
        let word = (l.label << 12) | (u32::from(l.tc & 7) << 9) | (u32::from(l.s) << 8) | u32::from(l.ttl);
        ext.extend(word.to_be_bytes());
    }
    let sum = pnet_packet::util::checksum(&ext, 1);
    ext[2..4].copy_from_slice(&sum.to_be_bytes());
    ext
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_labels() -> Vec<MplsLabel> {
        vec![MplsLabel { label: 24001, tc: 0, s: false, ttl: 1 }, MplsLabel { label: 16, tc: 5, s: true, ttl: 254 }]
    }

    #[test]
    fn decodes_a_label_stack_after_the_padded_quote() {
        let mut body = vec![0x45u8; 128];
        body.extend(build_mpls_extension(&two_labels()));
        assert_eq!(mpls_labels(&body, 128), two_labels());
        assert_eq!(two_labels()[1].to_string(), "L=16 E=5 S=1 TTL=254");
        // Non-compliant router: no length field, but 128 bytes of quote and an extension.
        assert_eq!(mpls_labels(&body, 0), two_labels());
    }

    #[test]
    fn hostile_extensions_give_nothing_or_what_is_valid() {
        let mut body = vec![0u8; 128];
        let mut ext = build_mpls_extension(&two_labels());
        ext[3] ^= 0xff; // bad checksum
        body.extend(&ext);
        assert!(mpls_labels(&body, 128).is_empty());
        assert!(mpls_labels(&[0u8; 20], 128).is_empty(), "shorter than its length field");
        assert!(mpls_labels(&[0u8; 60], 0).is_empty(), "a plain 28-byte quote has no extension");
        // An object whose length runs past the end is ignored, not read out of bounds.
        let mut bad = vec![0u8; 128];
        bad.extend([0x20, 0, 0, 0, 0xff, 0xff, 1, 1, 0, 0, 0, 0]);
        assert!(mpls_labels(&bad, 128).is_empty());
        let mut zero_len = vec![0u8; 128];
        zero_len.extend([0x20, 0, 0, 0, 0, 0, 1, 1]);
        assert!(mpls_labels(&zero_len, 128).is_empty());
    }
}
