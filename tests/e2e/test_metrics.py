"""GET /api/metrics: valid Prometheus text (Debian's promtool says so),
and values that match what the test did, on a server of its own."""

import re
import shutil
import subprocess

from harness import Server, metrics, samples, wait_for

KINDS = {"kinds": [
    {"name": "count", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 3},
                "delay_ms": {"type": "integer", "min": 0, "default": 1}}},
    {"name": "nope", "command": ["/nonexistent/program"]},
]}


def test_metrics_pass_promtool_and_count_what_happened():
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) is missing"
    with Server(kinds=KINDS, env={"HOURGLASS_MAX_RUNNING": "1"}) as srv:
        text = metrics(srv)
        check = subprocess.run([promtool, "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        for name in ["hourglass_tasks", "hourglass_tasks_started_total",
                     "hourglass_tasks_finished_total",
                     "hourglass_queue_length", "hourglass_sse_clients",
                     "hourglass_runner_start_failures_total",
                     "hourglass_http_requests_total"]:
            assert "# HELP %s " % name in text, name
            assert "# TYPE %s " % name in text, name

        long = srv.create("count", {"total": 100000, "delay_ms": 20})["id"]
        srv.wait_state(long, ["running"])
        queued = srv.create("count")["id"]
        srv.get("/api/tasks/999999")                # one 404
        m = samples(metrics(srv))
        assert m["hourglass_queue_length"] == 1, m
        assert m['hourglass_tasks{kind="count",state="running"}'] == 1, m
        assert m['hourglass_http_requests_total{code="404"}'] >= 1, m

        with srv.sse("/api/events"):
            wait_for(lambda: samples(metrics(srv))[
                "hourglass_sse_clients"] == 1, 5, what="one SSE client")
        # The stream notices its client left within a second or so.
        wait_for(lambda: samples(metrics(srv))[
            "hourglass_sse_clients"] == 0, 10, what="no SSE client")

        srv.stop_task(long)
        srv.wait_finished(long)
        srv.wait_finished(queued)
        failed = srv.create("nope")["id"]
        t = srv.wait_finished(failed)
        assert t["error"]["code"] == "exec_failed", t
        m = samples(metrics(srv))
        assert m['hourglass_tasks_started_total{kind="count"}'] == 2, m
        assert m['hourglass_tasks_finished_total{kind="count",'
                 'state="canceled"}'] == 1, m
        assert m['hourglass_tasks_finished_total{kind="count",'
                 'state="succeeded"}'] == 1, m
        assert m['hourglass_tasks_finished_total{kind="nope",'
                 'state="failed"}'] == 1, m
        assert m["hourglass_queue_length"] == 0, m
        # Counters never go down, even when tasks are deleted.
        assert srv.delete("/api/tasks/%d" % queued).status == 204
        m2 = samples(metrics(srv))
        assert m2['hourglass_tasks_finished_total{kind="count",'
                  'state="succeeded"}'] == 1, m2
        assert not any(re.match(r"hourglass_\w+ -", k) for k in m2)


def test_an_answer_is_counted_before_its_client_has_it():
    # Each 404 is read whole by the client before it asks for the
    # metrics; they must already count it. The scrape may come on
    # another connection, to another thread: a count made after the
    # answer went out would be missed now and then, the more often the
    # busier the machine (two busy processes here, for the test only).
    busy = [subprocess.Popen(["sh", "-c", "while :; do :; done"])
            for _ in range(2)]
    try:
        with Server() as srv:
            before = samples(metrics(srv)).get(
                'hourglass_http_requests_total{code="404"}', 0)
            for i in range(1, 1001):
                assert srv.get("/api/tasks/999999").status == 404
                m = samples(metrics(srv))
                assert m['hourglass_http_requests_total{code="404"}'] == \
                    before + i, (i, m)
    finally:
        for p in busy:
            p.kill()
            p.wait()


def test_a_stream_is_counted_before_its_client_has_its_end():
    # The same for an SSE stream, counted when it ends: a client that has
    # read a task's stream to its end finds it counted at once.
    busy = [subprocess.Popen(["sh", "-c", "while :; do :; done"])
            for _ in range(2)]
    try:
        with Server(kinds=KINDS) as srv:
            for i in range(25):
                tid = srv.create("count", {"total": 3, "delay_ms": 50})["id"]
                before = samples(metrics(srv))[
                    'hourglass_http_requests_total{code="200"}']
                s = srv.sse("/api/tasks/%d/events" % tid)
                try:
                    assert s.status == 200, s.status
                    s.read(timeout=20)
                    assert s.ended, "the stream of task %d did not end" % tid
                finally:
                    s.close()
                m = samples(metrics(srv))
                # The stream, and this scrape.
                assert m['hourglass_http_requests_total{code="200"}'] == \
                    before + 2, (i, m)
    finally:
        for p in busy:
            p.kill()
            p.wait()
