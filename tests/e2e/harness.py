"""What the end-to-end tests share beyond tests/pylib: the API's shapes
and error checks. The server fixture, HTTP, /proc and SSE helpers live in
tests/pylib and are named here too, so that a test imports from one place.
"""

import atexit
import os
import re
import shutil
import sqlite3
import tempfile
import time

from pylib.procs import (all_pids, host_pids, kill_pids,  # noqa: F401
                         owned_pids, pid_alive, ppid, read_proc,
                         runner_pids)
from pylib.runner import Skip  # noqa: F401
from pylib.server import (ACTIVE, FINISHED, REPO, STOP_TIMEOUT,  # noqa: F401
                          Server, ServeFailed, free_port)
from pylib.sse import SSEParser, SSEStream  # noqa: F401
from pylib.wait import wait_for  # noqa: F401



class Scripts:
    """A temporary folder of /bin/sh scripts for kinds to run, removed at
    exit."""

    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        atexit.register(shutil.rmtree, self.dir, True)

    def write(self, name, body, mode=0o755):
        """Writes <dir>/name, "#!/bin/sh" and body; returns its path."""
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, mode)
        return path


TASK_KEYS = {"id", "kind", "name", "params", "state", "progress",
             "created_at", "started_at", "finished_at", "exit_code", "error",
             "result", "attempt", "attempts", "retry_at"}
PROGRESS_KEYS = {"value", "total", "percent", "message"}
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def refused(kinds, *words):
    """Starts scripts/serve with this kinds file (text or dict); it must
    fail, and its stderr must hold the file's path and every word."""
    srv = Server(kinds=kinds)
    try:
        try:
            srv.start()
        except ServeFailed as e:
            assert e.rc != 0, "exit status 0"
            for word in (srv.kinds_path,) + words:
                assert word in e.stderr, "%r not in stderr:\n%s" % (
                    word, e.stderr)
            return
        raise AssertionError("scripts/serve started with a bad kinds file")
    finally:
        srv.close()


def fcgi_pid(srv):
    """The pid of srv's hourglass-fcgi."""
    pids = [p for p in owned_pids(srv.data)
            if read_proc(p, "cmdline").split(b"\0")[0].endswith(
                b"hourglass-fcgi")]
    assert len(pids) == 1, pids
    return pids[0]


def items_kind(first="", n=3000, size=1000):
    """A command kind "items" that runs the shell text first, then prints
    n data items of about size bytes each. (Braces in a command would be
    placeholders: printf makes them.)"""
    return {"name": "items", "command": [
        "sh", "-c", first + ('i=0; while [ $i -lt %d ]; do '
                             'printf \'\\173"data":"%%d %s"\\175\\n\' $i; '
                             'i=$((i+1)); done' % (n, "x" * size))]}


def metrics(srv):
    """GET /api/metrics, as text (Prometheus's text format)."""
    r = srv.get("/api/metrics")
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    return r.body.decode()


def samples(text):
    """{'name{labels}': value} of every sample line of metrics text."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def db_rows(srv, sql, args=()):
    """Rows of a query on the server's database, read-only, as another
    process would read them."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(
        srv.data, "hourglass.db"), uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def empty_wal(srv):
    """Checkpoints the database's whole log and truncates it to nothing."""
    db = sqlite3.connect(os.path.join(srv.data, "hourglass.db"), timeout=10)
    try:
        for _ in range(100):
            busy, frames, _ = db.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0 and frames == 0:
                return
            time.sleep(0.05)
        raise AssertionError("the database's log could not be emptied")
    finally:
        db.close()


def assert_error(r, status, code):
    """The spec's error shape: {"error": {"code", "message"}} as JSON."""
    assert r.status == status, "want %d %s, got %r" % (status, code, r)
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("application/json"), \
        "error %d is not JSON: %r" % (status, r)
    assert isinstance(r.json, dict) and set(r.json) == {"error"}, r
    err = r.json["error"]
    assert err.get("code") == code, "want code %s, got %r" % (code, r)
    assert isinstance(err.get("message"), str) and err["message"], r
    return err


def check_task_shape(t):
    """The task object has exactly the spec's keys, of the right types."""
    assert isinstance(t, dict) and set(t) == TASK_KEYS, \
        "task keys %s" % sorted(t)
    assert isinstance(t["id"], int) and t["id"] >= 1, t
    assert isinstance(t["kind"], str), t
    assert t["name"] is None or isinstance(t["name"], str), t
    assert isinstance(t["params"], dict), t
    assert t["state"] in ACTIVE | FINISHED, t
    p = t["progress"]
    assert isinstance(p, dict) and set(p) == PROGRESS_KEYS, \
        "progress keys %s" % p
    assert ISO_RE.match(t["created_at"]), t["created_at"]
    for k in ("started_at", "finished_at", "retry_at"):
        assert t[k] is None or ISO_RE.match(t[k]), t[k]
    assert isinstance(t["attempt"], int) and isinstance(t["attempts"], int) \
        and 1 <= t["attempt"] <= t["attempts"], t
    assert (t["retry_at"] is not None) == (t["state"] == "retrying"), t
    assert t["error"] is None or (isinstance(t["error"], dict) and set(
        t["error"]) == {"code", "message"}), t["error"]
