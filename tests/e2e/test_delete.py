"""DELETE /api/tasks/{id}: only finished tasks are forgotten."""

from harness import assert_error


def finished(srv):
    tid = srv.create("count", {"total": 2, "delay_ms": 0})["id"]
    srv.wait_state(tid, "succeeded")
    return tid


def test_delete_active_is_409(srv):
    tid = srv.create("count", {"total": 1000, "delay_ms": 200})["id"]
    try:
        assert_error(srv.delete("/api/tasks/%d" % tid), 409, "still_active")
        assert srv.task(tid)["state"] in ("queued", "running", "stopping")
    finally:
        srv.stop_task(tid)


def test_delete_finished_is_204_with_no_body(srv):
    tid = finished(srv)
    r = srv.delete("/api/tasks/%d" % tid)
    assert r.status == 204 and r.body == b"", r


def test_deleted_task_is_404(srv):
    tid = finished(srv)
    assert srv.delete("/api/tasks/%d" % tid).status == 204
    assert_error(srv.get("/api/tasks/%d" % tid), 404, "not_found")


def test_deleted_task_leaves_the_list(srv):
    tid = finished(srv)
    assert tid in srv.task_ids()
    assert srv.delete("/api/tasks/%d" % tid).status == 204
    assert tid not in srv.task_ids()


def test_deleted_task_has_no_events(srv):
    tid = finished(srv)
    assert srv.delete("/api/tasks/%d" % tid).status == 204
    assert_error(srv.get("/api/tasks/%d/events?after=0" % tid), 404,
                 "not_found")


def test_delete_canceled_task_is_204(srv):
    tid = srv.create("count", {"total": 1000, "delay_ms": 200})["id"]
    srv.stop_task(tid)
    assert srv.delete("/api/tasks/%d" % tid).status == 204


def test_delete_twice_is_404(srv):
    tid = finished(srv)
    assert srv.delete("/api/tasks/%d" % tid).status == 204
    assert_error(srv.delete("/api/tasks/%d" % tid), 404, "not_found")


def test_delete_unknown_task_is_404(srv):
    assert_error(srv.delete("/api/tasks/987654321"), 404, "not_found")


def test_delete_keeps_other_tasks(srv):
    keep = finished(srv)
    gone = finished(srv)
    assert srv.delete("/api/tasks/%d" % gone).status == 204
    assert srv.task(keep)["state"] == "succeeded"


def test_deleted_task_leaves_the_global_replay(srv):
    e0 = srv.get("/api/tasks").json["event_id"]
    gone = finished(srv)
    assert srv.delete("/api/tasks/%d" % gone).status == 204
    # A task made after it marks how far the replay must read.
    marker = finished(srv)
    with srv.sse("/api/events?after=%d" % e0) as s:
        s.read(until=lambda e: e.type == "state" and e.json["id"] == marker
               and e.json["state"] == "succeeded")
        assert not s.timed_out, s.events
    tasks = {e.json["id"] if e.type == "state" else e.json["task"]
             for e in s.events if e.type != "deleted"}
    assert marker in tasks, tasks
    assert gone not in tasks, "the deleted task %d's events are replayed: %s" \
        % (gone, [e for e in s.events if e.type == "state" and
                  e.json["id"] == gone])
    # What is replayed of it is the one event that says it is gone.
    deleted = [e for e in s.events if e.type == "deleted"]
    assert [e.json for e in deleted] == [{"task": gone}], s.events


def test_delete_sends_a_deleted_event_live(srv):
    gone = finished(srv)
    with srv.sse("/api/events") as s:
        assert srv.delete("/api/tasks/%d" % gone).status == 204
        s.read(until=lambda e: e.type == "deleted")
        assert not s.timed_out, s.events
    assert s.events[-1].json == {"task": gone}
    assert int(s.events[-1].id) > 0
