//! What a TLS server sends back to the crafted ClientHello prober: records,
//! ServerHello, alerts, key exchange parameters.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = netwalk::wire::tls_hello::parse_reply(data, netwalk::wire::tls_hello::Depth::Hello);
    let _ = netwalk::wire::tls_hello::parse_reply(data, netwalk::wire::tls_hello::Depth::KeyExchange);
    let _ = netwalk::wire::tls_hello::parse_reply(data, netwalk::wire::tls_hello::Depth::Flight);
});
