//! Ctrl-C (and SIGTERM, SIGHUP) for commands that run without an async
//! runtime: the signal sets a flag and writes a byte to a socket pair whose
//! read end a poll(2) loop watches, so a wait ends at once and the command
//! prints what it found. A second Ctrl-C exits at once (130), as users expect.
//! The live view uses the same pair to wake the prober (quit, pause).

use crate::error::Error;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub struct Interrupt {
    stop: Arc<AtomicBool>,
    rx: UnixStream,
    tx: UnixStream,
    ids: Vec<signal_hook::SigId>,
}

impl Interrupt {
    /// Installs the handlers; they are removed again when this is dropped.
    pub fn install() -> Result<Interrupt, Error> {
        let (rx, tx) = UnixStream::pair().map_err(|e| Error::io("cannot create the Ctrl-C wake-up pair", e))?;
        for s in [&rx, &tx] {
            s.set_nonblocking(true).map_err(|e| Error::io("cannot create the Ctrl-C wake-up pair", e))?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        let fail = |e| Error::io("cannot install the Ctrl-C handler", e);
        for (signal, code) in [(SIGINT, 130), (SIGTERM, 143), (SIGHUP, 129)] {
            // Registered first, so it sees the flag as it was before this signal.
            ids.push(signal_hook::flag::register_conditional_shutdown(signal, code, stop.clone()).map_err(fail)?);
            ids.push(signal_hook::flag::register(signal, stop.clone()).map_err(fail)?);
            let writer = tx.try_clone().map_err(fail)?;
            ids.push(signal_hook::low_level::pipe::register(signal, writer).map_err(fail)?);
        }
        Ok(Interrupt { stop, rx, tx, ids })
    }

    /// Whether the run must stop (a signal arrived, or `stop` was called).
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Asks the run to stop, as Ctrl-C does (the live view's `q`).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Ends the current wait without stopping (the live view's pause and resume).
    pub fn wake(&self) {
        let _ = (&self.tx).write(&[1]);
    }

    /// The descriptor that is readable after a signal or `wake`.
    pub fn fd(&self) -> RawFd {
        self.rx.as_raw_fd()
    }

    /// Consumes the wake-ups already delivered.
    pub fn drain(&self) {
        let mut buf = [0u8; 64];
        while matches!((&self.rx).read(&mut buf), Ok(n) if n > 0) {}
    }

    /// Sleeps until `until`, a wake-up or a stop; true when stopped.
    pub fn sleep_until(&self, until: Instant) -> bool {
        loop {
            if self.stopped() {
                return true;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let mut fd = libc::pollfd { fd: self.fd(), events: libc::POLLIN, revents: 0 };
            let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
            // SAFETY: one live pollfd.
            let n = unsafe { libc::poll(&mut fd, 1, ms) };
            if n > 0 {
                self.drain();
                return self.stopped();
            }
        }
    }
}

impl Interrupt {
    /// The wake-up descriptor registered with the current tokio runtime, so
    /// an async loop can `select!` on a stop (arp's sweep and probes).
    pub fn watch(&self) -> Result<Watch<'_>, Error> {
        let fail = |e| Error::io("cannot watch for Ctrl-C", e);
        let rx = self.rx.try_clone().map_err(fail)?;
        // SAFETY: the AsyncFd owns this duplicate of the read end for its whole life.
        let fd = unsafe { tokio::io::unix::AsyncFd::register_with_interest(rx, tokio::io::Interest::READABLE) }
            .map_err(|e| fail(e.into()))?;
        Ok(Watch { interrupt: self, fd })
    }
}

/// See [`Interrupt::watch`].
pub struct Watch<'a> {
    interrupt: &'a Interrupt,
    fd: tokio::io::unix::AsyncFd<UnixStream>,
}

impl Watch<'_> {
    /// Resolves once the run must stop; wake-ups without a stop are consumed.
    pub async fn stopped(&self) {
        loop {
            if self.interrupt.stopped() {
                return;
            }
            match self.fd.readable().await {
                Ok(mut ready) => {
                    self.interrupt.drain();
                    ready.clear_ready();
                }
                // The registration broke: never report a stop that did not happen.
                Err(_) => std::future::pending::<()>().await,
            }
        }
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn wake_ends_a_sleep_and_stop_is_sticky() {
        let i = Interrupt::install().unwrap();
        assert!(!i.stopped());
        let t0 = Instant::now();
        i.wake();
        assert!(!i.sleep_until(t0 + Duration::from_secs(10)), "woken, not stopped");
        assert!(t0.elapsed() < Duration::from_secs(5));
        assert!(!i.sleep_until(Instant::now() + Duration::from_millis(1)));
        i.stop();
        assert!(i.sleep_until(Instant::now() + Duration::from_secs(10)) && i.stopped());
    }
}
