"""The page in front of a server started with HOURGLASS_TOKEN: it asks for
the token once per tab (its #token-dialog, not window.prompt), keeps it in
sessionStorage, sends it as `Authorization: Bearer` and, on EventSource
URLs, as ?access_token=. A refused token is never "unreachable"; after
Cancel the page asks the server nothing until the user says so."""

import os
import re
import time

from selenium.webdriver.common.by import By

from fixtures import (KINDS, finished, moving_values, network_error,
                      wait_for, watch)

KINDS = KINDS   # the module's server serves these
TOKEN = "br0wser-t0ken.for_tests"
SERVER_ENV = {"HOURGLASS_TOKEN": TOKEN}
AUTH = {"Authorization": "Bearer " + TOKEN}

# Before the page's own script: counts the token questions (showModal of
# #token-dialog), records the URL of every EventSource and of every fetch,
# and every text the status indicator shows, per document.
WATCH_JS = """
window.__asks = 0;
window.__streams = [];
window.__fetches = [];
window.__conn = [];
const fetch0 = window.fetch;
window.fetch = function (input) {
    window.__fetches.push(String(new URL(
        input instanceof Request ? input.url : input, location.href)));
    return fetch0.apply(this, arguments);
};
new MutationObserver(() => {
    const c = document.querySelector('#conn');
    if (!c)
        return;
    const seen = c.dataset.mode + ': ' + c.textContent.trim();
    if (window.__conn[window.__conn.length - 1] !== seen)
        window.__conn.push(seen);
}).observe(document, {subtree: true, childList: true, characterData: true,
                      attributes: true, attributeFilter: ['data-mode']});
const show = HTMLDialogElement.prototype.showModal;
HTMLDialogElement.prototype.showModal = function () {
    if (this.id === 'token-dialog')
        window.__asks++;
    return show.apply(this, arguments);
};
const ES = window.EventSource;
window.EventSource = class extends ES {
    constructor(url, init) {
        super(url, init);
        window.__streams.push(String(new URL(url, location.href)));
    }
};
"""

# The page as the user sees it, read in one go.
STATE_JS = """
const dlg = document.querySelector('#token-dialog');
return {
    asks: window.__asks, streams: window.__streams,
    api: window.__fetches.filter(u => new URL(u).pathname
                                 .startsWith('/api/')),
    history: window.__conn,
    note: (n => n && n.offsetParent !== null ? n.textContent.trim() : null)(
        document.querySelector('#token-needed')),
    dialog: dlg.open, why: document.querySelector('#token-why').textContent,
    focused: document.activeElement
        && document.activeElement.id === 'token-input',
    mode: document.querySelector('#conn').dataset.mode,
    conn: document.querySelector('#conn').textContent.trim(),
    forms: Array.from(document.querySelectorAll('#kinds form'),
                      f => f.dataset.kind),
    kinds: document.querySelector('#kinds').textContent.trim(),
    rows: document.querySelectorAll('#active > li, #recent > li').length,
    stored: sessionStorage.getItem('hourglass.token'),
};
"""

FIRST_ASK = "This Hourglass asks for a token"
REFUSED = "The server refused the token this tab had"
NEEDS = "Needs a token"             # the status indicator, for a 401
FRIENDLY = "This server needs its access token."
RAW_401 = "this API needs its token"    # the API's own message
UNAUTH_RX = re.compile(r"(https?://\S+) - Failed to load resource: the "
                       r"server responded with a status of 401\b")


def create(srv, kind="count", params=None, name=None):
    """POST /api/tasks as a client that has the token."""
    body = {"kind": kind, "params": params or {}}
    if name is not None:
        body["name"] = name
    r = srv.post("/api/tasks", body, headers=AUTH)
    assert r.status == 201, "create %s: %s" % (body, r)
    return r.json["id"]


def server_task(srv, tid):
    r = srv.get("/api/tasks/%d" % tid, headers=AUTH)
    assert r.status == 200, r
    return r.json


def state(browser):
    return browser.js(STATE_JS)


def go(browser, srv):
    """Opens the page with the watch script in place (no waiting: the
    page cannot go live before it has its token)."""
    browser.srv = srv
    browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                   {"source": WATCH_JS})
    browser.driver.get("http://127.0.0.1:%d/" % srv.port)


def wait_ask(browser, asks, why):
    """Waits until the token dialog is open for the asks-th time, saying
    why; returns the page's state."""
    s = wait_for(lambda: (lambda s: s if s["dialog"] and s["asks"] >= asks
                          else None)(state(browser)), 15,
                 what="the token dialog (question %d)" % asks)
    assert s["asks"] == asks, "asked %d times, not %d: %s" % (
        s["asks"], asks, s)
    assert why in s["why"], s
    return s


def answer(browser, token):
    """Types token into the dialog and presses "Use this token"."""
    box = browser.find("#token-input")
    box.clear()
    box.send_keys(token)
    browser.find("#token-dialog button[value=ok]").click()
    wait_for(lambda: not browser.js("return document.querySelector("
                                    "'#token-dialog').open"), 5,
             what="the token dialog to close")


def wait_live(browser):
    return wait_for(lambda: (lambda s: s if s["forms"] and s["mode"] == "live"
                             else None)(state(browser)), 15,
                    what="the page to list the kinds and go live")


def unauthorized(entries):
    """The paths (with their queries) of the 401s in console entries."""
    out = []
    for e in entries:
        m = UNAUTH_RX.search(e.get("message", ""))
        if m:
            out.append(re.sub(r"^https?://[^/]+", "", m.group(1)))
    return out


def allow_401s(browser):
    browser.allow(network_error("/api/kinds", 401), "asked without a token")
    browser.allow(network_error("/api/tasks", 401), "asked without a token")


def test_asks_once_then_works_and_a_reload_does_not_ask(srv, browser):
    allow_401s(browser)
    before = create(srv, "count", {"total": 3, "delay_ms": 0},
                    name="made before the page")
    go(browser, srv)
    s = wait_ask(browser, 1, FIRST_ASK)
    assert s["focused"], "the token field does not have the focus: %s" % s
    assert not s["forms"] and s["rows"] == 0 and not s["streams"], \
        "the page showed something without the token: %s" % s
    answer(browser, TOKEN)
    s = wait_live(browser)
    # Three requests met a 401 at once (kinds and two task lists): one
    # question for all of them.
    assert s["asks"] == 1, s
    assert s["forms"] == ["count", "render", "talk", "flaky"], s
    assert s["stored"] == TOKEN, s
    assert browser.wait_row(before, finished)["name"] == \
        "made before the page"
    assert len(s["streams"]) == 1, s
    assert "access_token=" + TOKEN in s["streams"][0], s
    # A task from another client shows up and its bar fills, live.
    tid = create(srv, "count", {"total": 60, "delay_ms": 40}, name="curl")
    seen = watch(browser, tid, finished)
    end = seen[-1]
    assert end["state"] == "succeeded", end
    assert end["value"] == 100 and end["pct"] == "100%", end
    assert len(moving_values(seen)) >= 3, \
        "the bar did not move on the way: %s" % moving_values(seen)
    assert browser.mode() == "live", browser.mode()
    assert state(browser)["asks"] == 1
    # A reload in the same tab finds the token in sessionStorage.
    n = len(browser.read_console())
    browser.driver.refresh()
    s = wait_live(browser)
    assert s["asks"] == 0 and not s["dialog"], \
        "the reload asked again: %s" % s
    assert s["stored"] == TOKEN, s
    browser.wait_row(tid, finished)
    assert unauthorized(browser.read_console()[n:]) == [], \
        "a 401 after the reload: %s" % browser.read_console()[n:]
    assert "access_token=" + TOKEN in s["streams"][-1], s


def test_a_wrong_token_is_refused_and_asked_again(srv, browser):
    allow_401s(browser)
    tid = create(srv, "count", {"total": 3, "delay_ms": 0})
    go(browser, srv)
    wait_ask(browser, 1, FIRST_ASK)
    answer(browser, "not-" + TOKEN)
    # The page asks again, saying the server refused the token.
    s = wait_ask(browser, 2, REFUSED)
    # And nothing works meanwhile: no kinds, no tasks, no stream.
    assert not s["forms"], s
    assert s["kinds"] == FRIENDLY, s
    assert s["rows"] == 0, s
    assert s["streams"] == [], s
    assert s["mode"] != "live", s
    sent = unauthorized(browser.read_console())
    assert sent.count("/api/kinds") >= 2, \
        "the wrong token was not tried: %s" % sent
    # The right token, now, and everything works.
    answer(browser, TOKEN)
    s = wait_live(browser)
    assert s["asks"] == 2 and s["stored"] == TOKEN, s
    assert s["forms"] == ["count", "render", "talk", "flaky"], s
    browser.wait_row(tid, finished)
    new = create(srv, "count", {"total": 20, "delay_ms": 20})
    end = watch(browser, new, finished)[-1]
    assert end["state"] == "succeeded" and end["value"] == 100, end
    assert state(browser)["asks"] == 2


def test_no_console_errors_but_the_first_401s(srv, browser):
    """The only console errors of a whole session with a token are the
    401s of the three requests the page sends before it has one."""
    go(browser, srv)
    wait_ask(browser, 1, FIRST_ASK)
    answer(browser, TOKEN)
    wait_live(browser)
    # Start from the form (a POST with the token), as a user does.
    before = {t["id"] for t in srv.get("/api/tasks?limit=500",
                                       headers=AUTH).json["tasks"]}
    form = browser.fill("count", {"total": 20, "delay_ms": 20})
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    mine = wait_for(lambda: ({t["id"] for t in srv.get(
        "/api/tasks?limit=500", headers=AUTH).json["tasks"]} - before
        or {0}).pop(), 10, what="the task the form started")
    assert browser.wait_row(mine, finished)["state"] == "succeeded"
    # The log view (a GET with the token, then log events).
    talk = create(srv, "talk", {"lines": 3})
    browser.wait_row(talk)
    browser.find('li[data-id="%d"] a.task-open' % talk).click()
    wait_for(lambda: browser.js("return document.querySelector('#d-log')"
                                ".textContent.includes('line 3 of 3')"), 10,
             what="the talk log")
    browser.find("#d-close").click()
    # Stop and remove (a POST and a DELETE with the token).
    long = create(srv, "render", {"scene": "intro"}, name="intro")
    browser.wait_row(long, lambda r: r["state"] == "running")
    browser.find('li[data-id="%d"] button.stop' % long).click()
    browser.wait_row(long, lambda r: r["state"] == "canceled")
    browser.find('li[data-id="%d"] button.remove' % long).click()
    wait_for(lambda: browser.row(long) is None, 5, what="the row to go")
    assert srv.get("/api/tasks/%d" % long, headers=AUTH).status == 404
    wait_for(lambda: server_task(srv, talk)["state"] == "succeeded", 10,
             what="the talk task to end")
    assert state(browser)["asks"] == 1
    # Exactly the three first requests met a 401, each once.
    got = sorted(unauthorized(browser.read_console()))
    assert got == ["/api/kinds", "/api/tasks?limit=100",
                   "/api/tasks?state=running&limit=100"], got
    for path in got:
        browser.allow(r"^\S*%s - Failed to load resource: the server "
                      r"responded with a status of 401\b" % re.escape(path),
                      "before the page had the token")
    browser.check_console()


def cancel(browser):
    """Presses Cancel in the token dialog."""
    browser.find("#token-cancel").click()
    wait_for(lambda: not browser.js("return document.querySelector("
                                    "'#token-dialog').open"), 5,
             what="the token dialog to close")


def wait_note(browser):
    """Waits for the note that the page waits for its token."""
    return wait_for(lambda: (lambda s: s if s["note"] else None)(
        state(browser)), 10, what="the note asking for the token")


def test_a_wrong_token_is_never_called_unreachable(srv, browser):
    allow_401s(browser)
    go(browser, srv)
    wait_ask(browser, 1, FIRST_ASK)
    assert state(browser)["conn"] == NEEDS, state(browser)
    answer(browser, "not-" + TOKEN)
    # Read the indicator from the wrong answer to the second question,
    # and on while that question is open.
    seen = []

    def asked_again():
        s = state(browser)
        seen.append(s)
        return s["dialog"] and s["asks"] >= 2
    wait_for(asked_again, 15, interval=0.05, what="the second question")
    assert REFUSED in seen[-1]["why"], seen[-1]
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        seen.append(state(browser))
        time.sleep(0.05)
    s = seen[-1]
    assert s["dialog"] and s["conn"] == NEEDS and s["mode"] == "token", s
    texts = {x["conn"] for x in seen} | set(s["history"])
    assert not any("nreachable" in t or "offline" in t for t in texts), \
        "a refused token was called an unreachable server: %s" % \
        s["history"]
    # The kinds box says it in words, not in the API's.
    assert s["kinds"] == FRIENDLY, s
    assert RAW_401 not in s["kinds"] and "retrying" not in s["kinds"], s


def test_after_cancel_the_page_asks_the_server_nothing(srv, browser,
                                                       shots):
    allow_401s(browser)
    go(browser, srv)
    wait_ask(browser, 1, FIRST_ASK)
    cancel(browser)
    s = wait_note(browser)
    assert s["conn"] == NEEDS and s["mode"] == "token", s
    assert "Enter the token" in s["note"], s
    assert FRIENDLY in s["kinds"], s
    assert "retrying" not in s["kinds"] and RAW_401 not in s["kinds"], s
    browser.js("document.activeElement.blur()")
    browser.screenshot(os.path.join(shots, "token-canceled.png"))
    sent = len(s["api"])
    refused = len(unauthorized(browser.read_console()))
    # Three retry periods of the loops (2 s each) and more.
    time.sleep(6.5)
    s = state(browser)
    assert len(s["api"]) == sent, \
        "requests after Cancel: %s" % s["api"][sent:]
    assert s["streams"] == [], s
    assert len(unauthorized(browser.read_console())) == refused, \
        unauthorized(browser.read_console())[refused:]
    assert s["asks"] == 1 and not s["dialog"], s
    assert s["conn"] == NEEDS and s["note"] and not s["forms"], s
    assert not any("nreachable" in t for t in s["history"]), s["history"]


def test_after_cancel_the_button_asks_and_the_token_brings_it_back(
        srv, browser):
    allow_401s(browser)
    tid = create(srv, "count", {"total": 3, "delay_ms": 0},
                 name="made while canceled")
    go(browser, srv)
    wait_ask(browser, 1, FIRST_ASK)
    cancel(browser)
    s = wait_note(browser)
    sent = len(s["api"])
    browser.find("#token-enter").click()
    s = wait_ask(browser, 2, FIRST_ASK)
    assert s["focused"], s
    assert len(s["api"]) == sent, \
        "the button sent requests before the token: %s" % s["api"][sent:]
    answer(browser, TOKEN)
    s = wait_live(browser)
    assert s["asks"] == 2 and s["stored"] == TOKEN, s
    assert s["forms"] == ["count", "render", "talk", "flaky"], s
    assert s["note"] is None, s
    assert "access_token=" + TOKEN in s["streams"][-1], s
    # Only the three requests before Cancel met a 401.
    assert sorted(unauthorized(browser.read_console())) == [
        "/api/kinds", "/api/tasks?limit=100",
        "/api/tasks?state=running&limit=100"], browser.read_console()
    assert browser.wait_row(tid, finished)["name"] == "made while canceled"
    new = create(srv, "count", {"total": 20, "delay_ms": 20})
    end = watch(browser, new, finished)[-1]
    assert end["state"] == "succeeded" and end["value"] == 100, end
