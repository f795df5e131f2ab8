"""Dependencies: POST /api/tasks with "after": [ids]. The task waits
queued, holding no slot, with "waiting_for", until each of those tasks has
succeeded; if one ends otherwise it ends canceled (dependency_failed), and
so on down the chain."""

import json
import os

from harness import assert_error, metrics, samples, wait_for

COUNT = {"name": "count", "builtin": "count",
         "params": {"total": {"type": "integer", "min": 1, "default": 1},
                    "delay_ms": {"type": "integer", "min": 0,
                                 "default": 0}}}
# Runs until its file exists, then exits with the number the file holds:
# a parent whose end the test decides.
GATE = {"name": "gate", "command": [
    "/bin/sh", "-c", "while [ ! -s \"$1\" ]; do sleep 0.02; done; "
    "exit \"$(cat \"$1\")\"", "gate", "{mark}"],
    "params": {"mark": {"type": "string", "max_length": 255}},
    "grace_s": 1}
REMOTE = {"name": "remote", "external": True, "params": {},
          "heartbeat_s": 30, "grace_s": 30}
WATCHED = dict(COUNT, name="watched", while_watched_s=1)
KINDS = {"kinds": [COUNT, GATE, REMOTE, WATCHED]}
SERVER_ENV = {"HOURGLASS_MAX_RUNNING": "2"}

LONG = {"total": 100000, "delay_ms": 20}
_marks = [0]


def gate(srv):
    """Starts a gate task; returns (task, a function that ends it with
    the exit status given)."""
    _marks[0] += 1
    path = os.path.join(srv.data, "gate-%d-%d" % (os.getpid(), _marks[0]))
    t = srv.create("gate", {"mark": path})

    def end(code):
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % code)
        os.rename(path + ".tmp", path)
    return t, end


def after(srv, ids, kind="count", params=None, **kw):
    body = {"kind": kind, "after": ids}
    if params is not None:
        body["params"] = params
    r = srv.post("/api/tasks", body, **kw)
    assert r.status == 201, r
    return r.json


def dep_failed(srv, tid, parent, how):
    """Task tid ended canceled because task parent ended how."""
    t = srv.task(tid)
    assert t["state"] == "canceled", t
    assert t["error"] == {"code": "dependency_failed",
                          "message": "task %d ended %s" % (parent, how)}, t
    assert "waiting_for" not in t, t
    return t


def test_chain_runs_in_order(srv):
    a, end = gate(srv)
    srv.wait_state(a["id"], "running")
    b = after(srv, [a["id"]])
    c = after(srv, [b["id"]])
    assert b["state"] == "queued" and b["waiting_for"] == [a["id"]], b
    assert c["state"] == "queued" and c["waiting_for"] == [b["id"]], c
    # waiting_for comes last, after result, as the contract lists it.
    assert list(b)[-1] == "waiting_for", list(b)
    listed = {t["id"]: t for t in srv.get("/api/tasks").json["tasks"]}
    assert listed[b["id"]] == srv.task(b["id"]) == b, listed[b["id"]]
    end(0)
    done = [srv.wait_finished(t["id"]) for t in (a, b, c)]
    assert [t["state"] for t in done] == ["succeeded"] * 3, done
    # ISO times of one format compare as strings.
    assert done[1]["started_at"] >= done[0]["finished_at"], done
    assert done[2]["started_at"] >= done[1]["finished_at"], done
    for t in done:
        assert "waiting_for" not in t, t


def test_release_sends_a_state_event_without_waiting_for(srv):
    a, end = gate(srv)
    b = after(srv, [a["id"]])
    end(0)
    srv.wait_finished(b["id"])
    states = [e.json for e in srv.replay(b["id"]) if e.type == "state"]
    assert [s["state"] for s in states] == \
        ["queued", "queued", "running", "succeeded"], states
    assert states[0]["waiting_for"] == [a["id"]], states[0]
    assert "waiting_for" not in states[1], states[1]


def test_failed_parent_cancels_two_levels_down(srv):
    a, end = gate(srv)
    b = after(srv, [a["id"]])
    c = after(srv, [b["id"]])
    end(3)
    fa = srv.wait_finished(a["id"])
    assert fa["state"] == "failed", fa
    fb = dep_failed(srv, b["id"], a["id"], "failed")
    fc = dep_failed(srv, c["id"], b["id"], "canceled")
    assert fb["started_at"] is None and fc["started_at"] is None, (fb, fc)
    # Each one's stream ends with its canceled state event.
    last = [e for e in srv.replay(c["id"]) if e.type == "state"][-1].json
    assert last["state"] == "canceled", last
    assert last["error"]["code"] == "dependency_failed", last


def test_waiting_task_holds_no_slot(srv):
    # HOURGLASS_MAX_RUNNING is 2: a and c run while b waits for a.
    a, end = gate(srv)
    srv.wait_state(a["id"], "running")
    b = after(srv, [a["id"]])
    c = srv.create("count", LONG)
    try:
        srv.wait_state(c["id"], "running")
        wb = srv.task(b["id"])
        assert wb["state"] == "queued" and wb["waiting_for"] == [a["id"]], wb
        end(0)
        assert srv.wait_finished(a["id"])["state"] == "succeeded"
        # Released: b takes a's slot.
        srv.wait_state(b["id"], ["running", "succeeded"])
    finally:
        srv.stop_task(c["id"])
    assert srv.wait_finished(b["id"])["state"] == "succeeded"


def test_waiting_for_shrinks_as_parents_succeed(srv):
    a, end_a = gate(srv)
    b, end_b = gate(srv)
    c = after(srv, [a["id"], b["id"]])
    assert c["waiting_for"] == [a["id"], b["id"]], c
    end_a(0)
    srv.wait_finished(a["id"])
    t = srv.wait_task(c["id"], lambda t: t.get("waiting_for") == [b["id"]])
    assert t["state"] == "queued", t
    end_b(0)
    assert srv.wait_finished(c["id"])["state"] == "succeeded"


BAD_AFTER = [
    ([], "1 to 32"),
    ("1", "1 to 32"),
    (1, "1 to 32"),
    (None, "1 to 32"),
    ({"0": 1}, "1 to 32"),
    (list(range(1, 34)), "1 to 32"),
    ([1.5], "whole number"),
    (["1"], "whole number"),
    ([0], "whole number"),
    ([-3], "whole number"),
    ([True], "whole number"),
    ([None], "whole number"),
    ([1e300], "whole number"),
    # 2^53 + 1 reads as 2^53: the id sent cannot be told from the other.
    ([9007199254740993], "whole number"),
    ([9007199254740992], "whole number"),
]


def test_bad_after_is_400_and_creates_nothing(srv):
    first = srv.wait_finished(srv.create("count")["id"])
    before = srv.task_ids()
    for value, rule in BAD_AFTER:
        r = srv.post("/api/tasks", {"kind": "count", "after": value})
        err = assert_error(r, 400, "invalid_request")
        assert err["message"].startswith("after"), (value, err)
        assert rule in err["message"], (value, err)
    r = srv.post("/api/tasks", {"kind": "count",
                                "after": [first["id"], first["id"]]})
    err = assert_error(r, 400, "invalid_request")
    assert "after" in err["message"] and "twice" in err["message"], err
    srv.assert_unharmed(before)


def test_after_unknown_task_is_422_naming_it(srv):
    first = srv.wait_finished(srv.create("count")["id"])
    before = srv.task_ids()
    for missing in (first["id"] + 1000, 9007199254740991):
        r = srv.post("/api/tasks", {"kind": "count",
                                    "after": [first["id"], missing]})
        err = assert_error(r, 422, "unknown_task")
        assert str(missing) in err["message"], err
        assert "after" in err["message"], err
    srv.assert_unharmed(before)


def test_after_already_failed_task_is_201_and_ends_canceled(srv):
    a, end = gate(srv)
    end(4)
    assert srv.wait_finished(a["id"])["state"] == "failed"
    r = srv.post("/api/tasks", {"kind": "count", "after": [a["id"]]})
    assert r.status == 201, r
    t = r.json
    assert t["state"] == "canceled", t
    assert t["error"] == {"code": "dependency_failed",
                          "message": "task %d ended failed" % a["id"]}, t
    assert t["finished_at"] is not None and t["started_at"] is None, t
    assert "waiting_for" not in t, t


def test_after_already_succeeded_task_does_not_wait(srv):
    a = srv.wait_finished(srv.create("count")["id"])
    assert a["state"] == "succeeded"
    t = after(srv, [a["id"]])
    assert "waiting_for" not in t, t
    assert srv.wait_finished(t["id"])["state"] == "succeeded"


def test_stop_of_waiting_task_cancels_it_and_its_dependents(srv):
    a, end = gate(srv)
    b = after(srv, [a["id"]])
    c = after(srv, [b["id"]])
    r = srv.post("/api/tasks/%d/stop" % b["id"])
    assert r.status == 202, r
    assert r.json["state"] == "canceled" and r.json["error"] is None, r.json
    assert "waiting_for" not in r.json, r.json
    dep_failed(srv, c["id"], b["id"], "canceled")
    # The parent goes on; its success starts nothing that was stopped.
    end(0)
    assert srv.wait_finished(a["id"])["state"] == "succeeded"
    assert srv.task(b["id"])["state"] == "canceled"


def test_rerun_copies_no_after(srv):
    a, end = gate(srv)
    b = after(srv, [a["id"]])
    srv.post("/api/tasks/%d/stop" % b["id"])
    r = srv.post("/api/tasks/%d/rerun" % b["id"])
    assert r.status == 201, r
    assert "waiting_for" not in r.json, r.json
    # It runs while a, the task b waited for, still runs.
    assert srv.wait_finished(r.json["id"])["state"] == "succeeded"
    assert srv.task(a["id"])["state"] == "running"
    end(0)
    srv.wait_finished(a["id"])


def test_after_with_idempotency_key_creates_one_task(srv):
    a, end = gate(srv)
    h = {"Idempotency-Key": "after-%d" % a["id"]}
    one = srv.post("/api/tasks", {"kind": "count", "after": [a["id"]]},
                   headers=h)
    two = srv.post("/api/tasks", {"kind": "count", "after": [a["id"]]},
                   headers=h)
    assert (one.status, two.status) == (201, 200), (one, two)
    assert one.json["id"] == two.json["id"], (one.json, two.json)
    assert two.json["waiting_for"] == [a["id"]], two.json
    end(0)
    assert srv.wait_finished(one.json["id"])["state"] == "succeeded"


def remote_report(srv, t, body):
    return srv.post(t["report"]["url"], json.dumps(body), headers={
        "Content-Type": "application/json",
        "Authorization": "Bearer " + t["report"]["token"]})


def test_external_report_before_release_is_409_waiting(srv):
    a, end = gate(srv)
    t = after(srv, [a["id"]], kind="remote")
    assert t["waiting_for"] == [a["id"]], t
    r = remote_report(srv, t, {"progress": 1})
    err = assert_error(r, 409, "waiting")
    assert str(a["id"]) in err["message"], err
    assert srv.task(t["id"])["state"] == "queued"
    end(0)
    srv.wait_finished(a["id"])
    r = remote_report(srv, t, {"progress": 1})
    assert r.status == 200 and r.json == {"stop": False}, r
    assert srv.task(t["id"])["state"] == "running"
    r = remote_report(srv, t, {"complete": 1, "code": 0})
    assert r.status == 200, r
    assert srv.wait_finished(t["id"])["state"] == "succeeded"


def test_external_parent_releases_its_dependent(srv):
    p = srv.post("/api/tasks", {"kind": "remote"}).json
    c = after(srv, [p["id"]])
    assert c["waiting_for"] == [p["id"]], c
    assert remote_report(srv, p, {"complete": 1, "code": 0}).status == 200
    done = srv.wait_finished(c["id"])
    assert done["state"] == "succeeded", done


def test_finished_counter_counts_dependency_cancels(srv):
    def canceled():
        return int(samples(metrics(srv)).get(
            'hourglass_tasks_finished_total{kind="count",state="canceled"}',
            0))
    before = canceled()
    a, end = gate(srv)
    after(srv, [after(srv, [a["id"]])["id"]])
    end(1)
    srv.wait_finished(a["id"])
    wait_for(lambda: canceled() == before + 2, 5, what="2 more canceled")


def test_unwatched_waiting_task_ends_and_cancels_its_dependents(srv):
    a, end = gate(srv)
    b = after(srv, [a["id"]], kind="watched")
    c = after(srv, [b["id"]])
    fb = srv.wait_finished(b["id"])
    assert fb["state"] == "canceled" and fb["error"]["code"] == "unwatched", fb
    dep_failed(srv, c["id"], b["id"], "canceled")
    end(0)
    assert srv.wait_finished(a["id"])["state"] == "succeeded"


def test_after_32_ids_waits_for_all_of_them(srv):
    ids = [srv.create("count")["id"] for _ in range(32)]
    t = after(srv, ids)
    assert t["state"] == "queued", t
    done = srv.wait_finished(t["id"])
    assert done["state"] == "succeeded", done
    for tid in ids:
        # It started only once every one of them had succeeded.
        p = srv.task(tid)
        assert p["state"] == "succeeded", p
        assert done["started_at"] >= p["finished_at"], (done, p)
