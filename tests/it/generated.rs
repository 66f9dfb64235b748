//! completions/ and man/ are generated from the clap definition; this test
//! fails when they are stale. Regenerate with `scripts/regenerate.sh`.

use clap::CommandFactory;
use clap_complete::Shell;
use std::path::{Path, PathBuf};

fn expected() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell, Shell::Elvish] {
        let mut cmd = netwalk::cli::Cli::command();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "netwalk", &mut buf);
        let name = clap_complete::Generator::file_name(&shell, "netwalk");
        files.push((root.join("completions").join(name), buf));
    }
    let mut cmd = netwalk::cli::Cli::command();
    cmd.build(); // propagates the global options into each subcommand's page
    let mut pages = vec![("netwalk".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name: &'static str = format!("netwalk-{}", sub.get_name()).leak();
        let page = sub.clone().name(name).bin_name(name.replace("-", " "));
        pages.push((name.to_string(), page));
    }
    for (name, page) in pages {
        let mut buf = Vec::new();
        clap_mangen::Man::new(page).render(&mut buf).expect("render man page");
        files.push((root.join("man").join(format!("{name}.1")), buf));
    }
    files
}

#[test]
fn completions_and_man_pages_are_fresh() {
    let regenerate = std::env::var_os("NETWALK_REGENERATE").is_some();
    let mut stale = Vec::new();
    for (path, content) in expected() {
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&content[..]) {
            stale.push(path.display().to_string());
        }
    }
    assert!(stale.is_empty(), "stale generated files (run scripts/regenerate.sh): {stale:?}");
}

#[test]
fn man_pages_document_exit_codes() {
    let pages = expected();
    let (_, tcping) = pages.iter().find(|(p, _)| p.ends_with("netwalk-tcping.1")).unwrap();
    let text = String::from_utf8_lossy(tcping);
    assert!(text.contains("missing privilege or environment"), "exit codes missing from the tcping man page");
}
