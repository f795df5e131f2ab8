"""The queue: limits held, oldest first, and runners that die noticed.

Concurrency is checked from the global event stream, replayed in id
order: the state events say exactly when each task started and ended, so
no sampling can miss a moment with too many running."""

import json
import os
import signal

from harness import (Server, assert_error, db_rows, host_pids, pid_alive,
                     runner_pids, wait_for)

COUNT = {"type": "integer", "min": 1, "max": 100000, "default": 5}
DELAY = {"type": "integer", "min": 0, "max": 60000, "default": 20}
KINDS = {"kinds": [
    {"name": "count", "builtin": "count",
     "params": {"total": COUNT, "delay_ms": DELAY}},
    {"name": "solo", "builtin": "count", "max_running": 1,
     "params": {"total": COUNT, "delay_ms": DELAY}},
]}
ACTIVE = ("running", "stopping")


def state_events(srv, after):
    """Every state event after `after`, in id order, read to the end."""
    with srv.sse("/api/events?after=%d" % after) as s:
        s.read(timeout=1.0)
        return [e for e in s.events if e.type == "state"]


def most_at_once(events, kind=None):
    """The largest number of tasks running at once, from state events."""
    running, most = set(), 0
    for e in events:
        t = e.json
        if kind is not None and t["kind"] != kind:
            continue
        if t["state"] in ACTIVE:
            running.add(t["id"])
        else:
            running.discard(t["id"])
        most = max(most, len(running))
    return most


def limited(n):
    return Server(kinds=KINDS, env={"HOURGLASS_MAX_RUNNING": str(n)})


def test_limit_holds_under_a_burst():
    with limited(2) as srv:
        e0 = srv.get("/api/tasks").json["event_id"]
        ids = [srv.create("count", {"total": 4, "delay_ms": 20})["id"]
               for _ in range(10)]
        for tid in ids:
            assert srv.wait_finished(tid, timeout=30)["state"] == \
                "succeeded"
        assert most_at_once(state_events(srv, e0)) == 2


def test_queued_tasks_start_oldest_first():
    with limited(1) as srv:
        ids = [srv.create("count", {"total": 2, "delay_ms": 20})["id"]
               for _ in range(6)]
        done = [srv.wait_finished(tid, timeout=30) for tid in ids]
        starts = [t["started_at"] for t in done]
        assert starts == sorted(starts), starts


def test_kind_limit_holds_beside_the_global_one():
    with limited(4) as srv:
        e0 = srv.get("/api/tasks").json["event_id"]
        ids = [srv.create("solo", {"total": 3, "delay_ms": 20})["id"]
               for _ in range(4)]
        # Long enough that each has its own runner before another ends:
        # an end may take a task whose runner has not come yet, and a
        # busy machine may make one late by tens of milliseconds.
        ids += [srv.create("count", {"total": 3, "delay_ms": 100})["id"]
                for _ in range(3)]
        for tid in ids:
            srv.wait_finished(tid, timeout=30)
        events = state_events(srv, e0)
        assert most_at_once(events, "solo") == 1
        # The other kind was not held back by solo's queue.
        assert most_at_once(events, "count") >= 2


def test_stop_of_a_queued_task_cancels_it_and_it_never_starts():
    with limited(1) as srv:
        first = srv.create("count", {"total": 50, "delay_ms": 20})["id"]
        srv.wait_state(first, ["running"])
        queued = srv.create("count", {"total": 2, "delay_ms": 1})["id"]
        assert srv.task(queued)["state"] == "queued"
        r = srv.post("/api/tasks/%d/stop" % queued)
        assert r.status == 202 and r.json["state"] == "canceled", r
        srv.wait_finished(first, timeout=30)
        t = srv.task(queued)
        assert t["state"] == "canceled" and t["started_at"] is None, t


def test_killed_runner_is_lost_and_its_slot_frees():
    with limited(1) as srv:
        tid = srv.create("count", {"total": 100000, "delay_ms": 20})["id"]
        srv.wait_state(tid, ["running"])
        waiting = srv.create("count", {"total": 2, "delay_ms": 1})["id"]
        (pid,) = runner_pids(srv.data)
        os.kill(pid, signal.SIGKILL)
        # The contract: noticed within 5 s.
        t = srv.wait_finished(tid, timeout=5)
        assert t["state"] == "lost", t
        assert t["error"]["code"] == "lost", t
        assert srv.wait_finished(waiting, timeout=20)["state"] == \
            "succeeded"


def test_runner_killed_while_the_server_is_down_is_lost_at_start():
    first = limited(4).start()
    try:
        tid = first.create("count", {"total": 100000, "delay_ms": 20})["id"]
        first.wait_state(tid, ["running"])
        (pid,) = runner_pids(first.data)
        first.stop()
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(pid), 5, what="the runner to die")
        with Server(kinds=KINDS, data=first.data) as again:
            t = again.wait_finished(tid, timeout=5)
            assert t["state"] == "lost", t
    finally:
        first.close()


def test_queue_moves_while_the_server_is_down():
    first = limited(1).start()
    try:
        a = first.create("count", {"total": 10, "delay_ms": 50})["id"]
        first.wait_state(a, ["running"])
        (runner,) = runner_pids(first.data)
        b = first.create("count", {"total": 2, "delay_ms": 1})["id"]
        first.stop()
        # The runner of a, ending, starts b's; nobody else is there. It
        # does not run b itself: with its host gone, its settings may be
        # out of date (a server started again with other limits).
        wait_for(lambda: runner_pids(first.data) == [], 20,
                 what="both runners to finish without a server")
        with Server(kinds=KINDS, data=first.data) as again:
            assert again.task(a)["state"] == "succeeded"
            assert again.task(b)["state"] == "succeeded"
            rows = db_rows(again, "SELECT id, runner_pid FROM tasks "
                           "WHERE id IN (?, ?) ORDER BY id", (a, b))
            assert rows[0] == (a, runner) and rows[1][1] != runner, rows
    finally:
        first.close()


def test_a_runner_whose_task_ends_runs_the_next_queued_task_itself():
    """An end gives the slot it frees to the oldest queued task, and that
    task to its own runner, in the same transaction: no hand-off through
    the runner host, which is held still here (SIGSTOP). The tasks still
    go queued, running, then their end, and a stop of one so taken
    reaches the runner that took it."""
    with limited(1) as srv:
        wait_for(lambda: len(host_pids(srv.data)) == 1, 10,
                 what="the runner host")
        (host,) = host_pids(srv.data)
        first = srv.create("count", {"total": 10, "delay_ms": 40})["id"]
        srv.wait_state(first, ["running"])
        (runner,) = runner_pids(srv.data)
        second = srv.create("count", {"total": 2, "delay_ms": 1})["id"]
        third = srv.create("count", {"total": 100000, "delay_ms": 20})["id"]
        e0 = srv.get("/api/tasks").json["event_id"]
        os.kill(host, signal.SIGSTOP)
        try:
            assert srv.wait_finished(first, timeout=20)["state"] == \
                "succeeded"
            assert srv.wait_finished(second, timeout=20)["state"] == \
                "succeeded"
            srv.wait_state(third, ["running"], timeout=20)
            assert runner_pids(srv.data) == [runner]
            r = srv.post("/api/tasks/%d/stop" % third)
            assert r.status == 202 and r.json["state"] == "stopping", r
            assert srv.wait_finished(third, timeout=20)["state"] == \
                "canceled"
        finally:
            os.kill(host, signal.SIGCONT)
        rows = db_rows(srv, "SELECT id, runner_pid FROM tasks ORDER BY id")
        assert rows == [(first, runner), (second, runner),
                        (third, runner)], rows
        states = [(e.json["id"], e.json["state"])
                  for e in state_events(srv, e0)]
        assert states == [(first, "succeeded"), (second, "running"),
                          (second, "succeeded"), (third, "running"),
                          (third, "stopping"), (third, "canceled")], states


def test_full_queue_is_429_with_retry_after_and_stores_nothing():
    with Server(kinds=KINDS, env={"HOURGLASS_MAX_RUNNING": "1",
                                  "HOURGLASS_MAX_QUEUED": "2"}) as srv:
        first = srv.create("count", {"total": 100000, "delay_ms": 20})["id"]
        srv.wait_state(first, ["running"])
        gone = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
        assert srv.stop_task(gone)["state"] == "canceled"
        srv.create("count", {"total": 1, "delay_ms": 0})
        srv.create("count", {"total": 1, "delay_ms": 0})
        before = srv.task_ids()
        for body in ({"kind": "count"}, {"kind": "count", "after": [first]}):
            r = srv.post("/api/tasks", body)
            assert r.status == 429, r
            assert r.json["error"]["code"] == "queue_full", r.json
            assert int(r.headers["Retry-After"]) > 0, r.headers
            assert srv.task_ids() == before
        # A task whose parent has failed never waits: it is made, ended.
        r = srv.post("/api/tasks", {"kind": "count", "after": [gone]})
        assert r.status == 201, r
        assert r.json["state"] == "canceled", r.json
        assert r.json["error"]["code"] == "dependency_failed", r.json
        srv.stop_task(first)


def idem_create(srv, key, total=1):
    return srv.post("/api/tasks", {"kind": "count",
                                   "params": {"total": total}},
                    headers={"Idempotency-Key": key})


def test_idempotency_key_repeat_answers_200_with_the_same_task(srv):
    a = idem_create(srv, "order-17")
    b = idem_create(srv, "order-17", total=2)
    assert a.status == 201 and b.status == 200, (a, b)
    assert b.json["id"] == a.json["id"], (a.json, b.json)
    # The first body wins; the repeat does not start other work.
    assert b.json["params"]["total"] == 1, b.json
    c = idem_create(srv, "order-18")
    assert c.status == 201 and c.json["id"] != a.json["id"], c


def test_idempotency_key_repeat_answers_whatever_its_body(srv):
    """A repeat is answered with the first task even when its body would
    be refused now (the kinds file may have changed since), and a body
    refused under a key not yet used makes nothing."""
    a = idem_create(srv, "order-19")
    assert a.status == 201, a
    for body in ({"kind": "nope"}, {"kind": "count",
                                    "params": {"total": 0}},
                 {"kind": "count", "after": [987654321]}, [1], "{"):
        r = srv.post("/api/tasks", body if isinstance(body, str) else
                     json.dumps(body), headers={
                         "Idempotency-Key": "order-19",
                         "Content-Type": "application/json"})
        assert r.status == 200 and r.json["id"] == a.json["id"], (body, r)
    before = srv.task_ids()
    r = srv.post("/api/tasks", {"kind": "nope"},
                 headers={"Idempotency-Key": "order-20"})
    assert_error(r, 422, "unknown_kind")
    assert srv.task_ids() == before
    # Still unused: the next good create under it makes the task.
    assert idem_create(srv, "order-20").status == 201


def test_idempotency_key_sent_at_once_makes_one_task(srv):
    from test_concurrency import run_clients
    answers = []

    def client(i):
        answers.append(idem_create(srv, "burst-key"))

    before = set(srv.task_ids())
    assert run_clients(client, 10) == []
    codes = sorted(r.status for r in answers)
    assert codes == [200] * 9 + [201], codes
    assert len({r.json["id"] for r in answers}) == 1
    assert len(set(srv.task_ids()) - before) == 1


def test_bad_idempotency_key_is_400(srv):
    before = srv.task_ids()
    for key in ["x" * 201, "caf\u00e9"]:
        r = srv.post("/api/tasks", {"kind": "count"},
                     headers={"Idempotency-Key": key.encode("utf-8")})
        assert r.status == 400, (key, r)
        assert r.json["error"]["code"] == "invalid_request", r.json
    assert srv.task_ids() == before
