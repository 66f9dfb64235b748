//! Prometheus' text exposition format (version 0.0.4): one HELP and TYPE
//! per family, its samples together, label values escaped.

use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

#[derive(Debug)]
struct Family {
    name: String,
    help: &'static str,
    kind: Kind,
    samples: Vec<(String, f64)>,
}

/// The metrics of one probe, or of the server itself.
#[derive(Debug, Default)]
pub struct Metrics {
    families: Vec<Family>,
}

impl Metrics {
    pub fn gauge(&mut self, name: &str, help: &'static str, value: f64) {
        self.add(name, help, Kind::Gauge, &[], value);
    }

    pub fn gauge_with(&mut self, name: &str, help: &'static str, labels: &[(&str, &str)], value: f64) {
        self.add(name, help, Kind::Gauge, labels, value);
    }

    pub fn counter_with(&mut self, name: &str, help: &'static str, labels: &[(&str, &str)], value: f64) {
        self.add(name, help, Kind::Counter, labels, value);
    }

    /// A gauge from a number the report may not have (a failed probe's RTT):
    /// left out, as blackbox leaves out what it did not measure.
    pub fn gauge_opt(&mut self, name: &str, help: &'static str, value: Option<f64>) {
        if let Some(value) = value {
            self.gauge(name, help, value);
        }
    }

    /// A sample joins its family wherever it was added, so families stay whole.
    fn add(&mut self, name: &str, help: &'static str, kind: Kind, labels: &[(&str, &str)], value: f64) {
        let mut text = String::new();
        if !labels.is_empty() {
            text.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                let _ = write!(text, "{key}=\"{}\"", escape(value));
            }
            text.push('}');
        }
        match self.families.iter_mut().find(|f| f.name == name) {
            Some(family) => family.samples.push((text, value)),
            None => self.families.push(Family { name: name.to_string(), help, kind, samples: vec![(text, value)] }),
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for family in &self.families {
            let kind = match family.kind {
                Kind::Gauge => "gauge",
                Kind::Counter => "counter",
            };
            let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
            let _ = writeln!(out, "# TYPE {} {kind}", family.name);
            for (labels, value) in &family.samples {
                let _ = writeln!(out, "{}{labels} {}", family.name, number(*value));
            }
        }
        out
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        value.to_string()
    }
}

/// blackbox's probe_ip_addr_hash: FNV-1a (32 bit) of the address's text,
/// so a change of address shows as a change of value.
pub fn ip_hash(addr: &str) -> f64 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in addr.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    f64::from(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_stay_together_and_labels_are_escaped() {
        let mut m = Metrics::default();
        m.gauge_with("probe_http_duration_seconds", "Duration by phase", &[("phase", "connect")], 0.25);
        m.gauge("probe_success", "Whether the probe succeeded", 1.0);
        m.gauge_with("probe_http_duration_seconds", "Duration by phase", &[("phase", "tls\"\\\n")], 1e-7);
        m.gauge_opt("probe_none", "absent", None);
        assert_eq!(
            m.render(),
            "# HELP probe_http_duration_seconds Duration by phase\n# TYPE probe_http_duration_seconds gauge\n\
             probe_http_duration_seconds{phase=\"connect\"} 0.25\n\
             probe_http_duration_seconds{phase=\"tls\\\"\\\\\\n\"} 0.0000001\n\
             # HELP probe_success Whether the probe succeeded\n# TYPE probe_success gauge\nprobe_success 1\n"
        );
        assert_eq!(number(f64::INFINITY), "+Inf");
    }

    #[test]
    fn the_address_hash_is_fnv1a() {
        // FNV-1a 32 of "" and "a" (the published test vectors).
        assert_eq!(ip_hash(""), f64::from(0x811c_9dc5_u32));
        assert_eq!(ip_hash("a"), f64::from(0xe40c_292c_u32));
    }
}
