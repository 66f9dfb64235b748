
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
            [CompletionResult]::new('traceroute', 'traceroute', [CompletionResultType]::ParameterValue, 'The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netwalk;tcping' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port for targets that do not name one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port for targets that do not name one')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Probes per target; 0 runs until interrupted (Ctrl-C prints the summary)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Probes per target; 0 runs until interrupted (Ctrl-C prints the summary)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between the starts of two probes')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between the starts of two probes')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for an answer before calling the port filtered')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Source address to send from')
            [CompletionResult]::new('--max-rtt', '--max-rtt', [CompletionResultType]::ParameterName, 'Fail (exit 1) when the average RTT of open probes is above this')
            [CompletionResult]::new('--max-loss', '--max-loss', [CompletionResultType]::ParameterName, 'Fail (exit 1) when more than this percentage of probes did not find the port open')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--resolve-each', '--resolve-each', [CompletionResultType]::ParameterName, 'Resolve the name again before every probe instead of once')
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
        'netwalk;traceroute' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Destination port: UDP''s first (classic) or fixed (Paris) port [33434], TCP''s port [80]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Destination port: UDP''s first (classic) or fixed (Paris) port [33434], TCP''s port [80]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Probes per hop')
            [CompletionResult]::new('--queries', '--queries', [CompletionResultType]::ParameterName, 'Probes per hop')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'First TTL')
            [CompletionResult]::new('--first-ttl', '--first-ttl', [CompletionResultType]::ParameterName, 'First TTL')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Last TTL')
            [CompletionResult]::new('--max-ttl', '--max-ttl', [CompletionResultType]::ParameterName, 'Last TTL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Longest wait for one probe; silent hops are given up sooner once later hops answer')
            [CompletionResult]::new('--flows', '--flows', [CompletionResultType]::ParameterName, 'Trace this many flows (source ports) to find ECMP paths and where they diverge')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'mtr-style report: probe every hop ROUNDS times, then print loss and RTT statistics')
            [CompletionResult]::new('--rounds', '--rounds', [CompletionResultType]::ParameterName, 'mtr-style report: probe every hop ROUNDS times, then print loss and RTT statistics')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Time between the starts of two rounds (with -c)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between the starts of two rounds (with -c)')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'Probes in flight at once')
            [CompletionResult]::new('--sim-queries', '--sim-queries', [CompletionResultType]::ParameterName, 'Probes in flight at once')
            [CompletionResult]::new('-z', '-z', [CompletionResultType]::ParameterName, 'Minimum time between two probes (for routers that rate-limit ICMP)')
            [CompletionResult]::new('--send-interval', '--send-interval', [CompletionResultType]::ParameterName, 'Minimum time between two probes (for routers that rate-limit ICMP)')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Source address to send from')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--icmp', '--icmp', [CompletionResultType]::ParameterName, 'Probe with ICMP echo requests')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Probe with UDP datagrams (the default)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'Probe with TCP SYNs')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Do not look up names of hops')
            [CompletionResult]::new('--paris', '--paris', [CompletionResultType]::ParameterName, 'UDP: keep the 5-tuple fixed so every probe takes the same ECMP path (the default)')
            [CompletionResult]::new('--classic', '--classic', [CompletionResultType]::ParameterName, 'UDP: a new destination port per probe, as classic traceroute')
            [CompletionResult]::new('--mtu', '--mtu', [CompletionResultType]::ParameterName, 'Discover the path MTU and the hop where it drops')
            [CompletionResult]::new('--unprivileged', '--unprivileged', [CompletionResultType]::ParameterName, 'Use unprivileged sockets even with CAP_NET_RAW')
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
        'netwalk;help' {
            [CompletionResult]::new('tcping', 'tcping', [CompletionResultType]::ParameterValue, 'Repeated TCP handshakes with RTT statistics: open, closed, filtered or unreachable, and why')
            [CompletionResult]::new('traceroute', 'traceroute', [CompletionResultType]::ParameterValue, 'The path to a host hop by hop: ICMP, UDP or TCP probes, all TTLs in flight, ECMP paths, path MTU')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netwalk;help;tcping' {
            break
        }
        'netwalk;help;traceroute' {
            break
        }
        'netwalk;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
