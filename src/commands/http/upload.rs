//! Request bodies: `-d DATA`, `-d @FILE`, `-d @-` and `-T FILE`. A regular
//! file is streamed as it is sent (its size is the Content-Length), so a
//! 256 MiB upload costs one 64 KiB chunk of memory, as curl -T does; stdin,
//! FIFOs and devices are read into memory through the capped reader.

use crate::error::Error;
use crate::net::http::{ReqBody, full};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A body that is not a regular file (stdin, a FIFO, a device) is held in
/// memory up to this.
pub const MEMORY_CAP: u64 = 64 << 20;
/// One read of a streamed file.
const CHUNK: usize = 64 * 1024;

/// What to send; each request (a 307 re-sends it) gets a fresh body.
#[derive(Debug, Clone)]
pub enum Upload {
    Bytes(Bytes),
    File { path: PathBuf, len: u64 },
}

impl Upload {
    /// `-d`: literal DATA, `@FILE`, or `@-` for stdin.
    pub fn from_data(data: &str) -> Result<Upload, Error> {
        match data.strip_prefix('@') {
            None => Ok(Upload::Bytes(Bytes::copy_from_slice(data.as_bytes()))),
            Some("-") => Upload::from_file("-d", Path::new("/dev/stdin")),
            Some(path) => Upload::from_file("-d", Path::new(path)),
        }
    }

    /// A file named by `what` (-d, -T): streamed when regular, else read capped.
    pub fn from_file(what: &str, path: &Path) -> Result<Upload, Error> {
        let shown = path.display();
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::usage(format!("cannot read the body from {what} {shown}: {e}")))?;
        if meta.is_file() {
            return Ok(Upload::File { path: path.to_path_buf(), len: meta.len() });
        }
        if meta.is_dir() {
            return Err(Error::usage(format!("cannot read the body from {what} {shown}: it is a directory")));
        }
        Ok(Upload::Bytes(Bytes::from(crate::input::read_capped(what, path, MEMORY_CAP)?)))
    }

    /// A fresh body to send.
    pub fn body(&self) -> Result<ReqBody, Error> {
        match self {
            Upload::Bytes(b) => Ok(full(b.clone())),
            Upload::File { path, len } => {
                let file = std::fs::File::open(path)
                    .map_err(|e| Error::usage(format!("cannot read the body from {}: {e}", path.display())))?;
                Ok(FileBody { file, remaining: *len }.boxed())
            }
        }
    }
}

/// A regular file sent in CHUNK reads. Reads of a local file do not wait on
/// the network, so they are done in place; a file that shrinks while it is
/// sent is an error (the Content-Length would be a lie).
struct FileBody {
    file: std::fs::File,
    remaining: u64,
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let mut chunk = vec![0u8; (self.remaining as usize).min(CHUNK)];
        let n = match self.file.read(&mut chunk) {
            Ok(0) => {
                return Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file got shorter while it was being sent",
                ))));
            }
            Ok(n) => n,
            Err(e) => return Poll::Ready(Some(Err(e))),
        };
        chunk.truncate(n);
        self.remaining -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
