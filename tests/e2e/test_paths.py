"""Nothing outside www/ is ever served: no source, no configuration, no
database, whatever the path tricks; odd task paths are 404 or 400."""

import http.client
import os

from harness import REPO

SECRETS = [b"hourglass-fcgi", b"SQLite format 3", b"CREATE TABLE",
           b"#include", b"worker_connections", b"[core]"]
PATHS = ["/../kinds.json", "/%2e%2e/kinds.json", "/..%2fkinds.json",
         "/%2e%2e%2fnginx.conf", "/nginx.conf", "/kinds.json",
         "/fcgi/main.c", "/lib/store/conn.c", "/.git/config", "/Makefile",
         "/hourglass.db", "/data/hourglass.db", "/fcgi.sock",
         "/nginx/nginx.conf", "/api/../kinds.json", "/api/..%2f..%2fMakefile",
         "/www/../Makefile", "//etc/passwd", "/%00", "/index.html%00.c"]


def raw_get(srv, path):
    """GET with the path sent as is (no client-side normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_nothing_outside_www_is_served(srv):
    assert os.path.exists(os.path.join(REPO, "kinds.json"))
    for path in PATHS:
        status, body = raw_get(srv, path)
        assert status in (400, 403, 404), (path, status)
        assert not any(s in body for s in SECRETS), (path, body[:200])
    assert srv.get("/api/health").status == 200


def test_odd_task_paths_are_404_or_400_never_a_crash(srv):
    before = srv.task_ids()
    for path in ["/api/tasks/1%00", "/api/tasks/0x10", "/api/tasks/1e3",
                 "/api/tasks/%2e%2e", "/api/tasks/../tasks",
                 "/api/tasks/18446744073709551616",
                 "/api/tasks/99999999999999999999999999999999",
                 "/api/tasks/-1", "/api/tasks/+1", "/api/tasks/1.0",
                 "/api/tasks/%31", "/api/tasks/1/stop/extra",
                 "/api/tasks//1", "/api/tasks/1/", "/api/" + "a" * 3000]:
        status, _ = raw_get(srv, path)
        assert status in (400, 404), (path, status)
    assert srv.get("/api/health").status == 200
    assert srv.task_ids() == before
