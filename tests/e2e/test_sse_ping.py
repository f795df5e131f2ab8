"""An idle stream gets ping comments (SPEC: at least every 15 s)."""

import time

SLOW = "waits out the 15 s ping of an idle stream, in real time"


def test_idle_stream_gets_ping_comments(srv):
    # At least every 15 s by the spec; 25 s is a generous deadline. Idle:
    # while events flow, the server need not ping.
    srv.wait_idle()
    with srv.sse("/api/events") as s:
        deadline = time.monotonic() + 25
        while not s.parser.comments and time.monotonic() < deadline:
            s.read(n=1000000, timeout=0.5)
            assert not s.ended, "idle stream ended"
        assert s.parser.comments, "no comment line in 25 s"
