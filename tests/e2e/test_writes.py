"""What a task costs the database, counted in commits to its write-ahead
log: a create, the runner's claim and the end, one commit each, for a
builtin and a command alike. Progress reported as the last step goes with
the end, in its commit, not in one of its own. Each commit is a lock
taken, pages written and readers' caches spoiled, so each one spared is a
task's worth of work."""

import json
import os
import struct
import time

from harness import REPO, db_rows, empty_wal

with open(os.path.join(REPO, "kinds.json")) as f:
    KINDS = json.load(f)
KINDS["kinds"].append({"name": "nothing", "description": "does nothing",
                       "command": ["true"]})


def commits(srv):
    """The commits in the log since it was emptied (the WAL format:
    a 32-byte header, then frames of a 24-byte header and a page; a
    frame whose second word is not 0 ends a commit)."""
    with open(os.path.join(srv.data, "hourglass.db-wal"), "rb") as f:
        log = f.read()
    if len(log) < 32:
        return 0
    page = struct.unpack(">I", log[8:12])[0]
    salts = log[16:24]
    n = 0
    for off in range(32, len(log) - 24 - page + 1, 24 + page):
        if log[off + 8:off + 16] != salts:
            break                   # left from before a restart of the log
        n += struct.unpack(">I", log[off + 4:off + 8])[0] != 0
    return n


def test_a_task_is_a_create_a_claim_and_an_end(srv):
    srv.wait_finished(srv.create("count", {"total": 1,
                                           "delay_ms": 0})["id"])
    time.sleep(0.3)                 # the runner is idle again
    empty_wal(srv)
    tid = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
    t = srv.wait_finished(tid)
    assert t["state"] == "succeeded", t
    assert t["progress"]["value"] == 1 and t["progress"]["total"] == 1, t
    # The last progress is recorded, just before the end.
    kinds = [k for k, in db_rows(
        srv, "SELECT type FROM events WHERE task_id = ? ORDER BY id",
        (tid,))]
    assert kinds[-2:] == ["progress", "state"], kinds
    assert commits(srv) == 3, commits(srv)


def test_a_command_task_is_a_create_a_claim_and_an_end(srv):
    # Its runner records nothing of the command's process between the
    # claim and the end: a dead runner's command is found by its session.
    srv.wait_finished(srv.create("nothing")["id"])
    time.sleep(0.3)
    empty_wal(srv)
    t = srv.wait_finished(srv.create("nothing")["id"])
    assert t["state"] == "succeeded" and t["exit_code"] == 0, t
    assert commits(srv) == 3, commits(srv)


def test_each_step_but_the_last_is_written_as_it_comes(srv):
    """A step that is not the last is written at once (the first), or
    within the progress interval: only the last waits for the end."""
    srv.wait_finished(srv.create("count", {"total": 1,
                                           "delay_ms": 0})["id"])
    time.sleep(0.3)
    empty_wal(srv)
    tid = srv.create("count", {"total": 2, "delay_ms": 400})["id"]
    t = srv.wait_task(tid, lambda t: t["progress"]["value"] == 1,
                      what="the first step")
    assert t["state"] == "running", t
    assert srv.wait_finished(tid)["progress"]["value"] == 2
    assert commits(srv) == 4, commits(srv)
