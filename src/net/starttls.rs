//! The plaintext upgrade dialogue of SMTP (RFC 3207), IMAP (RFC 3501) and
//! POP3 (RFC 2595) that precedes TLS on their ordinary ports. Lines are
//! bounded in length and number and the whole dialogue in time, whatever the
//! server sends.

use serde::Serialize;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Smtp,
    Imap,
    Pop3,
}

impl Protocol {
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Smtp => 25,
            Protocol::Imap => 143,
            Protocol::Pop3 => 110,
        }
    }
}

const MAX_LINE: usize = 2048;
const MAX_LINES: usize = 200;

/// Reads CRLF (or LF) terminated lines without reading past the last one asked for.
struct Lines<'a, S> {
    stream: &'a mut S,
    transcript: &'a mut Vec<String>,
    count: usize,
}

impl<S: AsyncRead + Unpin> Lines<'_, S> {
    async fn next(&mut self) -> Result<String, String> {
        self.count += 1;
        if self.count > MAX_LINES {
            return Err(format!("the server sent more than {MAX_LINES} lines without finishing its reply"));
        }
        let mut line = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            match self.stream.read(&mut byte).await {
                Ok(0) => return Err("the server closed the connection during the STARTTLS dialogue".into()),
                Ok(_) if byte[0] == b'\n' => break,
                Ok(_) => line.push(byte[0]),
                Err(e) => return Err(format!("reading the STARTTLS dialogue failed: {e}")),
            }
            if line.len() > MAX_LINE {
                return Err(format!("the server sent a line longer than {MAX_LINE} bytes"));
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        self.transcript.push(format!("S: {text}"));
        Ok(text)
    }

    /// An SMTP reply: lines `NNN-…` up to `NNN …`; returns the code and the texts.
    async fn smtp_reply(&mut self) -> Result<(u16, Vec<String>), String> {
        let mut texts = Vec::new();
        loop {
            let line = self.next().await?;
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else { return Err(format!("not an SMTP reply: '{}'", clip(&line))) };
            texts.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, texts));
            }
        }
    }
}

fn clip(text: &str) -> String {
    text.chars().take(80).collect()
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, transcript: &mut Vec<String>, line: &str) -> Result<(), String> {
    transcript.push(format!("C: {line}"));
    stream.write_all(format!("{line}\r\n").as_bytes()).await.map_err(|e| format!("sending '{line}' failed: {e}"))
}

/// Runs the dialogue; on success the stream is ready for the TLS ClientHello.
/// Returns the transcript (S: / C: lines).
pub async fn upgrade<S>(stream: &mut S, protocol: Protocol, timeout: Duration) -> Result<Vec<String>, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut transcript = Vec::new();
    let result = tokio::time::timeout(timeout, dialogue(stream, protocol, &mut transcript)).await;
    match result {
        Ok(Ok(())) => Ok(transcript),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("the STARTTLS dialogue did not finish within {}", crate::timing::human(timeout))),
    }
}

async fn dialogue<S>(stream: &mut S, protocol: Protocol, transcript: &mut Vec<String>) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match protocol {
        Protocol::Smtp => {
            let (code, _) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
            if code != 220 {
                return Err(format!("the SMTP server greeted with {code}, not 220"));
            }
            send(stream, transcript, "EHLO netwalk.invalid").await?;
            let (code, caps) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
            if code != 250 {
                return Err(format!("the SMTP server answered EHLO with {code}"));
            }
            if !caps.iter().any(|c| c.trim().eq_ignore_ascii_case("STARTTLS")) {
                return Err("the SMTP server does not offer STARTTLS in its EHLO reply".into());
            }
            send(stream, transcript, "STARTTLS").await?;
            let (code, text) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
            if code != 220 {
                return Err(format!("the SMTP server refused STARTTLS: {code} {}", clip(&text.join(" "))));
            }
        }
        Protocol::Imap => {
            let greeting = Lines { stream, transcript, count: 0 }.next().await?;
            if !greeting.starts_with("* OK") {
                return Err(format!("not an IMAP greeting: '{}'", clip(&greeting)));
            }
            send(stream, transcript, "a001 STARTTLS").await?;
            let mut lines = Lines { stream, transcript, count: 0 };
            loop {
                let line = lines.next().await?;
                if let Some(status) = line.strip_prefix("a001 ") {
                    if status.starts_with("OK") {
                        break;
                    }
                    return Err(format!("the IMAP server refused STARTTLS: '{}'", clip(status)));
                }
            }
        }
        Protocol::Pop3 => {
            let greeting = Lines { stream, transcript, count: 0 }.next().await?;
            if !greeting.starts_with("+OK") {
                return Err(format!("not a POP3 greeting: '{}'", clip(&greeting)));
            }
            send(stream, transcript, "STLS").await?;
            let reply = Lines { stream, transcript, count: 0 }.next().await?;
            if !reply.starts_with("+OK") {
                return Err(format!("the POP3 server refused STLS: '{}'", clip(&reply)));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays a scripted server on one end of an in-memory pipe.
    fn run(protocol: Protocol, server: &'static [u8]) -> (Result<Vec<String>, String>, Vec<u8>) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (mut client, mut peer) = tokio::io::duplex(1 << 16);
            peer.write_all(server).await.unwrap();
            let result = upgrade(&mut client, protocol, Duration::from_millis(300)).await;
            drop(client);
            let mut sent = Vec::new();
            peer.read_to_end(&mut sent).await.unwrap();
            (result, sent)
        })
    }

    #[test]
    fn smtp_dialogue() {
        let (r, sent) = run(
            Protocol::Smtp,
            b"220-mx.test ESMTP\r\n220 ready\r\n250-mx.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n220 go ahead\r\n",
        );
        assert_eq!(sent, b"EHLO netwalk.invalid\r\nSTARTTLS\r\n");
        assert_eq!(r.unwrap().last().unwrap(), "S: 220 go ahead");
        let (r, _) = run(Protocol::Smtp, b"220 mx\r\n250-mx\r\n250 SIZE 10\r\n");
        assert_eq!(r.unwrap_err(), "the SMTP server does not offer STARTTLS in its EHLO reply");
        let (r, _) = run(Protocol::Smtp, b"554 go away\r\n");
        assert!(r.unwrap_err().contains("554"));
    }

    #[test]
    fn imap_and_pop3() {
        let (r, sent) = run(Protocol::Imap, b"* OK IMAP4rev1 ready\r\n* note\r\na001 OK Begin TLS\r\n");
        assert_eq!(sent, b"a001 STARTTLS\r\n");
        assert!(r.is_ok());
        let (r, _) = run(Protocol::Imap, b"* OK ready\r\na001 BAD no\r\n");
        assert!(r.unwrap_err().contains("refused"));
        let (r, sent) = run(Protocol::Pop3, b"+OK POP3 ready\n+OK begin TLS\n");
        assert_eq!(sent, b"STLS\r\n");
        assert!(r.is_ok());
    }

    #[test]
    fn hostile_servers_are_bounded() {
        let (r, _) = run(Protocol::Pop3, b"+OK ready\r\n");
        assert!(r.unwrap_err().contains("did not finish within"), "silence times out");
        static LONG: [u8; 5000] = [b'A'; 5000];
        let (r, _) = run(Protocol::Pop3, &LONG);
        assert!(r.unwrap_err().contains("longer than"));
        let endless: &'static [u8] = "220-x\r\n".repeat(250).into_bytes().leak();
        let (r, _) = run(Protocol::Smtp, endless);
        assert!(r.unwrap_err().contains("more than 200 lines"));
    }
}
