//! What the live view shows and how keys change it: the title, a status
//! line, one table row per hop (or target) with extra lines for the other
//! responders of that hop (ECMP), and the key help. Pure: it draws into a
//! ratatui frame, which tests render on a `TestBackend`.

use super::series::Series;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use std::time::Duration;

/// The columns shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// mtr's: loss, sent, last, avg, best, worst, stdev (and jitter when wide enough).
    Stats,
    /// Loss and one character per recent probe, its height the RTT.
    History,
}

/// A key, as the terminal layer decoded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Up,
    Down,
    PageUp,
    PageDown,
    Esc,
    CtrlC,
}

/// What a key asks the command to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Redraw (the view itself changed).
    Redraw,
    Quit,
    /// Ctrl-C: end the view, and the run says it was interrupted (q is a normal end).
    Interrupt,
    /// Pause (true) or resume probing.
    Pause(bool),
    /// Forget the statistics shown.
    Reset,
}

/// One row of the table.
pub struct Entry<'a> {
    /// The hop number or the target's index.
    pub key: String,
    /// The main responder first; other responders (ECMP) get their own lines.
    pub hosts: Vec<String>,
    pub series: &'a Series,
}

#[derive(Debug, Clone)]
pub struct View {
    pub title: String,
    /// Progress: round, interval, mode (the command writes it).
    pub status: String,
    /// The heading of the first column ("Hop", "#").
    pub key_heading: &'static str,
    pub display: Display,
    pub paused: bool,
    /// Show names (false: addresses); `can_name` false when -n was given.
    pub names: bool,
    pub can_name: bool,
    /// Statistics were reset at least once.
    pub reset: bool,
    scroll: usize,
}

pub const HELP: &str = "q quit  p pause  r reset  d display  n names  ↑↓ scroll";

impl View {
    pub fn new(title: String, key_heading: &'static str, can_name: bool) -> View {
        View {
            title,
            status: String::new(),
            key_heading,
            display: Display::Stats,
            paused: false,
            names: can_name,
            can_name,
            reset: false,
            scroll: 0,
        }
    }

    pub fn key(&mut self, key: Key) -> Action {
        match key {
            Key::Char('q') | Key::Char('Q') | Key::Esc => Action::Quit,
            Key::CtrlC => Action::Interrupt,
            Key::Char('p') | Key::Char(' ') => {
                self.paused = !self.paused;
                Action::Pause(self.paused)
            }
            Key::Char('r') => {
                self.reset = true;
                Action::Reset
            }
            Key::Char('d') => {
                self.display = match self.display {
                    Display::Stats => Display::History,
                    Display::History => Display::Stats,
                };
                Action::Redraw
            }
            Key::Char('n') if self.can_name => {
                self.names = !self.names;
                Action::Redraw
            }
            Key::Up | Key::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                Action::Redraw
            }
            Key::Down | Key::Char('j') => {
                self.scroll += 1;
                Action::Redraw
            }
            Key::PageUp => {
                self.scroll = self.scroll.saturating_sub(10);
                Action::Redraw
            }
            Key::PageDown => {
                self.scroll += 10;
                Action::Redraw
            }
            _ => Action::Nothing,
        }
    }

    /// Draws the whole screen.
    pub fn draw(&mut self, frame: &mut Frame, entries: &[Entry]) {
        let [title, status, body, help] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        frame
            .render_widget(Paragraph::new(self.title.as_str()).style(Style::new().add_modifier(Modifier::BOLD)), title);
        let mut state = self.status.clone();
        if self.paused {
            state += " · PAUSED";
        }
        if self.reset {
            state += " · statistics since reset";
        }
        frame.render_widget(Paragraph::new(state), status);
        frame.render_widget(Paragraph::new(HELP).style(Style::new().add_modifier(Modifier::DIM)), help);

        let wide = body.width >= 90;
        let history_width = usize::from(body.width.saturating_sub(3 + 1 + 24 + 1 + 6 + 1)).max(1);
        let (heading, widths): (Vec<&str>, Vec<Constraint>) = match self.display {
            Display::Stats => {
                let mut h = vec![self.key_heading, "Host", "Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev"];
                let mut w =
                    vec![Constraint::Length(3), Constraint::Fill(1), Constraint::Length(6), Constraint::Length(5)];
                w.extend([Constraint::Length(6); 5]);
                if wide {
                    h.push("Jttr");
                    w.push(Constraint::Length(6));
                }
                (h, w)
            }
            Display::History => (
                vec![self.key_heading, "Host", "Loss%", "History (newest right, ? lost)"],
                vec![
                    Constraint::Length(3),
                    Constraint::Length(24),
                    Constraint::Length(6),
                    Constraint::Length(history_width as u16),
                ],
            ),
        };
        let mut lines: Vec<Row> = Vec::new();
        for e in entries {
            let s = e.series;
            let main = e.hosts.first().cloned().unwrap_or_else(|| "???".into());
            let mut cells =
                vec![Cell::from(e.key.clone()), Cell::from(main), Cell::from(format!("{:.1}", s.loss_pct()))];
            match self.display {
                Display::Stats => {
                    cells.push(Cell::from(s.sent().to_string()));
                    let mut values = vec![s.last_ms(), s.avg_ms(), s.best_ms(), s.worst_ms(), s.stdev_ms()];
                    if wide {
                        values.push(s.jitter_ms());
                    }
                    cells.extend(values.into_iter().map(|v| Cell::from(ms(v))));
                }
                Display::History => cells.push(Cell::from(history(s, history_width))),
            }
            lines.push(Row::new(cells));
            for other in e.hosts.iter().skip(1) {
                lines.push(Row::new(vec![Cell::from(""), Cell::from(format!("  {other}"))]));
            }
        }
        // Keep the last rows reachable: never scroll past the end.
        let visible = usize::from(body.height.saturating_sub(1));
        self.scroll = self.scroll.min(lines.len().saturating_sub(visible));
        let shown: Vec<Row> = lines.into_iter().skip(self.scroll).collect();
        let header = Row::new(heading).style(Style::new().add_modifier(Modifier::BOLD));
        frame.render_widget(Table::new(shown, widths).header(header).column_spacing(1), body);
    }
}

/// RTT in ms with three significant decimals at most, in a 6-wide column.
fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v < 10.0 => format!("{v:.3}"),
        Some(v) if v < 1000.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.0}"),
    }
}

/// One character per probe, newest right: ▁ to █ between the row's best and
/// worst RTT, `?` for a lost probe.
pub fn history(s: &Series, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = (s.best_ms().unwrap_or(0.0), s.worst_ms().unwrap_or(0.0));
    s.history(width)
        .map(|rtt| match rtt {
            None => '?',
            Some(_) if hi - lo < 1e-9 => BARS[0],
            Some(d) => {
                let x = (crate::timing::millis(d) - lo) / (hi - lo);
                BARS[((x * 7.0).round() as usize).min(7)]
            }
        })
        .collect()
}

/// "every 1s" style wording of an interval for status lines.
pub fn every(interval: Duration) -> String {
    format!("every {}", crate::timing::human(interval))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn series(rtts: &[Option<u64>]) -> Series {
        let mut s = Series::default();
        for r in rtts {
            s.record(r.map(Duration::from_millis));
        }
        s
    }

    fn screen(view: &mut View, entries: &[Entry], w: u16, h: u16) -> Vec<String> {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| view.draw(f, entries)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>()).collect()
    }

    #[test]
    fn fits_80_by_24_with_ecmp_lines() {
        let hops: Vec<Series> = (1..=7).map(|i| series(&[Some(i), None, Some(i + 2)])).collect();
        let mut entries: Vec<Entry> = hops
            .iter()
            .enumerate()
            .map(|(i, s)| Entry { key: (i + 1).to_string(), hosts: vec![format!("198.18.{}.2", i + 1)], series: s })
            .collect();
        entries[1].hosts.push("198.18.12.2 (33%)".into());
        let mut v = View::new("netwalk traceroute to 198.18.8.2".into(), "Hop", true);
        v.status = "round 3 · every 1s".into();
        let lines = screen(&mut v, &entries, 80, 24);
        assert!(lines[0].starts_with("netwalk traceroute to 198.18.8.2"));
        assert!(lines[2].contains("Hop") && lines[2].contains("Loss%") && lines[2].contains("StDev"), "{lines:#?}");
        assert!(
            lines[3].starts_with("1") && lines[3].contains("198.18.1.2") && lines[3].contains("33.3"),
            "{lines:#?}"
        );
        assert!(lines[5].contains("  198.18.12.2 (33%)"), "ECMP line under hop 2: {lines:#?}");
        assert!(lines[10].starts_with("7") && lines[10].contains("9.000"), "{lines:#?}");
        assert_eq!(lines[23].trim_end(), HELP);
    }

    #[test]
    fn keys_pause_reset_display_and_quit() {
        let mut v = View::new("t".into(), "Hop", false);
        assert_eq!(v.key(Key::Char('p')), Action::Pause(true));
        assert_eq!(v.key(Key::Char(' ')), Action::Pause(false));
        assert_eq!(v.key(Key::Char('r')), Action::Reset);
        assert_eq!(v.key(Key::Char('d')), Action::Redraw);
        assert_eq!(v.display, Display::History);
        assert_eq!(v.key(Key::Char('n')), Action::Nothing, "-n: no names to show");
        assert_eq!(v.key(Key::Char('x')), Action::Nothing);
        for k in [Key::Char('q'), Key::Esc] {
            assert_eq!(v.key(k), Action::Quit);
        }
        assert_eq!(v.key(Key::CtrlC), Action::Interrupt);
        let s = series(&[Some(1), Some(2)]);
        let entries = [Entry { key: "1".into(), hosts: vec!["h".into()], series: &s }];
        v.key(Key::Char('p'));
        let lines = screen(&mut v, &entries, 80, 24);
        assert!(lines[1].contains("PAUSED") && lines[1].contains("statistics since reset"), "{lines:#?}");
        assert!(lines[2].contains("History"), "{lines:#?}");
    }

    #[test]
    fn history_bars_and_losses() {
        let s = series(&[Some(10), None, Some(20), Some(15)]);
        assert_eq!(history(&s, 10), "▁?█▅");
        assert_eq!(history(&s, 2), "█▅");
        assert_eq!(history(&series(&[Some(5), Some(5)]), 5), "▁▁");
    }

    #[test]
    fn scrolling_stops_at_the_end() {
        let hops: Vec<Series> = (0..40).map(|_| series(&[Some(1)])).collect();
        let entries: Vec<Entry> = hops
            .iter()
            .enumerate()
            .map(|(i, s)| Entry { key: (i + 1).to_string(), hosts: vec![], series: s })
            .collect();
        let mut v = View::new("t".into(), "Hop", false);
        for _ in 0..10 {
            v.key(Key::PageDown);
        }
        let lines = screen(&mut v, &entries, 80, 24);
        assert!(lines[22].starts_with("40 "), "{lines:#?}");
        v.key(Key::Up);
        let lines = screen(&mut v, &entries, 80, 24);
        assert!(lines[22].starts_with("39 "), "{lines:#?}");
    }
}
