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
