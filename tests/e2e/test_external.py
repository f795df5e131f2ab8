"""External tasks: the work runs elsewhere and reports over HTTP with a
token of the task's own (POST /api/tasks/{id}/report). A test process
plays the worker, through real nginx."""

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import threading
import time

from harness import Server, assert_error, check_task_shape, wait_for

KINDS = {"kinds": [
    {"name": "remote", "external": True, "description": "runs elsewhere",
     "params": {"n": {"type": "integer", "min": 0, "default": 1}},
     "heartbeat_s": 30, "grace_s": 30},
    {"name": "silent", "external": True, "heartbeat_s": 1, "grace_s": 1},
    {"name": "beat3", "external": True, "heartbeat_s": 3, "grace_s": 1},
    {"name": "scraped", "external": True,
     "progress_regex": "^done ([0-9]+) percent$"},
    {"name": "count", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 3},
                "delay_ms": {"type": "integer", "min": 0, "default": 10}}},
]}

TEXT = "text/plain"
JSON = "application/json"


def create(srv, kind="remote", **kw):
    r = srv.post("/api/tasks", dict({"kind": kind}, **kw))
    assert r.status == 201, r
    return r.json


def report(srv, task, body="", ctype=TEXT, token=None, url=None):
    """POSTs a report as a worker would, with the task's own token."""
    headers = {"Content-Type": ctype}
    tok = token if token is not None else task["report"]["token"]
    if tok:
        headers["Authorization"] = "Bearer " + tok
    if isinstance(body, dict):
        body = json.dumps(body)
    return srv.post(url or task["report"]["url"], body, headers=headers)


def ok(r, stop=False):
    assert r.status == 200, r
    assert r.json == {"stop": stop}, r


# ------------------------------------------------------------- the token

def test_create_answers_the_report_url_and_token_once(srv):
    t = create(srv)
    check_task_shape({k: v for k, v in t.items() if k != "report"})
    assert t["state"] == "queued", t
    assert t["report"]["url"] == "/api/tasks/%d/report" % t["id"], t
    assert re.fullmatch(r"[0-9a-f]{64}", t["report"]["token"]), t
    # Never shown again: not in the task, the list, or its events.
    again = srv.task(t["id"])
    assert "report" not in again, again
    listed = srv.get("/api/tasks?kind=remote").json["tasks"]
    assert all("report" not in x for x in listed), listed
    with srv.sse("/api/tasks/%d/events?after=0" % t["id"]) as s:
        head = s.read(1, timeout=10)
    assert head and t["report"]["token"] not in json.dumps(
        [e.json for e in head]), head
    other = create(srv)
    assert other["report"]["token"] != t["report"]["token"]
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))
    ok(report(srv, other, '{"complete":1,"code":0}', JSON))


def test_the_token_is_stored_only_as_its_sha256(srv):
    t = create(srv)
    token = t["report"]["token"]
    # The database and its WAL hold the hash, never the token.
    for name in os.listdir(srv.data):
        if name.startswith("hourglass.db"):
            with open(os.path.join(srv.data, name), "rb") as f:
                assert token.encode() not in f.read(), name
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(
        srv.data, "hourglass.db"), uri=True)
    try:
        (stored,) = db.execute("SELECT report_hash FROM tasks WHERE id = ?",
                               (t["id"],)).fetchone()
    finally:
        db.close()
    assert stored == hashlib.sha256(token.encode()).digest(), stored
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_a_missing_or_wrong_token_is_401(srv):
    t = create(srv)
    other = create(srv)
    for tok in ("", "x", t["report"]["token"][:-1],
                t["report"]["token"] + "0", t["report"]["token"].upper(),
                other["report"]["token"]):
        r = report(srv, t, "PROGRESS 1/2\n", token=tok)
        assert_error(r, 401, "unauthorized")
    r = srv.post(t["report"]["url"], "PROGRESS 1/2\n",
                 headers={"Content-Type": TEXT,
                          "Authorization": "Basic " + t["report"]["token"]})
    assert_error(r, 401, "unauthorized")
    # Nothing moved: still queued, no progress.
    assert srv.task(t["id"])["state"] == "queued"
    assert srv.task(t["id"])["progress"]["value"] == 0
    # The scheme is read in any case (RFC 9110); the token is not.
    ok(srv.post(t["report"]["url"], "PROGRESS 1/2\n",
                headers={"Content-Type": TEXT,
                         "Authorization": "bearer " + t["report"]["token"]}))
    assert srv.task(t["id"])["progress"]["value"] == 1
    for x in (t, other):
        ok(report(srv, x, '{"complete":1,"code":0}', JSON))


def test_a_token_opens_only_its_own_report_endpoint(srv):
    t = create(srv)
    count = srv.create("count")
    srv.wait_finished(count["id"])
    # Another task's report endpoint, external or not, or none at all.
    for path in ("/api/tasks/%d/report" % count["id"],
                 "/api/tasks/999999/report"):
        assert_error(report(srv, t, "50%\n", url=path), 401,
                     "unauthorized")
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_a_report_with_the_wrong_method_or_id_is_refused(srv):
    t = create(srv)
    r = srv.get(t["report"]["url"])
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "POST", r.headers
    for bad in ("abc", "-1", "0", "99999999999999999999"):
        r = report(srv, t, "50%\n", url="/api/tasks/%s/report" % bad)
        assert_error(r, 404, "not_found")
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


# ------------------------------------------------------------- the body

def test_a_report_of_a_wrong_type_is_415_and_changes_nothing(srv):
    t = create(srv)
    for ctype in ("application/x-www-form-urlencoded", "text/html", ""):
        r = report(srv, t, "PROGRESS 1/2\n", ctype=ctype)
        assert_error(r, 415, "unsupported_media_type")
    assert srv.task(t["id"])["state"] == "queued"
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_a_report_over_1_mib_is_413(srv):
    t = create(srv)
    r = report(srv, t, "x" * (1024 * 1024 + 1))
    assert_error(r, 413, "too_large")
    assert srv.task(t["id"])["state"] == "queued"
    # 1 MiB itself is taken.
    ok(report(srv, t, ("y" * 1023 + "\n") * 1024))
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_a_json_report_that_is_not_one_object_is_400(srv):
    t = create(srv)
    assert_error(report(srv, t, '{"progress": 0.5', JSON), 400,
                 "invalid_json")
    assert_error(report(srv, t, '[{"progress": 0.5}]', JSON), 400,
                 "invalid_request")
    assert srv.task(t["id"])["state"] == "queued"
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_malformed_lines_are_logged_and_good_ones_kept(srv):
    t = create(srv)
    body = ("PROGRESS abc/def\n"
            "PROGRESS 5/0\n"
            "{\"progress\": \"half\"}\n"
            "{not json\n"
            "PROGRESS 3/10 three\n"
            "150%\n"
            "bad \xff byte\n")
    ok(report(srv, t, body.encode("latin-1")))
    got = srv.task(t["id"])
    assert got["state"] == "running", got
    assert got["progress"]["value"] == 3 and got["progress"]["total"] == 10
    assert got["progress"]["message"] == "three", got
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    for line in ("PROGRESS abc/def", "PROGRESS 5/0",
                 "{\"progress\": \"half\"}", "{not json", "150%",
                 "bad \ufffd byte"):
        assert line + "\n" in log, (line, log)
    assert "three" not in log, log
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_a_json_report_is_a_progress_line(srv):
    t = create(srv)
    ok(report(srv, t, {"progress": 0.25, "message": "a quarter"}, JSON))
    p = srv.task(t["id"])["progress"]
    assert (p["value"], p["total"], p["message"]) == (25, 100,
                                                      "a quarter"), p
    ok(report(srv, t, {"value": 7, "total": 8}, JSON))
    p = srv.task(t["id"])["progress"]
    assert (p["value"], p["total"]) == (7, 8), p
    ok(report(srv, t, {"note": "not progress"}, JSON))
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    assert '{"note":"not progress"}\n' in log, log
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_a_kind_progress_regex_reads_reported_lines(srv):
    t = create(srv, "scraped")
    ok(report(srv, t, "warming up\ndone 40 percent\n"))
    p = srv.task(t["id"])["progress"]
    assert (p["value"], p["total"]) == (40, 100), p
    ok(report(srv, t, '{"complete":1,"code":0}', JSON))


# ------------------------------------------------------------- the life

def test_external_task_runs_queued_running_succeeded(srv):
    t = create(srv, name="remote job")
    tid = t["id"]
    with srv.sse("/api/tasks/%d/events" % tid) as s:
        first = s.read(1, timeout=10)
        assert first[0].type == "state" and \
            first[0].json["state"] == "queued", first
        # Nothing starts on its own: no runner, still queued.
        assert srv.task(tid)["state"] == "queued"
        ok(report(srv, t, "starting\n"))
        running = srv.wait_state(tid, "running", timeout=10)
        assert running["started_at"] is not None, running
        for i in range(1, 5):
            ok(report(srv, t, "PROGRESS %d/4 step %d\nline %d\n"
                      % (i, i, i)))
        ok(report(srv, t, '{"complete": 1, "code": 0, '
                  '"description": "all four"}', JSON))
        s.read(timeout=10)
        assert s.ended, "the task's stream did not end"
    states = [e.json["state"] for e in s.events if e.type == "state"]
    assert states == ["queued", "running", "succeeded"], states
    values = [e.json["value"] for e in s.events if e.type == "progress"]
    assert values[:4] == [1, 2, 3, 4], values
    logs = [e.json["line"] for e in s.events if e.type == "log"]
    assert logs == ["starting", "line 1", "line 2", "line 3", "line 4"], logs
    final = s.events[-1].json
    assert final["state"] == "succeeded" and final["error"] is None, final
    assert final["progress"]["value"] == 4, final
    assert final["progress"]["message"] == "all four", final
    # The complete line's code is the exit code, 0 as any other.
    assert final["exit_code"] == 0, final
    # Done: a report now is refused, and changes nothing.
    assert_error(report(srv, t, "PROGRESS 1/4\n"), 409, "not_active")
    assert srv.task(tid) == final


def test_external_task_fails_with_its_code(srv):
    t = create(srv)
    ok(report(srv, t, "PROGRESS 1/3\n"))
    ok(report(srv, t, '{"complete":1,"code":7,"description":"disk full"}',
              JSON))
    got = srv.task(t["id"])
    assert got["state"] == "failed", got
    assert got["exit_code"] == 7, got
    assert got["error"] == {"code": "exit_code", "message": "disk full"}


def test_stopped_external_task_acknowledges_and_ends_canceled(srv):
    t = create(srv)
    ok(report(srv, t, "PROGRESS 1/10\n"))
    r = srv.post("/api/tasks/%d/stop" % t["id"])
    assert r.status == 202 and r.json["state"] == "stopping", r
    # The next report hears it; the worker stops and says so.
    ok(report(srv, t, "PROGRESS 2/10\n"), stop=True)
    ok(report(srv, t, '{"complete":1,"code":1,"description":"stopped"}',
              JSON), stop=True)
    got = srv.task(t["id"])
    assert got["state"] == "canceled", got
    assert got["progress"]["value"] == 2, got
    assert got["error"] is None, got


def test_stopped_external_task_that_stays_silent_is_canceled_after_grace(
        srv):
    t = create(srv, "silent")
    ok(report(srv, t, "PROGRESS 1/10\n"))
    srv.post("/api/tasks/%d/stop" % t["id"])
    got = srv.wait_state(t["id"], "canceled", timeout=10)
    assert got["error"] is None, got
    events = srv.replay(t["id"])
    states = [e.json["state"] for e in events if e.type == "state"]
    assert states == ["queued", "running", "stopping", "canceled"], states


def test_silent_external_task_ends_lost_after_its_heartbeat(srv):
    t = create(srv, "silent")
    ok(report(srv, t, "PROGRESS 1/10\n"))
    # Reports keep it alive past its 1 s heartbeat...
    for _ in range(4):
        time.sleep(0.5)         # pacing the worker, not a check
        ok(report(srv, t, ""))
        assert srv.task(t["id"])["state"] == "running"
    # ...and silence ends it.
    got = srv.wait_state(t["id"], "lost", timeout=10)
    assert got["error"]["code"] == "lost", got
    assert "heartbeat" in got["error"]["message"], got
    assert_error(report(srv, t, "PROGRESS 2/10\n"), 409, "not_active")


def test_queued_external_task_waits_for_its_first_report(srv):
    t = create(srv, "silent")
    # No heartbeat while queued: it waits for its worker.
    wait_for(lambda: srv.task(t["id"])["state"] == "queued", 1)
    r = srv.post("/api/tasks/%d/stop" % t["id"])
    assert r.status == 202 and r.json["state"] == "canceled", r
    assert_error(report(srv, t, "50%\n"), 409, "not_active")


def test_a_retried_create_does_not_show_the_token_again(srv):
    key = {"Idempotency-Key": "external-once"}
    r = srv.post("/api/tasks", {"kind": "remote"}, headers=key)
    assert r.status == 201 and "report" in r.json, r
    again = srv.post("/api/tasks", {"kind": "remote"}, headers=key)
    assert again.status == 200 and again.json["id"] == r.json["id"], again
    assert "report" not in again.json, again
    ok(report(srv, r.json, '{"complete":1,"code":0}', JSON))


def test_external_tasks_hold_no_slot_but_count_as_queued():
    env = {"HOURGLASS_MAX_RUNNING": "1", "HOURGLASS_MAX_QUEUED": "2"}
    with Server(kinds=KINDS, env=env) as srv:
        a, b = create(srv), create(srv)
        # Two wait: the queue is full.
        r = srv.post("/api/tasks", {"kind": "remote"})
        assert_error(r, 429, "queue_full")
        ok(report(srv, a, "PROGRESS 1/2\n"))
        ok(report(srv, b, "PROGRESS 1/2\n"))
        # Both run, beyond MAX_RUNNING, and a local task still starts.
        assert srv.task(a["id"])["state"] == "running"
        assert srv.task(b["id"])["state"] == "running"
        c = srv.create("count")
        done = srv.wait_finished(c["id"], timeout=20)
        assert done["state"] == "succeeded", done
        for x in (a, b):
            ok(report(srv, x, '{"complete":1,"code":0}', JSON))


def test_report_takes_its_task_token_not_the_global_one():
    with Server(kinds=KINDS, env={"HOURGLASS_TOKEN": "global-secret"}) \
            as srv:
        auth = {"Authorization": "Bearer global-secret"}
        r = srv.post("/api/tasks", {"kind": "remote"}, headers=auth)
        assert r.status == 201, r
        t = r.json
        # The global token does not open the report endpoint...
        assert_error(report(srv, t, "50%\n", token="global-secret"), 401,
                     "unauthorized")
        # ...and the task's token opens nothing else.
        tok = {"Authorization": "Bearer " + t["report"]["token"]}
        for path in ("/api/tasks", "/api/tasks/%d" % t["id"],
                     "/api/kinds"):
            assert_error(srv.get(path, headers=tok), 401, "unauthorized")
        r = srv.post("/api/tasks/%d/stop" % t["id"], headers=tok)
        assert_error(r, 401, "unauthorized")
        ok(report(srv, t, "PROGRESS 1/2\n"))
        assert srv.get("/api/tasks/%d" % t["id"], headers=auth).json[
            "state"] == "running"
        ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_external_task_reports_across_a_server_restart():
    first = Server(kinds=KINDS).start()
    try:
        t = create(first)
        ok(report(first, t, "PROGRESS 1/2\n"))
        first.stop()
        with Server(kinds=KINDS, data=first.data) as again:
            assert again.task(t["id"])["state"] == "running"
            ok(report(again, t, "PROGRESS 2/2\n"))
            ok(report(again, t, '{"complete":1,"code":0}', JSON))
            got = again.task(t["id"])
            assert got["state"] == "succeeded", got
            assert got["progress"]["value"] == 2, got
    finally:
        first.close()


def test_heartbeat_counts_from_the_start_after_a_long_outage():
    # The worker could not report while the server was down: it has a
    # whole heartbeat from the start, not an end at the first look.
    first = Server(kinds=KINDS).start()
    try:
        t = create(first, "beat3")
        ok(report(first, t, "PROGRESS 1/2\n"))
        first.stop()
        time.sleep(3.5)         # the outage, past the 3 s heartbeat
        with Server(kinds=KINDS, data=first.data) as again:
            time.sleep(0.5)     # the janitor's first passes
            assert again.task(t["id"])["state"] == "running"
            ok(report(again, t, "PROGRESS 2/2\n"))
            # Silent again, it ends lost once a heartbeat has passed.
            got = again.wait_state(t["id"], "lost", timeout=10)
            assert "heartbeat" in got["error"]["message"], got
    finally:
        first.close()


# ------------------------------------------------- the README's worker

WORKER = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples", "external-worker.sh")


def worker(srv, t, steps, step_command):
    env = dict(os.environ, HOURGLASS="http://127.0.0.1:%d" % srv.port,
               REPORT_URL=t["report"]["url"],
               REPORT_TOKEN=t["report"]["token"], STEPS=str(steps),
               STEP_COMMAND=step_command)
    return subprocess.Popen(["sh", WORKER], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_the_readme_shows_the_example_worker_whole():
    readme = os.path.join(os.path.dirname(WORKER), "..", "README.md")
    with open(readme) as f, open(WORKER) as w:
        assert "```sh\n" + w.read() + "```\n" in f.read(), \
            "README.md does not show examples/external-worker.sh as it is"


def test_the_example_worker_runs_its_task_to_the_end(srv):
    t = create(srv)
    p = worker(srv, t, 3, "echo working on step")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, (out, err)
    got = srv.task(t["id"])
    assert got["state"] == "succeeded", got
    assert got["progress"]["value"] == 3 and got["progress"]["total"] == 3
    assert got["progress"]["message"] == "all 3 steps done", got
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    assert log.startswith("starting on "), log
    for i in (1, 2, 3):
        assert "working on step %d\n" % i in log, log


def test_the_example_worker_honours_a_stop(srv):
    t = create(srv)
    step = os.path.join(srv.data, "slow-step.sh")
    with open(step, "w") as f:
        f.write("sleep 0.2\necho step $1\n")
    p = worker(srv, t, 1000, "sh " + step)
    try:
        srv.wait_task(t["id"], lambda x: x["progress"]["value"] >= 2,
                      what="two steps reported")
        r = srv.post("/api/tasks/%d/stop" % t["id"])
        assert r.status == 202, r
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, (out, err)
    got = srv.task(t["id"])
    assert got["state"] == "canceled", got
    assert got["progress"]["value"] < 1000, got


def test_reported_log_is_capped_with_one_marker_line():
    with Server(kinds=KINDS, env={"HOURGLASS_LOG_MAX": "1024"}) as srv:
        t = create(srv)
        ok(report(srv, t, "".join("line %02d of the log\n" % i
                                  for i in range(4))))
        ok(report(srv, t, "".join("more %03d past the cap\n" % i
                                  for i in range(60))))
        ok(report(srv, t, "and more after the marker\n"))
        log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
        lines = log.splitlines()
        assert lines[:4] == ["line %02d of the log" % i for i in range(4)]
        assert lines[-1].startswith("[hourglass: the log reached 1024 "), log
        assert sum("the log reached" in x for x in lines) == 1, log
        assert "after the marker" not in log, log
        ok(report(srv, t, '{"complete":1,"code":0}', JSON))


def test_reports_racing_the_end_leave_the_file_as_the_events_say(srv):
    # Reports of 50 log lines from six threads at once, and the complete
    # report among them: a report that loses the race with the end is
    # refused (409) and leaves none of its lines in the log file, where
    # before they stayed there with no log event.
    for _ in range(5):
        t = create(srv)
        ok(report(srv, t, "PROGRESS 1/2\n"))
        answers = []

        def worker(k):
            for j in range(6):
                body = "".join("w%d r%d line %d\n" % (k, j, i)
                               for i in range(50))
                answers.append(report(srv, t, body).status)

        threads = [threading.Thread(target=worker, args=(k,))
                   for k in range(6)]
        for th in threads:
            th.start()
        ok(report(srv, t, '{"complete": 1, "code": 0}\n'))
        for th in threads:
            th.join()
        assert set(answers) <= {200, 409}, answers
        srv.wait_finished(t["id"])
        log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
        lines = [e.json["line"] for e in srv.replay(t["id"])
                 if e.type == "log"]
        assert log.splitlines() == lines, (len(log.splitlines()),
                                           len(lines))
        assert len(lines) == 50 * answers.count(200), (
            len(lines), answers)
