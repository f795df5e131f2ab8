"""A page on another origin, in a real browser, against a server started
with HOURGLASS_CORS_ORIGINS and HOURGLASS_TOKEN: from a listed origin it
creates a task with a JSON POST (a preflight first), reads Location and
a 404's code (of a route that exists: a preflight to an unknown route is
itself 404, which a browser reports as a network error), holds a stream
and imports /hourglass.js; from an origin not listed the browser lets it
read none of that."""

import functools
import http.server
import os
import shutil
import tempfile
import threading

from pylib.server import free_port

from browser import network_error

OTHER_PORT = free_port()
LISTED = "http://127.0.0.1:%d" % OTHER_PORT
# The same page, but "localhost" is another origin than "127.0.0.1".
UNLISTED = "http://localhost:%d" % OTHER_PORT
TOKEN = "c0rs-br0wser"
SERVER_ENV = {"HOURGLASS_TOKEN": TOKEN, "HOURGLASS_CORS_ORIGINS": LISTED}

PAGE = "<!doctype html><link rel=icon href='data:,'><title>other</title>\n"

# Everything a page elsewhere would do, each step's outcome kept.
CALLS_JS = """
const [api, token, done] = arguments;
const auth = {'Authorization': 'Bearer ' + token};
const out = {};
(async () => {
    try {
        const r = await fetch(api + '/api/tasks', {method: 'POST',
            headers: Object.assign({'Content-Type': 'application/json',
                                    'Idempotency-Key': 'cors-page-1'}, auth),
            body: JSON.stringify({kind: 'count',
                                  params: {total: 2, delay_ms: 1}})});
        out.create = {status: r.status, location: r.headers.get('Location'),
                      id: (await r.json()).id};
    } catch (e) { out.create = {error: String(e)}; }
    try {
        const r = await fetch(api + '/api/tasks/999999', {headers: auth});
        out.missing = {status: r.status, code: (await r.json()).error.code};
    } catch (e) { out.missing = {error: String(e)}; }
    try {
        const m = await import(api + '/hourglass.js');
        out.module = typeof m;
    } catch (e) { out.module = 'error: ' + e; }
    out.stream = await new Promise((resolve) => {
        const es = new EventSource(api + '/api/events?access_token=' + token);
        const end = (how) => { es.close(); resolve(how); };
        es.onopen = () => end('open');
        es.onerror = () => end('error');
        setTimeout(() => end('timeout'), 8000);
    });
    return out;
})().then(done, (e) => done({failed: String(e)}));
"""


class OtherOrigin:
    """A plain page served on OTHER_PORT, as another site would serve it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hourglass-cors-page-")
        with open(os.path.join(self.dir, "index.html"), "w") as f:
            f.write(PAGE)
        handler = functools.partial(Quiet, directory=self.dir)
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", OTHER_PORT), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def calls_from(browser, srv, origin):
    other = OtherOrigin()
    try:
        browser.driver.get(origin + "/")
        browser.driver.set_script_timeout(30)
        return browser.driver.execute_async_script(
            CALLS_JS, "http://127.0.0.1:%d" % srv.port, TOKEN)
    finally:
        other.close()


def test_listed_origin_uses_the_api_its_streams_and_the_client(browser, srv):
    browser.allow(network_error("/api/tasks/999999", 404), "asked for")
    out = calls_from(browser, srv, LISTED)
    c = out["create"]
    assert c.get("status") == 201, out
    assert c["location"] == "/api/tasks/%d" % c["id"], out
    assert out["missing"] == {"status": 404, "code": "not_found"}, out
    assert out["module"] == "object", out
    assert out["stream"] == "open", out


def test_unlisted_origin_reads_nothing(browser, srv):
    browser.allow(r"CORS policy|Failed to load resource|net::ERR_FAILED",
                  "the browser refuses every answer to this origin")
    before = srv.get("/api/tasks", headers={
        "Authorization": "Bearer " + TOKEN}).json["tasks"]
    out = calls_from(browser, srv, UNLISTED)
    assert "error" in out["create"], out
    assert "error" in out["missing"], out
    assert out["module"].startswith("error"), out
    assert out["stream"] == "error", out
    # The preflight failed, so the POST itself was never sent.
    after = srv.get("/api/tasks", headers={
        "Authorization": "Bearer " + TOKEN}).json["tasks"]
    assert len(after) == len(before), (before, after)
