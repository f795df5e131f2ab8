"""A kinds file with a mistake is refused at start, with a message that
names the file, the kind and the field; scripts/serve exits non-zero."""

import json
import os

from harness import Server, ServeFailed, refused

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "a server per kinds file; nothing for TSan to see"

COUNT_PARAMS = {"total": {"type": "integer", "min": 1, "max": 10,
                          "default": 5},
                "delay_ms": {"type": "integer", "min": 0, "max": 10,
                             "default": 0}}




def kind(name="bad", **fields):
    k = {"name": name, "builtin": "count", "description": "x",
         "params": dict(COUNT_PARAMS)}
    k.update(fields)
    return k


def test_kinds_file_that_is_not_json_is_refused():
    refused('{"kinds": [ {"name": "count", ')


def test_kinds_file_that_is_missing_is_refused():
    srv = Server(kinds_path="/nonexistent/kinds.json")
    try:
        try:
            srv.start()
        except ServeFailed as e:
            assert e.rc != 0 and "/nonexistent/kinds.json" in e.stderr, \
                e.stderr
            return
        raise AssertionError("scripts/serve started without a kinds file")
    finally:
        srv.close()


def test_kinds_param_with_min_above_max_is_refused():
    params = dict(COUNT_PARAMS, width={"type": "integer", "min": 10,
                                       "max": 1, "default": 5})
    refused({"kinds": [kind("skewed", params=params)]}, "skewed", "width")


def test_kinds_param_of_unknown_type_is_refused():
    params = dict(COUNT_PARAMS, speed={"type": "float", "default": 1})
    refused({"kinds": [kind("oddtype", params=params)]}, "oddtype", "speed")


def test_kinds_kind_without_builtin_is_refused():
    k = kind("runsnothing")
    del k["builtin"]
    refused({"kinds": [k]}, "runsnothing", "builtin")


def test_kinds_unknown_builtin_is_refused():
    refused({"kinds": [kind("strange", builtin="nosuch")]}, "strange",
            "builtin")


def test_kinds_duplicate_names_are_refused():
    refused({"kinds": [kind("twice"), kind("twice")]}, "twice", "name")


def test_kinds_default_outside_range_is_refused():
    params = dict(COUNT_PARAMS, total={"type": "integer", "min": 1,
                                       "max": 10, "default": 50})
    refused({"kinds": [kind("baddefault", params=params)]}, "baddefault",
            "total")


def test_kinds_bad_pattern_is_refused():
    params = dict(COUNT_PARAMS, label={"type": "string", "pattern": "([a-z",
                                       "default": "a"})
    refused({"kinds": [kind("badregex", params=params)]}, "badregex",
            "label")


def test_kinds_while_watched_s_that_is_not_positive_is_refused():
    for bad in (0, -1, "5", True):
        refused({"kinds": [kind("peek", while_watched_s=bad)]}, "peek",
                "while_watched_s")


def test_kinds_external_that_is_not_a_boolean_is_refused():
    refused({"kinds": [kind("far", external="yes")]}, "far", "external")


def test_kinds_external_kind_with_a_program_is_refused():
    refused({"kinds": [kind("far", external=True)]}, "far", "builtin")
    k = {"name": "far2", "external": True, "command": ["true"]}
    refused({"kinds": [k]}, "far2", "command")
    for field, value in (("timeout_s", 5), ("max_running", 1),
                         ("cwd", "/tmp"), ("env", {"A": "b"})):
        k = {"name": "far3", "external": True, field: value}
        refused({"kinds": [k]}, "far3", field)


def test_kinds_heartbeat_s_outside_an_external_kind_is_refused():
    refused({"kinds": [kind("beat", heartbeat_s=10)]}, "beat",
            "heartbeat_s")
    for bad in (0, -2, "60"):
        refused({"kinds": [{"name": "beat2", "external": True,
                            "heartbeat_s": bad}]}, "beat2", "heartbeat_s")


def test_kinds_good_file_of_our_own_starts():
    k = {"kinds": [kind("mine"), kind("count")]}
    with Server(kinds=json.dumps(k)) as srv:
        names = {x["name"] for x in srv.get("/api/kinds").json["kinds"]}
        assert names == {"mine", "count"}, names
        assert os.path.exists(srv.kinds_path)
