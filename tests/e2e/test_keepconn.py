"""nginx keeps its connections to hourglass-fcgi open (fastcgi_keep_conn)
and sends request after request on each; whatever a request leaves of its
body unread is read before the next, so the next is not lost; a stream's
connection is closed when the stream ends."""

import http.client
import json
import os
import re

from harness import Server, SSEStream, fcgi_pid, read_proc, owned_pids, \
    wait_for


def sockets(pid):
    """The socket inodes hourglass-fcgi has open."""
    out = set()
    folder = "/proc/%d/fd" % pid
    for fd in os.listdir(folder):
        try:
            link = os.readlink(os.path.join(folder, fd))
        except OSError:
            continue
        if link.startswith("socket:"):
            out.add(link)
    return out


def client(srv):
    """One client connection: nginx serves it from one worker process."""
    return http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)


def ask(c, method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    return r.status, r.read()


def test_requests_follow_each_other_on_one_kept_connection(srv):
    pid = fcgi_pid(srv)
    c = client(srv)
    assert ask(c, "GET", "/api/kinds")[0] == 200
    before = sockets(pid)
    seen = set()
    for _ in range(40):
        st, _ = ask(c, "GET", "/api/health")
        assert st == 200
        seen |= sockets(pid)
    c.close()
    # Without kept connections each request is a new socket (40 here).
    new = seen - before
    assert len(new) <= 1, "%d sockets for 40 requests" % len(new)


def test_an_unread_body_does_not_spoil_the_kept_connection(srv):
    """Bodies the API refuses before reading them (405, 404, 415), each
    followed by a create on the same connection: every create lands, and
    the connection to the server is kept throughout. Were the refused
    body left unread, the server would take it for the start of the next
    request, give up on the connection and close it, and nginx would have
    to open another (or fail the request it had just sent)."""
    pid = fcgi_pid(srv)
    c = client(srv)
    assert ask(c, "GET", "/api/health")[0] == 200
    before = sockets(pid)
    seen = set()
    junk = b'{"pad":"' + b"x" * 30000 + b'"}'
    made = []
    for path, ctype in [("/api/kinds", "application/json"),
                        ("/api/nowhere", "application/json"),
                        ("/api/tasks", "text/plain")]:
        for _ in range(5):
            st, body = ask(c, "POST", path, junk, {"Content-Type": ctype})
            assert st in (404, 405, 415), (path, st, body)
            st, body = ask(c, "POST", "/api/tasks", b'{"kind":"count"}',
                           {"Content-Type": "application/json"})
            assert st == 201, (path, st, body)
            made.append(json.loads(body)["id"])
            seen |= sockets(pid)
    c.close()
    new = seen - before
    assert len(new) <= 1, "%d new connections for 30 requests" % len(new)
    for tid in made:
        assert srv.get("/api/tasks/%d" % tid).status == 200


def test_a_stream_beside_kept_connections_closes_its_own(srv):
    """A stream may come on a new connection or on one nginx kept; either
    way nginx does not keep it, and it is closed when the stream ends."""
    pid = fcgi_pid(srv)
    c = client(srv)
    assert ask(c, "GET", "/api/health")[0] == 200
    s = SSEStream(srv.port, "/api/events")
    assert s.status == 200, s.status
    # Requests go on beside the open stream.
    for _ in range(10):
        assert ask(c, "GET", "/api/health")[0] == 200
    during = sockets(pid)
    s.close()
    wait_for(lambda: len(sockets(pid)) < len(during), 10,
             what="the stream's connection to close")
    assert ask(c, "GET", "/api/health")[0] == 200
    c.close()


def test_a_post_right_after_a_stream_ends_is_answered(srv):
    """nginx would keep a stream's connection once its end record came,
    though the server closes it; a create sent at once could be handed
    that closed connection and fail with 502 (nginx retries no POST).
    Streams take connections that are never kept. Under ThreadSanitizer
    about one round in forty failed before."""
    tid = srv.wait_finished(srv.create("count", {"total": 2,
                                                 "delay_ms": 0})["id"])["id"]
    body = json.dumps({"kind": "count",
                       "params": {"total": 1, "delay_ms": 0}}).encode()
    statuses = []
    for _ in range(200):
        with srv.sse("/api/tasks/%d/events?after=0" % tid) as s:
            s.read(timeout=10)
            assert s.ended, "the stream of a finished task did not end"
        statuses.append(srv.request("POST", "/api/tasks", body, headers={
            "Content-Type": "application/json"}).status)
    assert statuses == [201] * len(statuses), \
        [(i, st) for i, st in enumerate(statuses) if st != 201]


def test_requests_go_on_after_nginx_drops_its_kept_connections(srv):
    """nginx closes its kept connections when its workers are replaced
    (a reload); the server's threads on them go back to accepting."""
    pid = fcgi_pid(srv)
    c = client(srv)
    assert ask(c, "GET", "/api/health")[0] == 200
    c.close()
    before = sockets(pid)
    def nginx(role):
        return {p for p in owned_pids(srv.data)
                if read_proc(p, "cmdline").startswith(b"nginx: " + role)}
    master, old = nginx(b"master"), nginx(b"worker")
    assert len(master) == 1 and old, (master, old)
    os.kill(master.pop(), 1)        # SIGHUP: new workers; the old leave
    # Until every old worker is gone, a new client connection may still be
    # served by one that is leaving: it answers, then closes the client's
    # kept connection under the next request. So wait for them all.
    wait_for(lambda: not (old & nginx(b"worker")), 10,
             what="the old nginx workers to leave")
    wait_for(lambda: len(sockets(pid)) < len(before), 10,
             what="the old workers' kept connections to close")
    for _ in range(20):
        c = client(srv)
        assert ask(c, "GET", "/api/health")[0] == 200
        st, body = ask(c, "POST", "/api/tasks", b'{"kind":"count"}',
                       {"Content-Type": "application/json"})
        assert st == 201, (st, body)
        c.close()


def threads(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"Threads:\s+(\d+)", f.read()).group(1))


def kept_per_worker():
    """The idle connections each nginx worker keeps (nginx.conf)."""
    conf = os.path.join(os.path.dirname(__file__), "..", "..", "nginx.conf")
    with open(conf) as f:
        return int(re.search(r"^\s*keepalive (\d+);", f.read(), re.M)
                   .group(1))


def test_threads_stay_few_after_bursts_on_many_connections():
    """Bursts of creates at once, more than nginx keeps connections for,
    make it open more connections than it keeps; those it closes after a
    burst end their threads too, so the thread count comes back down to
    what nginx keeps. The tasks are external: they start no runner."""
    kinds = {"kinds": [{"name": "remote", "external": True}]}
    with Server(kinds=kinds) as srv:
        pid = fcgi_pid(srv)
        workers = [p for p in owned_pids(srv.data)
                   if read_proc(p, "cmdline").startswith(b"nginx: worker")]
        # Kept connections, the two waiting in accept(); main, feed,
        # janitor, scheduler, webhook sender and the two stream loops;
        # and two to spare. (Threads that fell into accept() unseen once
        # grew here to 10 more than this allows.)
        kept = kept_per_worker()
        most = kept * len(workers) + 2 + 7 + 2
        for _ in range(6):
            # Creates sent before any answer is read: they take turns
            # at the database's write lock, so nginx has many in flight
            # at once, more than all its workers keep.
            cs = [client(srv) for _ in range(
                min(kept * len(workers) + 64, 512))]
            for c in cs:
                c.request("POST", "/api/tasks", b'{"kind":"remote"}',
                          {"Content-Type": "application/json"})
            for c in cs:
                r = c.getresponse()
                r.read()
                assert r.status == 201, r.status
                c.close()
        wait_for(lambda: threads(pid) <= most, 10,
                 what="at most %d threads (%d now)" % (most, threads(pid)))
