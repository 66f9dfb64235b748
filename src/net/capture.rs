//! `explain --pcap`: the walk's own packets into a pcap file. One AF_PACKET
//! socket on every interface (ETH_P_ALL, the kernel's receive and transmit
//! copies with their kernel timestamps), opened before the walk sends
//! anything. A task on the runtime writes the frames that `wire::pcap::keep`
//! says are the walk's (ARP/ND, and IP to or from the peers the walk named
//! through `Watch`) until `stop`, which drains what the kernel already queued.
//! Bounded: frames cut at SNAPLEN, the file at MAX_FILE.

use crate::error::Error;
use crate::net::packet::{ETH_P_ALL, FrameKind, PacketSocket, Received};
use crate::wire::pcap;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Bytes kept of each frame (a TSO/GRO super-frame can be ~64 KiB).
pub const SNAPLEN: usize = 65535;
/// The file stops growing here; later frames are counted, not written.
pub const MAX_FILE: u64 = 64 << 20;
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;

/// The addresses whose packets belong to the walk; the walk adds each one
/// before it sends it anything, so the capture task never misses one.
#[derive(Clone, Default)]
pub struct Watch(Arc<Mutex<Vec<IpAddr>>>);

impl Watch {
    pub fn add(&self, ip: IpAddr) {
        if let Ok(mut list) = self.0.lock()
            && !list.contains(&ip)
        {
            list.push(ip);
        }
    }

    fn snapshot(&self) -> Vec<IpAddr> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// What the capture did.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub file: PathBuf,
    /// Frames written to the file.
    pub packets: u64,
    pub bytes: u64,
    /// Frames seen on the interfaces and left out as not the walk's.
    pub other_frames: u64,
    /// Frames left out because the file reached its limit.
    pub over_limit: u64,
    /// Frames longer than the snap length (written cut).
    pub cut: u64,
    pub snaplen: usize,
    pub max_file_bytes: u64,
    /// The peers whose packets were kept (besides ARP and neighbour discovery).
    pub peers: Vec<IpAddr>,
    /// A write error that ended the capture early.
    pub error: Option<String>,
}

impl Stats {
    /// Nothing captured yet into `file`, whose size so far is `bytes`.
    fn empty(file: PathBuf, bytes: u64) -> Stats {
        Stats {
            file,
            packets: 0,
            bytes,
            other_frames: 0,
            over_limit: 0,
            cut: 0,
            snaplen: SNAPLEN,
            max_file_bytes: MAX_FILE,
            peers: Vec::new(),
            error: None,
        }
    }
}

pub struct Capture {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Stats>,
    pub watch: Watch,
}

struct Writer {
    out: BufWriter<std::fs::File>,
    stats: Stats,
}

impl Writer {
    fn frame(&mut self, data: &[u8], wire_len: usize, at: std::time::Duration) {
        if self.stats.error.is_some() {
            return;
        }
        let record = (pcap::RECORD_HEADER_LEN + data.len()) as u64;
        if self.stats.bytes + record > MAX_FILE {
            self.stats.over_limit += 1;
            return;
        }
        let header = pcap::record_header(at, data.len() as u32, wire_len as u32);
        let written = self.out.write_all(&header).and_then(|_| self.out.write_all(data));
        match written {
            Ok(()) => {
                self.stats.packets += 1;
                self.stats.bytes += record;
                if wire_len > data.len() {
                    self.stats.cut += 1;
                }
            }
            Err(e) => self.stats.error = Some(format!("writing {}: {e}", self.stats.file.display())),
        }
    }
}

impl Capture {
    /// Opens the socket (CAP_NET_RAW, else exit 3) and the file (a path that
    /// cannot be written is a usage error, exit 2), then starts capturing.
    pub fn start(path: &Path) -> Result<Capture, Error> {
        let mut socket = PacketSocket::new("--pcap (capturing the walk's packets on an AF_PACKET socket)")?;
        let file = std::fs::File::create(path).map_err(|e| {
            Error::usage_with_hint(
                format!("cannot write the capture file {}: {e}", path.display()),
                "give --pcap a path in a writable directory",
            )
        })?;
        let mut out = BufWriter::with_capacity(256 << 10, file);
        out.write_all(&pcap::file_header(SNAPLEN as u32))
            .map_err(|e| Error::usage(format!("cannot write the capture file {}: {e}", path.display())))?;
        // Interface index 0: every interface, as `tcpdump -i any` but with Ethernet headers.
        socket.bind(0, ETH_P_ALL)?;
        let watch = Watch::default();
        let (stop, stopped) = oneshot::channel();
        let stats = Stats::empty(path.to_path_buf(), pcap::FILE_HEADER_LEN as u64);
        let task = tokio::spawn(run(socket, Writer { out, stats }, watch.clone(), stopped));
        Ok(Capture { stop, task, watch })
    }

    /// Ends the capture after writing what the kernel has queued so far.
    pub async fn stop(self) -> Stats {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_else(|e| Stats {
            error: Some(format!("the capture task failed: {e}")),
            ..Stats::empty(PathBuf::new(), 0)
        })
    }
}

async fn run(socket: PacketSocket, mut w: Writer, watch: Watch, mut stopped: oneshot::Receiver<()>) -> Stats {
    let mut buf = vec![0u8; SNAPLEN + 64];
    let handle = |w: &mut Writer, got: Received, buf: &[u8]| {
        let Received::Frame { len, at, kind, wire_len, hatype, .. } = got else { return };
        // Loopback frames show up twice (sent and received): keep one copy.
        let duplicate = hatype == ARPHRD_LOOPBACK && kind == FrameKind::Outgoing;
        let ethernet = hatype == ARPHRD_ETHER || hatype == ARPHRD_LOOPBACK;
        let data = &buf[..len.min(SNAPLEN)];
        if duplicate || !ethernet || !pcap::keep(data, &watch.snapshot()) {
            w.stats.other_frames += 1;
            return;
        }
        w.frame(data, wire_len, at.since_epoch);
    };
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            got = socket.recv(&mut buf) => match got {
                Ok(got) => handle(&mut w, got, &buf),
                Err(e) => {
                    w.stats.error = Some(format!("reading the packet socket: {e}"));
                    break;
                }
            },
        }
    }
    // What was already queued when the walk ended is the walk's too.
    while let Ok(Some(got)) = socket.try_recv(&mut buf) {
        handle(&mut w, got, &buf);
    }
    if let Err(e) = w.out.flush()
        && w.stats.error.is_none()
    {
        w.stats.error = Some(format!("writing {}: {e}", w.stats.file.display()));
    }
    w.stats.peers = watch.snapshot();
    w.stats
}
