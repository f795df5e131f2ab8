"""Streams served by a few event loops: many streams cost no thread
each, an idle stream wakes nothing, and past what the descriptors allow
a new stream is refused with 503 while the rest of the API works."""

import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time

from harness import REPO, Server, SSEStream, assert_error, fcgi_pid, \
    items_kind, metrics, samples, wait_for
from pylib.server import _bin_dir


def threads(pid):
    return len(os.listdir("/proc/%d/task" % pid))


def sse_clients(srv):
    return int(samples(metrics(srv))["hourglass_sse_clients"])


def loop_wakeups(pid):
    """Context switches of the stream loops (threads named hg-sse): a
    thread that sleeps and wakes switches once each time."""
    n = 0
    found = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        base = "/proc/%d/task/%s/" % (pid, tid)
        try:
            with open(base + "comm") as f:
                if f.read().strip() != "hg-sse":
                    continue
            with open(base + "status") as f:
                st = f.read()
        except OSError:
            continue
        found += 1
        n += sum(int(v) for v in re.findall(
            r"^(?:non)?voluntary_ctxt_switches:\s+(\d+)$", st, re.M))
    assert found >= 1, "no stream loop thread (hg-sse) found"
    return n


def open_streams(srv, n, path="/api/events"):
    out = []
    try:
        for _ in range(n):
            s = SSEStream(srv.port, path)
            assert s.status == 200, (s.status, s.body)
            out.append(s)
    except BaseException:
        for s in out:
            s.close()
        raise
    return out


def test_two_hundred_streams_add_no_thread_and_all_get_every_event(srv):
    pid = fcgi_pid(srv)
    srv.wait_idle()
    before = threads(pid)
    streams = open_streams(srv, 200)
    try:
        wait_for(lambda: sse_clients(srv) == 200, 10,
                 what="200 SSE clients")
        # Each stream was a request on a connection thread for a moment;
        # those go back to accept(), and only the spare ones stay.
        wait_for(lambda: threads(pid) <= before + 4, 10,
                 what="at most %d threads (%d now)" % (before + 4,
                                                       threads(pid)))
        tid = srv.create("count", {"total": 5, "delay_ms": 1})["id"]
        srv.wait_finished(tid)
        for s in streams:
            s.read(until=lambda e: e.type == "state" and
                   e.json["id"] == tid and e.json["state"] == "succeeded",
                   timeout=20)
            mine = [e for e in s.events if e.type == "progress"
                    and e.json["task"] == tid]
            assert mine and mine[-1].json["value"] == 5, s.events[-5:]
            ids = [e.n for e in s.events]
            assert ids == sorted(set(ids)), ids
    finally:
        for s in streams:
            s.close()
    wait_for(lambda: sse_clients(srv) == 0, 10, what="no SSE client")



def test_streams_at_different_places_each_get_exactly_theirs():
    """Streams at the same place in the feed are sent the same bytes,
    framed once: a stream behind the others, or after one task, must
    still get its own events, each once, none missed."""
    with Server() as srv:
        first = srv.create("count", {"total": 3, "delay_ms": 1})["id"]
        srv.wait_finished(first)
        mark = srv.replay(first)[0].n - 1      # just before the first task
        early = open_streams(srv, 20)
        late = []
        try:
            late = open_streams(srv, 20, "/api/events?after=%d" % mark)
            tid = srv.create("count", {"total": 8, "delay_ms": 20})["id"]
            own = open_streams(srv, 20, "/api/tasks/%d/events" % tid)
            late += own
            # Another task's events, between ours, that the task's own
            # streams must not get.
            other = srv.create("count", {"total": 8, "delay_ms": 20})["id"]
            srv.wait_finished(tid)
            srv.wait_finished(other)
            theirs = [e.n for e in srv.replay(first)]
            ours = [e.n for e in srv.replay(tid)]
            both = sorted(ours + [e.n for e in srv.replay(other)])

            def done(e):
                return e.n == both[-1]
            for s in early + late[:20]:
                s.read(until=done, timeout=20)
            for s in own:
                s.read(until=lambda e: e.n == ours[-1], timeout=20)
            for s in early:
                # Live from before the two tasks: all of their events.
                got = [e.n for e in s.events if e.n in both]
                assert got == both, (got, both)
            for s in late[:20]:
                # From before the first task: all three, once each.
                got = [e.n for e in s.events if e.n is not None]
                assert got == theirs + both, (got, theirs + both)
            for s in own:
                # The task's own stream: its events, from its snapshot.
                got = [e.n for e in s.events if e.n is not None]
                assert got and got == ours[ours.index(got[0]):], (got, ours)
                assert got[-1] == ours[-1], (got, ours)
        finally:
            for s in early + late:
                s.close()


def test_idle_streams_wake_no_thread(srv):
    pid = fcgi_pid(srv)
    srv.wait_idle()
    streams = open_streams(srv, 100)
    try:
        wait_for(lambda: sse_clients(srv) == 100, 10,
                 what="100 SSE clients")
        a = loop_wakeups(pid)
        # Three quiet seconds: no event, no ping due (every 15 s), and
        # no stream polled for its client. A stream thread that looked
        # once a second would switch 300 times here.
        # (A measured window, not a wait for a condition.)
        time.sleep(3)
        b = loop_wakeups(pid)
        assert b - a <= 5, "the stream loops woke %d times" % (b - a)
    finally:
        for s in streams:
            s.close()




def test_a_stream_from_before_what_an_idle_feed_keeps_gets_every_event():
    """An idle server keeps only its newest events in memory: a stream
    that resumes from before them reads the rest from SQLite and misses
    none."""
    with Server(kinds={"kinds": [items_kind()]}) as srv:
        tid = srv.create("items")["id"]
        srv.wait_finished(tid)
        # More than a second without events: the feed lets go of all
        # but the newest few hundred.
        time.sleep(2.5)
        ours = [e.n for e in srv.replay(tid)]
        assert len(ours) > 3000, len(ours)
        s = SSEStream(srv.port, "/api/events",
                      headers={"Last-Event-ID": str(ours[0] - 1)})
        try:
            assert s.status == 200, s.status
            s.read(until=lambda e: e.n == ours[-1], timeout=30)
            got = [e.n for e in s.events if e.n is not None]
            assert got == ours, (len(got), len(ours), got[-3:])
        finally:
            s.close()

def test_a_client_leaving_is_noticed_at_once(srv):
    streams = open_streams(srv, 20)
    wait_for(lambda: sse_clients(srv) == 20, 10, what="20 SSE clients")
    for s in streams:
        s.close()
    wait_for(lambda: sse_clients(srv) == 0, 10, what="no SSE client")


def test_past_the_descriptor_limit_a_stream_is_503_and_the_api_works():
    with Server() as srv:
        pid = fcgi_pid(srv)
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        # HG_FD_RESERVE (256), and HG_FD_PER_CORE (64) a core (up to
        # 16) for nginx's kept connections, stay for everything but streams:
        # five streams fit under this limit.
        keep = 256 + 64 * min(os.sysconf("SC_NPROCESSORS_ONLN"), 16)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (keep + 5, hard))
        streams = open_streams(srv, 5)
        try:
            wait_for(lambda: sse_clients(srv) == 5, 10,
                     what="5 SSE clients")
            s = SSEStream(srv.port, "/api/events")
            try:
                assert s.status == 503, (s.status, s.body)
                assert s.headers.get("retry-after") == "5", s.headers
                s.read(timeout=5)
                err = json.loads(s.body)["error"]
                assert err["code"] == "unavailable", err
                assert "streams" in err["message"], err
            finally:
                s.close()
            r = srv.get("/api/tasks/%d/events" % 1)
            assert_error(r, 404, "not_found")
            # Creates, reads and stops go on.
            tid = srv.create("count", {"total": 1000, "delay_ms": 20})["id"]
            assert srv.get("/api/tasks/%d" % tid).status == 200
            assert srv.get("/api/tasks").status == 200
            t = srv.stop_task(tid)
            assert t["state"] in ("stopping", "canceled", "succeeded"), t
            srv.wait_finished(tid)
            # A stream that leaves makes room for the next.
            streams.pop().close()
            wait_for(lambda: sse_clients(srv) == 4, 10,
                     what="4 SSE clients")
            streams.append(SSEStream(srv.port, "/api/tasks/%d/events"
                                     % tid, headers={"Last-Event-ID":
                                                     "0"}))
            assert streams[-1].status == 200, streams[-1].body
            streams[-1].read(timeout=10)
            assert streams[-1].ended, "the task's replay did not end"
        finally:
            for s in streams:
                s.close()
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))


def test_a_descriptor_limit_too_low_for_10000_streams_is_said_at_start():
    data = tempfile.mkdtemp(prefix="hourglass-test-")
    env = dict(os.environ, HOURGLASS_DATA=data,
               HOURGLASS_KINDS=os.path.join(REPO, "kinds.json"))
    # The server raises its soft limit to the hard one, then says what
    # that allows.
    p = subprocess.Popen(
        ["sh", "-c", 'ulimit -Sn 1500 && ulimit -Hn 2000 && exec "$0"',
         os.path.join(_bin_dir() or os.path.join(REPO, "build"),
                      "hourglass-fcgi")],
        env=env, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in p.stderr:
            lines.append(line)
            if "serving on" in line:
                break
        text = "".join(lines)
        keep = 256 + 64 * min(os.sysconf("SC_NPROCESSORS_ONLN"), 16)
        assert ("the limit on open files is 2000, so at most %d streams"
                % (2000 - keep)) in text, text
        assert "10000 streams need %d" % (10000 + keep) in text, text
        assert "ulimit -Hn" in text, text
    finally:
        p.terminate()
        p.wait(timeout=20)
        p.stderr.close()
        shutil.rmtree(data, ignore_errors=True)
