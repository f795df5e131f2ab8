"""Webhooks: every final state is POSTed to HOURGLASS_WEBHOOK_URL, signed,
at least once, retried with backoff until 2xx, for up to 24 hours; the
deliveries are listed by GET /api/webhooks/deliveries and counted in
/api/metrics. The receivers are real HTTP servers of the test's own on
127.0.0.1, recording what they get.

Retries wait their backoff in real time (0.5 to 1 s, then 1 to 2 s)."""

import hashlib
import hmac
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import (ISO_RE, REPO, Server, ServeFailed, assert_error,
                     db_rows, fcgi_pid, free_port, metrics, samples,
                     wait_for)

SLOW = "waits for the retries' backoff, and restarts servers, in real time"

SECRET = "whsec_e2e-secret"
KINDS = {"kinds": [
    {"name": "quick", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 1},
                "delay_ms": {"type": "integer", "min": 0, "default": 1}}},
    {"name": "fails", "command": ["/bin/sh", "-c", "exit 3"]},
]}
HEX32 = re.compile(r"^[0-9a-f]{32}$")


class Receiver:
    """A webhook receiver on 127.0.0.1 (port: a free one), in a thread.

    Records each request as (path, headers, body bytes), and answers a
    delivery whose task is named name with the next status of plan[name]
    (200 once that is empty; "302" answers a redirect to /moved)."""

    def __init__(self, port=0):
        self.requests = []
        self.plan = {}
        self.lock = threading.Lock()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    rec.requests.append((self.path, dict(self.headers),
                                         body))
                    try:
                        name = json.loads(body)["task"]["name"]
                    except (ValueError, KeyError, TypeError):
                        name = None
                    steps = rec.plan.get(name) or []
                    status = steps.pop(0) if steps else 200
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", rec.url("/moved"))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def got(self, tid, path="/hook"):
        """The requests for task tid's delivery, oldest first."""
        with self.lock:
            reqs = list(self.requests)
        return [r for r in reqs if r[0] == path and
                json.loads(r[2])["task"]["id"] == tid]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


RECV = None


def SERVER_ENV():
    global RECV
    RECV = Receiver()
    return {"HOURGLASS_WEBHOOK_URL": RECV.url(),
            "HOURGLASS_WEBHOOK_SECRET": SECRET}


def teardown():
    if RECV is not None:
        RECV.close()


def finished(srv, kind="quick", name=None):
    """A task made and waited for until it ended; returns it."""
    tid = srv.create(kind, name=name)["id"]
    return srv.wait_finished(tid)


def deliveries(srv, state=None):
    r = srv.get("/api/webhooks/deliveries" + (
        "?state=" + state if state else ""))
    assert r.status == 200, r
    return r.json["deliveries"]


def delivery_of(srv, tid, cond=lambda d: True, timeout=20, what=None):
    """Waits until task tid's one delivery satisfies cond; returns it."""
    def check():
        ds = [d for d in deliveries(srv) if d["task"] == tid]
        assert len(ds) <= 1, ds
        return ds[0] if ds and cond(ds[0]) else None
    return wait_for(check, timeout, what=what or "delivery of %d" % tid)


def verify(headers, body, secret=SECRET):
    """Checks Hourglass-Signature as a receiver would; returns t."""
    m = re.match(r"^t=(\d+),v1=([0-9a-f]{64})$",
                 headers["Hourglass-Signature"])
    assert m, headers["Hourglass-Signature"]
    mac = hmac.new(secret.encode(), m.group(1).encode() + b"." + body,
                   hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, m.group(2)), "signature does not verify"
    return int(m.group(1))


def edit_delivery(srv, sql, args):
    """Changes a delivery's row, as time passing would."""
    db = sqlite3.connect(os.path.join(srv.data, "hourglass.db"), timeout=10)
    try:
        with db:
            db.execute(sql, args)
    finally:
        db.close()


def test_a_finished_task_is_posted_signed(srv):
    t = finished(srv, name="plain")
    got = wait_for(lambda: RECV.got(t["id"]), 10, what="the POST")
    assert len(got) == 1, got
    path, headers, body = got[0]
    assert headers["Content-Type"] == "application/json", headers
    assert HEX32.match(headers["Hourglass-Delivery"]), headers
    stamp = verify(headers, body)
    assert abs(time.time() - stamp) < 60, stamp
    doc = json.loads(body)
    assert list(doc) == ["type", "id", "created_at", "task"], doc
    assert doc["type"] == "task.finished", doc
    assert doc["id"] == headers["Hourglass-Delivery"], doc
    assert ISO_RE.match(doc["created_at"]), doc
    # The task object as GET /api/tasks/{id} gives it.
    assert doc["task"] == srv.task(t["id"]), (doc["task"], t)
    d = delivery_of(srv, t["id"], lambda d: d["state"] == "delivered")
    assert set(d) == {"id", "task", "state", "attempts", "last_status",
                      "last_error", "next_attempt_at", "created_at"}, d
    assert d["id"] == doc["id"] and d["attempts"] == 1, d
    assert d["last_status"] == 200 and d["last_error"] is None, d
    assert d["next_attempt_at"] is None, d
    assert d["created_at"] == doc["created_at"], d


def test_a_deliverys_created_at_is_its_tasks_end(srv):
    # It read the clock again after the end: 1 ms later now and then
    # (23 of 504 in a review), against README's word.
    tids = [srv.create("quick", {"delay_ms": 0}, name="end-%d" % i)["id"]
            for i in range(120)]
    for tid in tids:
        t = srv.wait_finished(tid)
        got = wait_for(lambda: RECV.got(tid), 10, what="POST of %d" % tid)
        doc = json.loads(got[0][2])
        assert doc["created_at"] == t["finished_at"], (doc, t)


def test_every_final_state_is_delivered(srv):
    failed = finished(srv, "fails", name="failing")
    assert failed["state"] == "failed", failed
    waiting = srv.create("quick", name="after-fail",
                         after=[failed["id"]])
    assert waiting["state"] == "canceled", waiting
    for tid, state in ((failed["id"], "failed"),
                       (waiting["id"], "canceled")):
        got = wait_for(lambda: RECV.got(tid), 10, what="POST of %d" % tid)
        assert json.loads(got[0][2])["task"]["state"] == state, got


def test_500_twice_then_200_is_one_delivery_tried_three_times(srv):
    RECV.plan["flaky"] = [500, 500]
    t = finished(srv, name="flaky")
    d = delivery_of(srv, t["id"], lambda d: d["state"] == "delivered",
                    what="delivered after two 500s")
    assert d["attempts"] == 3 and d["last_status"] == 200, d
    got = RECV.got(t["id"])
    assert len(got) == 3, got
    ids = {h["Hourglass-Delivery"] for _, h, _ in got}
    assert ids == {d["id"]}, ids
    for _, h, body in got:
        verify(h, body)
    # Each attempt signs with its own time; the body is the same.
    assert len({b for _, _, b in got}) == 1


def test_a_redirect_is_not_followed(srv):
    RECV.plan["moved"] = [302] * 100
    t = finished(srv, name="moved")
    d = delivery_of(srv, t["id"], lambda d: d["attempts"] >= 1,
                    what="a first attempt")
    assert d["state"] == "pending" and d["last_status"] == 302, d
    assert "redirect" in d["last_error"], d
    assert d["next_attempt_at"] is not None, d
    assert RECV.got(t["id"], "/moved") == [], "the redirect was followed"
    assert deliveries(srv, "pending")[0]["id"] == d["id"]


def test_a_delivery_older_than_a_day_ends_failed(srv):
    RECV.plan["old"] = [500] * 100
    t = finished(srv, name="old")
    d = delivery_of(srv, t["id"], lambda d: d["attempts"] >= 1,
                    what="a first attempt")
    assert d["state"] == "pending", d
    edit_delivery(srv, "UPDATE webhook_deliveries SET created_at = "
                  "created_at - 25 * 3600 * 1000, next_attempt_at = 0 "
                  "WHERE id = ?", (d["id"],))
    d = delivery_of(srv, t["id"], lambda d: d["state"] == "failed",
                    what="failed after 24 h")
    assert d["last_status"] == 500 and d["next_attempt_at"] is None, d
    assert d["id"] in [x["id"] for x in deliveries(srv, "failed")]
    assert d["id"] not in [x["id"] for x in deliveries(srv, "pending")]


def metric(srv, outcome):
    text = metrics(srv)
    assert "# HELP hourglass_webhook_deliveries_total " in text
    assert "# TYPE hourglass_webhook_deliveries_total counter" in text
    key = 'hourglass_webhook_deliveries_total{outcome="%s"}' % outcome
    got = samples(text)
    assert key in got and got[key].is_integer(), text
    return int(got[key])


def test_metrics_count_each_outcome(srv):
    before = {o: metric(srv, o) for o in ("delivered", "retried", "failed")}
    RECV.plan["counted"] = [503]
    t = finished(srv, name="counted")
    delivery_of(srv, t["id"], lambda d: d["state"] == "delivered")
    assert metric(srv, "delivered") >= before["delivered"] + 1
    assert metric(srv, "retried") >= before["retried"] + 1
    assert metric(srv, "failed") >= before["failed"]


def test_deliveries_list_newest_first_and_refuses_bad_state(srv):
    a = finished(srv, name="first")
    b = finished(srv, name="second")
    for tid in (a["id"], b["id"]):
        delivery_of(srv, tid)
    tasks = [d["task"] for d in deliveries(srv)]
    assert tasks.index(b["id"]) < tasks.index(a["id"]), tasks
    for bad in ("bogus", "PENDING", "", "x" * 100):
        err = assert_error(srv.get("/api/webhooks/deliveries?state=" + bad),
                           400, "invalid_request")
        assert err["message"].startswith("state"), err
    r = srv.post("/api/webhooks/deliveries", {})
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET", r.headers


def test_retention_prunes_only_what_is_done(srv):
    RECV.plan["unpruned"] = [500] * 100
    done = finished(srv, name="pruned")
    waits = finished(srv, name="unpruned")
    d = delivery_of(srv, done["id"], lambda d: d["state"] == "delivered")
    p = delivery_of(srv, waits["id"], lambda d: d["attempts"] >= 1)
    month = 31 * 24 * 3600 * 1000
    edit_delivery(srv, "UPDATE webhook_deliveries SET done_at = done_at - "
                  "?, created_at = created_at - ? WHERE id = ?",
                  (month, month, d["id"]))
    # Pending, however old it was made: retention leaves it to the sender.
    edit_delivery(srv, "UPDATE webhook_deliveries SET created_at = "
                  "created_at - ? WHERE id = ?", (month, p["id"]))
    wait_for(lambda: d["id"] not in [x["id"] for x in deliveries(srv)], 10,
             what="the janitor to prune a delivery done a month ago")
    assert p["id"] in [x["id"] for x in deliveries(srv)]


def test_a_receiver_down_for_a_while_gets_it_once_up():
    port = free_port()          # nobody listens there yet
    with Server(kinds=KINDS, env={
            "HOURGLASS_WEBHOOK_URL": "http://127.0.0.1:%d/hook" % port,
            "HOURGLASS_WEBHOOK_SECRET": SECRET}) as srv:
        t = finished(srv)
        d = delivery_of(srv, t["id"], lambda d: d["attempts"] >= 1,
                        what="a refused attempt")
        assert d["state"] == "pending" and d["last_status"] is None, d
        assert d["last_error"], d
        rec = Receiver(port)
        try:
            d = delivery_of(srv, t["id"],
                            lambda d: d["state"] == "delivered",
                            what="delivered once the receiver is up")
            got = rec.got(t["id"])
            assert [h["Hourglass-Delivery"] for _, h, _ in got] == \
                [d["id"]], got
        finally:
            rec.close()


def test_pending_deliveries_survive_a_restart():
    rec = Receiver()
    env = {"HOURGLASS_WEBHOOK_URL": rec.url(),
           "HOURGLASS_WEBHOOK_SECRET": SECRET}
    first = Server(kinds=KINDS, env=env).start()
    try:
        rec.plan["kept"] = [500] * 100
        t = finished(first, name="kept")
        delivery_of(first, t["id"], lambda d: d["attempts"] >= 1)
        # One more ends while no server runs: its runner writes the end
        # and the delivery.
        slow = first.create("quick", {"total": 30, "delay_ms": 100},
                            name="while-down")["id"]
        # Running, so that its runner goes on without the server.
        first.wait_task(slow, lambda t: t["progress"]["value"] >= 1,
                        what="the task to run")
        first.stop()
        wait_for(lambda: db_rows(first, "SELECT count(*) FROM "
                                 "webhook_deliveries WHERE task = ?",
                                 (slow,))[0][0] == 1, 20,
                 what="the runner to write the delivery")
        rec.plan["kept"] = []
        with Server(kinds=KINDS, data=first.data, env=env) as again:
            for tid in (t["id"], slow):
                d = delivery_of(again, tid,
                                lambda d: d["state"] == "delivered",
                                what="delivery of %d after restart" % tid)
                assert rec.got(tid)[-1][1]["Hourglass-Delivery"] == \
                    d["id"]
    finally:
        first.close()
        rec.close()


def maps(srv, lib):
    with open("/proc/%d/maps" % fcgi_pid(srv)) as f:
        return "/%s." % lib in f.read()


def test_libcurl_is_loaded_only_with_a_url(srv):
    # The sender of the module's server has sent (the tests above).
    assert maps(srv, "libcurl"), "webhooks are on, and libcurl is not loaded"


def test_without_a_url_nothing_is_written_or_sent():
    with Server(kinds=KINDS, env={"HOURGLASS_WEBHOOK_URL": None}) as srv:
        # Nor is libcurl, and its dependencies, mapped; nor OpenSSL's
        # libcrypto, 1.4 MiB resident: tokens and signatures use Nettle.
        assert not maps(srv, "libcurl")
        assert not maps(srv, "libcrypto")
        assert maps(srv, "libnettle")
        finished(srv)
        assert deliveries(srv) == []
        assert deliveries(srv, "pending") == []
        assert db_rows(srv, "SELECT count(*) FROM webhook_deliveries") == \
            [(0,)]
        assert_error(srv.get("/api/webhooks/deliveries?state=bogus"), 400,
                     "invalid_request")


def readme_receiver():
    """The receiver of README's "Notifications", as it is written there."""
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    found = [b for b in blocks if "Hourglass-Signature" in b]
    assert len(found) == 1, "README's receiver snippet: %d found" % len(
        found)
    return found[0]


def test_readme_receiver_verifies_a_real_delivery():
    code = readme_receiver()
    assert len(code.strip().splitlines()) <= 14, code
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, PORT=str(port),
                 HOURGLASS_WEBHOOK_SECRET=SECRET))
    try:
        env = {"HOURGLASS_WEBHOOK_URL": "http://127.0.0.1:%d/" % port,
               "HOURGLASS_WEBHOOK_SECRET": SECRET}
        with Server(kinds=KINDS, env=env) as srv:
            t = finished(srv)
            d = delivery_of(srv, t["id"],
                            lambda d: d["state"] == "delivered",
                            what="the README receiver to accept it")
            assert d["last_status"] == 204, d
            line = proc.stdout.readline().decode()
            assert line.split(" ", 1)[0] == d["id"], line
            assert json.loads(line.split(" ", 1)[1])["task"]["id"] == \
                t["id"], line
            # And it refuses what the secret did not sign.
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("POST", "/", body=b"{}", headers={
                "Hourglass-Signature": "t=%d,v1=%s" % (time.time(),
                                                       "0" * 64)})
            assert c.getresponse().status == 401
            c.close()
    finally:
        proc.kill()
        proc.wait()


def test_a_url_that_is_not_http_is_refused_at_start():
    # tests/unit/test_config.c tries many more; each here is a start.
    for url in ("ftp://127.0.0.1/hook", "https://exa mple.com/"):
        srv = Server(kinds=KINDS, env={"HOURGLASS_WEBHOOK_URL": url})
        try:
            try:
                srv.start()
            except ServeFailed as e:
                assert "HOURGLASS_WEBHOOK_URL" in str(e), str(e)
                continue
            raise AssertionError("started with HOURGLASS_WEBHOOK_URL=%r"
                                 % url)
        finally:
            srv.close()
