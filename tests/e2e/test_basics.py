"""Health, kinds, create and get: the task object as the spec shows it."""

from harness import ACTIVE, check_task_shape, assert_error


def test_health_is_200_with_status_ok(srv):
    r = srv.get("/api/health")
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("application/json"), r
    assert r.json["status"] == "ok", r


def test_kinds_lists_count_with_its_params(srv):
    r = srv.get("/api/kinds")
    assert r.status == 200, r
    kinds = {k["name"]: k for k in r.json["kinds"]}
    count = kinds["count"]
    assert {"name", "description", "params"} <= set(count), count
    assert isinstance(count["description"], str), count
    p = count["params"]
    assert p["total"]["type"] == "integer", p
    assert (p["total"]["min"], p["total"]["max"], p["total"]["default"]) \
        == (1, 1000000, 150), p
    assert p["delay_ms"]["type"] == "integer", p
    assert (p["delay_ms"]["min"], p["delay_ms"]["max"],
            p["delay_ms"]["default"]) == (0, 60000, 50), p


def test_create_answers_201_with_location(srv):
    r = srv.post("/api/tasks", {"kind": "count",
                                "params": {"total": 1, "delay_ms": 0}})
    assert r.status == 201, r
    tid = r.json["id"]
    loc = r.headers["Location"]
    # The contract says the path; an absolute URL to it would do as well.
    assert loc in ("/api/tasks/%d" % tid, "http://127.0.0.1:%d/api/tasks/%d"
                   % (srv.port, tid)), loc
    g = srv.get("/api/tasks/%d" % tid)
    assert g.status == 200 and g.json["id"] == tid, g


def test_create_answers_json_utf8(srv):
    r = srv.post("/api/tasks", {"kind": "count",
                                "params": {"total": 1, "delay_ms": 0}})
    assert r.status == 201, r
    ctype = r.headers["Content-Type"].replace(" ", "").lower()
    assert ctype == "application/json;charset=utf-8", ctype


def test_create_without_params_fills_in_defaults(srv):
    t = srv.create("count")
    try:
        assert t["params"] == {"total": 150, "delay_ms": 50}, t
    finally:
        srv.stop_task(t["id"])


def test_create_with_params_returns_them(srv):
    t = srv.create("count", {"total": 3, "delay_ms": 0})
    assert t["kind"] == "count" and t["params"] == {"total": 3,
                                                    "delay_ms": 0}, t


def test_create_with_some_params_fills_in_the_rest(srv):
    t = srv.create("count", {"total": 2})
    assert t["params"] == {"total": 2, "delay_ms": 50}, t


def test_create_with_empty_params_fills_in_defaults(srv):
    t = srv.create("count", {})
    try:
        assert t["params"] == {"total": 150, "delay_ms": 50}, t
    finally:
        srv.stop_task(t["id"])


def test_created_task_has_exactly_the_spec_keys(srv):
    t = srv.create("count", {"total": 1, "delay_ms": 0})
    check_task_shape(t)
    assert t["state"] in ACTIVE | {"succeeded"}, t
    assert t["name"] is None and t["error"] is None, t
    assert t["exit_code"] is None, t


def test_new_task_progress_starts_at_zero(srv):
    t = srv.create("count", {"total": 1000, "delay_ms": 200})
    try:
        p = t["progress"]
        # Before any progress: value 0; total and percent may be null.
        assert p["value"] in (0, 1), p
        assert p["total"] in (None, 1000), p
        assert p["percent"] in (None, 0, 0.0, 0.1), p
        assert t["finished_at"] is None, t
    finally:
        srv.stop_task(t["id"])


def test_create_keeps_name(srv):
    t = srv.create("count", {"total": 1, "delay_ms": 0}, name="nightly run")
    assert t["name"] == "nightly run", t
    assert srv.task(t["id"])["name"] == "nightly run"


def test_create_keeps_unicode_name(srv):
    t = srv.create("count", {"total": 1, "delay_ms": 0},
                   name="d\u00e9j\u00e0 \u231b \U0001F600")
    assert srv.task(t["id"])["name"] == "d\u00e9j\u00e0 \u231b \U0001F600"


def test_create_accepts_null_name(srv):
    r = srv.post("/api/tasks", {"kind": "count", "name": None,
                                "params": {"total": 1, "delay_ms": 0}})
    assert r.status == 201 and r.json["name"] is None, r


def test_create_accepts_charset_in_content_type(srv):
    for ct in ("application/json; charset=utf-8",
               "application/json;charset=UTF-8",
               'application/json; charset="utf-8"',
               "Application/JSON; Charset=utf-8; x=1"):
        r = srv.post("/api/tasks", b'{"kind":"count","params":{"total":1,'
                     b'"delay_ms":0}}', headers={"Content-Type": ct})
        assert r.status == 201, (ct, r)


def test_create_in_another_charset_is_415(srv):
    """A body is read as UTF-8 (RFC 8259): one said to be in another
    charset is refused, not read as if it were UTF-8."""
    before = srv.task_ids()
    for ct in ("application/json; charset=latin1",
               "application/json; charset=utf-16",
               "application/json; charset=utf-8x",
               'application/json; charset="utf-8',
               "application/json; x=1; charset=iso-8859-1"):
        r = srv.post("/api/tasks", b'{"kind":"count"}',
                     headers={"Content-Type": ct})
        assert r.status == 415, (ct, r)
        assert r.json["error"]["code"] == "unsupported_media_type", r.json
        assert "UTF-8" in r.json["error"]["message"], r.json
    assert srv.task_ids() == before


def test_get_returns_the_task(srv):
    t = srv.create("count", {"total": 2, "delay_ms": 0}, name="x")
    r = srv.get("/api/tasks/%d" % t["id"])
    assert r.status == 200, r
    check_task_shape(r.json)
    for k in ("id", "kind", "name", "params", "created_at"):
        assert r.json[k] == t[k], (k, r.json, t)


def test_get_unknown_task_is_404(srv):
    assert_error(srv.get("/api/tasks/987654321"), 404, "not_found")


def test_count_task_succeeds_with_full_progress(srv):
    t = srv.create("count", {"total": 5, "delay_ms": 0})
    done = srv.wait_finished(t["id"])
    check_task_shape(done)
    assert done["state"] == "succeeded", done
    assert done["error"] is None, done
    p = done["progress"]
    assert (p["value"], p["total"]) == (5, 5), p
    assert p["percent"] == 100.0, p


def test_finished_task_has_ordered_timestamps(srv):
    t = srv.create("count", {"total": 3, "delay_ms": 1})
    done = srv.wait_finished(t["id"])
    # ISO 8601 UTC with milliseconds sorts as text.
    assert done["created_at"] <= done["started_at"] <= done["finished_at"], \
        done
    assert done["created_at"] == t["created_at"], (t, done)


def test_percent_is_rounded_to_one_decimal(srv):
    # 1 of 3 is 33.3 %, 2 of 3 is 66.7 %; a step lasts long enough to see.
    t = srv.create("count", {"total": 3, "delay_ms": 1000})
    try:
        seen = srv.wait_task(t["id"], lambda x: x["progress"]["value"] >= 1,
                             what="a first step")
        p = seen["progress"]
        assert p["total"] == 3, p
        assert p["percent"] == round(100.0 * p["value"] / 3, 1), p
    finally:
        srv.stop_task(t["id"])


def test_tasks_get_increasing_ids(srv):
    a = srv.create("count", {"total": 1, "delay_ms": 0})
    b = srv.create("count", {"total": 1, "delay_ms": 0})
    assert b["id"] > a["id"], (a, b)


def test_create_accepts_content_type_in_any_case(srv):
    # Media types are case-insensitive (RFC 9110, section 8.3.1).
    r = srv.post("/api/tasks", b'{"kind":"count","params":{"total":1,'
                 b'"delay_ms":0}}',
                 headers={"Content-Type": "Application/JSON;Charset=UTF-8"})
    assert r.status == 201, r


def test_root_serves_the_page(srv):
    r = srv.get("/")
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/html"), r
