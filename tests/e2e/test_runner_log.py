"""runner.log, the runners' own diagnostics, stays bounded: past
HOURGLASS_RUNNER_LOG_MAX bytes it becomes runner.log.1 (one old file is
kept), and the newest diagnostics are in runner.log."""

import os
import shutil

from harness import Server

CAP = 4096
KINDS = {"kinds": [{"name": "echo", "command": ["echo", "{text}"],
                    "params": {"text": {"type": "string"}}}]}


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def test_runner_log_is_rotated_at_its_cap_and_keeps_the_newest():
    with Server(kinds=KINDS,
                env={"HOURGLASS_RUNNER_LOG_MAX": str(CAP)}) as srv:
        # A log folder that is not one: each task's runner says, once,
        # that it cannot open the task's log (about 90 bytes), and the
        # task still succeeds.
        logs = os.path.join(srv.data, "logs")
        shutil.rmtree(logs)
        open(logs, "w").close()
        ids = [srv.create("echo", {"text": "hi"})["id"] for _ in range(120)]
        for tid in ids:
            assert srv.wait_finished(tid)["state"] == "succeeded"
        # The newest, after all the others have ended.
        last = srv.create("echo", {"text": "hi"})["id"]
        assert srv.wait_finished(last)["state"] == "succeeded"

        log = _read(os.path.join(srv.data, "runner.log"))
        old = _read(os.path.join(srv.data, "runner.log.1"))
        assert log is not None and old is not None, (
            len(log or b""), old is None)
        assert 0 < len(log) <= CAP, len(log)
        assert 0 < len(old) <= CAP, len(old)
        assert not os.path.exists(os.path.join(srv.data, "runner.log.2"))
        assert b"[task %d]: " % last in log, log[-300:]
        assert b"logs/%d.log" % last in log, log[-300:]
        # Whole lines on both sides of the turn.
        for text in (log, old):
            assert text.endswith(b"\n"), text[-100:]
            for line in text.splitlines():
                assert line.startswith(b"hourglass-runner"), line
