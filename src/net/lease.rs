//! Runs the DHCP lease engine on a packet socket: the I/O half of
//! `commands::dhcp_discover::lease` (only `netwalk lab` takes a lease).

use crate::commands::dhcp_discover::engine::Request;
use crate::commands::dhcp_discover::lease::{Action, Lease, LeaseClient};
use crate::error::Error;
use crate::net::packet::{MAX_FRAME, PacketSocket, Received};
use std::time::{Duration, Instant};

/// DISCOVER → OFFER → REQUEST → ACK on `socket` (bound to the client's
/// interface, EtherType IPv4), within `timeout`.
pub async fn take(socket: &PacketSocket, req: Request, timeout: Duration) -> Result<Lease, Error> {
    let give_up = Instant::now() + timeout;
    let (mut client, first) = LeaseClient::start(req, Instant::now());
    let send = |frame: &[u8]| socket.send(frame).map(|_| ()).map_err(|e| Error::io("cannot send a DHCP message", e));
    send(&first)?;
    let mut buf = vec![0u8; MAX_FRAME];
    loop {
        let wake = client.deadline().min(give_up);
        let action = match tokio::time::timeout_at(wake.into(), socket.recv(&mut buf)).await {
            Ok(Ok(Received::Frame { len, .. })) => client.handle(&buf[..len], Instant::now()),
            Ok(Ok(Received::Sent { .. })) => Action::Wait,
            Ok(Err(e)) => return Err(Error::io("cannot receive DHCP replies", e)),
            Err(_) if Instant::now() >= give_up => {
                return Err(Error::target(format!("no DHCP lease within {}", crate::timing::human(timeout))));
            }
            Err(_) => client.poll(Instant::now()),
        };
        match action {
            Action::Send(frame) => send(&frame)?,
            Action::Bound(lease) => return Ok(*lease),
            Action::Failed(why) => return Err(Error::target(format!("DHCP: {why}"))),
            Action::Wait => {}
        }
    }
}
