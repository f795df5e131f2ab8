"""Screenshots of a busy page, light and dark, for a person to look at
(README.md shows docs/page.png, copied from a run)."""

import os

from fixtures import KINDS, wait_for

KINDS = KINDS


def busy(srv):
    """Tasks in most states: two running, one succeeded, one failed, one
    canceled. Returns the id of a running one with a log."""
    done = srv.create("count", {"total": 120, "delay_ms": 0},
                      name="nightly report")["id"]
    srv.wait_finished(done)
    bad = srv.create("flaky", {})["id"]
    srv.wait_finished(bad)
    stopped = srv.create("render", {"scene": "trailer", "quality": "final"})
    srv.wait_state(stopped["id"], "running")
    srv.stop_task(stopped["id"])
    talk = srv.create("talk", {"lines": 200})["id"]
    srv.create("render", {"scene": "opening-titles", "total": 1500,
                          "delay_ms": 60})
    srv.create("count", {"total": 2000, "delay_ms": 40},
               name="import photos")
    return talk


def test_screenshots_light_dark_and_details(srv, browser, shots):
    try:
        shoot(srv, browser, shots)
    finally:
        for tid in srv.task_ids():      # the module's server stops clean
            srv.post("/api/tasks/%d/stop" % tid)


def shoot(srv, browser, shots):
    talk = busy(srv)
    browser.size(1280, 1000)
    browser.open(srv)
    wait_for(lambda: len([r for r in browser.rows()
                          if r["state"] == "running"
                          and (r["value"] or 0) > 2]) >= 3, 15,
             what="three running tasks under way")
    rows = browser.rows()
    states = {r["state"] for r in rows}
    assert {"running", "succeeded", "failed", "canceled"} <= states, rows
    browser.js("document.activeElement.blur()")
    light = browser.screenshot(os.path.join(shots, "page.png"))
    browser.color_scheme("dark")
    dark = browser.screenshot(os.path.join(shots, "page-dark.png"))
    bg = browser.js("return getComputedStyle(document.body)"
                    ".backgroundColor")
    assert bg != "rgb(245, 246, 248)", "dark mode did not apply: " + bg
    browser.color_scheme("light")
    browser.find('li[data-id="%d"] a.task-open' % talk).click()
    wait_for(lambda: browser.js("return document.querySelectorAll("
                                "'#d-log .line').length") >= 6, 10,
             what="some log in the details")
    details = browser.screenshot(os.path.join(shots, "page-details.png"))
    for path in (light, dark, details):
        assert os.path.getsize(path) > 20000, path
