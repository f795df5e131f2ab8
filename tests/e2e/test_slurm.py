"""Slurm kinds, end to end, against a real one-node Slurm cluster that the
module starts once (tests/pylib/slurm.py) and ends after its tests."""

import os
import shutil
import signal
import sqlite3
import tempfile
import time

from harness import (Scripts, Server, Skip, db_rows, kill_pids, owned_pids,
                     refused, wait_for)
from pylib.slurm import Cluster, wait_gone

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "starts a Slurm cluster"

_cluster = None


def cluster():
    """The module's cluster, started on first use; Skip if Slurm's
    binaries cannot run here at all."""
    global _cluster
    if _cluster is None:
        why = Cluster.missing()
        if why is not None:
            raise Skip(why)
        _cluster = Cluster().start()
    return _cluster


script = Scripts("hourglass-slurm-").write

# Prints its progress, its one argument back as it came, and exits with
# the code asked.
STEPS = script("steps.sh", """n=$1
i=1
while [ $i -le $n ]; do
	echo "PROGRESS $i/$n step $i"
	sleep 0.2
	i=$((i + 1))
done
printf 'arg=[%s] count=%s\\n' "$2" "$#"
exit $3
""")

# Says step 1, then waits for its gate file, which the test makes.
GATE = script("gate.sh", """echo "PROGRESS 1/2 waiting"
while [ ! -e "$1" ]; do sleep 0.1; done
echo "PROGRESS 2/2 through"
""")

# Step 1, then waits for gate $1; steps 2 to 4 (while Hourglass is
# down, in the test), then waits for gate $2; step 5.
TWO_GATES = script("twogates.sh", """echo "PROGRESS 1/5"
while [ ! -e "$1" ]; do sleep 0.1; done
for i in 2 3 4; do echo "PROGRESS $i/5"; echo "line $i"; done
echo "PROGRESS 4/5 down"
while [ ! -e "$2" ]; do sleep 0.1; done
echo "PROGRESS 5/5"
""")

# Runs until stopped; says when TERM came, then exits.
LONG = script("long.sh", """trap 'echo got TERM; exit 143' TERM
echo "PROGRESS 1/100"
while :; do sleep 0.1; done
""")

SBATCH = shutil.which("sbatch") or "/usr/bin/sbatch"


def killing_sbatch(prefix, first=""):
    """An sbatch that runs the shell text first, submits with the real
    one, then kills the runner that called it before the runner can
    record the job: the first time (its marker, returned with the
    folder, keeps the job's id), after that it only submits."""
    tools = Scripts(prefix)
    marker = os.path.join(tools.dir, "killed")
    tools.write("sbatch", first + """out=$(%s "$@") || exit
echo "$out"
[ -e %s ] && exit 0
echo "$out" > %s
kill -9 $PPID
""" % (SBATCH, marker, marker))
    return tools, marker


_tools, KILLED = killing_sbatch("hourglass-slurm-tools-")

# As KILLED, but the job writes the task's slurm.out, as every job did
# before each attempt had an output file of its own: a runner of this
# build follows a job that an older one submitted.
_old, OLD_KILLED = killing_sbatch("hourglass-slurm-old-", """n=$#
while [ $n -gt 0 ]; do
	a=$1
	shift
	case $a in --output=*) a="${a%/*}/slurm.out" ;; esac
	set -- "$@" "$a"
	n=$((n - 1))
done
""")

# An sbatch that cannot reach slurmctld the first two times it is run
# (Slurm's own words, after a warning line), then submits with the real
# one; with DOWN_ALWAYS there, never.
_down = Scripts("hourglass-slurm-down-")
DOWN_COUNT = os.path.join(_down.dir, "count")
DOWN_ALWAYS = os.path.join(_down.dir, "always")
_down.write("sbatch", """n=$(cat %s 2>/dev/null || echo 0)
echo $((n + 1)) > %s
if [ -e %s ] || [ "$n" -lt 2 ]; then
	echo "sbatch: warning: a line before the error" >&2
	echo "sbatch: error: Batch job submission failed: Unable to contact \
slurm controller (connect failure)" >&2
	exit 1
fi
exec %s "$@"
""" % (DOWN_COUNT, DOWN_COUNT, DOWN_ALWAYS, SBATCH))
# And a squeue that cannot reach it either while SQUEUE_DOWN is there.
SQUEUE_DOWN = os.path.join(_down.dir, "squeue-down")
_down.write("squeue", """if [ -e %s ]; then
	echo "squeue: error: Unable to contact slurm controller" >&2
	exit 1
fi
exec %s "$@"
""" % (SQUEUE_DOWN, shutil.which("squeue") or "/usr/bin/squeue"))

KINDS = {"kinds": [
    {"name": "count", "builtin": "count", "description": "count",
     "params": {"total": {"type": "integer", "min": 1, "default": 1000},
                "delay_ms": {"type": "integer", "min": 0,
                             "default": 100}}},
    {"name": "gate", "description": "waits for its gate",
     "command": ["sh", GATE, "{path}"],
     "params": {"path": {"type": "string", "max_length": 500}},
     "slurm": {"options": []}},
    {"name": "flaky", "description": "fails once, then succeeds",
     "command": ["sh", "-c", "if [ -e \"$1\" ]; then echo second; "
                 "echo PROGRESS 2/2; exit 0; fi; : > \"$1\"; echo first; "
                 "echo PROGRESS 1/2; exit 3", "flaky", "{marker}"],
     "params": {"marker": {"type": "string", "max_length": 500}},
     "retries": 1, "retry_delay_s": 0.2, "slurm": {"options": []}},
    {"name": "nowhere", "description": "a partition that is not there",
     "command": ["true"], "slurm": {"options": ["--partition=nosuch"]}},
    {"name": "later", "description": "a job that Slurm holds back",
     "command": ["true"], "max_running": 1,
     "slurm": {"options": ["--begin=now+3600"]}},
    {"name": "twogates", "description": "waits for two gates",
     "command": ["sh", TWO_GATES, "{a}", "{b}"],
     "params": {"a": {"type": "string", "max_length": 500},
                "b": {"type": "string", "max_length": 500}},
     "slurm": {"options": []}},
    {"name": "long", "description": "runs until stopped",
     "command": ["sh", LONG], "grace_s": 3, "timeout_s": 60,
     "slurm": {"options": []}},
    {"name": "short", "description": "times out",
     "command": ["sh", LONG], "grace_s": 3, "timeout_s": 1.5,
     "slurm": {"options": []}},
    {"name": "steps", "description": "steps as a Slurm job",
     "command": ["sh", STEPS, "{n}", "{text}", "{code}"],
     "params": {"n": {"type": "integer", "min": 1, "max": 50,
                      "default": 3},
                "text": {"type": "string", "max_length": 200,
                         "default": "plain"},
                "code": {"type": "integer", "min": 0, "max": 255,
                         "default": 0}},
     "slurm": {"options": ["--ntasks=1", "--comment=steps-{n}"]}},
    {"name": "orphan", "description": "its first runner dies after sbatch",
     "command": ["sh", STEPS, "2", "orphan", "0"],
     "env": {"PATH": _tools.dir + ":" + os.environ.get("PATH", "/bin")},
     "slurm": {"options": []}},
    {"name": "older", "description": "submitted as an older runner did",
     "command": ["sh", STEPS, "2", "older", "0"],
     "env": {"PATH": _old.dir + ":" + os.environ.get("PATH", "/bin")},
     "slurm": {"options": []}},
    {"name": "down", "description": "slurmctld away for a while",
     "command": ["sh", STEPS, "2", "down", "0"],
     "env": {"PATH": _down.dir + ":" + os.environ.get("PATH", "/bin")},
     "slurm": {"options": []}},
    {"name": "held", "description": "steps that wait for the test",
     "command": ["sh", STEPS, "4", "held", "0"],
     "slurm": {"options": ["--begin=now+3600"]}},
]}


def SERVER_ENV():
    # One slot: Slurm tasks must not need it.
    return dict(cluster().env(), HOURGLASS_MAX_RUNNING="1")


def teardown():
    global _cluster
    c, _cluster = _cluster, None
    if c is not None:
        c.close()


def test_slurm_cluster_runs_a_batch_job():
    c = cluster()
    out = os.path.join(c.dir, "hello.out")
    job = c.run("sbatch", "--parsable", "--output=" + out,
                "--wrap", "echo hello from slurm").strip()
    assert job.isdigit(), job

    def done():
        try:
            with open(out) as f:
                return "hello from slurm" in f.read()
        except OSError:
            return False
    wait_for(done, 20, what="job %s's output" % job)


def slurm_kind(name="job", **fields):
    k = {"name": name, "description": "x", "command": ["hostname"],
         "slurm": {"options": []}}
    k.update(fields)
    return k


def test_slurm_kind_without_command_is_refused():
    k = slurm_kind("nocommand")
    del k["command"]
    refused({"kinds": [k]}, "nocommand", "slurm", "needs \"command\"")


def test_slurm_kind_on_a_builtin_or_external_is_refused():
    refused({"kinds": [{"name": "remote", "external": True,
                        "slurm": {"options": []}}]}, "remote", "slurm")
    refused({"kinds": [slurm_kind("both", builtin="count")]}, "both",
            "builtin")


def test_slurm_kind_with_malformed_options_is_refused():
    refused({"kinds": [slurm_kind("split", slurm={
        "options": ["--partition", "debug"]})]}, "split",
        "slurm.options[1]", "\"--name=value\"")
    refused({"kinds": [slurm_kind("ghost", slurm={
        "options": ["--cpus-per-task={cpus}"]})]}, "ghost",
        "slurm.options[0]", "{cpus}")
    refused({"kinds": [slurm_kind("named", slurm={
        "options": ["--job-name=mine"]})]}, "named", "slurm.options[0]",
        "--job-name")


def test_slurm_missing_sbatch_is_one_warning_naming_the_kinds():
    kinds = {"kinds": [
        slurm_kind("first", env={"PATH": "/nonexistent"}),
        slurm_kind("second", env={"PATH": "/nonexistent"}),
        slurm_kind("found", command=["/opt/cluster/bin/simulate"]),
    ]}
    with Server(kinds=kinds) as srv:
        text = "".join(srv.stderr)
        lines = [ln for ln in srv.stderr if "sbatch" in ln]
        assert len(lines) == 1, text
        assert "warning" in lines[0] and srv.kinds_path in lines[0], text
        assert "\"first\", \"second\"" in lines[0], text
        assert "found" not in lines[0], text
        # A Slurm kind's program lives on the compute nodes: no warning
        # that this machine lacks it.
        assert "simulate" not in text, text


def test_slurm_job_reports_progress_and_succeeds(srv):
    t = srv.create("steps", {"n": 4})
    tid = t["id"]
    seen = []

    def progressed():
        task = srv.task(tid)
        if task["progress"]["value"] not in seen:
            seen.append(task["progress"]["value"])
        return task["state"] not in ("queued", "running") and task
    end = wait_for(progressed, 30, what="task %d to end" % tid)
    assert end["state"] == "succeeded", end
    assert end["progress"]["value"] == 4 and end["progress"]["total"] == 4, \
        end
    job = end["slurm"]["job_id"]
    assert isinstance(job, int) and job > 0, end
    # The job carries the task's id in its name.
    out = cluster().run("scontrol", "-o", "show", "job", str(job))
    assert "JobName=hourglass-%d " % tid in out, out
    # An option's placeholder took the parameter's value.
    assert "Comment=steps-4 " in out, out


def test_slurm_job_run_whole_between_two_polls_keeps_its_progress(srv):
    t = srv.create("held")
    tid = t["id"]
    pending = srv.wait_task(tid, lambda x: "slurm" in x and
                            x["slurm"]["reason"] == "BeginTime", 30)
    job = pending["slurm"]["job_id"]
    runner = db_rows(srv, "SELECT runner_pid FROM tasks WHERE id = ?",
                     (tid,))[0][0]
    # The runner sleeps while the job runs from start to end: its next
    # poll finds the job gone, never having seen it run.
    os.kill(runner, signal.SIGSTOP)
    try:
        cluster().run("scontrol", "update", "JobId=%d" % job,
                      "StartTime=now")
        wait_gone(cluster(), job)
    finally:
        os.kill(runner, signal.SIGCONT)
    end = srv.wait_finished(tid, 30)
    assert end["state"] == "succeeded", end
    assert end["progress"]["value"] == 4 and end["progress"]["total"] == 4, \
        end
    assert end["started_at"] is not None, end
    # The task says how Slurm ended the job, not what it last saw.
    assert end["slurm"]["state"] == "COMPLETED", end
    assert end["slurm"]["reason"] is None, end


def test_slurm_runner_killed_right_after_sbatch_leaves_one_job(srv):
    t = srv.create("orphan")
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "succeeded", end
    assert end["progress"]["value"] == 2, end
    # The first runner died with the job submitted and unrecorded; the
    # next one found that job and followed it.
    with open(KILLED) as f:
        first = int(f.read().split(";")[0])
    assert end["slurm"]["job_id"] == first, end
    script = os.path.join(srv.data, "tasks", str(t["id"]), "slurm-1.sh")
    jobs = [ln for ln in cluster().run("scontrol", "-o", "show",
                                       "job").splitlines()
            if "Command=%s " % script in ln]
    assert len(jobs) == 1, jobs


def test_slurm_job_of_an_older_runner_is_read_from_its_own_file(srv):
    # An upgrade while a job runs: the job goes on writing slurm.out,
    # and the runner that follows it reads that, not slurm-1.out.
    t = srv.create("older")
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "succeeded", end
    with open(OLD_KILLED) as f:
        assert end["slurm"]["job_id"] == int(f.read().split(";")[0]), end
    folder = os.path.join(srv.data, "tasks", str(t["id"]))
    assert os.path.exists(os.path.join(folder, "slurm.out"))
    assert not os.path.exists(os.path.join(folder, "slurm-1.out"))
    assert end["progress"]["value"] == 2, end
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    assert "arg=[older] count=3" in log, log


def test_slurm_stop_while_the_runner_is_dead_reaches_the_job(srv):
    t = srv.create("long")
    running = srv.wait_task(t["id"], lambda x: x["state"] == "running" and
                            x["progress"]["value"] == 1, 30)
    runner = db_rows(srv, "SELECT runner_pid FROM tasks WHERE id = ?",
                     (t["id"],))[0][0]
    kill_pids([runner])
    # Nobody follows the job while the stop is asked: the runner sent
    # for it next finds the stop and sends TERM first, as always.
    srv.stop_task(t["id"])
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "canceled", end
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    assert "got TERM" in log, log
    wait_gone(cluster(), running["slurm"]["job_id"])


def test_slurm_parameter_with_shell_metacharacters_is_one_argument(srv):
    text = "a b'$(touch /tmp/x)\";`id`|&>c\\ *"
    t = srv.create("steps", {"n": 1, "text": text})
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "succeeded", end
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    assert "arg=[%s] count=3" % text in log, log


def test_slurm_exit_code_fails_the_task(srv):
    t = srv.create("steps", {"n": 1, "code": 7})
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "failed", end
    assert end["exit_code"] == 7 and end["error"]["code"] == "exit_code", end


def test_slurm_progress_is_live_while_the_job_runs(srv):
    gate = os.path.join(srv.data, "gate-open")
    t = srv.create("gate", {"path": gate})
    running = srv.wait_task(t["id"], lambda x: x["state"] == "running"
                            and x["progress"]["value"] == 1, 30)
    assert running["progress"]["message"] == "waiting", running
    assert running["slurm"]["state"] == "RUNNING", running
    open(gate, "w").close()
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "succeeded", end
    assert end["progress"]["value"] == 2, end


def test_slurm_pending_job_is_queued_with_its_reason_then_stops(srv):
    t = srv.create("later")
    pending = srv.wait_task(t["id"], lambda x: "slurm" in x and
                            x["slurm"]["reason"] is not None, 30)
    assert pending["state"] == "queued", pending
    job = pending["slurm"]["job_id"]
    assert pending["slurm"]["state"] == "PENDING", pending
    assert pending["slurm"]["reason"] == "BeginTime", pending
    # max_running 1: a second task of the kind waits without a job.
    t2 = srv.create("later")
    srv.stop_task(t["id"])
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "canceled", end
    # The job's fate, not the state it had when the stop came, from the
    # end on (the end's own state event says so too).
    assert end["slurm"]["state"] == "CANCELLED", end
    assert end["slurm"]["reason"] is None, end
    last = [e for e in srv.replay(t["id"], timeout=10) if e.type == "state"]
    assert last[-1].json["slurm"]["state"] == "CANCELLED", last[-1].json
    wait_gone(cluster(), job)
    # The slot it held is free: the second one gets its job.
    second = srv.wait_task(t2["id"], lambda x: "slurm" in x, 30)
    assert second["slurm"]["job_id"] != job, second
    srv.stop_task(t2["id"])
    srv.wait_finished(t2["id"], 30)
    wait_gone(cluster(), second["slurm"]["job_id"])


def test_slurm_tasks_hold_no_max_running_slot(srv):
    # HOURGLASS_MAX_RUNNING is 1 here, and a local task holds it.
    local = srv.create("count", {"total": 1000, "delay_ms": 100})
    srv.wait_state(local["id"], ["running"])
    t = srv.create("steps", {"n": 1})
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "succeeded", end
    assert srv.task(local["id"])["state"] == "running"
    srv.stop_task(local["id"])
    srv.wait_finished(local["id"])


def test_slurm_stop_of_a_running_job_sends_term_first(srv):
    t = srv.create("long")
    srv.wait_task(t["id"], lambda x: x["state"] == "running" and
                  x["progress"]["value"] == 1, 30)
    srv.stop_task(t["id"])
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "canceled", end
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    assert "got TERM" in log, log
    wait_gone(cluster(), end["slurm"]["job_id"])


def test_slurm_timeout_fails_the_task(srv):
    t = srv.create("short")
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "failed", end
    assert end["error"]["code"] == "timeout", end
    # Stopping through the grace, as a command task is at its timeout.
    states = [e.json["state"] for e in srv.replay(t["id"])
              if e.type == "state"]
    assert states[-2:] == ["stopping", "failed"], states
    wait_gone(cluster(), end["slurm"]["job_id"])


def test_slurm_job_cancelled_by_someone_else_fails(srv):
    t = srv.create("long")
    running = srv.wait_task(t["id"], lambda x: x["state"] == "running", 30)
    cluster().run("scancel", str(running["slurm"]["job_id"]))
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "failed", end
    assert end["error"]["code"] == "slurm", end
    assert "CANCELLED" in end["error"]["message"], end


def pull_the_plug(srv):
    """SIGKILL to nginx, hourglass-fcgi and every runner of srv, never
    to Slurm (the job's processes are not the data folder's)."""
    kill_pids(owned_pids(srv.data))
    wait_for(lambda: not owned_pids(srv.data), 10,
             what="every Hourglass process to die")
    srv.proc.wait(10)
    srv.proc = None


def test_slurm_job_goes_on_after_every_hourglass_process_is_killed():
    gates = tempfile.mkdtemp(prefix="hourglass-gates-")
    a, b = os.path.join(gates, "a"), os.path.join(gates, "b")
    first = Server(kinds=KINDS, env=SERVER_ENV()).start()
    try:
        t = first.create("twogates", {"a": a, "b": b})
        tid = t["id"]
        running = first.wait_task(tid, lambda x: x["state"] == "running"
                                  and x["progress"]["value"] == 1, 30)
        job = running["slurm"]["job_id"]
        pull_the_plug(first)
        # The job goes on while nobody follows it.
        open(a, "w").close()
        out = os.path.join(first.data, "tasks", str(tid), "slurm-1.out")

        def printed():
            with open(out) as f:
                return "PROGRESS 4/5 down" in f.read()
        wait_for(printed, 20, what="job %d to go on alone" % job)
        with Server(kinds=KINDS, data=first.data,
                    env=SERVER_ENV()) as again:
            again.wait_task(tid, lambda x: x["progress"]["value"] == 4, 30)
            open(b, "w").close()
            end = again.wait_finished(tid, 30)
            assert end["state"] == "succeeded", end
            assert end["slurm"]["job_id"] == job, end
            values = [e.json["value"] for e in again.replay(tid)
                      if e.type == "progress"]
            for v in (1, 2, 3, 4, 5):
                assert v in values, values
            log = again.get("/api/tasks/%d/log" % tid).body.decode()
            # Each line once: read on from where the dead runner was.
            for i in (2, 3, 4):
                assert log.count("line %d" % i) == 1, log
    finally:
        first.close()
        for p in (a, b):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(gates)


def test_slurm_job_that_sbatch_refuses_fails_with_its_reason(srv):
    t = srv.create("nowhere")
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "failed", end
    assert end["error"]["code"] == "exec_failed", end
    assert "sbatch" in end["error"]["message"], end
    assert "partition" in end["error"]["message"].lower(), end
    assert "slurm" not in end, end


def test_slurm_unreachable_controller_is_waited_for_not_failed(srv):
    # sbatch cannot reach slurmctld twice: the task waits queued and is
    # submitted on the third try (after 1 s, then 2 s), not failed.
    if os.path.exists(DOWN_COUNT):
        os.unlink(DOWN_COUNT)
    t = srv.create("down")
    end = srv.wait_finished(t["id"], 30)
    assert end["state"] == "succeeded", end
    assert end["progress"]["value"] == 2, end
    with open(DOWN_COUNT) as f:
        assert f.read().strip() == "3"
    with open(os.path.join(srv.data, "runner.log")) as f:
        said = [ln for ln in f if "task %d]" % t["id"] in ln and
                "could not reach slurmctld" in ln]
    assert len(said) == 2, said
    assert "trying again in 1 s" in said[0], said
    assert "trying again in 2 s" in said[1], said


def test_slurm_task_waiting_for_the_controller_stops(srv):
    if os.path.exists(DOWN_COUNT):
        os.unlink(DOWN_COUNT)
    with open(DOWN_ALWAYS, "w"):
        pass
    try:
        t = srv.create("down")
        wait_for(lambda: os.path.exists(DOWN_COUNT) and
                 open(DOWN_COUNT).read().strip() not in ("", "0"), 20,
                 what="a first sbatch")
        assert srv.task(t["id"])["state"] == "queued"
        srv.stop_task(t["id"])
        end = srv.wait_finished(t["id"], 10)
        assert end["state"] == "canceled", end
        assert end["error"] is None, end
        # Its runner gives up the wait: no sbatch after the stop (the
        # next try was due within 2 s of the first or second).
        with open(DOWN_COUNT) as f:
            tries = f.read().strip()
        time.sleep(2.5)
        with open(DOWN_COUNT) as f:
            assert f.read().strip() == tries
    finally:
        os.unlink(DOWN_ALWAYS)
        if os.path.exists(DOWN_COUNT):
            os.unlink(DOWN_COUNT)


def test_slurm_no_sbatch_again_while_squeue_cannot_tell_of_the_last(srv):
    # An sbatch that heard nothing back may have made its job all the
    # same: the next goes only once squeue says there is none.
    for f in (DOWN_COUNT,):
        if os.path.exists(f):
            os.unlink(f)
    for f in (DOWN_ALWAYS, SQUEUE_DOWN):
        with open(f, "w"):
            pass
    try:
        t = srv.create("down")
        wait_for(lambda: os.path.exists(DOWN_COUNT) and
                 open(DOWN_COUNT).read().strip() == "1", 20,
                 what="a first sbatch")
        time.sleep(4)       # tries after 1 s and 2 s more
        with open(DOWN_COUNT) as f:
            assert f.read().strip() == "1"
        with open(os.path.join(srv.data, "runner.log")) as f:
            said = [ln for ln in f if "task %d]" % t["id"] in ln]
        assert any("squeue could not say whether the last sbatch made "
                   "a job" in ln for ln in said), said
        assert srv.task(t["id"])["state"] == "queued"
        srv.stop_task(t["id"])
        assert srv.wait_finished(t["id"], 10)["state"] == "canceled"
    finally:
        for f in (DOWN_ALWAYS, SQUEUE_DOWN, DOWN_COUNT):
            if os.path.exists(f):
                os.unlink(f)


def test_slurm_task_is_lost_only_when_slurm_no_longer_knows_its_job():
    first = Server(kinds=KINDS, env=SERVER_ENV()).start()
    try:
        t = first.create("later")
        tid = t["id"]
        pending = first.wait_task(tid, lambda x: "slurm" in x, 30)
        job = pending["slurm"]["job_id"]
        pull_the_plug(first)
        # While Hourglass is down, Slurm loses the job (its state gone,
        # as after a slurmctld that lost StateSaveLocation): the task's
        # record names a job Slurm never had.
        cluster().run("scancel", str(job))
        db = sqlite3.connect(os.path.join(first.data, "hourglass.db"),
                             timeout=10)
        try:
            with db:
                db.execute("UPDATE tasks SET slurm_job = ?1 WHERE id = ?2",
                           (job + 1000000, tid))
        finally:
            db.close()
        with Server(kinds=KINDS, data=first.data,
                    env=SERVER_ENV()) as again:
            end = again.wait_finished(tid, 30)
            assert end["state"] == "lost", end
            assert end["error"]["code"] == "lost", end
            # Said by the runner that followed the job, not by the check
            # that found the first runner dead.
            assert "Slurm no longer knows job %d" % (job + 1000000) in \
                end["error"]["message"], end
    finally:
        first.close()


def test_slurm_retry_submits_a_new_job(srv):
    marker = os.path.join(srv.data, "flaky-marker")
    t = srv.create("flaky", {"marker": marker})
    first = srv.wait_task(t["id"], lambda x: x["state"] == "retrying", 30)
    assert first["error"]["code"] == "exit_code", first
    jobs = []

    def second_job():
        x = srv.task(t["id"])
        if "slurm" in x and x["attempt"] == 2:
            jobs.append(x["slurm"]["job_id"])
        return x["state"] not in ("queued", "running", "retrying") and x
    end = wait_for(second_job, 30, what="task %d's second attempt" %
                   t["id"])
    assert end["state"] == "succeeded" and end["attempt"] == 2, end
    assert jobs and end["slurm"]["job_id"] == jobs[-1], (jobs, end)
    # Each attempt is a job of its own: Slurm ran two.
    out = cluster().run("squeue", "-h", "--states=all", "-n",
                        "hourglass-%d" % t["id"], "-o", "%i %T")
    states = sorted(line.split()[1] for line in out.splitlines())
    assert states == ["COMPLETED", "FAILED"], out
    # Each read its own output: the second attempt's runner did not take
    # the first's for its own.
    log = srv.get("/api/tasks/%d/log" % t["id"]).body.decode()
    assert log == "first\n[hourglass: attempt 2 of 2]\nsecond\n", log
    assert end["progress"]["value"] == 2, end
