//! ICMP and ICMPv6 errors as traceroute reads them: the outer message, the
//! quoted probe headers, a TCP answer, and RFC 4884 MPLS extensions.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netwalk::wire::{ext, icmp};

fuzz_target!(|data: &[u8]| {
    let _ = icmp::parse_v4(data);
    let _ = icmp::parse_v6(data);
    let _ = icmp::parse_quote_v4(data);
    let _ = icmp::parse_quote_v6(data);
    let _ = icmp::parse_tcp_answer(data);
    let _ = icmp::strip_v4(data, 6);
    if let Some((&quoted, body)) = data.split_first() {
        let _ = ext::mpls_labels(body, usize::from(quoted) * 4);
    }
});
