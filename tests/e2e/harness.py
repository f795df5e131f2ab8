"""A small end-to-end harness for Hourglass: standard library only.

It starts the real service with scripts/serve (nginx -> hourglass-fcgi ->
SQLite) on a free loopback port in a fresh temporary HOURGLASS_DATA, talks
HTTP to it, reads Server-Sent Events, and cleans up after itself: it ends
only the processes that belong to its own data folder, by pid.
"""

import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
SERVE = os.path.join(REPO, "scripts", "serve")

START_TIMEOUT = 30      # s, scripts/serve printing its ready line
STOP_TIMEOUT = 20       # s, scripts/serve exiting after SIGTERM
HTTP_TIMEOUT = 10       # s, any one plain request

TASK_KEYS = {"id", "kind", "name", "params", "state", "progress",
             "created_at", "started_at", "finished_at", "exit_code", "error"}
PROGRESS_KEYS = {"value", "total", "percent", "message"}
ACTIVE = {"queued", "running", "stopping"}
FINISHED = {"succeeded", "failed", "canceled", "lost"}
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Skip(Exception):
    """Raised by a test that cannot run here; run.py prints the reason."""


class ServeFailed(Exception):
    """scripts/serve exited before it was ready."""

    def __init__(self, rc, stderr):
        super().__init__("scripts/serve exited with %s before it was ready;"
                         " stderr:\n%s" % (rc, stderr))
        self.rc = rc
        self.stderr = stderr


def wait_for(cond, timeout=10.0, interval=0.03, what="condition"):
    """Polls cond() until it returns something truthy, and returns that.

    Fails with an AssertionError naming `what` at the deadline. This is
    the only way tests wait: never a fixed sleep as the check itself."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


def free_port():
    """A loopback port nobody listens on right now (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- processes

def _read_proc(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return b""


def _all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _ppid(pid):
    stat = _read_proc(pid, "stat")
    # The command name is in parentheses and may hold spaces: split after it.
    try:
        return int(stat[stat.rindex(b")") + 2:].split()[1])
    except (ValueError, IndexError):
        return -1


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    stat = _read_proc(pid, "stat")
    if not stat:
        return False
    try:
        return stat[stat.rindex(b")") + 2:].split()[0] != b"Z"
    except (ValueError, IndexError):
        return False


def _runners(data, host):
    """Pids of this data folder's hourglass-runner processes: the runner
    host (hourglass-runner --host) if host, else those that run tasks
    (not the host's spare, hourglass-runner --spare, which has none yet).

    A runner's environment holds HOURGLASS_DATA=<data>; matching that
    exact entry keeps us from touching anybody else's runners."""
    entry = b"HOURGLASS_DATA=" + os.fsencode(data)
    pids = []
    for pid in _all_pids():
        if pid == os.getpid():
            continue
        cmd = _read_proc(pid, "cmdline").split(b"\0")
        if (len(cmd) < 2 or not cmd[0].endswith(b"hourglass-runner")
                or cmd[1].startswith(b"--host") != host
                or cmd[1].startswith(b"--spare")):
            continue
        if entry in _read_proc(pid, "environ").split(b"\0") and pid_alive(pid):
            pids.append(pid)
    return pids


def runner_pids(data):
    """Pids of the runners of this data folder's tasks (not the host)."""
    return _runners(data, False)


def host_pids(data):
    """Pids of this data folder's runner host (hourglass-runner --host)."""
    return _runners(data, True)


def owned_pids(data):
    """Every live process of this data folder, runners included.

    Found by the exact HOURGLASS_DATA entry in its environment or the
    folder in its command line (nginx overwrites its environment with its
    process title), plus their descendants (nginx workers)."""
    entry = b"HOURGLASS_DATA=" + os.fsencode(data)
    path = os.fsencode(data.rstrip("/") + "/")
    pids = set(_all_pids()) - {os.getpid()}
    found = set()
    for pid in pids:
        cmd = _read_proc(pid, "cmdline")
        if (entry in _read_proc(pid, "environ").split(b"\0")
                or path in cmd or cmd.replace(b"\0", b" ").endswith(
                    path.rstrip(b"/"))):
            found.add(pid)
    parents = {pid: _ppid(pid) for pid in pids}
    grew = True
    while grew:
        kids = {p for p, pp in parents.items() if pp in found} - found
        grew = bool(kids)
        found |= kids
    return sorted(p for p in found if pid_alive(p))


def kill_pids(pids, sig=signal.SIGKILL, timeout=5.0):
    """Sends sig to each pid and waits until they are gone."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    wait_for(lambda: not any(pid_alive(p) for p in pids), timeout,
             what="processes %s to end" % pids)


# ------------------------------------------------------------------- server

def _bin_dir():
    """HOURGLASS_BIN as given (make test passes build/asan), made absolute."""
    b = os.environ.get("HOURGLASS_BIN")
    return os.path.abspath(b) if b else None


class Server:
    """One scripts/serve in its own temporary data folder.

    kinds: a dict or JSON text written as our own kinds file; kinds_path:
    a kinds file to use as it is; neither: the repository's kinds.json.
    data: reuse a folder (restart tests); it is then not removed.
    """

    _all = []           # every Server made, so run.py can clean up at exit

    def __init__(self, kinds=None, kinds_path=None, data=None, env=None):
        self.data = data or tempfile.mkdtemp(prefix="hourglass-e2e-")
        self.own_data = data is None
        self.kinds_path = kinds_path
        if kinds is not None:
            if not isinstance(kinds, str):
                kinds = json.dumps(kinds, indent=1)
            self.kinds_path = os.path.join(self.data, "test-kinds.json")
            with open(self.kinds_path, "w") as f:
                f.write(kinds)
        self.extra_env = dict(env or {})
        self.proc = None
        self.port = None
        self.stdout = []
        self.stderr = []
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
        return e

    def start(self, timeout=START_TIMEOUT):
        """Starts scripts/serve and waits for its `serving http://` line.

        Raises ServeFailed if it exits first (stderr attached)."""
        assert self.proc is None, "already started"
        if not os.path.exists(SERVE):
            raise AssertionError("%s does not exist yet" % SERVE)
        self.port = free_port()
        self.stdout, self.stderr = [], []
        ready = threading.Event()
        self.proc = subprocess.Popen(
            ["bash", SERVE], cwd=REPO, env=self.env(),
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
                desc = ["%d %s" % (p, _read_proc(p, "cmdline").replace(
                    b"\0", b" ").decode("utf-8", "replace")) for p in left]
                errors.append("left running after scripts/serve exited: "
                              + "; ".join(desc))
                kill_pids(left)
        errors += self.sanitizer_reports()
        if check and errors:
            raise AssertionError("\n".join(errors))

    def sanitizer_reports(self):
        """Contents of every <data>/sanitizer* file, each as one string."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.data, "sanitizer*"))):
            with open(path, errors="replace") as f:
                out.append("sanitizer report %s:\n%s" % (path, f.read()))
            # Report each once, even if the server is stopped again later.
            os.rename(path, path.replace("sanitizer", "reported-sanitizer",
                                         1))
        return out

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
        kill_pids(runner_pids(self.data))
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

    def request(self, method, path, body=None, headers=None,
                timeout=HTTP_TIMEOUT):
        """One request on a fresh connection. body: bytes, str, or a
        dict/list sent as JSON with Content-Type application/json."""
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            conn.close()

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
               **extra):
        body = {"kind": kind}
        if params is not None:
            body["params"] = params
        if name is not None:
            body["name"] = name
        body.update(extra)
        r = self.post("/api/tasks", body)
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

    def wait_idle(self, timeout=20):
        """Waits until no task is queued, running or stopping."""
        def idle():
            r = self.get("/api/tasks?limit=500")
            return all(t["state"] not in ACTIVE for t in r.json["tasks"])
        wait_for(idle, timeout, what="no active task")

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
    for k in ("started_at", "finished_at"):
        assert t[k] is None or ISO_RE.match(t[k]), t[k]
    assert t["error"] is None or (isinstance(t["error"], dict) and set(
        t["error"]) == {"code", "message"}), t["error"]


# ---------------------------------------------------------------------- SSE

class Event:
    def __init__(self, id, type, data):
        self.id = id            # str or None, as sent
        self.type = type        # "message" when no event: line
        self.data = data

    @property
    def n(self):
        """The id as an integer (our ids are decimal numbers)."""
        return int(self.id)

    @property
    def json(self):
        return json.loads(self.data)

    def __repr__(self):
        return "<event id=%s %s %s>" % (self.id, self.type, self.data[:120])


class SSEParser:
    """The text/event-stream format, fed bytes as they arrive.

    Lines end at \\r\\n, \\n or \\r. Comment lines (`: ping`) are kept in
    `comments` and otherwise ignored wherever they come. `fields` lists
    field names in order, so a test can see what the stream began with."""

    def __init__(self):
        self.buf = b""
        self.events = []
        self.comments = []
        self.fields = []
        self.retry = None
        self._reset()

    def _reset(self):
        self._id = None
        self._type = None
        self._data = []
        self._any = False

    def feed(self, data, final=False):
        """Parses what it can; returns the events completed by this data."""
        self.buf += data
        new = []
        while True:
            m = re.search(rb"\r\n|\n|\r", self.buf)
            if m is None:
                break
            # A lone \r at the end may be the first half of \r\n.
            if m.group() == b"\r" and m.end() == len(self.buf) and not final:
                break
            line, self.buf = self.buf[:m.start()], self.buf[m.end():]
            ev = self._line(line.decode("utf-8"))
            if ev is not None:
                new.append(ev)
        self.events += new
        return new

    def _line(self, line):
        if line == "":
            if not self._any:
                return None
            ev = Event(self._id, self._type or "message",
                       "\n".join(self._data))
            self._reset()
            return ev
        if line.startswith(":"):
            self.comments.append(line)
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        self.fields.append(name)
        if name == "retry":
            self.retry = int(value)
        elif name in ("id", "event", "data"):
            self._any = True
            if name == "id":
                self._id = value
            elif name == "event":
                self._type = value
            else:
                self._data.append(value)
        return None


class SSEStream:
    """An HTTP/1.1 GET read as an event stream over a raw socket.

    All state is kept in buffers, so a read that reaches its deadline
    loses nothing and reading can go on later. Handles chunked bodies,
    Content-Length bodies and bodies that end at close."""

    def __init__(self, port, path, headers=None, timeout=HTTP_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port,
                 "Accept: text/event-stream", "Cache-Control: no-cache"]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""
        self.closed_by_peer = False
        self.ended = False          # the response body is complete
        self.parser = SSEParser()
        self.body = b""             # the body of a non-200 answer
        self.timed_out = False
        self.truncated = False      # closed in the middle of a chunked body
        self._returned = 0          # events handed out by read()
        self._chunked = False
        self._left = None           # Content-Length bytes still to come
        self._chunk_left = 0        # bytes of the current chunk still to come
        self._read_head(time.monotonic() + timeout)

    @property
    def events(self):
        return self.parser.events

    def _recv(self, deadline):
        """Reads more bytes into self.raw; False at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(min(left, 0.5))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed_by_peer = True
        self.raw += data
        return True

    def _read_head(self, deadline):
        while b"\r\n\r\n" not in self.raw:
            if self.closed_by_peer:
                raise AssertionError("connection closed before headers: %r"
                                     % self.raw)
            if not self._recv(deadline):
                raise AssertionError("no response headers in time")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        if self.status in (204, 304) or 100 <= self.status < 200:
            self.ended = True
        elif "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._chunked = True
        elif "content-length" in self.headers:
            self._left = int(self.headers["content-length"])
        self._decode()

    def _decode(self):
        """Moves complete body bytes from raw into the parser."""
        body = b""
        if self._chunked:
            while not self.ended:
                if self._chunk_left == 0:
                    if b"\r\n" not in self.raw:
                        break
                    size, rest = self.raw.split(b"\r\n", 1)
                    n = int(size.split(b";")[0], 16)
                    if n == 0:
                        self.ended = True   # trailers are of no interest
                        break
                    if len(rest) < n + 2:   # wait for the whole chunk
                        break
                    body += rest[:n]
                    self.raw = rest[n + 2:]
        elif self._left is not None:
            take = self.raw[:self._left]
            self.raw = self.raw[len(take):]
            self._left -= len(take)
            body = take
            if self._left == 0:
                self.ended = True
        else:
            body, self.raw = self.raw, b""
            if self.closed_by_peer:
                self.ended = True
        if self.status != 200:
            self.body += body
        elif body or self.ended:
            self.parser.feed(body, final=self.ended)

    def read(self, n=None, until=None, timeout=20):
        """Reads events until n new ones, until(event) is true for one,
        the end of the stream, or timeout seconds. Returns the events no
        earlier read returned (some may have come with the headers);
        `ended`, `truncated` and `timed_out` say how it stopped."""
        deadline = time.monotonic() + timeout
        self.timed_out = False
        while True:
            new = self.events[self._returned:]
            if (self.ended or (n is not None and len(new) >= n)
                    or (until is not None and any(map(until, new)))):
                break
            if self.closed_by_peer:
                # Closed without a proper end of a chunked body.
                self.ended = self.truncated = True
                break
            if not self._recv(deadline):
                self.timed_out = True
                break
            self._decode()
        self._returned = len(self.events)
        return new

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
