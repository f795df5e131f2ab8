"""Run again: a finished task's button starts a new one like it, which
appears at once and runs; the new task's details link to the original."""

from fixtures import KINDS, wait_for

KINDS = KINDS   # the module's server serves these

DETAILS_JS = """
const d = document.querySelector('#details');
const a = d.querySelector('#d-facts a.fact-link');
return {open: d.open, title: d.querySelector('#d-title').textContent,
        facts: d.querySelector('#d-facts').textContent,
        link: a ? a.getAttribute('href') : null,
        linkText: a ? a.textContent : null};
"""


def details(browser):
    return browser.js(DETAILS_JS)


def finished_task(srv, browser, total=3):
    tid = srv.create("count", {"total": total, "delay_ms": 0},
                     name="again")["id"]
    browser.wait_row(tid, lambda r: r["state"] == "succeeded"
                     and r["rerun"] and r["remove"], what="it to finish")
    return tid


def new_task(srv, before):
    return wait_for(lambda: (set(srv.task_ids()) - before or {0}).pop(),
                    10, what="the task Run again started")


def test_run_again_on_a_card_starts_a_like_task_that_runs(srv, browser):
    browser.open(srv)
    old = finished_task(srv, browser, total=20)
    before = set(srv.task_ids())
    browser.find('li[data-id="%d"] button.rerun' % old).click()
    tid = new_task(srv, before)
    t = srv.task(tid)
    assert t["rerun_of"] == old and t["name"] == "again", t
    assert t["params"] == {"total": 20, "delay_ms": 0}, t
    first = browser.wait_row(tid, timeout=2, what="the new card at once")
    assert first["name"] == "again", first
    end = browser.wait_row(tid, lambda r: r["state"] == "succeeded",
                           what="the new task to succeed")
    assert end["value"] == 100 and end["rerun"], end
    # The original stays as it was.
    assert browser.row(old)["state"] == "succeeded"


def test_active_task_has_no_run_again(srv, browser):
    browser.open(srv)
    tid = srv.create("count", {"total": 100000, "delay_ms": 50})["id"]
    try:
        r = browser.wait_row(tid, lambda r: r["state"] == "running",
                             what="it to run")
        assert r["stop"] and not r["rerun"] and not r["remove"], r
    finally:
        srv.stop_task(tid)


def test_rerun_details_link_back_to_the_original(srv, browser):
    browser.open(srv)
    old = finished_task(srv, browser)
    r = srv.post("/api/tasks/%d/rerun" % old)
    assert r.status == 201, r
    tid = r.json["id"]
    browser.wait_row(tid, what="the rerun's card")
    browser.find('li[data-id="%d"] .task-open' % tid).click()
    d = wait_for(lambda: (lambda d: d if d["open"] and d["link"]
                          else None)(details(browser)), 5,
                 what="the rerun's details with their link")
    assert "Run again of#%d" % old in d["facts"], d
    assert d["link"] == "#task-%d" % old and d["linkText"] == "#%d" % old
    browser.find("#d-facts a.fact-link").click()
    wait_for(lambda: details(browser)["title"] == "again #%d" % old, 5,
             what="the original's details")
    assert details(browser)["link"] is None, details(browser)


def test_run_again_in_the_details_goes_on_to_the_new_task(srv, browser):
    browser.open(srv)
    old = finished_task(srv, browser)
    browser.find('li[data-id="%d"] .task-open' % old).click()
    wait_for(lambda: details(browser)["title"] == "again #%d" % old, 5,
             what="the details")
    before = set(srv.task_ids())
    browser.find("#d-task button.rerun").click()
    tid = new_task(srv, before)
    # The title, then its facts: the link back comes with the facts.
    wait_for(lambda: details(browser)["title"] == "again #%d" % tid and
             details(browser)["link"] is not None, 5,
             what="the new task's details with their link")
    assert details(browser)["link"] == "#task-%d" % old, details(browser)
    browser.wait_row(tid, lambda r: r["state"] == "succeeded",
                     what="the new task to succeed")


def test_run_again_error_is_shown_as_a_notice(srv, browser):
    browser.open(srv)
    old = finished_task(srv, browser)
    # A card whose task the server does not have: the rerun is a 404.
    browser.allow(r"/rerun", "the 404 this test provokes")
    browser.js("""
        const b = document.querySelector('li[data-id="%d"] button.rerun');
        b.closest('li').dataset.id = '999999';""" % old)
    browser.find('li[data-id="999999"] button.rerun').click()
    text = wait_for(lambda: browser.js(
        "const n = document.querySelector('#notice');"
        "return n.hidden ? null : n.textContent;"), 5,
        what="the notice")
    assert text.startswith("Could not run #999999 again: "), text
    assert "999999" in text[len("Could not run #999999 again: "):], text
