"""Nothing lost: kill -9 of everything, load, and kinds that go away."""

from harness import Server, kill_pids, owned_pids, wait_for
from test_concurrency import run_clients

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "kills every process and starts again, in real time"

COUNT = {"kinds": [
    {"name": "count", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 1},
                "delay_ms": {"type": "integer", "min": 0, "default": 0}}}]}
TWO = {"kinds": COUNT["kinds"] + [
    {"name": "gone", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 1},
                "delay_ms": {"type": "integer", "min": 0, "default": 0}}}]}
ENDED = ("succeeded", "failed", "canceled", "lost")


def test_kill_9_of_everything_then_a_clean_restart():
    first = Server(kinds=COUNT, env={"HOURGLASS_MAX_RUNNING": "2"}).start()
    try:
        running = [first.create("count", {"total": 100000,
                                          "delay_ms": 20})["id"]
                   for _ in range(2)]
        for tid in running:
            first.wait_state(tid, ["running"])
        queued = [first.create("count")["id"] for _ in range(3)]
        last_event = first.get("/api/tasks").json["event_id"]
        # The plug is pulled: nginx, hourglass-fcgi and every runner.
        # (The runner host may end by itself first, as the server's
        # pipe closes: kill_pids lets a process be gone already.)
        kill_pids(owned_pids(first.data))
        wait_for(lambda: not owned_pids(first.data), 10,
                 what="every process to die")
        first.proc.wait(10)
        first.proc = None
        with Server(kinds=COUNT, data=first.data,
                    env={"HOURGLASS_MAX_RUNNING": "2"}) as again:
            assert again.get("/api/health").status == 200
            for tid in running:
                assert again.wait_finished(tid, timeout=10)["state"] == \
                    "lost"
            # Queued tasks whose runners died before taking them go
            # back to the queue and run.
            for tid in queued:
                assert again.wait_finished(tid, timeout=30)["state"] == \
                    "succeeded"
            # Event ids go on from where they were, never back.
            t = again.create("count")
            events = again.replay(t["id"])
            assert events[0].n > last_event, (events[0].n, last_event)
    finally:
        first.close()


def test_many_clients_creating_and_reading_get_no_5xx_and_lose_nothing():
    with Server(kinds=COUNT, env={"HOURGLASS_MAX_RUNNING": "4"}) as srv:
        made, statuses = [], []

        def client(i):
            for _ in range(25):
                r = srv.post("/api/tasks", {"kind": "count"})
                statuses.append(r.status)
                if r.status == 201:
                    made.append(r.json["id"])
                    statuses.append(
                        srv.get("/api/tasks/%d" % r.json["id"]).status)
                statuses.append(srv.get("/api/tasks?limit=10").status)

        assert run_clients(client, 8) == []
        assert all(s < 300 or s == 429 for s in statuses), sorted(
            set(statuses))
        assert len(made) == len(set(made))
        for tid in made:
            assert srv.wait_finished(tid, timeout=60)["state"] == \
                "succeeded"


def test_queued_task_whose_kind_left_fails_unknown_kind_and_stays():
    first = Server(kinds=TWO, env={"HOURGLASS_MAX_RUNNING": "1"}).start()
    try:
        blocker = first.create("count", {"total": 100000,
                                         "delay_ms": 20})["id"]
        first.wait_state(blocker, ["running"])
        orphan = first.create("gone")["id"]
        r = first.post("/api/tasks", {"kind": "count", "after": [orphan]})
        assert r.status == 201, r
        child = r.json["id"]
        first.stop()
        with Server(kinds=COUNT, data=first.data,
                    env={"HOURGLASS_MAX_RUNNING": "1"}) as again:
            # At start, not once the slot it waits for frees: it holds
            # no place in the queue meanwhile, and its dependent is told.
            t = again.wait_finished(orphan, timeout=20)
            assert t["state"] == "failed", t
            assert t["error"]["code"] == "unknown_kind", t
            assert "no longer in" in t["error"]["message"], t
            assert t["started_at"] is None, t
            assert again.task(blocker)["state"] == "running"
            c = again.wait_finished(child, timeout=20)
            assert c["error"]["code"] == "dependency_failed", c
            assert again.get("/api/tasks/%d" % orphan).json["kind"] == \
                "gone"
            again.stop_task(blocker)
    finally:
        first.close()
