"""The page and the API carry security headers, and no server version."""

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
