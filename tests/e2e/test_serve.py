"""scripts/serve itself: ready line, and Ctrl-C stops what it started."""

import signal

from harness import STOP_TIMEOUT, Server, runner_pids


def test_ready_line_names_the_url():
    with Server() as srv:
        line = [x for x in srv.stdout if "serving http://" in x][0]
        assert "http://127.0.0.1:%d/" % srv.port in line, line
        # Ready means ready: the first request is answered, not a 502.
        assert srv.get("/api/health").status == 200


def test_sigint_stops_nginx_and_fcgi_but_not_runners():
    with Server() as srv:
        tid = srv.create("count", {"total": 1000, "delay_ms": 50})["id"]
        srv.wait_state(tid, "running")
        proc = srv.proc
        proc.send_signal(signal.SIGINT)     # what Ctrl-C sends
        proc.wait(STOP_TIMEOUT)
        # stop() now only checks: nothing but this folder's runner is left.
        srv.stop()
        assert runner_pids(srv.data), "the runner ended with the server"
