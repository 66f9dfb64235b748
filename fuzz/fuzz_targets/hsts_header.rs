//! A Strict-Transport-Security header value, judged by hstspreload's rules
//! and by RFC 6797 as a browser reads it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netwalk::commands::hsts_check::header;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    let _ = header::preloadable_str(value);
    let _ = header::removable(value);
    let _ = header::rfc6797(value);
});
