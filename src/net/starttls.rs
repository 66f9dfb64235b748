//! The plaintext upgrade dialogue that precedes TLS on a protocol's ordinary
//! port: SMTP (RFC 3207), LMTP (RFC 2033), IMAP (RFC 3501), POP3 (RFC 2595),
//! FTP (RFC 4217), NNTP (RFC 4642), ManageSieve (RFC 5804), IRC (IRCv3
//! STARTTLS), XMPP (RFC 6120), LDAP (RFC 4511 StartTLS), PostgreSQL
//! (SSLRequest) and MySQL (SSL request packet). Lines and messages are bounded
//! in length and number and the whole dialogue in time, whatever the server
//! sends.

use serde::Serialize;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Smtp,
    Imap,
    Pop3,
    Ftp,
    Xmpp,
    Ldap,
    Postgres,
    Mysql,
    Lmtp,
    Nntp,
    Sieve,
    Irc,
}

impl Protocol {
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Smtp => 25,
            Protocol::Imap => 143,
            Protocol::Pop3 => 110,
            Protocol::Ftp => 21,
            Protocol::Xmpp => 5222,
            Protocol::Ldap => 389,
            Protocol::Postgres => 5432,
            Protocol::Mysql => 3306,
            Protocol::Lmtp => 24,
            Protocol::Nntp => 119,
            Protocol::Sieve => 4190,
            Protocol::Irc => 6667,
        }
    }
}

/// XMPP's stream features and LDAP's response are bounded by this.
const MAX_MESSAGE: usize = 16 * 1024;

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
/// Returns the transcript (S: / C: lines). `domain` is XMPP's stream `to`.
pub async fn upgrade<S>(
    stream: &mut S,
    protocol: Protocol,
    domain: &str,
    timeout: Duration,
) -> Result<Vec<String>, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut transcript = Vec::new();
    let result = tokio::time::timeout(timeout, dialogue(stream, protocol, domain, &mut transcript)).await;
    match result {
        Ok(Ok(())) => Ok(transcript),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("the STARTTLS dialogue did not finish within {}", crate::timing::human(timeout))),
    }
}

/// Reads bytes until `done` says the text so far is complete (bounded).
async fn read_until<S: AsyncRead + Unpin>(
    stream: &mut S,
    transcript: &mut Vec<String>,
    done: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte).await {
            Ok(0) => return Err("the server closed the connection during the STARTTLS dialogue".into()),
            Ok(_) => buf.push(byte[0]),
            Err(e) => return Err(format!("reading the STARTTLS dialogue failed: {e}")),
        }
        if buf.len() > MAX_MESSAGE {
            return Err(format!("the server sent more than {} KiB without finishing", MAX_MESSAGE / 1024));
        }
        let text = String::from_utf8_lossy(&buf);
        if done(&text) {
            transcript.push(format!("S: {}", clip(&text)));
            return Ok(text.into_owned());
        }
    }
}

async fn read_exact<S: AsyncRead + Unpin>(stream: &mut S, n: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    stream.read_exact(&mut buf).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "the server closed the connection during the STARTTLS dialogue".into(),
        _ => format!("reading the STARTTLS dialogue failed: {e}"),
    })?;
    Ok(buf)
}

async fn send_bytes<S: AsyncWrite + Unpin>(
    stream: &mut S,
    transcript: &mut Vec<String>,
    what: &str,
    bytes: &[u8],
) -> Result<(), String> {
    transcript.push(format!("C: {what}"));
    stream.write_all(bytes).await.map_err(|e| format!("sending {what} failed: {e}"))
}

/// SMTP and LMTP: greeting, EHLO/LHLO, STARTTLS.
async fn smtp_like<S>(stream: &mut S, transcript: &mut Vec<String>, name: &str, hello: &str) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (code, _) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
    if code != 220 {
        return Err(format!("the {name} server greeted with {code}, not 220"));
    }
    send(stream, transcript, &format!("{hello} netwalk.invalid")).await?;
    let (code, caps) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
    if code != 250 {
        return Err(format!("the {name} server answered {hello} with {code}"));
    }
    if !caps.iter().any(|c| c.trim().eq_ignore_ascii_case("STARTTLS")) {
        return Err(format!("the {name} server does not offer STARTTLS in its {hello} reply"));
    }
    send(stream, transcript, "STARTTLS").await?;
    let (code, text) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
    if code != 220 {
        return Err(format!("the {name} server refused STARTTLS: {code} {}", clip(&text.join(" "))));
    }
    Ok(())
}

/// The LDAP StartTLS extended request (RFC 4511 §4.14), message id 1.
const LDAP_STARTTLS: &[u8] = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037";

/// The resultCode of an LDAP ExtendedResponse, from one BER message.
fn ldap_result(msg: &[u8]) -> Result<u8, String> {
    use crate::wire::der;
    let bad = || "the LDAP server's answer is not an ExtendedResponse".to_string();
    let (outer, _) = der::read(msg).ok_or_else(bad)?;
    let mut parts = der::children(outer.value);
    parts.next(); // messageID
    let op = parts.next().filter(|t| t.tag == 0x78).ok_or_else(bad)?;
    let code = der::children(op.value).next().filter(|t| t.tag == der::ENUMERATED).ok_or_else(bad)?;
    code.value.last().copied().ok_or_else(bad)
}

async fn dialogue<S>(
    stream: &mut S,
    protocol: Protocol,
    domain: &str,
    transcript: &mut Vec<String>,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match protocol {
        Protocol::Smtp => smtp_like(stream, transcript, "SMTP", "EHLO").await?,
        Protocol::Lmtp => smtp_like(stream, transcript, "LMTP", "LHLO").await?,
        Protocol::Ftp => {
            let (code, _) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
            if code != 220 {
                return Err(format!("the FTP server greeted with {code}, not 220"));
            }
            send(stream, transcript, "AUTH TLS").await?;
            let (code, text) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
            if code != 234 {
                return Err(format!("the FTP server refused AUTH TLS: {code} {}", clip(&text.join(" "))));
            }
        }
        Protocol::Nntp => {
            let (code, _) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
            if code != 200 && code != 201 {
                return Err(format!("the NNTP server greeted with {code}, not 200 or 201"));
            }
            send(stream, transcript, "STARTTLS").await?;
            let (code, text) = Lines { stream, transcript, count: 0 }.smtp_reply().await?;
            if code != 382 {
                return Err(format!("the NNTP server refused STARTTLS: {code} {}", clip(&text.join(" "))));
            }
        }
        Protocol::Sieve => {
            // Capabilities, one per line, then OK; STARTTLS must be among them.
            let mut lines = Lines { stream, transcript, count: 0 };
            let mut offered = false;
            loop {
                let line = lines.next().await?;
                offered |= line.eq_ignore_ascii_case("\"STARTTLS\"");
                if line.starts_with("OK") {
                    break;
                }
                if line.starts_with("NO") || line.starts_with("BYE") {
                    return Err(format!("the ManageSieve server refused: '{}'", clip(&line)));
                }
            }
            if !offered {
                return Err("the ManageSieve server does not offer STARTTLS".into());
            }
            send(stream, transcript, "STARTTLS").await?;
            let reply = Lines { stream, transcript, count: 0 }.next().await?;
            if !reply.starts_with("OK") {
                return Err(format!("the ManageSieve server refused STARTTLS: '{}'", clip(&reply)));
            }
        }
        Protocol::Irc => {
            send(stream, transcript, "STARTTLS").await?;
            let mut lines = Lines { stream, transcript, count: 0 };
            loop {
                let line = lines.next().await?;
                let numeric = line.split(' ').nth(1).unwrap_or("");
                match numeric {
                    "670" => break,
                    "691" | "421" => return Err(format!("the IRC server refused STARTTLS: '{}'", clip(&line))),
                    _ => {}
                }
            }
        }
        Protocol::Xmpp => {
            let open = format!(
                "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
                 xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0'>"
            );
            send_bytes(stream, transcript, &open, open.as_bytes()).await?;
            let features =
                read_until(stream, transcript, |t| t.contains("</stream:features>") || t.contains("</stream:stream>"))
                    .await?;
            if !features.contains("urn:ietf:params:xml:ns:xmpp-tls") {
                return Err("the XMPP server does not offer STARTTLS in its stream features".into());
            }
            let ask = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
            send_bytes(stream, transcript, ask, ask.as_bytes()).await?;
            let reply = read_until(stream, transcript, |t| t.contains("/>") || t.contains("</")).await?;
            if !reply.contains("<proceed") {
                return Err(format!("the XMPP server refused STARTTLS: '{}'", clip(&reply)));
            }
        }
        Protocol::Ldap => {
            send_bytes(stream, transcript, "StartTLS extended request", LDAP_STARTTLS).await?;
            let head = read_exact(stream, 2).await?;
            if head[0] != 0x30 {
                return Err("the LDAP server's answer is not an LDAP message".into());
            }
            let mut msg = head.clone();
            let len = if head[1] < 0x80 {
                usize::from(head[1])
            } else {
                let n = usize::from(head[1] & 0x7f);
                if n == 0 || n > 3 {
                    return Err("the LDAP server's answer has a bad length".into());
                }
                let bytes = read_exact(stream, n).await?;
                msg.extend(&bytes);
                bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b))
            };
            if len > MAX_MESSAGE {
                return Err(format!("the LDAP server's answer is larger than {} KiB", MAX_MESSAGE / 1024));
            }
            msg.extend(read_exact(stream, len).await?);
            let code = ldap_result(&msg)?;
            transcript.push(format!("S: ExtendedResponse resultCode {code}"));
            if code != 0 {
                return Err(format!("the LDAP server refused StartTLS (resultCode {code})"));
            }
        }
        Protocol::Postgres => {
            send_bytes(stream, transcript, "SSLRequest", &[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await?;
            let answer = read_exact(stream, 1).await?;
            transcript.push(format!("S: {}", char::from(answer[0])));
            if answer[0] != b'S' {
                return Err(format!(
                    "the PostgreSQL server refused SSL (answered '{}')",
                    char::from(answer[0]).escape_default()
                ));
            }
        }
        Protocol::Mysql => {
            let head = read_exact(stream, 4).await?;
            let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
            if !(4..=MAX_MESSAGE).contains(&len) {
                return Err("not a MySQL greeting (bad packet length)".into());
            }
            let body = read_exact(stream, len).await?;
            if body[0] == 0xff {
                return Err(format!(
                    "the MySQL server refused the connection: '{}'",
                    clip(&String::from_utf8_lossy(&body[3.min(body.len())..]))
                ));
            }
            if body[0] != 10 {
                return Err(format!("not a MySQL greeting (protocol {})", body[0]));
            }
            let version_end = body[1..].iter().position(|b| *b == 0).ok_or("not a MySQL greeting (no version)")? + 1;
            let caps_at = version_end + 1 + 4 + 8 + 1;
            let caps = body.get(caps_at..caps_at + 2).ok_or("not a MySQL greeting (truncated)")?;
            transcript.push(format!("S: MySQL {}", String::from_utf8_lossy(&body[1..version_end])));
            if u16::from_le_bytes([caps[0], caps[1]]) & 0x0800 == 0 {
                return Err("the MySQL server does not offer SSL (CLIENT_SSL not set)".into());
            }
            // SSLRequest: capabilities (PROTOCOL_41 | SSL | SECURE_CONNECTION | LONG_PASSWORD), max packet, utf8mb4, 23 zero bytes.
            let mut packet = vec![32, 0, 0, head[3].wrapping_add(1)];
            packet.extend(0x0000_8a01u32.to_le_bytes());
            packet.extend(0x0100_0000u32.to_le_bytes());
            packet.push(0x2d);
            packet.extend([0u8; 23]);
            send_bytes(stream, transcript, "SSL request", &packet).await?;
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
            let result = upgrade(&mut client, protocol, "mx.test", Duration::from_millis(300)).await;
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
    fn the_other_protocols() {
        let (r, sent) = run(Protocol::Ftp, b"220-lab\r\n220 ready\r\n234 AUTH TLS ok\r\n");
        assert_eq!((r.is_ok(), sent.as_slice()), (true, b"AUTH TLS\r\n".as_slice()));
        let (r, sent) = run(Protocol::Lmtp, b"220 lmtp\r\n250-x\r\n250 STARTTLS\r\n220 go\r\n");
        assert_eq!((r.is_ok(), sent.as_slice()), (true, b"LHLO netwalk.invalid\r\nSTARTTLS\r\n".as_slice()));
        let (r, _) = run(Protocol::Nntp, b"200 news\r\n382 go\r\n");
        assert!(r.is_ok());
        let (r, _) = run(Protocol::Nntp, b"200 news\r\n580 no\r\n");
        assert!(r.unwrap_err().contains("580"));
        let (r, _) =
            run(Protocol::Sieve, b"\"IMPLEMENTATION\" \"lab\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\nOK \"go\"\r\n");
        assert!(r.is_ok(), "{r:?}");
        let (r, _) = run(Protocol::Irc, b":irc.test NOTICE * :hi\r\n:irc.test 670 * :STARTTLS successful\r\n");
        assert!(r.is_ok());
        let (r, sent) = run(
            Protocol::Xmpp,
            b"<stream:stream><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        );
        assert!(r.is_ok(), "{r:?}");
        assert!(String::from_utf8_lossy(&sent).contains("to='mx.test'"));
        let (r, sent) = run(Protocol::Ldap, b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00");
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(sent, LDAP_STARTTLS);
        let (r, _) = run(Protocol::Ldap, b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00");
        assert!(r.unwrap_err().contains("resultCode 2"));
        let (r, sent) = run(Protocol::Postgres, b"S");
        assert_eq!((r.is_ok(), sent), (true, vec![0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]));
        assert!(run(Protocol::Postgres, b"N").0.unwrap_err().contains("refused"));
        // MySQL 8 greeting: protocol 10, version, id, salt, filler, caps 0xffff.
        let mut greeting = vec![10];
        greeting.extend(b"8.0.36\0");
        greeting.extend([1, 0, 0, 0]);
        greeting.extend([b'a'; 8]);
        greeting.push(0);
        greeting.extend([0xff, 0xff, 0x2d, 2, 0]);
        let mut packet = vec![greeting.len() as u8, 0, 0, 0];
        packet.extend(&greeting);
        let (r, sent) = run(Protocol::Mysql, Box::leak(packet.into_boxed_slice()));
        assert!(r.is_ok(), "{r:?}");
        assert_eq!((sent.len(), sent[0], sent[3]), (36, 32, 1));
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
