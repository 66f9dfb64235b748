//! The lab's DNS hierarchy: authoritative hickory-server zones for the root,
//! `test.` and `example.test.`, each on its own lab host, with glue in the
//! referrals so an iterative resolver (`dig +trace`) can walk them.

use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_proto::serialize::txt::Parser;
use hickory_server::Server;
use hickory_server::proto::rr::TSigResponseContext;
use hickory_server::server::{Request, RequestInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{
    AuthLookup, AxfrPolicy, Catalog, LookupControlFlow, LookupOptions, LookupRecords, ZoneHandler, ZoneType,
};
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// One zone as served: origin, zone text, and the addresses of name
/// servers it delegates to (glue).
pub struct Zone {
    pub origin: String,
    pub text: String,
    pub glue: Vec<(String, Ipv4Addr)>,
}

/// hickory-server 0.26 sends referrals without glue (its additional-section
/// search stops at the delegation); this handler adds the A records of the
/// NS targets it is given, as a real parent zone does.
struct GlueZone {
    inner: InMemoryZoneHandler,
    glue: Vec<Record>,
}

impl GlueZone {
    fn with_glue(&self, answers: LookupRecords) -> AuthLookup {
        let targets: Vec<Name> = answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::NS(ns) => Some(ns.0.clone()),
                _ => None,
            })
            .collect();
        let glue: Vec<Record> = self.glue.iter().filter(|g| targets.contains(&g.name)).cloned().collect();
        AuthLookup::answers(answers, (!glue.is_empty()).then_some(LookupRecords::Section(glue)))
    }
}

#[async_trait::async_trait]
impl ZoneHandler for GlueZone {
    fn zone_type(&self) -> ZoneType {
        self.inner.zone_type()
    }

    fn axfr_policy(&self) -> AxfrPolicy {
        AxfrPolicy::Deny
    }

    fn origin(&self) -> &LowerName {
        self.inner.origin()
    }

    async fn lookup(
        &self,
        name: &LowerName,
        rtype: RecordType,
        info: Option<&RequestInfo<'_>>,
        options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        match self.inner.lookup(name, rtype, info, options).await {
            LookupControlFlow::Continue(Ok(AuthLookup::Records { answers, .. })) => {
                LookupControlFlow::Continue(Ok(self.with_glue(answers)))
            }
            LookupControlFlow::Break(Ok(AuthLookup::Records { answers, .. })) => {
                LookupControlFlow::Break(Ok(self.with_glue(answers)))
            }
            other => other,
        }
    }

    async fn search(
        &self,
        request: &Request,
        options: LookupOptions,
    ) -> (LookupControlFlow<AuthLookup>, Option<TSigResponseContext>) {
        let info = match request.request_info() {
            Ok(info) => info,
            Err(e) => return (LookupControlFlow::Break(Err(e)), None),
        };
        (self.lookup(info.query.name(), info.query.query_type(), Some(&info), options).await, None)
    }

    async fn nsec_records(&self, name: &LowerName, options: LookupOptions) -> LookupControlFlow<AuthLookup> {
        self.inner.nsec_records(name, options).await
    }
}

/// Parses `zone` and serves it on `udp` and `tcp` (sockets made inside its
/// lab host) until the runtime stops.
pub async fn serve(zone: Zone, udp: UdpSocket, tcp: TcpListener) -> Result<(), String> {
    let origin = Name::from_str(&zone.origin).map_err(|e| format!("zone origin {}: {e}", zone.origin))?;
    let (origin, records) =
        Parser::new(zone.text, None, Some(origin)).parse().map_err(|e| format!("zone {}: {e}", zone.origin))?;
    let inner = InMemoryZoneHandler::new(origin.clone(), records, ZoneType::Primary, AxfrPolicy::Deny)
        .map_err(|e| format!("zone {}: {e}", zone.origin))?;
    let mut glue = Vec::new();
    for (name, ip) in zone.glue {
        let name = Name::from_str(&name).map_err(|e| format!("glue name {name}: {e}"))?;
        glue.push(Record::from_rdata(name, 86400, RData::A(ip.into())));
    }
    let mut catalog = Catalog::new();
    catalog.upsert(LowerName::from(origin), vec![Arc::new(GlueZone { inner, glue })]);
    let mut server = Server::new(catalog);
    let io = |e: std::io::Error| format!("DNS server socket: {e}");
    udp.set_nonblocking(true).map_err(io)?;
    tcp.set_nonblocking(true).map_err(io)?;
    server.register_socket(tokio::net::UdpSocket::from_std(udp).map_err(io)?);
    server.register_listener(tokio::net::TcpListener::from_std(tcp).map_err(io)?, Duration::from_secs(5), 65535);
    server.block_until_done().await.map_err(|e| format!("DNS server: {e}"))
}
