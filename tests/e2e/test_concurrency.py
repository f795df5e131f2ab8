"""Many clients at once: every answer right, every event delivered.

These also give the ThreadSanitizer build (make test runs the suite
against it) overlapping requests to watch: sequential requests are
ordered by the acceptor and would hide a race."""

import threading

from harness import Server, db_rows, wait_for

CLIENTS = 12


def run_clients(fn, n=CLIENTS):
    """Runs fn(i) in n threads at once; returns their exceptions."""
    errors = []
    start = threading.Barrier(n)

    def body(i):
        try:
            start.wait(10)
            fn(i)
        except Exception as e:         # reported below, with its client
            errors.append("client %d: %r" % (i, e))

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_concurrent_creates_reads_and_lists_all_succeed(srv):
    made = []
    lock = threading.Lock()

    def client(i):
        for _ in range(5):
            t = srv.create("count", {"total": 3, "delay_ms": 1},
                           name="c%d" % i)
            with lock:
                made.append(t["id"])
            r = srv.get("/api/tasks/%d" % t["id"])
            assert r.status == 200 and r.json["name"] == "c%d" % i, r
            r = srv.get("/api/tasks?limit=20")
            assert r.status == 200 and r.json["tasks"], r

    assert run_clients(client) == []
    assert len(made) == len(set(made)) == CLIENTS * 5
    for tid in made:
        assert srv.wait_finished(tid)["state"] == "succeeded"


def test_concurrent_pages_under_new_keys_while_tasks_change(srv):
    # No kept answer serves these (each key is new), so every page is
    # made from the tasks' objects that the threads keep and drop
    # together while tasks change.
    seed = [srv.create("count", {"total": 1, "delay_ms": 0})["id"]
            for _ in range(20)]

    def client(i):
        for k in range(8):
            if k % 4 == 0:
                srv.create("count", {"total": 2, "delay_ms": 5})
            r = srv.get("/api/tasks?limit=30&before=%d" %
                        (10 ** 9 + i * 100 + k))
            assert r.status == 200, r
            ids = [t["id"] for t in r.json["tasks"]]
            assert ids == sorted(ids, reverse=True) and len(ids) == 30, ids

    assert run_clients(client) == []
    for tid in seed:
        srv.wait_finished(tid)
    last = srv.get("/api/tasks?limit=500").json["tasks"]
    for tid in [t["id"] for t in last]:
        srv.wait_finished(tid)
    page = srv.get("/api/tasks?limit=500&before=%d" % (10 ** 9 + 99999))
    singles = [srv.get("/api/tasks/%d" % t["id"]).body
               for t in page.json["tasks"]]
    assert page.body == (b'{"tasks":[' + b",".join(singles) +
                         b'],"event_id":' +
                         str(page.json["event_id"]).encode() + b"}")


def test_concurrent_creates_at_a_full_queue_each_get_their_own_answer():
    """Creates that arrive together are made in one transaction; each
    still gets its own answer: a key's two creates one task, and past
    the queue's limit a 429 that stored nothing."""
    limits = {"HOURGLASS_MAX_RUNNING": "1", "HOURGLASS_MAX_QUEUED": "4"}
    with Server(env=limits) as srv:
        busy = srv.create("count", {"total": 1000, "delay_ms": 50})["id"]
        srv.wait_state(busy, ["running"])
        answers = {}
        lock = threading.Lock()

        def client(i):
            r = srv.post("/api/tasks", {"kind": "count", "name": "c%d" % i,
                                        "params": {"total": 1}},
                         headers={"Idempotency-Key": "k%d" % (i // 2)})
            with lock:
                answers[i] = r

        assert run_clients(client) == []
        made = {}
        for i, r in sorted(answers.items()):
            assert r.status in (200, 201, 429), (i, r)
            if r.status == 429:
                assert r.json["error"]["code"] == "queue_full", r
                assert r.headers.get("Retry-After"), r
            else:
                made.setdefault(i // 2, set()).add(r.json["id"])
        # Four keys made a task each, which both their creates answered
        # (201, then 200); the queue was full for both of the others.
        assert len(made) == 4, answers
        assert all(len(ids) == 1 for ids in made.values()), made
        for k in range(CLIENTS // 2):
            got = [answers[2 * k].status, answers[2 * k + 1].status]
            assert sorted(got) in ([200, 201], [429, 429]), (k, got)
        ids = sorted(i for ids in made.values() for i in ids)
        rows = db_rows(srv, "SELECT id FROM tasks WHERE id != ? ORDER BY id",
                       (busy,))
        assert [r[0] for r in rows] == ids, (rows, ids)
        srv.post("/api/tasks/%d/stop" % busy)


def test_concurrent_watchers_each_get_every_event(srv):
    tid = srv.create("count", {"total": 40, "delay_ms": 20})["id"]
    seen = {}

    def watcher(i):
        # Half resume from the start, half open with the snapshot.
        path = "/api/tasks/%d/events" % tid
        with srv.sse(path + "?after=0" if i % 2 else path) as s:
            assert s.status == 200, "stream %d: %s" % (i, s.status)
            s.read(timeout=20)
            assert s.ended, "stream %d did not end" % i
            seen[i] = s.events

    assert run_clients(watcher) == []
    full = [e.n for e in srv.replay(tid)]
    assert len(seen) == CLIENTS
    for i, events in seen.items():
        ids = [e.n for e in events]
        if i % 2:
            assert ids == full, (i, ids, full)
        else:
            # The snapshot carries the task's newest event id; what
            # follows is exactly the rest of the task's events.
            assert ids[0] in full, (i, ids)
            assert ids[1:] == [n for n in full if n > ids[0]], (i, ids)
        assert events[-1].type == "state"
        assert events[-1].json["state"] == "succeeded"


def test_concurrent_stops_of_one_task_all_answer(srv):
    tid = srv.create("count", {"total": 1000, "delay_ms": 50})["id"]
    srv.wait_state(tid, ["running"])
    codes = []

    def stopper(i):
        codes.append(srv.post("/api/tasks/%d/stop" % tid).status)

    assert run_clients(stopper) == []
    # Each stop either found it active (202) or already ended (409).
    assert set(codes) <= {202, 409} and 202 in codes, codes
    assert srv.wait_finished(tid)["state"] == "canceled"


def test_global_stream_sees_every_task_of_concurrent_creators(srv):
    e0 = srv.get("/api/tasks").json["event_id"]
    made = []
    lock = threading.Lock()

    def client(i):
        t = srv.create("count", {"total": 2, "delay_ms": 1})
        with lock:
            made.append(t["id"])

    with srv.sse("/api/events?after=%d" % e0) as s:
        assert run_clients(client) == []

        def all_ended():
            s.read(timeout=0.2)
            done = {e.json["id"] for e in s.events if e.type == "state"
                    and e.json["state"] == "succeeded"}
            return set(made) <= done
        wait_for(all_ended, timeout=20, what="every task's final event")
    ids = [e.n for e in s.events]
    assert ids == sorted(set(ids)), "ids repeat or go backwards"
