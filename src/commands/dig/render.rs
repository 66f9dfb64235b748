//! dig's layout (BIND 9.18) and the JSON document for `--json`.

use super::grammar::Settings;
use super::iterate::TraceStep;
use super::layout::{self, verbose_duration};
use super::{Outcome, QueryResult, exit_for, idn, query::endpoint};
use crate::error::Exit;
use crate::output::{Output, Report};
use crate::wire::dns::{Header, Message, Opt, Record};
use crate::wire::dns_text::{self, class_name, opcode_name, question_line_at, rcode_name, type_name};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::SystemTime;

#[derive(Debug)]
pub struct DigReport {
    pub results: Vec<QueryResult>,
    pub expect_rcode: Option<u16>,
}

impl Report for DigReport {
    fn human(&self, out: &Output) -> String {
        let mut text = String::new();
        let mut previous: Option<&str> = None;
        for r in &self.results {
            // As dig, the `; <<>>` line once per command line, not once per query of it.
            let greet = previous != Some(r.cmdline.as_str());
            previous = Some(&r.cmdline);
            // dig converts names only when a person reads them: +idnout and stdout a terminal.
            human_one(r, r.settings.idnout && out.tty, greet, &mut text);
        }
        if let Some(want) = self.expect_rcode {
            for r in &self.results {
                if let Outcome::Reply { msg, .. } = &r.outcome
                    && msg.rcode() != want
                {
                    let _ = writeln!(
                        text,
                        ";; expected status {} for {}, got {}",
                        rcode_name(want),
                        r.question.name,
                        rcode_name(msg.rcode())
                    );
                }
            }
        }
        text
    }

    fn json(&self) -> Value {
        let queries: Vec<Value> = self.results.iter().map(json_one).collect();
        json!({
            "queries": queries,
            "expect_rcode": self.expect_rcode.map(rcode_name),
            "passed": self.exit() == Exit::Passed,
        })
    }

    fn exit(&self) -> Exit {
        exit_for(&self.results, self.expect_rcode)
    }

    fn verbatim(&self) -> bool {
        true
    }
}

fn flags(h: &Header) -> String {
    let mut f = String::new();
    for (on, name) in [(h.qr, "qr"), (h.aa, "aa"), (h.tc, "tc"), (h.rd, "rd"), (h.ra, "ra"), (h.ad, "ad"), (h.cd, "cd")]
    {
        if on {
            f.push(' ');
            f.push_str(name);
        }
    }
    f
}

fn header_lines(h: &Header, rcode: u16, arcount: u16, text: &mut String) {
    let _ = writeln!(
        text,
        ";; ->>HEADER<<- opcode: {}, status: {}, id: {}",
        opcode_name(h.opcode),
        rcode_name(rcode),
        h.id
    );
    let _ = writeln!(
        text,
        ";; flags:{}; QUERY: {}, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}",
        flags(h),
        h.qdcount,
        h.ancount,
        h.nscount,
        arcount
    );
}

fn human_one(r: &QueryResult, idn: bool, greet: bool, text: &mut String) {
    let s = &r.settings;
    if let Some(steps) = &r.trace {
        return trace_human(r, steps, idn, text);
    }
    if let Some(t) = &r.transfer {
        return transfer_human(r, t, idn, text);
    }
    for note in &r.notes {
        let _ = writeln!(text, ";; {note}");
    }
    if s.short {
        match &r.outcome {
            Outcome::Reply { msg, elapsed, .. } => {
                // +identify: which server said it, and how fast (dig's wording).
                let from = match (s.identify, r.server) {
                    (true, Some(server)) => format!(" from server {} in {} ms.", server.ip(), elapsed.as_millis()),
                    _ => String::new(),
                };
                for rec in &msg.answer {
                    let _ = writeln!(text, "{}{from}", short_data(rec, idn, s));
                }
            }
            Outcome::Bad { error, .. } => {
                let _ = writeln!(text, ";; Got bad packet: {error}");
            }
            Outcome::NoResponse { reason } => {
                let _ = writeln!(text, ";; {reason}");
            }
        }
        return;
    }
    if s.cmd && greet {
        let _ = writeln!(text, "\n; <<>> netwalk dig {} <<>> {}", env!("CARGO_PKG_VERSION"), r.cmdline);
    }
    let (msg, size, elapsed, transport) = match &r.outcome {
        Outcome::NoResponse { reason } => {
            let _ = writeln!(text, ";; {reason}");
            return;
        }
        Outcome::Bad { header, error, raw } => {
            let _ = writeln!(text, ";; Got bad packet: {error}");
            let _ = writeln!(text, "{} bytes", raw.len());
            header_lines(header, header.rcode as u16, header.arcount, text);
            text.push_str(&hexdump(raw));
            return;
        }
        Outcome::Reply { msg, size, elapsed, transport } => (msg, size, elapsed, transport),
    };
    if s.comments {
        let _ = writeln!(text, ";; Got answer:");
        header_lines(&msg.header, msg.rcode(), msg.header.arcount, text);
        if msg.header.rd && !msg.header.ra {
            let _ = writeln!(text, ";; WARNING: recursion requested but not available");
        }
        text.push('\n');
        if let Some(opt) = &msg.opt {
            opt_lines(opt, r.sent_cookie, text);
        }
    }
    if s.question && !msg.questions.is_empty() {
        if s.comments {
            let _ = writeln!(text, ";; QUESTION SECTION:");
        }
        for q in &msg.questions {
            let stops = dns_text::columns(s.multiline, s.ttlid, s.class);
            let _ = writeln!(text, "{}", question_line_at(&shown_name(&q.name, idn), q.qclass, q.qtype, stops));
        }
        if s.comments {
            text.push('\n');
        }
    }
    for (show, title, records) in [
        (s.answer, "ANSWER", &msg.answer),
        (s.authority, "AUTHORITY", &msg.authority),
        (s.additional, "ADDITIONAL", &msg.additional),
    ] {
        if !show || records.is_empty() {
            continue;
        }
        if s.comments {
            let _ = writeln!(text, ";; {title} SECTION:");
        }
        for rec in records.iter() {
            let _ = writeln!(text, "{}", record_line(rec, idn, s));
        }
        if s.comments {
            text.push('\n');
        }
    }
    if s.stats {
        let server = r.server.map(|a| format!("{}({})", endpoint(a), a.ip())).unwrap_or_default();
        let _ = writeln!(text, ";; Query time: {} msec", elapsed.as_millis());
        let _ = writeln!(text, ";; SERVER: {server} ({})", transport.name());
        let _ = writeln!(text, ";; WHEN: {}", when(r.when));
        let _ = writeln!(text, ";; MSG SIZE  rcvd: {size}\n");
    }
}

/// dig's AXFR/IXFR layout: the records of every message, then BIND's
/// `; Transfer failed.` or the XFR size summary.
fn transfer_human(r: &QueryResult, t: &super::transfer::Transfer, idn: bool, text: &mut String) {
    let s = &r.settings;
    if s.cmd && !s.short {
        let _ = writeln!(text, "\n; <<>> netwalk dig {} <<>> {}", env!("CARGO_PKG_VERSION"), r.cmdline);
        let _ = writeln!(text, ";; global options: +cmd");
    }
    // +onesoa: the closing SOA (the last record of a complete AXFR) is left out.
    let shown = match s.onesoa && t.failed.is_none() && t.records.len() > 1 && r.question.qtype == 252 {
        true => &t.records[..t.records.len() - 1],
        false => &t.records[..],
    };
    for rec in shown.iter().filter(|_| s.answer) {
        if s.short {
            let _ = writeln!(text, "{}", short_data(rec, idn, s));
        } else {
            let _ = writeln!(text, "{}", record_line(rec, idn, s));
        }
    }
    if let Some(why) = &t.failed {
        let _ = writeln!(text, ";; {why}\n; Transfer failed.");
        return;
    }
    if s.stats
        && !s.short
        && let Outcome::Reply { elapsed, .. } = &r.outcome
    {
        let server = r.server.map(|a| format!("{}({})", endpoint(a), a.ip())).unwrap_or_default();
        let _ = writeln!(text, ";; Query time: {} msec", elapsed.as_millis());
        let _ = writeln!(text, ";; SERVER: {server} (TCP)");
        let _ = writeln!(text, ";; WHEN: {}", when(r.when));
        let _ =
            writeln!(text, ";; XFR size: {} records (messages {}, bytes {})\n", t.records.len(), t.messages, t.bytes);
    }
}

/// dig's +trace layout: per step the shown sections, then who answered and how fast.
fn trace_human(r: &QueryResult, steps: &[TraceStep], idn: bool, text: &mut String) {
    let s = &r.settings;
    if s.short {
        // +trace +short: the final answer's data alone, or why the walk failed.
        match &r.outcome {
            Outcome::Reply { msg, .. } => {
                for rec in &msg.answer {
                    let _ = writeln!(text, "{}", short_data(rec, idn, s));
                }
            }
            Outcome::Bad { error, .. } => {
                let _ = writeln!(text, ";; Got bad packet: {error}");
            }
            Outcome::NoResponse { reason } => {
                let _ = writeln!(text, ";; trace failed: {reason}");
            }
        }
        return;
    }
    if s.cmd {
        let _ = writeln!(text, "\n; <<>> netwalk dig {} <<>> {}", env!("CARGO_PKG_VERSION"), r.cmdline);
        let _ = writeln!(text, ";; global options: +cmd");
    }
    for step in steps {
        for note in &step.notes {
            let _ = writeln!(text, ";; {note}");
        }
        let (msg, size, elapsed) = match &step.outcome {
            Outcome::Reply { msg, size, elapsed, .. } => (msg, size, elapsed),
            Outcome::Bad { error, raw, .. } => {
                let _ = writeln!(
                    text,
                    ";; Got bad packet from {}({}): {error} ({} bytes)",
                    endpoint(step.server),
                    short_name(&step.server_name),
                    raw.len()
                );
                continue;
            }
            Outcome::NoResponse { reason } => {
                let _ = writeln!(text, ";; {reason}");
                continue;
            }
        };
        for (show, records) in [(s.answer, &msg.answer), (s.authority, &msg.authority), (s.additional, &msg.additional)]
        {
            for rec in records.iter().filter(|_| show) {
                let _ = writeln!(text, "{}", record_line(rec, idn, s));
            }
        }
        let _ = writeln!(
            text,
            ";; Received {size} bytes from {}({}) in {} ms\n",
            endpoint(step.server),
            short_name(&step.server_name),
            elapsed.as_millis()
        );
    }
    if let Outcome::NoResponse { reason } = &r.outcome {
        let _ = writeln!(text, ";; trace failed: {reason}");
    }
}

/// dig names the server without the final dot.
fn short_name(name: &str) -> &str {
    match name.strip_suffix('.') {
        Some(short) if !short.is_empty() => short,
        _ => name,
    }
}

/// One record in dig's columns; with `idn`, its names in Unicode.
pub fn record_line(rec: &Record, idn: bool, s: &Settings) -> String {
    let ttl = match (s.ttlid, s.ttlunits) {
        (false, _) => None,
        (true, true) => Some(dns_text::ttl_units(rec.ttl)),
        (true, false) => Some(rec.ttl.to_string()),
    };
    let class = s.class.then(|| class_name(rec.class));
    let stops = dns_text::columns(s.multiline, ttl.is_some(), class.is_some());
    let data = shown_data(rec, idn, s, s.multiline);
    dns_text::rr_line_at(
        &shown_name(&rec.name, idn),
        ttl.as_deref(),
        class.as_deref(),
        &type_name(rec.rtype),
        &data,
        stops,
    )
}

fn shown_name(name: &str, idn: bool) -> Cow<'_, str> {
    if idn { idn::unicode_name(name) } else { Cow::Borrowed(name) }
}

/// A record's data as +split (and +multiline when `multiline`) lay it out; with `idn`, names in Unicode.
fn shown_data<'a>(rec: &'a Record, idn: bool, s: &Settings, multiline: bool) -> Cow<'a, str> {
    let data = layout::data(rec, s.split, multiline);
    match (idn, data) {
        (false, data) => data,
        (true, Cow::Borrowed(data)) => idn::unicode_rdata(rec.rtype, data),
        (true, Cow::Owned(data)) => Cow::Owned(idn::unicode_rdata(rec.rtype, &data).into_owned()),
    }
}

/// +short prints the data alone (RRSIGs included, as dig does), on one line even under +multiline.
fn short_data<'a>(rec: &'a Record, idn: bool, s: &Settings) -> Cow<'a, str> {
    shown_data(rec, idn, s, false)
}

fn opt_lines(opt: &Opt, sent_cookie: Option<[u8; 8]>, text: &mut String) {
    let _ = writeln!(text, ";; OPT PSEUDOSECTION:");
    let mut flags = String::new();
    if opt.dnssec_ok {
        flags.push_str(" do");
    }
    let mbz = if opt.other_flags != 0 { format!("; MBZ: {:#06x}", opt.other_flags) } else { String::new() };
    let _ = writeln!(text, "; EDNS: version: {}, flags:{flags}{mbz}; udp: {}", opt.version, opt.udp_size);
    for o in &opt.options {
        let _ = writeln!(text, "; {}", option_text(o.code, &o.data, sent_cookie));
    }
}

fn option_text(code: u16, data: &[u8], sent_cookie: Option<[u8; 8]>) -> String {
    match code {
        3 => {
            let hex: Vec<String> = data.iter().map(|b| format!("{b:02x}")).collect();
            let printable: String =
                data.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
            format!("NSID: {} (\"{printable}\")", hex.join(" "))
        }
        10 => {
            let verdict = match sent_cookie {
                Some(c) if data.len() >= 8 && data[..8] == c => " (good)",
                Some(_) => " (bad)",
                None => "",
            };
            format!("COOKIE: {}{verdict}", dns_text::hex_lower(data))
        }
        8 => match subnet(data) {
            Some(s) => format!("CLIENT-SUBNET: {s}"),
            None => format!("CLIENT-SUBNET: (malformed) {}", dns_text::hex_lower(data)),
        },
        9 if data.len() == 4 => {
            let secs = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
            format!("EXPIRE: {secs} ({})", verbose_duration(secs))
        }
        _ => format!("OPT={code}: {}", dns_text::hex_lower(data)),
    }
}

/// ECS as dig prints it: address/source/scope.
fn subnet(data: &[u8]) -> Option<String> {
    let family = u16::from_be_bytes([*data.first()?, *data.get(1)?]);
    let (source, scope) = (*data.get(2)?, *data.get(3)?);
    let addr = &data[4..];
    let ip: std::net::IpAddr = match family {
        1 if addr.len() <= 4 => {
            let mut a = [0u8; 4];
            a[..addr.len()].copy_from_slice(addr);
            a.into()
        }
        2 if addr.len() <= 16 => {
            let mut a = [0u8; 16];
            a[..addr.len()].copy_from_slice(addr);
            a.into()
        }
        _ => return None,
    };
    Some(format!("{ip}/{source}/{scope}"))
}

/// dig's WHEN line, in UTC: `Sat Nov 21 05:47:49 UTC 2026`.
fn when(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let stamp = dns_text::timestamp(secs.min(u32::MAX as u64) as u32);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month: usize = stamp[4..6].parse().unwrap_or(1);
    format!(
        "{} {} {} {}:{}:{} UTC {}",
        DAYS[((secs / 86400) % 7) as usize],
        MONTHS[month.clamp(1, 12) - 1],
        &stamp[6..8],
        &stamp[8..10],
        &stamp[10..12],
        &stamp[12..14],
        &stamp[0..4]
    )
}

/// 16 bytes a line, offset, hex and printable characters.
fn hexdump(data: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in data.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
        let _ = writeln!(out, "{:04x}  {:<47}  {ascii}", i * 16, hex.join(" "));
    }
    out
}

fn record_json(rec: &Record) -> Value {
    json!({"name": rec.name, "ttl": rec.ttl, "class": class_name(rec.class), "type": type_name(rec.rtype), "data": rec.data})
}

fn header_json(h: &Header) -> Value {
    json!({"qr": h.qr, "aa": h.aa, "tc": h.tc, "rd": h.rd, "ra": h.ra, "ad": h.ad, "cd": h.cd, "z": h.z})
}

fn message_json(msg: &Message, sent_cookie: Option<[u8; 8]>) -> Value {
    let edns = msg.opt.as_ref().map(|o| {
        let options: Vec<Value> = o
            .options
            .iter()
            .map(|x| json!({"code": x.code, "data": dns_text::hex_lower(&x.data), "text": option_text(x.code, &x.data, sent_cookie)}))
            .collect();
        json!({"version": o.version, "udp_size": o.udp_size, "dnssec_ok": o.dnssec_ok, "mbz": o.other_flags, "options": options})
    });
    json!({
        "status": rcode_name(msg.rcode()),
        "rcode": msg.rcode(),
        "opcode": opcode_name(msg.header.opcode),
        "id": msg.header.id,
        "flags": header_json(&msg.header),
        "edns": edns,
        "question": msg.questions.iter().map(|q| json!({"name": q.name, "class": class_name(q.qclass), "type": type_name(q.qtype)})).collect::<Vec<_>>(),
        "answer": msg.answer.iter().map(record_json).collect::<Vec<_>>(),
        "authority": msg.authority.iter().map(record_json).collect::<Vec<_>>(),
        "additional": msg.additional.iter().map(record_json).collect::<Vec<_>>(),
    })
}

fn json_one(r: &QueryResult) -> Value {
    let mut doc = json!({
        "query": {"name": r.question.name, "type": type_name(r.question.qtype), "class": class_name(r.question.qclass)},
        "server": r.server.map(endpoint),
        "notes": r.notes,
        "when": humantime::format_rfc3339_seconds(r.when).to_string(),
    });
    let mut extra = outcome_json(&r.outcome, r.sent_cookie);
    if let Some(steps) = &r.trace {
        let steps: Vec<Value> = steps
            .iter()
            .map(|st| {
                let mut v = json!({
                    "zone": st.zone,
                    "server": endpoint(st.server),
                    "server_name": st.server_name,
                    "query": {"name": st.question.name, "type": type_name(st.question.qtype)},
                    "notes": st.notes,
                });
                if let (Value::Object(d), Value::Object(e)) = (&mut v, outcome_json(&st.outcome, st.sent_cookie)) {
                    d.extend(e);
                }
                v
            })
            .collect();
        extra["trace"] = json!(steps);
    }
    if let Some(t) = &r.transfer {
        // The records of every message, not only the last one's.
        extra["answer"] = json!(t.records.iter().map(record_json).collect::<Vec<_>>());
        extra["transfer"] =
            json!({"records": t.records.len(), "messages": t.messages, "bytes": t.bytes, "failed": t.failed});
    }
    if let (Value::Object(d), Value::Object(e)) = (&mut doc, extra) {
        d.extend(e);
    }
    doc
}

fn outcome_json(outcome: &Outcome, sent_cookie: Option<[u8; 8]>) -> Value {
    match outcome {
        Outcome::Reply { msg, size, elapsed, transport } => {
            let mut m = message_json(msg, sent_cookie);
            m["transport"] = json!(transport.name().to_ascii_lowercase());
            m["query_time_ms"] = json!(crate::timing::millis(*elapsed));
            m["msg_size"] = json!(size);
            m
        }
        Outcome::Bad { header, error, raw } => json!({
            "error": format!("bad packet: {error}"),
            "id": header.id,
            "status": rcode_name(header.rcode as u16),
            "flags": header_json(header),
            "raw": dns_text::hex_lower(raw),
        }),
        Outcome::NoResponse { reason } => json!({"error": reason}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_line_matches_dig() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_240_069);
        assert_eq!(when(t), "Sat Nov 21 05:47:49 UTC 2026");
    }

    #[test]
    fn edns_options_as_dig_prints_them() {
        assert_eq!(option_text(3, b"ns1-lab", None), "NSID: 6e 73 31 2d 6c 61 62 (\"ns1-lab\")");
        let mut c = vec![1, 2, 3, 4, 5, 6, 7, 8];
        c.extend([9; 8]);
        assert_eq!(
            option_text(10, &c, Some([1, 2, 3, 4, 5, 6, 7, 8])),
            "COOKIE: 01020304050607080909090909090909 (good)"
        );
        assert_eq!(option_text(8, &[0, 1, 24, 0, 198, 18, 3], None), "CLIENT-SUBNET: 198.18.3.0/24/0");
    }
}
