"""Tasks that live while watched (while_watched_s): stopped, and ended
canceled with error unwatched, once no SSE client has watched them for
their window. Watchers are real SSE clients through nginx."""

import time

from harness import FINISHED, Server

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "waits out while-watched windows in real time"

WINDOW = 2      # s, while_watched_s of "preview"

KINDS = {"kinds": [
    {"name": "preview", "builtin": "count", "while_watched_s": WINDOW,
     "params": {"total": {"type": "integer", "min": 1, "default": 100000},
                "delay_ms": {"type": "integer", "min": 0, "default": 50}}},
    {"name": "flaky", "command": ["/bin/sh", "-c", "exit 1"],
     "while_watched_s": WINDOW, "retries": 2, "retry_delay_s": 60},
    {"name": "count", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 100000},
                "delay_ms": {"type": "integer", "min": 0, "default": 50}}},
]}


def running(srv, kind="preview"):
    tid = srv.create(kind)["id"]
    srv.wait_task(tid, lambda t: t["state"] == "running"
                  and t["progress"]["value"] >= 1, what="a first step")
    return tid


def still_running_after(srv, tid, seconds):
    """Watches the task's state for `seconds` (more than its window): it
    must stay running all along."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t = srv.task(tid)
        assert t["state"] == "running", t
        time.sleep(0.2)         # polling pace, not the check


def assert_unwatched(t):
    assert t["state"] == "canceled", t
    assert t["error"]["code"] == "unwatched", t
    assert "%g s" % WINDOW in t["error"]["message"], t


def test_unwatched_task_waiting_to_retry_is_canceled(srv):
    # The janitor looked only at queued, running and stopping tasks: one
    # waiting for its next attempt went on unwatched, and that attempt
    # started with nobody there.
    tid = srv.create("flaky")["id"]
    srv.wait_state(tid, "retrying")
    t = srv.wait_state(tid, FINISHED, timeout=WINDOW + 8)
    assert_unwatched(t)
    assert t["attempt"] == 1, t


def test_kinds_lists_while_watched_s(srv):
    kinds = {k["name"]: k for k in srv.get("/api/kinds").json["kinds"]}
    assert kinds["preview"]["while_watched_s"] == WINDOW, kinds
    assert "while_watched_s" not in kinds["count"], kinds


def test_unwatched_task_is_canceled_after_its_window(srv):
    started = time.monotonic()
    tid = running(srv)
    t = srv.wait_state(tid, "canceled", timeout=WINDOW + 8)
    assert time.monotonic() - started >= WINDOW - 0.5, "canceled too soon"
    assert_unwatched(t)
    # Stopped as by a stop request: stopping, then canceled.
    states = [e.json["state"] for e in srv.replay(tid) if e.type == "state"]
    assert states == ["queued", "running", "stopping", "canceled"], states


def test_a_task_of_another_kind_runs_unwatched(srv):
    tid = running(srv, "count")
    try:
        still_running_after(srv, tid, WINDOW + 2)
    finally:
        srv.stop_task(tid)


def test_events_watcher_keeps_it_alive_until_it_leaves(srv):
    with srv.sse("/api/events") as watcher:
        assert watcher.status == 200
        tid = running(srv)
        still_running_after(srv, tid, WINDOW + 2)
        # The watcher saw it all along.
        watcher.read(until=lambda e: e.type == "progress"
                     and e.json["task"] == tid, timeout=5)
        left = time.monotonic()
    # The last watcher left: canceled within its window (and the time
    # the server takes to notice a closed stream).
    t = srv.wait_state(tid, "canceled", timeout=WINDOW + 8)
    assert time.monotonic() - left >= WINDOW - 0.5, "canceled too soon"
    assert_unwatched(t)


def test_its_own_stream_keeps_it_alive(srv):
    tid = running(srv)
    with srv.sse("/api/tasks/%d/events" % tid) as own:
        assert own.status == 200
        still_running_after(srv, tid, WINDOW + 2)
        own.read(until=lambda e: e.type == "progress", timeout=5)
    t = srv.wait_state(tid, "canceled", timeout=WINDOW + 8)
    assert_unwatched(t)


def test_another_tasks_stream_does_not_count(srv):
    other = running(srv, "count")
    try:
        with srv.sse("/api/tasks/%d/events" % other) as s:
            assert s.status == 200
            tid = running(srv)
            t = srv.wait_state(tid, "canceled", timeout=WINDOW + 8)
            assert_unwatched(t)
    finally:
        srv.stop_task(other)


def test_one_of_two_watchers_leaving_keeps_it_alive(srv):
    tid = running(srv)
    with srv.sse("/api/events") as a:
        assert a.status == 200
        with srv.sse("/api/tasks/%d/events" % tid) as b:
            assert b.status == 200
        still_running_after(srv, tid, WINDOW + 2)
    assert_unwatched(srv.wait_state(tid, "canceled", timeout=WINDOW + 8))


def test_queued_unwatched_task_is_canceled_without_running():
    env = {"HOURGLASS_MAX_RUNNING": "1"}
    with Server(kinds=KINDS, env=env) as srv:
        blocker = running(srv, "count")
        try:
            tid = srv.create("preview")["id"]
            t = srv.wait_state(tid, "canceled", timeout=WINDOW + 8)
            assert_unwatched(t)
            assert t["started_at"] is None, t
        finally:
            srv.stop_task(blocker)


def watched_then_down(kinds):
    """Starts a server and a watched task, then stops the server (the
    runner goes on) and its watcher. Returns the stopped server, whose
    data folder the caller starts again, and the task."""
    first = Server(kinds=kinds).start()
    try:
        watcher = first.sse("/api/events")
        tid = running(first)
        first.stop()
        watcher.close()
    except BaseException:
        first.close()
        raise
    return first, tid


def test_a_restart_keeps_a_task_whose_watcher_comes_back():
    kinds = {"kinds": [dict(KINDS["kinds"][0], while_watched_s=6)]}
    first, tid = watched_then_down(kinds)
    try:
        with Server(kinds=kinds, data=first.data) as again:
            # An EventSource comes back within its retry; so does this.
            with again.sse("/api/events") as back:
                assert back.status == 200
                deadline = time.monotonic() + 8
                while time.monotonic() < deadline:
                    assert again.task(tid)["state"] == "running"
                    time.sleep(0.2)
            t = again.wait_state(tid, "canceled", timeout=15)
            assert t["error"]["code"] == "unwatched", t
    finally:
        first.close()


def test_time_while_the_server_is_down_counts():
    first, tid = watched_then_down(KINDS)
    try:
        # Down for longer than the window; the runner goes on meanwhile.
        time.sleep(WINDOW + 1)
        with Server(kinds=KINDS, data=first.data) as again:
            with again.sse("/api/events") as back:
                assert back.status == 200
                t = again.wait_state(tid, "canceled", timeout=5)
            assert t["error"]["code"] == "unwatched", t
    finally:
        first.close()
