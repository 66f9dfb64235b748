
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
            cand dig 'DNS queries with dig''s command line and BIND''s output: UDP with TCP fallback, EDNS, -x, batches'
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
        &'netwalk;dig'= {
            cand --expect-rcode 'Exit 1 unless every response has this RCODE (NOERROR, NXDOMAIN, SERVFAIL, ... or a number)'
            cand --system 'Resolve NAME as the operating system does (hosts file, then resolv.conf servers and search list) and say which source answered'
            cand --root-hints 'Root hints for +trace (named.root format: `. NS name` and `name A|AAAA addr` lines) instead of the built-in IANA root servers'
            cand --ca-file 'Also trust the certificate authorities in this PEM file for +tls and +https (the system store is always trusted)'
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
        }
        &'netwalk;help'= {
            cand tcping 'Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why'
            cand dig 'DNS queries with dig''s command line and BIND''s output: UDP with TCP fallback, EDNS, -x, batches'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netwalk;help;tcping'= {
        }
        &'netwalk;help;dig'= {
        }
        &'netwalk;help;help'= {
        }
    ]
    $completions[$command]
}
