"""Two shapes of task on the page: an external kind, whose worker reports
from elsewhere with a token the page shows once, and a kind that runs only
while watched (an open page watches it). The test process plays the
worker, with urllib, through real nginx."""

import json
import os
import re
import time
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from fixtures import (allow_clipboard, copied, finished, wait_for,
                      watch)

WINDOW = 2      # s, while_watched_s of "preview"

# remote: an external kind as the brief has it; silent: one whose
# heartbeat runs out at once, to see "lost" on the page; preview: a
# builtin count that lives while watched.
KINDS = {"kinds": [
    {"name": "remote", "external": True,
     "description": "Trains a model on the cluster",
     "params": {"epochs": {"type": "integer", "min": 1, "max": 1000,
                           "default": 10}},
     "heartbeat_s": 30, "grace_s": 30},
    {"name": "preview", "builtin": "count", "while_watched_s": WINDOW,
     "description": "Renders a preview while someone looks",
     "params": {"total": {"type": "integer", "min": 1, "max": 1000000,
                          "default": 100000},
                "delay_ms": {"type": "integer", "min": 0, "max": 60000,
                             "default": 50}}},
    {"name": "silent", "external": True,
     "description": "A worker that falls silent",
     "heartbeat_s": 1, "grace_s": 1},
]}

HEX64 = re.compile(r"^[0-9a-f]{64}$")

# The notices by a kind's form, as the user sees them.
NOTICES_JS = """
return Array.from(document.querySelectorAll(
        'details:has(form[data-kind="' + arguments[0] + '"]) .report'))
  .filter(n => n.offsetParent !== null)
  .map(n => {
    const q = s => n.querySelector(s);
    const t = s => q(s) ? q(s).textContent : null;
    return {task: Number(n.dataset.task), text: n.textContent,
            title: t('.report-title'), url: t('.report-url'),
            token: t('.report-token'), curl: t('.report-curl'),
            focused: n.contains(document.activeElement)};
  });
"""


def start(browser, srv, kind, values=None):
    """Fills the kind's form and clicks Start, as a user; returns the id
    of the task it started."""
    before = set(srv.task_ids())
    form = browser.fill(kind, values or {})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    return wait_for(lambda: (set(srv.task_ids()) - before or {0}).pop(),
                    10, what="the task the %s form started" % kind)


def notices(browser, kind):
    return browser.js(NOTICES_JS, kind)


def wait_notice(browser, kind, tid):
    return wait_for(lambda: next((n for n in notices(browser, kind)
                                  if n["task"] == tid), None), 10,
                    what="the report notice of #%d" % tid)


def report(url, token, body, ctype="text/plain"):
    """One report, as a worker on another machine sends it."""
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200, r.status
        return json.loads(r.read())


def kind_tags(browser):
    return browser.js("""
        const out = {};
        for (const d of document.querySelectorAll('#kinds details'))
            out[d.querySelector('form').dataset.kind] = {
                tags: Array.from(d.querySelectorAll('.kind-tag'),
                                 t => t.textContent),
                notes: Array.from(d.querySelectorAll('.kind-note'),
                                  t => t.textContent)};
        return out;""")


def test_kinds_say_they_run_elsewhere_or_while_watched(srv, browser):
    browser.open(srv)
    tags = kind_tags(browser)
    assert tags["remote"]["tags"] == ["runs elsewhere"], tags
    assert tags["silent"]["tags"] == ["runs elsewhere"], tags
    assert tags["preview"]["tags"] == ["runs while watched (2 s)"], tags
    assert "URL and a token" in tags["remote"]["notes"][0], tags
    assert "2 s after the last watcher leaves" in \
        tags["preview"]["notes"][0], tags
    # The tags are in the summary: a folded form still shows them.
    shown = browser.js("""
        return Array.from(document.querySelectorAll('#kinds details'),
            d => { d.open = false; return Array.from(d.querySelectorAll(
                '.kind-tag'), t => t.offsetParent !== null); }).flat();""")
    assert shown and all(shown), shown


def test_external_task_shows_its_token_once_and_moves_with_reports(
        srv, browser):
    browser.open(srv)
    tid = start(browser, srv, "remote", {"epochs": 3})
    n = wait_notice(browser, "remote", tid)
    origin = "http://127.0.0.1:%d" % srv.port
    url = "%s/api/tasks/%d/report" % (origin, tid)
    token = n["token"]
    assert n["url"] == url, n
    assert HEX64.match(token), n
    assert "shown only this once" in n["text"], n
    assert "#%d" % tid in n["title"], n
    assert n["focused"], "the notice did not take the focus: %s" % n
    # The curl example, word for word, reports as it says.
    assert n["curl"] == (
        "curl -X POST '%s' \\\n"
        "  -H 'Authorization: Bearer %s' \\\n"
        "  -H 'Content-Type: text/plain' \\\n"
        "  --data-binary 'PROGRESS 1/10'" % (url, token)), n["curl"]
    # The token is in the notice and nowhere else on the page.
    elsewhere = browser.js("""
        const c = document.documentElement.cloneNode(true);
        for (const n of c.querySelectorAll('.report')) n.remove();
        return c.outerHTML.includes(arguments[0])
            || JSON.stringify(sessionStorage).includes(arguments[0])
            || JSON.stringify(localStorage).includes(arguments[0]);""",
                           token)
    assert not elsewhere, "the token is elsewhere on the page too"
    row = browser.wait_row(tid)
    assert row["state"] == "queued" and row["list"] == "active", row
    assert "worker" in row["message"], row
    assert srv.task(tid)["state"] == "queued"

    # The worker's reports move the row live.
    assert report(url, token, "starting on node-7\nPROGRESS 3/10 epoch 1") \
        == {"stop": False}
    r = browser.wait_row(tid, lambda r: r["state"] == "running"
                         and r["pct"] == "30%", timeout=5,
                         what="the row to show running at 30%")
    assert r["value"] == 30 and r["message"] == "epoch 1", r
    assert r["stop"] and r["list"] == "active", r
    assert report(url, token, "PROGRESS 7/10 epoch 2") == {"stop": False}
    r = browser.wait_row(tid, lambda r: r["pct"] == "70%", timeout=5,
                         what="the row to show 70%")
    assert r["value"] == 70 and r["message"] == "epoch 2", r
    assert report(url, token, '{"complete":1,"code":0}') == {"stop": False}
    end = watch(browser, tid, finished, timeout=5)[-1]
    assert end["state"] == "succeeded" and end["list"] == "recent", end
    assert end["remove"] and not end["stop"], end
    assert srv.task(tid)["state"] == "succeeded"

    # The notice stays until dismissed; Dismiss takes it, and the token,
    # off the page, and gives the focus back to the form.
    assert [x["task"] for x in notices(browser, "remote")] == [tid]
    browser.find('.report[data-task="%d"] .report-dismiss' % tid).click()
    wait_for(lambda: notices(browser, "remote") == [], 5,
             what="the notice to go")
    assert token not in browser.driver.page_source
    assert browser.js("return document.activeElement.matches("
                      "'form[data-kind=remote] button[type=submit]')")
    # After a reload the token is nowhere: not in the page, not stored.
    browser.open(srv)
    browser.wait_row(tid, lambda r: r["state"] == "succeeded")
    assert token not in browser.driver.page_source
    assert not browser.js("""
        return document.documentElement.outerHTML.includes(arguments[0])
            || JSON.stringify(sessionStorage).includes(arguments[0])
            || JSON.stringify(localStorage).includes(arguments[0]);""",
                          token)
    assert notices(browser, "remote") == []


def test_run_again_of_an_external_task_shows_its_new_token(srv, browser):
    browser.open(srv)
    old = srv.post("/api/tasks", {"kind": "remote", "params": {"epochs": 2}})
    assert old.status == 201, old
    old = old.json
    srv.stop_task(old["id"])
    browser.wait_row(old["id"], lambda r: r["rerun"], what="Run again")
    # Folded, as a kind's box is on a phone: the notice opens it.
    browser.js("document.querySelector('form[data-kind=\"remote\"]')"
               ".closest('details').open = false;")
    before = set(srv.task_ids())
    browser.find('li[data-id="%d"] button.rerun' % old["id"]).click()
    tid = wait_for(lambda: (set(srv.task_ids()) - before or {0}).pop(),
                   10, what="the task Run again started")
    n = wait_notice(browser, "remote", tid)
    assert HEX64.match(n["token"]), n
    assert n["token"] != old["report"]["token"], n
    assert n["focused"], n
    url = "http://127.0.0.1:%d/api/tasks/%d/report" % (srv.port, tid)
    assert n["url"] == url, n
    assert report(url, n["token"], '{"complete":1,"code":0}') == \
        {"stop": False}
    assert srv.wait_finished(tid)["state"] == "succeeded"
    assert srv.task(tid)["rerun_of"] == old["id"]
    browser.find('.report[data-task="%d"] .report-dismiss' % tid).click()


def test_notice_by_keyboard_copy_and_dismiss(srv, browser):
    allow_clipboard(browser, srv)
    browser.open(srv)
    before = set(srv.task_ids())
    epochs = browser.find("form[data-kind=remote] [name=epochs]")
    epochs.send_keys(Keys.CONTROL, "a")
    epochs.send_keys("2", Keys.ENTER)
    tid = wait_for(lambda: (set(srv.task_ids()) - before or {0}).pop(), 10,
                   what="Enter to start the task")
    n = wait_notice(browser, "remote", tid)
    assert n["focused"], n
    # Tab goes through the copy buttons: URL, token, curl, Dismiss.
    active = browser.driver.switch_to.active_element
    labels = []
    for _ in range(4):
        active.send_keys(Keys.TAB)
        active = browser.driver.switch_to.active_element
        labels.append(active.get_attribute("aria-label"))
    assert labels[:3] == ["Copy the report URL", "Copy the token",
                          "Copy the curl example"], labels
    assert labels[3].startswith("Dismiss"), labels
    # The token's Copy, with Enter: copied (the page has the
    # permission) or, where the browser refuses, selected.
    browser.find('.report[data-task="%d"] .report-token + .copy'
                 % tid).send_keys(Keys.ENTER)
    said, got = copied(browser, "return document.querySelector("
                       "'.report[data-task=\"%d\"] .report-status')"
                       ".textContent" % tid, "the token")
    assert got == n["token"], (said, got)
    # Enter on Dismiss closes it; the focus goes back to Start.
    browser.find('.report[data-task="%d"] .report-dismiss' % tid) \
        .send_keys(Keys.ENTER)
    wait_for(lambda: notices(browser, "remote") == [], 5,
             what="the notice to go")
    assert browser.js("return document.activeElement.matches("
                      "'form[data-kind=remote] button[type=submit]')")
    srv.post("/api/tasks/%d/stop" % tid)
    assert srv.wait_finished(tid)["state"] == "canceled"


# Before the page's script: the answer to the first create is lost on
# the way back (the server made the task; the page sees a network error),
# so the page retries with the same Idempotency-Key.
LOSE_FIRST_CREATE_JS = """
const fetch0 = window.fetch;
let lost = false;
window.fetch = async function (input, init) {
    const r = await fetch0.apply(this, arguments);
    if (!lost && init && init.method === 'POST'
            && String(input).endsWith('/api/tasks')) {
        lost = true;
        throw new TypeError('Failed to fetch (the test lost it)');
    }
    return r;
};
"""


def test_a_create_answered_twice_says_the_token_is_gone(srv, browser,
                                                        shots):
    browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                   {"source": LOSE_FIRST_CREATE_JS})
    browser.open(srv)
    before = set(srv.task_ids())
    tid = start(browser, srv, "remote")
    n = wait_notice(browser, "remote", tid)
    assert set(srv.task_ids()) - before == {tid}, "started twice"
    # The repeat answers without the token: the notice says so, and
    # what to do, instead of showing a token that is not there.
    assert n["token"] is None and n["url"] is None, n
    assert "no token" in n["title"], n
    assert "Stop it and start another" in n["text"], n
    assert browser.wait_row(tid)["state"] == "queued"
    browser.screenshot(os.path.join(shots, "notice-no-token.png"))
    browser.find('li[data-id="%d"] button.stop' % tid).click()
    browser.wait_row(tid, lambda r: r["state"] == "canceled", timeout=5)
    browser.find('.report[data-task="%d"] .report-dismiss' % tid).click()
    wait_for(lambda: notices(browser, "remote") == [], 5,
             what="the notice to go")


def test_while_watched_task_lives_while_the_page_is_open(srv, browser):
    browser.open(srv)
    tid = start(browser, srv, "preview")
    srv.wait_task(tid, lambda t: t["state"] == "running"
                  and t["progress"]["value"] >= 1, what="a first step")
    # More than two windows: the open page keeps it alive all along.
    deadline = time.monotonic() + 2.5 * WINDOW
    while time.monotonic() < deadline:
        t = srv.task(tid)
        assert t["state"] == "running", t
        time.sleep(0.25)
    assert browser.row(tid)["state"] == "running"
    # The page goes; within its window (and the server's once-a-second
    # check, and the stop) the task ends canceled, unwatched. Chromium
    # may keep the page alive in its back-forward cache: the page must
    # end its stream all the same.
    browser.js("window.__was_here = true")
    browser.driver.get("about:blank")
    left = time.monotonic()
    t = srv.wait_finished(tid, timeout=10)
    took = time.monotonic() - left
    assert t["state"] == "canceled", t
    assert t["error"]["code"] == "unwatched", t
    assert took >= WINDOW - 1, "canceled %.1f s after the page left" % took
    # Back on the page, it shows as other errors do: the page comes back
    # from that cache (or loads again) and catches up.
    browser.driver.back()
    r = browser.wait_row(tid, lambda r: r["state"] == "canceled",
                         timeout=10, what="the row to catch up")
    restored = browser.js("return window.__was_here === true")
    wait_for(lambda: browser.mode() == "live", 10,
             what="the page to be live again (restored: %s)" % restored)
    assert r["list"] == "recent", r
    assert r["message"] == t["error"]["message"], r
    assert "nobody watched" in r["message"], r
    assert error_shown(browser, tid), r


def error_shown(browser, tid):
    """Whether the row's message is drawn as an error."""
    return browser.js("return document.querySelector('li[data-id=\"%d\"] "
                      ".message').classList.contains('is-error')" % tid)


def test_a_silent_worker_shows_lost(srv, browser):
    browser.open(srv)
    tid = start(browser, srv, "silent")
    n = wait_notice(browser, "silent", tid)
    assert report(n["url"], n["token"], "PROGRESS 1/4 began") == \
        {"stop": False}
    browser.wait_row(tid, lambda r: r["state"] == "running"
                     and r["pct"] == "25%", timeout=5,
                     what="the row to run at 25%")
    # heartbeat_s 1: no more reports, and it is lost.
    r = browser.wait_row(tid, lambda r: r["state"] == "lost", timeout=10,
                         what="the row to show lost")
    t = srv.task(tid)
    assert t["error"]["code"] == "lost", t
    assert r["message"] == t["error"]["message"], r
    assert error_shown(browser, tid), r
    assert r["list"] == "recent" and r["remove"], r
    assert r["pct"] == "25%", r     # where it stood


def in_view(browser, css):
    """Whether the element's top is within the window, and not hidden
    by an ancestor that scrolls."""
    return browser.js("""
        const e = document.querySelector(arguments[0]);
        if (!e) return false;
        const r = e.getBoundingClientRect();
        const x = r.left + Math.min(10, r.width / 2), y = r.top + 5;
        return r.top >= 0 && r.top < innerHeight - 20
            && e.contains(document.elementFromPoint(x, y));""", css)


def test_screenshots_of_the_notice_light_dark_and_phone(srv, browser,
                                                         shots):
    # A list longer than the window: the notice by the form must still
    # come into view (the forms' column stays beside the list).
    for i in range(25):
        srv.create("preview", {"total": 1, "delay_ms": 0})
    srv.wait_idle()
    browser.size(1280, 1000)
    browser.open(srv)
    browser.js("window.scrollTo(0, document.body.scrollHeight)")
    tid = start(browser, srv, "remote")
    n = wait_notice(browser, "remote", tid)
    wait_for(lambda: in_view(browser, '.report[data-task="%d"]' % tid), 5,
             what="the notice to be in view")
    # Scrolled half-way down the list, all of the forms' column can
    # still be reached: it ends within the window, or scrolls itself.
    browser.js("window.scrollTo(0, document.body.scrollHeight / 2)")
    column = browser.js("""
        const s = document.querySelector('.start');
        const r = s.getBoundingClientRect();
        return {bottom: r.bottom, height: innerHeight, y: scrollY,
                scrolls: s.scrollHeight > s.clientHeight
                    && getComputedStyle(s).overflowY === 'auto'};""")
    assert column["y"] > 0, column
    assert column["bottom"] <= column["height"] or column["scrolls"], \
        "the end of the forms' column is out of reach: %s" % column
    browser.js("document.querySelector('.report[data-task=\"%d\"]')"
               ".scrollIntoView({block: 'nearest'})" % tid)
    report(n["url"], n["token"], "PROGRESS 2/10 epoch 1")
    browser.wait_row(tid, lambda r: r["pct"] == "20%", timeout=5)
    browser.js("document.activeElement.blur()")
    paths = [browser.screenshot(os.path.join(shots, "notice.png"))]
    browser.color_scheme("dark")
    paths.append(browser.screenshot(os.path.join(shots,
                                                 "notice-dark.png")))
    bg = browser.js("return getComputedStyle(document.querySelector("
                    "'.report')).backgroundColor")
    assert bg != "rgb(255, 255, 255)", "dark mode did not apply: " + bg
    browser.color_scheme("light")
    # A phone: the notice wraps, the page does not scroll sideways.
    report(n["url"], n["token"], '{"complete":1,"code":0}')
    browser.phone()
    browser.open(srv)
    tid2 = start(browser, srv, "remote")
    wait_notice(browser, "remote", tid2)
    assert in_view(browser, '.report[data-task="%d"] .report-title'
                   % tid2), "the notice is out of view on a phone"
    browser.js("document.activeElement.blur()")
    over = browser.js("return document.documentElement.scrollWidth - "
                      "document.documentElement.clientWidth")
    paths.append(browser.screenshot(os.path.join(shots,
                                                 "notice-phone.png")))
    assert over <= 0, "the page is %d px wider than a phone" % over
    for path in paths:
        assert os.path.getsize(path) > 20000, path
    srv.post("/api/tasks/%d/stop" % tid2)     # queued: canceled at once
    assert srv.wait_finished(tid2)["state"] == "canceled"
    assert srv.task(tid)["state"] == "succeeded"
