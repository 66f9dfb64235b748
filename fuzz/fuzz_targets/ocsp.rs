//! A stapled OCSP response and the DER reader under it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netwalk::wire::{der, ocsp};

fuzz_target!(|data: &[u8]| {
    let _ = ocsp::parse(data);
    if let Some((tlv, _)) = der::read(data) {
        for child in der::children(tlv.value) {
            let _ = der::generalized_time(child.value);
        }
    }
});
