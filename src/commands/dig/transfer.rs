//! Zone transfers (AXFR, RFC 5936; IXFR, RFC 1995) as a pure engine: it is
//! fed each TCP message in turn and says whether the transfer goes on, is
//! complete, or failed and why. The caller does the I/O (net::dns::tcp_messages).

use super::query::{Sent, Verdict, judge};
use crate::wire::dns::Record;
use crate::wire::dns_text::rcode_name;
use std::net::SocketAddr;

/// A transfer stops (and fails) past this many records or bytes: bounded memory, whatever the server sends.
pub const MAX_RECORDS: usize = 2_000_000;
pub const MAX_BYTES: usize = 512 << 20;

/// What a transfer received, complete or not.
#[derive(Debug, Clone, Default)]
pub struct Transfer {
    pub records: Vec<Record>,
    pub messages: usize,
    pub bytes: usize,
    /// Why it failed (`; Transfer failed.`), or None when it completed.
    pub failed: Option<String>,
}

/// The engine: feed messages until `feed` returns Ok(false) (complete) or Err (failed).
#[derive(Debug)]
pub struct Xfr {
    ixfr: bool,
    /// The serial of the first SOA: the zone's version being sent.
    serial: Option<u32>,
    /// IXFR: true once the second record is a SOA (incremental), false when the server fell back to a full zone.
    incremental: Option<bool>,
    /// SOA records seen after the first.
    soas: usize,
    pub transfer: Transfer,
}

fn soa_serial(rec: &Record) -> Option<u32> {
    (rec.rtype == 6).then(|| rec.data.split_whitespace().nth(2)?.parse().ok()).flatten()
}

impl Xfr {
    pub fn new(ixfr: bool) -> Xfr {
        Xfr { ixfr, serial: None, incremental: None, soas: 0, transfer: Transfer::default() }
    }

    /// One message of the transfer; Ok(true) when more are to come.
    pub fn feed(&mut self, data: &[u8], server: SocketAddr, sent: &Sent) -> Result<bool, String> {
        let t = &mut self.transfer;
        t.messages += 1;
        t.bytes += data.len();
        let msg = match judge(data, server, server, sent) {
            Verdict::Reply(msg) => msg,
            Verdict::Bad { error, .. } => return Err(format!("message {} is malformed: {error}", t.messages)),
            Verdict::Ignore(why) => return Err(format!("message {}: {why}", t.messages)),
        };
        if msg.rcode() != 0 {
            return Err(format!("the server answered {}", rcode_name(msg.rcode())));
        }
        if msg.answer.is_empty() && t.records.is_empty() {
            return Err("the server sent no records".into());
        }
        for rec in msg.answer.into_iter() {
            if t.records.len() >= MAX_RECORDS || t.bytes > MAX_BYTES {
                return Err(format!(
                    "stopped after {} records ({} bytes): transfer too large",
                    t.records.len(),
                    t.bytes
                ));
            }
            let soa = soa_serial(&rec);
            let first = t.records.is_empty();
            t.records.push(rec);
            if first {
                self.serial = Some(soa.ok_or("the transfer does not start with a SOA record")?);
                continue;
            }
            if self.ixfr && self.incremental.is_none() {
                self.incremental = Some(soa.is_some());
            }
            let Some(serial) = soa else { continue };
            self.soas += 1;
            let done = match self.incremental {
                // RFC 1995: SOA(old) deletions SOA(new) additions, repeated; the zone's SOA in a
                // deletions position ends it.
                Some(true) => self.soas % 2 == 1 && Some(serial) == self.serial,
                _ => true,
            };
            if done {
                return Ok(false);
            }
        }
        // IXFR with a lone SOA: the client is up to date (RFC 1995 4).
        Ok(!(self.ixfr && t.records.len() == 1 && self.incremental.is_none()))
    }
}
