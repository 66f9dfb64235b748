//! Credentials: `-u user[:password]` and a URL's `user:password@`, sent as
//! Basic. The password never reaches a report, a log line or an error: URLs
//! are shown without it and Authorization is redacted unless --show-secrets.

use crate::error::Error;
use hyper::header::HeaderValue;
use url::Url;

/// Basic credentials for `user` and `password`, marked sensitive (hpack
/// never indexes them).
pub fn basic(user: &str, password: &str) -> HeaderValue {
    let token = data_encoding::BASE64.encode(format!("{user}:{password}").as_bytes());
    let mut value = HeaderValue::from_str(&format!("Basic {token}")).expect("base64 is ASCII");
    value.set_sensitive(true);
    value
}

/// Takes the `user:password@` out of `url` (it is never shown or sent as
/// is) and returns them, percent-decoded, as (user, password).
pub fn take_from_url(url: &mut Url) -> Option<(String, String)> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let found = (decode(url.username()), decode(url.password().unwrap_or("")));
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(found)
}

/// `-u user[:password]`; without a password, it is asked for on the terminal
/// (echo off), as curl does.
pub fn parse_user(text: &str) -> Result<(String, String), Error> {
    match text.split_once(':') {
        Some((user, password)) => Ok((user.to_string(), password.to_string())),
        None => Ok((text.to_string(), prompt(&format!("Enter host password for user '{text}': "))?)),
    }
}

/// Reads a line from /dev/tty with echo off.
fn prompt(question: &str) -> Result<String, Error> {
    use std::io::{BufRead, Write};
    use std::os::fd::AsRawFd;
    let no_tty =
        |_| Error::usage_with_hint("-u without a password needs a terminal to ask for it", "write -u user:password");
    let tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").map_err(no_tty)?;
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data filled by tcgetattr on an open fd.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    let echo_off = unsafe { libc::tcgetattr(fd, &mut saved) } == 0 && {
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: a valid termios for the same open fd.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) == 0 }
    };
    let mut writer = &tty;
    let _ = writer.write_all(question.as_bytes());
    let mut line = String::new();
    let read = std::io::Read::take(std::io::BufReader::new(&tty), 4096).read_line(&mut line);
    if echo_off {
        // SAFETY: restores the settings read above on the same fd.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
        let _ = writer.write_all(b"\n");
    }
    read.map_err(|e| Error::usage(format!("cannot read the password from the terminal: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `text` with the password of a `scheme://user:password@host` hidden, for
/// error messages about a URL the user typed.
pub fn hide_password(text: &str) -> String {
    let scheme_end = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return text.to_string() };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{}{user}:***{}", &text[..scheme_end], &rest[at..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_are_taken_out_and_decoded() {
        let mut url = Url::parse("http://al%20ice:p%40ss:w@web.test/x").unwrap();
        assert_eq!(take_from_url(&mut url), Some(("al ice".into(), "p@ss:w".into())));
        assert_eq!(url.as_str(), "http://web.test/x");
        let mut url = Url::parse("http://web.test/").unwrap();
        assert_eq!(take_from_url(&mut url), None);
        assert_eq!(basic("Aladdin", "open sesame").to_str().unwrap(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(basic("a", "b").is_sensitive());
    }

    #[test]
    fn a_typed_password_is_hidden_in_messages() {
        assert_eq!(hide_password("http://bob:s3cret@web.test:99/p@th"), "http://bob:***@web.test:99/p@th");
        assert_eq!(hide_password("http://bob@web.test/"), "http://bob@web.test/");
        assert_eq!(hide_password("web.test/a:b@c"), "web.test/a:b@c");
        assert_eq!(hide_password("bob:pw@web.test/"), "bob:***@web.test/");
        assert_eq!(parse_user("bob:a:b").unwrap(), ("bob".into(), "a:b".into()));
    }
}
