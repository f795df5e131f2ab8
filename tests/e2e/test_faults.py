"""A runner under strain, end to end: a command that prints many log lines
between its progress lines still gets about 20 progress events a second."""

import atexit
import os
import shutil
import sqlite3
import tempfile

SCRIPTS = tempfile.mkdtemp(prefix="hourglass-faults-")
atexit.register(shutil.rmtree, SCRIPTS, True)


def script(name, body):
    path = os.path.join(SCRIPTS, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


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

KINDS = {"kinds": [
    {"name": "chatty", "description": "chatty", "command": [CHATTY]},
]}

# Progress events in any one second: 20 at one per HG_PROGRESS_MS, and
# a little room for the last one, written with the end.
RATE_MAX = 25


def db_rows(srv, sql, args=()):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(
        srv.data, "hourglass.db"), uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


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
