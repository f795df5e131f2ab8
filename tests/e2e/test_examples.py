"""The example kinds as shipped in kinds.json, run as a newcomer would run
them: every kind loads, and primes, the example of incremental data,
sends its batches as data items and leaves its result."""

import hashlib
import json
import os

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "runs the shipped kinds with their defaults, in real time"

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "..", "..", "kinds.json")


def shipped():
    with open(SHIPPED) as f:
        return {k["name"]: k for k in json.load(f)["kinds"]}


def test_every_shipped_kind_is_offered(srv):
    names = [k["name"] for k in srv.get("/api/kinds").json["kinds"]]
    assert sorted(names) == sorted(shipped()), names


def test_primes_sends_each_batch_and_leaves_a_summary(srv):
    tid = srv.create("primes", {"below": 1000, "batch": 100})["id"]
    t = srv.wait_finished(tid)
    assert t["state"] == "succeeded", t
    # 168 primes below 1000, the largest 997.
    assert t["result"] == {"below": 1000, "primes": 168, "largest": 997}, t
    d = srv.get("/api/tasks/%d/data?limit=1000" % tid).json
    items = d["items"]
    assert [i["name"] for i in items] == ["batch"] * 10, items
    assert [i["data"]["from"] for i in items] == \
        [2] + list(range(102, 1000, 100)), items
    assert items[-1]["data"]["to"] == 999, items
    assert sum(i["data"]["primes"] for i in items) == 168, items
    assert d["next"] is None and d["count"] == 10, d
    # The same items as the task's stream sent them, in order.
    sent = [e.json for e in srv.replay(tid) if e.type == "data"]
    assert sent == [{"task": tid, "name": "batch", "data": i["data"]}
                    for i in items], sent
    assert t["progress"]["percent"] == 100, t


def test_primes_with_its_defaults_succeeds(srv):
    tid = srv.create("primes")["id"]
    t = srv.wait_finished(tid, timeout=50)
    assert t["state"] == "succeeded", t
    assert t["result"] == {"below": 100000, "primes": 9592,
                           "largest": 99991}, t
    assert srv.get("/api/tasks/%d/data" % tid).json["count"] == 20


def test_primes_batch_without_a_prime_has_a_null_largest(srv):
    # 24..28 holds no prime.
    tid = srv.create("primes", {"below": 29, "batch": 11})["id"]
    t = srv.wait_finished(tid)
    assert t["result"] == {"below": 29, "primes": 9, "largest": 23}, t
    items = srv.get("/api/tasks/%d/data" % tid).json["items"]
    assert [i["data"] for i in items] == [
        {"from": 2, "to": 12, "primes": 5, "largest": 11},
        {"from": 13, "to": 23, "primes": 4, "largest": 23},
        {"from": 24, "to": 28, "primes": 0, "largest": None}], items


def test_count_and_sleep_are_retried_and_primes_is_not(srv):
    # Safe to repeat: a container restart that ends their runners runs
    # them again (README); primes declares nothing, so runs once.
    attempts = {k: srv.create(k, p)["attempts"] for k, p in (
        ("count", {"total": 1, "delay_ms": 0}), ("sleep", {"seconds": 1}),
        ("primes", {"below": 3}))}
    assert attempts == {"count": 3, "sleep": 3, "primes": 1}, attempts
    srv.wait_idle()


def test_every_shipped_kind_succeeds_with_its_defaults(srv):
    """A newcomer's first click: each kind started with no params, all
    at once (primes's defaults run above, with their result)."""
    kinds = shipped()
    for name, kind in kinds.items():
        for p, decl in kind.get("params", {}).items():
            assert "default" in decl, (name, p)
    ids = [srv.create(name)["id"] for name in sorted(kinds)
           if name != "primes"]
    for tid in ids:
        end = srv.wait_finished(tid, timeout=40)
        assert end["state"] == "succeeded", end


def test_checksum_sums_the_sample_in_the_data_folder(srv):
    path = os.path.join(srv.data, "files", "sample.txt")
    with open(path, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    t = srv.wait_finished(srv.create("checksum")["id"], timeout=30)
    assert t["state"] == "succeeded", t
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    assert "%s  sample.txt" % want in log, log
