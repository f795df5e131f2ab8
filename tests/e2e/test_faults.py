"""A runner under strain, end to end: a command that prints many log lines
between its progress lines still gets about 20 progress events a second;
output that cannot be written (a full disk, a lock held) waits and none
of it is lost; and a task that ends while the database's disk is full is
recorded once there is room again, not left to end lost, and says so on
the server's stderr, which the full disk cannot swallow."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time

from harness import (Scripts, Server, Skip, db_rows, empty_wal, pid_alive,
                     wait_for)

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "fills and frees a tmpfs, and a chatty command"

script = Scripts("hourglass-faults-").write


# 1000 progress lines, 50 log lines before each, for about 2 s: 50,000
# lines fill a log batch (HG_RUNNER_LOG_BATCH) about 100 times.
CHATTY = script("chatty.sh", """p=0
while [ $p -lt 1000 ]; do
	i=0
	while [ $i -lt 50 ]; do
		echo "line $p.$i"
		i=$((i + 1))
	done
	p=$((p + 1))
	echo "PROGRESS $p/1000"
	[ $((p % 50)) -eq 0 ] && sleep 0.1
done
exit 0
""")

# Sleeps long enough for a test to fill the disk, then ends well.
NAPPER = script("napper.sh", "echo 'PROGRESS 1/2 napping'\nsleep 2\n"
                "echo 'PROGRESS 2/2 done'\n")

# A log line and a data item, 20,000 of each, in bursts: about 4 s of
# output, long enough to fill the disk in the middle of it.
TALKER = script("talker.sh", """i=0
while [ $i -lt 20000 ]; do
	echo "line $i"
	echo "{\\"name\\": \\"row\\", \\"data\\": $i}"
	i=$((i + 1))
	[ $((i % 1000)) -eq 0 ] && sleep 0.2
done
exit 0
""")

# A second's pause, then 3,000 lines at once (they fit in its pipe), and
# the end.
BURST = script("burst.sh", """sleep 1
i=0
while [ $i -lt 3000 ]; do
	echo "line $i"
	i=$((i + 1))
done
exit 0
""")

KINDS = {"kinds": [
    {"name": "chatty", "description": "chatty", "command": [CHATTY]},
    {"name": "burst", "description": "burst", "command": [BURST]},
    {"name": "napper", "description": "napper", "command": [NAPPER]},
    {"name": "talker", "description": "talker", "command": [TALKER]},
]}

# Progress events in any one second: 20 at one per HG_PROGRESS_MS, and
# a little room for the last one, written with the end.
RATE_MAX = 25


def test_progress_rate_with_many_log_lines(srv):
    t = srv.create("chatty")
    t = srv.wait_finished(t["id"], timeout=40)
    assert t["state"] == "succeeded", t
    assert t["progress"]["value"] == 1000, t
    rows = db_rows(srv, "SELECT id, at FROM events WHERE task_id = ? AND "
                   "type = 'progress' ORDER BY id", (t["id"],))
    assert rows, "no progress event"
    at = [r[1] for r in rows]
    worst = max(sum(1 for b in at[i:] if b - a < 1000)
                for i, a in enumerate(at))
    assert worst <= RATE_MAX, \
        "%d progress events in one second (of %d in %d ms)" % (
            worst, len(at), at[-1] - at[0])
    # The stream says the same, the last progress before the end.
    events = srv.replay(t["id"], timeout=40)
    prog = [i for i, e in enumerate(events) if e.type == "progress"]
    assert len(prog) == len(rows), (len(prog), len(rows))
    last = events[prog[-1]].json
    assert last["value"] == t["progress"]["value"] == 1000, last
    states = [i for i, e in enumerate(events) if e.type == "state"]
    assert events[states[-1]].json["state"] == "succeeded"
    assert prog[-1] < states[-1], "the last progress came after the end"


def mount_tmpfs(size_mb):
    """A tmpfs of size_mb MiB on a new folder; Skip if mounting is not
    permitted here."""
    d = tempfile.mkdtemp(prefix="hourglass-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % size_mb,
                        "tmpfs", d], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(d)
        raise Skip("cannot mount a tmpfs to fill (%s)" % (
            r.stderr.strip() or "mount exited %d" % r.returncode))
    return d


@contextlib.contextmanager
def server_on_tmpfs(size_mb=32):
    """A server whose data folder is a tmpfs of its own, to fill: (the
    server, the folder). Stopped, unmounted and removed after."""
    d = mount_tmpfs(size_mb)
    srv = None
    try:
        srv = Server(kinds=KINDS, data=d)
        srv.start()
        yield srv, d
        srv.stop()
    finally:
        if srv is not None:
            srv.close()
        subprocess.run(["umount", "-l", d])
        os.rmdir(d)


def fill(path):
    """Writes zeros to path until the disk is full."""
    r = subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=64k"],
                       capture_output=True, text=True)
    assert "No space left" in r.stderr, r.stderr


def assert_talked_whole(srv, tid, n=20000):
    """talker's task ended well, with each of its lines and items once,
    in order: in the events and in the log file."""
    t = srv.wait_finished(tid, timeout=60)
    assert t["state"] == "succeeded" and t["exit_code"] == 0, t
    rows = db_rows(srv, "SELECT type, data FROM events WHERE task_id = ? "
                   "AND type IN ('log', 'data') ORDER BY id", (tid,))
    lines = [json.loads(r[1])["line"] for r in rows if r[0] == "log"]
    items = [json.loads(r[1])["data"] for r in rows if r[0] == "data"]
    assert lines == ["line %d" % i for i in range(n)], (
        "%d of %d log events" % (len(lines), n))
    assert items == list(range(n)), "%d of %d data items" % (len(items), n)
    log = srv.get("/api/tasks/%d/log" % tid).body.decode()
    assert log == "".join("line %d\n" % i for i in range(n)), (
        "%d lines in the log file, for %d" % (log.count("\n"), n))


def test_output_while_the_database_is_locked_waits_and_none_is_lost(srv):
    # Another process holds the write lock past the busy timeout (5 s):
    # the batch is in the log file already, and goes to the database
    # once it can, neither lost nor written to the file twice.
    tid = srv.create("talker")["id"]
    wait_for(lambda: db_rows(srv, "SELECT count(*) FROM events WHERE "
                             "task_id = ? AND type = 'data'", (tid,))[0][0]
             > 0, 10, what="the first items")
    hold_write_lock(srv, 7)
    assert_talked_whole(srv, tid)


def hold_write_lock(srv, seconds):
    """Holds the database's write lock, as another process would."""
    db = sqlite3.connect(os.path.join(srv.data, "hourglass.db"),
                         isolation_level=None, timeout=10)
    try:
        db.execute("BEGIN IMMEDIATE")
        time.sleep(seconds)
        db.execute("ROLLBACK")
    finally:
        db.close()


def test_output_left_in_the_pipes_at_the_exit_waits_out_a_stall(srv):
    # The command prints and ends while the runner cannot write: what
    # is still in its pipes is read once it can, however long that took.
    tid = srv.create("burst")["id"]
    srv.wait_state(tid, "running")
    hold_write_lock(srv, 8)
    t = srv.wait_finished(tid, timeout=30)
    assert t["state"] == "succeeded", t
    log = srv.get("/api/tasks/%d/log" % tid).body.decode()
    assert log == "".join("line %d\n" % i for i in range(3000)), (
        "%d lines of 3000" % log.count("\n"))
    rows = db_rows(srv, "SELECT count(*) FROM events WHERE task_id = ? AND "
                   "type = 'log'", (tid,))
    assert rows[0][0] == 3000, rows


def test_output_while_the_disk_is_full_waits_and_none_is_lost():
    # The runner cannot write the lines and items it has read: it keeps
    # them, reads no more (the command waits on its pipe), and writes
    # them all once there is room, in order, in the file and the events.
    with server_on_tmpfs() as (srv, d):
        tid = srv.create("talker")["id"]
        wait_for(lambda: db_rows(srv, "SELECT count(*) FROM events WHERE "
                                 "task_id = ? AND type = 'data'",
                                 (tid,))[0][0] > 0, 10,
                 what="the first items")
        empty_wal(srv)
        filler = os.path.join(d, "filler")
        fill(filler)
        time.sleep(3)
        assert srv.task(tid)["state"] == "running"
        os.unlink(filler)
        assert_talked_whole(srv, tid)
        # runner.log was on the full disk: the server's stderr says what
        # it could not take; it took the line that says it is over.
        said = "task %d]: log" % tid
        wait_for(lambda: said in "".join(srv.stderr), 5,
                 what="%r on the server's stderr:\n%s" % (
                     said, "".join(srv.stderr)))
        assert "; kept, and written when it can be" in "".join(srv.stderr)
        with open(os.path.join(d, "runner.log")) as f:
            log = f.read()
        assert "task %d]: log, data and progress written again" % tid \
            in log, log


def test_end_is_recorded_once_a_full_disk_has_room():
    with server_on_tmpfs() as (srv, d):
        tid = srv.create("napper")["id"]
        srv.wait_task(tid, lambda t: t["progress"]["value"] == 1,
                      what="napping")
        # A log that once grew is written over in place after each
        # checkpoint, so a full disk bites only the write that needs a
        # new page: an emptied one makes the end's write need one.
        empty_wal(srv)
        filler = os.path.join(d, "filler")
        fill(filler)
        # The command ends meanwhile; its end cannot be written. A stop
        # signal to its runner does not make it give the end up.
        time.sleep(4)
        pid = db_rows(srv, "SELECT runner_pid FROM tasks WHERE id = ?",
                      (tid,))[0][0]
        os.kill(pid, signal.SIGTERM)
        time.sleep(3)
        assert pid_alive(pid), "the runner ended on SIGTERM"
        t = srv.task(tid)
        assert t["state"] == "running", t
        # The server is still there, the disk full or not.
        assert srv.get("/api/tasks").status == 200
        os.unlink(filler)
        t = srv.wait_finished(tid, timeout=20)
        assert t["state"] == "succeeded" and t["exit_code"] == 0, t
        assert t["progress"]["value"] == 2, t
        with open(os.path.join(d, "runner.log")) as f:
            log = f.read()
        assert log.count("task %d]: recorded the end" % tid) == 1, log
        # runner.log is on the full disk: the server's own stderr (what
        # `make run` shows, `docker logs` keeps) has both lines too.
        for line in ("task %d]: recording the end (succeeded)" % tid,
                     "task %d]: recorded the end (succeeded)" % tid):
            wait_for(lambda: line in "".join(srv.stderr), 5,
                     what="%r on the server's stderr:\n%s" % (
                         line, "".join(srv.stderr)))


def test_health_says_the_database_cannot_be_written_while_the_disk_is_full():
    # A read works on a full disk, so a ping alone answers "ok" while
    # every create fails: health tells what the last write met.
    with server_on_tmpfs() as (srv, d):
        assert srv.get("/api/health").status == 200
        empty_wal(srv)
        filler = os.path.join(d, "filler")
        fill(filler)
        # Names a page each, so that the log needs new ones soon.
        for i in range(100):
            r = srv.post("/api/tasks", {"kind": "napper",
                                        "name": "n%d-%s" % (i, "x" * 190)})
            if r.status != 201:
                break
        assert r.status == 503, r
        assert r.json["error"]["code"] == "unavailable", r
        h = srv.get("/api/health")
        assert h.status == 503, h
        assert h.json["error"]["code"] == "unavailable", h
        assert "cannot be written" in h.json["error"]["message"], h
        # SQLite says "disk I/O error" alone; the system's words say why.
        assert "No space left on device" in h.json["error"]["message"], h
        assert "No space left on device" in r.json["error"]["message"], r
        os.unlink(filler)
        srv.create("napper", name="after")
        h = srv.get("/api/health")
        assert h.status == 200 and h.json["status"] == "ok", h
