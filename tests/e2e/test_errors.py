"""Bad input, one case per test: each gets its status and error code, and
afterwards the server still answers and has stored nothing.

Most tests here are made from tables, so that every case has its own name
(`test_create_<case>_is_<status>`) without a page of copies."""

import json
import os
import resource

from harness import assert_error, owned_pids, read_proc

INT = {"type": "integer"}
# count2 exercises every parameter type and rule of the spec; count_req
# has a required parameter (no default).
KINDS = {"kinds": [
    {"name": "count", "builtin": "count", "description": "Counts",
     "params": {"total": dict(INT, min=1, max=1000000, default=150),
                "delay_ms": dict(INT, min=0, max=60000, default=50)}},
    {"name": "count2", "builtin": "count", "description": "Every type",
     "params": {"total": dict(INT, min=1, max=100, default=1),
                "delay_ms": dict(INT, min=0, max=1000, default=0),
                "ratio": {"type": "number", "min": 0, "max": 1,
                          "default": 0.5},
                "label": {"type": "string", "pattern": "^[a-z]+$",
                          "max_length": 8, "default": "abc"},
                "mode": {"type": "string", "enum": ["fast", "slow"],
                         "default": "fast"},
                "flag": {"type": "boolean", "default": False}}},
    {"name": "count_req", "builtin": "count", "description": "Needs a tag",
     "params": {"total": dict(INT, min=1, max=100, default=1),
                "delay_ms": dict(INT, min=0, max=1000, default=0),
                "tag": {"type": "string", "max_length": 20}}}]}

JSON_CT = {"Content-Type": "application/json"}
GOOD = b'{"kind":"count","params":{"total":1,"delay_ms":0}}'


def body(kind="count", **params):
    return json.dumps({"kind": kind, "params": params}).encode()


def nested(depth):
    """A create body nested `depth` deep, the top object counting 1."""
    arrays = depth - 2      # the top object and params are two levels
    return (b'{"kind":"count","params":{"total":' + b"[" * arrays
            + b"]" * arrays + b"}}")


def padded(size):
    """A valid create body of exactly `size` bytes (spaces inside)."""
    return GOOD[:-1] + b" " * (size - len(GOOD)) + b"}"


def reference_task(srv):
    """A finished task with the smallest id, so that a lenient id parser
    (01, 1.0, +1) would find something instead of answering 404."""
    ids = srv.task_ids()
    if not ids:
        tid = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
        srv.wait_finished(tid)
        ids = [tid]
    return min(ids)


# ------------------------------------------------------------ create bodies

def bad_create(name, data, status, code, headers=JSON_CT, mentions=()):
    def test(srv):
        before = srv.task_ids()
        r = srv.post("/api/tasks", data, headers=dict(headers))
        err = assert_error(r, status, code)
        for word in mentions:
            assert word in err["message"], (word, err)
        srv.assert_unharmed(before)
    test.__name__ = name
    globals()[name] = test


# Content-Type
bad_create("test_create_without_content_type_is_415", GOOD, 415,
           "unsupported_media_type", headers={})
bad_create("test_create_as_text_plain_is_415", GOOD, 415,
           "unsupported_media_type", headers={"Content-Type": "text/plain"})
bad_create("test_create_as_form_is_415", GOOD, 415, "unsupported_media_type",
           headers={"Content-Type": "application/x-www-form-urlencoded"})
bad_create("test_create_as_json_lookalike_is_415", GOOD, 415,
           "unsupported_media_type",
           headers={"Content-Type": "application/jsonx"})

# Not an object at the top
bad_create("test_create_top_level_array_is_400", b'[{"kind":"count"}]', 400,
           "invalid_request")
bad_create("test_create_top_level_string_is_400", b'"count"', 400,
           "invalid_request")
bad_create("test_create_top_level_number_is_400", b"42", 400,
           "invalid_request")
bad_create("test_create_top_level_null_is_400", b"null", 400,
           "invalid_request")
bad_create("test_create_unknown_top_level_field_is_400",
           b'{"kind":"count","colour":"red"}', 400, "invalid_request",
           mentions=["colour"])

# Not JSON, or JSON we refuse
bad_create("test_create_malformed_json_is_400", b'{"kind": "count"', 400,
           "invalid_json")
bad_create("test_create_empty_body_is_400", b"", 400, "invalid_json")
bad_create("test_create_trailing_garbage_is_400", GOOD + b" x", 400,
           "invalid_json")
bad_create("test_create_single_quotes_is_400", b"{'kind':'count'}", 400,
           "invalid_json")
# RFC 8259: control characters must be escaped inside strings, and only
# space, tab, CR and LF are whitespace (cJSON alone would let both pass).
bad_create("test_create_raw_control_character_in_string_is_400",
           b'{"kind":"count","name":"a\x01b"}', 400, "invalid_json")
bad_create("test_create_raw_newline_in_string_is_400",
           b'{"kind":"count","name":"a\nb"}', 400, "invalid_json")
bad_create("test_create_form_feed_as_whitespace_is_400",
           b'{"kind":\x0c"count"}', 400, "invalid_json")
# Numbers outside the JSON grammar (strtod would take them).
bad_create("test_create_number_with_leading_zero_is_400",
           b'{"kind":"count","params":{"total":01}}', 400, "invalid_json")
bad_create("test_create_number_with_plus_sign_is_400",
           b'{"kind":"count","params":{"total":+1}}', 400, "invalid_json")
bad_create("test_create_number_without_integer_part_is_400",
           b'{"kind":"count2","params":{"ratio":.5}}', 400, "invalid_json")
bad_create("test_create_depth_33_is_400", nested(33), 400, "invalid_json")
bad_create("test_create_depth_10000_is_400", nested(10000), 400,
           "invalid_json")
bad_create("test_create_raw_nul_in_string_is_400",
           b'{"kind":"count","name":"a\x00b"}', 400, "invalid_json")
bad_create("test_create_raw_nul_after_object_is_400", GOOD + b"\x00", 400,
           "invalid_json")
bad_create("test_create_escaped_nul_in_name_is_400",
           b'{"kind":"count","name":"a\\u0000b"}', 400, "invalid_json")
bad_create("test_create_escaped_nul_in_kind_is_400",
           b'{"kind":"count\\u0000x"}', 400, "invalid_json")
bad_create("test_create_invalid_utf8_is_400",
           b'{"kind":"count","name":"a\xffb"}', 400, "invalid_json")
bad_create("test_create_overlong_utf8_is_400",
           b'{"kind":"count","name":"a\xc0\xafb"}', 400, "invalid_json")
bad_create("test_create_utf8_surrogate_is_400",
           b'{"kind":"count","name":"a\xed\xa0\x80b"}', 400, "invalid_json")
bad_create("test_create_truncated_utf8_is_400",
           b'{"kind":"count","name":"a\xe2\x82"}', 400, "invalid_json")
bad_create("test_create_duplicate_key_is_400",
           b'{"kind":"count","kind":"count"}', 400, "invalid_json")
bad_create("test_create_duplicate_param_is_400",
           b'{"kind":"count","params":{"total":1,"total":2}}', 400,
           "invalid_json")

# kind and name
bad_create("test_create_without_kind_is_400", b'{"params":{"total":1}}', 400,
           "invalid_request", mentions=["kind"])
bad_create("test_create_numeric_kind_is_400", b'{"kind":42}', 400,
           "invalid_request", mentions=["kind"])
bad_create("test_create_null_kind_is_400", b'{"kind":null}', 400,
           "invalid_request", mentions=["kind"])
bad_create("test_create_unknown_kind_is_422", b'{"kind":"nope"}', 422,
           "unknown_kind", mentions=["nope"])
bad_create("test_create_numeric_name_is_400", b'{"kind":"count","name":5}',
           400, "invalid_request", mentions=["name"])
# README's decision: a name is at most 200 bytes.
bad_create("test_create_name_over_200_bytes_is_400",
           json.dumps({"kind": "count", "name": "n" * 201}).encode(), 400,
           "invalid_request", mentions=["name"])

# params: every rule, the message naming params.<name>
for case, data, word in [
        ("unknown_param", body(colour=1), "params.colour"),
        ("total_0", body(total=0), "params.total"),
        ("total_above_max", body(total=1000001), "params.total"),
        ("total_fraction", body(total=1.5), "params.total"),
        ("total_string", body(total="5"), "params.total"),
        ("total_boolean", body(total=True), "params.total"),
        ("total_huge", b'{"kind":"count","params":{"total":1e300}}',
         "params.total"),
        ("total_object", body(total={}), "params.total"),
        ("delay_negative", body(delay_ms=-1), "params.delay_ms"),
        ("depth_32", nested(32), "params.total"),
        ("number_above_max", body("count2", ratio=1.5), "params.ratio"),
        ("number_below_min", body("count2", ratio=-0.1), "params.ratio"),
        ("number_as_string", body("count2", ratio="0.5"), "params.ratio"),
        ("string_against_pattern", body("count2", label="ABC"),
         "params.label"),
        ("string_too_long", body("count2", label="abcdefghi"),
         "params.label"),
        ("string_as_number", body("count2", label=5), "params.label"),
        ("string_outside_enum", body("count2", mode="medium"),
         "params.mode"),
        ("boolean_as_string", body("count2", flag="true"), "params.flag"),
        ("boolean_as_number", body("count2", flag=1), "params.flag"),
        ("missing_required_param", body("count_req"), "params.tag")]:
    bad_create("test_create_%s_is_422" % case, data, 422, "invalid_params",
               mentions=[word])


def test_create_out_of_range_message_names_the_rule(srv):
    err = assert_error(srv.post("/api/tasks", body(total=1000001),
                                headers=JSON_CT), 422, "invalid_params")
    assert "params.total" in err["message"] and "1000000" in err["message"], \
        err


def test_create_params_not_an_object_is_refused(srv):
    # 400 invalid_request or 422 invalid_params: the spec allows either.
    before = srv.task_ids()
    r = srv.post("/api/tasks", b'{"kind":"count","params":[1]}',
                 headers=JSON_CT)
    assert r.status in (400, 422), r
    assert_error(r, r.status, {400: "invalid_request",
                               422: "invalid_params"}[r.status])
    srv.assert_unharmed(before)


def test_create_accepts_every_param_type(srv):
    t = srv.create("count2", {"ratio": 0.25, "label": "xyz", "mode": "slow",
                              "flag": True})
    assert t["params"] == {"total": 1, "delay_ms": 0, "ratio": 0.25,
                           "label": "xyz", "mode": "slow", "flag": True}, t


def test_create_number_param_accepts_an_integer(srv):
    t = srv.create("count2", {"ratio": 1})
    assert t["params"]["ratio"] == 1, t


def test_create_name_of_200_bytes_is_201(srv):
    t = srv.create("count", {"total": 1, "delay_ms": 0}, name="n" * 200)
    assert t["name"] == "n" * 200, t


def test_create_max_length_counts_characters(srv):
    # README's decision: code points, not bytes. 20 e-acute are 40 bytes.
    t = srv.create("count_req", {"tag": "\u00e9" * 20})
    assert t["params"]["tag"] == "\u00e9" * 20, t
    err = assert_error(srv.post("/api/tasks", body("count_req",
                                                   tag="\u00e9" * 21),
                                headers=JSON_CT), 422, "invalid_params")
    assert "params.tag" in err["message"], err


def test_create_required_param_given_is_201(srv):
    t = srv.create("count_req", {"tag": "hello"})
    assert t["params"] == {"total": 1, "delay_ms": 0, "tag": "hello"}, t


# --------------------------------------------------------------- body size

def test_create_body_of_64_kib_is_accepted(srv):
    r = srv.post("/api/tasks", padded(65536), headers=JSON_CT)
    assert r.status == 201, r


def test_create_body_of_64_kib_plus_1_is_413(srv):
    before = srv.task_ids()
    r = srv.post("/api/tasks", padded(65537), headers=JSON_CT)
    assert_error(r, 413, "too_large")
    srv.assert_unharmed(before)


def test_create_body_of_2_mib_is_413(srv):
    before = srv.task_ids()
    data = padded(2 * 1024 * 1024)
    r = srv.raw(b"POST /api/tasks HTTP/1.1\r\nHost: x\r\nConnection: close"
                b"\r\nContent-Type: application/json\r\nContent-Length: %d"
                b"\r\n\r\n" % len(data) + data)
    assert_error(r, 413, "too_large")
    srv.assert_unharmed(before)


def test_create_chunked_body_over_64_kib_is_413(srv):
    # No Content-Length up front: the limit must hold while reading.
    before = srv.task_ids()
    data = padded(70000)
    r = srv.raw(b"POST /api/tasks HTTP/1.1\r\nHost: x\r\nConnection: close"
                b"\r\nContent-Type: application/json\r\nTransfer-Encoding: "
                b"chunked\r\n\r\n%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n")
    assert_error(r, 413, "too_large")
    srv.assert_unharmed(before)


# ---------------------------------------------------------- wrong methods

def wrong_method(name, method, path, allowed):
    def test(srv):
        tid = reference_task(srv)
        before = srv.task_ids()
        r = srv.request(method, path.format(id=tid))
        assert_error(r, 405, "method_not_allowed")
        allow = {m.strip() for m in r.headers.get("Allow", "").split(",")}
        assert set(allowed) <= allow, (allowed, r.headers.get("Allow"))
        srv.assert_unharmed(before)
    test.__name__ = name
    globals()[name] = test


wrong_method("test_put_tasks_is_405", "PUT", "/api/tasks", ["GET", "POST"])
wrong_method("test_delete_tasks_is_405", "DELETE", "/api/tasks",
             ["GET", "POST"])
wrong_method("test_post_health_is_405", "POST", "/api/health", ["GET"])
wrong_method("test_delete_health_is_405", "DELETE", "/api/health", ["GET"])
wrong_method("test_post_kinds_is_405", "POST", "/api/kinds", ["GET"])
wrong_method("test_post_task_is_405", "POST", "/api/tasks/{id}",
             ["GET", "DELETE"])
wrong_method("test_put_task_is_405", "PUT", "/api/tasks/{id}",
             ["GET", "DELETE"])
wrong_method("test_patch_task_is_405", "PATCH", "/api/tasks/{id}",
             ["GET", "DELETE"])
wrong_method("test_delete_stop_is_405", "DELETE", "/api/tasks/{id}/stop",
             ["POST"])
wrong_method("test_post_task_events_is_405", "POST",
             "/api/tasks/{id}/events", ["GET"])
wrong_method("test_post_events_is_405", "POST", "/api/events", ["GET"])


# ------------------------------------------------------ unknown API paths

def unknown_path(name, method, path):
    def test(srv):
        tid = reference_task(srv)
        before = srv.task_ids()
        assert_error(srv.request(method, path.format(id=tid)), 404,
                     "not_found")
        srv.assert_unharmed(before)
    test.__name__ = name
    globals()[name] = test


unknown_path("test_unknown_api_path_is_404", "GET", "/api/nope")
unknown_path("test_api_root_is_404", "GET", "/api/")
unknown_path("test_api_path_with_suffix_is_404", "GET", "/api/taskss")
unknown_path("test_unknown_task_subpath_is_404", "GET",
             "/api/tasks/{id}/nope")
unknown_path("test_stop_with_extra_segment_is_404", "POST",
             "/api/tasks/{id}/stop/now")
unknown_path("test_health_with_extra_segment_is_404", "GET",
             "/api/health/x")
unknown_path("test_empty_task_id_is_404", "GET", "/api/tasks//events")


# --------------------------------------------------------- malformed ids

BAD_IDS = [("abc", "abc"), ("negative", "-1"), ("zero", "0"),
           ("leading_zero", "01"), ("hex", "0x10"), ("exponent", "1e3"),
           ("fraction", "1.0"), ("plus", "+1"), ("space", "%201"),
           ("twenty_digits", "99999999999999999999"),
           ("two_to_63", "9223372036854775808"),
           ("largest_unknown", "9223372036854775807")]
ID_ROUTES = [("get", "GET", "/api/tasks/%s"),
             ("stop", "POST", "/api/tasks/%s/stop"),
             ("delete", "DELETE", "/api/tasks/%s"),
             ("events", "GET", "/api/tasks/%s/events")]

for route, method, path in ID_ROUTES:
    for case, tid in BAD_IDS:
        unknown_path("test_%s_id_%s_is_404" % (route, case), method,
                     path % tid)


# --------------------------------------------------- odd stream positions

def test_list_before_twenty_digits_is_not_a_crash(srv):
    r = srv.get("/api/tasks?before=99999999999999999999")
    assert r.status in (200, 400), r
    assert srv.get("/api/health").status == 200


def test_events_after_garbage_is_not_a_crash(srv):
    with srv.sse("/api/events?after=abc") as s:
        assert s.status in (200, 400), (s.status, s.body)
    assert srv.get("/api/health").status == 200


def test_events_after_that_cannot_be_read_is_400(srv):
    """Too long, or with a NUL: refused, never taken for no ?after= (a
    stream from now on, with nothing replayed)."""
    for q in ("9" * 40, "1%00", "0%00", ""):
        with srv.sse("/api/events?after=" + q) as s:
            assert s.status == 400, (q, s.status, s.body)
    tid = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
    with srv.sse("/api/tasks/%d/events?after=" % tid) as s:
        assert s.status == 400, (s.status, s.body)


def test_last_event_id_garbage_is_not_a_crash(srv):
    tid = reference_task(srv)
    for value in ("abc", "-1", "99999999999999999999"):
        with srv.sse("/api/tasks/%d/events" % tid,
                     headers={"Last-Event-ID": value}) as s:
            assert s.status in (200, 204, 400), (value, s.status, s.body)
    assert srv.get("/api/health").status == 200


def test_requests_nginx_refuses_itself_answer_the_error_object(srv):
    """Refused by nginx before hourglass-fcgi sees them: still the
    contract's JSON error object, with its security headers."""
    host = b"Host: 127.0.0.1\r\n"
    cases = [
        (b"GET /api/tasks/1%00 HTTP/1.1\r\n" + host, 400, "invalid_request"),
        (b"GET /api/%zz HTTP/1.1\r\n" + host, 400, "invalid_request"),
        (b"POST /api/tasks/1%00/report HTTP/1.1\r\n" + host +
         b"Content-Length: 0\r\n", 400, "invalid_request"),
        (b"GET /api/tasks HTTP/1.1\r\n", 400, "invalid_request"),
        (b"GET /api/tasks HTTP/1.1\r\n" + host + b"X-Big: " +
         b"b" * 20000 + b"\r\n", 400, "invalid_request"),
        (b"GET /api/tasks/" + b"1" * 20000 + b" HTTP/1.1\r\n" + host, 414,
         "invalid_request"),
        (b"TRACE /api/tasks HTTP/1.1\r\n" + host, 405,
         "method_not_allowed"),
    ]
    for head, status, code in cases:
        r = srv.raw(head + b"\r\n")
        assert_error(r, status, code)
        assert r.headers["X-Content-Type-Options"] == "nosniff", head[:40]
    r = srv.raw(b"TRACE /api/tasks HTTP/1.1\r\n" + host + b"\r\n")
    assert r.headers["Allow"] == "GET, HEAD, POST, DELETE", r.headers
    # The server went on as before.
    assert srv.get("/api/health").status == 200


def test_nginx_out_of_descriptors_answers_the_error_object(srv):
    """nginx with no descriptor left for the upstream connection answers
    500 of its own: as unavailable, in the contract's object, not its
    HTML page. A stream always opens a new upstream connection."""
    workers = [p for p in owned_pids(srv.data)
               if read_proc(p, "cmdline").startswith(b"nginx: worker")]
    assert workers, "no nginx worker"
    limits = {p: resource.prlimit(p, resource.RLIMIT_NOFILE)
              for p in workers}
    try:
        # Room for the client's connection, none for the upstream. A
        # connection nginx was closing as it was counted left more: the
        # stream opened then, and the count is made again.
        for _ in range(10):
            for p in workers:
                resource.prlimit(p, resource.RLIMIT_NOFILE, (
                    len(os.listdir("/proc/%d/fd" % p)) + 1, limits[p][1]))
            with srv.sse("/api/events") as s:
                if s.status != 200:
                    break
        assert s.status == 503, (s.status, s.body)
        body = json.loads(s.body)
        assert body["error"]["code"] == "unavailable", body
        assert s.headers["x-content-type-options"] == "nosniff", s.headers
    finally:
        for p, lim in limits.items():
            resource.prlimit(p, resource.RLIMIT_NOFILE, lim)
    assert srv.get("/api/health").status == 200
