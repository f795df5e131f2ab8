"""Runners are detached: stopping nginx and hourglass-fcgi with SIGTERM
neither stops nor loses a running task."""

from harness import Server, pid_alive, runner_pids, wait_for


def start_counting(srv, total, delay_ms):
    tid = srv.create("count", {"total": total, "delay_ms": delay_ms})["id"]
    t = srv.wait_task(tid, lambda t: t["progress"]["value"] >= 3,
                      what="some progress")
    pids = runner_pids(srv.data)
    assert len(pids) == 1, "runners of this data folder: %s" % pids
    return tid, t["progress"]["value"], pids[0]


def test_runner_outlives_server_and_progress_continues():
    first = Server().start()
    try:
        tid, before, runner = start_counting(first, 60, 50)
        first.stop()                # SIGTERM: nginx and fcgi must go
        assert pid_alive(runner), "the runner died with the server"
        with Server(data=first.data) as again:
            t = again.task(tid)
            assert t["progress"]["value"] >= before, (before, t)
            seen = again.wait_task(tid, lambda t: t["progress"]["value"]
                                   > before, what="progress after restart")
            done = again.wait_finished(tid, timeout=20)
            assert done["state"] == "succeeded", done
            assert done["progress"]["value"] == 60, done
            assert seen["progress"]["value"] <= 60
    finally:
        first.close()


def test_runner_finishes_its_task_while_no_server_runs():
    first = Server().start()
    try:
        tid, _, runner = start_counting(first, 40, 25)
        first.stop()
        # The runner records the end itself; wait for it to exit.
        wait_for(lambda: not pid_alive(runner), 20,
                 what="the runner to finish without a server")
        with Server(data=first.data) as again:
            done = again.task(tid)
            assert done["state"] == "succeeded", done
            assert done["progress"]["value"] == 40, done
            # The record is complete: the stream replays to the end.
            events = again.replay(tid)
            assert events[-1].type == "state", events[-1]
            assert events[-1].json["state"] == "succeeded", events[-1]
            assert [e for e in events if e.type == "progress"][-1].json[
                "value"] == 40, events
    finally:
        first.close()


def test_stream_resumes_across_a_server_restart():
    first = Server().start()
    try:
        tid = first.create("count", {"total": 60, "delay_ms": 30})["id"]
        s = first.sse("/api/tasks/%d/events" % tid)
        s.read(n=5)
        first.stop()
        s.read(timeout=10)          # the stop ends the connection
        assert s.ended, "stream still open after the server stopped"
        s.close()
        part1 = s.events
        with Server(data=first.data) as again:
            with again.sse("/api/tasks/%d/events" % tid, headers={
                    "Last-Event-ID": part1[-1].id}) as s2:
                assert s2.status == 200, (s2.status, s2.body)
                s2.read()
                assert s2.ended
            got = [e.n for e in part1 + s2.events]
            full = again.replay(tid)
            assert got == [e.n for e in full if e.n >= part1[0].n], (
                got, [e.n for e in full])
            assert full[-1].json["state"] == "succeeded", full[-1]
    finally:
        first.close()
