//! The lab's PKI, made fresh at every lab start with rcgen: a CA the lab's
//! client trusts, and the web server's certificate it signs.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

pub const CA_NAME: &str = "netwalk lab CA";

/// PEM texts: the CA certificate, and the server's certificate and key.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

/// A CA and a certificate for `names` (subject CN the first name, every name
/// a DNS SAN), valid from now for 30 days.
pub fn make(names: &[&str]) -> Result<Pki, String> {
    let err = |e: rcgen::Error| format!("making the lab certificates: {e}");
    let now = std::time::SystemTime::now();
    let day = std::time::Duration::from_secs(86400);
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, CA_NAME);
    ca.distinguished_name.push(DnType::OrganizationName, "netwalk lab");
    ca.not_before = (now - day).into();
    ca.not_after = (now + 30 * day).into();
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).map_err(err)?;
    if let Some(first) = names.first() {
        params.distinguished_name.push(DnType::CommonName, *first);
    }
    params.not_before = (now - day).into();
    params.not_after = (now + 30 * day).into();
    let cert = params.signed_by(&key, &issuer).map_err(err)?;
    Ok(Pki { ca_pem: ca_cert.pem(), cert_pem: cert.pem(), key_pem: key.serialize_pem() })
}
