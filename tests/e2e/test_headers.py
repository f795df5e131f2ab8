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
