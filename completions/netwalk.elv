
use builtin;
use str;

set edit:completion:arg-completer[netwalk] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'netwalk'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'netwalk'= {
            cand --color 'Colour the output: auto (terminal and no NO_COLOR), always, never'
            cand -I 'Send from this network interface'
            cand --interface 'Send from this network interface'
            cand --json 'Print one JSON document instead of text'
            cand --json-lines 'Print one JSON object per line as events happen (NDJSON)'
            cand -v 'More detail on stderr (-v debug, -vv trace)'
            cand --verbose 'More detail on stderr (-v debug, -vv trace)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand tcping 'Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why'
            cand dhcp-discover 'Find every DHCP server on a link without taking a lease: all offers decoded, rogue detection'
            cand arp 'Who-has with kernel-timed RTT, IP conflicts, duplicate-address probes, subnet sweeps, the neighbour cache'
            cand hsts-check 'The Strict-Transport-Security header per RFC 6797, hstspreload''s preload requirements, the Chromium preload list offline'
            cand tls-inspect 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netwalk;tcping'= {
            cand -p 'Port for targets that do not name one'
            cand --port 'Port for targets that do not name one'
            cand -c 'Probes per target; 0 runs until interrupted (Ctrl-C prints the summary)'
            cand --count 'Probes per target; 0 runs until interrupted (Ctrl-C prints the summary)'
            cand -i 'Time between the starts of two probes'
            cand --interval 'Time between the starts of two probes'
            cand --timeout 'How long to wait for an answer before calling the port filtered'
            cand --source 'Source address to send from'
            cand --max-rtt 'Fail (exit 1) when the average RTT of open probes is above this'
            cand --max-loss 'Fail (exit 1) when more than this percentage of probes did not find the port open'
            cand --color 'Colour the output: auto (terminal and no NO_COLOR), always, never'
            cand -I 'Send from this network interface'
            cand --interface 'Send from this network interface'
            cand --resolve-each 'Resolve the name again before every probe instead of once'
            cand --json 'Print one JSON document instead of text'
            cand --json-lines 'Print one JSON object per line as events happen (NDJSON)'
            cand -v 'More detail on stderr (-v debug, -vv trace)'
            cand --verbose 'More detail on stderr (-v debug, -vv trace)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netwalk;dhcp-discover'= {
            cand --timeout 'How long to listen for offers'
            cand --mac 'Client hardware address to send as (chaddr and Ethernet source); default the interface''s'
            cand --client-id 'Client identifier (option 61) as hex, e.g. 01020000000010'
            cand --hostname 'Host name to send (option 12)'
            cand --expect-server 'The servers allowed to answer: exit 1 if any other does, or if none answers'
            cand --color 'Colour the output: auto (terminal and no NO_COLOR), always, never'
            cand -I 'Send from this network interface'
            cand --interface 'Send from this network interface'
            cand --first 'Return as soon as the first offer arrives'
            cand --random-mac 'Send as a random locally administered MAC address'
            cand --v6 'DHCPv6: SOLICIT to ff02::1:2 from the link-local address and list every ADVERTISE'
            cand --json 'Print one JSON document instead of text'
            cand --json-lines 'Print one JSON object per line as events happen (NDJSON)'
            cand -v 'More detail on stderr (-v debug, -vv trace)'
            cand --verbose 'More detail on stderr (-v debug, -vv trace)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netwalk;arp'= {
            cand -c 'Probes for a single address [default: 3; 0 runs until interrupted]'
            cand --count 'Probes for a single address [default: 3; 0 runs until interrupted]'
            cand -i 'Time between two probes to a single address [default: 1s]'
            cand --interval 'Time between two probes to a single address [default: 1s]'
            cand --timeout 'How long to wait for an answer to the last probe; in a sweep, before any host answered'
            cand --rate 'Sweep: requests per second [default: 2000]'
            cand --retries 'Sweep: extra requests to an address that stays silent [default: 1]'
            cand --color 'Colour the output: auto (terminal and no NO_COLOR), always, never'
            cand -I 'Send from this network interface'
            cand --interface 'Send from this network interface'
            cand --dad 'Duplicate-address detection: RFC 5227 probes from 0.0.0.0; exit 1 if the address is in use'
            cand --gateway 'When TARGET is off-link, ask for the gateway the route uses instead'
            cand --force 'Allow sweeps larger than a /16 (up to a /12)'
            cand --cache 'Show the kernel''s neighbour table (IPv4 and IPv6) instead of asking the network'
            cand --json 'Print one JSON document instead of text'
            cand --json-lines 'Print one JSON object per line as events happen (NDJSON)'
            cand -v 'More detail on stderr (-v debug, -vv trace)'
            cand --verbose 'More detail on stderr (-v debug, -vv trace)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netwalk;hsts-check'= {
            cand --header 'Parse this Strict-Transport-Security value offline instead of checking a domain'
            cand --preload-list 'Use this Chromium transport_security_state_static.json instead of the embedded snapshot'
            cand --color 'Colour the output: auto (terminal and no NO_COLOR), always, never'
            cand -I 'Send from this network interface'
            cand --interface 'Send from this network interface'
            cand --removable 'Judge the --header value for removal from the list instead of for preloading'
            cand --json 'Print one JSON document instead of text'
            cand --json-lines 'Print one JSON object per line as events happen (NDJSON)'
            cand -v 'More detail on stderr (-v debug, -vv trace)'
            cand --verbose 'More detail on stderr (-v debug, -vv trace)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netwalk;tls-inspect'= {
            cand -p 'Port when the target names none (default 443, or the STARTTLS protocol''s port)'
            cand --port 'Port when the target names none (default 443, or the STARTTLS protocol''s port)'
            cand --servername 'Name to send as SNI and to check the certificate against (default: the target''s host)'
            cand --alpn 'ALPN protocols to offer, comma-separated (e.g. h2,http/1.1)'
            cand --ca-file 'PEM file of extra trust: self-signed certificates become roots, others intermediates'
            cand --roots 'Trust store to judge the chain against'
            cand --expires-within 'Fail (exit 1) when the leaf, the served chain or the verified chain expires within this'
            cand --starttls 'Speak this protocol''s upgrade dialogue before TLS'
            cand --timeout 'Limit for each step: TCP connect, STARTTLS dialogue, TLS handshake, each probe'
            cand --color 'Colour the output: auto (terminal and no NO_COLOR), always, never'
            cand -I 'Send from this network interface'
            cand --interface 'Send from this network interface'
            cand --no-sni 'Send no SNI (the certificate is still checked against the target''s host)'
            cand --enumerate 'Also list the versions, cipher suites and groups the server accepts (crafted ClientHellos)'
            cand --all-addresses 'Inspect every A/AAAA address of the name, side by side'
            cand --pem 'Print the served chain as PEM instead of the report (JSON adds a pem field per certificate)'
            cand --json 'Print one JSON document instead of text'
            cand --json-lines 'Print one JSON object per line as events happen (NDJSON)'
            cand -v 'More detail on stderr (-v debug, -vv trace)'
            cand --verbose 'More detail on stderr (-v debug, -vv trace)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netwalk;help'= {
            cand tcping 'Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why'
            cand dhcp-discover 'Find every DHCP server on a link without taking a lease: all offers decoded, rogue detection'
            cand arp 'Who-has with kernel-timed RTT, IP conflicts, duplicate-address probes, subnet sweeps, the neighbour cache'
            cand hsts-check 'The Strict-Transport-Security header per RFC 6797, hstspreload''s preload requirements, the Chromium preload list offline'
            cand tls-inspect 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netwalk;help;tcping'= {
        }
        &'netwalk;help;dhcp-discover'= {
        }
        &'netwalk;help;arp'= {
        }
        &'netwalk;help;hsts-check'= {
        }
        &'netwalk;help;tls-inspect'= {
        }
        &'netwalk;help;help'= {
        }
    ]
    $completions[$command]
}
