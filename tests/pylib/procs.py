"""What /proc says of a data folder's processes, and ending them by pid.

A process is ours when its environment holds our exact HOURGLASS_DATA
entry (or its command line names the folder): nobody else's is touched.
"""

import os
import signal

from pylib.wait import wait_for


def read_proc(pid, name):
    """/proc/<pid>/<name> as bytes; b"" once the process is gone."""
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return b""


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def ppid(pid):
    """The parent's pid, or -1 if pid is gone."""
    stat = read_proc(pid, "stat")
    # The command name is in parentheses and may hold spaces: split after it.
    try:
        return int(stat[stat.rindex(b")") + 2:].split()[1])
    except (ValueError, IndexError):
        return -1


def children(pid):
    """Pids whose parent is pid."""
    return [p for p in all_pids() if ppid(p) == pid]


def tree(pid):
    """pid and its descendants, parents first."""
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(children(p))
    return seen


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    stat = read_proc(pid, "stat")
    if not stat:
        return False
    try:
        return stat[stat.rindex(b")") + 2:].split()[0] != b"Z"
    except (ValueError, IndexError):
        return False


def _runners(data, host):
    """Pids of this data folder's hourglass-runner processes: the runner
    host (hourglass-runner --host) if host, else those that run tasks
    (not the host's spare, hourglass-runner --spare, which has none yet).

    A runner's environment holds HOURGLASS_DATA=<data>; matching that
    exact entry keeps us from touching anybody else's runners."""
    entry = b"HOURGLASS_DATA=" + os.fsencode(data)
    pids = []
    for pid in all_pids():
        if pid == os.getpid():
            continue
        cmd = read_proc(pid, "cmdline").split(b"\0")
        if (len(cmd) < 2 or not cmd[0].endswith(b"hourglass-runner")
                or cmd[1].startswith(b"--host") != host
                or cmd[1].startswith(b"--spare")):
            continue
        if entry in read_proc(pid, "environ").split(b"\0") and pid_alive(pid):
            pids.append(pid)
    if host:
        # A runner the host has just forked shows the host's title
        # until it writes its own: the host is the one whose parent is
        # no host.
        pids = [p for p in pids if ppid(p) not in pids]
    return pids


def runner_pids(data):
    """Pids of the runners of this data folder's tasks (not the host)."""
    return _runners(data, False)


def host_pids(data):
    """Pids of this data folder's runner host (hourglass-runner --host)."""
    return _runners(data, True)


def owned_pids(data):
    """Every live process of this data folder, runners included.

    Found by the exact HOURGLASS_DATA entry in its environment or the
    folder in its command line (nginx overwrites its environment with its
    process title), plus their descendants (nginx workers)."""
    entry = b"HOURGLASS_DATA=" + os.fsencode(data)
    path = os.fsencode(data.rstrip("/") + "/")
    pids = set(all_pids()) - {os.getpid()}
    found = set()
    for pid in pids:
        cmd = read_proc(pid, "cmdline")
        if (entry in read_proc(pid, "environ").split(b"\0")
                or path in cmd or cmd.replace(b"\0", b" ").endswith(
                    path.rstrip(b"/"))):
            found.add(pid)
    parents = {pid: ppid(pid) for pid in pids}
    grew = True
    while grew:
        kids = {p for p, pp in parents.items() if pp in found} - found
        grew = bool(kids)
        found |= kids
    return sorted(p for p in found if pid_alive(p))


def kill_pids(pids, sig=signal.SIGKILL, timeout=5.0):
    """Sends sig to each pid and waits until they are gone."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    wait_for(lambda: not any(pid_alive(p) for p in pids), timeout,
             what="processes %s to end" % pids)
