#!/usr/bin/python3
"""A TLS server for suites and versions OpenSSL 3 no longer serves (SSLv3,
RC4, NULL): tlslite-ng, pure Python. Usage:
  legacy_server.py ADDR PORT CERT.pem KEY.pem CIPHERS MIN MAX
CIPHERS is tlslite-ng's comma-separated cipherNames (rc4, null, 3des,
aes128, ...); MIN/MAX are versions like 3.0 or 3.1. Prints "ready" once
listening; serves until killed, one thread per connection."""
import socket
import sys
import threading

from tlslite import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey

addr, port, cert, key, ciphers, low, high = sys.argv[1:8]
chain = X509CertChain()
chain.parsePemList(open(cert).read())
private = parsePEMKey(open(key).read(), private=True)
settings = HandshakeSettings()
settings.cipherNames = ciphers.split(",")
settings.minVersion = tuple(int(x) for x in low.split("."))
settings.maxVersion = tuple(int(x) for x in high.split("."))
if "null" in settings.cipherNames:
    settings.macNames = settings.macNames + ["sha", "md5"]
settings.keyExchangeNames = ["rsa", "dhe_rsa", "ecdhe_rsa"]

family = socket.AF_INET6 if ":" in addr else socket.AF_INET
listener = socket.socket(family, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((addr, int(port)))
listener.listen(64)
print("ready", flush=True)


def serve(sock):
    sock.settimeout(5)
    conn = TLSConnection(sock)
    try:
        conn.handshakeServer(certChain=chain, privateKey=private, settings=settings)
        conn.close()
    except Exception:
        pass
    finally:
        sock.close()


while True:
    s, _ = listener.accept()
    threading.Thread(target=serve, args=(s,), daemon=True).start()
