"""Kinds and helpers the browser tests share."""

from pylib.server import FINISHED
from pylib.wait import wait_for

from browser import network_error

# count as shipped; render, a builtin count behind every parameter type the
# form knows; talk, a command that writes its log a line at a time; and
# flaky, a command that fails.
KINDS = {"kinds": [
    {"name": "count", "builtin": "count",
     "description": "Counts from 1 to total, one step every delay_ms",
     "params": {
         "total": {"type": "integer", "min": 1, "max": 1000000,
                   "default": 150},
         "delay_ms": {"type": "integer", "min": 0, "max": 60000,
                      "default": 50}}},
    {"name": "render", "builtin": "count",
     "description": "Renders a scene, one frame every delay_ms",
     "params": {
         "scene": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$",
                   "max_length": 40},
         "quality": {"type": "string", "enum": ["draft", "final"],
                     "default": "draft"},
         "scale": {"type": "number", "min": 0.25, "max": 4, "default": 1},
         "preview": {"type": "boolean", "default": True},
         "total": {"type": "integer", "min": 1, "max": 100000,
                   "default": 240},
         "delay_ms": {"type": "integer", "min": 0, "max": 1000,
                      "default": 40}}},
    {"name": "talk", "description": "Writes a line of log every 300 ms",
     "command": ["/bin/sh", "-c",
                 "i=0; while [ $i -lt \"$1\" ]; do i=$((i+1));"
                 " echo \"line $i of $1\"; echo \"PROGRESS $i/$1 talking\";"
                 " [ $i -eq 2 ] && echo \"a warning on stderr\" >&2;"
                 " sleep 0.3; done", "talk", "{lines}"],
     "params": {"lines": {"type": "integer", "min": 1, "max": 1000,
                          "default": 10}}},
    {"name": "flaky", "description": "Fails after a moment",
     "command": ["/bin/sh", "-c",
                 "echo \"PROGRESS 1/3 warming up\"; sleep 0.2;"
                 " echo \"the disk is full\" >&2; exit 3"],
     "params": {}},
]}

# A command that sends n data items {"n": i, "sq": i*i} named "row", one
# every 0.3 s, each with its progress, then the result {"sum": ...}. A
# kinds file refuses a brace that is no {placeholder}: printf writes
# them as \173 and \175.
ROWS_SH = (r'i=0; s=0; while [ $i -lt "$1" ]; do i=$((i+1));'
           r' s=$((s+i*i));'
           r""" printf '\173"name":"row","data":"""
           r"""\173"n":%d,"sq":%d\175\175\n' $i $((i*i));"""
           r' echo "PROGRESS $i/$1"; sleep 0.3; done;'
           r""" printf '\173"result":\173"sum":%d\175\175\n' $s""")
ROWS = {"name": "rows", "description": "Sends n rows of data, then a result",
        "command": ["/bin/sh", "-c", ROWS_SH, "rows", "{n}"],
        "params": {"n": {"type": "integer", "min": 1, "max": 1000,
                         "default": 5}}}


def watch(browser, tid, until, timeout=20, what=None):
    """Reads task tid's row until until(row); returns every reading.

    The readings are what the user saw on the way: a test checks that
    the bar moved through them."""
    seen = []

    def check():
        r = browser.row(tid)
        if r is not None:
            seen.append(r)
            return until(r)
        return False
    wait_for(check, timeout, interval=0.02,
             what=what or "task %d's row to get there" % tid)
    return seen


def moving_values(samples):
    """The distinct bar values strictly between empty and full."""
    return sorted({s["value"] for s in samples
                   if s["value"] is not None and 0 < s["value"] < 100})


def finished(r):
    return r["state"] in FINISHED


def log_endpoint_ready(srv, tid):
    """Fails clearly while the server has no GET /api/tasks/{id}/log."""
    r = srv.get("/api/tasks/%d/log" % tid)
    assert r.status != 404, (
        "GET /api/tasks/%d/log answers 404 (%r): the server has no log"
        " endpoint yet, so the log view cannot be tested" % (tid, r.body))
    assert r.status == 200, "GET /api/tasks/%d/log: %r" % (tid, r)


def allow_clipboard(browser, srv):
    """Grants the page's origin the clipboard, as a user who allowed it."""
    browser.driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": "http://127.0.0.1:%d" % srv.port,
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})


def copied(browser, status_js, what):
    """After a Copy button: waits for what its status (read by the script
    status_js) says, and returns (said, text): the clipboard's text if it
    says "Copied <what>", else the selected text, which it must then say
    ("Selected <what>") for the user to press Ctrl+C."""
    said = wait_for(lambda: browser.js(status_js), 5,
                    what="the copy of %s to say" % what)
    if said.startswith("Copied " + what):
        got = browser.driver.execute_async_script(
            "navigator.clipboard.readText().then(arguments[0],"
            " e => arguments[0]('refused: ' + e))")
    else:
        assert said.startswith("Selected " + what), said
        got = browser.js("return getSelection().toString()")
    return said, got


def open_polling(browser, srv):
    """Opens the page with its event stream blocked, as by a proxy that
    breaks streams, and waits for it to fall back to polling."""
    d = browser.driver
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/events*"]})
    browser.allow(r"/api/events\S* - Failed to load resource: "
                  r"net::ERR_BLOCKED_BY_CLIENT", "the stream we block")
    d.get("http://127.0.0.1:%d/" % srv.port)
    wait_for(lambda: browser.mode() == "polling", 20,
             what="the page to fall back to polling")


__all__ = ["open_polling", "KINDS", "watch", "moving_values", "finished",
           "log_endpoint_ready", "network_error", "wait_for",
           "allow_clipboard", "copied", "ROWS"]
