//! UDP sockets bound to one interface's link-local address (DHCPv6's client side).

use crate::error::Error;
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{Ipv6Addr, SocketAddrV6};

/// A non-blocking UDP socket on `[addr%ifindex]:port`, sending multicast out
/// of that interface only. SO_REUSEADDR so a DHCP client on the machine does
/// not stop us (we never consume its replies: ours carry our own DUID).
pub fn bind_link_local(iface: &str, ifindex: u32, addr: Ipv6Addr, port: u16) -> Result<tokio::net::UdpSocket, Error> {
    let fail = |what: &str, e| Error::io(format!("{what} on {iface}"), e);
    let socket = Socket::new(Domain::IPV6, Type::DGRAM.nonblocking().cloexec(), Some(Protocol::UDP))
        .map_err(|e| fail("cannot create a UDP socket", e))?;
    socket.set_reuse_address(true).map_err(|e| fail("cannot set SO_REUSEADDR", e))?;
    socket.bind_device(Some(iface.as_bytes())).map_err(|e| fail("cannot bind to the interface", e))?;
    socket.set_multicast_if_v6(ifindex).map_err(|e| fail("cannot choose the multicast interface", e))?;
    socket.set_multicast_hops_v6(1).map_err(|e| fail("cannot set the multicast hop limit", e))?;
    socket
        .bind(&SocketAddrV6::new(addr, port, 0, ifindex).into())
        .map_err(|e| fail(&format!("cannot bind [{addr}]:{port}"), e))?;
    tokio::net::UdpSocket::from_std(socket.into()).map_err(|e| fail("cannot register the UDP socket", e))
}
