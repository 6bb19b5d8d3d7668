"""Peer adapters: files run by :func:`sensekit.bench.peers.run_peer`, possibly in another
venv; each imports only the standard library, numpy and its peer."""
