//! TLS client setup shared by DNS-over-TLS and DNS-over-HTTPS: rustls with
//! the ring provider, trusting the system store and optionally a PEM file.

use crate::error::Error;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use std::path::Path;
use std::sync::Arc;

/// The system's trust anchors plus those of `ca_file`. An unreadable or
/// empty `ca_file` is a usage error; an unreadable system store is not
/// (a lab or container may have none), as long as something is trusted.
pub fn client_config(ca_file: Option<&Path>) -> Result<ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    for cert in system.certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let shown = path.display();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|iter| iter.collect::<Result<_, _>>())
            .map_err(|e| Error::usage(format!("--ca-file {shown}: {e}")))?;
        if certs.is_empty() {
            return Err(Error::usage(format!("--ca-file {shown}: no PEM certificate in the file")));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| Error::usage(format!("--ca-file {shown}: unusable certificate ({e})")))?;
        }
    }
    if roots.is_empty() {
        return Err(Error::io(
            "no trusted certificate authorities (the system store is empty)",
            std::io::Error::other("install ca-certificates or pass --ca-file PEM"),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::io("cannot set up TLS", std::io::Error::other(e)))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
