"""DELETE /api/tasks/{id}: only finished tasks are forgotten."""

import socket
import time

from harness import Server, assert_error, items_kind


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


def test_a_task_stream_ends_when_its_task_is_deleted_as_it_ends(srv):
    # The stop and the delete in one write: the delete may commit, and
    # take the final state event with it, before the feed reads that
    # event. The task's stream ends then at the deletion, not never.
    parent = srv.create("count", {"total": 1000, "delay_ms": 100})["id"]
    try:
        for _ in range(20):
            tid = srv.create("count", after=[parent])["id"]
            with srv.sse("/api/tasks/%d/events" % tid) as s:
                assert s.status == 200, (s.status, s.body)
                s.read(until=lambda e: e.type == "state", timeout=10)
                sock = socket.create_connection(("127.0.0.1", srv.port),
                                                timeout=10)
                try:
                    sock.sendall(
                        b"POST /api/tasks/%d/stop HTTP/1.1\r\nHost: h\r\n"
                        b"Content-Length: 0\r\n\r\nDELETE /api/tasks/%d "
                        b"HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
                        % (tid, tid))
                    answers = b""
                    while True:
                        more = sock.recv(65536)
                        if not more:
                            break
                        answers += more
                finally:
                    sock.close()
                assert b"HTTP/1.1 204" in answers, answers
                s.read(timeout=10)
                assert s.ended, "the stream of deleted task %d is open: %s" % (
                    tid, s.events)
                last = s.events[-1]
                assert last.type in ("state", "deleted"), s.events
                if last.type == "state":
                    assert last.json["state"] == "canceled", last.json
                else:
                    assert last.json == {"task": tid}, last.json
    finally:
        srv.stop_task(parent)


def test_a_task_stream_replaying_when_its_task_is_deleted_ends():
    # A watcher reads a long replay slowly; the task is deleted under
    # it. Its stream is told (deleted), and ends there.
    # 20 MB of events: more than the socket buffers on the way hold.
    kinds = {"kinds": [dict(items_kind(n=20000, size=1000),
                            description="items")]}
    with Server(kinds=kinds, env={"HOURGLASS_DATA_MAX": "50000000"}) as srv:
        tid = srv.create("items")["id"]
        srv.wait_state(tid, "succeeded", timeout=60)
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
        try:
            sock.sendall(b"GET /api/tasks/%d/events?after=0 HTTP/1.1\r\n"
                         b"Host: h\r\n\r\n" % tid)
            got = sock.recv(65536)
            assert got.startswith(b"HTTP/1.1 200"), got[:200]
            assert srv.delete("/api/tasks/%d" % tid).status == 204
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                more = sock.recv(1 << 20)
                if not more:
                    break
                got += more
            else:
                raise AssertionError("the stream of deleted task %d is "
                                     "still open" % tid)
        finally:
            sock.close()
        assert b"event: deleted\ndata: {\"task\":%d}\n\n" % tid in got, \
            got[-300:]
