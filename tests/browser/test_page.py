"""The page at /: start, watch, stop and remove tasks, as a user does."""

import os

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from fixtures import (KINDS, finished, log_endpoint_ready, moving_values,
                      network_error, open_polling, wait_for, watch)

KINDS = KINDS   # the module's server serves these


def test_forms_are_built_from_the_kinds_parameters(srv, browser):
    browser.open(srv)
    kinds = [f.get_attribute("data-kind")
             for f in browser.finds("#kinds form")]
    assert kinds == ["count", "render", "talk", "flaky"], kinds
    count = browser.find("#kinds details:has(form[data-kind=count])")
    assert "Counts from 1 to total" in count.text, count.text
    inputs = browser.js("""
        const out = {names: []};
        for (const e of document.querySelector('form[data-kind=render]')
                .elements)
            if (e.name) out.names.push(e.name), out[e.name] = {
                tag: e.tagName.toLowerCase(),
                type: e.type, min: e.min, max: e.max, step: e.step,
                value: e.value, checked: e.checked, required: e.required,
                pattern: e.pattern, maxLength: e.maxLength,
                options: e.options ? Array.from(e.options, o => o.value)
                                   : null};
        return out;""")
    names = inputs.pop("names")     # in the order the kind declares them
    assert names == ["scene", "quality", "scale", "preview", "total",
                     "delay_ms"], names
    scene = inputs["scene"]
    assert scene["type"] == "text" and scene["required"], scene
    assert scene["maxLength"] == 40, scene
    assert scene["pattern"], scene  # a POSIX pattern, made JavaScript
    q = inputs["quality"]
    assert q["tag"] == "select" and q["options"] == ["draft", "final"], q
    assert q["value"] == "draft", q
    sc = inputs["scale"]
    assert (sc["type"], sc["min"], sc["max"], sc["step"], sc["value"]) == \
        ("number", "0.25", "4", "any", "1"), sc
    assert inputs["preview"]["type"] == "checkbox", inputs["preview"]
    assert inputs["preview"]["checked"] is True, inputs["preview"]
    t = inputs["total"]
    assert (t["type"], t["min"], t["max"], t["step"], t["value"]) == \
        ("number", "1", "100000", "1", "240"), t
    assert not t["required"], t     # it has a default
    # Each input has a visible label that names its parameter.
    for name in inputs:
        label = browser.find('form[data-kind=render] label[for="%s"]'
                             % browser.find('form[data-kind=render] '
                                            '[name="%s"]' % name)
                             .get_attribute("id"))
        assert label.text.strip() == name, (name, label.text)
    # The browser checks the pattern as the server does.
    for value, bad in (("Not A Scene", True), ("intro-2", False),
                       ("2intro", True)):
        browser.fill("render", {"scene": value})
        assert browser.js("return document.querySelector("
                          "'form[data-kind=render] [name=scene]').validity"
                          ".patternMismatch") is bad, value


def test_start_from_the_form_fills_the_bar_and_succeeds(srv, browser):
    browser.open(srv)
    before = set(srv.task_ids())
    form = browser.fill("count", {"total": 40, "delay_ms": 50})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    tid = wait_for(lambda: (set(srv.task_ids()) - before or {0}).pop(),
                   10, what="the task the form started")
    t = srv.task(tid)
    assert t["kind"] == "count" and t["params"] == {
        "total": 40, "delay_ms": 50}, t
    seen = watch(browser, tid, finished)
    moved = moving_values(seen)
    assert len(moved) >= 3, "the bar did not move on the way: %s" % moved
    values = [s["value"] for s in seen if s["value"] is not None]
    assert values == sorted(values), "the bar went back: %s" % values
    end = seen[-1]
    assert end["state"] == "succeeded", end
    assert end["value"] == 100 and end["max"] == 100, end
    assert end["pct"] == "100%", end
    assert end["list"] == "recent", end
    assert end["remove"] and not end["stop"], end
    assert end["time"].startswith("took "), end
    running = [s for s in seen if s["state"] == "running"]
    assert running and all(s["stop"] for s in running), running[:3]
    assert any(s["time"].endswith(" s") for s in running), running[-1]


def test_a_task_started_with_curl_appears_and_moves(srv, browser):
    browser.open(srv)
    t = srv.create("count", {"total": 60, "delay_ms": 50}, name="from curl")
    tid = t["id"]
    first = browser.wait_row(tid, what="the task started with curl")
    assert first["name"] == "from curl", first
    assert "total=60" in first["sub"] and "count" in first["sub"], first
    running = browser.wait_row(tid, lambda r: r["state"] == "running",
                               what="it to run")
    assert running["list"] == "active" and running["stop"], running
    wait_for(lambda: browser.driver.title == "(1) Hourglass", 5,
             what="the title to count one running task")
    seen = watch(browser, tid, finished)
    assert len(moving_values(seen)) >= 3, moving_values(seen)
    assert any(" left" in s["time"] for s in seen), \
        "no estimate of the time left: %s" % seen[-5:]
    assert seen[-1]["state"] == "succeeded" and seen[-1]["value"] == 100
    wait_for(lambda: browser.driver.title == "Hourglass", 5,
             what="the title to count none")


def test_stop_from_the_page_cancels_at_once(srv, browser):
    browser.open(srv)
    tid = srv.create("count", {"total": 100000, "delay_ms": 50})["id"]
    browser.wait_row(tid, lambda r: r["state"] == "running"
                     and (r["value"] or 0) > 0, what="it to run")
    browser.find('li[data-id="%d"] button.stop' % tid).click()
    try:
        alert = browser.driver.switch_to.alert
        raise AssertionError("Stop asked first: %r" % alert.text)
    except NoAlertPresentException:
        pass
    r = browser.wait_row(tid, lambda r: r["state"] == "canceled",
                         timeout=5, what="it to show canceled")
    assert r["list"] == "recent" and r["remove"] and not r["stop"], r
    assert srv.task(tid)["state"] == "canceled"


def test_remove_forgets_a_finished_task(srv, browser):
    browser.open(srv)
    tid = srv.create("count", {"total": 3, "delay_ms": 0})["id"]
    browser.wait_row(tid, lambda r: r["state"] == "succeeded"
                     and r["remove"], what="it to finish")
    browser.find('li[data-id="%d"] button.remove' % tid).click()
    wait_for(lambda: browser.row(tid) is None, 5, what="its row to go")
    assert srv.get("/api/tasks/%d" % tid).status == 404


def test_422_is_shown_next_to_its_field(srv, browser):
    browser.open(srv)
    browser.allow(network_error("/api/tasks", 422), "the 422 we provoke")
    before = srv.task_ids()
    # The form's own checks would keep 0 from being sent (min=1): let it
    # through, to see the server's answer.
    browser.js("document.querySelector('form[data-kind=count]')"
               ".noValidate = true")
    form = browser.fill("count", {"total": 0})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    err = wait_for(lambda: browser.js("""
        const input = document.querySelector(
            'form[data-kind=count] [name=total]');
        const box = input.closest('.field');
        const e = box.querySelector('.field-error');
        return e && !e.hidden && e.textContent ? {
            text: e.textContent,
            invalid: input.getAttribute('aria-invalid'),
            described: (input.getAttribute('aria-describedby') || '')
                .split(' ').includes(e.id),
            focused: document.activeElement === input,
            others: Array.from(document.querySelectorAll(
                '.field-error, .form-error')).filter(x => !x.hidden)
                .length} : null;"""), 10, what="the error by the total field")
    assert err["text"].startswith("params.total:"), err
    assert "1 to 1000000" in err["text"], err
    assert err["invalid"] == "true" and err["described"], err
    assert err["focused"] and err["others"] == 1, err
    assert srv.task_ids() == before, "a task was created"
    # Typing a new value clears it.
    browser.fill("count", {"total": 5})
    assert browser.js("return document.querySelector('form[data-kind=count]"
                      " .field-error:not([hidden])') === null")


def test_log_view_shows_lines_as_they_arrive(srv, browser):
    browser.open(srv)
    tid = srv.create("talk", {"lines": 12})["id"]
    log_endpoint_ready(srv, tid)
    browser.wait_row(tid)
    browser.find('li[data-id="%d"] a.task-open' % tid).click()
    wait_for(lambda: browser.js("return document.querySelector('#details')"
                                ".open"), 5, what="the details to open")

    def view():
        return browser.js("""
            const d = document.querySelector('#details');
            return {lines: Array.from(d.querySelectorAll('#d-log .line'),
                                      l => [l.textContent, l.className]),
                    state: d.querySelector('.state-text').textContent,
                    facts: d.querySelector('#d-facts').textContent};""")
    early = wait_for(lambda: (lambda v: v if any(
        "line 2 of 12" in t for t, _ in v["lines"]) else None)(view()), 10,
        what="line 2 in the log view")
    assert early["state"] == "running", early
    assert not any("line 12 of 12" in t for t, _ in early["lines"]), \
        "the log came all at once, not as it was written: %s" % early
    assert "lines" in early["facts"] and "12" in early["facts"], early
    end = wait_for(lambda: (lambda v: v if any(
        "line 12 of 12" in t for t, _ in v["lines"]) else None)(view()), 15,
        what="the last line in the log view")
    texts = [t.rstrip("\n") for t, _ in end["lines"]]
    want = ["line %d of 12" % i for i in range(1, 13)]
    assert [t for t in texts if t.startswith("line ")] == want, texts
    assert texts.count("a warning on stderr") == 1, texts
    assert len(texts) == 13, "lines repeated or lost: %s" % texts
    # The log as the server has it, in the same order.
    assert srv.get("/api/tasks/%d/log" % tid).body.decode().split(
        "\n")[:-1] == texts
    browser.find("#details").send_keys(Keys.ESCAPE)
    wait_for(lambda: not browser.js("return document.querySelector("
                                    "'#details').open"), 5,
             what="Escape to close the details")


def test_keyboard_alone_starts_opens_and_closes(srv, browser):
    browser.open(srv)
    before = set(srv.task_ids())
    total = browser.find("form[data-kind=count] [name=total]")
    total.send_keys(Keys.CONTROL, "a")
    total.send_keys("4", Keys.ENTER)        # Enter submits the form
    tid = wait_for(lambda: (set(srv.task_ids()) - before or {0}).pop(), 10,
                   what="Enter to start a task")
    assert srv.task(tid)["params"]["total"] == 4
    # The row moves from Active to Recent when the task ends (in 0.2 s):
    # the link is taken from where it stays.
    browser.wait_row(tid, lambda r: r["state"] == "succeeded")
    link = browser.find('li[data-id="%d"] a.task-open' % tid)
    link.send_keys(Keys.ENTER)
    wait_for(lambda: browser.js("return document.querySelector('#details')"
                                ".open"), 5, what="Enter to open details")
    focused_inside = browser.js("return document.querySelector('#details')"
                                ".contains(document.activeElement)")
    assert focused_inside, "the focus is not in the details dialog"
    browser.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_for(lambda: not browser.js("return document.querySelector("
                                    "'#details').open"), 5,
             what="Escape to close the details")


def test_falls_back_to_polling_when_sse_fails(srv, browser):
    open_polling(browser, srv)
    d = browser.driver
    text = browser.find("#conn").text
    assert "Polling" in text, text
    tid = srv.create("count", {"total": 60, "delay_ms": 50})["id"]
    seen = watch(browser, tid, finished, timeout=20)
    assert seen[-1]["state"] == "succeeded" and seen[-1]["value"] == 100
    assert browser.mode() == "polling"
    # Once the stream works again the page goes back to it.
    d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    wait_for(lambda: browser.mode() == "live", 20,
             what="the page to go live again")
    tid = srv.create("count", {"total": 30, "delay_ms": 20})["id"]
    end = watch(browser, tid, finished)[-1]
    assert end["state"] == "succeeded" and end["value"] == 100, end


def test_phone_width_needs_no_sideways_scrolling(srv, browser, shots):
    browser.phone()
    browser.open(srv)
    folded = browser.js("return Array.from(document.querySelectorAll("
                        "'#kinds details'), d => d.open)")
    assert folded == [True, False, False, False], \
        "on a phone only the first form is open: %s" % folded
    tid = srv.create("count", {"total": 100000, "delay_ms": 50},
                     name="a long running task with a rather long name "
                          "that has to wrap on a phone")["id"]
    browser.wait_row(tid, lambda r: r["state"] == "running")
    over = browser.js("return document.documentElement.scrollWidth - "
                      "document.documentElement.clientWidth")
    browser.screenshot(shots + "/page-phone.png")
    assert over <= 0, "the page is %d px wider than a phone" % over
    browser.find('li[data-id="%d"] button.stop' % tid).click()
    browser.wait_row(tid, lambda r: r["state"] == "canceled")


def test_no_console_errors_in_a_whole_session(srv, browser):
    """run.py fails any test on an unexpected console error; this one
    goes through everything the page does without expecting any."""
    browser.open(srv)
    form = browser.fill("count", {"total": 20, "delay_ms": 20})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # Long enough to be still running when it is stopped below, however
    # slow the steps before are (the default scene takes 9.6 s).
    long = srv.create("render", {"scene": "intro", "total": 1500},
                      name="intro")["id"]
    talk = srv.create("talk", {"lines": 3})["id"]
    browser.wait_row(long, lambda r: r["state"] == "running")
    # Its row may come a moment after the other's.
    browser.wait_row(talk, lambda r: True)
    browser.find('li[data-id="%d"] a.task-open' % talk).click()
    wait_for(lambda: browser.js("return document.querySelector('#d-log')"
                                ".textContent.includes('line 3 of 3')"), 10,
             what="the talk log")
    browser.find("#d-close").click()
    browser.find('li[data-id="%d"] button.stop' % long).click()
    try:
        browser.wait_row(long, lambda r: r["state"] == "canceled")
    except AssertionError as e:
        # Seen once or twice in many runs: say whether the stop reached
        # the server at all, to tell a lost click from a lost stop.
        with open(os.path.join(srv.data, "nginx", "access.log")) as f:
            stops = [x for x in f if "/api/tasks/%d/stop" % long in x]
        raise AssertionError("%s; the server has it %s; stop requests "
                             "logged by nginx: %s" % (
                                 e, srv.task(long)["state"], stops))
    browser.find('li[data-id="%d"] button.remove' % long).click()
    wait_for(lambda: browser.row(long) is None, 5, what="the row to go")
    browser.check_console()
