"""Retries on the page: a retrying task has its own colour and shape,
says which attempt comes next and when, and a finished task that took
several attempts says how many."""

import os

from fixtures import KINDS as BASE, wait_for

# Fails at once; its next attempt waits a minute, so the page can be
# looked at while it is retrying.
LATER = {"name": "later", "description": "Fails; tries again in a minute",
         "command": ["/bin/sh", "-c", "echo \"the disk is full\" >&2; "
                     "exit 3"],
         "retries": 2, "retry_delay_s": 60}
# Fails on its first two attempts, then succeeds, each a moment apart.
THIRD_SH = ("n=$(($(cat n 2>/dev/null || echo 0) + 1)); echo $n > n; "
            "[ $n -ge 3 ] || exit 3")
THIRD = {"name": "third", "description": "Succeeds on its third attempt",
         "command": ["/bin/sh", "-c", THIRD_SH],
         "retries": 2, "retry_delay_s": 0.2}
KINDS = {"kinds": BASE["kinds"] + [LATER, THIRD]}

STATE_JS = """
const li = document.querySelector('li[data-id="' + arguments[0] + '"]');
const cs = getComputedStyle(li);
return {color: cs.borderLeftColor,
        ring: getComputedStyle(li.querySelector('.state-icon'))
            .borderRightColor};
"""


def test_retrying_task_shows_its_next_attempt_and_when(srv, browser, shots):
    browser.open(srv)
    running = srv.create("count", {"total": 100000, "delay_ms": 50})["id"]
    tid = srv.create("later")["id"]
    try:
        r = browser.wait_row(tid, lambda r: r["state"] == "retrying",
                             what="the card to show retrying")
        assert r["list"] == "active" and r["stop"], r
        assert r["message"] == "exited with status 3", r
        # "attempt 2 of 3 · at 14:02:07 · in 59 s", counting down from
        # between half and all of the minute.
        assert r["time"].startswith("attempt 2 of 3 · at "), r
        # A full minute left reads "in 1:00", less "in 59 s".
        left = r["time"].rsplit(" · in ", 1)[1].split()[0]
        m, _, sec = left.rpartition(":")
        left = int(m or 0) * 60 + int(sec)
        assert 25 <= left <= 60, r
        first = r["time"]
        wait_for(lambda: browser.row(tid)["time"] != first, 5,
                 what="the wait to count down")
        # A colour and a shape of its own, not running's.
        look = browser.js(STATE_JS, tid)
        assert look["color"] != browser.js(STATE_JS, running)["color"]
        assert look["ring"] == "rgba(0, 0, 0, 0)", look
        browser.wait_row(running, lambda r: r["state"] == "running")
        browser.screenshot(os.path.join(shots, "retrying.png"))
        # The details say it too.
        browser.find('li[data-id="%d"] .task-open' % tid).click()
        facts = wait_for(lambda: (lambda f: f if "Next attempt" in f
                                  else None)(browser.js(
                                      "return document.querySelector("
                                      "'#d-facts').textContent")), 5,
                         what="the details' facts")
        assert "Attempt1 of 3, failedNext attempt2, at " in facts, facts
        browser.screenshot(os.path.join(shots, "retrying-details.png"))
        browser.find("#d-close").click()
        # Stop ends it at once.
        browser.find('li[data-id="%d"] button.stop' % tid).click()
        r = browser.wait_row(tid, lambda r: r["state"] == "canceled",
                             what="the stop to cancel it")
        assert r["list"] == "recent", r
    finally:
        srv.stop_task(running)
        srv.stop_task(tid)


def test_task_that_took_attempts_says_how_many(srv, browser):
    browser.open(srv)
    tid = srv.create("third")["id"]
    r = browser.wait_row(tid, lambda r: r["state"] == "succeeded",
                         what="the third attempt to succeed")
    assert r["time"].startswith("took ") and \
        r["time"].endswith(" · 3 attempts"), r
    one = srv.create("count", {"total": 1, "delay_ms": 0})["id"]
    r = browser.wait_row(one, lambda r: r["state"] == "succeeded")
    assert "attempt" not in r["time"], r
