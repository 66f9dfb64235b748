//! Interfaces and routes: which interface exists, and which source address and
//! interface the kernel would use towards a destination.

use crate::error::Error;
use serde::Serialize;
use socket2::{Domain, Socket, Type};
use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Serialize)]
pub struct Interface {
    pub name: String,
    pub index: u32,
    pub mac: Option<String>,
    pub addrs: Vec<IpAddr>,
    /// The same addresses with their prefix lengths (the on-link networks).
    pub networks: Vec<(IpAddr, u8)>,
    pub up: bool,
    pub loopback: bool,
}

pub fn all() -> Vec<Interface> {
    pnet_datalink::interfaces()
        .into_iter()
        .map(|i| Interface {
            mac: i.mac.filter(|m| m.octets() != [0; 6]).map(|m| m.to_string()),
            up: i.is_up(),
            loopback: i.is_loopback(),
            addrs: i.ips.iter().map(|n| n.ip()).collect(),
            networks: i.ips.iter().map(|n| (n.ip(), n.prefix())).collect(),
            name: i.name,
            index: i.index,
        })
        .collect()
}

/// The interface named `name`, or an error listing the ones that exist.
pub fn find(name: &str) -> Result<Interface, Error> {
    let all = all();
    match all.iter().find(|i| i.name == name) {
        Some(found) => Ok(found.clone()),
        None => {
            Err(Error::NoSuchInterface { name: name.to_string(), available: all.into_iter().map(|i| i.name).collect() })
        }
    }
}

/// The route the kernel picks towards `dst`: its source address and interface.
#[derive(Debug, Clone, Serialize)]
pub struct Route {
    pub source: IpAddr,
    pub interface: Option<String>,
}

/// Asks the routing table with one netlink request (`ip route get`); when
/// the answer names no source (blackhole and other special routes), asks by
/// connecting a UDP socket, which sends nothing. `None` when there is no
/// route; the probe itself then reports why.
pub fn route_to(dst: IpAddr, interface: Option<&str>) -> Option<Route> {
    let oif = match interface {
        Some(name) => Some(index_of(name)?),
        None => None,
    };
    if let Ok(Some(path)) = crate::net::netlink::route_get(dst, oif)
        && let Some(source) = path.source
    {
        return Some(Route { source, interface: interface.map(str::to_string).or(path.interface) });
    }
    let socket = Socket::new(Domain::for_address(SocketAddr::new(dst, 9)), Type::DGRAM, None).ok()?;
    if let Some(name) = interface {
        socket.bind_device(Some(name.as_bytes())).ok()?;
    }
    socket.connect(&SocketAddr::new(dst, 9).into()).ok()?;
    let source = socket.local_addr().ok()?.as_socket()?.ip();
    let interface =
        interface.map(str::to_string).or_else(|| all().into_iter().find(|i| i.addrs.contains(&source)).map(|i| i.name));
    Some(Route { source, interface })
}

/// The kernel's index of interface `name`.
fn index_of(name: &str) -> Option<u32> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: a NUL-terminated name; if_nametoindex only reads it.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    (index != 0).then_some(index)
}
