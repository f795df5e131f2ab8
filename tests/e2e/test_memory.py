"""Memory given back: a kept runner and an idle hourglass-fcgi return
what a burst made them grow, once idle, not after each task or request
(the next would only fault the same pages in again)."""

import threading

from harness import fcgi_pid, items_kind, read_proc, wait_for

PLAIN = "the sanitizers' allocators keep freed memory from the system"

# A command that prints its runner's pid, then 3,000 data items of about
# 1 KiB: the runner's heap and SQLite page cache grow as it stores them.
KINDS = {"kinds": [items_kind("echo $PPID; ")]}


def status_kb(pid, field):
    """A "VmRSS"-like field of /proc/<pid>/status, in kB (0 once gone)."""
    for line in read_proc(pid, "status").decode().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def idle_runner(pid):
    """Whether runner pid waits, come back to the host, for a task."""
    return read_proc(pid, "cmdline").split(b"\0")[1:2] == [b"--spare"]


def test_a_runner_gives_back_what_a_task_grew_once_idle(srv):
    tid = srv.create("items")["id"]
    done = srv.wait_finished(tid)
    assert done["state"] == "succeeded", done
    items = srv.get("/api/tasks/%d/data?limit=1000" % tid).json
    assert len(items["items"]) == 1000, items
    pid = int(srv.get("/api/tasks/%d/log" % tid).body.decode().strip())
    peak = status_kb(pid, "VmHWM")
    # It came back and waits, with less than at its peak by at least
    # part of SQLite's page cache (at most 2 MiB, by default).
    wait_for(lambda: idle_runner(pid) and
             status_kb(pid, "VmRSS") < peak - 1024, 10,
             what="the idle runner to give back memory (its peak: %d kB)"
             % peak)


def test_an_idle_server_gives_back_what_a_burst_grew(srv):
    pid = fcgi_pid(srv)
    tid = srv.create("items")["id"]
    assert srv.wait_finished(tid)["state"] == "succeeded"
    path = "/api/tasks/%d/data?limit=1000" % tid

    def reader():
        conn = srv.conn()
        try:
            for _ in range(30):
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                assert r.status == 200, r.status
        finally:
            conn.close()

    # Readers at once: each kept connection's thread grows its stack and
    # its arena with 1 MiB answers.
    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    peak = status_kb(pid, "VmHWM")
    wait_for(lambda: status_kb(pid, "VmRSS") < peak - 2048, 10,
             what="the idle server to give back memory (its peak: %d kB)"
             % peak)
