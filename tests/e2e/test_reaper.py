"""A runner killed outright (SIGKILL) leaves no command running: the
server ends what is left of the runner's session, the command and every
process it started there, whatever its process group (SIGTERM, then
SIGKILL after grace_s), and only then ends the task lost; a session that
is no longer the runner's is never signalled, nor is a process that left
for a session of its own; and with no server running, the kernel tells
the command (SIGTERM) that its runner died, and the next server ends what
the command left."""

import os
import signal
import sqlite3
import subprocess
import time

from harness import STOP_TIMEOUT, Scripts, Server, pid_alive, wait_for

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "kills runners and waits for the janitor in real time"

SCRIPTS = Scripts("hourglass-reaper-")
script = SCRIPTS.write


# Every script's stdout and stderr are /dev/null: with its runner gone, a
# write to the pipes (a shell's "Terminated") would end it by SIGPIPE
# before its trap.
QUIET = "exec >/dev/null 2>&1\n"


def with_child(trap, marker, then):
    """A script that traps SIGTERM (trap), starts a child that writes
    marker on SIGTERM and ends, waits until the child has set its trap,
    notes both pids in its folder, then runs then."""
    return QUIET + """trap '%s' TERM
sh -c 'trap "echo child >> %s; exit 0" TERM
	: > child
	while :; do sleep 0.2; done' &
child=$!
while [ ! -e child ]; do sleep 0.05; done
echo "$$ $child" > pids.tmp && mv pids.tmp pids
%s
""" % (trap, marker, then)


# Starts a child of its own; each writes down a SIGTERM. The script's
# first (the kernel's, as its runner dies) leaves the child running: only
# a signal to the whole group (the server's) reaches the child.
PARENT = script("parent.sh", with_child(
    "echo parent >> term", "term",
    "while kill -0 $child 2>/dev/null; do sleep 0.2; done"))

# Ignores SIGTERM, and so does its child: only SIGKILL ends them.
DEAF = script("deaf.sh", QUIET + """trap '' TERM
sleep 300 &
echo "$$ $!" > pids.tmp && mv pids.tmp pids
wait
""")

# Ends on SIGTERM, writing it down first.
POLITE = script("polite.sh", QUIET + """trap 'echo term > term; exit 0' TERM
echo "$$" > pids.tmp && mv pids.tmp pids
while :; do sleep 0.2; done
""")

# Ends on SIGTERM, writing it down, and leaves a child behind in its
# group that ends on SIGTERM too.
LEAVER = script("leaver.sh", with_child(
    "echo term > term; exit 0", "child-term",
    "while :; do sleep 0.2; done"))

# Starts two children that note a SIGTERM: one in a process group of its
# own (in the runner's session still), one in a session of its own.
SCATTER = script("scatter.sh", QUIET + """trap 'exit 0' TERM
python3 -c '%s' group &
python3 -c '%s' session &
while [ ! -e group ] || [ ! -e session ]; do sleep 0.05; done
echo "$$ $(cat group) $(cat session)" > pids.tmp && mv pids.tmp pids
while :; do sleep 0.2; done
""" % (('''import os, signal, sys, time
which = sys.argv[1]
if which == "group":
    os.setpgid(0, 0)
else:
    os.setsid()
def term(*_):
    with open(which + "-term", "w") as f:
        f.write("term")
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
with open(which + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(which + ".tmp", which)
while True:
    time.sleep(0.2)
''',) * 2))

GRACE_S = 1

KINDS = {"kinds": [
    {"name": "parent", "description": "parent", "command": [PARENT],
     "grace_s": GRACE_S},
    {"name": "deaf", "description": "deaf", "command": [DEAF],
     "grace_s": GRACE_S},
    {"name": "polite", "description": "polite", "command": [POLITE]},
    {"name": "leaver", "description": "leaver", "command": [LEAVER]},
    {"name": "scatter", "description": "scatter", "command": [SCATTER]},
]}

# The SPEC's bound for noticing a dead runner, and room for a loaded
# machine (the e2e suite runs under sanitizers too).
NOTICE_S = 5
SLACK_S = 3


def db(srv):
    return sqlite3.connect(os.path.join(srv.data, "hourglass.db"),
                           timeout=10)


def row(srv, tid, cols):
    con = db(srv)
    try:
        return con.execute("SELECT %s FROM tasks WHERE id = ?" % cols,
                           (tid,)).fetchone()
    finally:
        con.close()


def folder(srv, tid):
    return os.path.join(srv.data, "tasks", str(tid))


def started(srv, kind):
    """Creates a task of kind and waits until its command has noted its
    pids. Returns the task id, the runner's pid and the pids the command
    noted."""
    tid = srv.create(kind)["id"]
    path = os.path.join(folder(srv, tid), "pids")
    wait_for(lambda: os.path.exists(path), 10, what="the command's pids")
    with open(path) as f:
        pids = [int(p) for p in f.read().split()]
    runner = row(srv, tid, "runner_pid")[0]
    assert pid_alive(runner), runner
    assert all(pid_alive(p) for p in pids), pids
    return tid, runner, pids


def ended_after(srv, tid, pids, timeout):
    """Polls until the task is finished, checking each time that none of
    pids was alive when the task was seen finished. Returns the task and
    the monotonic time pids were first seen gone."""
    gone_at = None
    deadline = time.monotonic() + timeout
    while True:
        t = srv.task(tid)
        alive = [p for p in pids if pid_alive(p)]
        if alive:
            assert t["state"] in ("running", "stopping"), \
                "task ended %s while %s still ran" % (t["state"], alive)
        elif gone_at is None:
            gone_at = time.monotonic()
        if t["state"] not in ("running", "stopping"):
            return t, gone_at
        assert time.monotonic() < deadline, \
            "task %d still %s; alive: %s" % (tid, t["state"], alive)
        time.sleep(0.03)


def test_killed_runner_has_its_command_group_ended_before_lost(srv):
    tid, runner, pids = started(srv, "parent")
    os.kill(runner, signal.SIGKILL)
    t, _ = ended_after(srv, tid, pids, NOTICE_S + GRACE_S + SLACK_S)
    assert t["state"] == "lost" and t["error"]["code"] == "lost", t
    # The script and the child it started are gone, and SIGTERM came
    # first: the script's, and the group's to the child.
    with open(os.path.join(folder(srv, tid), "term")) as f:
        terms = f.read().split()
    assert "parent" in terms and "child" in terms, terms


def test_command_deaf_to_sigterm_is_killed_after_grace_then_lost(srv):
    tid, runner, pids = started(srv, "deaf")
    killed = time.monotonic()
    os.kill(runner, signal.SIGKILL)
    t, gone_at = ended_after(srv, tid, pids, NOTICE_S + GRACE_S + SLACK_S)
    assert t["state"] == "lost", t
    assert gone_at - killed >= GRACE_S, \
        "gone %.2f s after the runner, before grace_s" % (gone_at - killed)


def decoy(marker, leader_stays):
    """A session of the test's own, whose members write marker on
    SIGTERM. Returns (its id, its processes): its leader, or, with the
    leader gone, a member."""
    loop = "trap 'echo term > %s; exit 0' TERM; while :; do sleep 0.2; " \
        "done" % marker
    if leader_stays:
        p = subprocess.Popen(["sh", "-c", loop], start_new_session=True)
        return p.pid, [p]
    # The leader starts a member and leaves (reaped here, so no zombie
    # holds its pid); the member stays in the session.
    p = subprocess.Popen(["sh", "-c", "(%s) & echo $!" % loop],
                         start_new_session=True, stdout=subprocess.PIPE)
    member = int(p.stdout.readline())
    p.wait()
    p.stdout.close()
    return p.pid, [member]


def proc_start(pid):
    with open("/proc/%d/stat" % pid, "rb") as f:
        stat = f.read()
    return int(stat[stat.rindex(b")") + 2:].split()[19])


def test_session_that_is_no_longer_the_runners_is_never_signalled(srv):
    # Two tasks whose rows name a runner of the test's own making instead
    # of their own: a session leader that is there with another start
    # time (a reused pid), and a session whose leader is gone and whose
    # member is older than the runner the row names. Neither session may
    # be signalled, and both tasks end lost at once.
    markers = [os.path.join(SCRIPTS.dir, "decoy%d" % i) for i in range(2)]
    decoys = [decoy(markers[0], True), decoy(markers[1], False)]
    try:
        ids, runners = [], []
        for sid, procs in decoys:
            tid, runner, _ = started(srv, "polite")
            oldest = procs[0] if isinstance(procs[0], int) else sid
            con = db(srv)
            try:
                with con:
                    con.execute("UPDATE tasks SET runner_pid = ?, "
                                "runner_start = ? WHERE id = ?",
                                (sid, proc_start(oldest) + 1, tid))
            finally:
                con.close()
            ids.append(tid)
            runners.append(runner)
        for r in runners:
            os.kill(r, signal.SIGKILL)
        for tid in ids:
            t = srv.wait_state(tid, "lost", timeout=NOTICE_S + SLACK_S)
            assert t["error"]["code"] == "lost", t
        for (sid, procs), marker in zip(decoys, markers):
            assert not os.path.exists(marker), "session %d signalled" % sid
            for p in procs:
                pid = p if isinstance(p, int) else p.pid
                assert pid_alive(pid), "session %d: %d ended" % (sid, pid)
    finally:
        for sid, procs in decoys:
            for p in procs:
                pid = p if isinstance(p, int) else p.pid
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                if not isinstance(p, int):
                    p.wait()


def test_what_the_command_started_in_groups_of_its_own_is_ended(srv):
    # The command's child in a process group of its own is still in the
    # runner's session, and is ended with it; the one that left for a
    # session of its own is not the runner's, and is never signalled.
    tid, runner, pids = started(srv, "scatter")
    command, group, session = pids
    try:
        os.kill(runner, signal.SIGKILL)
        t, _ = ended_after(srv, tid, [command, group],
                           NOTICE_S + GRACE_S + SLACK_S)
        assert t["state"] == "lost", t
        d = folder(srv, tid)
        assert os.path.exists(os.path.join(d, "group-term")), \
            "the child in a group of its own ended without a SIGTERM"
        assert pid_alive(session), "the child in a session of its own ended"
        assert not os.path.exists(os.path.join(d, "session-term")), \
            "the child in a session of its own was signalled"
    finally:
        for p in (group, session):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_command_is_told_when_its_runner_dies_with_no_server():
    # With no server, the kernel tells the command (SIGTERM) as its
    # runner dies; the child it left is ended by the next server, in
    # the group, before the task ends lost.
    srv = Server(kinds=KINDS).start()
    try:
        tid, runner, pids = started(srv, "leaver")
        # scripts/serve, and with it hourglass-fcgi's janitor, ends; the
        # runner and its command go on.
        proc, srv.proc = srv.proc, None
        proc.send_signal(signal.SIGTERM)
        proc.wait(STOP_TIMEOUT)
        assert pid_alive(runner) and all(pid_alive(p) for p in pids)
        os.kill(runner, signal.SIGKILL)
        wait_for(lambda: not pid_alive(pids[0]), NOTICE_S,
                 what="the command to end with its runner")
        assert os.path.exists(os.path.join(folder(srv, tid), "term")), \
            "the command ended without a SIGTERM"
        assert pid_alive(pids[1]), "its child ended with it"
        srv.start()
        t, _ = ended_after(srv, tid, pids[1:], NOTICE_S + SLACK_S)
        assert t["state"] == "lost", t
        assert os.path.exists(os.path.join(folder(srv, tid),
                                           "child-term")), \
            "the child ended without a SIGTERM"
    finally:
        srv.close()
