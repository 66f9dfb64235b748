//! A DHCP reply as dhcp-discover sees it: the bytes are the UDP payload of a
//! frame from port 67 to 68, whose xid and chaddr are taken as ours, so the
//! whole offer decoder runs (options split and every option described).
#![no_main]
use libfuzzer_sys::fuzz_target;
use netwalk::commands::dhcp_discover::engine::{Request, inspect};
use netwalk::wire::udp_frame::{Endpoints, build};

fuzz_target!(|payload: &[u8]| {
    let xid = payload.get(4..8).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(0);
    let mut chaddr = [0u8; 6];
    if let Some(b) = payload.get(28..34) {
        chaddr.copy_from_slice(b);
    }
    let ends = Endpoints {
        src_mac: [2, 0, 0, 0, 0, 1],
        dst_mac: [0xff; 6],
        src_ip: [198, 18, 0, 1].into(),
        dst_ip: [255, 255, 255, 255].into(),
        src_port: 67,
        dst_port: 68,
    };
    let req = Request { xid, chaddr, client_id: None, hostname: None };
    let _ = inspect(&build(&ends, 64, payload), &req, std::time::Duration::ZERO);
});
