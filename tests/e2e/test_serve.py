"""scripts/serve itself: ready line, and Ctrl-C stops what it started."""

import os
import signal
import socket
import subprocess
import time

from harness import STOP_TIMEOUT, Server, runner_pids, wait_for
from pylib.procs import owned_pids
from pylib.server import REPO, SERVE, free_port


def test_ready_line_names_the_url():
    with Server() as srv:
        line = [x for x in srv.stdout if "serving http://" in x][0]
        assert "http://127.0.0.1:%d/" % srv.port in line, line
        # Ready means ready: the first request is answered, not a 502.
        assert srv.get("/api/health").status == 200


def test_sigint_stops_nginx_and_fcgi_but_not_runners():
    with Server() as srv:
        tid = srv.create("count", {"total": 1000, "delay_ms": 50})["id"]
        srv.wait_state(tid, "running")
        proc = srv.proc
        proc.send_signal(signal.SIGINT)     # what Ctrl-C sends
        proc.wait(STOP_TIMEOUT)
        # stop() now only checks: nothing but this folder's runner is left.
        srv.stop()
        assert runner_pids(srv.data), "the runner ended with the server"


def serving(srv):
    """The servers of srv's folder that are not runners."""
    return sorted(set(owned_pids(srv.data)) - set(runner_pids(srv.data)))


def test_ctrl_c_to_the_whole_group_stops_both_quietly():
    # A terminal's Ctrl-C goes to its whole foreground group: the script,
    # and (before) nginx and hourglass-fcgi too, whose own ends raced the
    # script's trap and made a Ctrl-C look like a crash.
    srv = Server(own_group=True).start()
    try:
        tid = srv.create("count", {"total": 1000, "delay_ms": 50})["id"]
        srv.wait_state(tid, "running")
        proc = srv.proc
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(STOP_TIMEOUT) == 0, "".join(srv.stderr)
        time.sleep(0.2)     # the pump's last lines
        assert not any("ended" in line for line in srv.stderr), srv.stderr
        wait_for(lambda: not serving(srv), 5, what="nginx and the server"
                 " to be gone")
        assert runner_pids(srv.data), "the runner ended with the server"
    finally:
        srv.close()


def test_a_hang_up_stops_both():
    # Closing the terminal sends its group SIGHUP: the script ended and
    # left nginx (which reloads on a HUP) and hourglass-fcgi serving.
    srv = Server(own_group=True).start()
    try:
        proc = srv.proc
        os.killpg(proc.pid, signal.SIGHUP)
        proc.wait(STOP_TIMEOUT)
        wait_for(lambda: not serving(srv), 5, what="nginx and the server"
                 " to be gone")
    finally:
        srv.close()


def test_a_signal_twice_still_stops_both():
    # `make run` stopped by a TERM to its group: make passes its own TERM
    # on, so the script gets two at once. The second came while the first
    # one's trap was signalling the servers, ended the script there and
    # left hourglass-fcgi serving.
    for _ in range(8):
        srv = Server().start()
        try:
            proc = srv.proc
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGTERM)
            proc.wait(STOP_TIMEOUT)
            wait_for(lambda: not serving(srv), 5, what="nginx and the "
                     "server to be gone")
        finally:
            srv.close()


def test_a_second_serve_on_the_same_folder_leaves_the_first_serving():
    with Server() as srv:
        env = srv.env()
        env["HOURGLASS_PORT"] = str(free_port())
        r = subprocess.run(["bash", SERVE], cwd=REPO, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 1, r
        assert "another hourglass-fcgi" in r.stderr, r.stderr
        # The first one's socket is its own still: not a 502.
        assert os.path.exists(os.path.join(srv.data, "fcgi.sock"))
        assert srv.get("/api/health").status == 200


def test_nginx_killed_takes_its_workers_with_it():
    srv = Server().start()
    port = srv.port
    try:
        with open(os.path.join(srv.data, "nginx", "nginx.pid")) as f:
            master = int(f.read())
        os.kill(master, signal.SIGKILL)
        assert srv.proc.wait(STOP_TIMEOUT) == 1
        srv.proc = None

        def port_free():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) != 0
        # The workers, orphaned, held the port and answered 502.
        wait_for(port_free, 10, what="nginx's workers to let the port go")
        assert not serving(srv), serving(srv)
    finally:
        srv.close()
    with Server(port=port) as again:
        assert again.get("/api/health").status == 200


def test_bad_port_and_kinds_path_are_named():
    for env, word in (({"HOURGLASS_PORT": " 8080"}, "HOURGLASS_PORT"),
                      ({"HOURGLASS_PORT": "70000"}, "HOURGLASS_PORT"),
                      ({"HOURGLASS_PORT": "0"}, "HOURGLASS_PORT"),
                      ({"HOURGLASS_KINDS": "/nonexistent/k.json"},
                       "HOURGLASS_KINDS: /nonexistent/k.json")):
        srv = Server(env=env)
        srv.port = free_port()
        e = srv.env()
        e.update(env)
        r = subprocess.run(["bash", SERVE], cwd=REPO, env=e,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=60)
        srv.close()
        assert r.returncode == 1 and word in r.stderr, (env, r)
