"""The page across a restart of nginx and hourglass-fcgi: the runner goes
on, the page reconnects to the same address and resumes from the last
event it saw."""

from pylib.server import Server
from pylib.wait import wait_for

from fixtures import KINDS, finished, watch


def test_page_resumes_after_the_servers_restart(browser):
    # What the browser says while the servers are away: refused
    # connections, and nginx's 503 if it outlives hourglass-fcgi.
    browser.allow(r"/api/\S* - Failed to load resource: net::ERR_\w+",
                  "the servers are down")
    browser.allow(r"/api/\S* - Failed to load resource: the server "
                  r"responded with a status of 50[23]", "a server stopping")
    first = Server(kinds=KINDS).start()
    again = None
    try:
        browser.open(first)
        done = first.create("count", {"total": 5, "delay_ms": 0})["id"]
        browser.wait_row(done, finished)
        tid = first.create("count", {"total": 150, "delay_ms": 50},
                           name="across a restart")["id"]
        before = watch(browser, tid, lambda r: (r["value"] or 0) >= 10)
        first.stop()            # SIGTERM: nginx and hourglass-fcgi go
        wait_for(lambda: browser.mode() != "live", 10,
                 what="the page to notice")
        # The page can only reconnect to the address it came from.
        again = Server(port=first.port, data=first.data).start()
        after = watch(browser, tid, finished, timeout=30)
        end = after[-1]
        assert end["state"] == "succeeded", end
        assert end["value"] == 100 and end["pct"] == "100%", end
        values = [s["value"] for s in before + after
                  if s["value"] is not None]
        assert values == sorted(values), \
            "the bar went back (an event applied twice?): %s" % values
        assert len({s["value"] for s in after
                    if s["value"] is not None and s["value"] < 100}) >= 2, \
            "the bar did not move after the restart: %s" % after[-5:]
        ids = [r["id"] for r in browser.rows()]
        assert sorted(ids) == sorted(set(ids)), "duplicated rows: %s" % ids
        assert sorted(ids) == sorted(again.task_ids()), \
            (ids, again.task_ids())
        wait_for(lambda: browser.mode() == "live", 20,
                 what="the page to be live again")
        # And it goes on: a new task after the restart shows up too.
        new = again.create("count", {"total": 20, "delay_ms": 10})["id"]
        assert watch(browser, new, finished)[-1]["value"] == 100
        ids = [r["id"] for r in browser.rows()]
        assert len(ids) == len(set(ids)) == 3, ids
    finally:
        if again is not None:
            again.close()
        first.close()
