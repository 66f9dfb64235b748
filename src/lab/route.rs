//! Addresses (the lab's address plan) and static route computation.

use std::collections::VecDeque;
use std::fmt;
use std::net::IpAddr;

/// An interface address with its prefix length, e.g. `198.18.1.1/24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn family(&self) -> u8 {
        if self.addr.is_ipv4() { 4 } else { 6 }
    }

    /// The network this address is on (host bits cleared).
    pub fn network(&self) -> Cidr {
        let addr = match self.addr {
            IpAddr::V4(a) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix) };
                IpAddr::V4((u32::from(a) & mask).into())
            }
            IpAddr::V6(a) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix) };
                IpAddr::V6((u128::from(a) & mask).into())
            }
        };
        Cidr { addr, prefix: self.prefix }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// True for addresses the lab may use: 198.18.0.0/15, 2001:db8::/32, loopback.
pub fn in_address_plan(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            (o[0] == 198 && (o[1] == 18 || o[1] == 19)) || a.is_loopback()
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            (s[0] == 0x2001 && s[1] == 0x0db8) || a.is_loopback()
        }
    }
}

pub fn plan_violation(what: &str, addr: IpAddr) -> String {
    format!(
        "lab: {what}: address {addr} is outside the lab address plan \
         (IPv4 198.18.0.0/15, IPv6 2001:db8::/32, or loopback); see DESIGN.md \"The lab\""
    )
}

/// Parses `"198.18.1.1/24,2001:db8:1::1/64"` (empty string: no addresses)
/// and enforces the address plan. Panics with `what` in the message.
pub fn parse_cidrs(list: &str, what: &str) -> Vec<Cidr> {
    try_parse_cidrs(list, what).unwrap_or_else(|e| panic!("{e}"))
}

/// [`parse_cidrs`] that says what is wrong instead of panicking.
pub fn try_parse_cidrs(list: &str, what: &str) -> Result<Vec<Cidr>, String> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((a, p)) = item.split_once('/') else {
            return Err(format!("lab: {what}: `{item}` needs a prefix length, e.g. 198.18.1.1/24"));
        };
        let addr: IpAddr = a.parse().map_err(|e| format!("lab: {what}: `{item}`: bad address: {e}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = match p.parse() {
            Ok(n) if n <= max => n,
            _ => return Err(format!("lab: {what}: `{item}`: prefix length must be 0..={max}")),
        };
        if !in_address_plan(addr) {
            return Err(plan_violation(what, addr));
        }
        out.push(Cidr { addr, prefix });
    }
    Ok(out)
}

/// The routing view of a lab: which node is a router, who has which
/// addresses on which interface, which interfaces share a segment.
pub struct Topology {
    /// Per node: `None` for a switch (not a routing node), else is_router.
    pub nodes: Vec<Option<bool>>,
    /// Segments (links and switches) in creation order; members are
    /// (node index, interface name, addresses on that interface).
    pub segments: Vec<Vec<(usize, String, Vec<Cidr>)>>,
}

struct Edge {
    to: usize,
    dev: String,
    gateway: IpAddr,
}

impl Topology {
    /// `ip -batch` lines per node (index-aligned with `nodes`).
    pub fn routes(&self) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for family in [4u8, 6] {
            self.routes_for(family, &mut out);
        }
        out
    }

    fn routes_for(&self, family: u8, out: &mut [Vec<String>]) {
        let first_of = |addrs: &[Cidr]| addrs.iter().copied().find(|c| c.family() == family && !c.addr.is_loopback());
        // Adjacency in segment order, then member order: deterministic.
        let mut adj: Vec<Vec<Edge>> = (0..self.nodes.len()).map(|_| Vec::new()).collect();
        // Per node: number of segments it is on, and for single-segment
        // nodes the default gateway candidate.
        let mut seg_count = vec![0usize; self.nodes.len()];
        let mut default_gw: Vec<Option<(String, IpAddr)>> = vec![None; self.nodes.len()];
        for seg in &self.segments {
            let routing: Vec<_> = seg.iter().filter(|m| self.nodes[m.0].is_some()).collect();
            for m in &routing {
                seg_count[m.0] += 1;
            }
            for u in &routing {
                if first_of(&u.2).is_none() {
                    continue;
                }
                for v in &routing {
                    if u.0 == v.0 {
                        continue;
                    }
                    if let Some(gw) = first_of(&v.2) {
                        adj[u.0].push(Edge { to: v.0, dev: u.1.clone(), gateway: gw.addr });
                    }
                }
                // Default gateway: the peer of a point-to-point link, or the
                // first router on a shared segment.
                let peers: Vec<_> = routing.iter().filter(|v| v.0 != u.0).collect();
                let pick = if peers.len() == 1 && seg.len() == 2 {
                    Some(peers[0])
                } else {
                    peers.iter().find(|v| self.nodes[v.0] == Some(true)).copied()
                };
                if let Some(gw) = pick.and_then(|v| first_of(&v.2)) {
                    default_gw[u.0].get_or_insert((u.1.clone(), gw.addr));
                }
            }
        }
        // Every subnet of this family, in order of first appearance, with the
        // nodes directly on it.
        let mut subnets: Vec<(Cidr, Vec<usize>)> = Vec::new();
        for seg in &self.segments {
            for (node, _, addrs) in seg {
                if self.nodes[*node].is_none() {
                    continue;
                }
                for c in addrs.iter().filter(|c| c.family() == family && !c.addr.is_loopback()) {
                    let net = c.network();
                    match subnets.iter_mut().find(|(n, _)| *n == net) {
                        Some((_, on)) if !on.contains(node) => on.push(*node),
                        Some(_) => {}
                        None => subnets.push((net, vec![*node])),
                    }
                }
            }
        }
        let default_prefix = if family == 4 { "0.0.0.0/0" } else { "::/0" };
        for h in 0..self.nodes.len() {
            if self.nodes[h].is_none() {
                continue;
            }
            if seg_count[h] == 1 {
                if let Some((dev, gw)) = &default_gw[h] {
                    out[h].push(format!("route replace {default_prefix} via {gw} dev {dev}"));
                }
                continue;
            }
            // BFS from h; only routers are expanded beyond the first hop.
            let mut order = vec![usize::MAX; self.nodes.len()];
            let mut dist = vec![usize::MAX; self.nodes.len()];
            let mut first: Vec<Option<usize>> = vec![None; self.nodes.len()]; // edge index in adj[h]
            let mut q = VecDeque::new();
            dist[h] = 0;
            order[h] = 0;
            let mut seen = 1;
            q.push_back(h);
            while let Some(u) = q.pop_front() {
                if u != h && self.nodes[u] != Some(true) {
                    continue;
                }
                for (ei, e) in adj[u].iter().enumerate() {
                    if dist[e.to] != usize::MAX {
                        continue;
                    }
                    dist[e.to] = dist[u] + 1;
                    order[e.to] = seen;
                    seen += 1;
                    first[e.to] = if u == h { Some(ei) } else { first[u] };
                    q.push_back(e.to);
                }
            }
            for (net, on) in &subnets {
                if on.contains(&h) {
                    continue;
                }
                let best = on.iter().filter(|&&g| dist[g] != usize::MAX).min_by_key(|&&g| (dist[g], order[g]));
                if let Some(&g) = best {
                    let e = &adj[h][first[g].expect("reached node has a first hop")];
                    out[h].push(format!("route replace {net} via {} dev {}", e.gateway, e.dev));
                }
            }
        }
    }
}
