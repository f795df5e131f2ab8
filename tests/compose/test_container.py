"""docker-compose.yml and the Dockerfile as they are, built and run as a
user runs them (`docker-compose build`, `up -d`, `down`, `restart`), and
checked from the host through the published port. In order: each test
goes on from where the one before left the stack."""

import hashlib
import json
import os

import stack
from pylib.server import FINISHED

web = stack.Published()
SHIPPED = os.path.join(stack.REPO, "kinds.json")
DATA = "/var/lib/hourglass/data"        # the volume, in the container
BUILD_TIMEOUT = 1100    # s; the first build installs a compiler


def shipped():
    with open(SHIPPED) as f:
        return {k["name"]: k for k in json.load(f)["kinds"]}


def teardown():
    stack.down()
    left = stack.ours("container") + stack.ours("volume")
    assert not left, "left after down -v: %s" % left


def test_the_image_builds_from_the_dockerfile():
    stack.compose("build", timeout=BUILD_TIMEOUT)
    img = json.loads(stack.docker("image", "inspect", stack.IMAGE))[0]
    assert img["Config"]["User"] == "hourglass", img["Config"]


def test_up_publishes_on_loopback_and_becomes_healthy():
    assert not stack.ours("container"), "project %s is in use" % \
        stack.PROJECT
    stack.compose("up", "-d")
    doc = stack.wait_healthy()
    ports = doc["NetworkSettings"]["Ports"]["8080/tcp"]
    assert ports == [{"HostIp": "127.0.0.1",
                      "HostPort": str(stack.PORT)}], ports


def test_the_page_answers_from_the_host():
    r = web.get("/")
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/html"), r
    assert b"<title>Hourglass</title>" in r.body, r
    r = web.get("/hourglass.js")
    assert r.status == 200 and b"export" in r.body, r


def test_the_api_answers_from_the_host():
    r = web.get("/api/health")
    assert r.status == 200 and r.json == {"status": "ok"}, r
    r = web.get("/api/kinds")
    assert r.status == 200, r
    names = sorted(k["name"] for k in r.json["kinds"])
    assert names == sorted(shipped()), names


def test_a_task_is_followed_to_its_end_over_sse():
    tid = web.create("count", {"total": 20, "delay_ms": 50})["id"]
    with web.sse("/api/tasks/%d/events" % tid) as s:
        assert s.status == 200, (s.status, s.body)
        s.read(until=lambda e: e.type == "state"
               and e.json["state"] in FINISHED, timeout=60)
        assert not s.timed_out, s.events
        # The stream ends after the final state event.
        s.read(timeout=10)
        assert s.ended and not s.truncated, s.events
    states = [e.json["state"] for e in s.events if e.type == "state"]
    assert states[-1] == "succeeded", states
    values = [e.json["value"] for e in s.events if e.type == "progress"]
    assert values and values[-1] == 20, values
    assert values == sorted(values), values


def test_the_command_line_in_the_image_follows_a_task():
    # Exit status 0 is "succeeded"; each line is one event.
    out = stack.docker("exec", stack.container(), "hourglass", "start",
                       "count", "total=5", "delay_ms=10", "--follow",
                       "--json")
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines, out
    last = lines[-1]
    assert last["event"] == "state" and \
        last["data"]["state"] == "succeeded", lines[-3:]


def test_every_shipped_kind_succeeds_with_no_params():
    cid = stack.container()
    sample = stack.docker("exec", cid, "cat", DATA + "/files/sample.txt")
    want = hashlib.sha256(sample.encode()).hexdigest()
    ids = {name: web.create(name)["id"] for name in sorted(shipped())}
    for name, tid in ids.items():
        t = web.wait_finished(tid, timeout=240)
        log = web.get("/api/tasks/%d/log" % tid).body.decode()
        assert t["state"] == "succeeded", (name, t, log)
        if name == "checksum":
            # Its relative cwd is files/ of the data folder: the volume.
            assert "%s  sample.txt" % want in log, log


def test_history_is_kept_across_down_and_up():
    web.wait_finished(web.create("count", {"total": 1})["id"])
    before = web.get("/api/tasks?limit=500").json["tasks"]
    stack.compose("down")
    assert not stack.ours("container"), stack.ours("container")
    assert stack.VOLUME in stack.ours("volume"), stack.ours("volume")
    stack.compose("up", "-d")
    stack.wait_healthy()
    after = web.get("/api/tasks?limit=500").json["tasks"]
    assert [(t["id"], t["state"]) for t in after] == \
        [(t["id"], t["state"]) for t in before], (before, after)


def test_a_count_running_across_restart_is_retried():
    assert shipped()["count"].get("retries", 0) >= 1, shipped()["count"]
    # 20 s of counting: long enough to be cut by the restart.
    tid = web.create("count", {"total": 400, "delay_ms": 50})["id"]
    web.wait_task(tid, lambda t: t["state"] == "running"
                  and t["progress"]["value"] >= 1, timeout=30)
    stack.compose("restart")
    stack.wait_healthy()
    t = web.wait_finished(tid, timeout=120)
    log = web.get("/api/tasks/%d/log" % tid).body.decode()
    assert t["state"] == "succeeded", (t, log)
    assert t["attempt"] == 2 and t["attempts"] == 3, t
    assert "[hourglass: attempt 2 of 3]" in log, log
    states = [e.json["state"] for e in web.replay(tid) if e.type == "state"]
    assert "retrying" in states, states
