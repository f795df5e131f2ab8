"""POST /api/tasks/{id}/stop: active tasks stop between steps."""

from harness import (Server, assert_error, check_task_shape, runner_pids,
                     wait_for)

LONG = {"total": 1000, "delay_ms": 200}


def running_task(srv, params=LONG):
    tid = srv.create("count", params)["id"]
    srv.wait_task(tid, lambda t: t["state"] == "running"
                  and t["progress"]["value"] >= 1, what="a first step")
    return tid


def test_stop_running_task_is_202_with_the_task(srv):
    tid = running_task(srv)
    try:
        r = srv.post("/api/tasks/%d/stop" % tid)
        assert r.status == 202, r
        check_task_shape(r.json)
        assert r.json["id"] == tid, r
        assert r.json["state"] in ("stopping", "canceled"), r
    finally:
        srv.stop_task(tid)


def test_stop_running_task_ends_canceled_below_total(srv):
    tid = running_task(srv)
    srv.post("/api/tasks/%d/stop" % tid)
    t = srv.wait_state(tid, "canceled", timeout=10)
    assert t["progress"]["value"] < LONG["total"], t
    assert t["finished_at"] is not None, t


def test_stopped_task_runner_exits_and_value_stays(srv):
    srv.wait_idle()             # so that any runner left is this task's
    tid = running_task(srv)
    srv.post("/api/tasks/%d/stop" % tid)
    t = srv.wait_state(tid, "canceled", timeout=10)
    wait_for(lambda: not runner_pids(srv.data), 10,
             what="the runner to exit after the stop")
    # Nothing can move it now: the value is the one the stop left.
    assert srv.task(tid)["progress"] == t["progress"], (t, srv.task(tid))


def test_stopped_task_stream_ends_with_canceled(srv):
    tid = running_task(srv)
    with srv.sse("/api/tasks/%d/events" % tid) as s:
        srv.post("/api/tasks/%d/stop" % tid)
        s.read(timeout=15)
        assert s.ended, "stream did not end after the stop"
    final = s.events[-1]
    assert final.type == "state" and final.json["state"] == "canceled", final
    # The last progress event carries the value the final task shows.
    progress = [e for e in s.events if e.type == "progress"]
    if progress:
        assert progress[-1].json["value"] == \
            final.json["progress"]["value"], (progress[-1], final)


def test_stop_twice_is_harmless(srv):
    tid = running_task(srv)
    first = srv.post("/api/tasks/%d/stop" % tid)
    second = srv.post("/api/tasks/%d/stop" % tid)
    assert first.status == 202, first
    # Still stopping: 202 again; already canceled: 409 not_active.
    if second.status == 202:
        assert second.json["state"] in ("stopping", "canceled"), second
    else:
        assert_error(second, 409, "not_active")
    assert srv.wait_finished(tid)["state"] == "canceled"


def test_stop_right_after_create_ends_canceled(srv):
    tid = srv.create("count", LONG)["id"]
    r = srv.post("/api/tasks/%d/stop" % tid)
    assert r.status == 202, r
    assert r.json["state"] in ("stopping", "canceled"), r
    t = srv.wait_finished(tid)
    assert t["state"] == "canceled", t
    assert t["progress"]["value"] < LONG["total"], t


def test_stop_queued_task_ends_canceled():
    # One running slot, so the second task waits queued (where the server
    # keeps that limit; otherwise it runs, and stop must still cancel it).
    with Server(env={"HOURGLASS_MAX_RUNNING": "1"}) as srv:
        first = running_task(srv)
        tid = srv.create("count", LONG)["id"]
        r = srv.post("/api/tasks/%d/stop" % tid)
        assert r.status == 202, r
        assert r.json["state"] in ("stopping", "canceled"), r
        t = srv.wait_finished(tid)
        assert t["state"] == "canceled", t
        srv.stop_task(first)


def test_stop_finished_is_409(srv):
    tid = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
    srv.wait_state(tid, "succeeded")
    assert_error(srv.post("/api/tasks/%d/stop" % tid), 409, "not_active")
    assert srv.task(tid)["state"] == "succeeded"


def test_stop_canceled_is_409(srv):
    tid = running_task(srv)
    srv.stop_task(tid)
    assert_error(srv.post("/api/tasks/%d/stop" % tid), 409, "not_active")


def test_stop_unknown_task_is_404(srv):
    assert_error(srv.post("/api/tasks/987654321/stop"), 404, "not_found")


def test_stop_needs_no_content_type(srv):
    # A stop takes no body, so Content-Type is not checked.
    tid = running_task(srv)
    try:
        r = srv.post("/api/tasks/%d/stop" % tid,
                     headers={"Content-Type": "text/plain"})
        assert r.status == 202, r
    finally:
        srv.stop_task(tid)


def test_stop_with_get_is_405(srv):
    tid = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
    r = srv.get("/api/tasks/%d/stop" % tid)
    assert_error(r, 405, "method_not_allowed")
    assert "POST" in r.headers.get("Allow", ""), r.headers
