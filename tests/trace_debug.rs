mod lab;
#[test]
fn debug() {
    let lab = lab::Lab::chain(&["client", "r1", "r2", "server"]);
    lab.no_icmp_ratelimit();
    let c = lab.host_by_name("client");
    c.allow_ping_sockets();
    let args: Vec<String> = std::env::var("ARGS").unwrap().split_whitespace().map(String::from).collect();
    let out = c.command(env!("CARGO_BIN_EXE_netwalk")).args(&args).output().unwrap();
    eprintln!("{}\n{}\nexit {:?}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr), out.status);
}
