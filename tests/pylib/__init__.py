"""Hourglass's Python test library: standard library only.

One copy of what the end-to-end tests, the browser tests and the bench
share (the entry points put tests/ on sys.path first):

    pylib.wait     wait_for: every wait has a deadline
    pylib.procs    what /proc says of our processes; ending them by pid
    pylib.server   Server: scripts/serve in a temporary HOURGLASS_DATA on a
                   free loopback port, and plain HTTP to it
    pylib.sse      the one text/event-stream parser and HTTP body decoder
    pylib.runner   the suite runner behind tests/e2e/run.py and
                   tests/browser/run.py
"""
