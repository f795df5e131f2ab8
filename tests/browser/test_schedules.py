"""Schedules on the page: made from a kind's form with a live preview of
the next runs, listed with their next run, paused and resumed, run now
and deleted, as a person does it."""

import os
from urllib.parse import quote

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from fixtures import KINDS, network_error, wait_for

KINDS = KINDS   # the module's server serves these

# The Schedules list as a person sees it.
LIST_JS = """
return Array.from(document.querySelectorAll('#schedules > li'), li => {
  const q = s => li.querySelector(s);
  const t = q('.sched-next time'), a = q('.sched-last a');
  return {id: Number(li.dataset.id), name: q('.sched-name').textContent,
          state: q('.state-text').textContent,
          when: q('.sched-when').textContent,
          next: q('.sched-next').textContent,
          next_at: t ? t.dateTime : null,
          last: a ? a.getAttribute('href') : null,
          pause: q('.s-pause').textContent};
});
"""

PREVIEW_JS = """
const p = document.querySelector('form[data-kind=count] .sched-preview');
return {times: Array.from(p.querySelectorAll('time'), t => t.dateTime),
        text: p.textContent,
        error: (p.querySelector('.field-error') || {}).textContent || null};
"""


def listed(browser):
    return browser.js(LIST_JS)


def entry(browser, sid, cond=lambda e: True, what=None):
    def check():
        e = next((e for e in listed(browser) if e["id"] == sid), None)
        return e if e is not None and cond(e) else None
    return wait_for(check, 10, interval=0.02,
                    what=what or "schedule %d in the list" % sid)


def preview(srv, cron, zone):
    r = srv.get("/api/schedules/preview?cron=%s&timezone=%s"
                % (quote(cron), quote(zone)))
    assert r.status == 200, r
    return r.json["next_runs"]


def make(srv, name, cron="0 3 1 1 *", zone="Europe/Paris"):
    """A schedule of count; by default one that does not run during a
    test, whatever the time of day."""
    r = srv.post("/api/schedules", {"kind": "count", "name": name,
                                    "params": {"total": 3, "delay_ms": 0},
                                    "cron": cron, "timezone": zone})
    assert r.status == 201, r
    return r.json


def clean(srv):
    for s in srv.get("/api/schedules").json["schedules"]:
        srv.delete("/api/schedules/%d" % s["id"])


def type_into(el, text):
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(Keys.DELETE)
    el.send_keys(text)


def test_create_from_a_form_with_a_live_preview(srv, browser):
    browser.allow(r"/api/schedules(/preview)?\S* - Failed to load resource"
                  r": the server responded with a status of 422",
                  "the wrong cron and zone this test types")
    browser.open(srv)
    assert "No schedules yet" in browser.find("#schedules-empty").text
    form = browser.fill("count", {"total": 7, "delay_ms": 0})
    toggle = form.find_element(By.CSS_SELECTOR, "button.sched-toggle")
    assert toggle.text == "Schedule…"
    toggle.click()
    cron = form.find_element(By.CSS_SELECTOR, "input[name=cron]")
    zone = form.find_element(By.CSS_SELECTOR, "input[name=timezone]")
    assert browser.js("return document.activeElement.name") == "cron"
    assert zone.get_attribute("value") == browser.js(
        "return Intl.DateTimeFormat().resolvedOptions().timeZone")
    submit = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
    assert submit.text == "Save schedule", submit.text
    # Every input of the schedule has its label.
    for name in ("cron", "timezone", "overlap"):
        el = form.find_element(By.CSS_SELECTOR, '[name="%s"]' % name)
        assert browser.find('label[for="%s"]' % el.get_attribute("id"))
    type_into(zone, "Europe/Paris")
    cron.send_keys("0 3 * * *")
    want = preview(srv, "0 3 * * *", "Europe/Paris")
    got = wait_for(lambda: (lambda p: p if p["times"] else None)(
        browser.js(PREVIEW_JS)), 5, what="the three next runs")
    assert got["times"] == want and len(want) == 3, (got, want)
    # Wrong: the error names the field, in place of the runs.
    type_into(cron, "61 3 * * *")
    got = wait_for(lambda: (lambda p: p if p["error"] else None)(
        browser.js(PREVIEW_JS)), 5, what="the preview's error")
    assert "minute" in got["error"] and got["error"].startswith("cron:"), got
    assert got["times"] == [], got
    type_into(cron, "30 4 * * 1-5")
    want = preview(srv, "30 4 * * 1-5", "Europe/Paris")
    wait_for(lambda: browser.js(PREVIEW_JS)["times"] == want, 5,
             what="the fixed expression's runs")
    form.find_element(By.CSS_SELECTOR, "input.task-label").send_keys(
        "weekday report")
    # A zone the server does not know: its error by its field, and no
    # schedule.
    type_into(zone, "Mars/Olympus")
    submit.click()
    err = wait_for(lambda: browser.js(
        "const e = document.querySelector('form[data-kind=count] "
        ".field-timezone .field-error'); return e.hidden ? null : "
        "e.textContent"), 5, what="the timezone's error")
    assert err.startswith("timezone: unknown time zone"), err
    assert srv.get("/api/schedules").json["schedules"] == []
    type_into(zone, "Europe/Paris")
    cron.send_keys(Keys.ENTER)      # Enter in the cron saves, too
    e = wait_for(lambda: next((e for e in listed(browser)
                               if e["name"] == "weekday report"), None),
                 5, what="the new schedule in the list")
    s = srv.get("/api/schedules/%d" % e["id"]).json
    assert (s["kind"], s["cron"], s["timezone"], s["overlap"]) == \
        ("count", "30 4 * * 1-5", "Europe/Paris", "skip"), s
    assert s["params"] == {"total": 7, "delay_ms": 0}, s
    assert e["next_at"] == s["next_run_at"] == want[0], (e, s)
    assert e["state"] == "scheduled" and "30 4 * * 1-5" in e["when"], e
    assert "Europe/Paris" in e["when"], e
    assert browser.find("#schedules-empty").is_displayed() is False
    # The form is back to Start.
    assert submit.text == "Start" and toggle.text == "Schedule…"
    clean(srv)


def test_pause_resume_run_now_and_delete(srv, browser):
    s = make(srv, "nightly")
    sid = s["id"]
    button = '#schedules li[data-id="%d"] %%s' % sid
    browser.open(srv)
    e = entry(browser, sid, lambda e: e["next_at"])
    assert e["next_at"] == s["next_run_at"] and e["pause"] == "Pause", e
    assert e["last"] is None, e
    # Pause: paused, with no next run.
    browser.find(button % ".s-pause").click()
    e = entry(browser, sid, lambda e: e["state"] == "paused",
              what="it to show paused")
    assert e["next_at"] is None and "Paused" in e["next"], e
    assert e["pause"] == "Resume", e
    assert srv.get("/api/schedules/%d" % sid).json["paused"] is True
    # Resume: a next run again.
    browser.find(button % ".s-pause").click()
    e = entry(browser, sid, lambda e: e["state"] == "scheduled"
              and e["next_at"], what="a next run again")
    assert e["next_at"] == srv.get("/api/schedules/%d" % sid) \
        .json["next_run_at"], e
    # Run now: a task in the task list, and the last task links to it.
    before = set(srv.task_ids())
    browser.find(button % ".s-run").click()
    tid = wait_for(lambda: (set(srv.task_ids()) - before or {0}).pop(),
                   5, what="the task Run now made")
    assert srv.task(tid)["schedule"] == sid
    browser.wait_row(tid, what="the new task in the task list")
    e = entry(browser, sid, lambda e: e["last"])
    assert e["last"] == "#task-%d" % tid, e
    browser.find(button % ".sched-last a").click()
    title = wait_for(lambda: browser.js(
        "const d = document.querySelector('#details'); return d.open && "
        "d.querySelector('#d-title').textContent"), 5,
        what="the task's details")
    assert title == "nightly #%d" % tid, title
    facts = browser.find("#d-facts").text
    assert "schedule #%d" % sid in facts, facts
    browser.find("#d-close").click()
    # A run made elsewhere: its task's event brings the list up to date.
    t = srv.post("/api/schedules/%d/run" % sid).json
    entry(browser, sid, lambda e: e["last"] == "#task-%d" % t["id"],
          what="the list to follow the other run's task")
    # Delete: gone from the list and from the server, and said so.
    browser.find(button % ".s-delete").click()
    wait_for(lambda: all(e["id"] != sid for e in listed(browser)), 5,
             what="the schedule to leave the list")
    assert srv.get("/api/schedules/%d" % sid).status == 404
    assert srv.get("/api/schedules").json["schedules"] == []
    assert browser.find("#schedules-empty").is_displayed()
    assert "Deleted the schedule nightly" in browser.find("#s-status").text
    assert browser.js("return document.activeElement.id") == "schedules-h"


def schedule_in_form(browser, kind, cron):
    form = browser.form(kind)
    form.find_element(By.CSS_SELECTOR, "button.sched-toggle").click()
    form.find_element(By.CSS_SELECTOR, "input[name=cron]").send_keys(cron)
    return form


def test_screenshots_light_dark_and_phone(srv, browser, shots):
    make(srv, "nightly backup", "0 3 * * *")
    paused = make(srv, "weekly report", "0 9 * * mon", "America/New_York")
    srv.post("/api/schedules/%d/pause" % paused["id"])
    browser.allow(network_error("/api/schedules/preview", 422),
                  "the wrong cron typed for the picture")
    browser.size(1280, 1000)
    browser.open(srv)
    wait_for(lambda: len(listed(browser)) == 2, 5, what="both schedules")
    schedule_in_form(browser, "render", "*/15 9-17 * * 1-5")
    wait_for(lambda: browser.js(
        "return document.querySelectorAll('form[data-kind=render] "
        ".sched-preview time').length") == 3, 5, what="the preview")
    browser.js("document.activeElement.blur(); document.querySelector("
               "'form[data-kind=render] .form-foot')"
               ".scrollIntoView({block: 'nearest'})")
    paths = [browser.screenshot(os.path.join(shots, "schedules.png"))]
    browser.color_scheme("dark")
    paths.append(browser.screenshot(os.path.join(shots,
                                                 "schedules-dark.png")))
    browser.color_scheme("light")
    browser.phone()
    browser.js("window.scrollTo(0, 0)")
    schedule_in_form(browser, "count", "61 * * * *")
    wait_for(lambda: browser.js(PREVIEW_JS)["error"], 5,
             what="the preview's error")
    browser.js("document.activeElement.blur()")
    over = browser.js("return document.documentElement.scrollWidth - "
                      "document.documentElement.clientWidth")
    paths.append(browser.screenshot(os.path.join(shots,
                                                 "schedules-phone.png")))
    browser.js("document.querySelector('#schedules-h').scrollIntoView()")
    paths.append(browser.screenshot(os.path.join(
        shots, "schedules-phone-list.png")))
    assert over <= 0, "the page is %d px wider than a phone" % over
    for path in paths:
        assert os.path.getsize(path) > 20000, path
    clean(srv)
