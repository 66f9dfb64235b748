//! What a trace found, and how it is printed: traceroute-style hop lines,
//! ECMP paths and where they diverge, the path MTU, or an mtr-style table.

use super::engine::{HitKind, Hop, Ignored, MtuDrop, PortState};
pub use super::path::HopStats;
use crate::error::Exit;
use crate::net::resolve::Resolution;
use crate::net::trace::{Method, Mode};
use crate::output::{Output, Report, Tone};
use crate::timing;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, Serialize)]
pub struct TraceReport {
    pub target: String,
    pub address: IpAddr,
    pub resolution: Resolution,
    pub source: IpAddr,
    pub interface: Option<String>,
    pub method: Method,
    pub mode: Mode,
    pub paris: bool,
    pub port: Option<u16>,
    pub first_ttl: u8,
    pub max_ttl: u8,
    pub probes: u8,
    pub flows: Vec<FlowResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<Vec<HopStats>>,
    /// Complete rounds (with -c / --live).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds_done: Option<u64>,
    /// Rounds asked for; None runs until interrupted.
    #[serde(skip)]
    pub rounds_wanted: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtu: Option<MtuReport>,
    /// Reverse DNS names of the hops (empty with -n).
    pub names: BTreeMap<IpAddr, String>,
    /// AS numbers of the hops (with --asn).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub asns: BTreeMap<IpAddr, super::asn::AsInfo>,
    pub ignored: Ignored,
    pub reached: bool,
    /// Ctrl-C (or SIGTERM) ended the run: what is here is what was found until then.
    pub interrupted: bool,
    #[serde(rename = "elapsed_ms", serialize_with = "crate::output::as_ms")]
    pub elapsed: Duration,
}

#[derive(Debug, Serialize)]
pub struct FlowResult {
    pub flow: u16,
    pub hops: Vec<Hop>,
    pub reached: bool,
}

impl FlowResult {
    /// The first responding address per TTL ('None' for a silent hop).
    fn path(&self) -> Vec<(u8, Option<IpAddr>)> {
        self.hops.iter().map(|h| (h.ttl, h.addrs().first().copied())).collect()
    }
}

#[derive(Debug, Serialize)]
pub struct UdpFiltered {
    /// The last hop that answered.
    pub ttl: u8,
    pub addr: IpAddr,
    /// It said so (administratively prohibited) instead of staying silent.
    pub prohibited: bool,
}

#[derive(Debug, Serialize)]
pub struct MtuReport {
    /// Size of the first probes (the outgoing interface's MTU).
    pub start: u16,
    pub path_mtu: u32,
    pub drops: Vec<MtuDropAt>,
}

#[derive(Debug, Serialize)]
pub struct MtuDropAt {
    /// The hop whose router reported the smaller next-hop MTU.
    pub ttl: Option<u8>,
    pub router: IpAddr,
    pub from_mtu: u16,
    pub to_mtu: u32,
}

impl MtuReport {
    pub fn new(start: u16, drops: &[MtuDrop], hops: &[Hop]) -> MtuReport {
        let drops: Vec<MtuDropAt> = drops
            .iter()
            .map(|d| MtuDropAt {
                ttl: hops.iter().find(|h| h.addrs().contains(&d.from)).map(|h| h.ttl),
                router: d.from,
                from_mtu: d.probe_size,
                to_mtu: d.mtu,
            })
            .collect();
        let path_mtu = drops.last().map_or(u32::from(start), |d| d.to_mtu);
        MtuReport { start, path_mtu, drops }
    }
}

impl TraceReport {
    pub fn header(&self) -> String {
        let mut line = format!("traceroute to {} ({})", self.target, self.address);
        line += &format!(" from {}", self.source);
        if let Some(i) = &self.interface {
            line += &format!(" via {i}");
        }
        let method = match (self.method, self.paris) {
            (Method::Icmp, _) => "ICMP echo".to_string(),
            (Method::Udp, true) => format!("UDP Paris port {}", self.port.unwrap_or_default()),
            (Method::Udp, false) => format!("UDP classic ports {}+", self.port.unwrap_or_default()),
            (Method::Tcp, _) => format!("TCP SYN port {}", self.port.unwrap_or_default()),
        };
        format!("{line}, {} hops max, {method}, {}", self.max_ttl, self.mode.describe())
    }

    pub fn all_addrs(&self) -> Vec<IpAddr> {
        let mut addrs: Vec<IpAddr> = Vec::new();
        for f in &self.flows {
            for h in &f.hops {
                for a in h.addrs() {
                    if !addrs.contains(&a) {
                        addrs.push(a);
                    }
                }
            }
        }
        if let Some(rounds) = &self.rounds {
            for h in rounds {
                for a in &h.addrs {
                    if !addrs.contains(a) {
                        addrs.push(*a);
                    }
                }
            }
        }
        addrs
    }

    fn host(&self, ip: IpAddr) -> String {
        let host = match self.names.get(&ip) {
            Some(name) => format!("{name} ({ip})"),
            None => ip.to_string(),
        };
        match self.asns.get(&ip) {
            Some(a) => format!("{host} [AS{}]", a.asn),
            None => host,
        }
    }

    fn hop_line(&self, out: &Output, hop: &Hop) -> String {
        let mut line = format!("{:>2} ", hop.ttl);
        let mut last: Option<IpAddr> = None;
        let mut mpls = Vec::new();
        for p in &hop.probes {
            match &p.hit {
                None => line += " *",
                Some(hit) => {
                    if last != Some(hit.from) {
                        line += &format!(" {}", self.host(hit.from));
                        last = Some(hit.from);
                        if !hit.mpls.is_empty() {
                            mpls.push(hit.mpls.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", "));
                        }
                    }
                    line += &format!("  {} ms", timing::ms(hit.rtt));
                    if let Some(marker) = hit.marker() {
                        line += &format!(" {}", out.paint(&marker, Tone::Bad));
                    }
                    match hit.port_state {
                        Some(PortState::Open) => line += &format!(" {}", out.paint("[open]", Tone::Good)),
                        Some(PortState::Closed) => line += &format!(" {}", out.paint("[closed]", Tone::Bad)),
                        None => {}
                    }
                }
            }
        }
        // tracepath's asymm: the replies came back over another number of hops.
        let back = hop.probes.iter().filter_map(|p| p.hit.as_ref()).find_map(|h| h.back_hops());
        if let Some(back) = back.filter(|b| *b != hop.ttl) {
            line += &out.paint(&format!("  asymm {back}"), Tone::Dim);
        }
        if self.mtu.is_some() {
            line += &format!("  (probe {} bytes)", hop.size);
        }
        for stack in mpls {
            line += &format!("\n     [MPLS: {stack}]");
        }
        line
    }

    /// The TTL where the flows' paths first differ, and the addresses there.
    pub fn divergence(&self) -> Option<(u8, Vec<IpAddr>)> {
        let paths: Vec<_> = self.flows.iter().map(|f| f.path()).collect();
        let first = paths.first()?;
        for (i, (ttl, _)) in first.iter().enumerate() {
            let mut at: Vec<IpAddr> = paths.iter().filter_map(|p| p.get(i).and_then(|x| x.1)).collect();
            at.sort();
            at.dedup();
            if at.len() > 1 {
                return Some((*ttl, at));
            }
        }
        None
    }

    /// UDP probes that die at a hop while the destination is never reached:
    /// the last hop that answered (silence after it to the last TTL, or an
    /// administratively prohibited from it). Filters often drop UDP and let
    /// ICMP echo or TCP to an open port through.
    pub fn udp_filtered(&self) -> Option<UdpFiltered> {
        if self.method != Method::Udp || self.reached {
            return None;
        }
        // (ttl, first responder, prohibited?) per hop; None for a silent one.
        let hops: Vec<(u8, Option<(IpAddr, bool)>)> = match &self.rounds {
            Some(rows) => rows.iter().map(|h| (h.ttl, h.addrs.first().map(|a| (*a, false)))).collect(),
            None => self
                .flows
                .first()?
                .hops
                .iter()
                .map(|h| {
                    let hit = h.probes.iter().find_map(|p| p.hit.as_ref());
                    let prohibited = hit.is_some_and(|h| h.marker().is_some_and(|m| m == "!X" || m == "!A"));
                    (h.ttl, hit.map(|hit| (hit.from, prohibited)))
                })
                .collect(),
        };
        let last = hops.iter().rposition(|(_, a)| a.is_some())?;
        let (ttl, Some((addr, prohibited))) = hops[last] else { return None };
        let silent_after = hops.len() - last - 1;
        (prohibited || (silent_after >= 2 && !self.interrupted)).then_some(UdpFiltered { ttl, addr, prohibited })
    }

    /// TCP: what the target's answers said about the port (the last one wins).
    pub fn port_state(&self) -> Option<PortState> {
        if let Some(rows) = &self.rounds {
            return rows.iter().rev().find_map(|h| h.port_state);
        }
        self.flows
            .iter()
            .flat_map(|f| &f.hops)
            .flat_map(|h| &h.probes)
            .filter_map(|p| p.hit.as_ref())
            .filter(|h| h.kind == HitKind::Reached)
            .filter_map(|h| h.port_state)
            .next_back()
    }

    /// Distinct paths among the flows.
    pub fn distinct_paths(&self) -> usize {
        let mut paths: Vec<_> = self.flows.iter().map(|f| f.path()).collect();
        paths.sort();
        paths.dedup();
        paths.len()
    }
}

impl Report for TraceReport {
    fn human(&self, out: &Output) -> String {
        let mut text = String::new();
        if let Some(rounds) = &self.rounds {
            let mut table = out.table(&["Hop", "Host", "Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev"]);
            let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
            for h in rounds {
                let mut host = if h.addrs.is_empty() {
                    "???".to_string()
                } else {
                    h.addrs.iter().map(|a| self.host(*a)).collect::<Vec<_>>().join(", ")
                };
                match h.port_state {
                    Some(PortState::Open) => host += " [open]",
                    Some(PortState::Closed) => host += " [closed]",
                    None => {}
                }
                if let Some(back) = h.asymmetric_back_hops {
                    host += &format!(" asymm {back}");
                }
                let loss = if h.rate_limited {
                    format!("{:.1}% (ICMP rate-limited, not loss)", h.loss_pct)
                } else {
                    format!("{:.1}%", h.loss_pct)
                };
                table.add_row(vec![
                    h.ttl.to_string(),
                    host,
                    loss,
                    h.sent.to_string(),
                    f(h.last_ms),
                    f(h.avg_ms),
                    f(h.best_ms),
                    f(h.worst_ms),
                    f(h.stdev_ms),
                ]);
            }
            text += &table.to_string();
            text.push('\n');
        } else if self.flows.len() > 1 {
            for flow in &self.flows {
                text += &format!("flow {}:\n", flow.flow + 1);
                for hop in &flow.hops {
                    text += &self.hop_line(out, hop);
                    text.push('\n');
                }
            }
            let n = self.distinct_paths();
            text += &format!("{n} distinct path{} over {} flows", if n == 1 { "" } else { "s" }, self.flows.len());
            if let Some((ttl, addrs)) = self.divergence() {
                let list: Vec<String> = addrs.iter().map(|a| self.host(*a)).collect();
                text += &format!("; they diverge at hop {ttl}: {}", list.join(" | "));
            }
            text.push('\n');
        } else if let Some(flow) = self.flows.first() {
            for hop in &flow.hops {
                text += &self.hop_line(out, hop);
                text.push('\n');
            }
        }
        if let Some(mtu) = &self.mtu {
            text += &format!("path MTU {} bytes", mtu.path_mtu);
            for d in &mtu.drops {
                let hop = d.ttl.map_or(String::new(), |t| format!("hop {t} "));
                text += &format!("; drops from {} to {} at {hop}({})", d.from_mtu, d.to_mtu, self.host(d.router));
            }
            text.push('\n');
        }
        let ignored = self.ignored.unmatched + self.ignored.late + self.ignored.duplicate;
        if ignored > 0 {
            text += &out.paint(
                &format!(
                    "ignored {ignored} ICMP message(s) that matched no probe in flight ({} unmatched, {} late, {} duplicate)\n",
                    self.ignored.unmatched, self.ignored.late, self.ignored.duplicate
                ),
                Tone::Dim,
            );
        }
        if let Some(f) = self.udp_filtered() {
            let what = if f.prohibited {
                format!("hop {} ({}) refuses the UDP probes", f.ttl, self.host(f.addr))
            } else {
                format!(
                    "UDP probes get no answer past hop {} ({}): a filter there probably drops them",
                    f.ttl,
                    self.host(f.addr)
                )
            };
            text += &out.paint(&format!("{what}; try --icmp, or --tcp -p 443\n"), Tone::Warn);
        }
        if self.interrupted {
            let what = match (self.rounds_done, self.rounds_wanted) {
                (Some(n), Some(of)) => format!("interrupted after {n} of {of} rounds"),
                (Some(n), None) => format!("interrupted after {n} rounds"),
                (None, _) => "interrupted: the hops found so far".to_string(),
            };
            text += &out.paint(&format!("{what}\n"), Tone::Warn);
        }
        let verdict = if self.reached {
            let hops = match &self.rounds {
                Some(rows) => rows.last().map_or(0, |h| h.ttl),
                None => self.flows.first().and_then(|f| f.hops.last()).map_or(0, |h| h.ttl),
            };
            let mut line = format!("destination reached in {hops} hops");
            if let (Some(state), Some(port)) = (self.port_state(), self.port) {
                line += &format!(", port {port} {}", if state == PortState::Open { "open" } else { "closed" });
            }
            out.paint(&line, Tone::Good)
        } else {
            out.paint("destination not reached", Tone::Bad)
        };
        text + &verdict
    }

    fn json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["command"] = json!("traceroute");
        if self.method == Method::Tcp {
            v["port_state"] = json!(self.port_state());
        }
        if self.method == Method::Udp {
            v["udp_filtered"] = json!(self.udp_filtered());
        }
        if self.flows.len() > 1 {
            v["distinct_paths"] = json!(self.distinct_paths());
            v["divergence"] = json!(self.divergence().map(|(ttl, addrs)| json!({"ttl": ttl, "addrs": addrs})));
        }
        v
    }

    fn exit(&self) -> Exit {
        self.exit_code()
    }
}
