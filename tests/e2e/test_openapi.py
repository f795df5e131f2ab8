"""GET /api/openapi.json, and the document held to what the server does:
every route of the router is in it and nothing else (`hourglass-fcgi
--routes`), a standard linter accepts it (@redocly/cli, pinned in
package.json, installed by scripts/node-tools), and every answer of a real
request through nginx, errors included, matches the schema the document
gives for its route and status (Debian's python3-jsonschema; OpenAPI 3.1
schemas are JSON Schema 2020-12)."""

import copy
import json
import os
import re
import subprocess

import jsonschema

from harness import REPO, Server, assert_error, free_port, wait_for

SLOW = "the document, the router and live answers; nothing for TSan"

DOC = os.path.join(REPO, "docs", "openapi.json")
METHODS = ("get", "head", "post", "put", "delete", "patch", "options",
           "trace")

KINDS = {"kinds": [
    {"name": "count", "builtin": "count", "description": "counts",
     "params": {"total": {"type": "integer", "min": 1, "max": 100000,
                          "default": 2},
                "delay_ms": {"type": "integer", "min": 0, "max": 60000,
                             "default": 0}}},
    # A log line on each stream, progress, a data item and a result.
    {"name": "items", "description": "prints one of everything",
     "command": ["/bin/sh", "-c", "echo hello; echo oops >&2; "
                 "echo 'PROGRESS 1/2 half'; "
                 # \173 and \175 are { and }, which a command may not
                 # hold (they would be placeholders).
                 "printf '\\173\"name\":\"row\",\"data\":\\173\"n\":1"
                 "\\175\\175\\n'; "
                 "printf '\\173\"result\":\\173\"ok\":true\\175\\175\\n'"],
     "params": {"word": {"type": "string", "max_length": 10,
                         "enum": ["a", "b"], "default": "a"}}},
    {"name": "remote", "external": True, "description": "reports",
     "heartbeat_s": 60, "grace_s": 30},
    {"name": "watched", "builtin": "count", "while_watched_s": 60,
     "params": {"total": {"type": "integer", "min": 1, "default": 2},
                "delay_ms": {"type": "integer", "min": 0, "default": 0}}},
]}


def SERVER_ENV():
    # Nothing listens there: each final state leaves a pending delivery
    # with its error, for GET /api/webhooks/deliveries to show.
    return {"HOURGLASS_WEBHOOK_URL": "http://127.0.0.1:%d/hook"
            % free_port(), "HOURGLASS_WEBHOOK_SECRET": "secret"}


def load_doc():
    with open(DOC, "rb") as f:
        return json.loads(f.read())


def pointer(doc, ref):
    """The object at a local $ref ("#/components/...")."""
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(doc, node["$ref"])
    return node


def schema_errors(doc, schema, instance):
    """JSON Schema 2020-12 errors of instance, as text. The schema is
    checked with the document's components beside it, so that its $refs
    resolve in place (an unknown keyword such as "components" is no
    assertion)."""
    root = dict(schema)
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    root["components"] = doc["components"]
    v = jsonschema.Draft202012Validator(root)
    return ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "(root)",
                        e.message)
            for e in sorted(v.iter_errors(instance), key=str)]


def base_type(ctype):
    return ctype.split(";")[0].strip().lower()


# (METHOD, path template, status) of every answer checked against the
# document in this run, and the drivers that ran (the last test counts).
SEEN = set()
DRIVEN = set()


class Checker:
    """Holds answers to the document; records each in SEEN."""

    def __init__(self, doc):
        self.doc = doc

    def response(self, method, path, status):
        item = self.doc["paths"].get(path)
        assert item is not None, "%s is not in the document" % path
        op = item.get(method.lower())
        assert op is not None, "%s %s is not in the document" % (method,
                                                                  path)
        rs = op["responses"]
        r = rs.get(str(status)) or rs.get("%dXX" % (status // 100)) or \
            rs.get("default")
        assert r is not None, "%s %s answered %d; the document lists %s" % (
            method, path, status, sorted(rs))
        return deref(self.doc, r)

    def media(self, resp, ctype, what):
        content = resp.get("content") or {}
        for k, m in content.items():
            if base_type(k) == base_type(ctype):
                return m
        raise AssertionError("%s: Content-Type %r, the document has %s" % (
            what, ctype, sorted(content)))

    def check(self, r, method, path):
        """r (a harness Response) as the document says for method, path
        and r's status: its required headers, its media type, and a JSON
        body valid against the schema. Returns r."""
        what = "%s %s %d %r" % (method, path, r.status, r.body[:300])
        if method.lower() not in self.doc["paths"][path]:
            return self.check_not_allowed(r, method, path, what)
        resp = self.response(method, path, r.status)
        for name, h in (resp.get("headers") or {}).items():
            h = deref(self.doc, h)
            value = r.headers.get(name)
            if value is None:
                assert not h.get("required"), "%s: no %s header" % (what,
                                                                    name)
                continue
            schema = h.get("schema", {})
            if schema.get("type") == "integer":
                assert value.isdigit(), "%s: %s: %r" % (what, name, value)
                value = int(value)
            errs = schema_errors(self.doc, schema, value)
            assert not errs, "%s: header %s: %s" % (what, name, errs)
        if method == "HEAD":
            assert r.body == b"", "%s: a HEAD with a body" % what
            get = self.response("GET", path, r.status)
            if get.get("content"):
                self.media(get, r.headers.get("Content-Type", ""), what)
        elif not resp.get("content"):
            assert r.body == b"", "%s: a body the document does not" \
                " give" % what
        else:
            ctype = r.headers.get("Content-Type", "")
            m = self.media(resp, ctype, what)
            if base_type(ctype) == "application/json":
                errs = schema_errors(self.doc, m["schema"],
                                     json.loads(r.body))
                assert not errs, "%s:\n  %s" % (what, "\n  ".join(errs))
        SEEN.add((method, path, r.status))
        return r

    def check_not_allowed(self, r, method, path, what):
        """A method the document does not list for path: 405 with the
        path's methods in Allow, as the document's info says."""
        assert r.status == 405, "%s: a method the document does not list" \
            " for the path" % what
        resp = deref(self.doc, {"$ref": "#/components/responses/"
                                "MethodNotAllowed"})
        listed = {m.upper() for m in self.doc["paths"][path]
                  if m in METHODS and m != "head"}
        allow = r.headers.get("Allow", "")
        assert {m.strip() for m in allow.split(",")} == listed, \
            "%s: Allow %r, the document lists %s" % (what, allow, listed)
        m = self.media(resp, r.headers.get("Content-Type", ""), what)
        errs = schema_errors(self.doc, m["schema"], json.loads(r.body))
        assert not errs, "%s:\n  %s" % (what, "\n  ".join(errs))
        SEEN.add((method, path, r.status))
        return r

    def call(self, srv, method, path, id=None, query="", **kw):
        """A request to path (a template of the document, {id} filled in
        with id), checked."""
        url = path.replace("{id}", str(id)) if id is not None else path
        return self.check(srv.request(method, url + query, **kw), method,
                          path)

    def stream(self, srv, path, id=None, query="", headers=None):
        """An event stream's head, checked; returns the open SSEStream."""
        url = path.replace("{id}", str(id)) if id is not None else path
        s = srv.sse(url + query, headers)
        resp = self.response("GET", path, s.status)
        if s.status == 200:
            self.media(resp, s.headers.get("content-type", ""),
                       "GET %s" % url)
        SEEN.add(("GET", path, s.status))
        return s

    def operations(self):
        return {(m.upper(), p) for p, item in self.doc["paths"].items()
                for m in item if m in METHODS}


def routes_of_router():
    """{(METHOD, path)} that `hourglass-fcgi --routes` prints."""
    bindir = os.environ.get("HOURGLASS_BIN") or os.path.join(REPO, "build")
    out = subprocess.run([os.path.join(bindir, "hourglass-fcgi"),
                          "--routes"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=20, check=True)
    lines = out.stdout.decode().splitlines()
    assert lines, "hourglass-fcgi --routes printed nothing"
    return {tuple(line.split(" ", 1)) for line in lines}


# -- the document itself


def test_document_is_served_as_json_byte_for_byte(srv):
    r = srv.get("/api/openapi.json")
    assert r.status == 200, r
    ctype = r.headers["Content-Type"].replace(" ", "").lower()
    assert ctype == "application/json;charset=utf-8", ctype
    with open(DOC, "rb") as f:
        assert r.body == f.read(), "the served document is not " \
            "docs/openapi.json (a stale build?)"
    assert r.json["openapi"].startswith("3.1."), r.json["openapi"]


def test_head_of_document_has_its_length_and_no_body(srv):
    r = srv.request("HEAD", "/api/openapi.json")
    assert r.status == 200 and r.body == b"", r
    assert int(r.headers["Content-Length"]) == os.path.getsize(DOC), r


def test_document_refuses_other_methods_with_allow(srv):
    r = srv.post("/api/openapi.json", {})
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET", r


def test_every_route_of_the_router_is_documented_and_back():
    router = routes_of_router()
    documented = Checker(load_doc()).operations()
    missing = sorted(router - documented)
    extra = sorted(documented - router)
    assert not missing and not extra, (
        "routes not in docs/openapi.json: %s; documented but not routes "
        "(fcgi/route.c): %s" % (missing, extra))


def test_every_component_is_referenced():
    # redocly.yaml turns off its own rule for this (the streams name
    # their events' schemas in x-hourglass-events, which it skips).
    # A component named in a description (MethodNotAllowed, which no
    # operation answers) counts too.
    doc = load_doc()
    text = json.dumps(doc)
    unused = ["%s/%s" % (kind, name)
              for kind, group in doc["components"].items()
              if kind != "securitySchemes"
              for name in group
              if not re.search(r"#/components/%s/%s\b" % (kind, name), text)]
    assert not unused, "components never referenced: %s" % unused


def test_document_lints_clean_with_redocly():
    subprocess.run([os.path.join(REPO, "scripts", "node-tools")],
                   check=True, timeout=50)
    env = dict(os.environ, REDOCLY_TELEMETRY="off",
               REDOCLY_SUPPRESS_UPDATE_NOTICE="true", NO_COLOR="1")
    out = subprocess.run(
        [os.path.join(REPO, "node_modules", ".bin", "redocly"), "lint",
         "--format=stylish", "docs/openapi.json"], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=50)
    text = out.stdout.decode("utf-8", "replace")
    assert out.returncode == 0, "redocly lint failed:\n" + text
    # Warnings too: a rule that does not fit is turned off in
    # redocly.yaml, with its reason.
    assert "warning" not in text, "redocly lint warns:\n" + text


def test_a_drifted_schema_is_caught(srv):
    # The check is no rubber stamp: a task fails a Task schema that
    # lost a field, and one whose states lost the task's.
    doc = load_doc()
    t = srv.create("count", {"total": 1})
    assert not schema_errors(doc, {"$ref": "#/components/schemas/Task"}, t)
    lost = copy.deepcopy(doc)
    del lost["components"]["schemas"]["Task"]["properties"]["result"]
    assert schema_errors(lost, {"$ref": "#/components/schemas/Task"}, t)
    states = copy.deepcopy(doc)
    enum = states["components"]["schemas"]["State"]["enum"]
    enum.remove(t["state"])
    assert schema_errors(states, {"$ref": "#/components/schemas/Task"}, t)
    c = Checker(lost)
    try:
        c.call(srv, "GET", "/api/tasks/{id}", t["id"])
    except AssertionError as e:
        assert "result" in str(e), e
    else:
        raise AssertionError("a task with a result passed a Task schema "
                             "without one")


# -- live answers, route by route


def drive_service_and_kinds(c, srv):
    for p in ("/api/health", "/api/openapi.json", "/api/kinds",
              "/api/metrics", "/api/webhooks/deliveries"):
        assert c.call(srv, "GET", p).status == 200
        assert c.call(srv, "HEAD", p).status == 200
        assert c.call(srv, "PUT", p).status == 405
    c.call(srv, "GET", "/api/webhooks/deliveries", query="?state=pending")
    assert c.call(srv, "GET", "/api/webhooks/deliveries",
                  query="?state=lost").status == 400


def drive_tasks(c, srv):
    P, T = "/api/tasks", "/api/tasks/{id}"
    done = c.call(srv, "POST", P, body={"kind": "items", "name": "x"}).json
    srv.wait_finished(done["id"])
    got = c.call(srv, "GET", T, done["id"]).json
    assert got["result"] == {"ok": True}, got
    c.call(srv, "HEAD", T, done["id"])
    c.call(srv, "GET", P)
    c.call(srv, "GET", P, query="?state=succeeded&kind=items&limit=2"
           "&before=%d" % (done["id"] + 1))
    c.call(srv, "HEAD", P)
    assert c.call(srv, "GET", T + "/log", done["id"]).body
    c.call(srv, "GET", T + "/log", done["id"], query="?tail=1")
    c.call(srv, "HEAD", T + "/log", done["id"])
    page = c.call(srv, "GET", T + "/data", done["id"]).json
    assert page["items"], page
    c.call(srv, "GET", T + "/data", done["id"], query="?name=row&limit=1"
           "&after=0")
    c.call(srv, "HEAD", T + "/data", done["id"])
    # The webhook's deliveries, now that a task has ended.
    wait_for(lambda: srv.get("/api/webhooks/deliveries").json[
        "deliveries"], 20, what="a delivery")
    c.call(srv, "GET", "/api/webhooks/deliveries")

    key = {"Idempotency-Key": "openapi-%d" % done["id"]}
    first = c.call(srv, "POST", P, body={"kind": "count"}, headers=key)
    assert first.status == 201, first
    assert c.call(srv, "POST", P, body={"kind": "count"},
                  headers=key).status == 200
    srv.wait_finished(first.json["id"])
    again = c.call(srv, "POST", T + "/rerun", done["id"], headers=key)
    assert again.status == 200, again
    rerun = c.call(srv, "POST", T + "/rerun", done["id"])
    assert rerun.status == 201 and rerun.json["rerun_of"] == done["id"]
    srv.wait_finished(rerun.json["id"])
    assert c.call(srv, "DELETE", T, rerun.json["id"]).status == 204
    assert c.call(srv, "GET", T, rerun.json["id"]).status == 404

    long = srv.create("count", {"total": 100000, "delay_ms": 1000})
    kid = srv.create("count", after=[long["id"]])
    assert "waiting_for" in c.call(srv, "GET", T, kid["id"]).json
    assert c.call(srv, "DELETE", T, long["id"]).status == 409
    assert c.call(srv, "POST", T + "/rerun", long["id"]).status == 409
    assert c.call(srv, "POST", T + "/stop", long["id"]).status == 202
    srv.wait_finished(long["id"])
    assert c.call(srv, "POST", T + "/stop", long["id"]).status == 409
    assert c.call(srv, "GET", T, kid["id"]).json["error"]["code"] == \
        "dependency_failed"
    watched = c.call(srv, "POST", P, body={"kind": "watched"}).json
    c.call(srv, "POST", T + "/stop", watched["id"])


def drive_task_errors(c, srv):
    P, T = "/api/tasks", "/api/tasks/{id}"
    bad = [("POST", P, None, {"body": b"{", "headers": {
               "Content-Type": "application/json"}}, 400),
           ("POST", P, None, {"body": {"kind": "count", "x": 1}}, 400),
           ("POST", P, None, {"body": {"kind": "count", "after": []}}, 400),
           ("POST", P, None, {"body": "kind=count", "headers": {
               "Content-Type": "text/plain"}}, 415),
           ("POST", P, None, {"body": b"{" + b" " * 65536 + b"}",
                              "headers": {"Content-Type":
                                          "application/json"}}, 413),
           ("POST", P, None, {"body": {"kind": "nope"}}, 422),
           ("POST", P, None, {"body": {"kind": "count", "params":
                                       {"total": 0}}}, 422),
           ("POST", P, None, {"body": {"kind": "count", "after":
                                       [987654321]}}, 422),
           ("POST", P, None, {"body": {"kind": "count"}, "headers": {
               "Idempotency-Key": "x" * 201}}, 400),
           ("GET", P, None, {"query": "?limit=0"}, 400),
           ("GET", P, None, {"query": "?state=asleep"}, 400),
           ("GET", P, None, {"query": "?before=abc"}, 400),
           ("PUT", P, None, {}, 405),
           ("GET", T, 987654321, {}, 404),
           ("GET", T, "abc", {}, 404),
           ("GET", T, "99999999999999999999", {}, 404),
           ("DELETE", T, 987654321, {}, 404),
           ("PUT", T, 1, {}, 405),
           ("GET", T + "/log", 987654321, {}, 404),
           ("GET", T + "/log", 1, {"query": "?tail=0"}, 400),
           ("GET", T + "/data", 987654321, {}, 404),
           ("GET", T + "/data", 1, {"query": "?limit=0"}, 400),
           ("GET", T + "/data", 1, {"query": "?name=-x"}, 400),
           ("POST", T + "/stop", 987654321, {}, 404),
           ("POST", T + "/rerun", 987654321, {}, 404),
           ("GET", T + "/events", 987654321, {}, 404),
           ("GET", T + "/events", 1, {"query": "?after=x"}, 400),
           ("GET", "/api/events", None, {"query": "?after=x"}, 400)]
    for path in (T + "/stop", T + "/rerun", T + "/report"):
        bad.append(("GET", path, 1, {}, 405))
    for path in (T + "/log", T + "/data", T + "/events", "/api/events"):
        bad.append(("POST", path, 1, {}, 405))
    for method, path, id, kw, want in bad:
        r = c.call(srv, method, path, id, **kw)
        assert r.status == want, "%s %s %s: want %d, got %r" % (
            method, path, kw, want, r)


def drive_reports(c, srv):
    R = "/api/tasks/{id}/report"
    t = c.call(srv, "POST", "/api/tasks", body={"kind": "remote"}).json
    auth = {"Authorization": "Bearer " + t["report"]["token"]}
    text = dict(auth, **{"Content-Type": "text/plain"})
    js = dict(auth, **{"Content-Type": "application/json"})
    for kw, want in (
            ({"headers": {"Authorization": "Bearer nope",
                          "Content-Type": "text/plain"}, "body": "1%"},
             401),
            ({"headers": dict(auth, **{"Content-Type": "text/csv"}),
              "body": "1%"}, 415),
            ({"headers": js, "body": "[1]"}, 400),
            ({"headers": js, "body": "{"}, 400),
            ({"headers": text, "body": "x" * (1024 * 1024 + 1)}, 413),
            ({"headers": text, "body": "PROGRESS 1/2 half\nlog\n"}, 200),
            ({"headers": js, "body": '{"data":{"n":1},"name":"row"}'}, 200),
            ({"headers": js, "body": '{"complete":1,"code":0,'
              '"result":{"rows":2}}'}, 200),
            ({"headers": text, "body": "1%"}, 409)):
        r = c.call(srv, "POST", R, t["id"], **kw)
        assert r.status == want, "report %s: want %d, got %r" % (
            kw["body"][:40], want, r)
    assert c.call(srv, "POST", R, 987654321, headers=text,
                  body="1%").status in (401, 404)
    # A report to a task that still waits for another is 409 waiting.
    long = srv.create("count", {"total": 100000, "delay_ms": 1000})
    w = srv.create("remote", after=[long["id"]])
    r = c.call(srv, "POST", R, w["id"], body="1%", headers={
        "Authorization": "Bearer " + w["report"]["token"],
        "Content-Type": "text/plain"})
    assert_error(r, 409, "waiting")
    srv.stop_task(long["id"])


def drive_schedules(c, srv):
    P, S = "/api/schedules", "/api/schedules/{id}"
    s = c.call(srv, "POST", P, body={"kind": "count", "name": "n",
                                     "cron": "0 3 * * *",
                                     "timezone": "Europe/Paris"})
    assert s.status == 201, s
    sid = s.json["id"]
    c.call(srv, "GET", P)
    c.call(srv, "HEAD", P)
    c.call(srv, "GET", S, sid)
    c.call(srv, "HEAD", S, sid)
    assert c.call(srv, "POST", S + "/pause", sid).json["paused"] is True
    assert c.call(srv, "POST", S + "/resume", sid).json["paused"] is False
    task = c.call(srv, "POST", S + "/run", sid)
    assert task.status == 201 and task.json["schedule"] == sid, task
    srv.wait_finished(task.json["id"])
    c.call(srv, "GET", "/api/tasks/{id}", task.json["id"])
    c.call(srv, "GET", P + "/preview", query="?cron=*/15+9-17+*+*+mon-fri"
           "&timezone=America/New_York")
    c.call(srv, "HEAD", P + "/preview", query="?cron=@daily")
    assert c.call(srv, "DELETE", S, sid).status == 204
    for method, path, id, kw, want in (
            ("GET", S, sid, {}, 404),
            ("GET", S, "abc", {}, 404),
            ("DELETE", S, sid, {}, 404),
            ("POST", S + "/pause", sid, {}, 404),
            ("POST", S + "/resume", sid, {}, 404),
            ("POST", S + "/run", sid, {}, 404),
            ("PUT", S, 1, {}, 405),
            ("PUT", P, None, {}, 405),
            ("GET", S + "/run", 1, {}, 405),
            ("GET", S + "/pause", 1, {}, 405),
            ("GET", S + "/resume", 1, {}, 405),
            ("POST", P + "/preview", None, {}, 405),
            ("GET", P + "/preview", None, {}, 400),
            ("GET", P + "/preview", None, {"query": "?cron=61+*+*+*+*"},
             422),
            ("GET", P + "/preview", None, {"query": "?cron=@daily"
                                           "&timezone=Mars/Olympus"}, 422),
            ("POST", P, None, {"body": {"kind": "count"}}, 400),
            ("POST", P, None, {"body": {"kind": "count", "cron": "@daily",
                                        "x": 1}}, 400),
            ("POST", P, None, {"body": "{}", "headers": {
                "Content-Type": "text/plain"}}, 415),
            ("POST", P, None, {"body": b"{" + b" " * 65536 + b"}",
                               "headers": {"Content-Type":
                                           "application/json"}}, 413),
            ("POST", P, None, {"body": {"kind": "nope", "cron": "@daily"}},
             422),
            ("POST", P, None, {"body": {"kind": "count", "cron": "@daily",
                                        "params": {"total": 0}}}, 422),
            ("POST", P, None, {"body": {"kind": "count", "cron": "0 0 30 2"
                                        " *"}}, 422),
            ("POST", P, None, {"body": {"kind": "remote",
                                        "cron": "@daily"}}, 422)):
        r = c.call(srv, method, path, id, **kw)
        assert r.status == want, "%s %s %s: want %d, got %r" % (
            method, path, kw, want, r)


def drive_streams(c, srv):
    doc = c.doc
    T = "/api/tasks/{id}/events"
    t = srv.create("items")
    srv.wait_finished(t["id"])
    gone = srv.create("count")
    srv.wait_finished(gone["id"])
    assert srv.delete("/api/tasks/%d" % gone["id"]).status == 204
    events = doc["paths"][T]["get"]["responses"]["200"]["content"][
        "text/event-stream"]["x-hourglass-events"]
    seen = set()
    with c.stream(srv, T, t["id"], "?after=0") as s:
        assert s.status == 200, s.body
        s.read(timeout=20)
        assert s.ended, "the stream of an ended task did not end"
        for e in s.events:
            assert e.type in events, "undocumented event %r" % e
            errs = schema_errors(doc, events[e.type], e.json)
            assert not errs, "%r:\n  %s" % (e, "\n  ".join(errs))
            seen.add(e.type)
    assert {"state", "progress", "log", "data"} <= seen, seen
    # Every task's stream, from the beginning: the deleted task's too.
    with c.stream(srv, "/api/events", query="?after=0") as s:
        assert s.status == 200, s.body
        s.read(until=lambda e: e.type == "deleted", timeout=20)
        for e in s.events:
            errs = schema_errors(doc, doc["paths"]["/api/events"]["get"][
                "responses"]["200"]["content"]["text/event-stream"][
                "x-hourglass-events"][e.type], e.json)
            assert not errs, "%r:\n  %s" % (e, "\n  ".join(errs))
            seen.add(e.type)
    assert "deleted" in seen, seen
    with c.stream(srv, T, t["id"]) as s:
        assert s.status == 204, s.status
    r = srv.request("HEAD", "/api/tasks/%d/events" % t["id"])
    assert c.check(r, "HEAD", T).status == 204, r
    r = c.call(srv, "HEAD", T, t["id"], query="?after=0")
    assert r.status == 200, r
    assert c.call(srv, "HEAD", "/api/events").status == 200
    with c.stream(srv, "/api/events") as s:
        assert s.status == 200, s.status


def drive(fn, srv):
    fn(Checker(load_doc()), srv)
    DRIVEN.add(fn)


def test_answers_of_service_and_kinds_match(srv):
    drive(drive_service_and_kinds, srv)


def test_answers_of_tasks_match(srv):
    drive(drive_tasks, srv)


def test_errors_of_tasks_match(srv):
    drive(drive_task_errors, srv)


def test_answers_of_reports_match(srv):
    drive(drive_reports, srv)


def test_answers_of_schedules_match(srv):
    drive(drive_schedules, srv)


def test_event_streams_match_the_documented_event_schemas(srv):
    drive(drive_streams, srv)


DRIVERS = (drive_service_and_kinds, drive_tasks, drive_task_errors,
           drive_reports, drive_schedules, drive_streams)


def test_every_operation_was_answered_with_a_success(srv):
    # Run alone, it drives every route itself.
    for fn in DRIVERS:
        if fn not in DRIVEN:
            drive(fn, srv)
    ok = {(m, p) for m, p, status in SEEN if 200 <= status < 300}
    missing = sorted(Checker(load_doc()).operations() - ok)
    assert not missing, "operations never answered with a 2xx: %s" % (
        missing,)


def test_an_operation_that_needs_no_token_lists_no_401():
    doc = load_doc()
    open_ops = [(path, m) for path, item in doc["paths"].items()
                for m, op in item.items()
                if m in METHODS and op.get("security") == []]
    assert ("/api/health", "get") in open_ops, open_ops
    for path, m in open_ops:
        assert "401" not in doc["paths"][path][m]["responses"], (path, m)


def test_token_and_queue_answers_match():
    # A server of its own: a token, and room for one queued task.
    doc = load_doc()
    c = Checker(doc)
    tok = "s3cret-token"
    with Server(kinds=KINDS, env={"HOURGLASS_TOKEN": tok,
                                  "HOURGLASS_MAX_QUEUED": "1"}) as srv:
        for path, item in doc["paths"].items():
            for m in item:
                if m not in METHODS:
                    continue
                r = c.call(srv, m.upper(), path, 1, body=None)
                if path == "/api/health":
                    assert r.status == 200, r
                elif path.endswith("/report"):
                    assert r.status == 401, r
                else:
                    assert r.status == 401 and r.headers[
                        "WWW-Authenticate"] == "Bearer", r
        auth = {"Authorization": "Bearer " + tok}
        r = c.call(srv, "GET", "/api/openapi.json", headers=auth)
        assert r.status == 200, r
        r = c.call(srv, "GET", "/api/openapi.json",
                   query="?access_token=" + tok)
        assert r.status == 200, r
        t = c.call(srv, "POST", "/api/tasks", body={"kind": "remote"},
                   headers=auth)
        assert t.status == 201, t
        r = c.call(srv, "POST", "/api/tasks", body={"kind": "remote"},
                   headers=auth)
        assert_error(r, 429, "queue_full")
        r = c.call(srv, "POST", "/api/tasks/{id}/rerun", t.json["id"],
                   headers=auth)
        assert r.status == 409, r
        c.call(srv, "POST", "/api/tasks/{id}/stop", t.json["id"],
               headers=auth)
