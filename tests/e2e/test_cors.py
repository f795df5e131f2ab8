"""HOURGLASS_CORS_ORIGINS: pages on the listed origins may call the API
and hold its streams. Their answers name the origin and expose Location
and Retry-After, never credentials; a preflight needs no token; every
answer varies by Origin; /hourglass.js is served the same way. Unset,
there is no CORS header anywhere. A malformed list stops the start."""

from harness import Server, ServeFailed, assert_error

SLOW = "nginx's and the server's CORS headers; nothing for TSan to see"

TOKEN = "cors-t0ken"
AUTH = {"Authorization": "Bearer " + TOKEN}
PAGE = "http://127.0.0.1:9000"
SERVER_ENV = {"HOURGLASS_TOKEN": TOKEN,
              "HOURGLASS_CORS_ORIGINS":
                  PAGE + ", https://app.example.com,http://[::1]:8000"}
# Near misses of a listed origin, and no Origin at all.
OTHERS = ["http://127.0.0.1:9001", "https://127.0.0.1:9000",
          "HTTP://127.0.0.1:9000", PAGE + "/", "http://127.0.0.1",
          "http://127x0x0x1:9000", "https://evil.example", "null", None]
ALLOW_HEADERS = {"authorization", "content-type", "idempotency-key",
                 "last-event-id"}
BIG = b'{"kind": "count", "name": "' + b"x" * 70000 + b'"}'


def origin(o, **more):
    h = {} if o is None else {"Origin": o}
    h.update(more)
    return h


def names(value):
    return {v.strip().lower() for v in (value or "").split(",")
            if v.strip()}


def cors_of(headers):
    """The Access-Control-* headers, lower-cased names, each once."""
    items = headers.items() if hasattr(headers, "items") else headers
    out = {}
    for k, v in items:
        k = k.lower()
        if k.startswith("access-control-"):
            assert k not in out, "%s twice: %r" % (k, headers)
            out[k] = v
    return out


def vary(r):
    """The Vary header's names; a stream's headers are a plain dict with
    lower-case names."""
    return names(r.headers.get("Vary") or r.headers.get("vary"))


def assert_allowed(r, o=PAGE):
    h = cors_of(r.headers)
    assert h.get("access-control-allow-origin") == o, (r, h)
    assert names(h.get("access-control-expose-headers")) == {
        "location", "retry-after"}, h
    assert "access-control-allow-credentials" not in h, h
    assert "origin" in vary(r), r.headers


def assert_not_allowed(r, varies=True):
    h = cors_of(r.headers)
    assert not any(k.startswith("access-control-allow-") for k in h), (r, h)
    assert ("origin" in vary(r)) == varies, r.headers


def assert_security_headers(srv, r):
    """A location with add_header lines of its own drops the server's
    and repeats them: they must stay the same as the page's."""
    page = srv.get("/").headers
    for name in ["Content-Security-Policy", "X-Content-Type-Options",
                 "Referrer-Policy"]:
        assert r.headers.get(name) == page[name], (name, r.headers)


def preflight(srv, path, method="POST", o=PAGE, **more):
    return srv.request("OPTIONS", path, headers=origin(
        o, **{"Access-Control-Request-Method": method}, **more))


def test_listed_origin_may_read_a_list_a_create_and_errors(srv):
    assert_allowed(srv.get("/api/tasks", headers=origin(PAGE, **AUTH)))
    r = srv.post("/api/tasks", {"kind": "count", "params": {"total": 1}},
                 headers=origin(PAGE, **AUTH))
    assert r.status == 201 and r.headers["Location"], r
    assert_allowed(r)
    for path in ["/api/nope", "/api/tasks/abc", "/api/tasks/999999"]:
        r = srv.get(path, headers=origin(PAGE, **AUTH))
        assert_error(r, 404, "not_found")
        assert_allowed(r)
    # A page must be able to read that its token is wrong.
    r = srv.get("/api/tasks", headers=origin(PAGE))
    assert_error(r, 401, "unauthorized")
    assert_allowed(r)


def test_each_listed_origin_is_named_back(srv):
    for o in ["https://app.example.com", "http://[::1]:8000"]:
        assert_allowed(srv.get("/api/health", headers=origin(o)), o)


def test_listed_origin_may_hold_a_stream(srv):
    with srv.sse("/api/events?access_token=" + TOKEN,
                 headers=origin(PAGE)) as s:
        assert s.status == 200, (s.status, s.body)
        assert_allowed(s)


def test_other_origins_get_no_allow_header_but_vary(srv):
    for o in OTHERS:
        h = origin(o, **AUTH)
        assert_not_allowed(srv.get("/api/tasks", headers=h))
        assert_not_allowed(srv.post("/api/tasks", {"kind": "count", "params":
                                                   {"total": 1}}, headers=h))
        assert_not_allowed(srv.get("/api/nope", headers=h))
        assert_not_allowed(srv.get("/api/tasks", headers=origin(o)))
        assert_not_allowed(srv.get("/hourglass.js", headers=h))
        assert_not_allowed(srv.post("/api/tasks", BIG, headers=origin(
            o, **{"Content-Type": "application/json"})))
        with srv.sse("/api/events?access_token=" + TOKEN,
                     headers=origin(o)) as s:
            assert s.status == 200, s.status
            assert_not_allowed(s)
        r = preflight(srv, "/api/tasks", o=o)
        assert r.status == 204, r
        assert_not_allowed(r)


def test_preflight_of_a_json_create_needs_no_token(srv):
    r = preflight(srv, "/api/tasks", **{
        "Access-Control-Request-Headers": "content-type, idempotency-key"})
    assert r.status == 204 and r.body == b"", r
    assert_allowed(r)
    h = cors_of(r.headers)
    assert "post" in names(h["access-control-allow-methods"]), h
    assert names(h["access-control-allow-headers"]) == ALLOW_HEADERS, h
    assert int(h["access-control-max-age"]) > 0, h
    # The create itself still needs the token, and creates nothing.
    r = srv.post("/api/tasks", {"kind": "count"}, headers=origin(
        PAGE, **{"Idempotency-Key": "cors-1"}))
    assert_error(r, 401, "unauthorized")
    assert_allowed(r)
    r = srv.post("/api/tasks", {"kind": "count", "params": {"total": 1}},
                 headers=origin(PAGE, **{"Idempotency-Key": "cors-1"},
                                **AUTH))
    assert r.status == 201, r


def test_preflight_names_the_methods_of_its_route(srv):
    tid = srv.post("/api/tasks", {"kind": "count", "params": {"total": 1}},
                   headers=AUTH).json["id"]
    for path, methods in [("/api/tasks", {"get", "post"}),
                          ("/api/tasks/%d" % tid, {"get", "delete"}),
                          ("/api/tasks/%d/stop" % tid, {"post"}),
                          ("/api/tasks/%d/events" % tid, {"get"}),
                          ("/api/events", {"get"}),
                          ("/api/health", {"get"}),
                          ("/api/kinds", {"get"})]:
        r = preflight(srv, path, method="GET")
        assert r.status == 204, (path, r)
        assert names(cors_of(r.headers)[
            "access-control-allow-methods"]) == methods, (path, r.headers)


def test_preflight_to_an_unknown_route_is_404(srv):
    for path in ["/api/nope", "/api/tasks/abc", "/api/tasks/1/nope"]:
        r = preflight(srv, path)
        assert_error(r, 404, "not_found")
        assert_allowed(r)


def test_options_that_is_no_preflight_is_as_before(srv):
    r = srv.request("OPTIONS", "/api/tasks", headers=origin(PAGE))
    assert_error(r, 401, "unauthorized")
    r = srv.request("OPTIONS", "/api/tasks", headers=origin(PAGE, **AUTH))
    assert_error(r, 405, "method_not_allowed")
    assert names(r.headers["Allow"]) == {"get", "post"}, r.headers
    assert_allowed(r)


def test_too_large_from_nginx_carries_the_headers(srv):
    r = srv.post("/api/tasks", BIG, headers=origin(
        PAGE, **{"Content-Type": "application/json"}, **AUTH))
    assert_error(r, 413, "too_large")
    assert_allowed(r)
    assert_security_headers(srv, r)


def test_too_large_report_from_nginx_carries_the_headers(srv):
    # nginx answers before the server: the task need not exist.
    r = srv.request("POST", "/api/tasks/1/report",
                    body=b"x" * (1024 * 1024 + 1),
                    headers=origin(PAGE, **{"Content-Type": "text/plain"},
                                   **AUTH))
    assert_error(r, 413, "too_large")
    assert "1048576" in r.json["error"]["message"], r.json
    assert_allowed(r)
    assert_security_headers(srv, r)


def test_client_module_is_javascript_with_cors(srv):
    r = srv.get("/hourglass.js", headers=origin(PAGE))
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/javascript"), r.headers
    assert_allowed(r)
    assert_security_headers(srv, r)
    r = srv.get("/hourglass.js", headers=origin("https://evil.example"))
    assert r.status == 200, r
    assert_not_allowed(r)


def test_page_keeps_its_own_policy(srv):
    r = srv.get("/", headers=origin(PAGE))
    assert r.status == 200, r
    assert "connect-src 'self'" in r.headers["Content-Security-Policy"]
    assert not cors_of(r.headers), r.headers


def test_without_the_setting_there_is_no_cors_header():
    with Server(env={"HOURGLASS_CORS_ORIGINS": None}) as srv:
        h = origin(PAGE)
        answers = [srv.get("/api/tasks", headers=h),
                   srv.post("/api/tasks", {"kind": "count", "params": {
                       "total": 1}}, headers=h),
                   srv.get("/api/nope", headers=h),
                   srv.get("/hourglass.js", headers=h),
                   srv.post("/api/tasks", BIG, headers=origin(
                       PAGE, **{"Content-Type": "application/json"}))]
        with srv.sse("/api/events", headers=h) as s:
            answers.append(s)
        for r in answers:
            assert not cors_of(r.headers), r.headers
            assert "origin" not in vary(r), r.headers
        assert answers[3].headers["Content-Type"].startswith(
            "text/javascript"), answers[3].headers
        # OPTIONS is a method like any other: 405 with Allow.
        r = preflight(srv, "/api/tasks")
        assert_error(r, 405, "method_not_allowed")
        assert names(r.headers["Allow"]) == {"get", "post"}, r.headers
        assert not cors_of(r.headers), r.headers
        assert_error(preflight(srv, "/api/nope"), 404, "not_found")


def test_malformed_origins_are_refused_at_start():
    for value in ["*", "http://x.example/", "http://x.example/app",
                  "x.example", "ftp://x.example", "http://", "null",
                  "http://X.example", "http://x.example:80",
                  "https://x.example:443", "http://x.example:0",
                  "http://x.example:65536", "http://x.example?q",
                  PAGE + ",," + PAGE, PAGE + ",", PAGE + ",*",
                  "http://[::1", "http://user@x.example"]:
        srv = Server(env={"HOURGLASS_CORS_ORIGINS": value})
        try:
            try:
                srv.start()
            except ServeFailed as e:
                assert e.rc != 0, value
                assert "HOURGLASS_CORS_ORIGINS" in e.stderr, (value,
                                                              e.stderr)
                continue
            raise AssertionError("started with HOURGLASS_CORS_ORIGINS=%r"
                                 % value)
        finally:
            srv.close()
