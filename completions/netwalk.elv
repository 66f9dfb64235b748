
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
            cand http 'An HTTP/1.1 or HTTP/2 request with per-phase timings (DNS, TCP, TLS, first byte, transfer), redirects hop by hop'
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
        &'netwalk;http'= {
            cand -H 'Add a request header (''Name: value''); ''Name:'' removes a default header'
            cand --header 'Add a request header (''Name: value''); ''Name:'' removes a default header'
            cand -d 'Request body: literal DATA, @FILE, or @- for standard input (POST unless a method is given)'
            cand --data 'Request body: literal DATA, @FILE, or @- for standard input (POST unless a method is given)'
            cand --max-redirs 'Most redirects to follow with -L'
            cand -o 'Stream the body to FILE (constant memory); ''-'' writes it to stdout even if binary'
            cand --output 'Stream the body to FILE (constant memory); ''-'' writes it to stdout even if binary'
            cand --resolve 'Use ADDR for HOST:PORT instead of resolving it (repeatable)'
            cand --connect-to 'Connect to HOST2:PORT2 for requests to HOST1:PORT1, keeping the name for Host and TLS (repeatable)'
            cand --cacert 'Trust only the CA certificates in this PEM file'
            cand --max-filesize 'Fail when the body (after decoding) exceeds this size: 1048576, 512K, 10M, 2G [default: 1G once decoded]'
            cand --proxy 'Go through this HTTP proxy (CONNECT tunnels for https)'
            cand --expect-status 'Fail (exit 1) unless the final status is this code or class (200, 2xx, 304)'
            cand --max-time 'Fail (exit 1) when the whole transfer takes longer than this'
            cand --etag 'Conditional request: send If-None-Match with this ETag'
            cand --if-modified-since 'Conditional request: send If-Modified-Since with this date (HTTP date or RFC 3339)'
            cand --color 'Colour the output: auto (terminal and no NO_COLOR), always, never'
            cand -I 'Send from this network interface'
            cand --interface 'Send from this network interface'
            cand -L 'Follow redirects (301, 302, 303, 307, 308), listing every hop'
            cand --location 'Follow redirects (301, 302, 303, 307, 308), listing every hop'
            cand --head 'Send a HEAD request (curl''s -I; -I is --interface in netwalk)'
            cand -i 'Write the response headers before the body'
            cand --include 'Write the response headers before the body'
            cand --http1.1 'HTTP/1.1 only'
            cand --http2 'HTTP/2 through TLS ALPN; fail if the server does not agree (https only)'
            cand --http2-prior-knowledge 'HTTP/2 without negotiation (h2c for http://)'
            cand -k 'Do not verify the server certificate (insecure: anyone in the path can read and change the traffic)'
            cand --insecure 'Do not verify the server certificate (insecure: anyone in the path can read and change the traffic)'
            cand --compressed 'Ask for a compressed body (gzip, deflate, br, zstd) and decode it'
            cand --show-secrets 'Show Authorization, Cookie and Proxy-Authorization values under -v instead of redacting them'
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
            cand http 'An HTTP/1.1 or HTTP/2 request with per-phase timings (DNS, TCP, TLS, first byte, transfer), redirects hop by hop'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netwalk;help;tcping'= {
        }
        &'netwalk;help;http'= {
        }
        &'netwalk;help;help'= {
        }
    ]
    $completions[$command]
}
