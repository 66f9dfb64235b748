//! One module per command: clap Args, a pure engine, and a thin `run`.

pub mod arp;
pub mod tcping;
pub mod hsts_check;
