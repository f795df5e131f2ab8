"""GET /api/tasks: order, filters, limit, paging and event_id."""

from harness import FINISHED, assert_error, check_task_shape

COUNT = {"total": {"type": "integer", "min": 1, "max": 1000000,
                   "default": 150},
         "delay_ms": {"type": "integer", "min": 0, "max": 60000,
                      "default": 50}}
# A second builtin kind, so that ?kind= has something to tell apart.
KINDS = {"kinds": [
    {"name": "count", "builtin": "count", "description": "Counts",
     "params": COUNT},
    {"name": "count2", "builtin": "count", "description": "Counts again",
     "params": COUNT}]}

QUICK = {"total": 1, "delay_ms": 0}


def listing(srv, query=""):
    r = srv.get("/api/tasks" + query)
    assert r.status == 200, r
    return r.json


def task_of(ev):
    d = ev.json
    return d["id"] if ev.type == "state" else d["task"]


def test_list_is_newest_first(srv):
    made = [srv.create("count", QUICK)["id"] for _ in range(3)]
    ids = [t["id"] for t in listing(srv)["tasks"]]
    assert ids == sorted(ids, reverse=True), ids
    assert ids[:3] == made[::-1], (ids, made)


def test_list_has_tasks_and_event_id(srv):
    srv.create("count", QUICK)
    body = listing(srv)
    assert set(body) >= {"tasks", "event_id"}, body
    assert isinstance(body["event_id"], int) and body["event_id"] >= 1, body
    for t in body["tasks"]:
        check_task_shape(t)


def test_list_state_filter_returns_only_that_state(srv):
    done = srv.create("count", QUICK)
    srv.wait_state(done["id"], "succeeded")
    slow = srv.create("count", {"total": 1000, "delay_ms": 200})
    try:
        srv.wait_state(slow["id"], "running")
        ok = listing(srv, "?state=succeeded&limit=500")["tasks"]
        assert ok and all(t["state"] == "succeeded" for t in ok), ok
        assert done["id"] in [t["id"] for t in ok]
        assert slow["id"] not in [t["id"] for t in ok]
        running = listing(srv, "?state=running&limit=500")["tasks"]
        assert all(t["state"] == "running" for t in running), running
        assert slow["id"] in [t["id"] for t in running], running
    finally:
        srv.stop_task(slow["id"])


def test_list_kind_filter_returns_only_that_kind(srv):
    a = srv.create("count", QUICK)["id"]
    b = srv.create("count2", QUICK)["id"]
    twos = listing(srv, "?kind=count2&limit=500")["tasks"]
    assert twos and all(t["kind"] == "count2" for t in twos), twos
    assert b in [t["id"] for t in twos] and a not in [t["id"] for t in twos]
    ones = listing(srv, "?kind=count&limit=500")["tasks"]
    assert all(t["kind"] == "count" for t in ones), ones
    assert a in [t["id"] for t in ones]


def test_list_filters_combine(srv):
    t = srv.create("count2", QUICK)["id"]
    srv.wait_state(t, "succeeded")
    both = listing(srv, "?kind=count2&state=succeeded&limit=500")["tasks"]
    assert t in [x["id"] for x in both], both
    assert all(x["kind"] == "count2" and x["state"] == "succeeded"
               for x in both), both


def test_list_limit_1_gives_the_newest_task(srv):
    newest = srv.create("count", QUICK)["id"]
    tasks = listing(srv, "?limit=1")["tasks"]
    assert [t["id"] for t in tasks] == [newest], tasks


def test_list_limit_500_is_accepted(srv):
    body = listing(srv, "?limit=500")
    assert len(body["tasks"]) <= 500, len(body["tasks"])


def test_list_default_limit_is_50(srv):
    have = len(listing(srv, "?limit=500")["tasks"])
    for _ in range(51 - have):
        srv.create("count", QUICK)
    assert len(listing(srv, "?limit=500")["tasks"]) >= 51
    assert len(listing(srv)["tasks"]) == 50


def test_list_limit_0_is_400(srv):
    assert_error(srv.get("/api/tasks?limit=0"), 400, "invalid_request")


def test_list_limit_501_is_400(srv):
    assert_error(srv.get("/api/tasks?limit=501"), 400, "invalid_request")


def test_list_limit_abc_is_400(srv):
    assert_error(srv.get("/api/tasks?limit=abc"), 400, "invalid_request")


def test_list_limit_negative_is_400(srv):
    assert_error(srv.get("/api/tasks?limit=-1"), 400, "invalid_request")


def test_list_limit_fraction_is_400(srv):
    assert_error(srv.get("/api/tasks?limit=1.5"), 400, "invalid_request")


def test_list_query_values_that_cannot_be_read_are_400(srv):
    """A value too long to read, or with a NUL in it, is refused: taken
    for none, it would widen the list."""
    srv.create("count", QUICK)
    for q, word in [("limit=" + "1" * 40, "limit"),
                    ("state=" + "x" * 40, "state"),
                    ("state=queued%00", "state"),
                    ("before=" + "9" * 40, "before"),
                    ("kind=", "kind"), ("kind=" + "k" * 65, "kind"),
                    ("kind=count%00x", "kind"),
                    ("kind=" + "k" * 200, "kind")]:
        r = srv.get("/api/tasks?" + q)
        assert_error(r, 400, "invalid_request")
        assert r.json["error"]["message"].startswith(word + ":"), (q, r)
    # The longest name a kind can have is a filter like any other.
    assert listing(srv, "?kind=" + "k" * 64)["tasks"] == []


def test_a_query_parameter_given_twice_is_400(srv):
    """Which of two values was meant is not guessed, on any route: the
    first one alone would answer for a filter the client did not ask."""
    tid = srv.create("count", QUICK)["id"]
    for path, word in [("/api/tasks?state=running&state=queued", "state"),
                       ("/api/tasks?limit=5&kind=count&limit=6", "limit"),
                       ("/api/tasks?kind&kind=count", "kind"),
                       ("/api/events?after=1&after=2", "after"),
                       ("/api/tasks/%d/log?tail=1&tail=2" % tid, "tail"),
                       ("/api/tasks/%d/data?name=a&name=b" % tid, "name"),
                       ("/api/schedules/preview?cron=*+*+*+*+*&cron=1",
                        "cron")]:
        r = srv.get(path)
        assert_error(r, 400, "invalid_request")
        assert r.json["error"]["message"] == (
            word + ": given more than once; give it once"), (path, r)
    # Keys alike only in part are two keys; a key given once is taken;
    # one no route reads is ignored, once or twice.
    assert listing(srv, "?state=queued&states=x&states=y&limit=5&_=1&_=2"
                   )["tasks"] == listing(srv, "?state=queued&limit=5")["tasks"]
    assert srv.get("/api/tasks?limit=5&limit").status == 400


def test_list_of_a_kind_never_answers_for_another_filter(srv):
    """Each filter's answer is kept apart: a kept answer of one is never
    the answer to another, nor to the whole list."""
    made = srv.create("count", QUICK)["id"]
    q = "&limit=500"
    seconds = [t["id"] for t in listing(srv, "?kind=count2" + q)["tasks"]]
    assert made not in seconds, seconds
    whole = listing(srv, "?limit=500")["tasks"]
    assert made in [t["id"] for t in whole], whole
    assert [t["id"] for t in listing(srv, "?kind=count" + q)["tasks"]] == [
        t["id"] for t in whole if t["kind"] == "count"]
    assert [t["id"] for t in listing(srv, "?kind=count2" + q)["tasks"]] == [
        t["id"] for t in whole if t["kind"] == "count2"]


def test_list_before_gives_older_tasks(srv):
    made = [srv.create("count", QUICK)["id"] for _ in range(3)]
    tasks = listing(srv, "?before=%d&limit=500" % made[-1])["tasks"]
    ids = [t["id"] for t in tasks]
    assert ids and all(i < made[-1] for i in ids), ids
    assert ids[:2] == [made[1], made[0]], (ids, made)


def test_list_before_pages_through_everything(srv):
    for _ in range(5):
        srv.create("count", QUICK)
    full = [t["id"] for t in listing(srv, "?limit=500")["tasks"]]
    paged, query = [], "?limit=7"
    while True:
        page = [t["id"] for t in listing(srv, query)["tasks"]]
        assert len(page) <= 7, page
        paged += page
        if len(page) < 7:
            break
        query = "?limit=7&before=%d" % page[-1]
        assert len(paged) <= len(full), "paging does not end"
    assert paged == full, (paged, full)


def test_list_before_the_oldest_is_empty(srv):
    oldest = listing(srv, "?limit=500")["tasks"][-1]["id"]
    assert listing(srv, "?before=%d" % oldest)["tasks"] == []


def test_list_event_id_then_events_after_it_miss_nothing(srv):
    # The page's way: list, then subscribe with ?after=<event_id>.
    e = listing(srv)["event_id"]
    tid = srv.create("count", {"total": 3, "delay_ms": 0})["id"]
    s = srv.sse("/api/events?after=%d" % e)
    try:
        assert s.status == 200, s.status
        s.read(until=lambda ev: ev.type == "state" and task_of(ev) == tid
               and ev.json["state"] in FINISHED)
        assert not s.timed_out, "no final state of %d: %s" % (tid, s.events)
        ids = [ev.n for ev in s.events]
        assert ids and ids[0] > e and ids == sorted(set(ids)), (e, ids)
    finally:
        s.close()
    mine = [ev for ev in s.events if task_of(ev) == tid]
    assert mine[0].type == "state", mine
    # Everything the task's own full replay holds, nothing missed.
    assert [ev.n for ev in mine] == [ev.n for ev in srv.replay(tid)], mine


def test_list_event_id_covers_a_finished_task(srv):
    tid = srv.create("count", {"total": 3, "delay_ms": 0})["id"]
    srv.wait_finished(tid)
    last = srv.replay(tid)[-1].n
    assert listing(srv)["event_id"] >= last, last


def test_list_read_twice_unchanged_is_the_same_answer(srv):
    tid = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
    srv.wait_finished(tid)
    first = srv.get("/api/tasks?limit=5")
    again = srv.get("/api/tasks?limit=5")
    assert first.status == again.status == 200
    assert first.body == again.body, (first, again)


def follow_in_pages(srv, tid, path):
    """Reads task tid in list pages (path(): the next page's URL) until
    it finishes, each never older than a single read just before it;
    checks it was seen queued or running, then succeeded at 3 of 3."""
    order = ["queued", "running", "succeeded"]
    seen = set()
    while True:
        before = srv.task(tid)
        t = [x for x in srv.get(path()).json["tasks"] if x["id"] == tid][0]
        assert order.index(t["state"]) >= order.index(before["state"]), \
            (before, t)
        assert t["progress"]["value"] >= before["progress"]["value"], \
            (before, t)
        seen.add((t["state"], t["progress"]["value"]))
        if t["state"] in FINISHED:
            break
    assert ("succeeded", 3) in seen, seen
    assert len(seen) >= 3, seen


def test_list_shows_every_change_at_once(srv):
    # Answers are kept between reads while nothing changed: each change
    # must show in the very next read, a delete included.
    tid = srv.create("count", {"total": 3, "delay_ms": 300})["id"]
    follow_in_pages(srv, tid, lambda: "/api/tasks?limit=5")
    listed = srv.get("/api/tasks?limit=5").json["tasks"]
    assert listed[0]["id"] == tid
    r = srv.delete("/api/tasks/%d" % tid)
    assert r.status == 204, r
    after = [x["id"] for x in srv.get("/api/tasks?limit=5").json["tasks"]]
    assert tid not in after, after


def test_list_pages_under_new_keys_show_every_change(srv):
    # A page asked under a key never asked before is not a kept answer,
    # but its tasks' objects may be kept from other pages: each must
    # still be the task as it is, the one that changes and those that
    # do not.
    still = [srv.create("count", QUICK)["id"] for _ in range(3)]
    for t in still:
        srv.wait_finished(t)
    tid = srv.create("count", {"total": 3, "delay_ms": 300})["id"]
    keys = iter(range(10 ** 9, 2 * 10 ** 9))
    follow_in_pages(srv, tid,
                    lambda: "/api/tasks?limit=4&before=%d" % next(keys))
    page = srv.get("/api/tasks?limit=4&before=%d" % next(keys))
    singles = [srv.get("/api/tasks/%d" % i).body for i in [tid] +
               still[::-1]]
    want = (b'{"tasks":[' + b",".join(singles) + b'],"event_id":' +
            str(page.json["event_id"]).encode() + b"}")
    assert page.body == want, (page.body, want)


def test_list_tasks_are_the_bytes_of_single_reads(srv):
    # The list is written as text straight from the rows, a single read
    # is printed from a cJSON tree: a client comparing them must find
    # the same bytes, escapes and number formats included.
    names = ["quo\"te \\ back/slash", "h\u00e9llo \u2713 \U0001F600",
             "ctl \u0001\u001f\u007f\t\n\r\b\f", "</script>", "", None]
    made = [srv.create("count", QUICK, name=n)["id"] for n in names]
    slow = srv.create("count", {"total": 1000, "delay_ms": 200})["id"]
    made.append(slow)
    srv.wait_state(slow, "running")
    srv.stop_task(slow)
    for tid in made:
        srv.wait_finished(tid)
    page = srv.get("/api/tasks?limit=%d&before=%d" % (len(made), slow + 1))
    assert page.status == 200, page
    assert [t["id"] for t in page.json["tasks"]] == made[::-1], page
    singles = [srv.get("/api/tasks/%d" % tid).body for tid in made[::-1]]
    want = (b'{"tasks":[' + b",".join(singles) + b'],"event_id":' +
            str(page.json["event_id"]).encode() + b"}")
    assert page.body == want, (page.body, want)
