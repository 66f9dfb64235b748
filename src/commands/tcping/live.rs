//! `tcping --live`: one row per target, updated per probe, until q (or
//! every target's count). Each probe is recorded in its session (the
//! summary printed afterwards covers the whole run) and in the view's
//! statistics, which `r` resets.

use super::Event;
use super::engine::{Session, State};
use crate::error::Error;
use crate::live::board::{self, Action, Entry, View};
use crate::live::series::Series;
use crate::live::term::Screen;
use crate::net::resolve::Resolution;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

const FRAME: Duration = Duration::from_millis(50);

pub async fn show(
    rx: &mut mpsc::Receiver<Result<Event, Error>>,
    labels: &[String],
    sessions: &mut [Session],
    resolutions: &mut [Resolution],
    paused: &AtomicBool,
    interval: Duration,
) -> Result<bool, Error> {
    let mut screen = Screen::open()?;
    let mut rows: Vec<Series> = vec![Series::default(); labels.len()];
    let mut view = View::new(format!("netwalk tcping {}", labels.join(" ")), "#", false);
    let mut remaining = labels.len();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::io("cannot watch SIGTERM", e))?;
    let mut tick = tokio::time::interval(FRAME);
    while remaining > 0 {
        tokio::select! {
            event = rx.recv() => match event {
                Some(Ok(Event::Probe(i, probe))) => {
                    // Loss counts every probe that did not find the port open, as the summary does.
                    rows[i].record(if probe.state == State::Open { probe.rtt } else { None });
                    sessions[i].record(probe);
                }
                Some(Ok(Event::Resolved(i, resolution))) => resolutions[i] = resolution,
                Some(Ok(Event::Done)) => remaining -= 1,
                Some(Err(e)) => return Err(e),
                None => return Ok(false),
            },
            _ = term.recv() => return Ok(true),
            _ = tick.tick() => {
                let probes: u64 = rows.iter().map(|s| s.sent()).sum();
                view.status = format!("{probes} probes · {}", board::every(interval));
                let entries: Vec<Entry> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Entry { key: (i + 1).to_string(), hosts: vec![labels[i].clone()], series: s })
                    .collect();
                screen.draw(|f| view.draw(f, &entries))?;
                for key in screen.keys(Duration::ZERO)? {
                    match view.key(key) {
                        Action::Quit => return Ok(false),
                        Action::Interrupt => return Ok(true),
                        Action::Pause(p) => paused.store(p, Ordering::SeqCst),
                        Action::Reset => rows.iter_mut().for_each(|s| *s = Series::default()),
                        Action::Redraw | Action::Nothing => {}
                    }
                }
            }
        }
    }
    Ok(false)
}
