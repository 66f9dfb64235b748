
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
            [CompletionResult]::new('tls-inspect', 'tls-inspect', [CompletionResultType]::ParameterValue, 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS')
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
        'netwalk;tls-inspect' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port when the target names none (default 443, or the STARTTLS protocol''s port)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port when the target names none (default 443, or the STARTTLS protocol''s port)')
            [CompletionResult]::new('--servername', '--servername', [CompletionResultType]::ParameterName, 'Name to send as SNI and to check the certificate against (default: the target''s host)')
            [CompletionResult]::new('--alpn', '--alpn', [CompletionResultType]::ParameterName, 'ALPN protocols to offer, comma-separated (e.g. h2,http/1.1)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'PEM file of extra trust: self-signed certificates become roots, others intermediates')
            [CompletionResult]::new('--roots', '--roots', [CompletionResultType]::ParameterName, 'Trust store to judge the chain against')
            [CompletionResult]::new('--expires-within', '--expires-within', [CompletionResultType]::ParameterName, 'Fail (exit 1) when the leaf, the served chain or the verified chain expires within this')
            [CompletionResult]::new('--starttls', '--starttls', [CompletionResultType]::ParameterName, 'Speak this protocol''s upgrade dialogue before TLS')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Limit for each step: TCP connect, STARTTLS dialogue, TLS handshake, each probe')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the output: auto (terminal and no NO_COLOR), always, never')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--interface', '--interface', [CompletionResultType]::ParameterName, 'Send from this network interface')
            [CompletionResult]::new('--no-sni', '--no-sni', [CompletionResultType]::ParameterName, 'Send no SNI (the certificate is still checked against the target''s host)')
            [CompletionResult]::new('--enumerate', '--enumerate', [CompletionResultType]::ParameterName, 'Also list the versions, cipher suites and groups the server accepts (crafted ClientHellos)')
            [CompletionResult]::new('--all-addresses', '--all-addresses', [CompletionResultType]::ParameterName, 'Inspect every A/AAAA address of the name, side by side')
            [CompletionResult]::new('--pem', '--pem', [CompletionResultType]::ParameterName, 'Print the served chain as PEM instead of the report (JSON adds a pem field per certificate)')
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
            [CompletionResult]::new('tls-inspect', 'tls-inspect', [CompletionResultType]::ParameterValue, 'TLS handshake facts, the served chain, the trust verdict and its reason, expiry, OCSP, STARTTLS')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'netwalk;help;tcping' {
            break
        }
        'netwalk;help;tls-inspect' {
            break
        }
        'netwalk;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
