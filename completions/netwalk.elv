
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
            cand tls-inspect 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netwalk;help;tcping'= {
        }
        &'netwalk;help;tls-inspect'= {
        }
        &'netwalk;help;help'= {
        }
    ]
    $completions[$command]
}
