"""Schedules through nginx: the API, refusals naming the field, runs
made at their time (and never before), overlap, pause and resume, run
now, and what a restart keeps and catches up.

A run's time is brought near by writing next_run_at in the database, as
the server's janitor reads it there: no test waits for a real minute.
The times the API reports are checked against Python's zoneinfo, the
same tzdata that tests/unit/test_cron.c's table was checked against."""

import datetime
import os
import sqlite3
import time
from zoneinfo import ZoneInfo

from harness import Server, assert_error, wait_for

COUNT = {"name": "count", "builtin": "count",
         "params": {"total": {"type": "integer", "min": 1, "default": 2},
                    "delay_ms": {"type": "integer", "min": 0,
                                 "default": 0}}}
REMOTE = {"name": "remote", "external": True, "heartbeat_s": 30}
KINDS = {"kinds": [COUNT, REMOTE]}

SCHEDULE_KEYS = ["id", "kind", "params", "name", "cron", "timezone",
                 "overlap", "paused", "next_run_at", "last_task_id",
                 "created_at"]


def iso_ms(text):
    """An API time as ms since the epoch."""
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def make(srv, expect=201, **body):
    body.setdefault("kind", "count")
    body.setdefault("cron", "0 3 * * *")
    r = srv.post("/api/schedules", body)
    assert r.status == expect, (body, r)
    return r


def edit(srv, sql, args=()):
    """Writes the server's database, as another process would."""
    db = sqlite3.connect(os.path.join(srv.data, "hourglass.db"),
                         timeout=10)
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def due_in(srv, sid, ms):
    """Brings schedule sid's next run to now + ms; returns that time."""
    at = int(time.time() * 1000) + ms
    edit(srv, "UPDATE schedules SET next_run_at = ? WHERE id = ?",
         (at, sid))
    return at


def tasks_of(srv, sid):
    return [t for t in srv.get("/api/tasks?limit=500").json["tasks"]
            if t.get("schedule") == sid]


def next_local(zone, hour, minute, after):
    """The first instant after `after` (aware) at which the wall clock
    in zone reads hour:minute, on a day where that time exists."""
    z = ZoneInfo(zone)
    day = after.astimezone(z).date()
    for _ in range(3):
        t = datetime.datetime(day.year, day.month, day.day, hour, minute,
                              tzinfo=z)
        back = t.astimezone(datetime.timezone.utc).astimezone(z)
        if back.replace(tzinfo=None) == t.replace(tzinfo=None) and \
                t > after:
            return t
        day += datetime.timedelta(days=1)
    raise AssertionError("no such time")


def test_create_answers_the_schedule_with_its_next_run(srv):
    before = datetime.datetime.now(datetime.timezone.utc)
    r = make(srv, cron="30 3 * * *", timezone="Europe/Paris",
             name="nightly", params={"total": 5})
    s = r.json
    assert list(s) == SCHEDULE_KEYS, list(s)
    assert r.headers["Location"] == "/api/schedules/%d" % s["id"]
    assert s["kind"] == "count" and s["name"] == "nightly", s
    # The params as checked, defaults in.
    assert s["params"] == {"total": 5, "delay_ms": 0}, s
    assert (s["cron"], s["timezone"], s["overlap"]) == \
        ("30 3 * * *", "Europe/Paris", "skip"), s
    assert s["paused"] is False and s["last_task_id"] is None, s
    want = next_local("Europe/Paris", 3, 30, before)
    assert iso_ms(s["next_run_at"]) == int(want.timestamp() * 1000), \
        (s, want)
    assert srv.get("/api/schedules/%d" % s["id"]).json == s
    assert s in srv.get("/api/schedules").json["schedules"]


def test_defaults_are_utc_and_skip(srv):
    s = make(srv, cron="@hourly").json
    assert s["timezone"] == "UTC" and s["overlap"] == "skip", s
    # null is the default too, as for a task's name.
    n = make(srv, cron="@hourly", timezone=None, overlap=None).json
    assert n["timezone"] == "UTC" and n["overlap"] == "skip", n
    now = int(time.time() * 1000)
    at = iso_ms(s["next_run_at"])
    assert at % 3600000 == 0 and now < at <= now + 3600000, s


def test_new_york_evening_is_the_next_day_in_utc(srv):
    before = datetime.datetime.now(datetime.timezone.utc)
    s = make(srv, cron="45 22 * * *", timezone="America/New_York").json
    want = next_local("America/New_York", 22, 45, before)
    assert iso_ms(s["next_run_at"]) == int(want.timestamp() * 1000), s


def test_refusals_name_the_field(srv):
    cases = [
        ({"cron": "61 * * * *"}, 422, "invalid_schedule", "minute"),
        ({"cron": "* * * *"}, 422, "invalid_schedule", "5 fields"),
        ({"cron": "0 0 * * xyz"}, 422, "invalid_schedule", "day of week"),
        ({"cron": "0 0 30 2 *"}, 422, "invalid_schedule", "never"),
        ({"timezone": "Mars/Olympus"}, 422, "invalid_schedule",
         "timezone"),
        ({"timezone": "../../etc/passwd"}, 422, "invalid_schedule",
         "timezone"),
        ({"timezone": ""}, 422, "invalid_schedule",
         "timezone: must be 1 to 64 bytes"),
        # Files of the zone folder that are no zone: the host's own
        # (it would follow /etc/localtime) and the POSIX template.
        ({"timezone": "localtime"}, 422, "invalid_schedule", "timezone"),
        ({"timezone": "posixrules"}, 422, "invalid_schedule", "timezone"),
        ({"overlap": "sometimes"}, 422, "invalid_schedule", "overlap"),
        ({"kind": "nope"}, 422, "unknown_kind", "nope"),
        ({"kind": "remote"}, 422, "invalid_schedule", "external"),
        ({"params": {"total": 0}}, 422, "invalid_params", "total"),
        # Too long is a mistake in the schedule as any other; a wrong
        # type is the body's, as for a task.
        ({"cron": "* " * 200}, 422, "invalid_schedule",
         "cron: must be at most 256 bytes"),
        ({"timezone": "Europe/" + "x" * 70}, 422, "invalid_schedule",
         "timezone: must be at most 64 bytes"),
        ({"timezone": "Europe//Paris"}, 422, "invalid_schedule",
         "empty part"),
        ({"timezone": "posix/Europe/Paris"}, 422, "invalid_schedule",
         "Europe/Paris"),
        ({"cron": 5}, 400, "invalid_request", "cron"),
        ({"every": "day"}, 400, "invalid_request", "every"),
    ]
    before = len(srv.get("/api/schedules").json["schedules"])
    for body, status, code, word in cases:
        r = make(srv, expect=status, **body)
        assert_error(r, status, code)
        assert word in r.json["error"]["message"], (body, r.json)
    r = srv.post("/api/schedules", {"kind": "count"})
    assert_error(r, 400, "invalid_request")
    assert "cron" in r.json["error"]["message"], r.json
    r = srv.post("/api/schedules", '{"kind": "count", "cron": "@daily"}',
                 headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")
    # Nothing was made by any of them.
    assert len(srv.get("/api/schedules").json["schedules"]) == before


def test_unknown_and_malformed_ids_are_404(srv):
    for path in ("/api/schedules/999999", "/api/schedules/abc",
                 "/api/schedules/-1", "/api/schedules/999999/run",
                 "/api/schedules/999999/pause"):
        method = srv.get if path.count("/") == 3 else srv.post
        assert_error(method(path), 404, "not_found")
    assert_error(srv.delete("/api/schedules/999999"), 404, "not_found")
    r = srv.request("PUT", "/api/schedules")
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET, POST"


def test_delete_forgets_it_and_keeps_its_tasks(srv):
    s = make(srv).json
    t = srv.post("/api/schedules/%d/run" % s["id"]).json
    r = srv.delete("/api/schedules/%d" % s["id"])
    assert r.status == 204 and r.body == b"", r
    assert_error(srv.get("/api/schedules/%d" % s["id"]), 404, "not_found")
    assert srv.task(t["id"])["schedule"] == s["id"]


def test_run_now_makes_a_task_and_leaves_the_next_run(srv):
    s = make(srv, params={"total": 3}, name="by hand").json
    srv.post("/api/schedules/%d/pause" % s["id"])
    r = srv.post("/api/schedules/%d/run" % s["id"])
    assert r.status == 201, r
    t = r.json
    assert r.headers["Location"] == "/api/tasks/%d" % t["id"]
    assert t["schedule"] == s["id"], t
    assert (t["kind"], t["name"], t["params"]) == \
        ("count", "by hand", {"total": 3, "delay_ms": 0}), t
    after = srv.get("/api/schedules/%d" % s["id"]).json
    assert after["last_task_id"] == t["id"], after
    assert after["paused"] is True and after["next_run_at"] is None, after
    assert srv.wait_finished(t["id"])["state"] == "succeeded"


def test_pause_and_resume(srv):
    s = make(srv, cron="*/5 * * * *").json
    r = srv.post("/api/schedules/%d/pause" % s["id"])
    assert r.status == 200 and r.json["paused"] is True, r
    assert r.json["next_run_at"] is None, r.json
    r = srv.post("/api/schedules/%d/resume" % s["id"])
    assert r.status == 200 and r.json["paused"] is False, r
    at = iso_ms(r.json["next_run_at"])
    now = int(time.time() * 1000)
    assert at % 300000 == 0 and now < at <= now + 300000, r.json


def test_due_run_is_made_at_its_time_never_before(srv):
    s = make(srv, cron="* * * * *").json
    at = due_in(srv, s["id"], 1500)
    t = wait_for(lambda: tasks_of(srv, s["id"]) or None, 10,
                 what="the schedule's task")[0]
    made = iso_ms(t["created_at"])
    assert at <= made < at + 1000, (at, t)
    after = srv.get("/api/schedules/%d" % s["id"]).json
    assert after["last_task_id"] == t["id"], after
    # The next run is the minute after the one that ran.
    nxt = iso_ms(after["next_run_at"])
    assert nxt % 60000 == 0 and made < nxt <= made + 60000, after
    # One run before that next one (which may come, rightly, at a real
    # minute's turn while this looks).
    assert len([x for x in tasks_of(srv, s["id"])
                if iso_ms(x["created_at"]) < nxt]) == 1


def test_paused_schedule_makes_nothing(srv):
    s = make(srv, cron="0 0 1 1 *").json
    srv.post("/api/schedules/%d/pause" % s["id"])
    # Even with a time in the row: a paused schedule is not due.
    edit(srv, "UPDATE schedules SET next_run_at = ? WHERE id = ?",
         (int(time.time() * 1000) - 100, s["id"]))
    time.sleep(1.5)
    assert tasks_of(srv, s["id"]) == []


def overlapping(srv, overlap):
    # Once a year: only the run made due here comes in the test's time.
    s = make(srv, cron="0 0 1 1 *", overlap=overlap,
             params={"total": 100000, "delay_ms": 20}).json
    first = srv.post("/api/schedules/%d/run" % s["id"]).json
    srv.wait_state(first["id"], ["running"])
    due_in(srv, s["id"], 0)
    wait_for(lambda: iso_ms(srv.get("/api/schedules/%d" % s["id"]).json[
        "next_run_at"]) > time.time() * 1000, 10,
        what="the due run to be dealt with")
    made = tasks_of(srv, s["id"])
    for t in made:
        srv.stop_task(t["id"])
    return first, made


def test_overlap_skip_makes_no_task_while_the_last_is_active(srv):
    first, made = overlapping(srv, "skip")
    assert [t["id"] for t in made] == [first["id"]], made


def test_overlap_allow_makes_one_beside_it(srv):
    first, made = overlapping(srv, "allow")
    assert len(made) == 2 and first["id"] in [t["id"] for t in made], made


def test_restart_keeps_schedules_and_catches_up_once():
    # Once a year: no run of its own comes due while the test runs (a
    # */10 schedule once met a real ten-minute boundary here, and made
    # a second task, rightly).
    with Server(kinds=KINDS) as first:
        recent = make(first, cron="0 0 1 1 *").json
        old = make(first, cron="0 0 1 1 *").json
        # Hourly, at the minute 20 minutes ago: its oldest missed run is
        # hours old, and its last within the hour.
        minute = (time.gmtime().tm_min + 40) % 60
        hourly = make(first, cron="%d * * * *" % minute).json
        paused = make(first, cron="0 0 1 1 *").json
        first.post("/api/schedules/%d/pause" % paused["id"])
        data = first.data
        first.stop()
        # While it was down: a run of one missed within the hour, and
        # the other's two hours ago.
        now = int(time.time() * 1000)
        edit(first, "UPDATE schedules SET next_run_at = ? WHERE id = ?",
             (now - 35 * 60000, recent["id"]))
        edit(first, "UPDATE schedules SET next_run_at = ? WHERE id = ?",
             (now - 120 * 60000, old["id"]))
        edit(first, "UPDATE schedules SET next_run_at = ? WHERE id = ?",
             (now - 180 * 60000, hourly["id"]))
        with Server(kinds=KINDS, data=data) as again:
            listed = {s["id"]: s for s in
                      again.get("/api/schedules").json["schedules"]}
            assert set(listed) >= {recent["id"], old["id"], paused["id"]}
            assert listed[paused["id"]]["paused"] is True
            wait_for(lambda: tasks_of(again, recent["id"]) or None, 10,
                     what="the missed run")
            wait_for(lambda: tasks_of(again, hourly["id"]) or None, 10,
                     what="the hourly schedule's last missed run")
            # Moved on: the old one to its next time without a task.
            wait_for(lambda: again.get("/api/schedules/%d" % old["id"])
                     .json["next_run_at"] is not None and
                     iso_ms(again.get("/api/schedules/%d" % old["id"])
                            .json["next_run_at"]) > time.time() * 1000,
                     10, what="the old schedule to move on")
            time.sleep(1.2)
            assert len(tasks_of(again, recent["id"])) == 1
            assert len(tasks_of(again, hourly["id"])) == 1
            assert tasks_of(again, old["id"]) == []
            assert tasks_of(again, paused["id"]) == []


def test_preview_gives_the_next_three_runs_without_saving(srv):
    before = len(srv.get("/api/schedules").json["schedules"])
    r = srv.get("/api/schedules/preview?cron=30+12+*+*+*"
                "&timezone=Europe/Paris")
    assert r.status == 200, r
    now = datetime.datetime.now(datetime.timezone.utc)
    want = []
    for _ in range(3):
        now = next_local("Europe/Paris", 12, 30, now)
        want.append(int(now.timestamp() * 1000))
    assert [iso_ms(t) for t in r.json["next_runs"]] == want, (r.json, want)
    r = srv.get("/api/schedules/preview?cron=61+*+*+*+*")
    assert_error(r, 422, "invalid_schedule")
    assert "minute" in r.json["error"]["message"], r.json
    # As a create answers: a date that never comes is a mistake, not an
    # empty list that the form would take for a good expression.
    for cron in ("0+0+30+2+*", "0+0+31+4+*"):
        r = srv.get("/api/schedules/preview?cron=" + cron)
        assert_error(r, 422, "invalid_schedule")
        assert "never matches" in r.json["error"]["message"], r.json
    assert_error(srv.get("/api/schedules/preview"), 400, "invalid_request")
    r = srv.get("/api/schedules/preview?cron=@daily&timezone=Nowhere/X")
    assert_error(r, 422, "invalid_schedule")
    # A zone too long to read, or with a NUL, is refused, not UTC: a
    # mistake in the schedule, as the create says of it.
    for zone in ("Europe/" + "x" * 70, "UTC%00", "Europe/Paris%00x"):
        r = srv.get("/api/schedules/preview?cron=@daily&timezone=" + zone)
        assert_error(r, 422, "invalid_schedule")
        assert r.json["error"]["message"].startswith("timezone:"), r.json
    for cron in ("@daily%00", "*+" * 200):
        r = srv.get("/api/schedules/preview?cron=" + cron)
        assert_error(r, 422, "invalid_schedule")
        assert r.json["error"]["message"].startswith("cron:"), r.json
    assert len(srv.get("/api/schedules").json["schedules"]) == before
