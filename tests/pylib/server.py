"""The server fixture: one scripts/serve (nginx -> hourglass-fcgi ->
SQLite) on a free loopback port in a temporary HOURGLASS_DATA, plain
HTTP to it, and cleaning up after it: only the processes of its own data
folder are ended, by pid."""

import glob
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from pylib.procs import kill_pids, owned_pids, read_proc, runner_pids
from pylib.sse import SSEStream
from pylib.wait import wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
SERVE = os.path.join(REPO, "scripts", "serve")

START_TIMEOUT = 30      # s, scripts/serve printing its ready line
STOP_TIMEOUT = 20       # s, scripts/serve exiting after SIGTERM
HTTP_TIMEOUT = 10       # s, any one plain request

ACTIVE = {"queued", "running", "stopping", "retrying"}
FINISHED = {"succeeded", "failed", "canceled", "lost"}



INTERRUPTED_LSAN = re.compile(
    r"==\d+==Unable to get registers from thread \d+\.")


def interrupted_leak_check(text):
    """Whether a sanitizer report says only that LeakSanitizer could not
    read a thread's registers (the process was killed while it looked)."""
    lines = [l for l in text.splitlines() if l.strip()]
    return bool(lines) and all(INTERRUPTED_LSAN.fullmatch(l.strip())
                               for l in lines)

class ServeFailed(Exception):
    """scripts/serve exited before it was ready."""

    def __init__(self, rc, stderr):
        super().__init__("scripts/serve exited with %s before it was ready;"
                         " stderr:\n%s" % (rc, stderr))
        self.rc = rc
        self.stderr = stderr


# HOURGLASS_TEST_PORTS=LO-HI: take ports from that range only, in turn.
# scripts/test gives each of the suites it runs side by side a range of
# its own below the kernel's ephemeral ports, so that no two suites (and
# no client's outgoing connection) pick the same port between a check
# and nginx's bind.
_PORTS = os.environ.get("HOURGLASS_TEST_PORTS")
_ports_lock = threading.Lock()
_ports_next = None


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port():
    """A loopback port nobody listens on right now: from
    HOURGLASS_TEST_PORTS if set, else whatever bind to port 0 gives."""
    global _ports_next
    if not _PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    lo, hi = (int(x) for x in _PORTS.split("-"))
    with _ports_lock:
        if _ports_next is None:
            # A start of its own: another run on the same machine
            # with the same range would otherwise walk in step.
            _ports_next = lo + random.randrange(hi - lo + 1)
        for _ in range(hi - lo + 1):
            port = _ports_next
            _ports_next = lo if port >= hi else port + 1
            if _bindable(port):
                return port
    raise AssertionError("no free port in HOURGLASS_TEST_PORTS=" + _PORTS)


def _bin_dir():
    """HOURGLASS_BIN as given (make test passes build/asan), made absolute."""
    b = os.environ.get("HOURGLASS_BIN")
    return os.path.abspath(b) if b else None


class Server:
    """One scripts/serve in its own temporary data folder.

    kinds: a dict or JSON text written as our own kinds file; kinds_path:
    a kinds file to use as it is; neither: the repository's kinds.json.
    data: reuse a folder (restart tests); it is then not removed.
    env: added to the environment; a value of None removes that name.
    port: the same port at every start (a page reconnecting after a
    restart needs its old address); else a free one each time.
    """

    _all = []           # every Server made, so a runner can clean up at exit
    http_timeout = HTTP_TIMEOUT     # s, a request's default
    data_prefix = "hourglass-e2e-"  # of a temporary data folder's name

    def __init__(self, kinds=None, kinds_path=None, data=None, env=None,
                 port=None, own_group=False):
        self.data = data or tempfile.mkdtemp(prefix=self.data_prefix)
        self.own_data = data is None
        self.kinds_path = kinds_path
        if kinds is not None:
            if not isinstance(kinds, str):
                kinds = json.dumps(kinds, indent=1)
            self.kinds_path = os.path.join(self.data, "test-kinds.json")
            with open(self.kinds_path, "w") as f:
                f.write(kinds)
        self.extra_env = dict(env or {})
        self.fixed_port = port
        # scripts/serve in a process group of its own, as a terminal runs
        # it, so that a test can send the group what Ctrl-C sends.
        self.own_group = own_group
        self.proc = None
        self.port = None
        self.stdout = []
        self.stderr = []
        self.start_secs = None      # how long the last start took
        self.closed = False
        Server._all.append(self)

    # -- life cycle

    def env(self):
        san = os.path.join(self.data, "sanitizer")
        e = dict(os.environ)
        e.update({
            "HOURGLASS_PORT": str(self.port),
            "HOURGLASS_BIND": "127.0.0.1",
            "HOURGLASS_DATA": self.data,
            # Tests start several tasks at once; the default (cores) would
            # queue them on a small machine and slow every test down.
            "HOURGLASS_MAX_RUNNING": "64",
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:log_path=" + san,
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:log_path="
                             + san,
            "TSAN_OPTIONS": "log_path=" + san,
        })
        if self.kinds_path:
            e["HOURGLASS_KINDS"] = self.kinds_path
        if _bin_dir():
            e["HOURGLASS_BIN"] = _bin_dir()
        e.update(self.extra_env)
        return {k: v for k, v in e.items() if v is not None}

    def start(self, timeout=START_TIMEOUT):
        """Starts scripts/serve and waits for its `serving http://` line.

        Raises ServeFailed if it exits first (stderr attached)."""
        assert self.proc is None, "already started"
        if not os.path.exists(SERVE):
            raise AssertionError("%s does not exist yet" % SERVE)
        self.port = self.fixed_port or free_port()
        self.stdout, self.stderr = [], []
        ready = threading.Event()
        t0 = time.monotonic()
        # SIGINT as Ctrl-C in a terminal finds it: a suite started in the
        # background of a script (`nohup make test &`) has it ignored,
        # and a signal ignored at its start is one bash cannot trap.
        self.proc = subprocess.Popen(
            ["env", "--default-signal=INT", "bash", SERVE], cwd=REPO,
            env=self.env(), start_new_session=self.own_group,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)

        def pump(stream, lines, watch):
            # Drain the pipe so the script never blocks on a full pipe.
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace")
                lines.append(line)
                if watch and "serving http://" in line:
                    ready.set()
            stream.close()

        for stream, lines, watch in ((self.proc.stdout, self.stdout, True),
                                     (self.proc.stderr, self.stderr, False)):
            threading.Thread(target=pump, args=(stream, lines, watch),
                             daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.03):
            if self.proc.poll() is not None:
                # Give the pump a moment to collect the last of stderr.
                time.sleep(0.1)
                rc, self.proc = self.proc.returncode, None
                raise ServeFailed(rc, "".join(self.stderr))
            if time.monotonic() >= deadline:
                self.stop(check=False)
                raise AssertionError(
                    "scripts/serve printed no `serving http://` line in %d s;"
                    " stdout:\n%s\nstderr:\n%s" % (timeout, "".join(
                        self.stdout), "".join(self.stderr)))
        self.start_secs = time.monotonic() - t0
        return self

    def stop(self, check=True):
        """SIGTERM to scripts/serve (its pid only), then waits for it.

        With check, fails if it does not exit in time, if anything but
        runners of this data folder is left running, or if a sanitizer
        wrote a report."""
        errors = []
        if self.proc is not None:
            proc, self.proc = self.proc, None
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                errors.append("scripts/serve did not exit within %d s of"
                              " SIGTERM" % STOP_TIMEOUT)
                proc.kill()
                proc.wait()
            # nginx and hourglass-fcgi must be gone with the script; only
            # runners may stay. Wait briefly: they may still be exiting.
            deadline = time.monotonic() + 5
            while True:
                left = sorted(set(owned_pids(self.data))
                              - set(runner_pids(self.data)))
                if not left or time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
            if left:
                desc = ["%d %s" % (p, read_proc(p, "cmdline").replace(
                    b"\0", b" ").decode("utf-8", "replace")) for p in left]
                errors.append("left running after scripts/serve exited: "
                              + "; ".join(desc))
                kill_pids(left)
        errors += self.sanitizer_reports()
        if check and errors:
            raise AssertionError("\n".join(errors))

    def sanitizer_reports(self):
        """Contents of every <data>/sanitizer* file, each as one string.

        A report of nothing but LeakSanitizer's "Unable to get registers
        from thread N" lines is left out: its check at exit was cut short
        by a SIGKILL (a test that kills every process, as a power cut
        would), which leaves it nothing to say."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.data, "sanitizer*"))):
            with open(path, errors="replace") as f:
                text = f.read()
            if not interrupted_leak_check(text):
                out.append("sanitizer report %s:\n%s" % (path, text))
            # Report each once, even if the server is stopped again later.
            os.rename(path, path.replace("sanitizer", "reported-sanitizer",
                                         1))
        return out

    def nginx_errors(self, last=20):
        """nginx's own error lines of this server (its last `last`), as
        text for a failure: a 502 or 504 says there what it was. The
        setrlimit alert, which every unprivileged start logs, is left
        out."""
        try:
            with open(os.path.join(self.data, "nginx", "error.log"),
                      errors="replace") as f:
                lines = [l for l in f if "setrlimit" not in l]
        except OSError:
            return ""
        if not lines:
            return ""
        return "nginx error.log (last %d lines):\n%s" % (
            min(last, len(lines)), "".join(lines[-last:]))

    def close(self):
        """Stops the server, ends this folder's runners, removes the folder.

        Raises AssertionError with everything that went wrong, after
        cleaning up regardless."""
        if self.closed:
            return
        self.closed = True
        errors = []
        try:
            self.stop()
        except AssertionError as e:
            errors.append(str(e))
        # A runner that ends its task with no server there starts the
        # next queued task's runner itself: one may start between the
        # list and the kill. Until none is left, then, for 5 s at most.
        deadline = time.monotonic() + 5
        while True:
            pids = runner_pids(self.data)
            if not pids or time.monotonic() >= deadline:
                break
            kill_pids(pids)
        errors += self.sanitizer_reports()
        left = owned_pids(self.data)
        if left:
            errors.append("processes still running: %s" % left)
            kill_pids(left)
        if self.own_data:
            shutil.rmtree(self.data, ignore_errors=True)
        if errors:
            raise AssertionError("\n".join(errors))

    @classmethod
    def close_all(cls):
        """Closes every server not closed yet; returns the error texts."""
        errors = []
        for s in cls._all:
            try:
                s.close()
            except AssertionError as e:
                errors.append(str(e))
        return errors

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    # -- HTTP

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def conn(self, timeout=None):
        """A connection of the caller's own, to keep alive over requests."""
        return http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=timeout or self.http_timeout)

    def request(self, method, path, body=None, headers=None, timeout=None,
                conn=None):
        """One request, on conn if given (left open), else on a fresh
        connection. body: bytes, str, or a dict/list sent as JSON with
        Content-Type application/json."""
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        c = conn or self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            if conn is None:
                c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def raw(self, data, timeout=HTTP_TIMEOUT):
        """Sends raw request bytes and reads one response.

        The server may answer and close before reading all of a large
        body (413): a failed send is not an error, the answer is."""
        sock = socket.create_connection(("127.0.0.1", self.port),
                                        timeout=timeout)
        try:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            r = http.client.HTTPResponse(sock)
            r.begin()
            return Response(r.status, r.headers, r.read())
        finally:
            sock.close()

    # -- task helpers

    def create(self, kind="count", params=None, name=None, expect=201,
               conn=None, **extra):
        body = {"kind": kind}
        if params is not None:
            body["params"] = params
        if name is not None:
            body["name"] = name
        body.update(extra)
        r = self.post("/api/tasks", body, conn=conn)
        assert r.status == expect, "create %s: %s" % (body, r)
        return r.json

    def task(self, tid):
        r = self.get("/api/tasks/%d" % tid)
        assert r.status == 200, "GET task %d: %s" % (tid, r)
        return r.json

    def wait_task(self, tid, cond, timeout=20, what=None):
        """Polls GET /api/tasks/<tid> until cond(task); returns the task."""
        def check():
            t = self.task(tid)
            return t if cond(t) else None
        return wait_for(check, timeout, what=what or "task %d" % tid)

    def wait_state(self, tid, states, timeout=20):
        if isinstance(states, str):
            states = {states}
        return self.wait_task(tid, lambda t: t["state"] in states, timeout,
                              "task %d to be %s" % (tid, "/".join(
                                  sorted(states))))

    def wait_finished(self, tid, timeout=20):
        return self.wait_state(tid, FINISHED, timeout)

    def stop_task(self, tid):
        """Stops a task if still active and waits until it has ended."""
        self.post("/api/tasks/%d/stop" % tid)
        return self.wait_finished(tid)

    def wait_idle(self, timeout=20, interval=0.03):
        """Waits until no task is queued, running, stopping or retrying.
        Asked per state, so it holds however many tasks came after an
        active one (the bench has thousands; a page of the list has
        500)."""
        def idle():
            return not any(self.get("/api/tasks?limit=1&state=" + st)
                           .json["tasks"] for st in sorted(ACTIVE))
        wait_for(idle, timeout, interval, what="no active task")

    def stop_all(self, timeout=20):
        """Stops every task still active and waits until none is."""
        for st in sorted(ACTIVE):
            for t in self.get("/api/tasks?limit=500&state=" + st).json[
                    "tasks"]:
                self.post("/api/tasks/%d/stop" % t["id"])
        self.wait_idle(timeout)

    def task_ids(self):
        r = self.get("/api/tasks?limit=500")
        assert r.status == 200, r
        return [t["id"] for t in r.json["tasks"]]

    def assert_unharmed(self, ids_before):
        """After bad input: the server still answers and stored nothing."""
        r = self.get("/api/health")
        assert r.status == 200 and r.json.get("status") == "ok", \
            "health after bad input: %s" % r
        after = self.task_ids()
        assert after == ids_before, \
            "task list changed: %s -> %s" % (ids_before, after)

    def sse(self, path, headers=None, timeout=HTTP_TIMEOUT):
        return SSEStream(self.port, path, headers, timeout)

    def replay(self, tid, after=0, timeout=20):
        """Every event of a task's stream after `after`, read to its end."""
        s = self.sse("/api/tasks/%d/events?after=%d" % (tid, after))
        try:
            assert s.status == 200, "replay of task %d: %s" % (tid, s.status)
            s.read(timeout=timeout)
            assert s.ended, "replay of task %d did not end in %d s" % (
                tid, timeout)
            return s.events
        finally:
            s.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers      # http.client.HTTPMessage: case-blind
        self.body = body
        self.json = None
        ctype = headers.get("Content-Type", "")
        if body and "json" in ctype:
            try:
                self.json = json.loads(body)
            except ValueError:
                pass

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.headers.get(
            "Content-Type"), self.body[:300])
