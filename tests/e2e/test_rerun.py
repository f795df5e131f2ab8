"""POST /api/tasks/{id}/rerun: a new task with a finished one's kind,
params and name, made through the same path as POST /api/tasks."""

import os
import re

from harness import Server, assert_error, check_task_shape

COUNT = {"name": "count", "builtin": "count",
         "params": {"total": {"type": "integer", "min": 1, "default": 3},
                    "delay_ms": {"type": "integer", "min": 0,
                                 "default": 10}}}
# Fails on its first run and succeeds on the next: a file in the data
# folder remembers that it ran.
FLAKY = {"name": "flaky", "command": [
    "/bin/sh", "-c", "if [ -e \"$1\" ]; then echo again; else "
    ": > \"$1\"; exit 3; fi", "flaky", "{mark}"],
    "params": {"mark": {"type": "string", "max_length": 255}}}
REMOTE = {"name": "remote", "external": True,
          "params": {"n": {"type": "integer", "min": 0, "default": 1}},
          "heartbeat_s": 30, "grace_s": 30}
KINDS = {"kinds": [COUNT, FLAKY, REMOTE]}

LONG = {"total": 100000, "delay_ms": 20}


def rerun(srv, tid, **kw):
    return srv.post("/api/tasks/%d/rerun" % tid, **kw)


def check_rerun(srv, r, old):
    """201, Location, the old task's kind, params and name, rerun_of."""
    assert r.status == 201, r
    t = r.json
    assert r.headers["Location"] == "/api/tasks/%d" % t["id"], r.headers
    assert t["id"] > old["id"], t
    assert t["rerun_of"] == old["id"], t
    # Last, but for an external task's report, told once after it.
    keys = [k for k in t if k != "report"]
    assert keys[-1] == "rerun_of", list(t)
    check_task_shape({k: v for k, v in t.items()
                      if k not in ("rerun_of", "report")})
    assert (t["kind"], t["params"], t["name"]) == \
        (old["kind"], old["params"], old["name"]), (t, old)
    assert t["state"] in ("queued", "running"), t
    return t


def test_rerun_of_succeeded_task_is_201_and_runs(srv):
    old = srv.create("count", {"total": 2, "delay_ms": 0}, name="twice")
    old = srv.wait_finished(old["id"])
    assert old["state"] == "succeeded", old
    t = check_rerun(srv, rerun(srv, old["id"]), old)
    done = srv.wait_finished(t["id"])
    assert done["state"] == "succeeded", done
    assert done["rerun_of"] == old["id"], done
    assert done["progress"]["value"] == 2, done
    # The original is as it was.
    assert srv.task(old["id"]) == old


def test_rerun_of_failed_task_runs_again(srv):
    mark = "mark-%d" % os.getpid()
    old = srv.create("flaky", {"mark": os.path.join(srv.data, mark)})
    old = srv.wait_finished(old["id"])
    assert old["state"] == "failed" and old["exit_code"] == 3, old
    t = check_rerun(srv, rerun(srv, old["id"]), old)
    done = srv.wait_finished(t["id"])
    assert done["state"] == "succeeded", done
    assert done["rerun_of"] == old["id"], done


def test_rerun_of_canceled_task_is_201(srv):
    old = srv.create("count", LONG)
    old = srv.stop_task(old["id"])
    assert old["state"] == "canceled", old
    t = check_rerun(srv, rerun(srv, old["id"]), old)
    srv.stop_task(t["id"])


def test_rerun_of_a_rerun_names_its_own_original(srv):
    first = srv.wait_finished(srv.create("count", {"total": 1})["id"])
    second = check_rerun(srv, rerun(srv, first["id"]), first)
    second = srv.wait_finished(second["id"])
    third = check_rerun(srv, rerun(srv, second["id"]), second)
    assert third["rerun_of"] == second["id"], third
    srv.wait_finished(third["id"])


def test_rerun_shows_in_the_list_and_events(srv):
    old = srv.wait_finished(srv.create("count", {"total": 1})["id"])
    t = check_rerun(srv, rerun(srv, old["id"]), old)
    listed = {x["id"]: x for x in srv.get("/api/tasks").json["tasks"]}
    assert listed[t["id"]]["rerun_of"] == old["id"], listed[t["id"]]
    assert "rerun_of" not in listed[old["id"]], listed[old["id"]]
    srv.wait_finished(t["id"])
    states = [e for e in srv.replay(t["id"]) if e.type == "state"]
    assert states and all(e.json["rerun_of"] == old["id"]
                          for e in states), states


def test_tasks_not_made_by_rerun_have_no_rerun_of(srv):
    t = srv.create("count", {"total": 1})
    assert "rerun_of" not in t, t
    t = srv.wait_finished(t["id"])
    assert "rerun_of" not in t, t
    for x in srv.get("/api/tasks").json["tasks"]:
        if "rerun_of" in x:
            assert isinstance(x["rerun_of"], int), x


def test_rerun_of_deleted_original_keeps_rerun_of(srv):
    old = srv.wait_finished(srv.create("count", {"total": 1})["id"])
    t = check_rerun(srv, rerun(srv, old["id"]), old)
    srv.wait_finished(t["id"])
    assert srv.delete("/api/tasks/%d" % old["id"]).status == 204
    assert srv.task(t["id"])["rerun_of"] == old["id"]


def test_rerun_of_active_task_is_409_still_active(srv):
    tid = srv.create("count", LONG)["id"]
    try:
        srv.wait_state(tid, ["running"])
        before = srv.task_ids()
        assert_error(rerun(srv, tid), 409, "still_active")
        assert srv.task_ids() == before
    finally:
        srv.stop_task(tid)


def test_rerun_of_missing_task_is_404(srv):
    for path in ["99999", "0", "abc", "-1", "99999999999999999999", "1x"]:
        assert_error(srv.post("/api/tasks/%s/rerun" % path), 404,
                     "not_found")


def test_rerun_with_other_method_is_405_with_allow(srv):
    old = srv.wait_finished(srv.create("count", {"total": 1})["id"])
    for method in ("GET", "PUT", "DELETE"):
        r = srv.request(method, "/api/tasks/%d/rerun" % old["id"])
        assert_error(r, 405, "method_not_allowed")
        assert r.headers["Allow"] == "POST", r.headers


def test_rerun_ignores_a_body(srv):
    old = srv.wait_finished(srv.create("count", {"total": 1})["id"])
    r = rerun(srv, old["id"], body={"kind": "remote"},
              headers={"Content-Type": "text/plain"})
    t = check_rerun(srv, r, old)
    srv.wait_finished(t["id"])


def test_rerun_with_idempotency_key_answers_200_the_second_time(srv):
    old = srv.wait_finished(srv.create("count", {"total": 1})["id"])
    h = {"Idempotency-Key": "rerun-%d" % old["id"]}
    a = rerun(srv, old["id"], headers=h)
    b = rerun(srv, old["id"], headers=h)
    assert a.status == 201 and b.status == 200, (a, b)
    assert a.json["id"] == b.json["id"], (a.json, b.json)
    assert b.json["rerun_of"] == old["id"], b.json
    srv.wait_finished(a.json["id"])
    # Whatever would refuse it now: the task it was made from gone.
    assert srv.delete("/api/tasks/%d" % old["id"]).status == 204
    c = rerun(srv, old["id"], headers=h)
    assert c.status == 200 and c.json["id"] == a.json["id"], c
    assert_error(rerun(srv, old["id"], headers={"Idempotency-Key": "new"}),
                 404, "not_found")


def test_rerun_of_external_task_gives_a_new_report_token(srv):
    old = srv.post("/api/tasks", {"kind": "remote", "params": {"n": 4}})
    assert old.status == 201, old
    old = old.json
    srv.stop_task(old["id"])
    old_task = srv.task(old["id"])
    r = rerun(srv, old["id"])
    t = check_rerun(srv, r, old_task)
    assert t["report"]["url"] == "/api/tasks/%d/report" % t["id"], t
    assert re.fullmatch(r"[0-9a-f]{64}", t["report"]["token"]), t
    assert t["report"]["token"] != old["report"]["token"], t
    # The token is told once: the task read back has no report.
    assert "report" not in srv.task(t["id"]), srv.task(t["id"])
    done = srv.post(t["report"]["url"], '{"complete": 1, "code": 0}',
                    headers={"Content-Type": "application/json",
                             "Authorization": "Bearer " +
                             t["report"]["token"]})
    assert done.status == 200, done
    assert srv.wait_finished(t["id"])["state"] == "succeeded"


def test_rerun_with_the_queue_full_is_429_with_retry_after():
    with Server(kinds=KINDS, env={"HOURGLASS_MAX_RUNNING": "1",
                                  "HOURGLASS_MAX_QUEUED": "1"}) as srv:
        old = srv.wait_finished(srv.create("count", {"total": 1})["id"])
        first = srv.create("count", LONG)["id"]
        srv.wait_state(first, ["running"])
        srv.create("count", {"total": 1})
        before = srv.task_ids()
        r = rerun(srv, old["id"])
        assert_error(r, 429, "queue_full")
        assert int(r.headers["Retry-After"]) > 0, r.headers
        assert srv.task_ids() == before
        srv.stop_all()


GONE = {"kinds": [COUNT, dict(COUNT, name="gone")]}
# gone's total no longer allows 5 in the second kinds file.
NARROW = {"kinds": [
    {"name": "count", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "max": 4,
                          "default": 1},
                "delay_ms": {"type": "integer", "min": 0, "default": 0}}}]}


def test_rerun_after_the_kind_left_or_changed_is_422():
    first = Server(kinds=GONE).start()
    try:
        gone = first.wait_finished(first.create("gone")["id"])
        wide = first.wait_finished(first.create(
            "count", {"total": 5, "delay_ms": 0})["id"])
        fits = first.wait_finished(first.create(
            "count", {"total": 2, "delay_ms": 0})["id"])
        first.stop()
        with Server(kinds=NARROW, data=first.data) as again:
            before = again.task_ids()
            assert_error(rerun(again, gone["id"]), 422, "unknown_kind")
            err = assert_error(rerun(again, wide["id"]), 422,
                               "invalid_params")
            assert "total" in err["message"], err
            assert again.task_ids() == before
            t = check_rerun(again, rerun(again, fits["id"]), fits)
            assert again.wait_finished(t["id"])["state"] == "succeeded"
    finally:
        first.close()
