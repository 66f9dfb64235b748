#![cfg(feature = "interop")]
//! hsts-check against `openssl s_server` in the lab, for what rustls servers
//! cannot do: prefer an obsolete TLS 1.2 suite (`tls.obsolete_cipher_suite`)
//! and serve a SHA-1 signed leaf. .ci/run installs openssl; without it these fail.

use crate::lab;

use lab::Lab;
use lab::cli::{openssl, wait_listening};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};

const NETWALK: &str = env!("CARGO_BIN_EXE_netwalk");

fn codes(v: &Value) -> Vec<String> {
    v["issues"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn obsolete_suite_preference_and_a_sha1_leaf() {
    assert!(
        std::process::Command::new("openssl").arg("version").output().is_ok(),
        "openssl is missing: apt-get install openssl"
    );
    let lab = Lab::chain(&["client", "server"]);
    let (client, server) = (lab.host_by_name("client"), lab.host_by_name("server"));
    let addr = lab.addr_of("server", 4);
    let IpAddr::V4(v4) = addr else { panic!("{addr}") };
    let [a, b, c, d] = v4.octets();
    let second = IpAddr::from([a, b, c, d + 1]);
    server.sh(&format!("ip addr add {second}/24 dev eth0"));
    for (name, to) in [("old.test", addr), ("www.old.test", addr), ("sha1.test", second), ("www.sha1.test", second)] {
        client.set_hosts_entry(name, to);
    }
    openssl(
        &server,
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj '/CN=HSTS Interop CA' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign 2>&1",
    );
    for (name, digest) in [("old", "sha256"), ("sha1", "sha1")] {
        std::fs::write(
            server.dir().join(format!("{name}.ext")),
            format!("subjectAltName=DNS:{name}.test,DNS:www.{name}.test\nextendedKeyUsage=serverAuth\n"),
        )
        .unwrap();
        openssl(
            &server,
            &format!("req -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.csr -subj '/CN={name}.test' 2>&1"),
        );
        openssl(
            &server,
            &format!(
                "x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 -{digest} -extfile {name}.ext -out {name}.pem 2>&1"
            ),
        );
    }
    let dir = server.dir().display().to_string();
    let s_server = |bind: IpAddr, name: &str, extra: &[&str]| {
        let mut args: Vec<String> =
            ["s_server", "-accept", &format!("{bind}:443"), "-naccept", "1000", "-www", "-quiet"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        args.extend(["-cert".into(), format!("{dir}/{name}.pem"), "-key".into(), format!("{dir}/{name}.key")]);
        args.extend(extra.iter().map(|s| s.to_string()));
        server.spawn_server("openssl", args)
    };
    // TLS 1.2 only, preferring AES128-SHA (RSA key exchange, CBC) over the ECDHE-GCM suite rustls takes.
    let _old = s_server(
        addr,
        "old",
        &["-no_tls1_3", "-serverpref", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"],
    );
    let _sha1 = s_server(second, "sha1", &["-cipher", "DEFAULT:@SECLEVEL=0"]);
    wait_listening(&client, SocketAddr::new(addr, 443));
    wait_listening(&client, SocketAddr::new(second, 443));
    let ca = format!("{dir}/ca.pem");
    let check = |domain: &str| {
        let out = client.command(NETWALK).args(["hsts-check", "--json", "--ca-file", &ca, domain]).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), v)
    };

    // s_server -www sends no HSTS header and nothing listens on port 80.
    let (code, v) = check("old.test");
    assert_eq!(
        (code, codes(&v)),
        (
            1,
            vec![
                "tls.obsolete_cipher_suite".to_string(),
                "response.no_header".to_string(),
                "redirects.http.does_not_exist".to_string()
            ]
        )
    );
    assert!(v["issues"][0]["message"].as_str().unwrap().contains("TLS_RSA_WITH_AES_128_CBC_SHA"), "{v}");

    // webpki does not verify SHA-1 signatures (nor does Go's crypto/x509 any
    // more), so a SHA-1 leaf fails as an invalid chain before checkSHA1 runs.
    let (code, v) = check("sha1.test");
    assert_eq!((code, codes(&v)), (1, vec!["domain.tls.invalid_cert_chain".to_string()]));
    drop(lab);
}
