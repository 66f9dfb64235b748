
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'netwalk' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'netwalk'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'netwalk' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('tcping', 'tcping', [CompletionResultType]::ParameterValue, 'Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why')
            [CompletionResult]::new('dhcp-discover', 'dhcp-discover', [CompletionResultType]::ParameterValue, 'Find every DHCP server on a link without taking a lease: all offers decoded, rogue detection')
            [CompletionResult]::new('arp', 'arp', [CompletionResultType]::ParameterValue, 'Who-has with kernel-timed RTT, IP conflicts, duplicate-address probes, subnet sweeps, the neighbour cache')
            [CompletionResult]::new('hsts-check', 'hsts-check', [CompletionResultType]::ParameterValue, 'The Strict-Transport-Security header per RFC 6797, hstspreload''s preload requirements, the Chromium preload list offline')
            [CompletionResult]::new('tls-inspect', 'tls-inspect', [CompletionResultType]::ParameterValue, 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS')
            [CompletionResult]::new('http', 'http', [CompletionResultType]::ParameterValue, 'An HTTP/1.1 or HTTP/2 request with per-phase timings (DNS, TCP, TLS, first byte, transfer), redirects hop by hop')
            [CompletionResult]::new('traceroute', 'traceroute', [CompletionResultType]::ParameterValue, 'The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU')
            [CompletionResult]::new('dig', 'dig', [CompletionResultType]::ParameterValue, 'DNS queries with dig''s command line and BIND''s output: UDP with TCP fallback, EDNS, -x, batches')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'What happens when you open a URL: name, route, ARP, TCP, TLS, HTTP, redirects, step by step with Wireshark filters')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Every check as a Prometheus probe: /probe?target=&module= as blackbox_exporter, modules from its YAML shape')
            [CompletionResult]::new('lab', 'lab', [CompletionResultType]::ParameterValue, 'An offline mini-internet in rootless namespaces (DHCP, DNS root to zone, HTTPS), a command run inside it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netwalk;tcping' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port for targets that do not name one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port for targets that do not name one')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Probes per target [default: 4; with --live: until q]; 0 runs until interrupted (Ctrl-C prints the summary)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Probes per target [default: 4; with --live: until q]; 0 runs until interrupted (Ctrl-C prints the summary)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between the starts of two probes')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between the starts of two probes')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for an answer before calling the port filtered')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Source address to send from')
            [CompletionResult]::new('--max-rtt', '--max-rtt', [CompletionResultType]::ParameterName, 'Fail (exit 1) when the average RTT of open probes is above this')
            [CompletionResult]::new('--max-loss', '--max-loss', [CompletionResultType]::ParameterName, 'Fail (exit 1) when more than this percentage of probes did not find the port open')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Full-screen view of every target updated per probe (loss, RTTs, jitter, history); q quits, then the summary is printed. Without a terminal (or with --json) it is ignored')
            [CompletionResult]::new('--resolve-each', '--resolve-each', [CompletionResultType]::ParameterName, 'Resolve the name again before every probe instead of once')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;dhcp-discover' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to listen for offers')
            [CompletionResult]::new('--mac', '--mac', [CompletionResultType]::ParameterName, 'Client hardware address to send as (chaddr and Ethernet source); default the interface''s')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Client identifier (option 61) as hex, e.g. 01020000000010')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'Host name to send (option 12)')
            [CompletionResult]::new('--expect-server', '--expect-server', [CompletionResultType]::ParameterName, 'The servers allowed to answer: exit 1 if any other does, or if none answers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--first', '--first', [CompletionResultType]::ParameterName, 'Return as soon as the first offer arrives')
            [CompletionResult]::new('--random-mac', '--random-mac', [CompletionResultType]::ParameterName, 'Send as a random locally administered MAC address')
            [CompletionResult]::new('--v6', '--v6', [CompletionResultType]::ParameterName, 'DHCPv6: SOLICIT to ff02::1:2 from the link-local address and list every ADVERTISE')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;arp' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Probes for a single address [default: 3; 0 runs until interrupted]')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Probes for a single address [default: 3; 0 runs until interrupted]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between two probes to a single address [default: 1s]')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between two probes to a single address [default: 1s]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for an answer to the last probe; in a sweep, before any host answered')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Sweep: requests per second [default: 2000]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Sweep: extra requests to an address that stays silent [default: 1]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Sweep the IPv4 network of the interface (-I, or the only one with an IPv4 address), as arp-scan does')
            [CompletionResult]::new('--localnet', '--localnet', [CompletionResultType]::ParameterName, 'Sweep the IPv4 network of the interface (-I, or the only one with an IPv4 address), as arp-scan does')
            [CompletionResult]::new('--dad', '--dad', [CompletionResultType]::ParameterName, 'Duplicate-address detection: RFC 5227 probes from 0.0.0.0; exit 1 if the address is in use')
            [CompletionResult]::new('--gateway', '--gateway', [CompletionResultType]::ParameterName, 'When TARGET is off-link, ask for the gateway the route uses instead')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Allow sweeps larger than a /16 (up to a /12)')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Show the kernel''s neighbour table (IPv4 and IPv6) instead of asking the network')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;hsts-check' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Parse this Strict-Transport-Security value offline instead of checking a domain')
            [CompletionResult]::new('--preload-list', '--preload-list', [CompletionResultType]::ParameterName, 'Use this Chromium transport_security_state_static.json instead of the embedded snapshot')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file instead of the system store (e.g. a lab CA)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--removable', '--removable', [CompletionResultType]::ParameterName, 'Run hstspreload''s removal check (on the site, or on the --header value) instead of the preload check')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Only look DOMAIN up in the preload list; send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;tls-inspect' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port when the target names none (default 443, or the STARTTLS protocol''s port)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port when the target names none (default 443, or the STARTTLS protocol''s port)')
            [CompletionResult]::new('--servername', '--servername', [CompletionResultType]::ParameterName, 'Name to send as SNI and to check the certificate against (default: the target''s host)')
            [CompletionResult]::new('--alpn', '--alpn', [CompletionResultType]::ParameterName, 'ALPN protocols to offer, comma-separated (e.g. h2,http/1.1)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'PEM file of extra trust: self-signed certificates become roots, others intermediates')
            [CompletionResult]::new('--roots', '--roots', [CompletionResultType]::ParameterName, 'Trust store to judge the chain against')
            [CompletionResult]::new('--expires-within', '--expires-within', [CompletionResultType]::ParameterName, 'Fail (exit 1) when the leaf, the served chain or the verified chain expires within this')
            [CompletionResult]::new('--starttls', '--starttls', [CompletionResultType]::ParameterName, 'Speak this protocol''s upgrade dialogue before TLS')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Judge validity at this time instead of now (2027-01-31T12:00:00Z, 2027-01-31, @UNIX)')
            [CompletionResult]::new('--max-depth', '--max-depth', [CompletionResultType]::ParameterName, 'Most intermediates a verified path may have (openssl''s -verify_depth)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Limit for each step: TCP connect, STARTTLS dialogue, TLS handshake, each probe')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--no-sni', '--no-sni', [CompletionResultType]::ParameterName, 'Send no SNI (the certificate is still checked against the target''s host)')
            [CompletionResult]::new('--enumerate', '--enumerate', [CompletionResultType]::ParameterName, 'Also list the versions, cipher suites and groups the server accepts (crafted ClientHellos)')
            [CompletionResult]::new('--all-addresses', '--all-addresses', [CompletionResultType]::ParameterName, 'Inspect every A/AAAA address of the name, side by side')
            [CompletionResult]::new('--pem', '--pem', [CompletionResultType]::ParameterName, 'Print the served chain as PEM instead of the report (JSON adds a pem field per certificate)')
            [CompletionResult]::new('--ocsp', '--ocsp', [CompletionResultType]::ParameterName, 'Ask the leaf''s OCSP responder (its AIA URL) whether it is revoked')
            [CompletionResult]::new('--crl', '--crl', [CompletionResultType]::ParameterName, 'Check every certificate of the path against its issuer''s CRL (CRL distribution points)')
            [CompletionResult]::new('--no-verify-name', '--no-verify-name', [CompletionResultType]::ParameterName, 'Judge the chain without checking that it names the server')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;http' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Basic credentials (curl''s -u): USER:PASSWORD, or USER to be asked for the password on the terminal; overrides a URL''s user:password@')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Basic credentials (curl''s -u): USER:PASSWORD, or USER to be asked for the password on the terminal; overrides a URL''s user:password@')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a request header (''Name: value''); ''Name:'' removes a default header')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a request header (''Name: value''); ''Name:'' removes a default header')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Request body: literal DATA, @FILE (streamed), or @- for standard input (POST unless a method is given)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Request body: literal DATA, @FILE (streamed), or @- for standard input (POST unless a method is given)')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Upload FILE as the body, streamed (PUT unless a method is given); a URL ending in / gets the file''s name')
            [CompletionResult]::new('--upload-file', '--upload-file', [CompletionResultType]::ParameterName, 'Upload FILE as the body, streamed (PUT unless a method is given); a URL ending in / gets the file''s name')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Send cookies: ''name=value; name2=value2'', or a jar FILE to read (curl''s Netscape format; repeatable)')
            [CompletionResult]::new('--cookie', '--cookie', [CompletionResultType]::ParameterName, 'Send cookies: ''name=value; name2=value2'', or a jar FILE to read (curl''s Netscape format; repeatable)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Write the cookies at the end to FILE (Netscape format, which curl -b reads)')
            [CompletionResult]::new('--cookie-jar', '--cookie-jar', [CompletionResultType]::ParameterName, 'Write the cookies at the end to FILE (Netscape format, which curl -b reads)')
            [CompletionResult]::new('--max-redirs', '--max-redirs', [CompletionResultType]::ParameterName, 'Most redirects to follow with -L')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Stream the body to FILE (constant memory); ''-'' writes it to stdout even if binary')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Stream the body to FILE (constant memory); ''-'' writes it to stdout even if binary')
            [CompletionResult]::new('--resolve', '--resolve', [CompletionResultType]::ParameterName, 'Use ADDR for HOST:PORT instead of resolving it (repeatable)')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Connect to HOST2:PORT2 for requests to HOST1:PORT1, keeping the name for Host and TLS (repeatable)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust only the CA certificates in this PEM file')
            [CompletionResult]::new('--max-filesize', '--max-filesize', [CompletionResultType]::ParameterName, 'Fail when the body (after decoding) exceeds this size: 1048576, 512K, 10M, 2G [default: 1G once decoded]')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Go through this proxy: http://[USER:PASS@]HOST[:PORT] (CONNECT for https), socks5:// or socks5h://; overrides http_proxy, https_proxy and all_proxy; '''' uses none')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Go through this proxy: http://[USER:PASS@]HOST[:PORT] (CONNECT for https), socks5:// or socks5h://; overrides http_proxy, https_proxy and all_proxy; '''' uses none')
            [CompletionResult]::new('--noproxy', '--noproxy', [CompletionResultType]::ParameterName, 'Hosts that bypass the proxy (comma-separated names, domains, addresses, CIDR blocks, or *); overrides no_proxy')
            [CompletionResult]::new('--expect-status', '--expect-status', [CompletionResultType]::ParameterName, 'Fail (exit 1) unless the final status is this code or class (200, 2xx, 304)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Give up (exit 28) when the whole transfer takes longer than this (2.5 or 2500ms; bare numbers are seconds)')
            [CompletionResult]::new('--max-time', '--max-time', [CompletionResultType]::ParameterName, 'Give up (exit 28) when the whole transfer takes longer than this (2.5 or 2500ms; bare numbers are seconds)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up on an address (exit 7, or 28 when every address timed out), and on the proxy CONNECT and TLS handshake')
            [CompletionResult]::new('-Y', '-Y ', [CompletionResultType]::ParameterName, 'Abort (exit 28) when fewer than this many bytes/s move for --speed-time; 0 turns the check off')
            [CompletionResult]::new('--speed-limit', '--speed-limit', [CompletionResultType]::ParameterName, 'Abort (exit 28) when fewer than this many bytes/s move for --speed-time; 0 turns the check off')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'How long the transfer may stay under --speed-limit (a server that never answers, a trickling body)')
            [CompletionResult]::new('--speed-time', '--speed-time', [CompletionResultType]::ParameterName, 'How long the transfer may stay under --speed-limit (a server that never answers, a trickling body)')
            [CompletionResult]::new('--etag', '--etag', [CompletionResultType]::ParameterName, 'Conditional request: send If-None-Match with this ETag')
            [CompletionResult]::new('--if-modified-since', '--if-modified-since', [CompletionResultType]::ParameterName, 'Conditional request: send If-Modified-Since with this date (HTTP date or RFC 3339)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Exit 22, writing no body, when the final status is 400 or more (curl''s -f)')
            [CompletionResult]::new('--fail', '--fail', [CompletionResultType]::ParameterName, 'Exit 22, writing no body, when the final status is 400 or more (curl''s -f)')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Follow redirects (301, 302, 303, 307, 308), listing every hop')
            [CompletionResult]::new('--location', '--location', [CompletionResultType]::ParameterName, 'Follow redirects (301, 302, 303, 307, 308), listing every hop')
            [CompletionResult]::new('--head', '--head', [CompletionResultType]::ParameterName, 'Send a HEAD request (curl''s -I; -I is --interface in netwalk)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Write the response headers before the body')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Write the response headers before the body')
            [CompletionResult]::new('--http1.1', '--http1.1', [CompletionResultType]::ParameterName, 'HTTP/1.1 only')
            [CompletionResult]::new('--http2', '--http2', [CompletionResultType]::ParameterName, 'HTTP/2: over TLS through ALPN (fail if the server does not agree); for http:// an h2c Upgrade, staying on HTTP/1.1 if the server ignores it')
            [CompletionResult]::new('--http2-prior-knowledge', '--http2-prior-knowledge', [CompletionResultType]::ParameterName, 'HTTP/2 without negotiation (h2c for http://)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Do not verify the server certificate (insecure: anyone in the path can read and change the traffic)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server certificate (insecure: anyone in the path can read and change the traffic)')
            [CompletionResult]::new('--compressed', '--compressed', [CompletionResultType]::ParameterName, 'Ask for a compressed body (gzip, deflate, br, zstd) and decode it')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show Authorization, Cookie and Proxy-Authorization values under -v instead of redacting them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;traceroute' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Destination port: UDP''s first (classic) or fixed (Paris) port [33434], TCP''s port [80]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Destination port: UDP''s first (classic) or fixed (Paris) port [33434], TCP''s port [80]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Probes per hop')
            [CompletionResult]::new('--queries', '--queries', [CompletionResultType]::ParameterName, 'Probes per hop')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'First TTL')
            [CompletionResult]::new('--first-ttl', '--first-ttl', [CompletionResultType]::ParameterName, 'First TTL')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Last TTL')
            [CompletionResult]::new('--max-ttl', '--max-ttl', [CompletionResultType]::ParameterName, 'Last TTL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for one probe; silent hops are given up sooner once later hops answer')
            [CompletionResult]::new('--asn-zone', '--asn-zone', [CompletionResultType]::ParameterName, 'The zone the AS lookups go to: origin.ZONE (IPv4), origin6.ZONE (IPv6), ASn.ZONE (names)')
            [CompletionResult]::new('--flows', '--flows', [CompletionResultType]::ParameterName, 'Trace this many flows (source ports) to find ECMP paths and where they diverge')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'mtr-style report: probe every hop ROUNDS times, then print loss and RTT statistics; 0 runs until interrupted')
            [CompletionResult]::new('--rounds', '--rounds', [CompletionResultType]::ParameterName, 'mtr-style report: probe every hop ROUNDS times, then print loss and RTT statistics; 0 runs until interrupted')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between the starts of two rounds (with -c or --live)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between the starts of two rounds (with -c or --live)')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'Probes in flight at once')
            [CompletionResult]::new('--sim-queries', '--sim-queries', [CompletionResultType]::ParameterName, 'Probes in flight at once')
            [CompletionResult]::new('-z', '-z', [CompletionResultType]::ParameterName, 'Minimum time between two probes (for routers that rate-limit ICMP)')
            [CompletionResult]::new('--send-interval', '--send-interval', [CompletionResultType]::ParameterName, 'Minimum time between two probes (for routers that rate-limit ICMP)')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Source address to send from')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--icmp', '--icmp', [CompletionResultType]::ParameterName, 'Probe with ICMP echo requests')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Probe with UDP datagrams (the default)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Probe with TCP SYNs')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Do not look up names of hops')
            [CompletionResult]::new('--asn', '--asn', [CompletionResultType]::ParameterName, 'Look up the AS number (and name) of every hop with Team Cymru-style DNS TXT queries')
            [CompletionResult]::new('--paris', '--paris', [CompletionResultType]::ParameterName, 'UDP: keep the 5-tuple fixed so every probe takes the same ECMP path (the default)')
            [CompletionResult]::new('--classic', '--classic', [CompletionResultType]::ParameterName, 'UDP: a new destination port per probe, as classic traceroute')
            [CompletionResult]::new('--mtu', '--mtu', [CompletionResultType]::ParameterName, 'Discover the path MTU and the hop where it drops')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Full-screen view updated per probe (mtr, trippy): until q or -c rounds, then the -c report. Without a terminal (or with --json) it prints the report of -c rounds (10 by default)')
            [CompletionResult]::new('--unprivileged', '--unprivileged', [CompletionResultType]::ParameterName, 'Use unprivileged sockets even with CAP_NET_RAW')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;dig' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--expect-rcode', '--expect-rcode', [CompletionResultType]::ParameterName, 'Exit 1 unless every response has this RCODE (NOERROR, NXDOMAIN, SERVFAIL, ... or a number)')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'Resolve NAME as the operating system does (hosts file, then resolv.conf servers and search list) and say which source answered')
            [CompletionResult]::new('--root-hints', '--root-hints', [CompletionResultType]::ParameterName, 'Root hints for +trace (named.root format: `. NS name` and `name A|AAAA addr` lines) instead of the built-in IANA root servers')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the certificate authorities in this PEM file for +tls and +https (the system store is always trusted)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;explain' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust only the CA certificates in this PEM file (as http''s --cacert)')
            [CompletionResult]::new('--preload-list', '--preload-list', [CompletionResultType]::ParameterName, 'Use this Chromium-format preload list (JSON) instead of the embedded one')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for each network step (DNS server, ARP, TCP, TLS, HTTP response)')
            [CompletionResult]::new('--pcap', '--pcap', [CompletionResultType]::ParameterName, 'Capture the walk''s packets into this pcap file (needs CAP_NET_RAW: exit 3 without it, before anything is sent)')
            [CompletionResult]::new('--har', '--har', [CompletionResultType]::ParameterName, 'Write the walk (and --resources) as an HTTP Archive (HAR 1.2) for Chrome DevTools and HAR viewers')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Write the walk as one self-contained HTML page (steps, waterfall, Wireshark filters, certificate chain)')
            [CompletionResult]::new('--dhcp-wait', '--dhcp-wait', [CompletionResultType]::ParameterName, 'How long --dhcp listens for offers (implies --dhcp)')
            [CompletionResult]::new('--lease', '--lease', [CompletionResultType]::ParameterName, 'Step 0: read this host''s DHCP lease from FILE (dhclient, NetworkManager, systemd-networkd, or netwalk lab''s lease.json) instead of searching the usual places')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--resources', '--resources', [CompletionResultType]::ParameterName, 'After an HTML page, fetch its images, scripts, stylesheets and icons as a browser would (a failing resource is reported, the exit code stays 0 when the page loaded)')
            [CompletionResult]::new('--dhcp', '--dhcp', [CompletionResultType]::ParameterName, 'Step 0: also send a DHCPDISCOVER (no lease is taken) to show which servers answer now')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;serve' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (0.0.0.0:9115 for every interface, as blackbox_exporter)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Module file in blackbox_exporter''s YAML shape')
            [CompletionResult]::new('--max-concurrent', '--max-concurrent', [CompletionResultType]::ParameterName, 'Probes run at once; more wait for a slot within their timeout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;lab' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document instead of text')
            [CompletionResult]::new('--json-lines', '--json-lines', [CompletionResultType]::ParameterName, 'Print one JSON object per line as events happen (NDJSON)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v debug, -vv trace)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 only')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'Open an interactive shell ($SHELL, else /bin/sh) in the client instead of a command')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netwalk;help' {
            [CompletionResult]::new('tcping', 'tcping', [CompletionResultType]::ParameterValue, 'Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why')
            [CompletionResult]::new('dhcp-discover', 'dhcp-discover', [CompletionResultType]::ParameterValue, 'Find every DHCP server on a link without taking a lease: all offers decoded, rogue detection')
            [CompletionResult]::new('arp', 'arp', [CompletionResultType]::ParameterValue, 'Who-has with kernel-timed RTT, IP conflicts, duplicate-address probes, subnet sweeps, the neighbour cache')
            [CompletionResult]::new('hsts-check', 'hsts-check', [CompletionResultType]::ParameterValue, 'The Strict-Transport-Security header per RFC 6797, hstspreload''s preload requirements, the Chromium preload list offline')
            [CompletionResult]::new('tls-inspect', 'tls-inspect', [CompletionResultType]::ParameterValue, 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS')
            [CompletionResult]::new('http', 'http', [CompletionResultType]::ParameterValue, 'An HTTP/1.1 or HTTP/2 request with per-phase timings (DNS, TCP, TLS, first byte, transfer), redirects hop by hop')
            [CompletionResult]::new('traceroute', 'traceroute', [CompletionResultType]::ParameterValue, 'The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU')
            [CompletionResult]::new('dig', 'dig', [CompletionResultType]::ParameterValue, 'DNS queries with dig''s command line and BIND''s output: UDP with TCP fallback, EDNS, -x, batches')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'What happens when you open a URL: name, route, ARP, TCP, TLS, HTTP, redirects, step by step with Wireshark filters')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Every check as a Prometheus probe: /probe?target=&module= as blackbox_exporter, modules from its YAML shape')
            [CompletionResult]::new('lab', 'lab', [CompletionResultType]::ParameterValue, 'An offline mini-internet in rootless namespaces (DHCP, DNS root to zone, HTTPS), a command run inside it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netwalk;help;tcping' {
            break
        }
        'netwalk;help;dhcp-discover' {
            break
        }
        'netwalk;help;arp' {
            break
        }
        'netwalk;help;hsts-check' {
            break
        }
        'netwalk;help;tls-inspect' {
            break
        }
        'netwalk;help;http' {
            break
        }
        'netwalk;help;traceroute' {
            break
        }
        'netwalk;help;dig' {
            break
        }
        'netwalk;help;explain' {
            break
        }
        'netwalk;help;serve' {
            break
        }
        'netwalk;help;lab' {
            break
        }
        'netwalk;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
