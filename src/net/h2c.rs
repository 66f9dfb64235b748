//! The client side of an h2c upgrade (RFC 9113 §3.2 as first written in
//! RFC 7540 §3.2): the HTTP/1.1 request carried `Upgrade: h2c`, the server
//! answered 101, and its response to that request arrives as HTTP/2 stream 1,
//! which the client never opens itself.
//!
//! hyper and h2 have no way to adopt stream 1, so `Adopt` sits under the
//! HTTP/2 client: the client "sends" the request again as stream 1 and
//! `Adopt` drops that HEADERS (and any DATA) instead of writing it, so on the
//! wire the server's stream-1 response answers the upgraded request, exactly
//! as curl does it. Reads are held back until the stream exists on the client
//! side, or h2 would take the server's stream-1 HEADERS for a protocol error.
//! The dropped HEADERS went through the client's HPACK encoder and not the
//! server's decoder, so such a connection must carry no further request.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The client connection preface (RFC 9113 §3.4).
const PREFACE_LEN: usize = 24;
const FRAME_HEADER_LEN: usize = 9;
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;
const END_HEADERS: u8 = 0x4;

/// The value of the `HTTP2-Settings` header: the SETTINGS payload the client
/// will send (ENABLE_PUSH 0, INITIAL_WINDOW_SIZE, MAX_HEADER_LIST_SIZE), base64url.
pub fn settings_header(initial_window: u32, max_header_list: u32) -> String {
    let mut payload = Vec::with_capacity(18);
    for (id, value) in [(0x2u16, 0u32), (0x4, initial_window), (0x6, max_header_list)] {
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&value.to_be_bytes());
    }
    data_encoding::BASE64URL_NOPAD.encode(&payload)
}

/// What to do with the next outgoing bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Write this many bytes through.
    Pass(usize),
    /// Swallow this many bytes.
    Drop(usize),
    /// This many bytes belong to a frame header still being read; hold them.
    Hold(usize),
}

/// Splits the client's outgoing HTTP/2 byte stream into frames and marks
/// those of stream 1's request (HEADERS, CONTINUATION, DATA) for dropping.
/// Pure: bytes in, spans out.
#[derive(Debug, Default)]
pub struct Filter {
    preface_left: Option<usize>,
    header: Vec<u8>,
    /// Payload bytes left in the current frame, and whether they are dropped.
    payload: Option<(usize, bool)>,
    /// The current dropped frame ends stream 1's header block.
    ends_headers: bool,
    /// Stream 1's request head has been swallowed: the server's answer may be read.
    pub adopted: bool,
}

impl Filter {
    /// Classifies the start of `data`; returns the span and, once a whole
    /// frame header of a frame to pass is held, those 9 bytes to write first.
    /// A `Pass` is committed only by `passed`, with what was really written.
    pub fn next(&mut self, data: &[u8]) -> (Span, Option<[u8; FRAME_HEADER_LEN]>) {
        let preface = *self.preface_left.get_or_insert(PREFACE_LEN);
        if preface > 0 {
            return (Span::Pass(preface.min(data.len())), None);
        }
        if let Some((left, drop)) = self.payload {
            let n = left.min(data.len());
            if !drop {
                return (Span::Pass(n), None);
            }
            self.consume_payload(n);
            return (Span::Drop(n), None);
        }
        let n = (FRAME_HEADER_LEN - self.header.len()).min(data.len());
        self.header.extend_from_slice(&data[..n]);
        if self.header.len() < FRAME_HEADER_LEN {
            return (Span::Hold(n), None);
        }
        let mut head = [0u8; FRAME_HEADER_LEN];
        head.copy_from_slice(&self.header);
        self.header.clear();
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let (kind, flags) = (head[3], head[4]);
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        // Stream 1 is half-closed on the client's side: none of its request frames may go out.
        let drop = stream == 1 && matches!(kind, HEADERS | CONTINUATION | DATA);
        self.ends_headers = drop && matches!(kind, HEADERS | CONTINUATION) && flags & END_HEADERS != 0;
        self.payload = Some((len, drop));
        self.consume_payload(0);
        if drop { (Span::Drop(n), None) } else { (Span::Hold(n), Some(head)) }
    }

    /// `n` bytes of a `Pass` span were written.
    pub fn passed(&mut self, n: usize) {
        match &mut self.preface_left {
            Some(left) if *left > 0 => *left -= n.min(*left),
            _ => self.consume_payload(n),
        }
    }

    fn consume_payload(&mut self, n: usize) {
        if let Some((left, _)) = &mut self.payload {
            *left -= n;
            if *left == 0 {
                self.payload = None;
                if std::mem::take(&mut self.ends_headers) {
                    self.adopted = true;
                }
            }
        }
    }
}

/// The upgraded connection under hyper's HTTP/2 client (see the module doc).
pub struct Adopt<T> {
    inner: T,
    filter: Filter,
    /// A frame header to pass, written before anything else.
    pending: Vec<u8>,
    reader: Option<Waker>,
}

impl<T> Adopt<T> {
    pub fn new(inner: T) -> Adopt<T> {
        Adopt { inner, filter: Filter::default(), pending: Vec::new(), reader: None }
    }
}

impl<T: AsyncWrite + Unpin> Adopt<T> {
    fn flush_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pending.drain(..n);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Adopt<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.filter.adopted {
            this.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Adopt<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.flush_pending(cx)?.is_pending() {
            return Poll::Pending;
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let (span, head) = this.filter.next(data);
        if let Some(head) = head {
            this.pending.extend_from_slice(&head);
            // Best effort now; poll_flush and the next write finish it.
            let _ = this.flush_pending(cx)?;
        }
        if this.filter.adopted
            && let Some(waker) = this.reader.take()
        {
            waker.wake();
        }
        match span {
            Span::Drop(n) | Span::Hold(n) => Poll::Ready(Ok(n)),
            Span::Pass(n) => {
                let polled = Pin::new(&mut this.inner).poll_write(cx, &data[..n]);
                if let Poll::Ready(Ok(written)) = polled {
                    this.filter.passed(written);
                }
                polled
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.flush_pending(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.flush_pending(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() as u32).to_be_bytes();
        let mut f = vec![len[1], len[2], len[3], kind, flags];
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    /// Feeds `wire` in pieces of `step` bytes; returns what would be written.
    fn run(wire: &[u8], step: usize) -> (Vec<u8>, bool) {
        let mut filter = Filter::default();
        let out = feed(&mut filter, wire, step);
        (out, filter.adopted)
    }

    fn feed(filter: &mut Filter, wire: &[u8], step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = wire;
        while !rest.is_empty() {
            let piece = &rest[..step.min(rest.len())];
            let (span, head) = filter.next(piece);
            if let Some(h) = head {
                out.extend_from_slice(&h);
            }
            let n = match span {
                Span::Pass(n) => {
                    out.extend_from_slice(&piece[..n]);
                    filter.passed(n);
                    n
                }
                Span::Drop(n) | Span::Hold(n) => n,
            };
            assert!(n > 0, "no progress");
            rest = &rest[n..];
        }
        out
    }

    #[test]
    fn stream_1_request_is_swallowed_and_everything_else_passes() {
        let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        let settings = frame(0x4, 0, 0, &[0, 2, 0, 0, 0, 0]);
        let headers = frame(HEADERS, 0, 1, b"hpack block part one");
        let continuation = frame(CONTINUATION, END_HEADERS, 1, b"and two");
        let data = frame(DATA, 1, 1, b"body");
        let window = frame(0x8, 0, 1, &[0, 0, 1, 0]);
        let later = frame(HEADERS, END_HEADERS | 1, 3, b"next request");
        let wire = [&preface[..], &settings, &headers, &continuation, &data, &window, &later].concat();
        let expected = [&preface[..], &settings, &window, &later].concat();
        for step in [1, 5, 9, 10, 64, wire.len()] {
            let (out, adopted) = run(&wire, step);
            assert_eq!(out, expected, "step {step}");
            assert!(adopted);
        }
    }

    #[test]
    fn reads_wait_until_the_header_block_ends() {
        let mut filter = Filter::default();
        feed(&mut filter, &[0u8; PREFACE_LEN], 64);
        assert!(feed(&mut filter, &frame(HEADERS, 0, 1, b"x"), 64).is_empty());
        assert!(!filter.adopted, "no END_HEADERS yet");
        feed(&mut filter, &frame(CONTINUATION, END_HEADERS, 1, b"y"), 64);
        assert!(filter.adopted);
    }

    #[test]
    fn settings_header_is_base64url_of_the_settings_payload() {
        let text = settings_header(2 << 20, 256 * 1024);
        let raw = data_encoding::BASE64URL_NOPAD.decode(text.as_bytes()).unwrap();
        assert_eq!(raw, [0, 2, 0, 0, 0, 0, 0, 4, 0, 0x20, 0, 0, 0, 6, 0, 4, 0, 0]);
    }
}
