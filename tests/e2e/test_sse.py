"""The event streams: where they start, resume, end, and what they carry."""

import datetime

from harness import FINISHED, assert_error, check_task_shape

PROGRESS_DATA_KEYS = {"task", "value", "total", "percent", "message"}


def task_of(ev):
    d = ev.json
    return d["id"] if ev.type == "state" else d["task"]


def is_final(ev, tid):
    return (ev.type == "state" and ev.json["id"] == tid
            and ev.json["state"] in FINISHED)


def ids(events):
    return [e.n for e in events]


def assert_strictly_increasing(events):
    n = ids(events)
    assert n == sorted(set(n)), "ids not strictly increasing: %s" % n


def read_until_final(s, tids, timeout=30):
    """Reads a (global) stream until every task in tids has ended."""
    def done(_):
        return all(any(is_final(e, t) for e in s.events) for t in tids)
    s.read(until=done, timeout=timeout)
    assert not s.timed_out, "no final state for all of %s in %d s: %s" % (
        tids, timeout, s.events[-5:])
    return s.events


def check_task_events(events, tid, total):
    """One task's events: progress rising to total, then its final state."""
    mine = [e for e in events if task_of(e) == tid]
    final = [i for i, e in enumerate(mine) if is_final(e, tid)]
    assert final == [len(mine) - 1], "final state not last: %s" % mine
    progress = [e for e in mine if e.type == "progress"]
    assert progress, "no progress events: %s" % mine
    values = [e.json["value"] for e in progress]
    assert values == sorted(set(values)), "values not rising: %s" % values
    last = progress[-1].json
    assert (last["value"], last["total"]) == (total, total), last
    assert mine[-1].json["progress"]["value"] == total, mine[-1]


def stamp(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def finished_task(srv, total=20):
    tid = srv.create("count", {"total": total, "delay_ms": 0})["id"]
    srv.wait_finished(tid)
    return tid


def test_curl_session_streams_progress_and_ends_by_itself(srv):
    # The session: create, then `curl -N .../events` until it ends.
    tid = srv.create("count", {"total": 50, "delay_ms": 20})["id"]
    s = srv.sse("/api/tasks/%d/events" % tid)
    try:
        assert s.status == 200, (s.status, s.body)
        assert s.headers["content-type"].startswith("text/event-stream"), \
            s.headers
        s.read(timeout=30)
        assert s.ended and not s.timed_out, "stream did not end by itself"
        assert not s.truncated, "stream cut without a proper end"
    finally:
        s.close()
    evs = s.events
    assert evs[0].type == "state", evs[0]
    assert evs[-1].type == "state" and evs[-1].json["state"] == "succeeded", \
        evs[-1]
    assert_strictly_increasing(evs)
    check_task_events(evs, tid, 50)
    for e in evs:
        if e.type == "state":
            check_task_shape(e.json)
        elif e.type == "progress":
            assert set(e.json) == PROGRESS_DATA_KEYS and \
                e.json["task"] == tid, e


def test_task_stream_starts_with_retry(srv):
    tid = srv.create("count", {"total": 1000, "delay_ms": 50})["id"]
    try:
        with srv.sse("/api/tasks/%d/events" % tid) as s:
            s.read(n=1)
            assert s.parser.fields[0] == "retry", s.parser.fields
            assert s.parser.retry > 0
    finally:
        srv.stop_task(tid)


def test_global_stream_starts_with_retry(srv):
    with srv.sse("/api/events") as s:
        assert s.status == 200, s.status
        assert s.headers["content-type"].startswith("text/event-stream")
        tid = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
        s.read(n=1)
        assert s.parser.fields and s.parser.fields[0] == "retry", \
            s.parser.fields
    srv.wait_finished(tid)


def test_task_stream_opens_with_one_snapshot_at_its_newest_event(srv):
    tid = srv.create("count", {"total": 1000, "delay_ms": 20})["id"]
    srv.wait_task(tid, lambda t: t["progress"]["value"] >= 3,
                  what="some progress")
    s = srv.sse("/api/tasks/%d/events" % tid)
    try:
        first = s.read(n=1)[0]
        assert first.type == "state" and first.json["id"] == tid, first
        check_task_shape(first.json)
        assert first.json["state"] == "running", first
        srv.post("/api/tasks/%d/stop" % tid)
        s.read(timeout=20)
        assert s.ended, "stream did not end after the stop"
    finally:
        s.close()
        srv.stop_task(tid)
    full = srv.replay(tid)
    older = [e.n for e in full if e.n <= first.n]
    # Its id is a real event of this task, the newest one at the time.
    assert older and older[-1] == first.n, (first, ids(full))
    # After it the stream goes on from there: no second snapshot, no gap.
    assert ids(s.events[1:]) == [e.n for e in full if e.n > first.n], (
        ids(s.events), ids(full))


def test_replay_from_zero_sends_the_whole_history(srv):
    tid = finished_task(srv, total=10)
    with srv.sse("/api/tasks/%d/events?after=0" % tid) as s:
        assert s.status == 200, s.status
        s.read()
        assert s.ended and not s.truncated
    assert_strictly_increasing(s.events)
    assert s.events[0].type == "state", s.events[0]
    assert s.events[-1].json["state"] == "succeeded", s.events[-1]
    check_task_events(s.events, tid, 10)


def resume(srv, tid, how, after):
    if how == "header":
        s = srv.sse("/api/tasks/%d/events" % tid,
                    headers={"Last-Event-ID": str(after)})
    else:
        s = srv.sse("/api/tasks/%d/events?after=%d" % (tid, after))
    with s:
        assert s.status == 200, (s.status, s.body)
        s.read()
        assert s.ended, "resumed stream did not end"
    return s.events


def check_finished_resume(srv, how):
    tid = finished_task(srv)
    full = srv.replay(tid)
    mid = full[len(full) // 2]
    rest = resume(srv, tid, how, mid.n)
    want = [(e.n, e.type, e.json) for e in full if e.n > mid.n]
    assert [(e.n, e.type, e.json) for e in rest] == want, (ids(rest),
                                                           ids(full))


def test_resume_with_last_event_id_gets_exactly_the_rest(srv):
    check_finished_resume(srv, "header")


def test_resume_with_after_gets_exactly_the_rest(srv):
    check_finished_resume(srv, "query")


def check_live_resume(srv, how):
    tid = srv.create("count", {"total": 60, "delay_ms": 20})["id"]
    with srv.sse("/api/tasks/%d/events" % tid) as s:
        part1 = s.read(n=5)
    assert len(part1) >= 5 or s.ended, part1
    part2 = [] if s.ended else resume(srv, tid, how, part1[-1].n)
    got = ids(part1 + part2)
    full = srv.replay(tid)
    assert got == [e.n for e in full if e.n >= part1[0].n], (got, ids(full))
    assert is_final(full[-1], tid) and is_final((part1 + part2)[-1], tid)


def test_resume_live_stream_with_last_event_id_misses_nothing(srv):
    check_live_resume(srv, "header")


def test_resume_live_stream_with_after_misses_nothing(srv):
    check_live_resume(srv, "query")


def test_finished_task_stream_is_204(srv):
    tid = finished_task(srv, total=2)
    with srv.sse("/api/tasks/%d/events" % tid) as s:
        assert s.status == 204, (s.status, s.body)


def test_finished_task_stream_at_final_event_is_204(srv):
    tid = finished_task(srv, total=2)
    last = srv.replay(tid)[-1].n
    with srv.sse("/api/tasks/%d/events" % tid,
                 headers={"Last-Event-ID": str(last)}) as s:
        assert s.status == 204, (s.status, s.events, s.body)


def test_finished_task_stream_after_final_event_is_204(srv):
    tid = finished_task(srv, total=2)
    last = srv.replay(tid)[-1].n
    with srv.sse("/api/tasks/%d/events?after=%d" % (tid, last)) as s:
        assert s.status == 204, (s.status, s.events, s.body)


def test_finished_task_stream_past_final_event_is_204(srv):
    tid = finished_task(srv, total=2)
    last = srv.replay(tid)[-1].n
    with srv.sse("/api/tasks/%d/events" % tid,
                 headers={"Last-Event-ID": str(last + 1000000)}) as s:
        assert s.status == 204, (s.status, s.events, s.body)


def test_running_task_stream_past_the_newest_event_ends_with_it(srv):
    # An id past every event: the stream goes on from the newest, and
    # ends at the task's end, as curl -N waits for.
    tid = srv.create("count", {"total": 20, "delay_ms": 50})["id"]
    srv.wait_state(tid, "running")
    newest = srv.get("/api/tasks").json["event_id"]
    with srv.sse("/api/tasks/%d/events?after=%d" % (tid, newest + 100000)) \
            as s:
        assert s.status == 200, (s.status, s.body)
        s.read(timeout=20)
        assert s.ended, "the stream did not end with the task"
        final = [e for e in s.events if e.type == "state"][-1].json
        assert final["state"] == "succeeded", final
        assert all(e.n > newest for e in s.events), s.events


def test_all_events_stream_past_the_newest_event_goes_on_from_it(srv):
    # A Last-Event-ID from a database made anew since: the stream tells
    # of what happens now, not nothing until ids pass the old one.
    newest = srv.get("/api/tasks").json["event_id"]
    for how in ({"headers": {"Last-Event-ID": str(newest + 100000)}},
                {"path": "?after=%d" % (newest + 100000)}):
        with srv.sse("/api/events" + how.get("path", ""),
                     headers=how.get("headers")) as s:
            assert s.status == 200, (s.status, s.body)
            tid = srv.create("count", {"total": 2, "delay_ms": 10})["id"]
            s.read(until=lambda e: e.type == "state" and
                   e.json["id"] == tid and e.json["state"] == "succeeded",
                   timeout=20)
            mine = [e.json["state"] for e in s.events
                    if e.type == "state" and e.json["id"] == tid]
            assert mine and mine[-1] == "succeeded", (how, s.events)
            assert all(e.n > newest for e in s.events), s.events
            newest = srv.get("/api/tasks").json["event_id"]


def test_stream_of_unknown_task_is_404(srv):
    assert_error(srv.get("/api/tasks/987654321/events"), 404, "not_found")


def test_progress_reaches_a_watcher_promptly(srv):
    # No timing is asserted: progress must simply arrive, live.
    tid = srv.create("count", {"total": 1000, "delay_ms": 50})["id"]
    try:
        with srv.sse("/api/tasks/%d/events" % tid) as s:
            s.read(until=lambda e: e.type == "progress", timeout=10)
            assert any(e.type == "progress" for e in s.events), s.events
    finally:
        srv.stop_task(tid)


def test_two_watchers_get_the_same_events(srv):
    tid = srv.create("count", {"total": 30, "delay_ms": 10})["id"]
    a = srv.sse("/api/tasks/%d/events?after=0" % tid)
    b = srv.sse("/api/tasks/%d/events?after=0" % tid)
    with a, b:
        a.read()
        b.read()
        assert a.ended and b.ended, (a.events[-1:], b.events[-1:])
    assert [(e.n, e.type, e.data) for e in a.events] == \
        [(e.n, e.type, e.data) for e in b.events]
    check_task_events(a.events, tid, 30)


def test_progress_is_coalesced_to_about_20_a_second(srv):
    # 400 steps 2 ms apart: recording every step would be ~400 events.
    tid = srv.create("count", {"total": 400, "delay_ms": 2})["id"]
    t = srv.wait_finished(tid)
    events = srv.replay(tid)
    check_task_events(events, tid, 400)
    progress = [e for e in events if e.type == "progress"]
    took = stamp(t["finished_at"]) - stamp(t["started_at"])
    seconds = took.total_seconds()
    # Generous: half as much again as 20 a second, plus the first and last.
    assert len(progress) <= 30 * seconds + 3, (len(progress), seconds)


def test_global_stream_is_live_only(srv):
    old = finished_task(srv, total=2)
    last_old = srv.replay(old)[-1].n
    with srv.sse("/api/events") as s:
        assert s.status == 200, s.status
        new = srv.create("count", {"total": 3, "delay_ms": 0})["id"]
        read_until_final(s, [new])
    assert all(e.n > last_old for e in s.events), (last_old, ids(s.events))
    assert not [e for e in s.events if task_of(e) == old], s.events
    check_task_events(s.events, new, 3)


def test_global_stream_sees_tasks_created_after_connecting(srv):
    with srv.sse("/api/events") as s:
        tid = srv.create("count", {"total": 2, "delay_ms": 0})["id"]
        read_until_final(s, [tid])
    mine = [e for e in s.events if task_of(e) == tid]
    assert mine[0].type == "state", mine
    assert [e.n for e in mine] == ids(srv.replay(tid)), mine


def test_global_ids_increase_across_two_concurrent_tasks(srv):
    with srv.sse("/api/events") as s:
        a = srv.create("count", {"total": 30, "delay_ms": 5})["id"]
        b = srv.create("count", {"total": 30, "delay_ms": 5})["id"]
        read_until_final(s, [a, b])
    assert_strictly_increasing(s.events)
    check_task_events(s.events, a, 30)
    check_task_events(s.events, b, 30)


def check_global_resume(srv, how):
    e0 = srv.get("/api/tasks").json["event_id"]
    a = srv.create("count", {"total": 10, "delay_ms": 0})["id"]
    b = srv.create("count", {"total": 10, "delay_ms": 0})["id"]
    with srv.sse("/api/events?after=%d" % e0) as s:
        full = read_until_final(s, [a, b])
    mid = full[len(full) // 2]
    if how == "header":
        s2 = srv.sse("/api/events", headers={"Last-Event-ID": str(mid.n)})
    else:
        s2 = srv.sse("/api/events?after=%d" % mid.n)
    with s2:
        rest = s2.read(until=lambda e: e.n >= full[-1].n)
    assert not s2.timed_out, rest
    assert [(e.n, e.type, e.json) for e in rest] == \
        [(e.n, e.type, e.json) for e in full if e.n > mid.n], (ids(rest),
                                                             ids(full))


def test_global_stream_resumes_with_after(srv):
    check_global_resume(srv, "query")


def test_global_stream_resumes_with_last_event_id(srv):
    check_global_resume(srv, "header")
