"""The page and the API carry security headers, and no server version;
API answers say their length."""

from harness import Server

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "nginx's headers and HEAD; nothing for TSan to see"

PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def test_page_has_security_headers_and_a_strict_csp(srv):
    r = srv.get("/")
    assert r.status == 200, r
    for name, value in PAGE_HEADERS.items():
        assert r.headers[name] == value, (name, r.headers[name])
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp


def test_api_answers_carry_them_too(srv):
    for path in ["/api/health", "/api/tasks/abc"]:
        r = srv.get(path)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path


def test_no_server_version_anywhere(srv):
    for path in ["/", "/api/health", "/nope"]:
        assert srv.get(path).headers.get("Server", "") == "nginx", path


def test_api_answers_carry_their_length_and_are_not_chunked(srv):
    """Every API answer says its length, so nginx passes it on whole
    instead of in chunks: answers of each kind, and a list page longer
    than one FastCGI record (8 KiB)."""
    for _ in range(40):
        assert srv.post("/api/tasks", {"kind": "count"}).status == 201
    answers = [srv.get("/api/tasks?limit=50"), srv.get("/api/tasks/1"),
               srv.get("/api/tasks/999999"), srv.get("/api/health"),
               srv.post("/api/tasks", {"kind": "count"}),
               srv.post("/api/tasks", b"{not json")]
    assert len(answers[0].body) > 8192, len(answers[0].body)
    for r in answers:
        assert r.headers.get("Transfer-Encoding") is None, r
        assert int(r.headers["Content-Length"]) == len(r.body), r


def test_a_log_says_its_length_whole_or_tailed():
    kinds = {"kinds": [{"name": "lines", "command": [
        "sh", "-c", "for i in $(seq 3000); do echo line $i; done"]}]}
    with Server(kinds=kinds) as srv:
        tid = srv.post("/api/tasks", {"kind": "lines"}).json["id"]
        assert srv.wait_finished(tid)["state"] == "succeeded"
        whole = srv.get("/api/tasks/%d/log" % tid)
        tail = srv.get("/api/tasks/%d/log?tail=2" % tid)
        assert whole.body.endswith(b"line 3000\n"), whole.body[-40:]
        assert len(whole.body) > 8192, len(whole.body)
        assert tail.body == b"line 2999\nline 3000\n", tail.body
        for r in (whole, tail):
            assert r.headers.get("Transfer-Encoding") is None, r
            assert int(r.headers["Content-Length"]) == len(r.body), r


def test_a_204_has_no_length(srv):
    tid = srv.post("/api/tasks", {"kind": "count"}).json["id"]
    srv.wait_finished(tid)
    r = srv.delete("/api/tasks/%d" % tid)
    assert r.status == 204, r
    assert r.body == b"" and "Content-Length" not in r.headers, r.headers


def test_head_answers_every_get_route_as_get_does_without_a_body(srv):
    t = srv.create("count", {"total": 2, "delay_ms": 0})
    srv.wait_finished(t["id"])
    live = srv.create("count", {"total": 100000, "delay_ms": 20})
    srv.wait_state(live["id"], ["running"])
    s = srv.post("/api/schedules", {"kind": "count", "cron": "@daily"}).json
    paths = ["/api/health", "/api/kinds", "/api/tasks", "/api/metrics",
             "/api/tasks/%d" % t["id"], "/api/tasks/%d/log" % t["id"],
             "/api/tasks/%d/data" % t["id"], "/api/tasks/999999",
             "/api/tasks/abc", "/api/schedules",
             "/api/schedules/%d" % s["id"], "/api/schedules/999999",
             "/api/schedules/preview?cron=@hourly",
             # Past one FastCGI record (64 KB), sent whole.
             "/api/openapi.json",
             # A finished task's stream is 204, an unknown one's 404.
             "/api/tasks/%d/events" % t["id"], "/api/tasks/999999/events"]
    for path in paths:
        get, head = srv.get(path), srv.request("HEAD", path)
        assert head.body == b"", (path, head.body[:200])
        assert head.status == get.status, (path, head, get)
        assert head.headers.get("Content-Type") == \
            get.headers.get("Content-Type"), path
        if "metrics" not in path:
            assert head.headers.get("Content-Length") == \
                get.headers.get("Content-Length"), path
    # A live stream's head: it ends there, rather than streaming.
    for path in ("/api/events", "/api/tasks/%d/events" % live["id"]):
        head = srv.request("HEAD", path, timeout=5)
        assert head.status == 200 and head.body == b"", (path, head)
        assert head.headers["Content-Type"] == "text/event-stream", path
    # A HEAD changes nothing: a stop or a delete is not a GET.
    r = srv.request("HEAD", "/api/tasks/%d/stop" % live["id"])
    assert r.status == 405 and r.headers["Allow"] == "POST", r
    assert srv.task(live["id"])["state"] == "running"
    srv.stop_task(live["id"])
    srv.wait_finished(live["id"])
