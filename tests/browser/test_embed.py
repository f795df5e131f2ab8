"""/hourglass.js in a page of another origin, as a developer would use it:
a plain page served by another server imports the module from Hourglass,
starts a task, follows its progress and named data items through its
handlers across a restart of nginx and hourglass-fcgi (each event once,
in order), and stops a task.

The task is an external one, whose worker (this test, with urllib)
reports its items: a command would be a process of the data folder,
which Server.stop() ends with the servers."""

import json
import os
import time
import urllib.request

from pylib.server import Server
from pylib.wait import wait_for

from browser import network_error
from test_cors import LISTED, OtherOrigin

KINDS = {"kinds": [
    {"name": "remote", "external": True, "params": {},
     "heartbeat_s": 120, "grace_s": 5},
    {"name": "count", "builtin": "count",
     "params": {"total": {"type": "integer", "min": 1, "max": 1000000,
                          "default": 150},
                "delay_ms": {"type": "integer", "min": 0, "max": 60000,
                             "default": 50}}},
]}

# The whole page: no CSP of its own, nothing but the module. What its
# handlers receive goes into #out, one JSON line each, for the test.
PAGE = """<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>Somebody else's page</title>
<pre id="out"></pre>
<script type="module">
import { Hourglass, HourglassError } from "%(api)s/hourglass.js";
/* ?nosse: a browser without EventSource, to see the client poll */
if (new URLSearchParams(location.search).has("nosse"))
    delete window.EventSource;
/* Every stream's URL; dropStream() ends the newest as a browser that
 * gives up does (a 502 or 503 closes an EventSource for good). */
window.streams = [];
const ES = window.EventSource;
if (ES)
    window.EventSource = class extends ES {
        constructor(url, init) {
            super(url, init);
            window.streams.push(String(url));
            window.lastStream = this;
        }
    };
window.dropStream = () => {
    window.lastStream.close();
    window.lastStream.dispatchEvent(new Event("error"));
};
const hg = new Hourglass({ base: "%(api)s" });
const say = (o) => document.getElementById("out").append(
    JSON.stringify(o) + "\\n");
window.startRows = async () => {
    const t = await hg.start("remote");
    say({ report: t.report });
    hg.watch(t.id, {
        progress: (p, ev) => say({ ev: ev.id, progress: p.value }),
        data: { row: (it, ev) => say({ ev: ev.id, row: it.data }),
                "*": (it, ev) => say({ ev: ev.id, other: it.name }) },
        end: (task) => say({ end: task.state, result: task.result }),
        error: (e) => say({ error: e.code, isError: e instanceof
                            HourglassError }),
        mode: (m) => say({ mode: m }),
    });
    return t.id;
};
window.startAndStop = async () => {
    const t = await hg.start("count", { total: 100000 }, { name: "long" });
    let asked = false;
    hg.watch(t.id, {
        progress: async (p) => {
            if (p.value >= 3 && !asked) {
                asked = true;
                say({ stopped: (await hg.stop(t.id)).state });
            }
        },
        end: (task) => say({ end: task.state }),
    });
    try {
        await hg.get(99999999);
    } catch (e) {
        say({ missing: e.code, status: e.status });
    }
    return t.id;
};
say({ ready: true });
</script>
"""


def received(browser):
    return [json.loads(line) for line in browser.js(
        "return document.getElementById('out').textContent")
        .splitlines()]


def open_page(browser, api, query=""):
    other = OtherOrigin()
    with open(os.path.join(other.dir, "embed.html"), "w") as f:
        f.write(PAGE % {"api": api})
    browser.driver.get(LISTED + "/embed.html" + query)
    wait_for(lambda: {"ready": True} in received(browser), 10,
             what="the page to import /hourglass.js")
    return other


def test_another_origins_page_follows_a_task_across_a_restart(browser):
    browser.allow(r"/api/\S* - Failed to load resource: net::ERR_\w+",
                  "the servers are down")
    browser.allow(r"/api/\S* - Failed to load resource: the server "
                  r"responded with a status of 50[23]", "a server stopping")
    browser.allow(network_error("/api/tasks/99999999", 404), "asked for")
    env = {"HOURGLASS_CORS_ORIGINS": LISTED}
    first = Server(kinds=KINDS, env=env).start()
    again = other = None
    try:
        api = "http://127.0.0.1:%d" % first.port
        other = open_page(browser, api)
        tid = browser.driver.execute_async_script(
            "startRows().then(arguments[0])")
        report = next(r["report"] for r in received(browser)
                      if "report" in r)
        n = 20
        for i in range(1, 6):
            send(api, report, i, n)
        wait_for(lambda: sum("row" in r for r in received(browser)) == 5,
                 10, what="five rows before the restart")
        first.stop()
        again = Server(kinds=KINDS, env=env, port=first.port,
                       data=first.data).start()
        # The rest comes while the page is still away or reconnecting.
        for i in range(6, n + 1):
            send(api, report, i, n)
        post(api, report, json.dumps({"result": {"sum": sum(
            i * i for i in range(1, n + 1))}}) + "\n" + json.dumps(
            {"complete": 1, "code": 0}) + "\n")
        got = wait_for(lambda: (lambda r: r if any("end" in x for x in r)
                                else None)(received(browser)), 40,
                       what="the task's end through the handlers")
        rows = [r for r in got if "row" in r]
        assert [r["row"]["n"] for r in rows] == list(range(1, n + 1)), \
            "items lost or repeated across the restart: %s" % rows
        assert all(r["ev"] is not None for r in rows), rows  # their ids
        ids = [r["ev"] for r in got if r.get("ev") is not None]
        assert ids == sorted(set(ids)), \
            "event ids not strictly increasing: %s" % ids
        assert all(r["row"]["sq"] == r["row"]["n"] ** 2 for r in rows), rows
        end = [r for r in got if "end" in r][0]
        assert end == {"end": "succeeded",
                       "result": {"sum": sum(i * i for i in range(1, n + 1))}
                       }, end
        assert any(r.get("progress") == n for r in got), got[-5:]
        assert not any("other" in r for r in got), got
        assert srv_task(again, tid)["state"] == "succeeded"
        # The watch saw the stream go and come back, or polled meanwhile.
        modes = [r["mode"] for r in got if "mode" in r]
        assert modes[0] == "sse" and modes[-1] == "closed", modes
        # And a stop, from the same page.
        long = browser.driver.execute_async_script(
            "startAndStop().then(arguments[0])")
        got = wait_for(lambda: (lambda r: r if {"end": "canceled"} in r
                                and any("stopped" in x for x in r)
                                else None)(received(browser)), 15,
                       what="the stopped task to end canceled")
        assert {"stopped": "stopping"} in got or \
            {"stopped": "canceled"} in got, got
        assert {"missing": "not_found", "status": 404} in got, got
        assert srv_task(again, long)["state"] == "canceled"
    finally:
        if other is not None:
            other.close()
        if again is not None:
            again.close()
        first.close()


def test_a_stream_the_browser_closed_reopens_after_the_last_id(browser):
    env = {"HOURGLASS_CORS_ORIGINS": LISTED}
    srv = Server(kinds=KINDS, env=env).start()
    other = None
    try:
        api = "http://127.0.0.1:%d" % srv.port
        other = open_page(browser, api)
        browser.driver.execute_async_script(
            "startRows().then(arguments[0])")
        report = next(r["report"] for r in received(browser)
                      if "report" in r)
        n = 6
        for i in range(1, 4):
            send(api, report, i, n)
        wait_for(lambda: sum("row" in r for r in received(browser)) == 3,
                 10, what="three rows on the first stream")
        last = max(r["ev"] for r in received(browser) if r.get("ev"))
        browser.js("dropStream()")
        for i in range(4, n + 1):     # while no stream is open
            send(api, report, i, n)
        post(api, report, json.dumps({"complete": 1, "code": 0}) + "\n")
        got = wait_for(lambda: (lambda r: r if any("end" in x for x in r)
                                else None)(received(browser)), 15,
                       what="the task's end on the reopened stream")
        rows = [r for r in got if "row" in r]
        assert [r["row"]["n"] for r in rows] == list(range(1, n + 1)), rows
        ids = [r["ev"] for r in got if r.get("ev") is not None]
        assert ids == sorted(set(ids)), ids
        streams = browser.js("return window.streams")
        assert len(streams) == 2, streams
        assert "after=%d" % last in streams[1], (last, streams)
        assert [r.get("mode") or r.get("error") for r in got
                if "mode" in r or "error" in r] == \
            ["sse", "network", "sse", "closed"], got
    finally:
        if other is not None:
            other.close()
        srv.close()


def test_without_eventsource_the_client_polls(browser):
    env = {"HOURGLASS_CORS_ORIGINS": LISTED}
    srv = Server(kinds=KINDS, env=env).start()
    other = None
    try:
        api = "http://127.0.0.1:%d" % srv.port
        other = open_page(browser, api, "?nosse")
        tid = browser.driver.execute_async_script(
            "startRows().then(arguments[0])")
        report = next(r["report"] for r in received(browser)
                      if "report" in r)
        n = 8
        for i in range(1, n + 1):
            send(api, report, i, n)
            if i == 4:      # the page polls every 2 s: let it see some
                wait_for(lambda: any("row" in r for r in
                                     received(browser)), 10,
                         what="a first poll with rows")
        post(api, report, json.dumps({"result": "done"}) + "\n" +
             json.dumps({"complete": 1, "code": 0}) + "\n")
        got = wait_for(lambda: (lambda r: r if any("end" in x for x in r)
                                else None)(received(browser)), 15,
                       what="the task's end, polled")
        rows = [r for r in got if "row" in r]
        assert [r["row"]["n"] for r in rows] == list(range(1, n + 1)), rows
        ids = [r["ev"] for r in rows]
        assert ids == sorted(set(ids)) and None not in ids, ids
        assert [r["mode"] for r in got if "mode" in r] == \
            ["polling", "closed"], got
        assert [r for r in got if "end" in r] == [
            {"end": "succeeded", "result": "done"}], got
        assert any(r.get("progress") == n for r in got), got
        assert srv_task(srv, tid)["state"] == "succeeded"
    finally:
        if other is not None:
            other.close()
        srv.close()


def post(api, report, body):
    """One report, as the worker of an external task sends it."""
    req = urllib.request.Request(
        api + report["url"], data=body.encode(), method="POST",
        headers={"Authorization": "Bearer " + report["token"],
                 "Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200, r.status


def send(api, report, i, n):
    """Item i of n, named "row", and its progress; 50 ms apart."""
    post(api, report, json.dumps({"name": "row", "data": {
        "n": i, "sq": i * i}}) + "\nPROGRESS %d/%d\n" % (i, n))
    time.sleep(0.05)


def srv_task(srv, tid):
    r = srv.get("/api/tasks/%d" % tid)
    assert r.status == 200, r
    return r.json
