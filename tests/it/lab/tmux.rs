//! A terminal for the live views: a tmux server started inside a lab host,
//! so the program in its pane runs in that host's namespaces; keys go in
//! with send-keys, the screen comes out with capture-pane.

use super::{Host, require};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct Tmux {
    host: Host,
    socket: PathBuf,
}

impl Tmux {
    /// An 80x24 session running `sh -c script`; the pane stays after it exits.
    pub fn start(host: &Host, name: &str, script: &str) -> Tmux {
        let tmux = require("tmux");
        let socket = host.dir().join(format!("tmux-{name}.sock"));
        let conf = host.dir().join(format!("tmux-{name}.conf"));
        std::fs::write(&conf, "set -g remain-on-exit on\nset -g default-terminal screen\nset -g status off\n").unwrap();
        let t = Tmux { host: host.clone(), socket };
        let out = host
            .command(&tmux)
            .arg("-S")
            .arg(&t.socket)
            .arg("-f")
            .arg(&conf)
            .args(["new-session", "-d", "-x", "80", "-y", "24", "-s", "t", "sh", "-c", script])
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = self.host.command(require("tmux")).arg("-S").arg(&self.socket).args(args).output().unwrap();
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &str) {
        self.tmux(&["send-keys", "-t", "t", keys]);
    }

    /// The visible screen, one string per row (24 of them).
    pub fn screen(&self) -> Vec<String> {
        self.tmux(&["capture-pane", "-p", "-t", "t"]).lines().map(str::to_string).collect()
    }

    /// The visible screen with its colours, as escape sequences.
    pub fn screen_styled(&self) -> String {
        self.tmux(&["capture-pane", "-e", "-p", "-t", "t"])
    }

    /// Polls the screen until `done` holds (20 s at most).
    pub fn wait_for(&self, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "no {what} on the screen:\n{}", screen.join("\n"));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.host.command(require("tmux")).arg("-S").arg(&self.socket).arg("kill-server").output();
    }
}
