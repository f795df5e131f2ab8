"""HOURGLASS_TOKEN: every /api/ request but /api/health needs it, as a
Bearer header or, on a GET, ?access_token=; the token never shows up in
an answer or a log."""

import glob
import os

from harness import assert_error

TOKEN = "s3cret-t0ken.for_tests"
SERVER_ENV = {"HOURGLASS_TOKEN": TOKEN}
AUTH = {"Authorization": "Bearer " + TOKEN}


def test_health_needs_no_token(srv):
    assert srv.get("/api/health").status == 200


def test_missing_token_is_401_with_www_authenticate(srv):
    for method, path in [("GET", "/api/tasks"), ("GET", "/api/kinds"),
                         ("GET", "/api/tasks/1"), ("POST", "/api/tasks"),
                         ("GET", "/api/metrics"), ("GET", "/api/events"),
                         ("DELETE", "/api/tasks/1"),
                         ("POST", "/api/tasks/1/stop")]:
        r = srv.request(method, path)
        assert_error(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"].startswith("Bearer"), r.headers


def test_wrong_token_is_401(srv):
    for value in ["Bearer wrong", "Bearer " + TOKEN + "x",
                  "Bearer " + TOKEN[:-1], "Basic " + TOKEN, TOKEN]:
        r = srv.get("/api/tasks", headers={"Authorization": value})
        assert_error(r, 401, "unauthorized")
    assert_error(srv.get("/api/tasks?access_token=nope"), 401,
                 "unauthorized")


def test_the_scheme_is_read_in_any_case(srv):
    """RFC 9110: an authentication scheme is case-insensitive."""
    for scheme in ("bearer", "BEARER", "BeArEr"):
        r = srv.get("/api/tasks",
                    headers={"Authorization": scheme + " " + TOKEN})
        assert r.status == 200, (scheme, r)


def test_token_of_another_length_is_401(srv):
    # The compare pads what is given to the token's 256-byte array.
    for given in ["", TOKEN * 2, TOKEN + "x" * 200, "x" * 255, "x" * 256,
                  "x" * 4000]:
        r = srv.get("/api/tasks",
                    headers={"Authorization": "Bearer " + given})
        assert_error(r, 401, "unauthorized")
    assert_error(srv.get("/api/tasks?access_token=" + "x" * 255), 401,
                 "unauthorized")
    assert srv.get("/api/tasks", headers=AUTH).status == 200


def test_bearer_token_opens_the_api_and_nothing_is_stored_without(srv):
    r = srv.post("/api/tasks", {"kind": "count", "params": {"total": 2}})
    assert_error(r, 401, "unauthorized")
    r = srv.get("/api/tasks", headers=AUTH)
    assert r.status == 200 and r.json["tasks"] == [], r
    r = srv.post("/api/tasks", {"kind": "count",
                                "params": {"total": 2, "delay_ms": 1}},
                 headers=AUTH)
    assert r.status == 201, r


def test_access_token_opens_the_streams_but_not_a_post(srv):
    r = srv.post("/api/tasks?access_token=" + TOKEN, {"kind": "count"})
    assert_error(r, 401, "unauthorized")
    tid = srv.post("/api/tasks", {"kind": "count",
                                  "params": {"total": 3, "delay_ms": 1}},
                   headers=AUTH).json["id"]
    with srv.sse("/api/tasks/%d/events?after=0&access_token=%s"
                 % (tid, TOKEN)) as s:
        assert s.status == 200, s.status
        s.read(timeout=20)
        assert s.ended and s.events[-1].json["state"] == "succeeded"


def test_token_is_in_no_answer_and_no_log(srv):
    srv.get("/api/tasks?access_token=" + TOKEN)
    srv.get("/api/tasks", headers={"Authorization": "Bearer wrong"})
    bodies = [srv.get("/api/tasks").body,
              srv.get("/api/tasks?access_token=" + TOKEN + "x").body]
    assert not any(TOKEN.encode() in b for b in bodies)
    logs = glob.glob(os.path.join(srv.data, "nginx", "*.log")) + \
        glob.glob(os.path.join(srv.data, "*.log"))
    assert logs, "no log files found"
    for path in logs:
        with open(path, "rb") as f:
            assert TOKEN.encode() not in f.read(), path
    assert TOKEN not in "".join(srv.stdout + srv.stderr)


def test_hostile_bodies_with_and_without_the_token(srv):
    before = srv.get("/api/tasks", headers=AUTH).json["tasks"]
    cases = [
        (b'{"kind":', 400, "invalid_json"),
        (b'{"kind":"count","params":{"total":1.5}}', 422, "invalid_params"),
        (b'{"kind":"count","params":{"total":1e400}}', 400,
         "invalid_json"),
        (b'{"kind":"count","kind":"count"}', 400, "invalid_json"),
        (b'[' * 33 + b']' * 33, 400, "invalid_json"),
        (b'{"kind":"count","name":"a\\u0000b"}', 400, "invalid_json"),
        (b'{"kind":"\xff"}', 400, "invalid_json"),
        (b'"count"', 400, "invalid_request"),
        (b' ' * 65537, 413, "too_large"),
    ]
    for body, status, code in cases:
        h = {"Content-Type": "application/json"}
        if status == 413:
            # nginx refuses it before the token is looked at, as JSON.
            assert_error(srv.post("/api/tasks", body, headers=h), 413, code)
            h.update(AUTH)
            assert_error(srv.post("/api/tasks", body, headers=h), 413, code)
            continue
        assert_error(srv.post("/api/tasks", body, headers=h), 401,
                     "unauthorized")
        h.update(AUTH)
        assert_error(srv.post("/api/tasks", body, headers=h), status, code)
    for path in ["/api/tasks/abc", "/api/tasks/99999999999999999999"]:
        assert_error(srv.get(path), 401, "unauthorized")
        assert_error(srv.get(path, headers=AUTH), 404, "not_found")
    assert srv.get("/api/health").status == 200
    assert srv.get("/api/tasks", headers=AUTH).json["tasks"] == before


def test_content_length_shorter_than_the_body_stores_nothing(srv):
    before = srv.get("/api/tasks", headers=AUTH).json["tasks"]
    body = b'{"kind":"count","params":{"total":1}}'
    head = ("POST /api/tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: 10\r\n\r\n" % TOKEN).encode()
    assert_error(srv.raw(head + body), 400, "invalid_json")
    assert srv.get("/api/tasks", headers=AUTH).json["tasks"] == before
