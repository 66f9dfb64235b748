//! The only code that touches the terminal: raw mode and the alternate
//! screen on, keys in, frames out, and the terminal restored on every way
//! out (drop, error, and panic: release builds abort on panic, so the hook
//! restores before the abort).

use super::board::Key;
use crate::error::Error;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::crossterm::{cursor, execute};
use std::io::Stdout;
use std::sync::Once;
use std::time::Duration;

pub struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

fn term_error(e: std::io::Error) -> Error {
    Error::io("the live view cannot use this terminal", e)
}

/// Leaves raw mode and the alternate screen, shows the cursor. Safe to call twice.
fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(std::io::stdout(), LeaveAlternateScreen, cursor::Show);
}

impl Screen {
    pub fn open() -> Result<Screen, Error> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        terminal::enable_raw_mode().map_err(term_error)?;
        // From here on, Drop restores whatever fails next.
        let mut stdout = std::io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(term_error(e));
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(e) => {
                restore();
                Err(term_error(e))
            }
        }
    }

    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> Result<(), Error> {
        self.terminal.draw(render).map(drop).map_err(term_error)
    }

    /// The keys pressed within `wait` (none when it passes first).
    pub fn keys(&mut self, wait: Duration) -> Result<Vec<Key>, Error> {
        let mut keys = Vec::new();
        let mut wait = wait;
        while event::poll(wait).map_err(term_error)? {
            wait = Duration::ZERO;
            if let Event::Key(k) = event::read().map_err(term_error)?
                && k.kind != KeyEventKind::Release
            {
                let key = match k.code {
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::CtrlC,
                    KeyCode::Char(c) => Key::Char(c),
                    KeyCode::Up => Key::Up,
                    KeyCode::Down => Key::Down,
                    KeyCode::PageUp => Key::PageUp,
                    KeyCode::PageDown => Key::PageDown,
                    KeyCode::Esc => Key::Esc,
                    _ => continue,
                };
                keys.push(key);
            }
        }
        Ok(keys)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}
