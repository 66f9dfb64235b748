//! The walk as a report: the steps in order, the waterfall, the verdict.

use super::resources::{self, Resources};
use crate::error::Exit;
use crate::net::capture::Stats;
use crate::output::{Output, Report, Tone};
use crate::timing::millis;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::Duration;

/// One step of one hop.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// 0 this host's network, 1 URL, 2 HSTS, 3 DNS, 4 route/ARP, 5 TCP, 6 TLS, 7 HTTP, 9 resources
    /// (8 is the waterfall).
    pub number: u8,
    /// `network`, `url`, `hsts`, `dns`, `route`, `arp`, `tcp`, `tls`, `http`, `resources`.
    pub name: &'static str,
    /// 1 for the URL typed, +1 per redirect.
    pub hop: usize,
    pub ok: bool,
    /// What happened, in one sentence.
    pub summary: String,
    /// Further lines for people.
    pub details: Vec<String>,
    /// The step's facts for scripts.
    pub facts: Value,
    /// Wireshark display filter showing the step's packets, when it sends any.
    pub filter: Option<String>,
    /// From the start of the walk.
    #[serde(rename = "start_ms", serialize_with = "crate::output::as_ms")]
    pub start: Duration,
    #[serde(rename = "duration_ms", serialize_with = "crate::output::as_ms")]
    pub duration: Duration,
}

impl Step {
    pub fn new(number: u8, name: &'static str, summary: impl Into<String>, facts: Value) -> Step {
        Step {
            number,
            name,
            hop: 0,
            ok: true,
            summary: summary.into(),
            details: Vec::new(),
            facts,
            filter: None,
            start: Duration::ZERO,
            duration: Duration::ZERO,
        }
    }

    pub fn filter(mut self, filter: impl Into<String>) -> Step {
        self.filter = Some(filter.into());
        self
    }

    pub fn detail(mut self, line: impl Into<String>) -> Step {
        self.details.push(line.into());
        self
    }

    pub fn failed(mut self) -> Step {
        self.ok = false;
        self
    }
}

/// Where and why the walk stopped.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub step: u8,
    pub name: &'static str,
    pub explanation: String,
}

impl Failure {
    pub fn new(step: u8, name: &'static str, explanation: impl Into<String>) -> Failure {
        Failure { step, name, explanation: explanation.into() }
    }
}

#[derive(Debug, Serialize)]
pub struct ExplainReport {
    pub url: String,
    pub steps: Vec<Step>,
    pub hops: usize,
    pub final_status: Option<u16>,
    pub failure: Option<Failure>,
    #[serde(rename = "total_ms", serialize_with = "crate::output::as_ms")]
    pub total: Duration,
    /// Wall time not inside any step: explain's own work.
    #[serde(rename = "overhead_ms", serialize_with = "crate::output::as_ms")]
    pub overhead: Duration,
    /// --resources: the page's sub-resources, one row each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// --pcap: what the capture wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<Stats>,
}

impl ExplainReport {
    pub fn new(
        url: &str,
        steps: Vec<Step>,
        final_status: Option<u16>,
        failure: Option<Failure>,
        total: Duration,
    ) -> ExplainReport {
        let inside: Duration = steps.iter().map(|s| s.duration).sum();
        let hops = steps.iter().map(|s| s.hop).max().unwrap_or(0);
        ExplainReport {
            url: url.to_string(),
            steps,
            hops,
            final_status,
            failure,
            total,
            overhead: total.saturating_sub(inside),
            resources: None,
            capture: None,
        }
    }

    fn waterfall(&self, out: &Output) -> String {
        const WIDTH: f64 = 40.0;
        let total = millis(self.total).max(0.001);
        let mut text = String::from("Waterfall (each █ is one step's share of the walk)\n");
        for s in &self.steps {
            let from = (millis(s.start) / total * WIDTH).round() as usize;
            let len = ((millis(s.duration) / total * WIDTH).round() as usize).max(1);
            let from = from.min(WIDTH as usize - 1);
            let len = len.min(WIDTH as usize - from);
            let bar = format!("{}{}", " ".repeat(from), "█".repeat(len));
            let bar = if s.ok { bar } else { out.paint(&bar, Tone::Bad) };
            let pad = " ".repeat(WIDTH as usize - from - len);
            text += &format!(
                "  {} {:<6} {bar}{pad}  {:>9.3} ms  (at {:.3} ms)\n",
                s.hop,
                s.name,
                millis(s.duration),
                millis(s.start),
            );
        }
        text += &format!(
            "  total {:.3} ms, of which explain's own work {:.3} ms\n",
            millis(self.total),
            millis(self.overhead)
        );
        text
    }
}

impl Report for ExplainReport {
    fn human(&self, out: &Output) -> String {
        let mut text = format!("What happens when you open {}\n", self.url);
        let mut hop = 0;
        // Resources (step 9) come after the waterfall (step 8) that covers them.
        let (later, steps): (Vec<&Step>, Vec<&Step>) = self.steps.iter().partition(|s| s.name == "resources");
        for s in steps {
            if s.hop != hop {
                hop = s.hop;
                if hop > 1 {
                    text += &format!("\n{}\n", out.paint(&format!("— redirect: hop {hop} —"), Tone::Bold));
                }
            }
            text += &step_text(s, out);
        }
        text += "\n8. ";
        text += &self.waterfall(out);
        for s in later {
            text += &step_text(s, out);
        }
        text += "\n";
        if let Some(r) = self.resources.as_ref().filter(|r| !r.items.is_empty()) {
            text += &resources::waterfall(&r.items, self.total);
            text += "\n";
        }
        if let Some(c) = &self.capture {
            text += &format!(
                "Capture: {} packets ({} bytes) in {}{}; open it with wireshark {}\n",
                c.packets,
                c.bytes,
                c.file.display(),
                if c.over_limit > 0 {
                    format!(", {} more left out at the 64 MiB limit", c.over_limit)
                } else {
                    String::new()
                },
                c.file.display()
            );
            if let Some(e) = &c.error {
                text += &out.paint(&format!("Capture incomplete: {e}"), Tone::Bad);
                text += "\n";
            }
            text += "\n";
        }
        match (&self.failure, self.final_status) {
            (Some(f), _) => {
                text += &out.paint(&format!("Stopped at step {} ({}): {}", f.step, f.name, f.explanation), Tone::Bad);
            }
            (None, Some(status)) => {
                text += &out.paint(
                    &format!(
                        "Final response: {status} after {} hop{}",
                        self.hops,
                        if self.hops == 1 { "" } else { "s" }
                    ),
                    Tone::Good,
                );
            }
            (None, None) => {}
        }
        text + "\n"
    }

    fn json(&self) -> Value {
        let mut value = json!(self);
        value["command"] = json!("explain");
        value
    }

    fn exit(&self) -> Exit {
        if self.failure.is_some() { Exit::Failed } else { Exit::Passed }
    }
}

fn step_text(s: &Step, out: &Output) -> String {
    let mark = if s.ok { out.paint("✓", Tone::Good) } else { out.paint("✗", Tone::Bad) };
    let mut text = format!(
        "\n{mark} {} {} {}\n",
        out.paint(&format!("{}. {}", label(s), title(s.name)), Tone::Bold),
        out.paint(&format!("({:.3} ms)", millis(s.duration)), Tone::Dim),
        s.summary
    );
    for line in &s.details {
        text += &format!("    {line}\n");
    }
    if let Some(filter) = &s.filter {
        text += &format!("    {} {filter}\n", out.paint("wireshark:", Tone::Dim));
    }
    text
}

/// Step 4 has two halves, the route (4a) and the next hop (4b); the JSON
/// keeps `number` 4 for both, as failures report it.
fn label(s: &Step) -> String {
    match s.name {
        "route" => "4a".into(),
        "arp" => "4b".into(),
        _ => s.number.to_string(),
    }
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
