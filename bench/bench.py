#!/usr/bin/python3
"""make bench: Hourglass's speed, scale and memory, measured against nginx.

Standard library only, plus the `wrk` binary and the helpers that
bench/run compiles into bench/bin/ (stamp, ticker, firehose, watchers,
tasks).
Every server is started as the tests start theirs: scripts/serve in a
fresh temporary HOURGLASS_DATA, on a free loopback port, with a kinds file
of our own. Only processes we started (and the runners of our own data
folders) are ever signalled, by pid.

Writes bench/report-YYYY-MM-DD.md and prints its summary. BENCH_QUICK=1
runs every section briefly (a smoke test of the harness, not a measure).
"""

import datetime
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)

# What /proc tells of processes, read as the end-to-end tests read it.
sys.path.insert(0, os.path.join(REPO, "tests"))
sys.dont_write_bytecode = True      # no __pycache__ left in the tree
from pylib import server, sse  # noqa: E402
from pylib.procs import (all_pids, children, kill_pids,  # noqa: E402
                         ppid as ppid_of, read_proc, runner_pids)
from pylib.server import FINISHED  # noqa: E402
from pylib.wait import wait_for  # noqa: E402
BINDIR = os.path.join(BENCH, "bin")
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
KEEP = os.environ.get("BENCH_KEEP", "") not in ("", "0")

MiB = 1024 * 1024

# How much of everything: (full, quick).
def _q(full, quick):
    return quick if QUICK else full

READ_ROUNDS = _q(5, 2)          # wrk runs per target, interleaved
READ_SECS = _q(5, 2)            # seconds per wrk run
READ_CONNS = 64
WRK_THREADS = 2
START_N = _q(200, 40)           # start-latency samples
CREATE_ROUNDS = _q(3, 1)        # wrk runs of POST /api/tasks
CREATE_SECS = _q(3, 2)
CREATE_CLIENTS = 8
E2E_N = _q(2000, 296)           # tasks per end-to-end run: N of 8 clients
E2E_ROUNDS = _q(3, 1)
SPAWN_SECS = _q(2.0, 0.5)       # bare spawns of true, before each e2e run
PROGRESS_TASKS = _q(3, 1)       # ticker tasks, one after another
PROGRESS_N = _q(50, 20)         # reports per ticker task
PROGRESS_MS = 60                # > the runner's 50 ms coalescing
WATCH_STEPS = _q([100, 1000, 5000, 10000], [100, 1000])
WATCH_EVENTS = 20               # progress reports of the watched task
WATCH_MS = 100
SCALE_SIZES = _q([0, 100_000, 1_000_000], [0, 20_000])
SCALE_REQS = _q(200, 40)        # timed requests per figure and size
DATA_ROUNDS = _q(3, 1)          # quiet/busy pairs of wrk runs
DATA_SECS = _q(5, 2)            # seconds per wrk run
DATA_RATE = 10000               # items a second from bench/firehose
MAX_RUNNING = 64
IDLE_S = 7                      # after the load, before "idle" memory
MAX_QUEUED = 100_000           # the most the server accepts


def log(msg):
    print("bench: " + msg, flush=True)


def median(v):
    return statistics.median(v) if v else float("nan")


def pct(v, p):
    """The p-th percentile (nearest rank) of v."""
    if not v:
        return float("nan")
    s = sorted(v)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


# ---------------------------------------------------------------- processes

def status_kb(pid, field):
    """A kB figure from /proc/PID/status (VmRSS, VmHWM), or 0."""
    for line in read_proc(pid, "status").decode(errors="replace").split(
            "\n"):
        if line.startswith(field + ":"):
            parts = line.split()
            try:
                return int(parts[1])
            except (IndexError, ValueError):
                return 0
    return 0


def smaps_kb(pid):
    """Pss and private (clean + dirty) kB from smaps_rollup."""
    out = {"Pss": 0, "Private": 0}
    for line in read_proc(pid, "smaps_rollup").decode(
            errors="replace").split("\n"):
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            if parts[0] == "Pss:":
                out["Pss"] = int(parts[1])
            elif parts[0] in ("Private_Clean:", "Private_Dirty:"):
                out["Private"] += int(parts[1])
    return out


def cpu_ticks(pid):
    stat = read_proc(pid, "stat")
    try:
        f = stat[stat.rindex(b")") + 2:].split()
        return int(f[11]) + int(f[12])      # utime + stime
    except (ValueError, IndexError):
        return 0


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True,
                              text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# ------------------------------------------------------------------- server

class Server(server.Server):
    """The tests' Server (tests/pylib) with the bench's limits, a longer
    start (a database of a million tasks), our processes' figures, and
    no assertions on the way out: what it leaves is ended and logged."""

    data_prefix = "hourglass-bench-"
    http_timeout = 30

    def __init__(self, kinds, data=None):
        super().__init__(kinds=kinds, data=data, env={
            "HOURGLASS_MAX_RUNNING": str(MAX_RUNNING),
            "HOURGLASS_MAX_QUEUED": str(MAX_QUEUED),
            "HOURGLASS_TOKEN": None})
        self.kept = False       # BENCH_KEEP: left serving to look at

    def start(self, timeout=120):
        try:
            return super().start(timeout)
        except BaseException:
            self.close()
            raise

    def stop(self, check=False):
        """Stops scripts/serve and ends this folder's runners too: each
        measure starts with none of ours left over."""
        super().stop(check)
        kill_pids(runner_pids(self.data))

    def close(self):
        if self.kept:
            return
        try:
            super().close()
        except AssertionError as e:
            log("cleanup of %s: %s" % (self.data, e))

    # -- our processes

    def fcgi_pid(self):
        for pid in all_pids():
            if (ppid_of(pid) == self.proc.pid and b"hourglass-fcgi" in
                    read_proc(pid, "cmdline")):
                return pid
        raise RuntimeError("hourglass-fcgi of %s not found" % self.data)

    def nginx_pids(self):
        try:
            with open(os.path.join(self.data, "nginx", "nginx.pid")) as f:
                master = int(f.read().strip())
        except (OSError, ValueError):
            return []
        return [master] + children(master)

    def nginx_rss_kb(self):
        return sum(status_kb(p, "VmRSS") for p in self.nginx_pids())

    # -- HTTP

    def get_json(self, path):
        r = self.get(path)
        if r.status != 200:
            raise RuntimeError("GET %s: %d %r" % (path, r.status,
                                                  r.body[:200]))
        return json.loads(r.body)

    def wait_all_finished(self, ids, timeout=120):
        left = set(ids)

        def done():
            for tid in sorted(left):
                t = self.get_json("/api/tasks/%d" % tid)
                if t["state"] not in FINISHED:
                    return False
                left.discard(tid)
            return True
        wait_for(done, timeout, 0.05, "tasks %s to finish" % sorted(left)[:5])

    def wait_idle(self, timeout=120, interval=0.1):
        super().wait_idle(timeout, interval)


def kinds_file():
    return {"kinds": [
        {"name": "count", "builtin": "count",
         "description": "Counts from 1 to total, one step every delay_ms",
         "params": {
             "total": {"type": "integer", "min": 1, "max": 1000000,
                       "default": 1},
             "delay_ms": {"type": "integer", "min": 0, "max": 60000,
                          "default": 0}}},
        {"name": "nothing", "description": "Does nothing: /bin/true",
         "command": ["true"]},
        {"name": "stamp", "description": "Prints when it started",
         "command": [os.path.join(BINDIR, "stamp")]},
        {"name": "firehose", "description": "n data items, rate a second",
         "command": [os.path.join(BINDIR, "firehose"), "{n}", "{rate}"],
         "params": {
             "n": {"type": "integer", "min": 1, "max": 10000000},
             "rate": {"type": "integer", "min": 1, "max": 1000000,
                      "default": DATA_RATE}}},
        {"name": "ticker", "description": "Progress with time stamps",
         "command": [os.path.join(BINDIR, "ticker"), "{n}", "{ms}"],
         "params": {
             "n": {"type": "integer", "min": 1, "max": 100000,
                   "default": 50},
             "ms": {"type": "integer", "min": 0, "max": 10000,
                    "default": PROGRESS_MS}}},
    ]}


# ---------------------------------------------------------------------- SSE

class SSEThread:
    """Reads one stream in a thread; records (recv ns, frame) for each."""

    def __init__(self, srv, path):
        self.sock = socket.create_connection(("127.0.0.1", srv.port), 10)
        self.sock.sendall(sse.request(srv.port, path))
        self.resp = sse.Response()
        self.frames = []            # (t_ns, id, type, data)
        self.lock = threading.Lock()
        self.cv = threading.Condition(self.lock)
        self.closed = False
        self.sock.settimeout(None)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                data = self.sock.recv(262144)
            except OSError:
                data = b""
            t = time.time_ns()
            if not data:
                break
            new = self.resp.feed(data)
            if new or self.resp.status is not None:
                with self.cv:
                    for e in new:
                        self.frames.append((t, e.n, e.type, e.data))
                    self.cv.notify_all()
            if self.resp.ended:
                break
        with self.cv:
            self.closed = True
            self.cv.notify_all()

    def wait_head(self, timeout=10):
        with self.cv:
            self.cv.wait_for(lambda: self.resp.status is not None or
                             self.closed, timeout)
        if self.resp.status != 200:
            raise RuntimeError("SSE stream: %s" % self.resp.status)

    def wait(self, pred, timeout):
        with self.cv:
            return self.cv.wait_for(lambda: pred(self.frames) or self.closed,
                                    timeout)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def replay_ids(srv, tid):
    """Every event id of a finished task, from its own stream."""
    s = SSEThread(srv, "/api/tasks/%d/events?after=0" % tid)
    s.wait(lambda fr: False, 10)       # until it ends (closed)
    s.close()
    return [eid for _, eid, _, _ in s.frames]


# ---------------------------------------------------------------------- wrk

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * UNIT[m.group(2)] if m else float("nan")


def wrk(url, secs, conns, threads=WRK_THREADS, script=None):
    cmd = ["wrk", "-t%d" % min(threads, conns), "-c%d" % conns,
           "-d%ds" % secs, "--timeout", "10s", "--latency"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    r = {"rps": float("nan"), "requests": 0, "non2xx": 0, "errors": 0,
         "p50_ms": float("nan"), "p99_ms": float("nan")}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    if m:
        r["errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    if m:
        r["p50_ms"] = wrk_ms(m.group(1))
    m = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    if m:
        r["p99_ms"] = wrk_ms(m.group(1))
    if r["requests"] == 0:
        raise RuntimeError("wrk gave no result for %s:\n%s" % (url, out))
    return r


STATIC_RUNS = []        # every static wrk run of this bench, for ratios


def static_run(srv, secs=READ_SECS):
    r = wrk(srv.url("/icon.svg"), secs, READ_CONNS)
    STATIC_RUNS.append(r["rps"])
    return r


def static_rps():
    return median(STATIC_RUNS)


# ----------------------------------------------------------------- sections

def section_reads(srv, R):
    """wrk: the static file, one task, a list page; interleaved rounds."""
    log("reads: %d rounds of %d s, %d connections" % (
        READ_ROUNDS, READ_SECS, READ_CONNS))
    ids = [srv.create("count")["id"] for _ in range(200)]
    srv.wait_all_finished(ids)
    tid = ids[len(ids) // 2]
    # The server keeps list answers while nothing they show changed, so
    # wrk asking for one URL over and over measures that cache. "uncached"
    # asks for the same page under 4,096 different keys (?before= past the
    # newest id), whose answers are never kept; the tasks' objects are
    # (lib/objcache.c), as for a page read after other tasks changed.
    script = os.path.join(srv.data, "list-uncached.lua")
    with open(script, "w") as f:
        f.write('local i = 0\n'
                'request = function()\n'
                '  i = i + 1\n'
                '  return wrk.format("GET", "/api/tasks?limit=50&before=" ..'
                ' (1000000000 + i % 4096))\n'
                'end\n')
    targets = [("static", "/icon.svg"), ("get", "/api/tasks/%d" % tid),
               ("list", "/api/tasks?limit=50"),
               ("uncached", "/api/tasks?limit=50&before=...")]
    runs = {name: [] for name, _ in targets}
    for rnd in range(READ_ROUNDS):
        for name, path in targets:
            if name == "static":
                r = static_run(srv)
            elif name == "uncached":
                r = wrk(srv.url("/api/tasks"), READ_SECS, READ_CONNS,
                        script=script)
            else:
                r = wrk(srv.url(path), READ_SECS, READ_CONNS)
            runs[name].append(r)
            log("  round %d %-6s %8.0f req/s  p50 %.2f ms  non-2xx %d" % (
                rnd + 1, name, r["rps"], r["p50_ms"], r["non2xx"]))
    body = srv.get("/api/tasks?limit=50").body
    out = {}
    for name, _ in targets:
        rs = runs[name]
        out[name] = {
            "rps": median([r["rps"] for r in rs]),
            "runs": [r["rps"] for r in rs],
            "p50_ms": median([r["p50_ms"] for r in rs]),
            "p99_ms": median([r["p99_ms"] for r in rs]),
            "requests": sum(r["requests"] for r in rs),
            "non2xx": sum(r["non2xx"] for r in rs),
            "errors": sum(r["errors"] for r in rs),
        }
    # Ratios per round (same moment), then their median.
    for name in ("get", "list", "uncached"):
        out[name]["ratio"] = median([a["rps"] / b["rps"] for a, b in zip(
            runs[name], runs["static"])])
    out["list_bytes"] = len(body)
    R["reads"] = out


def bare_stamp():
    """bench/bin/stamp started by us with posix_spawn, its stdout on a
    pipe: its stamp minus our clock just before the spawn, in ms, or None
    if it printed none. Reaps the child."""
    r, w = os.pipe()        # both close-on-exec; dup2 clears it on fd 1
    try:
        t0 = time.time_ns()
        pid = os.posix_spawn(os.path.join(BINDIR, "stamp"), ["stamp"],
                             os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)])
        os.close(w)
        w = -1
        out = b""
        while True:
            b = os.read(r, 4096)
            if not b:
                break
            out += b
        os.waitpid(pid, 0)
    finally:
        os.close(r)
        if w != -1:
            os.close(w)
    m = re.search(rb"STAMP (\d+)", out)
    return (int(m.group(1)) - t0) / 1e6 if m else None


class RawConn:
    """One kept HTTP/1.1 connection that sends a request made beforehand
    in one write and reads the answer (nginx's, with Content-Length).
    The start's clock is read just before the request's bytes go out,
    as the report says: http.client first builds them (0.14 ms of the
    client's own time, measured) and sends the body in a second write."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _more(self):
        b = self.sock.recv(65536)
        if not b:
            raise RuntimeError("the connection closed mid-answer")
        self.buf += b

    def send(self, req):
        self.sock.sendall(req)

    def answer(self):
        """The status and body of the next answer."""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        m = re.search(rb"(?im)^content-length:[ \t]*(\d+)", head)
        if m is None:
            raise RuntimeError("an answer without Content-Length: %r" %
                               head[:200])
        n = int(m.group(1))
        while len(self.buf) < n:
            self._more()
        body, self.buf = self.buf[:n], self.buf[n:]
        return int(head.split(None, 2)[1]), body

    def close(self):
        self.sock.close()


def section_start(srv, R):
    """POST to the task's program running, on the task's own clock; and
    beside each, the same program started by this process itself: what
    a start costs on this machine with no server in the way."""
    log("start: %d tasks, one at a time, each beside a bare spawn" %
        START_N)
    body = json.dumps({"kind": "stamp"}).encode()
    req = (b"POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Content-Type: application/json\r\nContent-Length: %d\r\n"
           b"\r\n%s" % (len(body), body))
    conn = RawConn(srv.port)
    sent = []
    post_ms = []
    bare = []
    bare_missing = 0
    for _ in range(START_N):
        t0 = time.time_ns()
        conn.send(req)
        status, answer = conn.answer()
        post_ms.append((time.time_ns() - t0) / 1e6)
        if status != 201:
            raise RuntimeError("start: POST /api/tasks: %d %r" % (
                status, answer[:200]))
        sent.append((json.loads(answer)["id"], t0))
        time.sleep(0.02)
        b = bare_stamp()
        if b is None:
            bare_missing += 1
        else:
            bare.append(b)
        time.sleep(0.02)
    conn.close()
    srv.wait_all_finished([i for i, _ in sent])
    lat, claim, exec_ = [], [], []
    missing = 0
    for tid, t0 in sent:
        r = srv.get("/api/tasks/%d/log" % tid)
        m = re.search(rb"STAMP (\d+)", r.body)
        if r.status != 200 or not m:
            missing += 1
            continue
        stamp = int(m.group(1))
        lat.append((stamp - t0) / 1e6)
        t = srv.get_json("/api/tasks/%d" % tid)
        started = iso_ms(t["started_at"])
        claim.append(started - t0 / 1e6)
        exec_.append(stamp / 1e6 - started)
    R["start"] = {"p50_ms": median(lat), "p99_ms": pct(lat, 99),
                  "min_ms": min(lat) if lat else float("nan"),
                  "n": len(lat), "missing": missing,
                  "post_p50_ms": median(post_ms),
                  "to_claim_p50_ms": median(claim),
                  "claim_to_exec_p50_ms": median(exec_),
                  "bare_p50_ms": median(bare), "bare_p99_ms": pct(bare, 99),
                  "bare_n": len(bare), "bare_missing": bare_missing}
    log("  p50 %.2f ms, p99 %.2f ms (POST answered in %.2f ms); bare "
        "spawn to first instruction p50 %.2f ms, p99 %.2f ms" % (
            R["start"]["p50_ms"], R["start"]["p99_ms"],
            R["start"]["post_p50_ms"], R["start"]["bare_p50_ms"],
            R["start"]["bare_p99_ms"]))


def iso_ms(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    return d.timestamp() * 1000.0


def section_progress(srv, R):
    """Runner's stamp in the progress message -> SSE client via nginx."""
    log("progress: %d tasks x %d reports, %d ms apart" % (
        PROGRESS_TASKS, PROGRESS_N, PROGRESS_MS))
    lat = []
    lost = 0
    for _ in range(PROGRESS_TASKS):
        s = SSEThread(srv, "/api/events")
        s.wait_head()
        tid = srv.create("ticker", {"n": PROGRESS_N,
                                    "ms": PROGRESS_MS})["id"]
        needle = '"task":%d,' % tid

        def final(frames):
            for _, _, et, d in frames:
                if et == "state" and d.startswith('{"id":%d,' % tid) \
                        and json.loads(d)["state"] in FINISHED:
                    return True
            return False
        s.wait(final, PROGRESS_N * PROGRESS_MS / 1000.0 + 30)
        s.close()
        seen = set()
        for t, _, et, d in s.frames:
            if et != "progress" or needle not in d:
                continue
            p = json.loads(d)
            m = re.match(r"(\d+)$", p.get("message") or "")
            if not m:
                continue
            seen.add(int(p["value"]))
            lat.append((t - int(m.group(1))) / 1e6)
        lost += len(set(range(1, PROGRESS_N + 1)) - seen)
    R["progress"] = {"p50_ms": median(lat), "p99_ms": pct(lat, 99),
                     "max_ms": max(lat) if lat else float("nan"),
                     "n": len(lat), "lost": lost}
    log("  p50 %.2f ms, p99 %.2f ms, lost %d" % (
        R["progress"]["p50_ms"], R["progress"]["p99_ms"], lost))


def section_data(srv, R):
    """Reads of another task while one task sends 10,000 data items a
    second, against the same reads with nothing running, in interleaved
    rounds; and whether a stream of the busy task got every item."""
    log("data: %d rounds of %d s quiet, %d s beside a firehose" % (
        DATA_ROUNDS, DATA_SECS, DATA_SECS))
    tid = srv.create("count")["id"]
    srv.wait_all_finished([tid])
    url = srv.url("/api/tasks/%d" % tid)
    quiet, busy, rates, lost = [], [], [], []
    for rnd in range(DATA_ROUNDS):
        q = wrk(url, DATA_SECS, READ_CONNS)
        # Long enough to outlast the busy run.
        n = (DATA_SECS + 1) * DATA_RATE
        fid = srv.create("firehose", {"n": n})["id"]
        watch = SSEThread(srv, "/api/tasks/%d/events?after=0" % fid)
        watch.wait_head()
        wait_for(lambda: srv.get_json("/api/tasks/%d" % fid)["state"] !=
                 "queued", 10, what="the firehose to start")
        b = wrk(url, DATA_SECS, READ_CONNS)
        srv.wait_all_finished([fid], timeout=120)
        watch.wait(lambda f: f and f[-1][2] == "state" and
                   json.loads(f[-1][3])["state"] in FINISHED, 30)
        watch.close()
        t = srv.get_json("/api/tasks/%d" % fid)
        count = srv.get_json("/api/tasks/%d/data?limit=1" % fid)["count"]
        secs = (iso_ms(t["finished_at"]) - iso_ms(t["started_at"])) / 1000
        got = sum(1 for f in watch.frames if f[2] == "data")
        quiet.append(q)
        busy.append(b)
        rates.append(count / secs)
        lost.append(n - got)
        log("  round %d quiet %8.0f req/s p99 %.2f ms | busy %8.0f req/s "
            "p99 %.2f ms | %d items in %.1f s (%.0f/s), stream missed %d"
            % (rnd + 1, q["rps"], q["p99_ms"], b["rps"], b["p99_ms"],
               count, secs, count / secs, lost[-1]))
    R["data"] = {
        "quiet_rps": median([r["rps"] for r in quiet]),
        "busy_rps": median([r["rps"] for r in busy]),
        "quiet_p50_ms": median([r["p50_ms"] for r in quiet]),
        "busy_p50_ms": median([r["p50_ms"] for r in busy]),
        "quiet_p99_ms": median([r["p99_ms"] for r in quiet]),
        "busy_p99_ms": median([r["p99_ms"] for r in busy]),
        "ratio": median([b["rps"] / q["rps"] for q, b in zip(quiet, busy)]),
        # What the other clients feel: their tail latency, busy over quiet.
        "p99_ratio": median([b["p99_ms"] / q["p99_ms"]
                             for q, b in zip(quiet, busy)]),
        "items_per_s": median(rates),
        "lost": sum(lost),
        "non2xx": sum(r["non2xx"] + r["errors"] for r in quiet + busy),
    }


def section_runner_memory(srv, R):
    """RSS of a runner while it runs: a command kind and the builtin."""
    log("memory: runners")
    out = {}
    for label, kind, params in (
            ("command", "ticker", {"n": 20, "ms": 100}),
            ("builtin", "count", {"total": 20, "delay_ms": 100})):
        tid = srv.create(kind, params)["id"]
        rss = hwm = pss = priv = 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pids = runner_pids(srv.data)
            for p in pids:
                rss = max(rss, status_kb(p, "VmRSS"))
                hwm = max(hwm, status_kb(p, "VmHWM"))
                sm = smaps_kb(p)
                pss = max(pss, sm["Pss"])
                priv = max(priv, sm["Private"])
            # Until the runner itself has gone: its peak (VmHWM) may come
            # at the end, when it records the end and starts the next.
            t = srv.get_json("/api/tasks/%d" % tid)
            if t["state"] in FINISHED and not pids:
                break
            time.sleep(0.02)
        out[label] = {"rss_kb": rss, "hwm_kb": hwm, "pss_kb": pss,
                      "private_kb": priv}
        log("  %s runner: RSS %d kB (peak %d), Pss %d kB, private %d kB" % (
            label, rss, hwm, pss, priv))
    # The floor beside it: a program that links what a runner links to
    # write (libc, libsqlite3) and writes one row; and libc alone.
    db = os.path.join(srv.data, "floor.db")
    for label, argv in (("floor_libc", [os.path.join(BINDIR, "floor-libc")]),
                        ("floor_sqlite", [os.path.join(BINDIR, "floor"),
                                          db])):
        runs = []
        for _ in range(3):
            rss, hwm = (int(x) for x in subprocess.check_output(
                argv).split())
            runs.append(max(rss, hwm))
        out[label] = {"rss_kb": median(runs), "runs": runs}
        log("  %s: %s kB" % (label, runs))
    R["runner_mem"] = out


def fcgi_mem(srv):
    pid = srv.fcgi_pid()
    sm = smaps_kb(pid)
    return {"rss_kb": status_kb(pid, "VmRSS"),
            "hwm_kb": status_kb(pid, "VmHWM"),
            "pss_kb": sm["Pss"], "private_kb": sm["Private"],
            "threads": int(re.search(rb"Threads:\s+(\d+)", read_proc(
                pid, "status")).group(1))}


def create_script(folder, kind):
    path = os.path.join(folder, "create-%s.lua" % kind)
    with open(path, "w") as f:
        f.write('wrk.method = "POST"\n'
                'wrk.body = \'{"kind":"%s"}\'\n'
                'wrk.headers["Content-Type"] = "application/json"\n' % kind)
    return path


def section_creates(srv, R):
    """Creates accepted per second from 8 clients (wrk, keep-alive)."""
    log("creates: %d runs of %d s, %d clients" % (
        CREATE_ROUNDS, CREATE_SECS, CREATE_CLIENTS))
    script = create_script(srv.data, "nothing")
    runs = []
    for rnd in range(CREATE_ROUNDS):
        srv.wait_idle()
        st = static_run(srv, CREATE_SECS)
        srv.wait_idle()
        r = wrk(srv.url("/api/tasks"), CREATE_SECS, CREATE_CLIENTS,
                script=script)
        r["static"] = st["rps"]
        runs.append(r)
        log("  run %d: %.0f creates/s (p50 %.2f ms, non-2xx %d); static "
            "%.0f/s" % (rnd + 1, r["rps"], r["p50_ms"], r["non2xx"],
                        st["rps"]))
    srv.wait_idle()
    R["creates"] = {
        "rps": median([r["rps"] for r in runs]),
        "runs": [r["rps"] for r in runs],
        "ratio": median([r["rps"] / r["static"] for r in runs]),
        "p50_ms": median([r["p50_ms"] for r in runs]),
        "p99_ms": median([r["p99_ms"] for r in runs]),
        "non2xx": sum(r["non2xx"] for r in runs),
        "errors": sum(r["errors"] for r in runs)}


def spawn_rate(secs=SPAWN_SECS):
    """How many `/bin/true` this machine starts and reaps a second, one
    posix_spawn and waitpid after another on each core at once: the
    ceiling over any rate of tasks that run a command, measured beside
    it."""
    workers = os.cpu_count() or 1
    counts = [0] * workers
    t0 = time.monotonic()
    stop = t0 + secs

    def work(i):
        while time.monotonic() < stop:
            pid = os.posix_spawn("/bin/true", ["true"], {})
            os.waitpid(pid, 0)
            counts[i] += 1

    threads = [threading.Thread(target=work, args=(i,))
               for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - t0)


def section_e2e(srv, R):
    """N do-nothing tasks created by 8 clients: first POST to last end."""
    out = {}
    for kind, params in (("nothing", None), ("count", {"total": 1,
                                                       "delay_ms": 0})):
        log("end to end: %d runs of %d %s tasks" % (E2E_ROUNDS, E2E_N, kind))
        runs = []
        spawns = []
        for rnd in range(E2E_ROUNDS):
            srv.wait_idle()
            spawns.append(spawn_rate())
            runs.append(e2e_once(srv, kind, params))
            log("  run %d: %.0f tasks/s (creates took %.2f s, all done "
                "in %.2f s, the client's CPU %.2f s); bare spawns of true "
                "%.0f/s" % (rnd + 1, runs[-1]["tps"], runs[-1]["create_s"],
                            runs[-1]["total_s"], runs[-1]["client_cpu_s"],
                            spawns[-1]))
        out[kind] = {"tps": median([r["tps"] for r in runs]),
                     "runs": [r["tps"] for r in runs],
                     "ratio": median([r["tps"] for r in runs]) /
                     static_rps(),
                     "spawn": median(spawns),
                     "spawn_ratio": median([r["tps"] / sp for r, sp in
                                            zip(runs, spawns)]),
                     "failed": sum(r["failed"] for r in runs)}
    R["e2e"] = out


def section_e2e_default(R):
    """The builtin end to end again, with HOURGLASS_MAX_RUNNING at its
    default (the number of cores) rather than the bench's 64: tasks
    then wait queued, and a runner's end takes the next for itself. For
    information; the target is judged above, at 64."""
    log("end to end: %d runs of %d count tasks, default "
        "HOURGLASS_MAX_RUNNING (%d cores)" % (E2E_ROUNDS, E2E_N,
                                              os.cpu_count()))
    srv = Server(kinds_file())
    srv.extra_env["HOURGLASS_MAX_RUNNING"] = None
    runs = []
    try:
        srv.start()
        for rnd in range(E2E_ROUNDS):
            srv.wait_idle()
            runs.append(e2e_once(srv, "count", {"total": 1,
                                                "delay_ms": 0}))
            log("  run %d: %.0f tasks/s" % (rnd + 1, runs[-1]["tps"]))
    finally:
        srv.stop()
        srv.close()
    R["e2e_default"] = {"tps": median([r["tps"] for r in runs]),
                        "runs": [r["tps"] for r in runs],
                        "failed": sum(r["failed"] for r in runs)}


def e2e_once(srv, kind, params):
    """bench/bin/tasks: E2E_N creates from CREATE_CLIENTS connections,
    timed from the first POST to the last task's end on an event stream
    opened before them."""
    body = {"kind": kind}
    if params is not None:
        body["params"] = params
    r = subprocess.run([os.path.join(BINDIR, "tasks"), str(srv.port),
                        str(E2E_N), str(CREATE_CLIENTS), json.dumps(body)],
                       capture_output=True, text=True, timeout=400)
    if r.returncode != 0:
        raise RuntimeError("end to end: %s" % r.stderr.strip())
    f = r.stdout.split()
    v = dict(zip(f[0::2], f[1::2]))
    return {"tps": float(v["tps"]), "create_s": float(v["create_s"]),
            "total_s": float(v["total_s"]), "failed": int(v["failed"]),
            "client_cpu_s": float(v["cpu_s"])}


# ------------------------------------------------------------ many watchers

def watcher_line(proc, word):
    """The next line of bench/watchers, which must begin with word; its
    other fields."""
    line = proc.stdout.readline().decode()
    f = line.split()
    if not f or f[0] != word:
        raise RuntimeError("bench/watchers: %r where %s was due" % (line,
                                                                  word))
    return f[1:]


def watch_step(srv, n):
    """n streams on /api/events, read by bench/watchers (one epoll loop
    in C, so that the delays are the server's and nginx's rather than the
    client's), and one ticker task sent to all of them."""
    proc = subprocess.Popen([os.path.join(BINDIR, "watchers"),
                             str(srv.port), "/api/events", str(n)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        f = watcher_line(proc, "opened")
        opened, open_s, cpu_open = int(f[0]), float(f[2]), float(f[3])
        time.sleep(0.5)
        mem_open = fcgi_mem(srv)
        ngx_open = srv.nginx_rss_kb()
        # The watched task: WATCH_EVENTS stamped reports, WATCH_MS apart.
        tid = srv.create("ticker", {"n": WATCH_EVENTS, "ms": WATCH_MS})["id"]
        deadline = time.monotonic() + WATCH_EVENTS * WATCH_MS / 1000.0 + 60
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if srv.get_json("/api/tasks/%d" % tid)["state"] in FINISHED:
                break
        expect = replay_ids(srv, tid)
        # Give every watcher up to 5 s more to receive the last event.
        proc.stdin.write(b"wait %d 5000\n" % expect[-1])
        proc.stdin.flush()
        watcher_line(proc, "have")
        mem_after = fcgi_mem(srv)
        ngx_after = srv.nginx_rss_kb()
        proc.stdin.write(b"stop\n")
        proc.stdin.flush()
        client_cpu = float(watcher_line(proc, "stopped")[0])
        got = [{} for _ in range(n)]    # event id -> (recv ns, type, stamp)
        lost = 0
        for line in proc.stdout:
            f = line.split()
            if f[0] == b"e":
                got[int(f[1])][int(f[2])] = (int(f[4]), f[3].decode(),
                                             int(f[5]))
            elif f[0] == b"w":
                lost += f[2] == b"200" and f[3] == b"1"
            elif f[0] == b"done":
                break
        proc.stdin.close()
        if proc.wait(30) != 0:
            raise RuntimeError("bench/watchers exited with %d" %
                               proc.returncode)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    first = {}
    for g in got:
        for eid in expect:
            if eid in g:
                t = g[eid][0]
                if eid not in first or t < first[eid]:
                    first[eid] = t
    complete = 0
    delays = []
    for g in got:
        if all(eid in g for eid in expect):
            complete += 1
        for eid in expect:
            if eid not in g:
                continue
            t, et, stamp = g[eid]
            ref = first[eid]
            if et == "progress" and stamp:
                ref = stamp
            delays.append((t - ref) / 1e6)
    time.sleep(1.0)     # for nginx and the server to see the closes
    ok = (opened == n and complete == n and delays and
          max(delays) <= 1000.0)
    return {"n": n, "opened": opened, "complete": complete, "lost": lost,
            "events": len(expect), "open_s": open_s,
            "delay_p50_ms": median(delays), "delay_p99_ms": pct(delays, 99),
            "delay_max_ms": max(delays) if delays else float("nan"),
            "fcgi_rss_kb": max(mem_open["rss_kb"], mem_after["rss_kb"]),
            "fcgi_threads": mem_open["threads"],
            "nginx_rss_kb": max(ngx_open, ngx_after),
            "client_cpu_s": client_cpu, "client_cpu_open_s": cpu_open,
            "ok": ok}


def section_watchers(R):
    # bench/watchers raises its own limit on open files; the server
    # raises its (scripts/serve, nginx.conf).
    srv = Server(kinds_file()).start()
    try:
        time.sleep(1)
        idle = fcgi_mem(srv)
        steps = []
        for n in WATCH_STEPS:
            log("watchers: %d clients on /api/events" % n)
            r = watch_step(srv, n)
            steps.append(r)
            log("  opened %d, complete %d of %d, %d lost; delay p50 %.1f "
                "ms, max %.1f ms; fcgi RSS %.1f MiB, %d threads; nginx RSS "
                "%.1f MiB; client CPU %.2f s"
                % (r["opened"], r["complete"], n, r["lost"],
                   r["delay_p50_ms"], r["delay_max_ms"],
                   r["fcgi_rss_kb"] / 1024.0, r["fcgi_threads"],
                   r["nginx_rss_kb"] / 1024.0, r["client_cpu_s"]))
            if not r["ok"]:
                break
        R["watchers"] = {"steps": steps, "idle_rss_kb": idle["rss_kb"],
                         "held": max([s["n"] for s in steps if s["ok"]],
                                     default=0)}
    finally:
        srv.close()


# ----------------------------------------------------------------- history

def bulk_insert(db, n_new):
    """Adds n_new finished tasks (and 2 events each: the last progress
    and the final state) straight into SQLite, in one transaction."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode = DELETE")
    con.execute("PRAGMA synchronous = OFF")
    lo = con.execute("SELECT coalesce(max(id), 0) FROM tasks").fetchone()[
        0] + 1
    ebase = con.execute("SELECT coalesce(max(id), 0) FROM events"
                        ).fetchone()[0]
    now = int(time.time() * 1000)
    span = 20 * 86400 * 1000            # finished over the last 20 days
    t_start = now - span - 3600 * 1000
    step = span / max(n_new, 1)
    con.execute("BEGIN")
    con.execute("""
        WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n
                                WHERE i < ?1 + ?2 - 1)
        INSERT INTO tasks (id, kind, name, params, state, value, total,
            message, created_at, started_at, finished_at, exit_code,
            error_code, error_message, stop_requested, runner_pid,
            runner_start, launched_at, thinned)
        SELECT i, 'count', NULL, '{"total":10,"delay_ms":50}',
            CASE WHEN i % 100 < 90 THEN 'succeeded'
                 WHEN i % 100 < 97 THEN 'failed' ELSE 'canceled' END,
            10, 10, NULL, c, c + 2, c + 600, NULL,
            CASE WHEN i % 100 < 90 THEN NULL
                 WHEN i % 100 < 97 THEN 'exit_code' ELSE NULL END,
            CASE WHEN i % 100 < 90 THEN NULL
                 WHEN i % 100 < 97 THEN 'exited with status 1'
                 ELSE NULL END,
            0, 1, 1, c + 1, 1
        FROM (SELECT i, CAST(?3 + (i - ?1) * ?4 AS INTEGER) AS c FROM n)
        """, (lo, n_new, t_start, step))
    con.execute("""
        INSERT INTO events (id, task_id, type, state, data, at)
        SELECT ?1 + 2 * (id - ?2) + k, id,
            CASE k WHEN 1 THEN 'progress' ELSE 'state' END,
            CASE k WHEN 1 THEN NULL ELSE state END,
            CASE k WHEN 1 THEN json_object('task', id, 'value', 10,
                'total', 10, 'percent', 100.0, 'message', NULL)
            ELSE json_object('id', id, 'kind', kind, 'name', NULL,
                'params', json(params), 'state', state,
                'progress', json_object('value', 10, 'total', 10,
                    'percent', 100.0, 'message', NULL),
                'created_at', strftime('%Y-%m-%dT%H:%M:%fZ',
                    created_at / 1000.0, 'unixepoch'),
                'started_at', strftime('%Y-%m-%dT%H:%M:%fZ',
                    started_at / 1000.0, 'unixepoch'),
                'finished_at', strftime('%Y-%m-%dT%H:%M:%fZ',
                    finished_at / 1000.0, 'unixepoch'),
                'exit_code', exit_code,
                'error', CASE WHEN error_code IS NULL THEN NULL ELSE
                    json_object('code', error_code, 'message',
                    error_message) END) END,
            finished_at
        FROM tasks, (SELECT 1 AS k UNION ALL SELECT 2)
        WHERE id >= ?2
        ORDER BY id, k
        """, (ebase, lo))
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode = WAL")
    total = con.execute("SELECT count(*) FROM tasks").fetchone()[0]
    con.close()
    return total


def timed(fn, n, gap=0.0):
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t0) / 1e6)
        if gap:
            time.sleep(gap)
    return out


def section_scale(R):
    data = tempfile.mkdtemp(prefix="hourglass-bench-scale-")
    srv = Server(kinds_file(), data=data)
    rows = []
    have = 0
    try:
        srv.start()
        srv.stop()
        db = os.path.join(data, "hourglass.db")
        for size in SCALE_SIZES:
            if size > have:
                log("history: inserting %d finished tasks" % (size - have))
                t0 = time.monotonic()
                have = bulk_insert(db, size - have)
                log("  %d tasks in the database (%.0f s)" % (
                    have, time.monotonic() - t0))
            srv.start()
            time.sleep(1.5)     # the janitor's first passes
            conn = srv.conn()

            def get(path):
                st = srv.get(path, conn=conn).status
                if st != 200:
                    raise RuntimeError("GET %s: %d" % (path, st))
            created = []

            def create():
                created.append(srv.create("nothing", conn=conn)["id"])
            # Creates first: then even the empty database lists a full
            # page of 50 below.
            crt = timed(create, SCALE_REQS, gap=0.01)
            srv.wait_all_finished(created[-5:])
            srv.wait_idle()
            tid = created[0]
            for _ in range(20):
                get("/api/tasks?limit=50")              # warm up
            lst = timed(lambda: get("/api/tasks?limit=50"), SCALE_REQS)
            lst_state = timed(lambda: get(
                "/api/tasks?limit=50&state=succeeded"), SCALE_REQS)
            lst_run = timed(lambda: get(
                "/api/tasks?limit=50&state=running"), SCALE_REQS)
            one = timed(lambda: get("/api/tasks/%d" % tid), SCALE_REQS)
            met = timed(lambda: get("/api/metrics"), SCALE_REQS)
            conn.close()
            srv.wait_all_finished(created[-5:])
            srv.wait_idle()
            pid = srv.fcgi_pid()
            time.sleep(1)
            c0 = cpu_ticks(pid)
            time.sleep(5)
            cpu = (cpu_ticks(pid) - c0) / os.sysconf("SC_CLK_TCK") / 5 * 100
            mem = fcgi_mem(srv)
            row = {"size": size, "tasks": have + len(created),
                   "list_p50_ms": median(lst), "list_p99_ms": pct(lst, 99),
                   "list_state_p50_ms": median(lst_state),
                   "list_running_p50_ms": median(lst_run),
                   "get_p50_ms": median(one),
                   "metrics_p50_ms": median(met),
                   "metrics_p99_ms": pct(met, 99),
                   "create_p50_ms": median(crt),
                   "create_p99_ms": pct(crt, 99),
                   "idle_cpu_pct": cpu, "rss_kb": mem["rss_kb"],
                   "start_s": srv.start_secs,
                   "db_mib": os.path.getsize(db) / MiB}
            rows.append(row)
            have = row["tasks"]
            log("  %d tasks: list %.2f ms, list?state %.2f ms, create "
                "%.2f ms, idle CPU %.1f%%, RSS %.1f MiB" % (
                    size, row["list_p50_ms"], row["list_state_p50_ms"],
                    row["create_p50_ms"], cpu, mem["rss_kb"] / 1024.0))
            srv.stop()
    finally:
        srv.stop()
        shutil.rmtree(data, ignore_errors=True)
    R["scale"] = rows


# ------------------------------------------------------------------ report

def machine():
    cpu = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = "%.1f GiB" % (int(line.split()[1]) / 1024.0 / 1024.0)
    try:
        debian = open("/etc/debian_version").read().strip()
    except OSError:
        debian = "?"

    def dpkg(p):
        return sh("dpkg-query -W -f='${Version}' %s 2>/dev/null" % p) or "?"
    commit = sh("git -C %s rev-parse --short HEAD" % REPO)
    dirty = sh("git -C %s status --porcelain --untracked-files=no -- fcgi "
               "lib taskrunner sql nginx.conf" % REPO)
    return [
        ("date", datetime.datetime.now().strftime("%Y-%m-%d %H:%M")),
        ("commit", commit + (" (with uncommitted changes to the server)"
                             if dirty else "")),
        ("cores (nproc)", str(os.cpu_count())),
        ("CPU", cpu), ("memory", mem),
        ("kernel", platform.release()), ("Debian", debian),
        ("nginx", sh("nginx -v 2>&1").replace("nginx version: ", "")),
        ("SQLite (libsqlite3-0)", dpkg("libsqlite3-0")),
        ("libfcgi (libfcgi0ldbl)", dpkg("libfcgi0ldbl")),
        ("gcc", sh("gcc -dumpfullversion")),
        ("wrk", sh("wrk -v 2>&1 | head -1").split(" Copyright")[0]),
        ("mode", "BENCH_QUICK=1 (smoke run: too short to trust)"
         if QUICK else "full"),
    ]


def f1(x):
    return "–" if x != x else "%.1f" % x


def f2(x):
    return "–" if x != x else "%.2f" % x


def f0(x):
    return "–" if x != x else "{:,.0f}".format(x)


def mib(kb):
    return "%.2f MiB" % (kb / 1024.0)


NAN = float("nan")
UNKNOWN = "?"   # a verdict that a results file from before the figure
                # it needs cannot give (bench.py --report-only)


def verdict(ok):
    if ok is None:
        return ""
    if ok is UNKNOWN:
        return UNKNOWN
    return "PASS" if ok else "**MISS**"


def judged(ok, *figures):
    """ok, or UNKNOWN when any of the figures it rests on is missing."""
    return UNKNOWN if any(x != x for x in figures) else ok


def q2(x):
    """f2, with "?" for a figure an older results file lacks."""
    return UNKNOWN if x != x else "%.2f" % x


def q0(x):
    """f0, the same way."""
    return UNKNOWN if x != x else f0(x)


def flat(rows, key):
    """A figure is flat if the largest history's median is within 1.5x
    (+0.2 ms of timer noise) of the empty database's."""
    if len(rows) < 2:
        return True
    return rows[-1][key] <= rows[0][key] * 1.5 + 0.2


def summary_rows(R):
    rd, st, pg = R["reads"], R["start"], R["progress"]
    e2e, e2b = R["e2e"]["nothing"], R["e2e"]["count"]
    bare = st.get("bare_p50_ms", NAN)
    spawn_ratio = e2e.get("spawn_ratio", NAN)
    # A command task is a spawn and all a builtin task does: at b spawns'
    # worth of builtin tasks, b / (1 + b) of a spawn's rate if they add.
    b = e2b.get("spawn_ratio", NAN)
    spawn_bound = b / (1 + b)
    p99_ratio = R["data"].get("p99_ratio", NAN)
    w = R["watchers"]
    idle = R["fcgi_idle"]["rss_kb"]
    rm = R["runner_mem"]
    run = max(max(rm[k]["rss_kb"], rm[k]["hwm_kb"])
              for k in ("command", "builtin"))
    floor_note = ""
    if "floor_sqlite" in rm:
        floor_note = "; the floor, a program that links libsqlite3 and " \
            "writes one row: %s" % mib(rm["floor_sqlite"]["rss_kb"])
    sc = R["scale"]
    rows = [
        ("reads: GET /api/tasks/{id} vs nginx static",
         "%s req/s = %.3f x nginx (%s/s)" % (f0(rd["get"]["rps"]),
                                          rd["get"]["ratio"],
                                          f0(rd["static"]["rps"])),
         ">= 0.5, no non-2xx",
         rd["get"]["ratio"] >= 0.5 and rd["get"]["non2xx"] == 0 and
         rd["get"]["errors"] == 0),
        ("reads: GET /api/tasks?limit=50 vs nginx static",
         "%s req/s = %.3f x nginx" % (f0(rd["list"]["rps"]),
                                      rd["list"]["ratio"]),
         ">= 0.5, no non-2xx",
         rd["list"]["ratio"] >= 0.5 and rd["list"]["non2xx"] == 0 and
         rd["list"]["errors"] == 0),
        ("reads: the same list page under 4,096 keys (no kept answer)",
         "%s req/s = %.3f x nginx" % (f0(rd["uncached"]["rps"]),
                                      rd["uncached"]["ratio"]),
         ">= 0.5, no non-2xx",
         rd["uncached"]["ratio"] >= 0.5 and rd["uncached"]["non2xx"] == 0
         and rd["uncached"]["errors"] == 0),
        ("reads: non-2xx answers",
         "%d of %s" % (sum(rd[k]["non2xx"] for k in ("get", "list",
                                                     "uncached")),
                       f0(sum(rd[k]["requests"] for k in ("get", "list",
                                                          "uncached")))),
         "none", sum(rd[k]["non2xx"] for k in ("get", "list",
                                               "uncached")) == 0),
        ("start: POST to program running",
         "p50 %s ms (bare + %s ms), p99 %s ms" % (
             f2(st["p50_ms"]), q2(st["p50_ms"] - bare), f2(st["p99_ms"])),
         "p50 <= bare spawn-to-first-instruction (%s ms) + 0.7 ms" %
         q2(bare), judged(st["p50_ms"] <= bare + 0.7, bare)),
        ("creates/s, 8 clients",
         "%s/s = %.3f x nginx" % (f0(R["creates"]["rps"]),
                                  R["creates"]["ratio"]),
         "(no target)", None),
        ("do-nothing tasks/s end to end (`true`), 8 clients",
         "%s/s = %.3f x nginx = %s x bare spawns of `true` (%s/s); "
         "a bare spawn plus a builtin task's way, were their costs to "
         "add: %s" % (
             f0(e2e["tps"]), e2e["ratio"], q2(spawn_ratio),
             q0(e2e.get("spawn", NAN)), q2(spawn_bound)),
         ">= 0.9 x bare spawns in the same run",
         judged(spawn_ratio >= 0.9, spawn_ratio)),
        ("do-nothing tasks/s end to end (builtin `count`), 8 clients",
         "%s/s = %.3f x nginx" % (f0(e2b["tps"]), e2b["ratio"]),
         ">= 1,600", e2b["tps"] >= 1600),
        ("progress: runner to SSE client via nginx",
         "p50 %s ms, p99 %s ms, %d lost" % (f2(pg["p50_ms"]),
                                            f2(pg["p99_ms"]), pg["lost"]),
         "p50 <= 1, p99 <= 2 ms, none lost",
         pg["p50_ms"] <= 1 and pg["p99_ms"] <= 2 and pg["lost"] == 0),
        ("API p99 beside a task sending 10,000 data items/s",
         "p99 %s -> %s ms = %s x quiet; %s req/s = %.2f x quiet; %s "
         "items/s stored, %d missed by its stream" % (
             f2(R["data"]["quiet_p99_ms"]), f2(R["data"]["busy_p99_ms"]),
             q2(p99_ratio), f0(R["data"]["busy_rps"]), R["data"]["ratio"],
             f0(R["data"]["items_per_s"]), R["data"]["lost"]),
         "p99 <= 2 x quiet, none missed",
         False if R["data"]["lost"] or R["data"]["non2xx"] else
         judged(p99_ratio <= 2, p99_ratio)),
        ("watchers held, every event within 1 s",
         "%s (of steps %s)" % (f0(w["held"]), ", ".join(
             f0(s["n"]) for s in w["steps"])),
         ">= 10,000", w["held"] >= 10000),
        ("at the most watchers: delivery p99, hourglass-fcgi RSS, threads",
         "%s: %s ms, %s, %d threads" % (
             f0(w["steps"][-1]["n"]), f1(w["steps"][-1]["delay_p99_ms"]),
             mib(w["steps"][-1]["fcgi_rss_kb"]),
             w["steps"][-1]["fcgi_threads"]),
         "10,000: p99 <= 250 ms, <= 64 MiB, <= 32 threads",
         w["steps"][-1]["n"] >= 10000 and w["steps"][-1]["ok"] and
         w["steps"][-1]["delay_p99_ms"] <= 250 and
         w["steps"][-1]["fcgi_rss_kb"] <= 64 * 1024 and
         w["steps"][-1]["fcgi_threads"] <= 32),
        ("idle hourglass-fcgi RSS", "%s (%s kB)" % (mib(idle), f0(idle)),
         "<= 8 MiB", idle <= 8 * 1024),
        ("runner RSS while it runs (peak)", "%s (%s kB)%s" % (
            mib(run), f0(run), floor_note),
         "<= 2 MiB", run <= 2 * 1024),
        ("list page, empty -> %s tasks" % f0(sc[-1]["size"]),
         "%s -> %s ms" % (f2(sc[0]["list_p50_ms"]),
                          f2(sc[-1]["list_p50_ms"])),
         "flat", flat(sc, "list_p50_ms") and flat(sc, "list_state_p50_ms")),
        ("create, empty -> %s tasks" % f0(sc[-1]["size"]),
         "%s -> %s ms" % (f2(sc[0]["create_p50_ms"]),
                          f2(sc[-1]["create_p50_ms"])),
         "flat", flat(sc, "create_p50_ms")),
        ("GET /api/metrics at %s tasks" % f0(sc[-1]["tasks"]),
         "p50 %s ms, p99 %s ms" % (f2(sc[-1]["metrics_p50_ms"]),
                                  f2(sc[-1]["metrics_p99_ms"])),
         "p50 < 5 ms", sc[-1]["metrics_p50_ms"] < 5.0),
    ]
    return rows


def report(R, path):
    L = []
    add = L.append
    add("# Hourglass benchmarks, %s" % datetime.date.today().isoformat())
    add("")
    add("Written by `make bench` (bench/run, bench/bench.py); bench/README.md"
        " says what each figure means. Each figure is the median of several"
        " runs; every throughput is also given as a ratio to nginx serving"
        " a static file (`/icon.svg`) in the same run, since these machines"
        " are shared and noisy.")
    add("")
    add("## Machine")
    add("")
    add("| | |")
    add("| --- | --- |")
    for k, v in MACHINE or machine():
        add("| %s | %s |" % (k, v))
    add("")
    add("Server settings: `HOURGLASS_MAX_RUNNING=%d`, `HOURGLASS_MAX_QUEUED="
        "%d`; wrk: %d threads, %d connections, %d s per run." % (
            MAX_RUNNING, MAX_QUEUED, WRK_THREADS, READ_CONNS, READ_SECS))
    add("")

    rd = R["reads"]
    add("## API reads (wrk, %d interleaved rounds)" % READ_ROUNDS)
    add("")
    add("| target | req/s (median) | runs | ratio to nginx | latency p50 / "
        "p99 | non-2xx | socket errors |")
    add("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for name, label in (("static", "nginx: `GET /icon.svg`"),
                        ("get", "`GET /api/tasks/{id}`"),
                        ("list", "`GET /api/tasks?limit=50` (%d bytes; "
                         "the server's answer cache)" % rd["list_bytes"]),
                        ("uncached", "the same page, 4,096 keys "
                         "(`&before=` past the newest: no kept answer; "
                         "the tasks' objects are kept)")):
        x = rd[name]
        add("| %s | %s | %s | %s | %s / %s ms | %d | %d |" % (
            label, f0(x["rps"]), ", ".join(f0(v) for v in x["runs"]),
            "1" if name == "static" else "%.2f" % x["ratio"],
            f2(x["p50_ms"]), f2(x["p99_ms"]), x["non2xx"], x["errors"]))
    add("")
    add("Target: at least 0.5 of nginx's static rate, no non-2xx.")
    add("")

    st = R["start"]
    add("## Start: `POST /api/tasks` to the task's program running")
    add("")
    add("%d tasks of a command kind (`bench/stamp`, which prints its "
        "CLOCK_REALTIME first thing in `main`), one at a time, 20 ms apart;"
        " the client's clock is read just before it sends the POST, made "
        "beforehand and sent in one write on a kept connection. "
        "Between them, 20 ms after each, the bench itself starts "
        "`bench/stamp` with posix_spawn (stdout on a pipe, its clock read "
        "just before the spawn) and reaps it: the bare spawn to first "
        "instruction, what any start costs on this machine at that moment"
        "." % st["n"])
    add("")
    add("| figure | value |")
    add("| --- | ---: |")
    add("| start latency p50 | %s ms |" % f2(st["p50_ms"]))
    add("| start latency p99 | %s ms |" % f2(st["p99_ms"]))
    add("| start latency min | %s ms |" % f2(st["min_ms"]))
    add("| of which: POST answered (p50) | %s ms |" % f2(st["post_p50_ms"]))
    add("| of which: POST sent to runner's claim (`started_at`, ms "
        "resolution, p50) | %s ms |" % f2(st["to_claim_p50_ms"]))
    add("| of which: claim to the program's first instruction (p50) | "
        "%s ms |" % f2(st["claim_to_exec_p50_ms"]))
    add("| stamps missing (tasks / bare spawns) | %d / %s |" % (
        st["missing"], st.get("bare_missing", UNKNOWN)))
    bare = st.get("bare_p50_ms", NAN)
    add("| bare spawn to first instruction p50 (%s spawns) | %s ms |" % (
        st.get("bare_n", UNKNOWN), q2(bare)))
    add("| bare spawn to first instruction p99 | %s ms |" % q2(
        st.get("bare_p99_ms", NAN)))
    add("| start latency p50 minus bare p50 | %s ms |" % q2(
        st["p50_ms"] - bare))
    add("")
    add("Target: p50 at most the bare spawn to first instruction p50 "
        "plus 0.7 ms (here %s ms)." % q2(bare + 0.7))
    add("")

    cr = R["creates"]
    add("## Creates and tasks carried end to end")
    add("")
    add("| figure | median | runs | ratio to nginx | notes |")
    add("| --- | ---: | --- | ---: | --- |")
    add("| creates accepted/s, %d clients (wrk, kind `nothing` = `true`) |"
        " %s | %s | %.3f | p50 %s ms, p99 %s ms; non-2xx %d, socket errors"
        " %d |" % (CREATE_CLIENTS, f0(cr["rps"]), ", ".join(
            f0(v) for v in cr["runs"]), cr["ratio"], f2(cr["p50_ms"]),
            f2(cr["p99_ms"]), cr["non2xx"], cr["errors"]))
    for kind, label in (("nothing", "command `true`"),
                        ("count", "builtin `count`, total=1, delay_ms=0")):
        x = R["e2e"][kind]
        add("| do-nothing tasks/s end to end, %s (%d tasks, 8 clients) | "
            "%s | %s | %.3f | %s x bare spawns of `true` (%s/s); %d did "
            "not succeed |" % (
                label, E2E_N, f0(x["tps"]), ", ".join(
                    f0(v) for v in x["runs"]), x["ratio"],
                q2(x.get("spawn_ratio", NAN)), q0(x.get("spawn", NAN)),
                x["failed"]))
    if "e2e_default" in R:
        x = R["e2e_default"]
        add("| the same builtin, `HOURGLASS_MAX_RUNNING` at its default "
            "(%d, the cores: a queue throughout) | %s | %s | %.3f | for "
            "information; %d did not succeed |" % (
                os.cpu_count(), f0(x["tps"]),
                ", ".join(f0(v) for v in x["runs"]),
                x["tps"] / static_rps(), x["failed"]))
    add("")
    add("End to end: from the first POST to the last task's final state "
        "event on `/api/events`. Targets: the command kind at least 0.9 "
        "of the bare spawn rate (the median of the runs' ratios, each run "
        "to the spawns just before it); the builtin at least 1,600 "
        "tasks/s. Bare spawns: `/bin/true` started with "
        "posix_spawn and reaped, one after another on each core at once, "
        "for %.1f s just before each run: what the machine's kernel allows "
        "any process-per-command design, Hourglass's included (a command "
        "task is at least one such spawn)." % SPAWN_SECS)
    add("")

    pg = R["progress"]
    add("## Progress: runner to SSE client through nginx")
    add("")
    add("%d command tasks (`bench/ticker`) of %d reports each, %d ms apart"
        " (past the runner's 50 ms coalescing), each report carrying the "
        "runner's CLOCK_REALTIME; an SSE client on `/api/events` through "
        "nginx notes when each arrives." % (PROGRESS_TASKS, PROGRESS_N,
                                            PROGRESS_MS))
    add("")
    add("| p50 | p99 | max | events | lost |")
    add("| ---: | ---: | ---: | ---: | ---: |")
    add("| %s ms | %s ms | %s ms | %d | %d |" % (
        f2(pg["p50_ms"]), f2(pg["p99_ms"]), f2(pg["max_ms"]), pg["n"],
        pg["lost"]))
    add("")
    add("Target: p50 at most 1 ms, p99 at most 2 ms, no event lost.")
    add("")

    dt = R["data"]
    add("## Data items: reads beside a task that sends 10,000 a second")
    add("")
    add("%d rounds: wrk reads `GET /api/tasks/{id}` of a finished task for"
        " %d s with nothing running, then for %d s while a command task "
        "(`bench/firehose`) prints %s data items a second, one JSON line "
        "each, and an SSE client reads that task's stream through nginx."
        % (DATA_ROUNDS, DATA_SECS, DATA_SECS, f0(DATA_RATE)))
    add("")
    add("| | quiet | beside the firehose |")
    add("| --- | ---: | ---: |")
    add("| req/s (median) | %s | %s |" % (f0(dt["quiet_rps"]),
                                         f0(dt["busy_rps"])))
    add("| latency p50 | %s ms | %s ms |" % (f2(dt["quiet_p50_ms"]),
                                             f2(dt["busy_p50_ms"])))
    add("| latency p99 | %s ms | %s ms |" % (f2(dt["quiet_p99_ms"]),
                                             f2(dt["busy_p99_ms"])))
    add("")
    add("Latency p99 busy/quiet (median of the rounds' ratios): %s. "
        "Rate busy/quiet (the same way): %.2f. Items stored: %s a second "
        "(the task's count over its run); items its stream missed: %d; "
        "non-2xx or socket errors: %d." % (
            q2(dt.get("p99_ratio", NAN)), dt["ratio"],
            f0(dt["items_per_s"]), dt["lost"], dt["non2xx"]))
    add("")
    add("Target: the other clients' p99 at most 2 times the quiet one, "
        "no item missed. The rate ratio is for information.")
    add("")

    w = R["watchers"]
    add("## Many watchers on `/api/events`")
    add("")
    add("N clients hold `/api/events` through nginx; then one task reports "
        "%d progress values %d ms apart. A step passes when every client "
        "receives every event of the task (%s state and progress events, "
        "checked against the task's own replay) within 1 s: of the "
        "runner's stamp for progress, of the first client to get it for "
        "state events. Idle hourglass-fcgi before the first step: %s." % (
            WATCH_EVENTS, WATCH_MS, w["steps"][0]["events"]
            if w["steps"] else "?", mib(w["idle_rss_kb"])))
    add("")
    add("| clients | opened | got every event | delay p50 / p99 / max | "
        "hourglass-fcgi RSS (threads) | nginx RSS (all processes) | "
        "time to open | client CPU (of it opening) | within 1 s |")
    add("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for s in w["steps"]:
        # Reports of runs before bench/watchers have no client CPU.
        cpu = ("%.2f s (%.2f)" % (s["client_cpu_s"], s["client_cpu_open_s"])
               if "client_cpu_s" in s else "?")
        add("| %s | %s | %s | %s / %s / %s ms | %s (%d) | %s | %.1f s | %s "
            "| %s |"
            % (f0(s["n"]), f0(s["opened"]), f0(s["complete"]),
               f1(s["delay_p50_ms"]), f1(s["delay_p99_ms"]),
               f1(s["delay_max_ms"]), mib(s["fcgi_rss_kb"]),
               s["fcgi_threads"], mib(s["nginx_rss_kb"]), s["open_s"], cpu,
               verdict(s["ok"])))
    add("")
    add("Held: **%s** watchers. Target: 10,000, delivery p99 at most "
        "250 ms, hourglass-fcgi at most 64 MiB and 32 threads. The "
        "clients are `bench/watchers`, one epoll loop in C on the same two "
        "cores; its CPU time is user plus system from the start of the "
        "step to the end of its measure (opening the connections "
        "included), and it is in the delays too." % f0(w["held"]))
    add("")

    fi, fw = R["fcgi_idle_fresh"], R["fcgi_idle"]
    rm = R["runner_mem"]
    add("## Memory")
    add("")
    add("| process | RSS | peak RSS (VmHWM) | Pss | private |")
    add("| --- | ---: | ---: | ---: | ---: |")
    add("| hourglass-fcgi, idle, just started | %s | %s | %s | %s |" % (
        mib(fi["rss_kb"]), mib(fi["hwm_kb"]), mib(fi["pss_kb"]),
        mib(fi["private_kb"])))
    f2s = R.get("fcgi_idle_2s")
    if f2s is not None:
        add("| hourglass-fcgi, 2 s after the runs above | %s | %s | %s | "
            "%s |" % (mib(f2s["rss_kb"]), mib(f2s["hwm_kb"]),
                      mib(f2s["pss_kb"]), mib(f2s["private_kb"])))
    add("| hourglass-fcgi, idle, %s s after the runs above | %s | %s | %s "
        "| %s |" % (IDLE_S if f2s is not None else "2", mib(fw["rss_kb"]),
                    mib(fw["hwm_kb"]), mib(fw["pss_kb"]),
                    mib(fw["private_kb"])))
    for k, label in (("command", "a command kind (`ticker`), not its child"),
                     ("builtin", "the builtin `count`")):
        x = rm[k]
        add("| hourglass-runner running %s | %s | %s | %s | %s |" % (
            label, mib(x["rss_kb"]), mib(x["hwm_kb"]), mib(x["pss_kb"]),
            mib(x["private_kb"])))
    for k, label in (("floor_sqlite", "the floor: `bench/floor`, linked "
                      "with libsqlite3, writes one row to a WAL database"),
                     ("floor_libc", "`bench/floor-libc`: libc alone, does "
                      "nothing")):
        if k in rm:
            add("| %s (peak, median of 3) | | %s | | |" % (
                label, mib(rm[k]["rss_kb"])))
    add("")
    add("Targets: idle hourglass-fcgi at most 8 MiB, judged %d s after "
        "the runs above, once nginx has let go of the connections it kept "
        "for them (keepalive_timeout 5 s: their threads end); a runner at "
        "most 2 MiB (its peak). RSS counts shared library pages (libc, "
        "libsqlite3) in full, and the kernel maps up to 64 KiB of them "
        "around each page touched; Pss shares them out. The floor rows "
        "are what a runner cannot go below while it links libsqlite3 "
        "and writes with it." % IDLE_S)
    add("")

    sc = R["scale"]
    add("## Scale of history")
    add("")
    add("Finished tasks inserted straight into SQLite (two events each: the"
        " last progress and the final state; finished over the last 20 "
        "days, already thinned), then the server restarted. Medians of "
        "%d sequential requests on one kept-alive connection through "
        "nginx; creates 10 ms apart." % SCALE_REQS)
    add("")
    add("| tasks in the database | database | server start | list "
        "`?limit=50` p50 (p99) | `?state=succeeded` | `?state=running` | "
        "`GET /api/tasks/{id}` | `GET /api/metrics` p50 (p99) | "
        "create p50 (p99) | idle CPU of hourglass-fcgi | its RSS |")
    add("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | ---: |")
    for r in sc:
        add("| %s | %.0f MiB | %.2f s | %s (%s) ms | %s ms | %s ms | %s ms |"
            " %s (%s) ms | %s (%s) ms | %.1f %% | %s |" % (
                f0(r["size"]), r["db_mib"], r["start_s"],
                f2(r["list_p50_ms"]), f2(r["list_p99_ms"]),
                f2(r["list_state_p50_ms"]), f2(r["list_running_p50_ms"]),
                f2(r["get_p50_ms"]), f2(r["metrics_p50_ms"]),
                f2(r["metrics_p99_ms"]), f2(r["create_p50_ms"]),
                f2(r["create_p99_ms"]), r["idle_cpu_pct"],
                mib(r["rss_kb"])))
    add("")
    add("Target: list and create flat from an empty database to the "
        "largest (here: the largest median within 1.5x + 0.2 ms of the "
        "empty one's); metrics under 5 ms at the largest.")
    add("")

    add("## Summary")
    add("")
    add("| figure | measured | target | |")
    add("| --- | --- | --- | --- |")
    for name, got, target, ok in summary_rows(R):
        add("| %s | %s | %s | %s |" % (name, got, target, verdict(ok)))
    add("")
    if "notes" in R:
        add(R["notes"])
        add("")
    text = "\n".join(L)
    with open(path, "w") as f:
        f.write(text)
    return text


# -------------------------------------------------------------------- main

def report_only():
    """Writes the report again from bench/bin/last-results.json."""
    global QUICK, MACHINE
    with open(os.path.join(BINDIR, "last-results.json")) as f:
        saved = json.load(f)
    QUICK = saved["quick"]
    STATIC_RUNS[:] = saved["static"]
    MACHINE = [tuple(x) for x in saved["machine"]]
    path = os.path.join(BENCH, "report-%s%s.md" % (
        saved["machine"][0][1][:10], "-quick" if QUICK else ""))
    text = report(saved["R"], path)
    print(text[text.index("## Summary"):])
    log("wrote %s" % os.path.relpath(path, REPO))


MACHINE = None


def main():
    if sys.argv[1:] == ["--report-only"]:
        report_only()
        return
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is missing (bench/run installs it)")
    for p in ("stamp", "ticker", "firehose", "watchers", "tasks", "floor",
              "floor-libc"):
        if not os.access(os.path.join(BINDIR, p), os.X_OK):
            sys.exit("bench: bench/bin/%s is missing (bench/run builds it)"
                     % p)
    global MACHINE
    t_all = time.monotonic()
    # The machine and the commit as they are when the measuring starts.
    MACHINE = machine()
    # Every server of this run uses a copy of the binaries taken now: a
    # rebuild in the work tree while we measure must not mix versions.
    src = os.environ.get("HOURGLASS_BIN") or os.path.join(REPO, "build")
    bindir = tempfile.mkdtemp(prefix="hourglass-bench-bin-")
    for b in ("hourglass-fcgi", "hourglass-runner"):
        shutil.copy2(os.path.join(src, b), os.path.join(bindir, b))
    os.environ["HOURGLASS_BIN"] = bindir
    os.environ.pop("HOURGLASS_RUNNER", None)
    built = datetime.datetime.fromtimestamp(os.path.getmtime(os.path.join(
        bindir, "hourglass-fcgi"))).strftime("%Y-%m-%d %H:%M:%S")
    MACHINE.append(("binaries", "%s, built %s (copied at the start)" % (
        os.path.relpath(src, REPO), built)))
    try:
        run_all(t_all)
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


def run_all(t_all):
    R = {}
    srv = Server(kinds_file()).start()
    try:
        time.sleep(1)
        R["fcgi_idle_fresh"] = fcgi_mem(srv)
        section_reads(srv, R)
        section_start(srv, R)
        section_progress(srv, R)
        section_runner_memory(srv, R)
        srv.wait_idle()
        time.sleep(2)
        R["fcgi_idle_2s"] = fcgi_mem(srv)
        # Idle means past nginx's keepalive_timeout (5 s, nginx.conf),
        # when the connections kept for the load above are let go.
        time.sleep(IDLE_S - 2)
        R["fcgi_idle"] = fcgi_mem(srv)
        log("memory: idle hourglass-fcgi %s after %d s (%s after 2 s; "
            "fresh %s)" % (mib(R["fcgi_idle"]["rss_kb"]), IDLE_S,
                           mib(R["fcgi_idle_2s"]["rss_kb"]),
                           mib(R["fcgi_idle_fresh"]["rss_kb"])))
        section_creates(srv, R)
        section_e2e(srv, R)
        # Last: a runner keeps its peak (VmHWM) for the tasks it takes
        # after the firehose, and the server its grown heap.
        section_data(srv, R)
    except BaseException:
        if KEEP:
            log("failed; BENCH_KEEP=1: left serving on port %d, data %s, "
                "scripts/serve pid %d" % (srv.port, srv.data, srv.proc.pid))
            srv.kept = True
        raise
    finally:
        srv.close()
    section_e2e_default(R)
    section_watchers(R)
    section_scale(R)
    name = "report-%s%s.md" % (datetime.date.today().isoformat(),
                               "-quick" if QUICK else "")
    path = os.path.join(BENCH, name)
    # The raw figures, so that the report can be written again from
    # them (bench.py --report-only) without measuring again.
    os.makedirs(BINDIR, exist_ok=True)
    with open(os.path.join(BINDIR, "last-results.json"), "w") as f:
        json.dump({"R": R, "static": STATIC_RUNS, "machine": MACHINE,
                   "quick": QUICK}, f, indent=1)
    text = report(R, path)
    print()
    print(text[text.index("## Summary"):])
    log("wrote %s in %.0f s" % (os.path.relpath(path, REPO),
                                time.monotonic() - t_all))


if __name__ == "__main__":
    main()
