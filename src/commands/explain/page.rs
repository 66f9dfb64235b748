//! `--html FILE`: the walk as one self-contained page people look at: every
//! step with its details and Wireshark filter, the waterfall as an inline
//! SVG picture, and each TLS step's certificate chain. Nothing is loaded
//! from anywhere: no script, no external style or image, and a
//! Content-Security-Policy that forbids every network load.

use super::report::{ExplainReport, Step, label};
use crate::timing::millis;
use std::fmt::Write as _;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1b1b1b}\
h1{font-size:1.4em}section.step{border-left:4px solid #2a7;padding:.2em .8em;margin:.8em 0}\
section.step.failed{border-color:#c33}h2{font-size:1.05em;margin:.2em 0}.dur{color:#666;font-weight:normal}\
ul{margin:.2em 0;padding-left:1.4em}code{background:#f3f3f3;padding:0 .25em}.verdict{font-weight:bold}\
.verdict.bad{color:#c33}.verdict.good{color:#2a7}table{border-collapse:collapse;margin:.4em 0}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}svg text{font:12px monospace}";

/// Text as HTML (element content and attribute values alike).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The waterfall: a bar per step (and per resource) on one time axis.
fn waterfall(report: &ExplainReport) -> String {
    const LEFT: f64 = 210.0;
    const WIDTH: f64 = 640.0;
    const ROW: f64 = 20.0;
    let total = millis(report.total).max(0.001);
    let mut rows: Vec<(String, f64, f64, bool)> = report
        .steps
        .iter()
        .map(|s| (format!("{} {} (hop {})", label(s), s.name, s.hop), millis(s.start), millis(s.duration), s.ok))
        .collect();
    if let Some(r) = &report.resources {
        for item in &r.items {
            let start = millis(item.start.unwrap_or(item.queued));
            let name = item.url.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or(&item.url);
            rows.push((format!("9 {} {name}", item.kind), start, millis(item.end) - start, item.ok()));
        }
    }
    let height = ROW * rows.len() as f64 + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"waterfall\" role=\"img\" width=\"{}\" height=\"{height}\" \
         viewBox=\"0 0 {} {height}\"><title>Waterfall of the walk, {total:.3} ms in all</title>",
        LEFT + WIDTH + 90.0,
        LEFT + WIDTH + 90.0
    );
    for (i, (name, start, dur, ok)) in rows.iter().enumerate() {
        let y = ROW * i as f64;
        let x = LEFT + (start / total * WIDTH).clamp(0.0, WIDTH);
        let w = (dur / total * WIDTH).clamp(1.0, LEFT + WIDTH - x + 1.0);
        let fill = if *ok { "#2a7" } else { "#c33" };
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"{fill}\">\
             <title>{} at {start:.3} ms, {dur:.3} ms</title></rect><text x=\"{:.1}\" y=\"{}\">{dur:.1} ms</text>",
            y + 14.0,
            escape(name),
            y + 3.0,
            ROW - 6.0,
            escape(name),
            (x + w + 4.0).min(LEFT + WIDTH + 4.0),
            y + 14.0,
        );
    }
    let axis = ROW * rows.len() as f64 + 4.0;
    let _ = write!(
        svg,
        "<line x1=\"{LEFT}\" y1=\"{axis}\" x2=\"{}\" y2=\"{axis}\" stroke=\"#888\"/><text x=\"{LEFT}\" y=\"{}\">0 ms</text>\
         <text x=\"{}\" y=\"{}\">{total:.1} ms</text></svg>",
        LEFT + WIDTH,
        axis + 16.0,
        LEFT + WIDTH - 40.0,
        axis + 16.0
    );
    svg
}

fn chain(step: &Step) -> String {
    let Some(certs) = step.facts["chain"].as_array().filter(|c| !c.is_empty()) else { return String::new() };
    let mut html = String::from(
        "<table class=\"chain\"><caption>Certificate chain, as the server sent it</caption>\
         <tr><th>#</th><th>subject</th><th>issuer</th><th>valid</th><th>names</th></tr>",
    );
    for (i, c) in certs.iter().enumerate() {
        let s = |k: &str| escape(c[k].as_str().unwrap_or_default());
        let sans: Vec<String> =
            c["san"].as_array().map(|a| a.iter().filter_map(|n| n.as_str()).map(escape).collect()).unwrap_or_default();
        let _ = write!(
            html,
            "<tr><td>{i}</td><td>{}</td><td>{}</td><td>{} – {}</td><td>{}</td></tr>",
            s("subject"),
            s("issuer"),
            s("not_before"),
            s("not_after"),
            sans.join("<br>")
        );
    }
    html + "</table>"
}

fn step_html(s: &Step) -> String {
    let mut html = format!(
        "<section class=\"step{}\" id=\"step-{}-{}-{}\" data-step=\"{}\" data-name=\"{}\" data-hop=\"{}\">\
         <h2>{} {}. {} <span class=\"dur\">({:.3} ms)</span></h2><p class=\"summary\">{}</p>",
        if s.ok { "" } else { " failed" },
        s.hop,
        label(s),
        s.name,
        s.number,
        s.name,
        s.hop,
        if s.ok { "✓" } else { "✗" },
        label(s),
        escape(title(s.name)),
        millis(s.duration),
        escape(&s.summary)
    );
    if !s.details.is_empty() {
        html += "<ul>";
        for d in &s.details {
            let _ = write!(html, "<li>{}</li>", escape(d));
        }
        html += "</ul>";
    }
    if let Some(f) = &s.filter {
        let _ = write!(html, "<p>Wireshark: <code class=\"filter\">{}</code></p>", escape(f));
    }
    if s.name == "tls" {
        html += &chain(s);
    }
    html + "</section>"
}

fn title(name: &str) -> &'static str {
    match name {
        "network" => "This host's network",
        "url" => "URL",
        "hsts" => "HSTS",
        "dns" => "Name resolution",
        "route" => "Route",
        "arp" => "Next hop (ARP)",
        "tcp" => "TCP",
        "tls" => "TLS",
        "resources" => "Resources",
        _ => "HTTP",
    }
}

/// The page.
pub fn render(report: &ExplainReport) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>netwalk explain {}</title>\
         <style>{STYLE}</style></head><body><h1>What happens when you open {}</h1>",
        escape(&report.url),
        escape(&report.url)
    );
    let verdict = match (&report.failure, report.final_status) {
        (Some(f), _) => format!(
            "<p class=\"verdict bad\" data-exit=\"1\">Stopped at step {} ({}): {}</p>",
            f.step,
            escape(f.name),
            escape(&f.explanation)
        ),
        (None, Some(st)) => format!(
            "<p class=\"verdict good\" data-exit=\"0\">Final response: {st} after {} hop{}, {:.3} ms</p>",
            report.hops,
            if report.hops == 1 { "" } else { "s" },
            millis(report.total)
        ),
        (None, None) => String::new(),
    };
    html += &verdict;
    let mut hop = 0;
    for s in report.steps.iter().filter(|s| s.name != "resources") {
        if s.hop != hop && s.hop > 1 {
            let _ = write!(html, "<h2 class=\"hop\">Redirect: hop {}</h2>", s.hop);
        }
        hop = s.hop;
        html += &step_html(s);
    }
    let _ = write!(
        html,
        "<section class=\"waterfall\" id=\"step-8\" data-step=\"8\" data-name=\"waterfall\"><h2>8. Waterfall</h2>{}\
         <p>Total {:.3} ms, of which explain's own work {:.3} ms.</p></section>",
        waterfall(report),
        millis(report.total),
        millis(report.overhead)
    );
    for s in report.steps.iter().filter(|s| s.name == "resources") {
        html += &step_html(s);
    }
    html + "<footer><p>Made by netwalk explain; nothing on this page loads from the network.</p></footer></body></html>\n"
}
