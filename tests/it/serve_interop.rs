#![cfg(feature = "interop")]
//! netwalk serve beside Debian's prometheus-blackbox-exporter, with one
//! module file for both (blackbox's own shape), on the site of serve.rs:
//! the same probe_success on every target, output that promtool accepts,
//! and Debian's Prometheus scraping both with the relabelling of
//! blackbox_exporter's README, read back through Prometheus' HTTP API.
//! .ci/run installs prometheus and prometheus-blackbox-exporter.

use crate::lab;
use crate::serve::{Site, cases, get, probe_path, samples, site, start_serve, wait_accepting};

use lab::Server;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const NETWALK_PORT: u16 = 9115;
const BLACKBOX_PORT: u16 = 9116;
const PROMETHEUS_PORT: u16 = 9090;

fn start_blackbox(site: &Site) -> Server {
    let program = lab::require("prometheus-blackbox-exporter");
    let server = site.client.spawn_server(
        program.to_str().unwrap(),
        [format!("--config.file={}", site.config.display()), format!("--web.listen-address=127.0.0.1:{BLACKBOX_PORT}")],
    );
    wait_accepting(&site.client, BLACKBOX_PORT, &server);
    server
}

/// `promtool check metrics` on an exposition: its complaints, if any.
fn promtool(site: &Site, text: &str) -> Result<(), String> {
    let program = lab::require("promtool");
    let path = site.lab.dir().join("exposition.txt");
    std::fs::write(&path, text).unwrap();
    let out = site
        .client
        .command("sh")
        .args(["-c", &format!("{} check metrics < {}", program.display(), path.display())])
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() && said.trim().is_empty() { Ok(()) } else { Err(said) }
}

#[test]
fn same_probe_success_as_blackbox_exporter_on_every_target_and_promtool_accepts_it() {
    let site = site();
    let _netwalk = start_serve(&site, NETWALK_PORT, &[]);
    let _blackbox = start_blackbox(&site);
    let scrape = [("X-Prometheus-Scrape-Timeout-Seconds", "5")];
    for (module, target, want) in cases(&site) {
        let path = probe_path(module, &target);
        let (status, ours) = get(&site.client, NETWALK_PORT, &path, &scrape);
        assert_eq!(status, 200, "netwalk {module} {target}: {ours}");
        let (status, theirs) = get(&site.client, BLACKBOX_PORT, &path, &scrape);
        assert_eq!(status, 200, "blackbox {module} {target}: {theirs}");
        let (ours_m, theirs_m) = (samples(&ours), samples(&theirs));
        assert_eq!(
            theirs_m["probe_success"],
            f64::from(want),
            "blackbox {module} {target} (the case itself):\n{theirs}"
        );
        assert_eq!(
            ours_m["probe_success"], theirs_m["probe_success"],
            "{module} {target}:\nnetwalk:\n{ours}\nblackbox:\n{theirs}"
        );
        promtool(&site, &ours).unwrap_or_else(|e| panic!("promtool on netwalk's {module} {target}: {e}\n{ours}"));
        // Where both measure the same thing they agree on the name and the value.
        for name in [
            "probe_http_status_code",
            "probe_http_ssl",
            "probe_ssl_earliest_cert_expiry",
            "probe_dns_answer_rrs",
            "probe_dns_authority_rrs",
            "probe_ip_protocol",
        ] {
            if let (Some(a), Some(b)) = (ours_m.get(name), theirs_m.get(name)) {
                assert_eq!(a, b, "{name} for {module} {target}:\nnetwalk:\n{ours}\nblackbox:\n{theirs}");
            }
        }
        if module == "http_2xx" && want == 1 {
            for name in
                theirs_m.keys().filter(|k| k.starts_with("probe_http_duration_seconds") || *k == "probe_http_version")
            {
                assert!(ours_m.contains_key(name), "netwalk lacks blackbox's {name}:\n{ours}");
            }
        }
    }
    let (_, own) = get(&site.client, NETWALK_PORT, "/metrics", &[]);
    promtool(&site, &own).unwrap_or_else(|e| panic!("promtool on netwalk's /metrics: {e}\n{own}"));
}

/// A Prometheus config scraping both exporters, one job per (exporter,
/// module), relabelled as blackbox_exporter's README shows.
fn prometheus_config(site: &Site) -> String {
    let mut by_module: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (module, target, _) in cases(site) {
        by_module.entry(module).or_default().push(target);
    }
    let mut text = String::from("global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\nscrape_configs:\n");
    for (exporter, port) in [("netwalk", NETWALK_PORT), ("blackbox", BLACKBOX_PORT)] {
        for (module, targets) in &by_module {
            let targets = targets.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
            text += &format!(
                "  - job_name: {exporter}_{module}
    metrics_path: /probe
    params:
      module: [{module}]
    static_configs:
      - targets: [{targets}]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:{port}
"
            );
        }
    }
    text
}

/// Prometheus' answer to an instant query: (job, instance) → value.
fn query(site: &Site, promql: &str) -> BTreeMap<(String, String), f64> {
    let curl = lab::require("curl");
    let url = format!("http://127.0.0.1:{PROMETHEUS_PORT}/api/v1/query");
    let out = site
        .client
        .command(curl)
        .args(["-s", "--max-time", "5", "--data-urlencode", &format!("query={promql}"), &url])
        .output()
        .unwrap();
    let Ok(doc) = serde_json::from_slice::<Value>(&out.stdout) else { return BTreeMap::new() };
    doc["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let key = (r["metric"]["job"].as_str()?.to_string(), r["metric"]["instance"].as_str()?.to_string());
            Some((key, r["value"][1].as_str()?.parse().ok()?))
        })
        .collect()
}

#[test]
fn prometheus_scrapes_netwalk_serve_with_blackbox_relabelling() {
    let site = site();
    let _netwalk = start_serve(&site, NETWALK_PORT, &[]);
    let _blackbox = start_blackbox(&site);
    let config = site.lab.dir().join("prometheus.yml");
    std::fs::write(&config, prometheus_config(&site)).unwrap();
    let program = lab::require("prometheus");
    let prometheus = site.client.spawn_server(
        program.to_str().unwrap(),
        [
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", site.lab.dir().join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}"),
        ],
    );
    wait_accepting(&site.client, PROMETHEUS_PORT, &prometheus);

    let cases = cases(&site);
    let deadline = Instant::now() + Duration::from_secs(90);
    let results = loop {
        let results = query(&site, "probe_success");
        if results.len() == 2 * cases.len() {
            break results;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus has {} of {} probe_success series: {results:?}\n{}",
            results.len(),
            2 * cases.len(),
            prometheus.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    for (module, target, want) in &cases {
        for exporter in ["netwalk", "blackbox"] {
            let key = (format!("{exporter}_{module}"), target.clone());
            assert_eq!(results.get(&key), Some(&f64::from(*want)), "{key:?} in Prometheus: {results:?}");
        }
    }
    // Every scrape of netwalk serve worked: failures are in probe_success, not in up.
    let up = query(&site, "up{job=~\"netwalk_.*\"}");
    assert_eq!(up.len(), cases.len(), "{up:?}");
    assert!(up.values().all(|v| *v == 1.0), "{up:?}");
}
