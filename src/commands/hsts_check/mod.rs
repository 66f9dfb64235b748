//! `netwalk hsts-check`: the Strict-Transport-Security header, hstspreload's
//! preload requirements, and the Chromium preload list offline.

pub mod header;
pub mod issue;
pub mod preload;
