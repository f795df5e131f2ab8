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
