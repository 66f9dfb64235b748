
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
            cand traceroute 'The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU'
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
        &'netwalk;traceroute'= {
            cand -p 'Destination port: UDP''s first (classic) or fixed (Paris) port [33434], TCP''s port [80]'
            cand --port 'Destination port: UDP''s first (classic) or fixed (Paris) port [33434], TCP''s port [80]'
            cand -q 'Probes per hop'
            cand --queries 'Probes per hop'
            cand -f 'First TTL'
            cand --first-ttl 'First TTL'
            cand -m 'Last TTL'
            cand --max-ttl 'Last TTL'
            cand --timeout 'Longest wait for one probe; silent hops are given up sooner once later hops answer'
            cand --flows 'Trace this many flows (source ports) to find ECMP paths and where they diverge'
            cand -c 'mtr-style report: probe every hop ROUNDS times, then print loss and RTT statistics'
            cand --rounds 'mtr-style report: probe every hop ROUNDS times, then print loss and RTT statistics'
            cand -i 'Time between the starts of two rounds (with -c)'
            cand --interval 'Time between the starts of two rounds (with -c)'
            cand -N 'Probes in flight at once'
            cand --sim-queries 'Probes in flight at once'
            cand -z 'Minimum time between two probes (for routers that rate-limit ICMP)'
            cand --send-interval 'Minimum time between two probes (for routers that rate-limit ICMP)'
            cand --source 'Source address to send from'
            cand --color 'Colour the output: auto (terminal and no NO_COLOR), always, never'
            cand -I 'Send from this network interface'
            cand --interface 'Send from this network interface'
            cand --icmp 'Probe with ICMP echo requests'
            cand --udp 'Probe with UDP datagrams (the default)'
            cand --tcp 'Probe with TCP SYNs'
            cand -n 'Do not look up names of hops'
            cand --paris 'UDP: keep the 5-tuple fixed so every probe takes the same ECMP path (the default)'
            cand --classic 'UDP: a new destination port per probe, as classic traceroute'
            cand --mtu 'Discover the path MTU and the hop where it drops'
            cand --unprivileged 'Use unprivileged sockets even with CAP_NET_RAW'
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
            cand traceroute 'The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netwalk;help;tcping'= {
        }
        &'netwalk;help;traceroute'= {
        }
        &'netwalk;help;help'= {
        }
    ]
    $completions[$command]
}
