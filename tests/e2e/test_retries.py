"""Retries: a failed attempt of a kind with "retries" waits in the state
retrying, is queued again at its retry_at and runs again, up to its
attempts; what is retried is the kind's retry_on; a stop never is.

Every delay here is short (retry_delay_s 0.2), so that the module stays
within a few seconds a run: the suite runs three times in CI."""

import calendar
import os
import signal
import time

from harness import (assert_error, check_task_shape, db_rows, metrics,
                     pid_alive, read_proc, refused, runner_pids, samples,
                     wait_for)

# Fails until its attempt ok_at. Each attempt counts itself in a file of
# the task's own folder (the command's working folder, kept across
# attempts), and reports progress, a data item and a result.
FLAKY_SH = ("n=$(($(cat n 2>/dev/null || echo 0) + 1)); echo $n > n; "
            "echo \"PROGRESS $n/10\"; "
            "printf '\\173\"name\": \"try\", \"data\": %d\\175\\n' $n; "
            "printf '\\173\"result\": %d\\175\\n' $n; "
            "echo \"attempt $n\"; [ $n -ge $1 ] || exit 3")
OK_AT = {"ok_at": {"type": "integer", "min": 1, "max": 10, "default": 3}}
# Its first attempt outlives its timeout; the next ends at once.
FIRST_HANGS_SH = ("n=$(($(cat n 2>/dev/null || echo 0) + 1)); echo $n > n; "
                  "if [ $n -eq 1 ]; then exec sleep 30; fi; "
                  "echo \"second at last\"")

# Its first attempt ignores SIGTERM, in a child too, so that only the
# server's SIGKILL of its whole group ends it once its runner is killed
# (the kernel's SIGTERM for a dead parent does nothing to it); the next
# attempt writes down any process of the first that still runs beside it
# (a zombie, dead but not yet reaped by whoever adopted it, runs nothing).
DEAF_FIRST_SH = ("n=$(($(cat n 2>/dev/null || echo 0) + 1)); echo $n > n; "
                 "if [ $n -eq 1 ]; then trap '' TERM; sleep 30 & "
                 "echo \"$$ $!\" > pids.tmp; mv pids.tmp pids; wait; fi; "
                 "for p in $(cat pids); do st=; read -r _ _ st _ 2>/dev/null "
                 "< /proc/$p/stat; case $st in ''|Z|X) ;; "
                 "*) echo \"$p $st\" >> beside;; esac; done; "
                 "echo \"second at last\"")

# Says it is complete with code $1, then outlives its timeout.
COMPLETES_SH = ("printf '\\173\"complete\": 1, \"code\": %s\\175\\n' \"$1\"; "
                "exec sleep 30")

DELAY, DELAY_MAX = 0.2, 0.3
KINDS = {"kinds": [
    {"name": "flaky", "command": ["/bin/sh", "-c", FLAKY_SH, "flaky",
                                  "{ok_at}"],
     "params": OK_AT, "retries": 2, "retry_delay_s": DELAY,
     "retry_delay_max_s": DELAY_MAX},
    {"name": "timeouts_only", "command": ["/bin/sh", "-c", FLAKY_SH,
                                          "flaky", "{ok_at}"],
     "params": OK_AT, "retries": 2, "retry_delay_s": DELAY,
     "retry_on": ["timeout"]},
    {"name": "noexec", "command": ["/nonexistent/hourglass-test-program"],
     "retries": 2, "retry_delay_s": DELAY},
    {"name": "slow_first", "command": ["/bin/sh", "-c", FIRST_HANGS_SH],
     "timeout_s": 0.5, "grace_s": 1, "retries": 1, "retry_delay_s": 0.1},
    {"name": "hangs_first", "command": ["/bin/sh", "-c", DEAF_FIRST_SH],
     "retries": 2, "retry_delay_s": DELAY, "grace_s": 1},
    {"name": "deaf_timeout", "command": ["/bin/sh", "-c", DEAF_FIRST_SH],
     "timeout_s": 0.5, "grace_s": 6, "retries": 1, "retry_delay_s": 0.1},
    {"name": "completes", "command": ["/bin/sh", "-c", COMPLETES_SH,
                                      "completes", "{code}"],
     "params": {"code": {"type": "integer", "min": 0, "max": 9}},
     "timeout_s": 1, "grace_s": 5, "retries": 1, "retry_delay_s": 0.1},
    {"name": "waits", "command": ["/bin/sh", "-c", "exit 4"],
     "retries": 1, "retry_delay_s": 60},
    {"name": "sure", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 2},
                "delay_ms": {"type": "integer", "min": 0, "default": 1}}},
]}


def ms(iso):
    """An ISO time of ours ("...T20:05:40.123Z") as ms since the epoch."""
    t = time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000 + int(iso[20:23])


def watch(srv, tid, timeout=20):
    """The task's own stream from its first event, read to its end: the
    state events' tasks, and every event."""
    with srv.sse("/api/tasks/%d/events?after=0" % tid) as s:
        s.read(timeout=timeout)
        assert s.ended, "the stream of task %d did not end" % tid
        return [e.json for e in s.events if e.type == "state"], s.events


def retries_total(srv, kind):
    return int(samples(metrics(srv)).get(
        'hourglass_task_retries_total{kind="%s"}' % kind, 0))


def test_failing_twice_then_succeeding_is_retried_with_backoff(srv):
    before = retries_total(srv, "flaky")
    t = srv.create("flaky", {"ok_at": 3})
    assert (t["attempt"], t["attempts"], t["retry_at"]) == (1, 3, None), t
    states, events = watch(srv, t["id"])
    # A result written while the attempt runs has a state event of its
    # own (the state unchanged), or comes with the end: the changes of
    # state are what this test follows.
    states = [s for i, s in enumerate(states)
              if i == 0 or s["state"] != states[i - 1]["state"]]
    assert [s["state"] for s in states] == [
        "queued", "running", "retrying", "queued", "running", "retrying",
        "queued", "running", "succeeded"], [s["state"] for s in states]
    for s in states:
        check_task_shape(s)
    assert [s["attempt"] for s in states] == [1, 1, 1, 1, 2, 2, 2, 3, 3]
    assert all(s["attempts"] == 3 for s in states), states
    retrying = [s for s in states if s["state"] == "retrying"]
    for s in retrying:
        assert s["error"]["code"] == "exit_code" and s["exit_code"] == 3, s
        assert s["finished_at"] is None and s["retry_at"] is not None, s
    # The wait after attempt k: between half and all of
    # min(retry_delay_max_s, retry_delay_s x 2^(k-1)), from when the
    # attempt ended; then queued at retry_at, not up to a second late.
    # The end is read from the clock between the attempt's running
    # event and its retrying event (written after retry_at is set, in
    # the same transaction, some ms later in a sanitizer's build on a
    # busy machine), so the wait is bounded by the two.
    rows = db_rows(srv, "SELECT at, state FROM events WHERE task_id = ? "
                   "AND type = 'state' ORDER BY id", (t["id"],))
    at, ran = {}, None
    for when, state in rows:
        at.setdefault(state, []).append(when)
        if state == "running":
            ran = when
        elif state == "retrying":
            at.setdefault("ran", []).append(ran)
    for k, s in enumerate(retrying, 1):
        base = min(DELAY_MAX, DELAY * 2 ** (k - 1)) * 1000
        retry_at = ms(s["retry_at"])
        assert retry_at - at["ran"][k - 1] >= base / 2, (
            k, retry_at - at["ran"][k - 1], base)
        assert retry_at - at["retrying"][k - 1] <= base, (
            k, retry_at - at["retrying"][k - 1], base)
        late = at["queued"][k] - ms(s["retry_at"])
        assert 0 <= late < 500, (k, late)
    # Each attempt after the first starts with its marker in the log.
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode().splitlines()
    assert log == ["attempt 1", "[hourglass: attempt 2 of 3]", "attempt 2",
                   "[hourglass: attempt 3 of 3]", "attempt 3"], log
    # A new attempt starts at 0 with no result; started_at is the first.
    running = [s for s in states if s["state"] == "running"]
    for s in running[1:]:
        assert s["progress"]["value"] == 0 and s["result"] is None, s
        assert s["started_at"] == running[0]["started_at"], s
        assert s["error"]["code"] == "exit_code", s
    progress = [e.json["value"] for e in events if e.type == "progress"]
    assert progress == [1, 0, 2, 0, 3], progress
    end = states[-1]
    assert end["error"] is None and end["exit_code"] == 0, end
    assert end["progress"]["value"] == 3 and end["result"] == 3, end
    assert end == srv.task(t["id"])
    # Data items of every attempt stay.
    items = srv.get("/api/tasks/%d/data" % t["id"]).json["items"]
    assert [i["data"] for i in items] == [1, 2, 3], items
    assert retries_total(srv, "flaky") == before + 2


def test_no_attempt_left_ends_failed_with_the_last_error(srv):
    t = srv.create("flaky", {"ok_at": 9})
    states, _ = watch(srv, t["id"])
    assert [s["state"] for s in states][-2:] == ["running", "failed"]
    end = states[-1]
    assert (end["attempt"], end["attempts"]) == (3, 3), end
    assert end["error"]["code"] == "exit_code" and end["exit_code"] == 3
    assert end["retry_at"] is None and end["finished_at"] is not None, end


def test_error_not_in_retry_on_is_not_retried(srv):
    t = srv.wait_finished(srv.create("timeouts_only", {"ok_at": 2})["id"])
    assert t["state"] == "failed" and t["error"]["code"] == "exit_code", t
    assert (t["attempt"], t["attempts"]) == (1, 3), t
    # exec_failed is not among the codes retried by default.
    t = srv.wait_finished(srv.create("noexec")["id"])
    assert t["state"] == "failed" and t["error"]["code"] == "exec_failed", t
    assert (t["attempt"], t["attempts"]) == (1, 3), t


def test_timeout_is_retried_and_timeout_s_is_per_attempt(srv):
    t = srv.create("slow_first")
    states, _ = watch(srv, t["id"])
    assert [s["state"] for s in states] == [
        "queued", "running", "stopping", "retrying", "queued", "running",
        "succeeded"], [s["state"] for s in states]
    assert states[3]["error"]["code"] == "timeout", states[3]
    assert states[-1]["attempt"] == 2 and states[-1]["error"] is None


def test_complete_line_outlived_by_its_timeout_decides_the_end(srv):
    # A command that said it is complete is ending already: its timeout,
    # coming in the grace it has to exit, neither cancels a success nor
    # keeps a reported failure from its retry.
    t = srv.create("completes", {"code": 0})
    states, _ = watch(srv, t["id"])
    assert [s["state"] for s in states] == [
        "queued", "running", "succeeded"], [s["state"] for s in states]
    assert states[-1]["exit_code"] == 0, states[-1]
    t = srv.create("completes", {"code": 3})
    states, _ = watch(srv, t["id"])
    assert [s["state"] for s in states] == [
        "queued", "running", "retrying", "queued", "running", "failed"], [
        s["state"] for s in states]
    assert states[-1]["error"]["code"] == "exit_code", states[-1]
    assert states[-1]["exit_code"] == 3 and states[-1]["attempt"] == 2


def first_attempt_pids(srv, tid):
    """The pids DEAF_FIRST_SH's first attempt wrote down: its shell and
    its sleep."""
    pids = os.path.join(srv.data, "tasks", str(tid), "pids")
    wait_for(lambda: os.path.exists(pids), 10,
             what="the first attempt's pids")
    with open(pids) as f:
        return [int(p) for p in f.read().split()]


def test_runner_killed_in_its_timeouts_grace_is_retried(srv):
    # Stopping by its timeout, not by a stop: a runner found dead then is
    # retried as one found dead while running is.
    tid = srv.create("deaf_timeout")["id"]
    first = []
    try:
        srv.wait_state(tid, "stopping")
        pid = wait_for(lambda: runner_of(srv, tid), 5,
                       what="hourglass-runner %d in ps" % tid)
        first = first_attempt_pids(srv, tid)
        os.kill(pid, signal.SIGKILL)
        states, _ = watch(srv, tid, timeout=30)
        assert [s["state"] for s in states] == [
            "queued", "running", "stopping", "retrying", "queued",
            "running", "succeeded"], [s["state"] for s in states]
        assert states[3]["error"]["code"] == "lost", states[3]
        assert states[-1]["attempt"] == 2, states[-1]
    finally:
        kill_quietly(first)


def test_stop_while_its_timeout_stops_it_is_not_retried(srv):
    # A stop is never retried, even one that comes while the task's
    # timeout is already stopping it: it ends as the timeout ends it.
    tid = srv.create("deaf_timeout")["id"]
    first = []
    try:
        srv.wait_state(tid, "stopping")
        first = first_attempt_pids(srv, tid)
        r = srv.post("/api/tasks/%d/stop" % tid)
        assert r.status == 202 and r.json["state"] == "stopping", r
        states, _ = watch(srv, tid, timeout=30)
        assert [s["state"] for s in states] == [
            "queued", "running", "stopping", "failed"], [
            s["state"] for s in states]
        # The timeout came first, and says how it ended.
        assert states[-1]["error"]["code"] == "timeout", states[-1]
        assert states[-1]["attempt"] == 1, states[-1]
        assert states[-1]["retry_at"] is None, states[-1]
    finally:
        kill_quietly(first)


def test_stop_of_retrying_task_cancels_it_at_once(srv):
    t = srv.create("waits")
    srv.wait_state(t["id"], "retrying")
    listed = srv.get("/api/tasks?state=retrying").json["tasks"]
    assert t["id"] in [x["id"] for x in listed], listed
    assert_error(srv.delete("/api/tasks/%d" % t["id"]), 409, "still_active")
    assert_error(srv.post("/api/tasks/%d/rerun" % t["id"]), 409,
                 "still_active")
    r = srv.post("/api/tasks/%d/stop" % t["id"])
    assert r.status == 202, r
    done = r.json
    assert done["state"] == "canceled", done
    assert done["error"] is None and done["exit_code"] is None, done
    assert done["retry_at"] is None and done["finished_at"], done
    check_task_shape(done)
    assert_error(srv.post("/api/tasks/%d/stop" % t["id"]), 409, "not_active")
    assert srv.delete("/api/tasks/%d" % t["id"]).status == 204


def runner_of(srv, tid):
    """The pid of the runner that shows as `hourglass-runner <tid>`."""
    for pid in runner_pids(srv.data):
        cmd = read_proc(pid, "cmdline").split(b"\0")
        if len(cmd) > 1 and cmd[1].strip() == str(tid).encode():
            return pid
    return None


def kill_quietly(pids):
    """SIGKILL to what an attempt left, if it is still there."""
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def test_runner_killed_is_retried_once_its_group_is_gone(srv):
    t = srv.create("hangs_first")
    tid = t["id"]
    folder = os.path.join(srv.data, "tasks", str(tid))
    first = []
    try:
        srv.wait_state(tid, "running")
        first = first_attempt_pids(srv, tid)
        pid = wait_for(lambda: runner_of(srv, tid), 5,
                       what="hourglass-runner %d in ps" % tid)
        os.kill(pid, signal.SIGKILL)
        states, _ = watch(srv, tid, timeout=20)
        assert [s["state"] for s in states] == [
            "queued", "running", "retrying", "queued", "running",
            "succeeded"], [s["state"] for s in states]
        assert states[2]["error"]["code"] == "lost", states[2]
        assert states[-1]["attempt"] == 2, states[-1]
        # The first attempt's script and its child ignored SIGTERM: the
        # server killed them before it retried, and the second attempt
        # saw neither beside it.
        for p in first:
            assert not pid_alive(p), "pid %d of attempt 1 still runs" % p
        assert not os.path.exists(os.path.join(folder, "beside")), \
            open(os.path.join(folder, "beside")).read()
    finally:
        kill_quietly(first)


def test_kind_without_retries_shows_one_attempt(srv):
    t = srv.wait_finished(srv.create("sure")["id"])
    assert t["state"] == "succeeded", t
    assert (t["attempt"], t["attempts"], t["retry_at"]) == (1, 1, None), t


def test_kinds_file_refuses_bad_retry_fields():
    def kinds(**fields):
        k = {"name": "k", "command": ["true"]}
        k.update(fields)
        return {"kinds": [k]}
    refused(kinds(retries=101), 'kind "k"', "retries", "0 to 100")
    refused(kinds(retry_delay_s=0), 'kind "k"', "retry_delay_s", "above 0")
    refused(kinds(retry_delay_s=2, retry_delay_max_s=1), 'kind "k"',
            "retry_delay_max_s", "at least retry_delay_s")
    refused(kinds(retry_on=["exit_code", "stop"]), 'kind "k"', "retry_on",
            '"stop" is not one of')
    refused({"kinds": [{"name": "far", "external": True, "retries": 1}]},
            'kind "far"', "retries", "external")

