#!/usr/bin/env python3
"""Runs the end-to-end tests through real nginx, hourglass-fcgi and SQLite.

    python3 tests/e2e/run.py [WORD ...]

Runs every test_* function of tests/e2e/test_*.py whose "module.name"
contains one of the WORDs (all of them without WORDs). A test that takes an
argument `srv` gets its module's shared Server, started on first use with
the module's KINDS (a kinds file) and SERVER_ENV if it defines them; other
tests start their own. Prints `ok`, `skip` or `FAIL` per test and ends with
the line `N passed, N failed`; exits non-zero if anything failed.
HOURGLASS_BIN (e.g. build/asan) is passed through to scripts/serve.
"""

import glob
import importlib
import inspect
import os
import signal
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))       # tests/, for pylib
sys.dont_write_bytecode = True      # no __pycache__ left in the tree

import harness  # noqa: E402

TEST_TIMEOUT = 60       # s, one test, its server's start included
SUITE_TIMEOUT = 600     # s, the whole run: it must never hang


class Module:
    """A test module and its lazily started shared server."""

    def __init__(self, mod):
        self.mod = mod
        self.name = mod.__name__
        self.srv = None

    def server(self):
        if self.srv is None:
            self.srv = harness.Server(kinds=getattr(self.mod, "KINDS", None),
                                      env=getattr(self.mod, "SERVER_ENV",
                                                  None))
            self.srv.start()
        return self.srv

    def close(self):
        srv, self.srv = self.srv, None
        if srv is not None:
            srv.close()


def discover(words):
    mods = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        mod = Module(importlib.import_module(
            os.path.splitext(os.path.basename(path))[0]))
        tests = []
        # Definition order: the module's dict keeps it.
        for name, fn in vars(mod.mod).items():
            full = "%s.%s" % (mod.name, name)
            if (name.startswith("test_") and callable(fn)
                    and (not words or any(w in full for w in words))):
                tests.append((name, fn))
        if tests:
            mods.append((mod, tests))
    return mods


def run_test(mod, fn, timeout):
    """Runs fn in a thread with a deadline. Returns (status, text):
    status is "ok", "skip" or "FAIL"."""
    out = {}

    def target():
        try:
            args = []
            if "srv" in inspect.signature(fn).parameters:
                args.append(mod.server())
            fn(*args)
            out["r"] = ("ok", "")
        except harness.Skip as e:
            out["r"] = ("skip", str(e))
        except BaseException:
            out["r"] = ("FAIL", traceback.format_exc())

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        return "FAIL", "timed out after %d s" % timeout
    return out["r"]


def main():
    words = sys.argv[1:]

    # SIGTERM (a CI timeout) cleans up like Ctrl-C does.
    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    passed = failed = 0
    deadline = time.monotonic() + SUITE_TIMEOUT
    try:
        for mod, tests in discover(words):
            for name, fn in tests:
                full = "%s.%s" % (mod.name, name)
                left = deadline - time.monotonic()
                if left <= 1:
                    status, text = "FAIL", "not run: the suite's %d s" \
                        " deadline passed" % SUITE_TIMEOUT
                else:
                    status, text = run_test(mod, fn, min(TEST_TIMEOUT, left))
                if status == "ok":
                    passed += 1
                    print("ok " + full, flush=True)
                elif status == "skip":
                    print("skip %s: %s" % (full, text), flush=True)
                else:
                    failed += 1
                    print("FAIL %s\n%s" % (full, text.rstrip()), flush=True)
                    srv = mod.srv
                    if srv and srv.proc and srv.proc.poll() is not None:
                        # The server died: say so once, and start afresh
                        # rather than fail every later test the same way.
                        print("  (scripts/serve exited with %s; its stderr:"
                              "\n%s)" % (srv.proc.returncode, "".join(
                                  srv.stderr[-30:])), flush=True)
                        text = "timed out"
                    if text.startswith("timed out"):
                        # The stuck test may still hold the shared server:
                        # the next test gets a fresh one.
                        try:
                            mod.close()
                        except AssertionError:
                            pass
            try:
                mod.close()
            except AssertionError as e:
                failed += 1
                print("FAIL %s.teardown\n%s" % (mod.name, e), flush=True)
    except KeyboardInterrupt:
        failed += 1
        print("FAIL interrupted", flush=True)
    finally:
        for e in harness.Server.close_all():
            failed += 1
            print("FAIL cleanup\n%s" % e, flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
