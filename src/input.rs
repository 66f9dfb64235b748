//! Every file a user names (batch files, CA files, preload lists, root
//! hints) is read here, through one cap. The cap is on the bytes read, not on
//! the size the file reports: a FIFO or a device (/dev/zero) reports 0 and
//! never ends, and must cost one line and exit 2, not memory.

use crate::error::Error;
use std::io::Read;
use std::path::Path;

/// The file's bytes, at most `max`. `what` names the option in errors
/// ("-f", "--ca-file").
pub fn read_capped(what: &str, path: &Path, max: u64) -> Result<Vec<u8>, Error> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| Error::usage(format!("cannot read {what} {shown}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| Error::usage(format!("cannot read {what} {shown}: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(Error::usage(format!("{what} {shown}: larger than {} (is it a device or a FIFO?)", size(max))));
    }
    Ok(bytes)
}

/// Like [`read_capped`], as UTF-8 text.
pub fn read_text_capped(what: &str, path: &Path, max: u64) -> Result<String, Error> {
    let bytes = read_capped(what, path, max)?;
    String::from_utf8(bytes).map_err(|_| Error::usage(format!("{what} {}: not UTF-8 text", path.display())))
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 { format!("{} MiB", bytes >> 20) } else { format!("{bytes} bytes") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_that_never_ends_is_cut_at_the_cap() {
        let err = read_capped("-f", Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(err.to_string(), "-f /dev/zero: larger than 1 MiB (is it a device or a FIFO?)");
    }

    #[test]
    fn a_small_file_is_read_whole_and_a_missing_one_is_named() {
        let dir = std::env::temp_dir().join(format!("netwalk-input-{}", std::process::id()));
        std::fs::write(&dir, "hello").unwrap();
        assert_eq!(read_text_capped("-f", &dir, 5).unwrap(), "hello");
        assert!(read_capped("-f", &dir, 4).is_err());
        std::fs::remove_file(&dir).unwrap();
        let err = read_capped("--ca-file", Path::new("/nonexistent/x"), 10).unwrap_err().to_string();
        assert!(err.starts_with("cannot read --ca-file /nonexistent/x: "), "{err}");
    }
}
