"""The runner host: runners are forked from it, not exec'd, while the
server runs; without it (gone, or its socket gone) they start by exec and
nothing is lost; it ends with the server, its runners do not."""

import ctypes
import os
import shutil
import signal
import sqlite3
import tempfile
import threading

from harness import (Server, all_pids, ppid, read_proc, host_pids,
                     kill_pids, owned_pids, pid_alive, runner_pids, wait_for)

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "kills and replaces runner hosts in real time"

COUNT = {"name": "count", "builtin": "count",
         "params": {"total": {"type": "integer", "min": 1, "default": 1},
                    "delay_ms": {"type": "integer", "min": 0,
                                 "default": 0}}}
KINDS = {"kinds": [COUNT, {"name": "echo", "command": ["echo", "{text}"],
                           "params": {"text": {"type": "string"}}}]}


def only_host(srv):
    wait_for(lambda: len(host_pids(srv.data)) == 1, 10,
             what="one runner host")
    return host_pids(srv.data)[0]


def running_runner(srv, tid):
    srv.wait_state(tid, "running")
    wait_for(lambda: len(runner_pids(srv.data)) == 1, 10,
             what="the task's runner")
    return runner_pids(srv.data)[0]


def args(pid):
    return [a for a in read_proc(pid, "cmdline").split(b"\0") if a]


def session(pid):
    stat = read_proc(pid, "stat")
    return int(stat[stat.rindex(b")") + 2:].split()[3])


def test_runner_is_forked_from_the_host_and_looks_like_one():
    with Server() as srv:
        host = only_host(srv)
        # Exactly: its padding (the room for a runner's title) is NULs.
        assert args(host)[1:] == [b"--host"], args(host)
        assert os.readlink("/proc/%d/exe" % host).endswith(
            "hourglass-runner")
        tid = srv.create("count", {"total": 40, "delay_ms": 25})["id"]
        runner = running_runner(srv, tid)
        assert ppid(runner) == host, "not forked by the host"
        # ps shows it as an exec'd runner: the binary and the task id.
        assert args(runner)[1:] == [str(tid).encode()], args(runner)
        # A session of its own, apart from the host's.
        assert session(runner) == runner
        assert session(host) == host
        done = srv.wait_finished(tid)
        assert done["state"] == "succeeded", done
        assert done["progress"]["value"] == 40, done


def spares(srv):
    """Pids of the host's spare runner (hourglass-runner --spare)."""
    host = host_pids(srv.data)
    return [p for p in all_pids() if host and ppid(p) == host[0]
            and args(p)[1:2] == [b"--spare"]]


def only_spare(srv, other_than=None):
    wait_for(lambda: len(spares(srv)) == 1 and spares(srv) != [other_than],
             10, what="one spare runner")
    return spares(srv)[0]


def test_a_spare_waits_with_the_database_open_and_takes_the_next_task():
    with Server() as srv:
        spare = only_spare(srv)
        db = os.path.join(srv.data, "hourglass.db")
        wait_for(lambda: db in [os.readlink("/proc/%d/fd/%s" % (spare, fd))
                                for fd in os.listdir("/proc/%d/fd" % spare)],
                 10, what="the spare to open the database")
        assert session(spare) == spare
        tid = srv.create("count", {"total": 40, "delay_ms": 25})["id"]
        assert running_runner(srv, tid) == spare, "not run by the spare"
        assert args(spare)[1:] == [str(tid).encode()], args(spare)
        # The next spare is forked as this one is taken.
        only_spare(srv, other_than=spare)
        done = srv.wait_finished(tid)
        assert done["state"] == "succeeded", done
        assert done["progress"]["value"] == 40, done


def test_a_runner_forked_as_a_spare_shows_a_long_id_whole():
    """ps shows a task's whole id, however long, also on a runner that
    waited as a spare (whose title "--spare" is shorter)."""
    with Server() as srv:
        first = srv.create("count")["id"]
        assert srv.wait_finished(first)["state"] == "succeeded"
        db = sqlite3.connect(os.path.join(srv.data, "hourglass.db"),
                             timeout=10)
        with db:
            db.execute("UPDATE sqlite_sequence SET seq = 123456788 "
                       "WHERE name = 'tasks'")
        db.close()
        tid = srv.create("count", {"total": 40, "delay_ms": 25})["id"]
        assert tid == 123456789, tid
        runner = running_runner(srv, tid)
        assert args(runner)[1:] == [b"123456789"], args(runner)
        assert srv.wait_finished(tid)["state"] == "succeeded"


def test_a_spare_that_died_is_passed_over_and_replaced():
    with Server() as srv:
        spare = only_spare(srv)
        kill_pids([spare])
        tid = srv.create("count", {"total": 3, "delay_ms": 1})["id"]
        assert srv.wait_finished(tid)["state"] == "succeeded"
        # A new spare; the task's runner may be idle beside it, come back.
        wait_for(lambda: spares(srv) and spare not in spares(srv), 10,
                 what="a new spare")


def test_commands_run_from_forked_runners():
    with Server(kinds=KINDS) as srv:
        tid = srv.create("echo", {"text": "from the host"})["id"]
        done = srv.wait_finished(tid)
        assert done["state"] == "succeeded", done
        log = srv.get("/api/tasks/%d/log" % tid).body.decode()
        assert "from the host" in log, log


# A command's runner (its parent), its working folder and that folder's
# inode number.
WHERE = {"name": "where", "command": ["sh", "-c", "echo $PPID; pwd -P; "
                                      "stat -c %i ."]}


def spare_folder(srv, pid):
    return os.path.join(srv.data, "tasks", ".spares", str(pid))


def spare_folders(srv):
    """The pids whose spare folders are there now."""
    try:
        return sorted(int(n) for n in os.listdir(
            os.path.join(srv.data, "tasks", ".spares")))
    except FileNotFoundError:
        return []


def test_a_waiting_runner_has_its_next_tasks_folder_made():
    """A runner makes its spare folder while it waits; the task it takes
    runs in it, renamed to the task's own; it makes another as it waits
    again; and none is left when the runners end."""
    with Server(kinds={"kinds": [COUNT, WHERE]}) as srv:
        spare = only_spare(srv)
        folder = spare_folder(srv, spare)
        wait_for(lambda: os.path.isdir(folder), 10,
                 what="the spare runner's folder")
        made = os.stat(folder).st_ino
        assert os.listdir(folder) == []
        tid = srv.create("where")["id"]
        assert srv.wait_finished(tid)["state"] == "succeeded"
        runner, cwd, ino = srv.get(
            "/api/tasks/%d/log" % tid).body.decode().split()
        assert int(runner) == spare, "not run by the spare"
        assert cwd == os.path.realpath(os.path.join(srv.data, "tasks",
                                                    str(tid))), cwd
        assert int(ino) == made, "the task's folder is not the spare's"
        # Idle again, with a new one (the old inode is the task's still).
        wait_for(lambda: os.path.isdir(folder) and
                 os.stat(folder).st_ino != made, 10,
                 what="the runner's next spare folder")
        srv.stop()
        wait_for(lambda: not runner_pids(srv.data), 10,
                 what="the runners to end with the server")
        assert spare_folders(srv) == []


def test_a_killed_runners_spare_folder_is_swept_by_the_next_host():
    with Server() as srv:
        spare = only_spare(srv)
        folder = spare_folder(srv, spare)
        wait_for(lambda: os.path.isdir(folder), 10,
                 what="the spare runner's folder")
        kill_pids([spare])
        assert os.path.isdir(folder)
        # The host that takes the dead one's place sweeps it; others are
        # live runners' own.
        kill_pids([only_host(srv)])
        wait_for(lambda: not os.path.exists(folder), 10,
                 what="the killed runner's spare folder to go")
        tid = srv.create("count")["id"]
        assert srv.wait_finished(tid)["state"] == "succeeded"
        # A runner let go removes its own as it ends: one gone since
        # the listing is no stray.
        for pid in spare_folders(srv):
            assert pid_alive(pid) or not os.path.exists(
                spare_folder(srv, pid)), pid


def test_without_its_socket_runners_start_by_exec():
    with Server() as srv:
        host = only_host(srv)
        fcgi = ppid(host)
        os.unlink(os.path.join(srv.data, "runner.sock"))
        tid = srv.create("count", {"total": 40, "delay_ms": 25})["id"]
        runner = running_runner(srv, tid)
        assert ppid(runner) == fcgi, "not started by the server itself"
        assert args(runner)[1:] == [str(tid).encode()], args(runner)
        done = srv.wait_finished(tid)
        assert done["state"] == "succeeded", done


def test_a_host_that_dies_is_replaced_and_no_task_is_lost():
    with Server() as srv:
        old = only_host(srv)
        sock = os.path.join(srv.data, "runner.sock")
        was = os.stat(sock).st_ctime_ns
        kill_pids([old])
        # Right away, before the janitor has noticed: by exec.
        ids = [srv.create("count", {"total": 3, "delay_ms": 10})["id"]
               for _ in range(5)]
        # The new host binds a new socket (a new file: inode numbers
        # may be reused) before the server goes on.
        wait_for(lambda: os.path.exists(sock) and
                 os.stat(sock).st_ctime_ns != was, 10,
                 what="a new runner host")
        new = only_host(srv)
        assert new != old
        tid = srv.create("count", {"total": 40, "delay_ms": 25})["id"]
        assert ppid(running_runner(srv, tid)) == new
        for i in ids + [tid]:
            assert srv.wait_finished(i)["state"] == "succeeded", i


def test_host_ends_with_the_server_but_its_runners_go_on():
    with Server() as srv:
        host = only_host(srv)
        tid = srv.create("count", {"total": 1000, "delay_ms": 50})["id"]
        runner = running_runner(srv, tid)
        # The plug is pulled on everything but the host and the runner.
        kill_pids(sorted(set(owned_pids(srv.data)) - {host, runner}))
        srv.proc.wait(10)
        srv.proc = None
        wait_for(lambda: not pid_alive(host), 10, what="the host to end")
        assert pid_alive(runner), "the runner ended with its host"
        with Server(data=srv.data) as again:
            assert again.task(tid)["state"] == "running"
            assert only_host(again) != host
            again.stop_task(tid)
            assert again.wait_finished(tid)["state"] == "canceled"


# A forked runner that has recorded its task's end comes back to the host
# for the next, with the database open; the kinds below tell a task's
# runner by its pid (a command's parent).
PPID = {"name": "ppid", "command": ["sh", "-c", "echo $PPID"]}
REUSE_KINDS = {"kinds": [COUNT, PPID]}


def runner_of(srv, tid):
    """The pid of the runner that ran ppid task tid (from its log)."""
    done = srv.wait_finished(tid)
    assert done["state"] == "succeeded", done
    return int(srv.get("/api/tasks/%d/log" % tid).body.decode().strip())


def test_a_runner_comes_back_for_the_next_task():
    with Server(kinds=REUSE_KINDS) as srv:
        first = runner_of(srv, srv.create("ppid")["id"])
        # Idle again, it waits as a spare does, alive.
        wait_for(lambda: args(first)[1:2] == [b"--spare"], 10,
                 what="the runner to come back")
        tid = srv.create("count", {"total": 40, "delay_ms": 25})["id"]
        assert running_runner(srv, tid) == first, "not the one come back"
        assert args(first)[1:] == [str(tid).encode()], args(first)
        assert srv.wait_finished(tid)["state"] == "succeeded"
        # It says it is idle just after the end is recorded: a task
        # created in between would go to the spare.
        wait_for(lambda: args(first)[1:2] == [b"--spare"], 10,
                 what="the runner to come back again")
        assert runner_of(srv, srv.create("ppid")["id"]) == first


def test_runners_come_back_under_a_burst():
    with Server(kinds=REUSE_KINDS) as srv:
        pids = []
        lock = threading.Lock()

        def client():
            for _ in range(10):
                pid = runner_of(srv, srv.create("ppid")["id"])
                with lock:
                    pids.append(pid)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(pids) == 40, pids
        # Four clients, each waiting for its task: a handful of runners
        # carry all forty, where a process per task would be forty.
        assert len(set(pids)) <= 12, sorted(set(pids))


def test_as_many_runners_stay_idle_as_tasks_may_run():
    """24 tasks running at once, with 24 allowed: their runners all come
    back and stay, and the next 24 at once run on them, none forked."""
    n = 24
    gate = tempfile.mkdtemp(prefix="hourglass-test-gate-")
    go = os.path.join(gate, "go")
    # Each prints its runner's pid, then waits for the file go.
    kinds = {"kinds": [{"name": "held", "command": [
        "sh", "-c", 'echo $PPID; while [ ! -e "$0" ]; do sleep 0.05; done',
        go]}]}
    try:
        with Server(kinds=kinds,
                    env={"HOURGLASS_MAX_RUNNING": str(n)}) as srv:
            def batch():
                ids = [srv.create("held")["id"] for _ in range(n)]
                for tid in ids:
                    srv.wait_state(tid, "running")
                open(go, "w").close()
                pids = {runner_of(srv, tid) for tid in ids}
                os.unlink(go)
                return pids

            first = batch()
            assert len(first) == n, sorted(first)
            wait_for(lambda: first <= set(spares(srv)), 10,
                     what="every runner to wait, idle")
            # The spare forked as batch one took the last idle runner
            # waits too, and may take a task: none is forked anew.
            idle = set(spares(srv))
            second = batch()
            assert second <= idle, sorted(second - idle)
    finally:
        shutil.rmtree(gate, ignore_errors=True)


def sigqueue(pid, sig, value):
    """sigqueue(2), which Python lacks: sig with value to pid."""
    class Sigval(ctypes.Union):
        _fields_ = [("sival_int", ctypes.c_int),
                    ("sival_ptr", ctypes.c_void_p)]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.sigqueue.argtypes = [ctypes.c_int, ctypes.c_int, Sigval]
    if libc.sigqueue(pid, sig, Sigval(sival_ptr=value)) != 0:
        raise OSError(ctypes.get_errno(), "sigqueue")


def test_a_late_stop_for_the_last_task_does_not_stop_the_next():
    with Server(kinds=REUSE_KINDS) as srv:
        old = srv.create("ppid")["id"]
        runner = runner_of(srv, old)
        wait_for(lambda: args(runner)[1:2] == [b"--spare"], 10,
                 what="the runner to come back")
        tid = srv.create("count", {"total": 60, "delay_ms": 25})["id"]
        assert running_runner(srv, tid) == runner
        # A stop the server sent for the old task, arriving late.
        sigqueue(runner, signal.SIGTERM, old)
        done = srv.wait_finished(tid)
        assert done["state"] == "succeeded", done
        assert done["progress"]["value"] == 60, done
        # One for the task it runs stops it.
        tid = srv.create("count", {"total": 1000, "delay_ms": 25})["id"]
        assert running_runner(srv, tid) == runner
        sigqueue(runner, signal.SIGTERM, tid)
        assert srv.wait_finished(tid)["state"] == "canceled"


def test_a_runner_whose_task_was_stopped_comes_back_for_the_next():
    with Server(kinds=REUSE_KINDS) as srv:
        tid = srv.create("count", {"total": 1000, "delay_ms": 25})["id"]
        runner = running_runner(srv, tid)
        srv.stop_task(tid)
        assert srv.wait_finished(tid)["state"] == "canceled"
        # The stop was for that task: the runner waits for the next one,
        # and takes it (it once left at once, losing the id it was sent).
        wait_for(lambda: args(runner)[1:2] == [b"--spare"], 10,
                 what="the runner to come back")
        assert runner_of(srv, srv.create("ppid")["id"]) == runner
