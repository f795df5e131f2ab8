"""Retention: old finished tasks are pruned with their events and log;
a task finished over an hour ago has its progress thinned to one event a
second, keeping every state and log event and the last progress.

The tests age a task by moving its finished_at back in the real SQLite
file (WAL lets them write beside the server), then wait for the
server's janitor, which looks once a second."""

import os
import sqlite3
import time

from harness import wait_for

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "waits for the janitor's passes in real time"

KINDS = {"kinds": [
    {"name": "count", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 3},
                "delay_ms": {"type": "integer", "min": 0, "default": 1}}},
    {"name": "talk", "command": ["/bin/sh", "-c",
                                 "for i in 1 2 3; do echo line $i; done"]},
]}
HOUR_MS = 3600 * 1000


def age(srv, tid, ms):
    db = sqlite3.connect(os.path.join(srv.data, "hourglass.db"),
                         timeout=10)
    with db:
        db.execute("UPDATE tasks SET finished_at = finished_at - ? "
                   "WHERE id = ?", (ms, tid))
    db.close()


def test_task_past_retention_is_pruned_with_events_and_log(srv):
    tid = srv.create("talk")["id"]
    srv.wait_finished(tid)
    log = os.path.join(srv.data, "logs", "%d.log" % tid)
    assert os.path.exists(log)
    keep = srv.create("talk")["id"]
    srv.wait_finished(keep)
    # A list read now is kept by the server; pruning must not leave the
    # old task in it.
    assert tid in [t["id"] for t in srv.get("/api/tasks").json["tasks"]]
    age(srv, tid, 31 * 24 * HOUR_MS)
    wait_for(lambda: srv.get("/api/tasks/%d" % tid).status == 404, 10,
             what="the old task to be pruned")
    assert not os.path.exists(log)
    assert srv.get("/api/tasks/%d/events?after=0" % tid).status == 404
    assert srv.task(keep)["state"] == "succeeded"
    ids = [t["id"] for t in srv.get("/api/tasks").json["tasks"]]
    assert tid not in ids and keep in ids, ids
    # Every page hears that it is gone: a replay has one 'deleted'
    # event for it, and no other event of it.
    with srv.sse("/api/events?after=0") as s:
        s.read(until=lambda e: e.type == "deleted")
        assert not s.timed_out, s.events
    assert s.events[-1].json == {"task": tid}
    assert not [e for e in s.events
                if e.type != "deleted" and e.json.get("task",
                                                      e.json.get("id")) == tid]


def test_deleted_event_past_retention_is_pruned(srv):
    tid = srv.create("talk")["id"]
    srv.wait_finished(tid)
    assert srv.delete("/api/tasks/%d" % tid).status == 204
    db = sqlite3.connect(os.path.join(srv.data, "hourglass.db"),
                         timeout=10)

    def deleted_events():
        return db.execute("SELECT count(*) FROM events WHERE type = "
                          "'deleted' AND task_id = ?", (tid,)).fetchone()[0]
    try:
        assert deleted_events() == 1
        with db:
            db.execute("UPDATE events SET at = at - ? WHERE type = "
                       "'deleted' AND task_id = ?", (31 * 24 * HOUR_MS, tid))
        wait_for(lambda: deleted_events() == 0, 10,
                 what="the old 'deleted' event to be pruned")
    finally:
        db.close()


def test_progress_of_an_old_task_is_thinned_to_one_a_second(srv):
    tid = srv.create("count", {"total": 300, "delay_ms": 10})["id"]
    srv.wait_finished(tid, timeout=30)
    before = srv.replay(tid)
    progress = [e for e in before if e.type == "progress"]
    assert len(progress) > 10, "too few progress events to thin"
    age(srv, tid, 2 * HOUR_MS)

    def thinned():
        return len([e for e in srv.replay(tid) if e.type == "progress"]) \
            < len(progress)
    wait_for(thinned, 10, what="the progress to be thinned")
    after = srv.replay(tid)
    kept = [e for e in after if e.type == "progress"]
    # About 3 s of work: one event a second, and the last one.
    assert len(kept) <= 6, [e.n for e in kept]
    assert kept[-1].json == progress[-1].json, kept[-1]
    assert [e.n for e in after if e.type == "state"] == \
        [e.n for e in before if e.type == "state"]
    assert after[-1].type == "state"


def test_recent_task_replays_exactly_what_was_sent(srv):
    tid = srv.create("count", {"total": 100, "delay_ms": 5})["id"]
    srv.wait_finished(tid)
    first = [(e.n, e.type, e.json) for e in srv.replay(tid)]
    time.sleep(1.5)     # a janitor pass or two: nothing may change
    assert [(e.n, e.type, e.json) for e in srv.replay(tid)] == first
