//! Where a response body goes, chunk by chunk: through a decoder for
//! `--compressed`, into a sink that counts, caps and (for JSON) hashes it.
//! No sockets here; memory stays bounded by one chunk and the decoder state.

use std::io::{self, Write};

/// A `Content-Encoding` we can undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Coding {
    /// The coding named by a Content-Encoding value, if we decode it.
    pub fn parse(value: &str) -> Option<Coding> {
        match value.trim().to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            "br" => Some(Coding::Brotli),
            "zstd" => Some(Coding::Zstd),
            _ => None,
        }
    }
}

/// What `Accept-Encoding` offers under `--compressed`.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// Why a body was cut short.
#[derive(Debug)]
pub struct TooLarge {
    pub limit: u64,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "body larger than {} bytes", self.limit)
    }
}

impl std::error::Error for TooLarge {}

/// Refused to write binary data to a terminal.
#[derive(Debug)]
pub struct BinaryOnTerminal;

impl std::fmt::Display for BinaryOnTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("binary body on a terminal")
    }
}

impl std::error::Error for BinaryOnTerminal {}

/// The final destination: counts bytes, enforces the cap, optionally hashes,
/// optionally refuses binary data (a terminal).
pub struct Sink {
    out: Box<dyn Write + Send>,
    pub written: u64,
    limit: Option<u64>,
    hash: Option<ring::digest::Context>,
    refuse_binary: bool,
}

impl Sink {
    pub fn new(out: Box<dyn Write + Send>, limit: Option<u64>, hash: bool, refuse_binary: bool) -> Sink {
        let hash = hash.then(|| ring::digest::Context::new(&ring::digest::SHA256));
        Sink { out, written: 0, limit, hash, refuse_binary }
    }

    /// Hex SHA-256 of everything written, when hashing.
    pub fn sha256(&mut self) -> Option<String> {
        let digest = self.hash.take()?.finish();
        Some(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl Write for Sink {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        // Up to the cap exactly, never a byte past it (write_all comes back
        // for the rest, which is the error).
        if let Some(limit) = self.limit {
            let room = limit - self.written;
            if room == 0 && !buf.is_empty() {
                return Err(io::Error::other(TooLarge { limit }));
            }
            buf = &buf[..buf.len().min(room as usize)];
        }
        // curl's rule: a NUL byte in what would reach a terminal means binary.
        if self.refuse_binary && buf.contains(&0) {
            return Err(io::Error::other(BinaryOnTerminal));
        }
        self.out.write_all(buf)?;
        if let Some(hash) = &mut self.hash {
            hash.update(buf);
        }
        self.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Undoes one Content-Encoding on the way into a `Sink`.
pub enum Decoder {
    Identity(Sink),
    Gzip(flate2::write::GzDecoder<Sink>),
    Deflate(flate2::write::ZlibDecoder<Sink>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Sink>>),
    Zstd(zstd::stream::write::Decoder<'static, Sink>),
}

impl Decoder {
    pub fn new(coding: Option<Coding>, sink: Sink) -> io::Result<Decoder> {
        Ok(match coding {
            None => Decoder::Identity(sink),
            Some(Coding::Gzip) => Decoder::Gzip(flate2::write::GzDecoder::new(sink)),
            Some(Coding::Deflate) => Decoder::Deflate(flate2::write::ZlibDecoder::new(sink)),
            Some(Coding::Brotli) => {
                Decoder::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(sink, 16 * 1024)))
            }
            Some(Coding::Zstd) => Decoder::Zstd(zstd::stream::write::Decoder::new(sink)?),
        })
    }

    pub fn write_chunk(&mut self, chunk: &[u8]) -> io::Result<()> {
        match self {
            Decoder::Identity(w) => w.write_all(chunk),
            Decoder::Gzip(w) => w.write_all(chunk),
            Decoder::Deflate(w) => w.write_all(chunk),
            Decoder::Brotli(w) => w.write_all(chunk),
            Decoder::Zstd(w) => w.write_all(chunk),
        }
    }

    /// Flushes the decoder; a truncated compressed stream is an error.
    pub fn finish(self) -> io::Result<Sink> {
        let truncated = || io::Error::new(io::ErrorKind::UnexpectedEof, "the compressed body is truncated");
        let mut sink = match self {
            Decoder::Identity(w) => w,
            Decoder::Gzip(w) => w.finish()?,
            Decoder::Deflate(w) => w.finish()?,
            Decoder::Brotli(mut w) => {
                w.close().map_err(|_| truncated())?;
                w.into_inner().map_err(|_| truncated())?
            }
            Decoder::Zstd(mut w) => {
                w.flush()?;
                w.into_inner()
            }
        };
        sink.flush()?;
        Ok(sink)
    }
}

/// The cap that stopped a write, if that is why it failed.
pub fn too_large(err: &io::Error) -> Option<u64> {
    err.get_ref().and_then(|e| e.downcast_ref::<TooLarge>()).map(|t| t.limit)
}

pub fn is_binary_refusal(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<BinaryOnTerminal>())
}

/// `--max-filesize` values: `1048576`, `512K`, `10M`, `2G` (binary units).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 =
        digits.parse().map_err(|_| format!("'{text}' is not a size; write it like 1048576, 512K, 10M or 2G"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("'{text}' has an unknown unit; use K, M, G or T")),
    };
    let size = n.checked_mul(mult).ok_or_else(|| format!("'{text}' is too large"))?;
    if size == 0 {
        return Err(format!("'{text}' is zero; a size must be positive"));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_round_trip_in_small_chunks() {
        let data: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let out = Shared::default();
        let mut dec = Decoder::new(Some(Coding::Gzip), Sink::new(Box::new(out.clone()), None, true, false)).unwrap();
        for chunk in gzip(&data).chunks(1000) {
            dec.write_chunk(chunk).unwrap();
        }
        let mut sink = dec.finish().unwrap();
        assert_eq!(sink.written, data.len() as u64);
        assert_eq!(*out.0.lock().unwrap(), data);
        assert_eq!(sink.sha256().unwrap().len(), 64);
    }

    #[test]
    fn a_bomb_stops_at_the_cap_with_little_output() {
        let bomb = gzip(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < (50 << 20) / 100, "a bomb is small on the wire");
        let out = Shared::default();
        let mut dec =
            Decoder::new(Some(Coding::Gzip), Sink::new(Box::new(out.clone()), Some(1 << 20), false, false)).unwrap();
        let err = bomb.chunks(8192).try_for_each(|c| dec.write_chunk(c)).unwrap_err();
        assert_eq!(too_large(&err), Some(1 << 20));
        assert!(out.0.lock().unwrap().len() <= 1 << 20);
    }

    #[test]
    fn truncated_stream_is_an_error() {
        let data = gzip(b"hello world, hello world, hello world");
        let mut dec = Decoder::new(Some(Coding::Gzip), Sink::new(Box::new(io::sink()), None, false, false)).unwrap();
        dec.write_chunk(&data[..data.len() - 6]).unwrap();
        assert!(dec.finish().is_err());
    }

    #[test]
    fn binary_refused_for_a_terminal() {
        let mut sink = Sink::new(Box::new(io::sink()), None, false, true);
        assert!(sink.write_all(b"text\n").is_ok());
        assert!(is_binary_refusal(&sink.write_all(b"\x00\x01").unwrap_err()));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("10Q").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("M").is_err());
    }

    #[test]
    fn codings() {
        assert_eq!(Coding::parse(" GZIP "), Some(Coding::Gzip));
        assert_eq!(Coding::parse("br"), Some(Coding::Brotli));
        assert_eq!(Coding::parse("compress"), None);
    }
}
