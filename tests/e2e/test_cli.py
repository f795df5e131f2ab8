"""The hourglass command line, typed in tmux as a person would: the live
bar redrawn in place, the exit statuses of watch and start --follow, the
contract's error code on stderr, --json piped, watch across a restart of
the servers, and the token."""

import errno
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import uuid

from harness import REPO, Scripts, Server, free_port, runner_pids, wait_for

SLOW = "drives the client in tmux while tasks run, in real time"

SCRIPTS = Scripts("hourglass-e2e-cli-")
ROWS = SCRIPTS.write("rows", """for i in 1 2 3; do
  echo '{"name":"row","data":{"n":'$i'}}'
  echo "PROGRESS $i/3"
  sleep 0.2
done
echo '{"result":{"rows":3}}'
""")
# More data items than one page of GET /api/tasks/{id}/data holds (1000).
MANY = SCRIPTS.write("many", """seq 1 1001 | sed 's/.*/{"data":&}/'
""")
# Numbers a double does not hold.
BIG = SCRIPTS.write("big", """echo '{"data": [9007199254740993, 0.5]}'
echo '{"result": 12345678901234567890}'
""")
# Escape sequences in its progress message and in its error's message.
NOISY = SCRIPTS.write("noisy", r"""printf 'PROGRESS 1/2 \033[2Jhalf\n'
printf '%s\n' '{"complete":1,"code":2,"description":"\u001b]0;t\u0007x\ny"}'
""")

KINDS = {"kinds": [
    {"name": "count", "builtin": "count", "description": "counts",
     "params": {"total": {"type": "integer", "min": 1, "max": 1000000,
                          "default": 5},
                "delay_ms": {"type": "integer", "min": 0, "max": 60000,
                             "default": 10}}},
    {"name": "fail", "description": "reports a little, then exits 3",
     "command": ["/bin/sh", "-c", "echo PROGRESS 1/2 half; echo oops >&2;"
                 " exit 3"], "params": {}},
    {"name": "rows", "description": "sends data items, then a result",
     "command": [ROWS], "params": {}},
    {"name": "remote", "description": "reports from elsewhere",
     "external": True, "params": {}},
    {"name": "many", "description": "sends 1001 data items",
     "command": [MANY], "params": {}},
    {"name": "big", "description": "sends numbers past a double",
     "command": [BIG], "params": {"data": {
         "type": "integer", "default": 9000000000000001}}},
    {"name": "noisy", "description": "writes escape sequences",
     "command": [NOISY],
     "params": {"text": {"type": "string", "default": "plain"}}},
]}

TOKEN = "cli-t0ken.for_tests"
WAIT = 30           # s, the longest any one command here may take


def hourglass():
    """The client of the build under test (HOURGLASS_BIN, else build/)."""
    return os.path.join(os.path.abspath(os.environ.get(
        "HOURGLASS_BIN") or os.path.join(REPO, "build")), "hourglass")


class Tmux:
    """A tmux server on a socket of its own (in a temporary folder,
    removed at close: kill-server leaves the socket file), one bash window
    of width x 30 (120 unless told) whose HOURGLASS_URL is the given
    server's."""

    def __init__(self, url, env=None, width=120):
        self.dir = tempfile.mkdtemp(prefix="hourglass-e2e-tmux-")
        self.sock = os.path.join(self.dir, "sock")
        self.n = 0
        # The shell's own environment, given by env(1): tmux's -e loses
        # PATH to the tmux server's.
        e = {"HOURGLASS_URL": url, "PS1": "$ ", "PATH": "%s:%s" % (
            os.path.dirname(hourglass()), os.environ.get("PATH", ""))}
        e.update(env or {})
        shell = " ".join(["env"] + [shlex.quote("%s=%s" % kv)
                                    for kv in e.items()]
                         + ["bash", "--norc", "--noprofile"])
        self.tmux("new-session", "-d", "-x", str(width), "-y", "30", shell)
        wait_for(lambda: any(l.startswith("$") for l in self.pane()), WAIT,
                 what="the shell's prompt")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args),
                              check=True, capture_output=True, text=True,
                              timeout=10).stdout

    def pane(self, joined=False):
        """The whole pane, its history included, as text lines; joined:
        a line the terminal wrapped as one."""
        return self.tmux("capture-pane", "-p", "-S", "-", *(
            ["-J"] if joined else [])).splitlines()

    def run(self, line):
        """Types line and Enter; returns the marker its status follows."""
        self.n += 1
        mark = "rc%d=" % self.n
        self.tmux("send-keys", "-l", "%s; echo %s$?" % (line, mark))
        self.tmux("send-keys", "Enter")
        return mark

    def status(self, mark, timeout=WAIT):
        """Waits for the line `<mark><status>` and returns the status."""
        def done():
            for l in self.pane():
                if l.startswith(mark):
                    return l[len(mark):].strip() or None
            return None
        return int(wait_for(done, timeout, what="%s in the pane" % mark))

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"],
                       capture_output=True, timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def tmux_for(srv, env=None, width=120):
    return Tmux("http://127.0.0.1:%d" % srv.port, env, width)


def run_cli(srv, *args, env=None, timeout=WAIT):
    """Runs hourglass with args, stdout a pipe (no terminal)."""
    e = dict(os.environ, HOURGLASS_URL="http://127.0.0.1:%d" % srv.port)
    e.update(env or {})
    return subprocess.run([hourglass()] + list(args), env=e,
                          capture_output=True, text=True, timeout=timeout)


def bar_lines(lines, tid):
    return [l for l in lines if l.startswith("#%d " % tid)]


def watch_running(t, tid):
    """Types `hourglass watch tid` in t and waits for its bar to show the
    task running; returns the status marker."""
    mark = t.run("hourglass watch %d" % tid)
    wait_for(lambda: any("running" in l for l in bar_lines(t.pane(), tid)),
             WAIT, what="the bar of a running task")
    return mark


def test_start_follow_redraws_one_bar_in_place(srv):
    t = tmux_for(srv)
    try:
        mark = t.run("hourglass start count total=40 delay_ms=100 --follow")
        seen = set()

        def progressed():
            bars = [l for l in t.pane() if l.startswith("#")]
            assert len(bars) <= 1, "the bar scrolled:\n%s" % "\n".join(
                t.pane())
            if bars and "running" in bars[0] and "%" in bars[0]:
                seen.add(bars[0].split("]")[1].split("%")[0].strip())
            return len(seen) >= 3
        wait_for(progressed, WAIT, what="the bar to show three percents")
        assert t.status(mark) == 0, t.pane()
        lines = t.pane()
        bars = [l for l in lines if l.startswith("#")]
        assert len(bars) == 1, "one bar line, not a scroll:\n%s" % (
            "\n".join(lines))
        tid = int(bars[0][1:].split()[0])
        assert bars[0].startswith("#%d succeeded [%s] 100%%" % (
            tid, "#" * 20)), bars[0]
        assert srv.task(tid)["state"] == "succeeded"
    finally:
        t.close()


def test_bar_shows_the_newest_data_item(srv):
    t = tmux_for(srv)
    try:
        mark = t.run("hourglass start rows --follow")

        def row_shown():
            return any('row: {"n":' in l for l in t.pane()
                       if l.startswith("#"))
        wait_for(row_shown, WAIT, what="a data item in the bar")
        assert t.status(mark) == 0, t.pane()
        tid = srv.task_ids()[0]
        mark = t.run("hourglass result %d" % tid)
        assert t.status(mark) == 0
        assert '{"rows":3}' in t.pane(), t.pane()
    finally:
        t.close()


def test_watch_of_a_failed_task_exits_1_with_its_error(srv):
    tid = srv.create("fail")["id"]
    srv.wait_finished(tid)
    t = tmux_for(srv)
    try:
        mark = t.run("hourglass watch %d" % tid)
        assert t.status(mark) == 1, t.pane()
        bars = bar_lines(t.pane(), tid)
        assert len(bars) == 1 and "failed" in bars[0] and \
            "exit_code" in bars[0], t.pane()
    finally:
        t.close()


def test_start_follow_of_a_failing_kind_exits_1(srv):
    t = tmux_for(srv)
    try:
        assert t.status(t.run("hourglass start fail --follow")) == 1, \
            t.pane()
    finally:
        t.close()


def test_end_line_in_a_narrow_terminal_keeps_the_error(srv):
    """At 30 columns the bar gives way, not the error: the last line says
    the state and the error's code and message whole, wrapped by the
    terminal if it must be (it is never redrawn), never cut."""
    t = tmux_for(srv, width=30)
    try:
        assert t.status(t.run("hourglass start fail --follow")) == 1, \
            t.pane()
        ends = [l.rstrip() for l in t.pane(joined=True)
                if l.startswith("#")]
        assert len(ends) == 1 and re.fullmatch(
            r"#\d+ failed +50% \d\d:\d\d  exit_code: exited with status 3",
            ends[0]), t.pane(joined=True)
    finally:
        t.close()


def test_watch_of_a_stopped_task_exits_3(srv):
    tid = srv.create("count", {"total": 100000, "delay_ms": 50})["id"]
    t = tmux_for(srv)
    try:
        mark = watch_running(t, tid)
        # Stopped from another command line, as a person would.
        t2 = tmux_for(srv)
        try:
            mark2 = t2.run("hourglass stop %d" % tid)
            assert t2.status(mark2) == 0, t2.pane()
        finally:
            t2.close()
        assert t.status(mark) == 3, t.pane()
        assert "canceled" in bar_lines(t.pane(), tid)[0], t.pane()
    finally:
        t.close()
        srv.stop_task(tid)


def test_ctrl_c_ends_the_watch_not_the_task(srv):
    tid = srv.create("count", {"total": 100000, "delay_ms": 50})["id"]
    t = tmux_for(srv)
    try:
        mark = watch_running(t, tid)
        t.tmux("send-keys", "C-c")
        assert t.status(mark) == 130, t.pane()
        lines = t.pane()
        at = [i for i, l in enumerate(lines) if l.startswith("#%d " % tid)]
        # The bar keeps its own line: the status comes on the next.
        assert len(at) == 1 and lines[at[0] + 1].startswith(mark), lines
        assert srv.task(tid)["state"] == "running"
    finally:
        t.close()
        srv.stop_task(tid)


def test_watch_of_a_lost_task_exits_4(srv):
    # A kind of its own with no retries: the shipped count retries.
    tid = srv.create("count", {"total": 100000, "delay_ms": 50})["id"]
    srv.wait_task(tid, lambda t: t["progress"]["value"] >= 1)
    t = tmux_for(srv)
    try:
        mark = watch_running(t, tid)
        for pid in runner_pids(srv.data):
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if f.read().split(b"\0")[1:2] == [str(tid).encode()]:
                    os.kill(pid, signal.SIGKILL)
        assert t.status(mark) == 4, t.pane()
        assert "lost" in bar_lines(t.pane(), tid)[0], t.pane()
    finally:
        t.close()


def test_usage_errors_exit_2_and_send_nothing(srv):
    before = srv.task_ids()
    t = tmux_for(srv)
    try:
        for line, said in [
                ("hourglass start count total=abc",
                 "hourglass: total=abc: must be an integer"),
                ("hourglass start count totl=3",
                 "hourglass: totl: no such parameter of count"),
                ("hourglass watch abc", 'ID "abc"'),
                ("hourglass ls --limit 0", '--limit "0"'),
                ("hourglass frobnicate", 'unknown command "frobnicate"'),
                ("hourglass", "a command is needed")]:
            mark = t.run(line)
            assert t.status(mark) == 2, (line, t.pane())
            assert any(said in l for l in t.pane()), (line, said, t.pane())
            t.tmux("clear-history")
            t.tmux("send-keys", "clear", "Enter")
            wait_for(lambda: mark not in "\n".join(t.pane()), WAIT,
                     what="a clear pane")
    finally:
        t.close()
    assert srv.task_ids() == before


def test_refused_exits_5_with_the_code_on_stderr(srv):
    r = run_cli(srv, "watch", "999999")
    assert r.returncode == 5, r
    assert r.stderr.startswith("hourglass: not_found: "), r.stderr
    assert r.stdout == "", r.stdout
    r = run_cli(srv, "start", "count", "total=0")
    assert r.returncode == 5, r
    assert r.stderr.startswith("hourglass: invalid_params: "), r.stderr
    assert "total" in r.stderr, r.stderr
    # A kind is the service's to know: it refuses one it does not offer.
    before = srv.task_ids()
    for args in (("start", "nosuch"), ("start", "nosuch", "total=5"),
                 ("schedules", "add", "nosuch", "@daily")):
        r = run_cli(srv, *args)
        assert r.returncode == 5, (args, r)
        assert r.stderr.startswith("hourglass: unknown_kind: "), r.stderr
        assert "nosuch" in r.stderr, r.stderr
    assert srv.task_ids() == before
    tid = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
    srv.wait_finished(tid)
    r = run_cli(srv, "stop", str(tid))
    assert r.returncode == 5 and "not_active" in r.stderr, r


def test_refused_watch_on_a_terminal_draws_no_bar(srv):
    t = tmux_for(srv)
    try:
        mark = t.run("hourglass watch 999999")
        assert t.status(mark) == 5, t.pane()
        lines = t.pane()
        assert any(l.startswith("hourglass: not_found: ") for l in lines), \
            lines
        assert not bar_lines(lines, 999999), lines
    finally:
        t.close()


def test_service_down_exits_69(srv):
    t = Tmux("http://127.0.0.1:%d" % free_port(), {"HOURGLASS_RETRY_S": "1"})
    try:
        for line in ("hourglass kinds", "hourglass watch 1",
                     "hourglass start count --follow"):
            mark = t.run(line)
            assert t.status(mark) == 69, (line, t.pane())
        assert any("gave up after 1 s" in l for l in t.pane()), t.pane()
    finally:
        t.close()


def test_json_piped_is_one_event_a_line_ids_increasing(srv):
    tid = srv.create("rows")["id"]
    r = run_cli(srv, "watch", str(tid))      # a pipe: no --json needed
    assert r.returncode == 0, r
    events = [json.loads(l) for l in r.stdout.splitlines()]
    assert events and all(set(e) == {"id", "event", "data"}
                          for e in events), r.stdout
    ids = [e["id"] for e in events]
    assert all(a < b for a, b in zip(ids, ids[1:])), ids
    assert events[-1]["event"] == "state", events[-1]
    assert events[-1]["data"]["state"] == "succeeded", events[-1]
    full = [e.n for e in srv.replay(tid) if e.n >= ids[0]]
    assert ids == full, (ids, full)


def test_json_watch_of_an_ended_task_gives_its_final_events_id(srv):
    tid = srv.create("rows")["id"]
    end = srv.wait_finished(tid)
    r = run_cli(srv, "watch", str(tid), "--json")
    assert r.returncode == 0, r
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    final = [e.n for e in srv.replay(tid) if e.type == "state"][-1]
    assert lines == [{"id": final, "event": "state", "data": end}], (
        lines, final)


def test_json_in_tmux_through_a_pipe(srv):
    tid = srv.create("count", {"total": 3, "delay_ms": 0})["id"]
    srv.wait_finished(tid)
    t = tmux_for(srv)
    try:
        out = os.path.join(srv.data, "watch-%d.json" % tid)
        mark = t.run("hourglass watch %d --json | tee %s" % (
            tid, shlex.quote(out)))
        assert t.status(mark) == 0, t.pane()
        with open(out) as f:
            lines = f.read().splitlines()
        # Ended before the watch: its final state, read as it is now.
        assert len(lines) == 1, lines
        e = json.loads(lines[0])
        assert e["event"] == "state" and e["data"]["state"] == \
            "succeeded" and e["data"]["id"] == tid, e
    finally:
        t.close()


def test_watch_goes_on_across_a_restart_of_the_servers():
    port = free_port()
    first = Server(kinds=KINDS, port=port).start()
    proc = t = None
    try:
        tid = first.create("count", {"total": 60, "delay_ms": 100})["id"]
        # A person's watch beside the script's: the bar goes on too.
        t = tmux_for(first)
        mark = watch_running(t, tid)
        env = dict(os.environ, HOURGLASS_URL="http://127.0.0.1:%d" % port)
        proc = subprocess.Popen([hourglass(), "watch", str(tid), "--json"],
                                env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        got = []
        while len(got) < 5:
            line = proc.stdout.readline()
            assert line, "watch ended early: %s" % proc.stderr.read()
            got.append(json.loads(line))
        first.stop()
        assert proc.poll() is None, "watch gave up when the servers went"
        wait_for(lambda: any(l.endswith("(reconnecting)") for l in
                             bar_lines(t.pane(), tid)), WAIT,
                 what="the bar to say it is reconnecting")
        with Server(kinds=KINDS, data=first.data, port=port) as again:
            out, err = proc.communicate(timeout=WAIT)
            assert proc.returncode == 0, (proc.returncode, err)
            got += [json.loads(l) for l in out.splitlines()]
            ids = [e["id"] for e in got]
            assert len(ids) == len(set(ids)), "repeated: %s" % ids
            full = [e.n for e in again.replay(tid) if e.n >= ids[0]]
            assert ids == full, "missed or repeated:\n%s\n%s" % (ids, full)
            assert got[-1]["data"]["state"] == "succeeded", got[-1]
            assert got[-1]["data"]["progress"]["value"] == 60, got[-1]
            assert t.status(mark) == 0, t.pane()
            bars = bar_lines(t.pane(), tid)
            assert len(bars) == 1 and "succeeded" in bars[0], t.pane()
    finally:
        if t is not None:
            t.close()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        first.close()


def test_token_is_sent_when_set():
    with Server(kinds=KINDS, env={"HOURGLASS_TOKEN": TOKEN}) as srv:
        t = tmux_for(srv)
        try:
            mark = t.run("hourglass ls")
            assert t.status(mark) == 5, t.pane()
            assert any(l.startswith("hourglass: unauthorized: ")
                       for l in t.pane()), t.pane()
            mark = t.run("HOURGLASS_TOKEN=wrong hourglass kinds")
            assert t.status(mark) == 5, t.pane()
            mark = t.run("export HOURGLASS_TOKEN=%s; hourglass start count"
                         " --follow" % TOKEN)
            assert t.status(mark) == 0, t.pane()
            mark = t.run("hourglass ls")
            assert t.status(mark) == 0, t.pane()
            assert any(l.startswith("1 ") and "succeeded" in l
                       for l in t.pane()), t.pane()
        finally:
            t.close()


def ok(srv, *args, env=None):
    """Runs hourglass with args; it must exit 0. Returns its stdout."""
    r = run_cli(srv, *args, env=env)
    assert r.returncode == 0, (args, r)
    assert r.stderr == "", (args, r.stderr)
    return r.stdout


def test_start_of_an_external_kind_tells_its_report_token_once(srv):
    r = run_cli(srv, "start", "remote")
    assert r.returncode == 0, r
    tid = int(r.stdout)
    m = re.search(r"POST (/api/tasks/(\d+)/report) and "
                  r'"Authorization: Bearer ([0-9a-f]{64})"', r.stderr)
    assert m and int(m.group(2)) == tid, r.stderr
    # The token told is the task's own: its worker's report is taken.
    rep = srv.post(m.group(1), "PROGRESS 1/2\n",
                   headers={"Content-Type": "text/plain",
                            "Authorization": "Bearer " + m.group(3)})
    assert rep.status == 200 and rep.json == {"stop": False}, rep
    assert srv.task(tid)["state"] == "running"
    # Shown once: the task read again does not carry it.
    assert m.group(3) not in run_cli(srv, "show", str(tid)).stdout
    srv.stop_task(tid)
    # A rerun is a new task with a token of its own, told the same way.
    r = run_cli(srv, "rerun", str(tid))
    assert r.returncode == 0, r
    again = int(r.stdout)
    m2 = re.search(r"POST /api/tasks/(\d+)/report and "
                   r'"Authorization: Bearer ([0-9a-f]{64})"', r.stderr)
    assert m2 and int(m2.group(1)) == again, r.stderr
    assert m2.group(2) != m.group(3), r.stderr
    srv.stop_task(again)


def test_kinds_as_a_table_and_as_the_api_json(srv):
    lines = ok(srv, "kinds").splitlines()
    assert lines[0].split() == ["KIND", "PARAMETERS", "DESCRIPTION"], lines
    count = [l for l in lines if l.startswith("count ")]
    assert count and "total:integer=5" in count[0] and \
        "delay_ms:integer=10" in count[0], lines
    assert json.loads(ok(srv, "kinds", "--json")) == srv.get(
        "/api/kinds").json
    # A default shown as it is: %.15g made it 9e+15, and one under a
    # member named "data" (its digits kept as text) went unshown.
    big = [l for l in lines if l.startswith("big ")]
    assert big and "data:integer=9000000000000001" in big[0], lines


def test_start_prints_the_id_and_types_the_params(srv):
    tid = int(ok(srv, "start", "count", "total=2", "delay_ms=0",
                 "--name", "typed"))
    t = srv.task(tid)
    assert t["params"] == {"total": 2, "delay_ms": 0}, t
    assert t["name"] == "typed", t
    srv.wait_finished(tid)


def test_start_with_a_key_creates_one_task(srv):
    key = "cli-" + uuid.uuid4().hex
    a = ok(srv, "start", "count", "total=1", "--key", key)
    b = ok(srv, "start", "count", "total=1", "--key", key)
    assert a == b and int(a) > 0, (a, b)


def test_start_after_waits_for_its_parent(srv):
    parent = int(ok(srv, "start", "count", "total=20", "delay_ms=50"))
    child = json.loads(ok(srv, "--json", "start", "count", "total=1",
                          "--after", str(parent)))
    # Released (waiting_for gone) only if the parent has already ended.
    assert child.get("waiting_for") == [parent] or srv.task(parent)[
        "state"] == "succeeded", child
    done = srv.wait_finished(child["id"])
    assert done["state"] == "succeeded", done
    assert done["started_at"] >= srv.task(parent)["finished_at"], done


def test_ls_filters_and_show_reads_fields(srv):
    tid = int(ok(srv, "start", "fail"))
    srv.wait_finished(tid)
    lines = ok(srv, "ls", "--kind", "fail", "--state", "failed",
               "--limit", "1").splitlines()
    assert lines[0].split()[:3] == ["ID", "KIND", "STATE"], lines
    assert len(lines) == 2 and lines[1].split()[:3] == [
        str(tid), "fail", "failed"], lines
    listed = json.loads(ok(srv, "ls", "--json", "--kind", "fail"))
    assert tid in [t["id"] for t in listed["tasks"]], listed
    shown = dict(l.split(None, 1) for l in ok(srv, "show", str(
        tid)).splitlines())
    assert shown["state"] == "failed" and shown["kind"] == "fail", shown
    assert shown["error"].startswith("exit_code: "), shown
    assert json.loads(ok(srv, "show", str(tid), "--json"))["id"] == tid


def test_ls_keeps_a_name_with_a_line_break_on_its_row(srv):
    tid = srv.create("count", {"total": 1, "delay_ms": 0},
                     name="two\nlines")["id"]
    srv.wait_finished(tid)
    lines = ok(srv, "ls", "--limit", "1").splitlines()
    assert len(lines) == 2 and lines[1].split() == [
        str(tid), "count", "succeeded", "1/1", "100%",
        srv.task(tid)["created_at"], "two", "lines"], lines


def test_show_makes_control_characters_safe_as_ls_does(srv):
    """A task's creator chooses its name and params, and its command its
    messages: none of them may reach the terminal of whoever shows it as
    an escape sequence or a line break."""
    tid = srv.create("noisy", {"text": "\x1b[2J\x7f"},
                     name="\x1b[2J\x1b]0;t\x07two\nlines")["id"]
    task = srv.wait_finished(tid)
    assert "\x1b" in task["error"]["message"], task
    out = ok(srv, "show", str(tid))
    assert not re.search("[\x00-\x1f\x7f]", out.replace("\n", "")), \
        repr(out)
    lines = out.splitlines()
    assert [l.split()[0] for l in lines] == list(task), lines
    shown = dict(l.split(None, 1) for l in lines)
    assert shown["name"] == "[2J ]0;t two lines", repr(shown["name"])
    assert shown["params"] == '{"text":"\\u001b[2J "}', repr(shown["params"])
    assert shown["progress"] == "1/2 50%  [2Jhalf", repr(shown["progress"])
    assert shown["error"] == "exit_code:  ]0;t x y", repr(shown["error"])


def test_result_is_json_or_null(srv):
    tid = int(ok(srv, "start", "rows"))
    srv.wait_finished(tid)
    assert json.loads(ok(srv, "result", str(tid))) == {"rows": 3}
    other = int(ok(srv, "start", "count", "total=1"))
    srv.wait_finished(other)
    assert ok(srv, "result", str(other)) == "null\n"


def test_data_lists_every_item(srv):
    tid = int(ok(srv, "start", "rows"))
    srv.wait_finished(tid)
    lines = ok(srv, "data", str(tid)).splitlines()
    assert len(lines) == 3 and lines[0].split()[1:] == ["row", '{"n":1}'], \
        lines
    assert ok(srv, "data", str(tid), "--name", "none") == ""
    r = run_cli(srv, "data", str(tid), "--name", "bad name")
    assert r.returncode == 5 and "invalid_request" in r.stderr, r


def test_json_data_prints_the_api_page_as_it_came(srv):
    tid = int(ok(srv, "start", "rows"))
    srv.wait_finished(tid)
    for name in ("row", "none"):
        out = ok(srv, "--json", "data", str(tid), "--name", name)
        assert out.count("\n") == 1, out
        page = srv.get("/api/tasks/%d/data?after=0&name=%s&limit=1000" % (
            tid, name)).json
        assert json.loads(out) == page, (out, page)
    assert page["items"] == [] and page["next"] is None, page


def test_json_data_prints_each_page_on_a_line_of_its_own(srv):
    tid = int(ok(srv, "start", "many"))
    srv.wait_finished(tid)
    pages = [json.loads(l) for l in ok(srv, "data", str(tid),
                                       "--json").splitlines()]
    assert [len(p["items"]) for p in pages] == [1000, 1], pages
    assert pages[0]["next"] == pages[0]["items"][-1]["id"], pages[0]["next"]
    assert pages[1]["next"] is None, pages[1]
    assert [i["data"] for p in pages for i in p["items"]] == list(
        range(1, 1002))
    assert len(ok(srv, "data", str(tid)).splitlines()) == 1001


def test_numbers_past_a_double_print_as_they_came(srv):
    # Read through a double, they printed as 9007199254740992 and
    # 1.2345678901234567e+19.
    tid = int(ok(srv, "start", "big"))
    srv.wait_finished(tid)
    assert ok(srv, "result", str(tid)) == "12345678901234567890\n"
    line = ok(srv, "data", str(tid)).splitlines()[0]
    assert line.split()[1:] == ["data", "[9007199254740993,0.5]"], line
    assert "[9007199254740993,0.5]" in ok(srv, "--json", "data", str(tid))
    assert '"result":12345678901234567890' in ok(srv, "--json", "show",
                                                 str(tid))


def test_logs_and_logs_follow(srv):
    tid = int(ok(srv, "start", "fail"))
    # Followed from its first event: whenever it starts, nothing is
    # missed; it exits by the task's end, as watch does.
    r = run_cli(srv, "logs", str(tid), "--follow")
    assert r.returncode == 1, r
    assert r.stdout == "oops\n", r.stdout
    assert "oops" in ok(srv, "logs", str(tid))
    # The API answers the log as text: --json prints it as it came.
    assert ok(srv, "--json", "logs", str(tid)) == ok(srv, "logs", str(tid))


def test_rerun_and_stop(srv):
    first = int(ok(srv, "start", "count", "total=1", "delay_ms=0"))
    srv.wait_finished(first)
    again = int(ok(srv, "rerun", str(first)))
    assert srv.task(again)["rerun_of"] == first
    long = int(ok(srv, "start", "count", "total=100000", "delay_ms=50"))
    assert ok(srv, "stop", str(long)).split() == [str(long), "stopping"] \
        or srv.task(long)["state"] == "canceled"
    assert srv.wait_finished(long)["state"] == "canceled"
    r = run_cli(srv, "rerun", "999999")
    assert r.returncode == 5 and "not_found" in r.stderr, r


def test_schedules_add_list_pause_resume_run_rm(srv):
    sid = int(ok(srv, "schedules", "add", "count", "0 3 * * *", "total=2",
                 "--name", "nightly", "--timezone", "Europe/Paris",
                 "--overlap", "allow"))
    s = srv.get("/api/schedules/%d" % sid).json
    assert (s["params"], s["timezone"], s["overlap"], s["name"]) == (
        {"total": 2, "delay_ms": 10}, "Europe/Paris", "allow", "nightly"), s
    lines = ok(srv, "schedules").splitlines()
    assert any(l.split()[0] == str(sid) and "nightly" in l for l in lines)
    assert ok(srv, "schedules", "pause", str(sid)) == \
        "schedule %d paused\n" % sid
    assert srv.get("/api/schedules/%d" % sid).json["paused"] is True
    assert ok(srv, "schedules", "resume", str(sid)) == \
        "schedule %d resumed\n" % sid
    tid = int(ok(srv, "schedules", "run", str(sid)))
    assert srv.task(tid)["schedule"] == sid
    listed = json.loads(ok(srv, "schedules", "--json"))
    assert sid in [x["id"] for x in listed["schedules"]], listed
    assert ok(srv, "schedules", "rm", str(sid)) == \
        "schedule %d deleted\n" % sid
    # DELETE answers 204 with no body: --json prints it as it came.
    other = int(ok(srv, "schedules", "add", "count", "@daily"))
    assert ok(srv, "--json", "schedules", "rm", str(other)) == ""
    assert srv.get("/api/schedules/%d" % other).status == 404
    r = run_cli(srv, "schedules", "rm", str(sid))
    assert r.returncode == 5 and "not_found" in r.stderr, r


def test_schedules_add_refusals(srv):
    r = run_cli(srv, "schedules", "add", "count", "61 * * * *")
    assert r.returncode == 5, r
    assert r.stderr.startswith("hourglass: invalid_schedule: "), r.stderr
    r = run_cli(srv, "schedules", "add", "count", "@daily", "total=x")
    assert r.returncode == 2 and "total=x" in r.stderr, r
    r = run_cli(srv, "schedules", "add", "count", "@daily", "--timezone",
                "Mars/Olympus")
    assert r.returncode == 5 and "timezone" in r.stderr, r


def run_to(srv, out, *args):
    """Runs hourglass with args and its stdout on the file out."""
    e = dict(os.environ, HOURGLASS_URL="http://127.0.0.1:%d" % srv.port)
    return subprocess.run([hourglass()] + list(args), env=e, stdout=out,
                          stderr=subprocess.PIPE, text=True, timeout=WAIT)


def test_output_that_cannot_be_written_exits_74_saying_why(srv):
    """stdout on a full disk: every command tells it on one line and
    exits 74 (EX_IOERR), neither 0 as if it had printed (start's new id
    would be lost unsaid) nor 1, a failed task's status."""
    rows, fail, many = (str(srv.create(k)["id"]) for k in (
        "rows", "fail", "many"))
    for tid in (rows, fail, many):
        srv.wait_finished(int(tid))
    long = str(srv.create("count", {"total": 100000, "delay_ms": 50})["id"])
    sid = str(srv.post("/api/schedules", {"kind": "count",
                                          "cron": "@daily"}).json["id"])
    said = "hourglass: could not write the output: %s\n" % os.strerror(
        errno.ENOSPC)
    # M's items go past stdio's buffer: they fail inside the print.
    ids = {"R": rows, "F": fail, "M": many, "L": long, "S": sid}
    try:
        with open("/dev/full", "w") as full:
            for line in ("--help", "kinds", "--json kinds", "ls",
                         "--json ls", "show R", "--json show R", "result R",
                         "data R", "--json data R", "data M",
                         "--json data M", "logs F",
                         "logs F --follow", "watch R", "start count total=1",
                         "start count total=1 --follow", "rerun R",
                         "stop L", "schedules", "schedules add count @daily",
                         "schedules pause S", "schedules run S",
                         "schedules rm S"):
                args = [ids.get(w, w) for w in line.split()]
                r = run_to(srv, full, *args)
                assert (r.returncode, r.stderr) == (74, said), (line, r)
    finally:
        srv.stop_task(int(long))


def test_a_reader_gone_ends_the_command_quietly_with_74(srv):
    """A closed pipe (hourglass ls | head -0) is no error to tell: the
    reader has what it wanted. The status still says not all was
    written."""
    tid = str(srv.create("rows")["id"])
    srv.wait_finished(int(tid))
    for args in (["ls"], ["show", tid], ["data", tid], ["watch", tid]):
        rd, wr = os.pipe()
        os.close(rd)
        with os.fdopen(wr, "w") as gone:
            r = run_to(srv, gone, *args)
        assert (r.returncode, r.stderr) == (74, ""), (args, r)


def test_a_closed_stdout_is_an_output_error(srv):
    """With fd 1 closed, the next open takes it: curl's socket, where the
    output went into the HTTP connection, and the command exited 0."""
    tid = str(srv.create("rows")["id"])
    srv.wait_finished(int(tid))
    e = dict(os.environ, HOURGLASS_URL="http://127.0.0.1:%d" % srv.port)
    said = "hourglass: could not write the output: %s\n" % os.strerror(
        errno.EBADF)
    for args in (["ls"], ["watch", tid], ["start", "count", "total=1"]):
        r = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', hourglass()]
                           + args, env=e, capture_output=True, text=True,
                           timeout=WAIT)
        assert (r.returncode, r.stderr) == (74, said), (args, r)


def test_bad_environment_is_a_usage_error(srv):
    r = run_cli(srv, "kinds", env={"HOURGLASS_URL": "ftp://x"})
    assert r.returncode == 2 and "HOURGLASS_URL" in r.stderr, r
    r = run_cli(srv, "watch", "1", env={"HOURGLASS_RETRY_S": "soon"})
    assert r.returncode == 2 and "HOURGLASS_RETRY_S" in r.stderr, r
