"""Command kinds end to end: small /bin/sh scripts, written at import into
a folder of their own, run as tasks through real nginx. Progress in every
format, logs and their cap, exit codes, signals, programs that cannot
start, timeouts, stops that reach the whole process tree, and parameters
that stay literal in a clean environment."""

import atexit
import json
import os
import shutil
import signal
import tempfile
import time

from harness import (Server, assert_error, host_pids, pid_alive,
                     read_proc, refused, wait_for)

SCRIPTS = tempfile.mkdtemp(prefix="hourglass-cmd-")
atexit.register(shutil.rmtree, SCRIPTS, True)


def script(name, body, mode=0o755):
    """Writes SCRIPTS/name, a /bin/sh script, and returns its path."""
    path = os.path.join(SCRIPTS, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, mode)
    return path


# Prints its first argument through printf %b (so a test can send \r, \0,
# \377...) and exits with its second.
EMIT = script("emit.sh", 'printf "%b" "$1"\nexit "$2"\n')
EMIT_PARAMS = {"text": {"type": "string", "default": ""},
               "code": {"type": "integer", "min": 0, "max": 255,
                        "default": 0}}

EMIT_ERR = script("emit_err.sh", 'printf "%b" "$1" >&2\n')
BOTH = script("both.sh", "echo out1\necho err1 >&2\necho out2\n"
              "echo err2 >&2\n")
SELFKILL = script("selfkill.sh", "echo before\nkill -9 $$\necho after\n")
NOEXEC = script("noexec.sh", "echo ran\n", mode=0o644)
MISSING = os.path.join(SCRIPTS, "missing.sh")
SLEEPER = script("sleeper.sh", "echo started\nsleep 30\necho woke\n")
WAITING = script("waiting.sh", "echo first line\n"
                 "echo 'PROGRESS 1/2 waiting'\nsleep 30\n")
# The shell, a child shell with two sleeping children, and a sleep of its
# own: five pids in <cwd>/pids, the tree's top first.
TREE = script("tree.sh", """echo $$ >> pids
sh -c 'sleep 60 & echo $! >> pids; sleep 60 & echo $! >> pids
	echo $$ >> pids; wait' &
sleep 60 &
echo $! >> pids
echo 'PROGRESS 1/2 started'
wait
""")
STUBBORN = script("stubborn.sh", """trap 'echo "got TERM, going on"' TERM
echo $$ > pid
echo 'PROGRESS 1/2 ready'
while :; do sleep 0.1; done
""")
META = script("meta.sh", """printf '%s' "$1" > arg.txt
printf '%s' "$HOURGLASS_PARAM_S" > env.txt
""")
ENVDUMP = script("envdump.sh", "cat /proc/$$/environ > environ.bin\n")
MANY = script("many.sh", """i=0
while [ $i -lt 400 ]; do
	echo "line $i: some words to fill the log up quickly"
	i=$((i + 1))
done
""")
# Leaves a sleeping child behind, its pid in <cwd>/pid, and exits 0.
LEAVER = script("leaver.sh", "sleep 60 &\necho $! > pid\n")
# Leaves a sleep in a session of its own holding stdout (its pid in
# <cwd>/pid), then prints a last line without a newline and exits 0
# after half a second: within a timeout_s of 1, before the drain of
# what the sleep holds open ends.
HOLDER = script("holder.sh", "setsid sleep 60 &\necho $! > pid\n"
                "sleep 0.5\nprintf 'PROGRESS 9/10 last words'\n")
TO_STDERR = script("to_stderr.sh", 'printf "%b" "$1" >&2\n')
LONG = script("long.sh", "head -c 102400 /dev/zero | tr '\\0' a\n"
              "printf '\\nafter'\n")

KIND_ENV = {"LC_ALL": "C", "HG_TEST_VAR": "a b=c"}


def kind(name, command, **fields):
    k = {"name": name, "description": name, "command": command}
    k.update(fields)
    return k


KINDS = {"kinds": [
    kind("emit", [EMIT, "{text}", "{code}"], params=EMIT_PARAMS),
    kind("regex", [EMIT, "{text}", "{code}"], params=EMIT_PARAMS,
         progress_regex="([0-9]+)% done"),
    kind("regex2", [EMIT, "{text}", "{code}"], params=EMIT_PARAMS,
         progress_regex="([0-9]+(\\.[0-9]+)?)% (done|left)"),
    kind("regexerr", [EMIT_ERR, "{text}"], params={"text": {
        "type": "string"}}, progress_regex="([0-9]+)% done"),
    kind("both", [BOTH]),
    kind("selfkill", [SELFKILL]),
    kind("missing", [MISSING]),
    kind("noexec", [NOEXEC]),
    kind("badcwd", [EMIT, "x\\n", "0"],
         cwd=os.path.join(SCRIPTS, "no-such-folder")),
    kind("sleeper", [SLEEPER], timeout_s=1, grace_s=1),
    kind("waiting", [WAITING], grace_s=1),
    kind("tree", [TREE], grace_s=1),
    kind("stubborn", [STUBBORN], grace_s=1),
    kind("meta", [META, "{s}"], params={"s": {"type": "string"}}),
    kind("envdump", [ENVDUMP], env=KIND_ENV,
         params={"s": {"type": "string", "default": "v w"},
                 "Mixed_Case": {"type": "integer", "default": 7},
                 "b": {"type": "boolean", "default": True},
                 "x": {"type": "number", "default": 2.5}}),
    kind("pathenv", [ENVDUMP], env={"PATH": "/usr/local/bin:/usr/bin:/bin"}),
    kind("leaver", [LEAVER]),
    kind("holder", [HOLDER], timeout_s=1, grace_s=1),
    kind("to_stderr", [TO_STDERR, "{text}"],
         params={"text": {"type": "string"}}),
    kind("fds", ["ls", "-l", "/proc/self/fd"]),
    kind("sigstatus", ["grep", "^Sig", "/proc/self/status"]),
    kind("pwd", ["pwd", "-P"]),
    kind("many", [MANY]),
    kind("long", [LONG]),
    kind("numbers", ["/bin/echo", "{i}", "{x}"],
         params={"i": {"type": "integer", "default": 9000000000000001},
                 "x": {"type": "number", "default": 0.1}}),
]}

MARKER = "[hourglass: the log reached"


# ------------------------------------------------------------------ helpers

def run(srv, kind_name, params=None, timeout=20):
    """Creates a task and waits for its end; returns the final task."""
    tid = srv.create(kind_name, params)["id"]
    return srv.wait_finished(tid, timeout)


def emit(srv, text, code=0):
    return run(srv, "emit", {"text": text, "code": code})


def log_of(srv, tid, query=""):
    r = srv.get("/api/tasks/%d/log%s" % (tid, query))
    assert r.status == 200, r
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r
    return r.body.decode("utf-8")


def log_events(events):
    return [e.json for e in events if e.type == "log"]


def progress_events(events):
    return [e.json for e in events if e.type == "progress"]


def task_dir(srv, tid):
    return os.path.join(srv.data, "tasks", str(tid))


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def check_progress(srv, line, value, total, message=None, kind_name="emit"):
    """Runs a script printing a log line, `line`, and another log line:
    the task and its stream end with that progress, and the log holds the
    two log lines only."""
    t = run(srv, kind_name, {"text": "before\\n%s\\nafter\\n" % line})
    assert t["state"] == "succeeded", t
    p = t["progress"]
    assert abs(p["value"] - value) < 1e-9 and p["total"] == total, t
    assert abs(p["percent"] - round(100.0 * value / total, 1)) < 0.051, t
    assert p["message"] == message, t
    events = srv.replay(t["id"])
    prog = progress_events(events)
    assert prog, "no progress event: %s" % events
    last = prog[-1]
    assert last["task"] == t["id"], last
    assert abs(last["value"] - value) < 1e-9 and last["total"] == total, last
    assert last["message"] == message, last
    assert [e["line"] for e in log_events(events)] == ["before", "after"], \
        events
    assert log_of(srv, t["id"]) == "before\nafter\n"


# ----------------------------------------------------------------- progress

def test_progress_keyword_with_message(srv):
    check_progress(srv, "PROGRESS 3/10 copying photos", 3, 10,
                   "copying photos")


def test_progress_keyword_without_message(srv):
    check_progress(srv, "PROGRESS 7/8", 7, 8)


def test_progress_bare_percent(srv):
    check_progress(srv, "42%", 42, 100)


def test_progress_bare_percent_with_decimal(srv):
    check_progress(srv, "  42.5%  ", 42.5, 100)


def test_progress_json_fraction(srv):
    check_progress(srv, '{"progress": 0.25, "message": "a quarter"}', 25,
                   100, "a quarter")


def test_progress_json_value_and_total(srv):
    check_progress(srv, '{"value": 42, "total": 150, "message": "resizing"}',
                   42, 150, "resizing")


def test_progress_regex_of_the_kind(srv):
    check_progress(srv, "copying: 37% done", 37, 100, kind_name="regex")


def test_progress_regex_reads_its_first_group_of_several(srv):
    # POSIX has no group that does not capture: the first is the percent.
    check_progress(srv, "copying: 42.5% left", 42.5, 100,
                   kind_name="regex2")


def test_progress_regex_not_matching_is_a_log_line(srv):
    t = run(srv, "regex", {"text": "copying: 37% left\\n"})
    assert t["state"] == "succeeded", t
    assert t["progress"]["value"] == 0, t
    assert log_of(srv, t["id"]) == "copying: 37% left\n"


def test_progress_regex_reads_stderr_too(srv):
    # Tools that draw their own progress (curl, wget, ffmpeg) draw it on
    # stderr; the protocol's own lines are read on stdout only. Every
    # line of stderr stays in the log.
    t = run(srv, "regexerr", {"text": "before\\ncopying: 37% done\\n"
                                      "PROGRESS 5/10\\nafter\\n"})
    assert t["state"] == "succeeded", t
    assert t["progress"]["value"] == 37, t
    assert t["progress"]["total"] == 100, t
    logs = log_events(srv.replay(t["id"]))
    assert [(e["stream"], e["line"]) for e in logs] == [
        ("stderr", "before"), ("stderr", "copying: 37% done"),
        ("stderr", "PROGRESS 5/10"), ("stderr", "after")], logs


def test_progress_redrawn_with_carriage_returns_ends_at_last(srv):
    t = emit(srv, "10%\\r20%\\r30%\\n")
    assert t["state"] == "succeeded", t
    assert t["progress"]["value"] == 30 and t["progress"]["total"] == 100, t
    events = srv.replay(t["id"])
    assert progress_events(events)[-1]["value"] == 30, events
    assert log_events(events) == [], events
    assert log_of(srv, t["id"]) == ""


def test_progress_out_of_range_is_a_log_line(srv):
    t = emit(srv, "101%\\nPROGRESS 1/0\\n{\"progress\": 1.5}\\n")
    assert t["state"] == "succeeded", t
    assert t["progress"]["value"] == 0, t
    assert log_of(srv, t["id"]) == \
        "101%\nPROGRESS 1/0\n{\"progress\": 1.5}\n"


def test_progress_line_on_stderr_is_a_log_line(srv):
    t = run(srv, "to_stderr", {"text": "42%\\nPROGRESS 1/2\\n"})
    assert t["state"] == "succeeded", t
    assert t["progress"]["value"] == 0, t
    logs = log_events(srv.replay(t["id"]))
    assert [(e["stream"], e["line"]) for e in logs] == \
        [("stderr", "42%"), ("stderr", "PROGRESS 1/2")], logs


def test_progress_message_with_invalid_utf8_is_made_valid(srv):
    t = emit(srv, "PROGRESS 1/2 caf\\351 \\0!\\n")
    assert t["state"] == "succeeded", t
    assert t["progress"]["message"] == "caf\ufffd \ufffd!", t


# ---------------------------------------------------------------- complete

def test_complete_code_0_succeeds_with_description_as_message(srv):
    t = emit(srv, '{"complete": 1, "code": 0, "description": "done"}\\n')
    assert t["state"] == "succeeded", t
    assert t["error"] is None and t["exit_code"] == 0, t
    assert t["progress"]["message"] == "done", t
    assert log_of(srv, t["id"]) == ""


def test_complete_code_2_fails_with_description_as_error(srv):
    # The script itself exits 0: the complete line decides.
    t = emit(srv, '{"complete": 1, "code": 2, "description": "disk full"}'
             '\\n')
    assert t["state"] == "failed", t
    assert t["exit_code"] == 2, t
    assert t["error"] == {"code": "exit_code", "message": "disk full"}, t


# --------------------------------------------------------------------- logs

def test_log_captures_stdout_and_stderr_as_events_and_file(srv):
    t = run(srv, "both")
    assert t["state"] == "succeeded", t
    logs = log_events(srv.replay(t["id"]))
    assert all(e["task"] == t["id"] for e in logs), logs
    # Each stream in its own order; the two may interleave either way.
    assert [e["line"] for e in logs if e["stream"] == "stdout"] == \
        ["out1", "out2"], logs
    assert [e["line"] for e in logs if e["stream"] == "stderr"] == \
        ["err1", "err2"], logs
    assert len(logs) == 4, logs
    body = log_of(srv, t["id"])
    assert body == "".join(e["line"] + "\n" for e in logs), (body, logs)


def test_log_splits_crlf_once(srv):
    t = emit(srv, "a\\r\\nb\\rc\\n\\nd")
    assert t["state"] == "succeeded", t
    assert log_of(srv, t["id"]) == "a\nb\nc\n\nd\n"


def test_log_tail_gives_last_lines(srv):
    t = emit(srv, "l1\\nl2\\nl3\\nl4\\n")
    tid = t["id"]
    assert log_of(srv, tid) == "l1\nl2\nl3\nl4\n"
    assert log_of(srv, tid, "?tail=2") == "l3\nl4\n"
    assert log_of(srv, tid, "?tail=1") == "l4\n"
    assert log_of(srv, tid, "?tail=10000") == "l1\nl2\nl3\nl4\n"


def test_log_tail_out_of_range_is_400(srv):
    tid = emit(srv, "l1\\n")["id"]
    for bad in ("0", "10001", "abc", "-1", "1.5", "1" * 40, "1%00"):
        assert_error(srv.get("/api/tasks/%d/log?tail=%s" % (tid, bad)), 400,
                     "invalid_request")


def test_log_of_unknown_task_is_404(srv):
    assert_error(srv.get("/api/tasks/987654321/log"), 404, "not_found")
    assert_error(srv.get("/api/tasks/abc/log"), 404, "not_found")


def test_log_is_served_while_the_task_runs(srv):
    tid = srv.create("waiting")["id"]
    try:
        srv.wait_task(tid, lambda t: t["progress"]["message"] == "waiting",
                      what="the script's progress line")
        assert srv.task(tid)["state"] == "running"
        assert log_of(srv, tid) == "first line\n"
    finally:
        srv.stop_task(tid)


def test_log_cap_keeps_one_marker_line():
    with Server(kinds=KINDS, env={"HOURGLASS_LOG_MAX": "2048"}) as s:
        t = run(s, "many")
        assert t["state"] == "succeeded", t
        path = os.path.join(s.data, "logs", "%d.log" % t["id"])
        data = read_file(path)
        assert 1024 < len(data) <= 2048 + 128, len(data)
        lines = data.decode("utf-8").split("\n")
        assert lines[-1] == "", lines[-3:]
        lines = lines[:-1]
        assert sum(MARKER in ln for ln in lines) == 1, lines[-3:]
        assert MARKER in lines[-1], lines[-3:]
        assert lines[0] == "line 0: some words to fill the log up quickly"
        assert log_of(s, t["id"]).encode() == data
        logs = [e["line"] for e in log_events(s.replay(t["id"]))]
        assert logs == lines, (logs[-3:], lines[-3:])


def test_log_very_long_line_is_cut_and_task_succeeds(srv):
    t = run(srv, "long")
    assert t["state"] == "succeeded", t
    lines = log_of(srv, t["id"]).split("\n")
    assert lines[-1] == "" and lines[-2] == "after", lines[-2:]
    assert len(lines) == 3, [len(ln) for ln in lines]
    assert 0 < len(lines[0]) <= 16384 and set(lines[0]) == {"a"}, \
        len(lines[0])
    logs = [e["line"] for e in log_events(srv.replay(t["id"]))]
    assert logs == lines[:-1], [len(ln) for ln in logs]


def test_log_invalid_utf8_and_nul_become_valid_json(srv):
    t = emit(srv, "bad \\377\\376 utf8 \\0 nul \\303( end\\n")
    assert t["state"] == "succeeded", t
    want = "bad \ufffd\ufffd utf8 \ufffd nul \ufffd( end"
    # The SSE parser decodes strictly and Event.json parses each event.
    logs = log_events(srv.replay(t["id"]))
    assert [e["line"] for e in logs] == [want], logs
    with srv.sse("/api/events?after=0") as s:
        s.read(until=lambda e: e.type == "log" and e.json["task"] == t["id"],
               timeout=10)
    assert any(e.type == "log" and e.json["line"] == want
               for e in s.events), s.events[-3:]
    assert log_of(srv, t["id"]) == want + "\n"


def test_delete_of_finished_command_task_removes_its_log(srv):
    tid = emit(srv, "something\\n")["id"]
    path = os.path.join(srv.data, "logs", "%d.log" % tid)
    assert log_of(srv, tid) == "something\n"
    assert os.path.exists(path)
    r = srv.delete("/api/tasks/%d" % tid)
    assert r.status == 204, r
    assert_error(srv.get("/api/tasks/%d/log" % tid), 404, "not_found")
    assert not os.path.exists(path), path


def test_delete_removes_the_task_folder_and_what_the_command_left(srv):
    tid = run(srv, "envdump", {})["id"]
    folder = os.path.join(srv.data, "tasks", str(tid))
    assert os.path.exists(os.path.join(folder, "environ.bin"))
    assert srv.delete("/api/tasks/%d" % tid).status == 204
    assert not os.path.exists(folder), os.listdir(folder)


# ------------------------------------------------------- how commands end

def test_exit_0_succeeds(srv):
    t = emit(srv, "fine\\n", 0)
    assert t["state"] == "succeeded", t
    assert t["error"] is None, t
    assert t["exit_code"] in (0, None), t


def test_exit_3_fails_with_exit_code(srv):
    t = emit(srv, "oops\\n", 3)
    assert t["state"] == "failed", t
    assert t["exit_code"] == 3, t
    assert t["error"]["code"] == "exit_code", t
    assert t["error"]["message"], t


def test_death_by_signal_fails_naming_it(srv):
    t = run(srv, "selfkill")
    assert t["state"] == "failed", t
    assert t["error"]["code"] == "signal", t
    assert "SIGKILL" in t["error"]["message"], t
    assert log_of(srv, t["id"]) == "before\n"


def check_exec_failed(srv, kind_name, *words):
    t = run(srv, kind_name)
    assert t["state"] == "failed", t
    assert t["error"]["code"] == "exec_failed", t
    for w in words:
        assert w in t["error"]["message"], (w, t)
    r = srv.get("/api/health")
    assert r.status == 200 and r.json["status"] == "ok", r


def test_missing_program_is_exec_failed(srv):
    check_exec_failed(srv, "missing", MISSING, "No such file")


def test_program_without_execute_bit_is_exec_failed(srv):
    check_exec_failed(srv, "noexec", NOEXEC, "Permission denied")


def test_missing_cwd_is_exec_failed(srv):
    check_exec_failed(srv, "badcwd", os.path.join(SCRIPTS, "no-such-folder"),
                      "No such file")


def test_what_a_program_leaves_behind_is_killed_at_its_exit(srv):
    t = run(srv, "leaver")
    assert t["state"] == "succeeded", t
    pid = wait_for(lambda: read_pids(os.path.join(task_dir(srv, t["id"]),
                                                  "pid"), 1), 10)[0]
    wait_for(lambda: not pid_alive(pid), 10,
             what="the left-behind sleep %d to be gone" % pid)


def test_an_exit_in_time_decides_though_a_leftover_holds_its_output(srv):
    # A sleep in another session holds stdout open: the runner drains it
    # for a while after the exit. The exit came within timeout_s, so the
    # timeout does not fire in the drain; and the last line, with no
    # newline, is read though the stream never reaches its end.
    t = run(srv, "holder")
    try:
        assert t["state"] == "succeeded", t
        assert t["error"] is None and t["exit_code"] == 0, t
        assert t["progress"]["value"] == 9, t
        assert t["progress"]["message"] == "last words", t
        states = [e.json["state"] for e in srv.replay(t["id"])
                  if e.type == "state"]
        assert states == ["queued", "running", "succeeded"], states
    finally:
        pid = read_pids(os.path.join(task_dir(srv, t["id"]), "pid"), 1)[0]
        os.kill(pid, signal.SIGKILL)


def test_timeout_fails_with_timeout(srv):
    t = run(srv, "sleeper")
    assert t["state"] == "failed", t
    assert t["error"]["code"] == "timeout", t
    assert log_of(srv, t["id"]) == "started\n"
    # Stopped by its timeout, it is stopping through the grace, as a
    # stop makes it; no stop was asked, so it ends failed, not canceled.
    states = [e.json for e in srv.replay(t["id"]) if e.type == "state"]
    assert [x["state"] for x in states] == [
        "queued", "running", "stopping", "failed"], states
    assert states[2]["error"] is None, states[2]


# -------------------------------------------------------------------- stops

def read_pids(path, n):
    try:
        pids = [int(x) for x in read_file(path).split()]
    except (OSError, ValueError):
        return None
    return pids if len(pids) >= n else None


def test_stop_kills_the_whole_process_tree(srv):
    tid = srv.create("tree")["id"]
    pids = wait_for(lambda: read_pids(os.path.join(task_dir(srv, tid),
                                                   "pids"), 5),
                    15, what="the tree's five pids")
    srv.wait_task(tid, lambda t: t["progress"]["message"] == "started",
                  what="the tree to start")
    assert all(pid_alive(p) for p in pids), pids
    r = srv.post("/api/tasks/%d/stop" % tid)
    assert r.status == 202, r
    t = srv.wait_finished(tid)
    assert t["state"] == "canceled", t
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10,
             what="every process of the tree to be gone: %s" % pids)


def test_stop_kills_a_program_ignoring_sigterm_after_grace(srv):
    tid = srv.create("stubborn")["id"]
    srv.wait_task(tid, lambda t: t["progress"]["message"] == "ready",
                  what="the trap to be set")
    pid = wait_for(lambda: read_pids(os.path.join(task_dir(srv, tid),
                                                  "pid"), 1), 10)[0]
    srv.post("/api/tasks/%d/stop" % tid)
    t = srv.wait_finished(tid, timeout=20)
    assert t["state"] == "canceled", t
    # It did get SIGTERM, and went on until SIGKILL.
    assert "got TERM, going on" in log_of(srv, tid), log_of(srv, tid)
    wait_for(lambda: not pid_alive(pid), 10, what="pid %d to be gone" % pid)


# ----------------------------------------------------------- the process

PWNED = "x; touch PWNED $(touch PWNED2) `touch PWNED3` | touch PWNED4 && " \
        "touch PWNED5 > PWNED6 \"dq\" 'sq' \\ * ? ~ {s} $HOME\nnext line"


def pwned_files(*roots):
    found = []
    for root in roots:
        for dirpath, _, files in os.walk(root):
            found += [os.path.join(dirpath, f) for f in files
                      if f.startswith("PWNED")]
    return found


def test_shell_metacharacters_reach_the_program_literally(srv):
    t = run(srv, "meta", {"s": PWNED})
    assert t["state"] == "succeeded", t
    d = task_dir(srv, t["id"])
    assert read_file(os.path.join(d, "arg.txt")) == PWNED.encode()
    assert read_file(os.path.join(d, "env.txt")) == PWNED.encode()
    assert pwned_files(srv.data, SCRIPTS) == []
    here = [f for f in os.listdir(os.getcwd()) if f.startswith("PWNED")]
    assert here == [], here


def environ_of(srv, t):
    """The environment the script's shell was started with, as a list of
    (name, value) in order."""
    raw = read_file(os.path.join(task_dir(srv, t["id"]), "environ.bin"))
    return [tuple(e.split("=", 1)) for e in raw.decode().split("\0") if e]


def test_environment_is_clean(srv):
    t = run(srv, "envdump")
    assert t["state"] == "succeeded", t
    pairs = environ_of(srv, t)
    env = dict(pairs)
    assert len(env) == len(pairs), "a variable twice: %s" % pairs
    want = dict(KIND_ENV)
    want.update({"PATH": "/usr/local/bin:/usr/bin:/bin",
                 "HOURGLASS_TASK_ID": str(t["id"]),
                 "HOURGLASS_PARAM_S": "v w",
                 "HOURGLASS_PARAM_MIXED_CASE": "7",
                 "HOURGLASS_PARAM_B": "true",
                 "HOURGLASS_PARAM_X": "2.5"})
    assert env == want, env


def sig_lines(text):
    """The Sig* lines of a /proc/<pid>/status, by name."""
    return dict(l.split(":\t") for l in text.splitlines()
                if l.startswith("Sig"))


def test_signals_reach_the_program_as_by_default(srv):
    # The runner blocks SIGTERM and SIGCHLD and ignores SIGPIPE, SIGHUP
    # and SIGINT; its command starts with none blocked, and none of them
    # ignored. (Signals 32 and 33 are glibc's own, which no program can
    # set; whoever started the tests may have left them ignored.)
    t = run(srv, "sigstatus")
    assert t["state"] == "succeeded", t
    lines = sig_lines(log_of(srv, t["id"]))
    assert int(lines["SigBlk"], 16) == 0, lines
    ours = sum(1 << (s - 1) for s in (signal.SIGTERM, signal.SIGCHLD,
                                      signal.SIGPIPE, signal.SIGHUP,
                                      signal.SIGINT))
    assert int(lines["SigIgn"], 16) & ours == 0, lines


def test_a_signal_ignored_where_the_server_started_is_not_in_the_command():
    """The runner resets what it finds set when it starts (signals.c),
    and a signal that whoever started the server ignored is among it.
    Here bash ignores SIGUSR1 before it runs scripts/serve (BASH_ENV), and
    what it starts inherits that."""
    rc = os.path.join(SCRIPTS, "ignore-usr1.sh")
    with open(rc, "w") as f:
        f.write("trap '' USR1\n")
    srv = Server(kinds=KINDS, env={"BASH_ENV": rc})
    try:
        srv.start()
        t = run(srv, "sigstatus")
        assert t["state"] == "succeeded", t
        lines = sig_lines(log_of(srv, t["id"]))
        assert int(lines["SigIgn"], 16) & 1 << (signal.SIGUSR1 - 1) == 0, \
            lines
        # The runners' host, which forks them, has it ignored all the
        # same: it came from outside.
        hosts = host_pids(srv.data)
        assert len(hosts) == 1, hosts
        ign = sig_lines(read_proc(hosts[0], "status").decode())["SigIgn"]
        assert int(ign, 16) & 1 << (signal.SIGUSR1 - 1), ign
    finally:
        srv.close()


def test_path_from_the_kind_env_is_set_once(srv):
    # The kind's env gives PATH, equal to the default: one PATH, not two.
    t = run(srv, "pathenv")
    assert t["state"] == "succeeded", t
    pairs = environ_of(srv, t)
    assert [v for k, v in pairs if k == "PATH"] == \
        ["/usr/local/bin:/usr/bin:/bin"], pairs


def test_long_parameter_reaches_the_program_whole(srv):
    # 6000 bytes of two-byte characters: no fixed-size buffer may cut it,
    # least of all in the middle of a character.
    value = "\u00e9" * 3000
    t = run(srv, "meta", {"s": value})
    assert t["state"] == "succeeded", t
    d = task_dir(srv, t["id"])
    arg = read_file(os.path.join(d, "arg.txt"))
    env = read_file(os.path.join(d, "env.txt"))
    assert arg == value.encode(), "argv: %d of %d bytes, ending %r" % (
        len(arg), len(value.encode()), arg[-3:])
    assert env == value.encode(), "env: %d of %d bytes, ending %r" % (
        len(env), len(value.encode()), env[-3:])


def test_numbers_reach_the_program_and_come_back_as_sent(srv):
    # cJSON's printer checks its 15 digits loosely: 9000000000000001
    # went out as 9e+15, and the program was given 9000000000000000.
    big, third = 9000000000000001, "0.30000000000000004"
    r = srv.get("/api/kinds")
    assert b'"default":9000000000000001' in r.body, r.body
    for i, x in ((big, third), (-9007199254740991, "123456789.12345679")):
        r = srv.post("/api/tasks", body=(
            '{"kind": "numbers", "params": {"i": %d, "x": %s}}' % (i, x)),
            headers={"Content-Type": "application/json"})
        assert r.status == 201, r
        assert ('"params":{"i":%d,"x":%s}' % (i, x)).encode() in r.body, r
        t = srv.wait_finished(r.json["id"])
        assert t["state"] == "succeeded", t
        assert t["params"] == {"i": i, "x": float(x)}, t
        assert log_of(srv, t["id"]) == "%d %s\n" % (i, x)
    # 2^53 + 1 reads as 2^53: neither is taken for an integer.
    for i in (9007199254740992, 9007199254740993):
        assert_error(srv.post("/api/tasks", body=(
            '{"kind": "numbers", "params": {"i": %d}}' % i),
            headers={"Content-Type": "application/json"}), 422,
            "invalid_params")


def test_no_descriptor_is_inherited(srv):
    t = run(srv, "fds")
    assert t["state"] == "succeeded", t
    fds = {}
    for line in log_of(srv, t["id"]).splitlines():
        if " -> " in line:
            left, target = line.split(" -> ", 1)
            fds[int(left.split()[-1])] = target
    assert set(fds) <= {0, 1, 2, 3} and {0, 1, 2} <= set(fds), fds
    assert fds[0] == "/dev/null", fds
    if 3 in fds:        # the listing's own: ls reading /proc/self/fd
        assert fds[3].startswith("/proc/") and fds[3].endswith("/fd"), fds


def test_default_cwd_is_the_tasks_own_folder(srv):
    t = run(srv, "pwd")
    assert t["state"] == "succeeded", t
    assert log_of(srv, t["id"]) == os.path.realpath(task_dir(srv, t["id"])) \
        + "\n"


# ------------------------------------------------------- kinds-file mistakes



def test_kinds_placeholder_naming_no_parameter_is_refused():
    refused({"kinds": [kind("typo", ["/bin/echo", "--to", "{dest}"],
                            params={"dst": {"type": "string"}})]},
            'kind "typo"', "command[2]", "{dest}")


def test_kinds_bad_progress_regex_is_refused():
    refused({"kinds": [kind("badre", ["/bin/true"],
                            progress_regex="([0-9]+")]},
            'kind "badre"', "progress_regex")


def test_runners_run_the_kinds_file_as_it_is_at_each_task():
    # Runners are kept from task to task and keep the kinds file they
    # read; each edit must still reach the next task, however soon.
    def write(word):
        with open(srv.kinds_path, "w") as f:    # in place, the same size
            f.write(json.dumps({"kinds": [
                {"name": "say", "command": ["/bin/echo", word]}]}))

    def said():
        t = run(srv, "say")
        assert t["state"] == "succeeded", t
        return log_of(srv, t["id"]).strip()

    with Server(kinds={"kinds": [
            {"name": "say", "command": ["/bin/echo", "one"]}]}) as srv:
        assert said() == "one"
        write("two")            # read less than a second after the write
        assert said() == "two"
        time.sleep(2.2)         # settled (2 s): kept from now on
        assert said() == "two"
        assert said() == "two"
        write("six")
        assert said() == "six"
        os.rename(srv.kinds_path, srv.kinds_path + ".old")
        t = run(srv, "say")
        assert t["state"] == "failed", t
        assert t["error"]["code"] == "exec_failed", t
        assert "No such file" in t["error"]["message"], t
        os.rename(srv.kinds_path + ".old", srv.kinds_path)
        assert said() == "six"
