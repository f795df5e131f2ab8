"""Dependencies on the page: a task made "after" others says "waiting for
#12, #13" on its card, each a link that opens that task's details; the
line goes once it is released."""

from fixtures import KINDS, wait_for

KINDS = KINDS   # the module's server serves these

LONG = {"total": 100000, "delay_ms": 50}

WAIT_JS = """
const p = document.querySelector('li[data-id="%d"] .task-wait');
return p ? {hidden: p.hidden, text: p.textContent,
            links: [...p.querySelectorAll('a.wait-link')].map(
                (a) => [a.textContent, a.getAttribute('href')])} : null;
"""

TITLE_JS = """
const d = document.querySelector('#details');
return d.open ? d.querySelector('#d-title').textContent : null;
"""


def wait_line(browser, tid):
    return browser.js(WAIT_JS % tid)


def test_waiting_task_names_its_parents_and_each_link_opens_one(srv,
                                                                 browser):
    browser.open(srv)
    a = srv.create("count", LONG, name="first")["id"]
    b = srv.create("count", LONG, name="second")["id"]
    r = srv.post("/api/tasks", {"kind": "count", "name": "third",
                                "params": {"total": 1, "delay_ms": 0},
                                "after": [a, b]})
    assert r.status == 201, r
    c = r.json["id"]
    try:
        line = wait_for(lambda: (lambda w: w if w and not w["hidden"]
                                 else None)(wait_line(browser, c)), 5,
                        what="the waiting line on the card")
        assert line["text"] == "waiting for #%d, #%d" % (a, b), line
        assert line["links"] == [["#%d" % a, "#task-%d" % a],
                                 ["#%d" % b, "#task-%d" % b]], line
        browser.find('li[data-id="%d"] a.wait-link[href="#task-%d"]'
                     % (c, b)).click()
        wait_for(lambda: browser.js(TITLE_JS) == "second #%d" % b, 5,
                 what="the parent's details")
        browser.find("#d-close").click()
        # a is stopped: c ends canceled, and its line goes.
        srv.stop_task(a)
        t = srv.wait_finished(c)
        assert t["state"] == "canceled", t
        assert t["error"] == {"code": "dependency_failed",
                              "message": "task %d ended canceled" % a}, t
        wait_for(lambda: (lambda w: w if w and w["hidden"] else None)(
            wait_line(browser, c)), 5, what="the waiting line to go")
    finally:
        srv.stop_task(a)
        srv.stop_task(b)


START_JS = """
const done = arguments[arguments.length - 1];
import('/hourglass.js').then(async ({ Hourglass }) => {
    const hg = new Hourglass({ base: '' });
    const t = await hg.start('count', { total: 1, delay_ms: 0 },
                             { after: arguments[0] });
    const bad = await hg.start('count', {}, { after: [] })
        .catch((e) => ({ code: e.code, message: e.message }));
    done({ task: t, bad: bad });
}).catch((e) => done({ failed: String(e) }));
"""


def test_hourglass_js_start_passes_after(srv, browser):
    browser.open(srv)
    a = srv.create("count", LONG)["id"]
    browser.allow(r"/api/tasks - Failed to load resource.*400",
                  "the refusal this test provokes")
    try:
        out = browser.driver.execute_async_script(START_JS, [a])
        assert "failed" not in out, out
        assert out["task"]["waiting_for"] == [a], out
        assert out["bad"]["code"] == "invalid_request", out
        assert out["bad"]["message"].startswith("after:"), out
        tid = out["task"]["id"]
    finally:
        srv.stop_task(a)
    t = srv.wait_finished(tid)
    assert t["state"] == "canceled", t
    assert t["error"]["code"] == "dependency_failed", t
