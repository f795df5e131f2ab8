"""Results and incremental data end to end: data items and results sent by
a command (a /bin/sh -c kind printing lines) and by an external worker's
report, in order, live on SSE and replayed, paged through GET
/api/tasks/{id}/data; every refusal with the log line that says why; the
cap; '{' lines of 128 KiB; report bodies of 1 MiB."""

import json

from harness import Server, assert_error, wait_for

NAME_RULE = "^[A-Za-z][A-Za-z0-9_.-]{0,63}$"

KINDS = {"kinds": [
    {"name": "sh", "description": "runs its script with /bin/sh -c",
     "command": ["/bin/sh", "-c", "{script}"],
     "params": {"script": {"type": "string", "max_length": 20000}},
     "grace_s": 1},
    {"name": "remote", "external": True, "description": "runs elsewhere",
     "heartbeat_s": 30, "grace_s": 30},
    {"name": "shretry", "description": "sh, with two attempts more",
     "command": ["/bin/sh", "-c", "{script}"],
     "params": {"script": {"type": "string", "max_length": 20000}},
     "retries": 2, "retry_delay_s": 0.2},
]}

TEXT = "text/plain"
JSON = "application/json"


def sh(srv, script, wait=True):
    """Runs script as a task; returns the final task (or the new one)."""
    t = srv.create("sh", {"script": script})
    return srv.wait_finished(t["id"]) if wait else t


def lines(*ls):
    """A script that prints each line as it is (printf %s)."""
    return "".join("printf '%%s\\n' '%s'\n" % l.replace("'", "'\\''")
                   for l in ls)


def data_page(srv, tid, query=""):
    r = srv.get("/api/tasks/%d/data%s" % (tid, query))
    assert r.status == 200, r
    assert r.headers.get("Content-Type", "").startswith(JSON), r
    assert set(r.json) == {"items", "next", "count"}, r.json
    return r.json


def log_of(srv, tid):
    r = srv.get("/api/tasks/%d/log" % tid)
    assert r.status == 200, r
    return r.body.decode("utf-8").split("\n")[:-1]


def data_events(events):
    return [e for e in events if e.type == "data"]


def remote(srv):
    r = srv.post("/api/tasks", {"kind": "remote"})
    assert r.status == 201, r
    return r.json


def report(srv, task, body, ctype=TEXT):
    if isinstance(body, dict):
        body = json.dumps(body)
    return srv.post(task["report"]["url"], body, headers={
        "Content-Type": ctype,
        "Authorization": "Bearer " + task["report"]["token"]})


def ok(r):
    assert r.status == 200, r
    assert r.json == {"stop": False}, r


# ---------------------------------------------------------- from commands

def test_items_and_result_from_a_command_in_order(srv):
    t = sh(srv, lines(
        "before",
        '{"data": {"x": 1, "y": [true, null]}, "name": "row"}',
        "between",
        '{"data": "plain"}',
        '{"result": {"sum": 1}}',
        '{"result": {"sum": 2}}',
        "after"))
    assert t["state"] == "succeeded", t
    assert t["result"] == {"sum": 2}, t
    page = data_page(srv, t["id"])
    assert [(i["name"], i["data"]) for i in page["items"]] == [
        ("row", {"x": 1, "y": [True, None]}), ("data", "plain")], page
    assert page["next"] is None and page["count"] == 2, page
    assert log_of(srv, t["id"]) == ["before", "between", "after"]
    # The events keep the order of the lines; a data event's data is
    # {"task","name","data"}; the final state event has the result.
    evs = srv.replay(t["id"])
    seq = [(e.type, e.json.get("line") or e.json.get("name"))
           for e in evs if e.type in ("log", "data")]
    assert seq == [("log", "before"), ("data", "row"), ("log", "between"),
                   ("data", "data"), ("log", "after")], seq
    d = data_events(evs)
    assert d[0].json == {"task": t["id"], "name": "row",
                         "data": {"x": 1, "y": [True, None]}}, d[0]
    assert [i["id"] for i in page["items"]] == [e.n for e in d]
    final = [e for e in evs if e.type == "state"][-1].json
    assert final["state"] == "succeeded" and final["result"] == {"sum": 2}
    listed = [x for x in srv.get("/api/tasks").json["tasks"]
              if x["id"] == t["id"]]
    assert listed[0]["result"] == {"sum": 2}, listed


def test_numbers_in_items_and_results_come_back_as_sent(srv):
    # cJSON's printer made 9007199254740991 9.00719925474099e+15, and
    # 0.30000000000000004 0.3: another number than the one sent.
    vals = ("[9000000000000001,9007199254740991,-9007199254740991,"
            "0.30000000000000004,123456789.12345679,1.2345678901234568e+18]")
    t = sh(srv, lines('{"name": "n", "data": %s}' % vals,
                      '{"result": {"big": 9000000000000001}}'))
    assert t["state"] == "succeeded", t
    assert t["result"] == {"big": 9000000000000001}, t
    r = srv.get("/api/tasks/%d/data" % t["id"])
    assert r.status == 200 and vals.encode() in r.body, r.body
    assert r.json["items"][0]["data"] == json.loads(vals), r.json
    with srv.sse("/api/tasks/%d/events?after=0" % t["id"]) as s:
        s.read(timeout=10)
    assert [e.data for e in data_events(s.events)] == [
        '{"task":%d,"name":"n","data":%s}' % (t["id"], vals)], s.events


def test_numbers_past_a_double_come_back_as_sent(srv):
    # A double made them 9007199254740992, 1.2345678901234567e+19 and
    # 1.8446744073709552e+19: nanosecond stamps, 64-bit ids and hashes
    # came back as other numbers.
    vals = "[9007199254740993,12345678901234567890,1733600000123456789]"
    t = sh(srv, lines('{"name": "n", "data": %s}' % vals,
                      '{"result": 18446744073709551615}'))
    assert t["state"] == "succeeded", t
    assert t["result"] == 18446744073709551615, t
    r = srv.get("/api/tasks/%d/data" % t["id"])
    assert r.status == 200 and vals.encode() in r.body, r.body
    assert r.json["items"][0]["data"] == json.loads(vals), r.json
    # And from an external worker's report, as text and as JSON.
    task = remote(srv)
    ok(report(srv, task, '{"data": 9007199254740993}\n'))
    ok(report(srv, task, {"result": 12345678901234567890}, JSON))
    r = srv.get("/api/tasks/%d/data" % task["id"])
    assert b"9007199254740993" in r.body, r.body
    assert r.json["items"][0]["data"] == 9007199254740993, r.json
    got = srv.get("/api/tasks/%d" % task["id"]).json
    assert got["result"] == 12345678901234567890, got


def test_results_in_a_stream_are_written_once_a_second(srv):
    # 150 results in about 1.5 s: each written would be a state event
    # with the whole task (up to 64 KiB of result), kept by retention.
    # They are written a second apart at most; the last with the end.
    t = sh(srv, "i=0; while [ $i -lt 150 ]; do echo \"{\\\"result\\\": $i}\"; "
           "i=$((i + 1)); sleep 0.01; done\n")
    assert t["state"] == "succeeded" and t["result"] == 149, t
    states = [e.json for e in srv.replay(t["id"]) if e.type == "state"]
    results = [x["result"] for x in states]
    assert results[-1] == 149, results
    changes = [r for a, r in zip(results, results[1:]) if r != a]
    assert 1 <= len(changes) <= 4, results


def test_a_task_without_result_has_result_null(srv):
    t = sh(srv, "echo hi\n")
    assert "result" in t and t["result"] is None, t
    page = data_page(srv, t["id"])
    assert page == {"items": [], "next": None, "count": 0}, page


def test_a_complete_line_carries_the_result(srv):
    t = sh(srv, lines('{"result": 1}',
                      '{"complete": 1, "code": 0, "result": {"ok": true}}'))
    assert t["state"] == "succeeded" and t["result"] == {"ok": True}, t
    t = sh(srv, lines('{"complete": 1, "code": 3, "description": "bad", '
                      '"result": [1, 2]}'))
    assert t["state"] == "failed" and t["result"] == [1, 2], t
    assert t["exit_code"] == 3 and t["error"]["message"] == "bad", t


def big(key, n, name=None):
    """A shell fragment printing {"key": "<n x>"} (name too, if given)."""
    tail = '", "name": "%s"}' % name if name else '"}'
    return ("printf '{\"%s\": \"'; head -c %d /dev/zero | tr '\\0' x; "
            "printf '%s\\n'\n" % (key, n, tail))


def test_refused_lines_go_to_the_log_with_why(srv):
    script = (lines('{"data": 1, "name": "1x"}',
                    '{"data": 1, "name": 5}',
                    '{"data": 1, "result": 2}')
              + big("data", 70000) + big("result", 65535)
              + lines('{"data": "kept", "name": "ok"}'))
    t = sh(srv, script)
    assert t["state"] == "succeeded" and t["result"] is None, t
    page = data_page(srv, t["id"])
    assert [(i["name"], i["data"]) for i in page["items"]] == [
        ("ok", "kept")], page
    log = log_of(srv, t["id"])
    assert log[0:6] == [
        '{"data": 1, "name": "1x"}',
        'hourglass: data item refused: its name "1x" does not match '
        + NAME_RULE,
        '{"data": 1, "name": 5}',
        'hourglass: data item refused: its name must be a string '
        'matching ' + NAME_RULE,
        '{"data": 1, "result": 2}',
        'hourglass: line refused: it has both "data" and "result"; send '
        'each on a line of its own'], log[0:6]
    assert log[6] == '{"data": "' + "x" * 70000 + '"}', len(log[6])
    assert log[7] == ("hourglass: data item refused: it is 70002 bytes "
                      "serialized; the limit is 65536"), log[7]
    assert log[8] == '{"result": "' + "x" * 65535 + '"}', len(log[8])
    assert log[9] == ("hourglass: result refused: it is 65537 bytes "
                      "serialized; the limit is 65536"), log[9]
    assert len(log) == 10, log[10:]


def test_an_item_of_64_kib_is_taken(srv):
    t = sh(srv, big("data", 65534, name="big"))
    page = data_page(srv, t["id"])
    assert page["count"] == 1 and page["items"][0]["name"] == "big", page
    assert page["items"][0]["data"] == "x" * 65534
    assert log_of(srv, t["id"]) == []


def test_a_brace_line_of_128_kib_is_kept_whole(srv):
    # A data item padded with blanks to exactly 131072 bytes: whole, it
    # is JSON; cut, it would not be.
    head = len('{"data": "') + 60000 + 1
    pad = 131072 - head - 1
    t = sh(srv, "printf '{\"data\": \"'; head -c 60000 /dev/zero | "
           "tr '\\0' x; printf '\"'; head -c %d /dev/zero | tr '\\0' ' '; "
           "printf '}\\n'\n" % pad)
    page = data_page(srv, t["id"])
    assert page["count"] == 1 and page["items"][0]["data"] == "x" * 60000
    # Longer, it is cut at 128 KiB, and is then a log line of that size.
    t = sh(srv, "printf '{'; head -c 140000 /dev/zero | tr '\\0' y; "
           "printf '\\nnext\\n'\n")
    log = log_of(srv, t["id"])
    assert log == ["{" + "y" * 131071, "next"], [len(x) for x in log]
    assert data_page(srv, t["id"])["count"] == 0


def test_a_long_plain_line_is_still_cut_at_16_kib(srv):
    t = sh(srv, "head -c 40000 /dev/zero | tr '\\0' a; printf '\\nnext\\n'\n")
    assert log_of(srv, t["id"]) == ["a" * 16384, "next"]


def test_items_past_the_cap_are_dropped_with_one_log_line():
    with Server(kinds=KINDS, env={"HOURGLASS_DATA_MAX": "100"}) as s:
        # Each value is "<28 x>": 30 bytes; three fit in 100.
        script = "".join("echo '{\"data\": \"%s\"}'\n" % ("%02d" % i + "x" * 26)
                         for i in range(10)) + "echo done\n"
        t = sh(s, script)
        page = data_page(s, t["id"])
        assert page["count"] == 3, page
        assert [i["data"][:2] for i in page["items"]] == ["00", "01", "02"]
        log = log_of(s, t["id"])
        assert log == ["hourglass: data items reached HOURGLASS_DATA_MAX "
                       "(100 bytes); this item and later ones are dropped",
                       "done"], log
        # An external task's items are capped the same way.
        r = remote(s)
        ok(report(s, r, "\n".join('{"data": "%s"}' % ("z" * 48)
                                 for _ in range(3)) + "\n"))
        ok(report(s, r, '{"data": 1}\n'))
        assert data_page(s, r["id"])["count"] == 2
        assert log_of(s, r["id"]) == [
            "hourglass: data items reached HOURGLASS_DATA_MAX (100 bytes); "
            "this item and later ones are dropped"]


def test_the_cap_is_said_once_over_every_attempt():
    # One HOURGLASS_DATA_MAX for the task, and one line saying so: the
    # second and third attempts find it reached, and drop their items
    # without a word.
    with Server(kinds=KINDS, env={"HOURGLASS_DATA_MAX": "100"}) as s:
        script = "".join("echo '{\"data\": \"%s\"}'\n" % ("%02d" % i + "x" * 26)
                         for i in range(5)) + "exit 3\n"
        t = s.create("shretry", {"script": script})
        t = s.wait_finished(t["id"], timeout=30)
        assert t["state"] == "failed" and t["attempt"] == 3, t
        assert data_page(s, t["id"])["count"] == 3
        log = log_of(s, t["id"])
        assert log == [
            "hourglass: data items reached HOURGLASS_DATA_MAX (100 bytes); "
            "this item and later ones are dropped",
            "[hourglass: attempt 2 of 3]", "[hourglass: attempt 3 of 3]"], log


def test_data_events_go_out_live_and_replay(srv):
    t = sh(srv, "sleep 0.5\n" + lines('{"data": 1, "name": "a"}')
           + "sleep 0.3\n" + lines('{"data": 2, "name": "b"}', "end"),
           wait=False)
    with srv.sse("/api/tasks/%d/events" % t["id"]) as s:
        assert s.status == 200
        s.read(until=lambda e: e.type == "data" and e.json["name"] == "b",
               timeout=20)
        live = data_events(s.events)
        assert [(e.json["name"], e.json["data"]) for e in live] == [
            ("a", 1), ("b", 2)], live
        assert live[0].json["task"] == t["id"]
    srv.wait_finished(t["id"])
    # Resumed after the first item: the second, once, and no repeat.
    with srv.sse("/api/tasks/%d/events" % t["id"],
                 headers={"Last-Event-ID": str(live[0].n)}) as s:
        s.read(timeout=20)
        again = data_events(s.events)
        assert [e.n for e in again] == [live[1].n], again
    assert [e.n for e in data_events(srv.replay(t["id"], live[0].n - 1))] \
        == [live[0].n, live[1].n]
    # And on the stream of every task.
    with srv.sse("/api/events?after=%d" % (live[0].n - 1)) as s:
        s.read(until=lambda e: e.n >= live[1].n, timeout=20)
        assert [e.n for e in data_events(s.events)
                if e.json["task"] == t["id"]] == [live[0].n, live[1].n]


# ------------------------------------------------------------- the pages

def test_pages_with_after_limit_and_name(srv):
    script = ("i=0; while [ $i -lt 25 ]; do "
              "if [ $((i % 2)) = 0 ]; then n=a; else n=b; fi; "
              "echo \"{\\\"data\\\": $i, \\\"name\\\": \\\"$n\\\"}\"; "
              "i=$((i + 1)); done\n")
    t = sh(srv, script)
    tid = t["id"]
    p1 = data_page(srv, tid, "?limit=10")
    assert [i["data"] for i in p1["items"]] == list(range(10))
    assert p1["next"] == p1["items"][-1]["id"] and p1["count"] == 25
    p2 = data_page(srv, tid, "?limit=10&after=%d" % p1["next"])
    assert [i["data"] for i in p2["items"]] == list(range(10, 20))
    p3 = data_page(srv, tid, "?limit=10&after=%d" % p2["next"])
    assert [i["data"] for i in p3["items"]] == list(range(20, 25))
    assert p3["next"] is None and p3["count"] == 25
    # Exactly one page's worth left: next is null too.
    p4 = data_page(srv, tid, "?limit=5&after=%d" % p2["next"])
    assert len(p4["items"]) == 5 and p4["next"] is None
    # The default limit is 100: all 25.
    assert len(data_page(srv, tid)["items"]) == 25
    a = data_page(srv, tid, "?name=a")
    assert [i["data"] for i in a["items"]] == list(range(0, 25, 2))
    assert {i["name"] for i in a["items"]} == {"a"} and a["count"] == 25
    b = data_page(srv, tid, "?name=b&limit=3")
    assert [i["data"] for i in b["items"]] == [1, 3, 5]
    assert b["next"] == b["items"][-1]["id"]
    assert data_page(srv, tid, "?after=%d" % p3["items"][-1]["id"])[
        "items"] == []
    assert data_page(srv, tid, "?name=zz")["items"] == []


def test_a_page_stops_at_4_mib_with_next_set(srv):
    # 80 items of 60 KB: about 4.8 MB, more than a page holds.
    t = sh(srv, "i=0; while [ $i -lt 80 ]; do "
           "printf '{\"data\": \"'; head -c 60000 /dev/zero | tr '\\0' z; "
           "printf '\"}\\n'; i=$((i + 1)); done\n")
    p1 = data_page(srv, t["id"], "?limit=1000")
    n = len(p1["items"])
    assert 60 <= n < 80 and p1["count"] == 80, (n, p1["count"])
    assert p1["next"] == p1["items"][-1]["id"]
    p2 = data_page(srv, t["id"], "?limit=1000&after=%d" % p1["next"])
    assert len(p2["items"]) == 80 - n and p2["next"] is None


def test_bad_query_values_are_400(srv):
    t = sh(srv, "true\n")
    for q, word in [("after=-1", "after"), ("after=abc", "after"),
                    ("after=1.5", "after"), ("after=", "after"),
                    ("after=99999999999999999999", "after"),
                    ("name=1x", "name"), ("name=", "name"),
                    ("name=" + "n" * 65, "name"), ("name=" + "n" * 300,
                                                   "name"),
                    ("limit=0", "limit"), ("limit=1001", "limit"),
                    ("limit=x", "limit"), ("limit=", "limit"),
                    ("limit=-5", "limit"), ("limit=10.0", "limit"),
                    ("name=a%00", "name"), ("limit=1%00", "limit"),
                    ("after=0%00", "after")]:
        r = srv.get("/api/tasks/%d/data?%s" % (t["id"], q))
        assert_error(r, 400, "invalid_request")
        assert r.json["error"]["message"].startswith(word + ":"), (q, r)
    # The edges are taken; unknown parameters are ignored, as elsewhere.
    for q in ["after=0", "limit=1", "limit=1000", "name=" + "n" * 64,
              "other=1"]:
        data_page(srv, t["id"], "?" + q)


def test_unknown_or_malformed_ids_and_methods(srv):
    for path in ["/api/tasks/999999/data", "/api/tasks/abc/data",
                 "/api/tasks/0/data", "/api/tasks/-1/data",
                 "/api/tasks/99999999999999999999/data"]:
        assert_error(srv.get(path), 404, "not_found")
    t = sh(srv, "true\n")
    r = srv.post("/api/tasks/%d/data" % t["id"], "")
    assert_error(r, 405, "method_not_allowed")
    assert r.headers.get("Allow") == "GET", r


# --------------------------------------------------------- from reports

def test_items_and_results_from_a_report(srv):
    t = remote(srv)
    ok(report(srv, t, "first\n"
              '{"data": {"a": 1}, "name": "row"}\n'
              "second\n"
              '{"data": 2}\n'
              '{"result": "half"}\n'))
    assert srv.task(t["id"])["result"] == "half"
    ok(report(srv, t, {"data": [3], "name": "row"}, JSON))
    ok(report(srv, t, {"result": {"n": 3}}, JSON))
    assert srv.task(t["id"])["result"] == {"n": 3}
    ok(report(srv, t, '{"complete": 1, "code": 0, "result": "done"}\n'))
    task = srv.wait_finished(t["id"])
    assert task["state"] == "succeeded" and task["result"] == "done", task
    page = data_page(srv, t["id"])
    assert [(i["name"], i["data"]) for i in page["items"]] == [
        ("row", {"a": 1}), ("data", 2), ("row", [3])], page
    assert log_of(srv, t["id"]) == ["first", "second"]
    evs = srv.replay(t["id"])
    seq = [(e.type, e.json.get("line") or e.json.get("name"))
           for e in evs if e.type in ("log", "data")]
    assert seq == [("log", "first"), ("data", "row"), ("log", "second"),
                   ("data", "data"), ("data", "row")], seq
    assert [e for e in evs if e.type == "state"][-1].json["result"] == "done"


def test_refused_report_lines_go_to_the_log_with_why(srv):
    t = remote(srv)
    ok(report(srv, t, '{"data": 1, "name": "bad name"}\n'
              '{"data": 1, "result": 2}\n'))
    ok(report(srv, t, {"result": "r" * 70000}, JSON))
    log = log_of(srv, t["id"])
    assert log[:4] == [
        '{"data": 1, "name": "bad name"}',
        'hourglass: data item refused: its name "bad name" does not '
        'match ' + NAME_RULE,
        '{"data": 1, "result": 2}',
        'hourglass: line refused: it has both "data" and "result"; send '
        'each on a line of its own'], log
    assert log[4] == '{"result":"' + "r" * 70000 + '"}', len(log[4])
    assert log[5] == ("hourglass: result refused: it is 70002 bytes "
                      "serialized; the limit is 65536")
    assert srv.task(t["id"])["result"] is None
    assert data_page(srv, t["id"])["count"] == 0


def test_a_report_of_200_kib_is_taken_and_over_1_mib_is_413(srv):
    t = remote(srv)
    body = "".join('{"data": "%s", "name": "part"}\n' % (str(i) * 50000)
                   for i in range(4))
    assert len(body) > 200000
    ok(report(srv, t, body))
    page = data_page(srv, t["id"])
    assert page["count"] == 4 and page["items"][3]["data"] == "3" * 50000
    r = report(srv, t, "x" * (1024 * 1024 + 1))
    assert_error(r, 413, "too_large")
    assert "1048576" in r.json["error"]["message"], r
    # 1 MiB itself is taken (its log lines go to the log).
    ok(report(srv, t, ("y" * 1023 + "\n") * 1024))
    # Other bodies stay at 64 KiB.
    r = srv.post("/api/tasks", "{" + " " * 65536 + "}",
                 headers={"Content-Type": JSON})
    assert_error(r, 413, "too_large")
    wait_for(lambda: srv.task(t["id"])["state"] == "running", 5)


def test_a_burst_of_large_items_reaches_a_watcher_whole():
    # 300 items of 60 KB: 18 MB of frames, more than the feed keeps in
    # memory (HG_FEED_RING_BYTES); a watcher gets each, once, in order.
    with Server(kinds=KINDS, env={"HOURGLASS_DATA_MAX": "67108864"}) as s:
        after = s.get("/api/tasks").json["event_id"]
        with s.sse("/api/events?after=%d" % after) as w:
            t = sh(s, "i=0; while [ $i -lt 300 ]; do "
                   "printf '{\"data\": \"'; head -c 60000 /dev/zero | "
                   "tr '\\0' x; printf '\", \"name\": \"n%d\"}\\n' $i; "
                   "i=$((i + 1)); done\n", wait=False)
            w.read(until=lambda e: e.type == "data" and
                   e.json["name"] == "n299", timeout=60)
            got = [e for e in data_events(w.events)
                   if e.json["task"] == t["id"]]
        assert [e.json["name"] for e in got] == [
            "n%d" % i for i in range(300)], len(got)
        assert all(len(e.json["data"]) == 60000 for e in got)
        ids = [e.n for e in got]
        assert ids == sorted(set(ids))
        s.wait_finished(t["id"])
        assert data_page(s, t["id"], "?limit=1")["count"] == 300


def test_a_number_past_a_double_is_refused_not_made_null(srv):
    t = sh(srv, lines('{"data": 1e400}', '{"result": [-1e999]}', "end"))
    assert data_page(srv, t["id"])["count"] == 0
    assert t["result"] is None, t
    log = log_of(srv, t["id"])
    why = "a number is too large for a double (about 1.8e308 at most)"
    assert log == ['{"data": 1e400}', "hourglass: line refused: " + why,
                   '{"result": [-1e999]}', "hourglass: line refused: " + why,
                   "end"], log
