# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_netwalk_global_optspecs
    string join \n json json-lines color= v/verbose 4 6 I/interface= h/help V/version
end

function __fish_netwalk_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_netwalk_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_netwalk_using_subcommand
    set -l cmd (__fish_netwalk_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c netwalk -n "__fish_netwalk_needs_command" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_needs_command" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_needs_command" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_needs_command" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_needs_command" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_needs_command" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_needs_command" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_needs_command" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "tcping" -d 'Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "dhcp-discover" -d 'Find every DHCP server on a link without taking a lease: all offers decoded, rogue detection'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "arp" -d 'Who-has with kernel-timed RTT, IP conflicts, duplicate-address probes, subnet sweeps, the neighbour cache'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "hsts-check" -d 'The Strict-Transport-Security header per RFC 6797, hstspreload\'s preload requirements, the Chromium preload list offline'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "tls-inspect" -d 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "http" -d 'An HTTP/1.1 or HTTP/2 request with per-phase timings (DNS, TCP, TLS, first byte, transfer), redirects hop by hop'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "traceroute" -d 'The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "dig" -d 'DNS queries with dig\'s command line and BIND\'s output: UDP with TCP fallback, EDNS, -x, batches'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "explain" -d 'What happens when you open a URL: name, route, ARP, TCP, TLS, HTTP, redirects, step by step with Wireshark filters'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "serve" -d 'Every check as a Prometheus probe: /probe?target=&module= as blackbox_exporter, modules from its YAML shape'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "lab" -d 'An offline mini-internet in rootless namespaces (DHCP, DNS root to zone, HTTPS), a command run inside it'
complete -c netwalk -n "__fish_netwalk_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s p -l port -d 'Port for targets that do not name one' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s c -l count -d 'Probes per target [default: 4; with --live: until q]; 0 runs until interrupted (Ctrl-C prints the summary)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s i -l interval -d 'Time between the starts of two probes' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l timeout -d 'How long to wait for an answer before calling the port filtered' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l source -d 'Source address to send from' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l max-rtt -d 'Fail (exit 1) when the average RTT of open probes is above this' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l max-loss -d 'Fail (exit 1) when more than this percentage of probes did not find the port open' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l live -d 'Full-screen view of every target updated per probe (loss, RTTs, jitter, history); q quits, then the summary is printed. Without a terminal (or with --json) it is ignored'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -l resolve-each -d 'Resolve the name again before every probe instead of once'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand tcping" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l timeout -d 'How long to listen for offers' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l mac -d 'Client hardware address to send as (chaddr and Ethernet source); default the interface\'s' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l client-id -d 'Client identifier (option 61) as hex, e.g. 01020000000010' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l hostname -d 'Host name to send (option 12)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l expect-server -d 'The servers allowed to answer: exit 1 if any other does, or if none answers' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l first -d 'Return as soon as the first offer arrives'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l random-mac -d 'Send as a random locally administered MAC address'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -l v6 -d 'DHCPv6: SOLICIT to ff02::1:2 from the link-local address and list every ADVERTISE'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand dhcp-discover" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s c -l count -d 'Probes for a single address [default: 3; 0 runs until interrupted]' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s i -l interval -d 'Time between two probes to a single address [default: 1s]' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l timeout -d 'How long to wait for an answer to the last probe; in a sweep, before any host answered' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l rate -d 'Sweep: requests per second [default: 2000]' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l retries -d 'Sweep: extra requests to an address that stays silent [default: 1]' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s l -l localnet -d 'Sweep the IPv4 network of the interface (-I, or the only one with an IPv4 address), as arp-scan does'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l dad -d 'Duplicate-address detection: RFC 5227 probes from 0.0.0.0; exit 1 if the address is in use'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l gateway -d 'When TARGET is off-link, ask for the gateway the route uses instead'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l force -d 'Allow sweeps larger than a /16 (up to a /12)'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -l cache -d 'Show the kernel\'s neighbour table (IPv4 and IPv6) instead of asking the network'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand arp" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -l header -d 'Parse this Strict-Transport-Security value offline instead of checking a domain' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -l preload-list -d 'Use this Chromium transport_security_state_static.json instead of the embedded snapshot' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -l ca-file -d 'Trust the CA certificates in this PEM file instead of the system store (e.g. a lab CA)' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -l removable -d 'Run hstspreload\'s removal check (on the site, or on the --header value) instead of the preload check'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -l offline -d 'Only look DOMAIN up in the preload list; send nothing'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand hsts-check" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -s p -l port -d 'Port when the target names none (default 443, or the STARTTLS protocol\'s port)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l servername -d 'Name to send as SNI and to check the certificate against (default: the target\'s host)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l alpn -d 'ALPN protocols to offer, comma-separated (e.g. h2,http/1.1)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l ca-file -d 'PEM file of extra trust: self-signed certificates become roots, others intermediates' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l roots -d 'Trust store to judge the chain against' -r -f -a "system\t'The operating system\'s store (SSL_CERT_FILE / SSL_CERT_DIR, else /etc/ssl/certs)'
mozilla\t'Mozilla\'s root program, built in (webpki-roots)'"
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l expires-within -d 'Fail (exit 1) when the leaf, the served chain or the verified chain expires within this' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l starttls -d 'Speak this protocol\'s upgrade dialogue before TLS' -r -f -a "smtp\t''
imap\t''
pop3\t''
ftp\t''
xmpp\t''
ldap\t''
postgres\t''
mysql\t''
lmtp\t''
nntp\t''
sieve\t''
irc\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l at -d 'Judge validity at this time instead of now (2027-01-31T12:00:00Z, 2027-01-31, @UNIX)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l max-depth -d 'Most intermediates a verified path may have (openssl\'s -verify_depth)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l timeout -d 'Limit for each step: TCP connect, STARTTLS dialogue, TLS handshake, each probe' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l no-sni -d 'Send no SNI (the certificate is still checked against the target\'s host)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l enumerate -d 'Also list the versions, cipher suites and groups the server accepts (crafted ClientHellos)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l all-addresses -d 'Inspect every A/AAAA address of the name, side by side'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l pem -d 'Print the served chain as PEM instead of the report (JSON adds a pem field per certificate)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l ocsp -d 'Ask the leaf\'s OCSP responder (its AIA URL) whether it is revoked'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l crl -d 'Check every certificate of the path against its issuer\'s CRL (CRL distribution points)'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -l no-verify-name -d 'Judge the chain without checking that it names the server'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand tls-inspect" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s u -l user -d 'Basic credentials (curl\'s -u): USER:PASSWORD, or USER to be asked for the password on the terminal; overrides a URL\'s user:password@' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s H -l header -d 'Add a request header (\'Name: value\'); \'Name:\' removes a default header' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s d -l data -d 'Request body: literal DATA, @FILE (streamed), or @- for standard input (POST unless a method is given)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s T -l upload-file -d 'Upload FILE as the body, streamed (PUT unless a method is given); a URL ending in / gets the file\'s name' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s b -l cookie -d 'Send cookies: \'name=value; name2=value2\', or a jar FILE to read (curl\'s Netscape format; repeatable)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s c -l cookie-jar -d 'Write the cookies at the end to FILE (Netscape format, which curl -b reads)' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l max-redirs -d 'Most redirects to follow with -L' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s o -l output -d 'Stream the body to FILE (constant memory); \'-\' writes it to stdout even if binary' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l resolve -d 'Use ADDR for HOST:PORT instead of resolving it (repeatable)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l connect-to -d 'Connect to HOST2:PORT2 for requests to HOST1:PORT1, keeping the name for Host and TLS (repeatable)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l cacert -d 'Trust only the CA certificates in this PEM file' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l max-filesize -d 'Fail when the body (after decoding) exceeds this size: 1048576, 512K, 10M, 2G [default: 1G once decoded]' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s x -l proxy -d 'Go through this proxy: http://[USER:PASS@]HOST[:PORT] (CONNECT for https), socks5:// or socks5h://; overrides http_proxy, https_proxy and all_proxy; \'\' uses none' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l noproxy -d 'Hosts that bypass the proxy (comma-separated names, domains, addresses, CIDR blocks, or *); overrides no_proxy' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l expect-status -d 'Fail (exit 1) unless the final status is this code or class (200, 2xx, 304)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s m -l max-time -d 'Give up (exit 28) when the whole transfer takes longer than this (2.5 or 2500ms; bare numbers are seconds)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l connect-timeout -d 'Give up on an address (exit 7, or 28 when every address timed out), and on the proxy CONNECT and TLS handshake' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s Y -l speed-limit -d 'Abort (exit 28) when fewer than this many bytes/s move for --speed-time; 0 turns the check off' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s y -l speed-time -d 'How long the transfer may stay under --speed-limit (a server that never answers, a trickling body)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l etag -d 'Conditional request: send If-None-Match with this ETag' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l if-modified-since -d 'Conditional request: send If-Modified-Since with this date (HTTP date or RFC 3339)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s f -l fail -d 'Exit 22, writing no body, when the final status is 400 or more (curl\'s -f)'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s L -l location -d 'Follow redirects (301, 302, 303, 307, 308), listing every hop'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l head -d 'Send a HEAD request (curl\'s -I; -I is --interface in netwalk)'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s i -l include -d 'Write the response headers before the body'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l http1.1 -d 'HTTP/1.1 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l http2 -d 'HTTP/2: over TLS through ALPN (fail if the server does not agree); for http:// an h2c Upgrade, staying on HTTP/1.1 if the server ignores it'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l http2-prior-knowledge -d 'HTTP/2 without negotiation (h2c for http://)'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s k -l insecure -d 'Do not verify the server certificate (insecure: anyone in the path can read and change the traffic)'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l compressed -d 'Ask for a compressed body (gzip, deflate, br, zstd) and decode it'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -l show-secrets -d 'Show Authorization, Cookie and Proxy-Authorization values under -v instead of redacting them'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand http" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s p -l port -d 'Destination port: UDP\'s first (classic) or fixed (Paris) port [33434], TCP\'s port [80]' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s q -l queries -d 'Probes per hop' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s f -l first-ttl -d 'First TTL' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s m -l max-ttl -d 'Last TTL' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l timeout -d 'Longest wait for one probe; silent hops are given up sooner once later hops answer' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l asn-zone -d 'The zone the AS lookups go to: origin.ZONE (IPv4), origin6.ZONE (IPv6), ASn.ZONE (names)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l flows -d 'Trace this many flows (source ports) to find ECMP paths and where they diverge' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s c -l rounds -d 'mtr-style report: probe every hop ROUNDS times, then print loss and RTT statistics; 0 runs until interrupted' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s i -l interval -d 'Time between the starts of two rounds (with -c or --live)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s N -l sim-queries -d 'Probes in flight at once' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s z -l send-interval -d 'Minimum time between two probes (for routers that rate-limit ICMP)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l source -d 'Source address to send from' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l icmp -d 'Probe with ICMP echo requests'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l udp -d 'Probe with UDP datagrams (the default)'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l tcp -d 'Probe with TCP SYNs'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s n -d 'Do not look up names of hops'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l asn -d 'Look up the AS number (and name) of every hop with Team Cymru-style DNS TXT queries'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l paris -d 'UDP: keep the 5-tuple fixed so every probe takes the same ECMP path (the default)'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l classic -d 'UDP: a new destination port per probe, as classic traceroute'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l mtu -d 'Discover the path MTU and the hop where it drops'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l live -d 'Full-screen view updated per probe (mtr, trippy): until q or -c rounds, then the -c report. Without a terminal (or with --json) it prints the report of -c rounds (10 by default)'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -l unprivileged -d 'Use unprivileged sockets even with CAP_NET_RAW'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand traceroute" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -l expect-rcode -d 'Exit 1 unless every response has this RCODE (NOERROR, NXDOMAIN, SERVFAIL, ... or a number)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -l system -d 'Resolve NAME as the operating system does (hosts file, then resolv.conf servers and search list) and say which source answered' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -l root-hints -d 'Root hints for +trace (named.root format: `. NS name` and `name A|AAAA addr` lines) instead of the built-in IANA root servers' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -l ca-file -d 'Also trust the certificate authorities in this PEM file for +tls and +https (the system store is always trusted)' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand dig" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l ca-file -d 'Trust only the CA certificates in this PEM file (as http\'s --cacert)' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l preload-list -d 'Use this Chromium-format preload list (JSON) instead of the embedded one' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l timeout -d 'Longest wait for each network step (DNS server, ARP, TCP, TLS, HTTP response)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l pcap -d 'Capture the walk\'s packets into this pcap file (needs CAP_NET_RAW: exit 3 without it, before anything is sent)' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l har -d 'Write the walk (and --resources) as an HTTP Archive (HAR 1.2) for Chrome DevTools and HAR viewers' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l html -d 'Write the walk as one self-contained HTML page (steps, waterfall, Wireshark filters, certificate chain)' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l dhcp-wait -d 'How long --dhcp listens for offers (implies --dhcp)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l lease -d 'Step 0: read this host\'s DHCP lease from FILE (dhclient, NetworkManager, systemd-networkd, or netwalk lab\'s lease.json) instead of searching the usual places' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l resources -d 'After an HTML page, fetch its images, scripts, stylesheets and icons as a browser would (a failing resource is reported, the exit code stays 0 when the page loaded)'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -l dhcp -d 'Step 0: also send a DHCPDISCOVER (no lease is taken) to show which servers answer now'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand explain" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -l listen -d 'Address to listen on (0.0.0.0:9115 for every interface, as blackbox_exporter)' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -l config -d 'Module file in blackbox_exporter\'s YAML shape' -r -F
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -l max-concurrent -d 'Probes run at once; more wait for a slot within their timeout' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand serve" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -l color -d 'Colour the output: auto (terminal and no NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -s I -l interface -d 'Send from this network interface' -r
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -l json -d 'Print one JSON document instead of text'
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -l json-lines -d 'Print one JSON object per line as events happen (NDJSON)'
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -s v -l verbose -d 'More detail on stderr (-v debug, -vv trace)'
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -s 4 -d 'Use IPv4 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -s 6 -d 'Use IPv6 only'
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -l shell -d 'Open an interactive shell ($SHELL, else /bin/sh) in the client instead of a command'
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netwalk -n "__fish_netwalk_using_subcommand lab" -s V -l version -d 'Print version'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "tcping" -d 'Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "dhcp-discover" -d 'Find every DHCP server on a link without taking a lease: all offers decoded, rogue detection'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "arp" -d 'Who-has with kernel-timed RTT, IP conflicts, duplicate-address probes, subnet sweeps, the neighbour cache'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "hsts-check" -d 'The Strict-Transport-Security header per RFC 6797, hstspreload\'s preload requirements, the Chromium preload list offline'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "tls-inspect" -d 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "http" -d 'An HTTP/1.1 or HTTP/2 request with per-phase timings (DNS, TCP, TLS, first byte, transfer), redirects hop by hop'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "traceroute" -d 'The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "dig" -d 'DNS queries with dig\'s command line and BIND\'s output: UDP with TCP fallback, EDNS, -x, batches'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "explain" -d 'What happens when you open a URL: name, route, ARP, TCP, TLS, HTTP, redirects, step by step with Wireshark filters'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "serve" -d 'Every check as a Prometheus probe: /probe?target=&module= as blackbox_exporter, modules from its YAML shape'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "lab" -d 'An offline mini-internet in rootless namespaces (DHCP, DNS root to zone, HTTPS), a command run inside it'
complete -c netwalk -n "__fish_netwalk_using_subcommand help; and not __fish_seen_subcommand_from tcping dhcp-discover arp hsts-check tls-inspect http traceroute dig explain serve lab help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
