//! A DNS reply from a hostile server: header, names with compression
//! pointers, every record's rdata rendered in presentation format.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = netwalk::wire::dns::Header::parse(data);
    let _ = netwalk::wire::dns::Message::parse(data);
});
