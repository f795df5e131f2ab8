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
import re
import time
import urllib.request

from pylib.server import Server, free_port
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
        log: (l, ev) => say({ ev: ev.id, log: l.line }),
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
/* A task's watch: what it calls, each tagged with the id watched. */
window.watchOne = (id) => {
    hg.watch(id, {
        end: (task) => say({ one: id, end: task.state }),
        error: (e) => say({ one: id, error: e.code, status: e.status }),
        mode: (m) => say({ one: id, mode: m }),
    });
};
window.errors = async (nobody) => {
    const out = { base: new Hourglass().base,
                  kinds: (await new Hourglass({ base: null }).kinds())
                      .map((k) => k.name) };
    const keep = (e) => ({ code: e.code, status: e.status,
                           message: e.message, name: e.name,
                           isError: e instanceof HourglassError });
    await hg.start("count", { total: 0 }).catch((e) => out.params = keep(e));
    await hg.start("nope").catch((e) => out.kind = keep(e));
    await new Hourglass({ base: nobody }).kinds()
        .catch((e) => out.network = keep(e));
    return out;
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


ENV = {"HOURGLASS_CORS_ORIGINS": LISTED}


class Embed:
    """A server that lets LISTED in, the page there, and the external
    task the page started, whose worker this is. close() ends them all."""

    def __init__(self, browser, query=""):
        self.browser = browser
        self.servers = [Server(kinds=KINDS, env=ENV).start()]
        self.api = "http://127.0.0.1:%d" % self.srv.port
        self.other = None
        try:
            self.other = open_page(browser, self.api, query)
            self.tid = browser.driver.execute_async_script(
                "startRows().then(arguments[0])")
            self.report = next(r["report"] for r in received(browser)
                               if "report" in r)
            # A watch without `after` starts at the task as it is when
            # its stream opens: the worker sends once it is open (or
            # polling), or a loaded machine would lose the first rows
            # to the race.
            wait_for(lambda: any("mode" in r for r in received(browser)),
                     10, what="the page's watch to open")
        except BaseException:
            self.close()
            raise

    @property
    def srv(self):
        return self.servers[-1]

    def restart(self):
        """Stops nginx and hourglass-fcgi and starts them again, on the
        same port and data folder."""
        first = self.srv
        first.stop()
        self.servers.append(Server(kinds=KINDS, env=ENV, port=first.port,
                                   data=first.data).start())

    def post(self, body):
        """One report, as the worker of an external task sends it."""
        req = urllib.request.Request(
            self.api + self.report["url"], data=body.encode(),
            method="POST", headers={
                "Authorization": "Bearer " + self.report["token"],
                "Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200, r.status

    def send(self, first, last, n):
        """Items first..last of n, named "row", each with its progress
        and a log line, 50 ms apart."""
        for i in range(first, last + 1):
            self.post(json.dumps({"name": "row", "data": {
                "n": i, "sq": i * i}}) + "\nPROGRESS %d/%d\nline %d\n" % (
                    i, n, i))
            time.sleep(0.05)

    def end(self, result=None):
        self.post((json.dumps({"result": result}) + "\n" if result
                   else "") + json.dumps({"complete": 1, "code": 0}) + "\n")

    def rows_seen(self, k, what):
        wait_for(lambda: sum("row" in r for r in received(self.browser))
                 >= k, 10, what=what)

    def wait_end(self, what, timeout=15):
        return wait_for(lambda: (lambda r: r if any("end" in x for x in r)
                                 else None)(received(self.browser)),
                        timeout, what=what)

    def close(self):
        if self.other is not None:
            self.other.close()
        for s in reversed(self.servers):
            s.close()


def check_rows(got, n, logs=True, order=True):
    """Rows 1..n and (logs) their log lines each once, in order, with
    event ids strictly up (order: across rows and log lines too)."""
    rows = [r for r in got if "row" in r]
    assert [r["row"]["n"] for r in rows] == list(range(1, n + 1)), \
        "items lost or repeated: %s" % rows
    lines = [r["log"] for r in got if "log" in r]
    assert lines == (["line %d" % i for i in range(1, n + 1)] if logs
                     else []), "log lines lost or repeated: %s" % lines
    assert all(r["row"]["sq"] == r["row"]["n"] ** 2 for r in rows), rows
    assert all(r["ev"] is not None for r in rows), rows
    for kinds in ((("row", "log", "progress"),) if order else
                  (("row",), ("log",))):
        ids = [r["ev"] for r in got if r.get("ev") is not None and
               any(k in r for k in kinds)]
        assert ids == sorted(set(ids)), \
            "event ids not strictly increasing: %s %s" % (kinds, ids)
    assert any(r.get("progress") == n for r in got), got[-5:]


def test_another_origins_page_follows_a_task_across_a_restart(browser):
    browser.allow(r"/api/\S* - Failed to load resource: net::ERR_\w+",
                  "the servers are down")
    browser.allow(r"/api/\S* - Failed to load resource: the server "
                  r"responded with a status of 50[23]", "a server stopping")
    browser.allow(network_error("/api/tasks/99999999", 404), "asked for")
    e = Embed(browser)
    try:
        n = 20
        e.send(1, 5, n)
        e.rows_seen(5, "five rows before the restart")
        e.restart()
        # The rest comes while the page is still away or reconnecting.
        e.send(6, n, n)
        total = sum(i * i for i in range(1, n + 1))
        e.end({"sum": total})
        got = e.wait_end("the task's end through the handlers", 40)
        check_rows(got, n)
        assert [r for r in got if "end" in r] == [
            {"end": "succeeded", "result": {"sum": total}}], got
        assert not any("other" in r for r in got), got
        assert srv_task(e.srv, e.tid)["state"] == "succeeded"
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
        assert srv_task(e.srv, long)["state"] == "canceled"
    finally:
        e.close()


def test_errors_carry_the_contracts_code(browser):
    browser.allow(network_error("/api/tasks", 422), "provoked")
    nobody = "http://127.0.0.1:%d" % free_port()
    browser.allow(re.escape(nobody) + r"/api/kinds - Failed to load "
                  r"resource: net::ERR_CONNECTION_REFUSED",
                  "nobody listens there")
    e = Embed(browser)
    try:
        out = browser.driver.execute_async_script(
            "errors(arguments[0]).then(arguments[1])", nobody)
        # Without a base, the API is where the module came from.
        assert out["base"] == e.api, out
        assert out["kinds"] == ["remote", "count"], out
        assert out["params"]["code"] == "invalid_params", out
        assert out["params"]["status"] == 422, out
        assert out["params"]["message"].startswith("params.total:"), out
        assert out["params"]["isError"] and \
            out["params"]["name"] == "HourglassError", out
        assert (out["kind"]["code"], out["kind"]["status"]) == \
            ("unknown_kind", 422), out
        assert (out["network"]["code"], out["network"]["status"]) == \
            ("network", 0), out
        assert out["network"]["isError"], out
        e.end()
    finally:
        e.close()


def test_a_stream_the_browser_closed_reopens_after_the_last_id(browser):
    e = Embed(browser)
    try:
        n = 6
        e.send(1, 3, n)
        e.rows_seen(3, "three rows on the first stream")
        last = max(r["ev"] for r in received(browser) if r.get("ev"))
        browser.js("dropStream()")
        e.send(4, n, n)     # while no stream is open
        e.end()
        got = e.wait_end("the task's end on the reopened stream")
        check_rows(got, n)
        streams = browser.js("return window.streams")
        assert len(streams) == 2, streams
        assert "after=%d" % last in streams[1], (last, streams)
        assert [r.get("mode") or r.get("error") for r in got
                if "mode" in r or "error" in r] == \
            ["sse", "network", "sse", "closed"], got
    finally:
        e.close()


def test_a_long_outage_polls_then_the_stream_gives_what_polls_missed(
        browser):
    browser.allow(r"/api/\S* - Failed to load resource: net::ERR_\w+",
                  "the servers are down")
    browser.allow(r"/api/\S* - Failed to load resource: the server "
                  r"responded with a status of 50[234]", "a server stopping")
    e = Embed(browser)
    try:
        n = 9
        e.send(1, 3, n)
        e.rows_seen(3, "three rows on the stream")
        first = e.srv
        first.stop()
        wait_for(lambda: {"mode": "polling"} in received(browser), 30,
                 what="the client to poll, the servers away")
        e.servers.append(Server(kinds=KINDS, env=ENV, port=first.port,
                                data=first.data).start())
        # Polls read the task and its items, not its log lines.
        e.send(4, 6, n)
        e.rows_seen(6, "rows 4 to 6, polled or streamed")
        e.send(7, n, n)
        e.end()
        got = e.wait_end("the task's end after the outage", 40)
        # Each row and each log line once: the stream, open again,
        # resumed after the last event it had given, and the rows
        # polling gave were not given again. The log lines it replayed
        # come after the rows polls gave, each kind in order.
        check_rows(got, n, order=False)
    finally:
        e.close()


def test_a_watch_of_an_ended_task_ends_at_once(browser):
    browser.allow(r"/api/tasks/999999\S* - Failed to load resource: the "
                  r"server responded with a status of 404", "asked for")
    e = Embed(browser)
    try:
        e.end()
        e.wait_end("the rows task's end")
        browser.js("watchOne(%d); watchOne(999999)" % e.tid)
        got = wait_for(lambda: (lambda r: r if sum(
            x.get("mode") == "closed" for x in r if "one" in x) == 2
            else None)(received(browser)), 10,
            what="both watches to close")
        mine = [{k: v for k, v in x.items() if k != "one"} for x in got
                if x.get("one") == e.tid]
        # No error on the way: the stream's 204 says the task has ended.
        assert mine == [{"end": "succeeded"}, {"mode": "closed"}], got
        gone = [{k: v for k, v in x.items() if k != "one"} for x in got
                if x.get("one") == 999999]
        assert gone == [{"error": "not_found", "status": 404},
                        {"mode": "closed"}], got
    finally:
        e.close()


def test_without_eventsource_the_client_polls(browser):
    e = Embed(browser, "?nosse")
    try:
        n = 8
        e.send(1, 4, n)
        e.rows_seen(1, "a first poll with rows")   # it polls every 2 s
        e.send(5, n, n)
        e.end("done")
        got = e.wait_end("the task's end, polled")
        check_rows(got, n, logs=False)     # polls read no log lines
        assert [r["mode"] for r in got if "mode" in r] == \
            ["polling", "closed"], got
        assert [r for r in got if "end" in r] == [
            {"end": "succeeded", "result": "done"}], got
        assert srv_task(e.srv, e.tid)["state"] == "succeeded"
    finally:
        e.close()


def srv_task(srv, tid):
    r = srv.get("/api/tasks/%d" % tid)
    assert r.status == 200, r
    return r.json
