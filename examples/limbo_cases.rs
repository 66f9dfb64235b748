//! Writes limbo-style chain-validation cases (x509-limbo's shape: a leaf, the
//! intermediates a server would send, the trusted roots, the name to check,
//! the expected verdict) for scripts/compare-verify.sh, which serves each one
//! with openssl s_server and compares netwalk's verdict with `openssl verify`.
//! Usage: cargo run --example limbo_cases -- DIR

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    KeyPair, KeyUsagePurpose, NameConstraints, SanType,
};
use std::path::Path;
use time::{Duration, OffsetDateTime};

type Issuer = CertifiedIssuer<'static, KeyPair>;

fn day(n: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(n)
}

fn params(cn: &str, ca: Option<u8>) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = day(-1);
    p.not_after = day(300);
    match ca {
        Some(len) => {
            p.is_ca = IsCa::Ca(if len == u8::MAX {
                BasicConstraints::Unconstrained
            } else {
                BasicConstraints::Constrained(len)
            });
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        }
        None => {
            p.is_ca = IsCa::ExplicitNoCa;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        }
    }
    p
}

fn key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

fn leaf(name: &str) -> CertificateParams {
    let mut p = params(name, None);
    p.subject_alt_names = vec![SanType::DnsName(name.try_into().unwrap())];
    p
}

struct Case<'a> {
    id: &'a str,
    name: &'a str,
    leaf: CertificateParams,
    signer: &'a Issuer,
    chain: Vec<&'a rustls::pki_types::CertificateDer<'static>>,
    roots: Vec<&'a rustls::pki_types::CertificateDer<'static>>,
    expect: &'a str,
    note: &'a str,
}

fn pem(certs: &[&rustls::pki_types::CertificateDer<'_>]) -> String {
    certs.iter().map(|c| netwalk::commands::tls_inspect::cert::pem(c)).collect()
}

fn write(dir: &Path, case: Case<'_>) {
    let d = dir.join(case.id);
    std::fs::create_dir_all(&d).unwrap();
    let key = key();
    let cert = case.leaf.signed_by(&key, case.signer).unwrap();
    std::fs::write(d.join("leaf.pem"), pem(&[cert.der()])).unwrap();
    std::fs::write(d.join("key.pem"), key.serialize_pem()).unwrap();
    std::fs::write(d.join("chain.pem"), pem(&case.chain)).unwrap();
    std::fs::write(d.join("roots.pem"), pem(&case.roots)).unwrap();
    std::fs::write(d.join("name"), case.name).unwrap();
    std::fs::write(d.join("expect"), case.expect).unwrap();
    std::fs::write(d.join("note"), case.note).unwrap();
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: limbo_cases DIR");
    let dir = Path::new(&dir);
    let root = CertifiedIssuer::self_signed(params("Limbo Root", Some(u8::MAX)), key()).unwrap();
    let inter_key = key().serialize_pem();
    let inter = CertifiedIssuer::signed_by(
        params("Limbo Intermediate", Some(0)),
        KeyPair::from_pem(&inter_key).unwrap(),
        &root,
    )
    .unwrap();
    let old = CertifiedIssuer::self_signed(params("Retired Root", Some(u8::MAX)), key()).unwrap();
    let mut cross_params = params("Limbo Intermediate", Some(0));
    cross_params.not_before = day(-900);
    cross_params.not_after = day(-30);
    let cross = CertifiedIssuer::signed_by(cross_params, KeyPair::from_pem(&inter_key).unwrap(), &old).unwrap();
    let pathlen0 = CertifiedIssuer::signed_by(params("Pathlen0 Intermediate", Some(0)), key(), &root).unwrap();
    let sub = CertifiedIssuer::signed_by(params("Below Pathlen0", Some(0)), key(), &pathlen0).unwrap();
    let mut nc = params("Constrained Intermediate", Some(0));
    nc.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![GeneralSubtree::DnsName("other.test".into())],
        excluded_subtrees: vec![],
    });
    let constrained = CertifiedIssuer::signed_by(nc, key(), &root).unwrap();
    let (r, i) = (root.der(), inter.der());

    let with = |f: &dyn Fn(&mut CertificateParams), name: &str| {
        let mut p = leaf(name);
        f(&mut p);
        p
    };
    let cases = vec![
        Case {
            id: "ok",
            name: "web.test",
            leaf: leaf("web.test"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "trusted",
            note: "",
        },
        Case {
            id: "expired-leaf",
            name: "web.test",
            leaf: with(&|p| (p.not_before, p.not_after) = (day(-60), day(-2)), "web.test"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "expired",
            note: "",
        },
        Case {
            id: "not-yet-valid",
            name: "web.test",
            leaf: with(&|p| (p.not_before, p.not_after) = (day(3), day(60)), "web.test"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "not_yet_valid",
            note: "",
        },
        Case {
            id: "name-mismatch",
            name: "web.test",
            leaf: leaf("other.test"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "hostname_mismatch",
            note: "",
        },
        Case {
            id: "missing-intermediate",
            name: "web.test",
            leaf: leaf("web.test"),
            signer: &inter,
            chain: vec![],
            roots: vec![r],
            expect: "incomplete_chain",
            note: "",
        },
        Case {
            id: "expired-cross-sign-extra",
            name: "web.test",
            leaf: leaf("web.test"),
            signer: &inter,
            chain: vec![cross.der(), i],
            roots: vec![r],
            expect: "trusted",
            note: "",
        },
        Case {
            id: "intermediate-as-anchor",
            name: "web.test",
            leaf: leaf("web.test"),
            signer: &inter,
            chain: vec![],
            roots: vec![i],
            expect: "trusted",
            note: "netwalk trusts a non-self-signed CA-file certificate as an anchor (openssl verify does only with -partial_chain)",
        },
        Case {
            id: "underscore-name",
            name: "my_host.test",
            leaf: leaf("my_host.test"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "trusted",
            note: "",
        },
        Case {
            id: "wildcard-match",
            name: "a.web.test",
            leaf: with(&|p| p.subject_alt_names = vec![SanType::DnsName("*.web.test".try_into().unwrap())], "x"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "trusted",
            note: "",
        },
        Case {
            id: "wildcard-apex",
            name: "web.test",
            leaf: with(&|p| p.subject_alt_names = vec![SanType::DnsName("*.web.test".try_into().unwrap())], "x"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "hostname_mismatch",
            note: "",
        },
        Case {
            id: "client-auth-only",
            name: "web.test",
            leaf: with(&|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth], "web.test"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "invalid",
            note: "",
        },
        Case {
            id: "pathlen-exceeded",
            name: "web.test",
            leaf: leaf("web.test"),
            signer: &sub,
            chain: vec![sub.der(), pathlen0.der()],
            roots: vec![r],
            expect: "invalid",
            note: "",
        },
        Case {
            id: "name-constraint-violated",
            name: "web.test",
            leaf: leaf("web.test"),
            signer: &constrained,
            chain: vec![constrained.der()],
            roots: vec![r],
            expect: "invalid",
            note: "",
        },
        Case {
            id: "ca-as-leaf",
            name: "web.test",
            leaf: with(&|p| p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained), "web.test"),
            signer: &inter,
            chain: vec![i],
            roots: vec![r],
            expect: "invalid",
            note: "webpki refuses a CA certificate as a server's leaf (RFC 5280 §4.2.1.9 CA:TRUE with serverAuth); openssl verify accepts it",
        },
        Case {
            id: "untrusted-root",
            name: "web.test",
            leaf: leaf("web.test"),
            signer: &old,
            chain: vec![old.der()],
            roots: vec![r],
            expect: "unknown_issuer",
            note: "",
        },
    ];
    for case in cases {
        write(dir, case);
    }
}
