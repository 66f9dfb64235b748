//! The home router's caching recursive resolver, as a home router runs one
//! for its LAN: hickory's recursor starts from the lab's root hints and walks
//! root → `test.` → `example.test.`, caching what it learns; hickory-server
//! answers the clients (RA set, REFUSED to queries without RD).
//!
//! The recursor opens its own upstream sockets through a `RuntimeProvider`;
//! this one makes them inside the home router (a [`SocketFactory`]), so the
//! queries leave from the router's WAN address and never from this process's
//! own network namespace.

use super::ns::SocketFactory;
use hickory_server::Server;
use hickory_server::net::runtime::iocompat::AsyncIoTokioAsStd;
use hickory_server::net::runtime::{RuntimeProvider, TokioHandle, TokioTime};
use hickory_server::proto::rr::{LowerName, Name};
use hickory_server::resolver::recursor::{RecursiveConfig, RecursorOptions};
use hickory_server::store::recursor::RecursiveZoneHandler;
use hickory_server::zone_handler::{Catalog, ZoneType};
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Tokio I/O on sockets made inside the home router.
#[derive(Clone)]
pub struct HomeSockets {
    handle: TokioHandle,
    factory: Arc<SocketFactory>,
}

impl HomeSockets {
    pub fn new(factory: SocketFactory) -> HomeSockets {
        HomeSockets { handle: TokioHandle::default(), factory: Arc::new(factory) }
    }

    fn socket(&self, like: SocketAddr, ty: i32) -> io::Result<OwnedFd> {
        let domain = if like.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
        self.factory.make(domain, ty | libc::SOCK_NONBLOCK)
    }
}

type Boxed<T> = Pin<Box<dyn Send + Future<Output = io::Result<T>>>>;

impl RuntimeProvider for HomeSockets {
    type Handle = TokioHandle;
    type Timer = TokioTime;
    type Udp = tokio::net::UdpSocket;
    type Tcp = AsyncIoTokioAsStd<tokio::net::TcpStream>;

    fn create_handle(&self) -> TokioHandle {
        self.handle.clone()
    }

    fn connect_tcp(&self, server: SocketAddr, bind: Option<SocketAddr>, wait: Option<Duration>) -> Boxed<Self::Tcp> {
        let made = self.socket(server, libc::SOCK_STREAM);
        Box::pin(async move {
            let socket = tokio::net::TcpSocket::from_std_stream(std::net::TcpStream::from(made?));
            if let Some(bind) = bind {
                socket.bind(bind)?;
            }
            socket.set_nodelay(true)?;
            match tokio::time::timeout(wait.unwrap_or(Duration::from_secs(5)), socket.connect(server)).await {
                Ok(stream) => Ok(AsyncIoTokioAsStd(stream?)),
                Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, format!("TCP connect to {server} timed out"))),
            }
        })
    }

    fn bind_udp(&self, local: SocketAddr, _server: SocketAddr) -> Boxed<Self::Udp> {
        let made = self.socket(local, libc::SOCK_DGRAM);
        Box::pin(async move {
            let socket = UdpSocket::from(made?);
            socket2::SockRef::from(&socket).bind(&local.into())?;
            tokio::net::UdpSocket::from_std(socket)
        })
    }
}

/// Serves recursion for every name on `udp` and `tcp` (port 53 of the home
/// router's LAN address), starting from the root hints file `roots`, until
/// the runtime stops.
pub async fn serve(roots: PathBuf, sockets: HomeSockets, udp: UdpSocket, tcp: TcpListener) -> Result<(), String> {
    let config = RecursiveConfig { roots, dnssec_policy: Default::default(), options: RecursorOptions::default() };
    let handler = RecursiveZoneHandler::try_from_config(Name::root(), ZoneType::External, config, None, sockets)
        .await
        .map_err(|e| format!("recursive resolver: {e}"))?;
    let mut catalog = Catalog::new();
    catalog.upsert(LowerName::from(Name::root()), vec![Arc::new(handler)]);
    let mut server = Server::new(catalog);
    let io = |e: io::Error| format!("recursive resolver socket: {e}");
    udp.set_nonblocking(true).map_err(io)?;
    tcp.set_nonblocking(true).map_err(io)?;
    server.register_socket(tokio::net::UdpSocket::from_std(udp).map_err(io)?);
    server.register_listener(tokio::net::TcpListener::from_std(tcp).map_err(io)?, Duration::from_secs(5), 65535);
    server.block_until_done().await.map_err(|e| format!("recursive resolver: {e}"))
}
