"""The suite runner behind tests/e2e/run.py and tests/browser/run.py.

Runs every test_* function of <folder>/test_*.py whose "module.name"
contains one of the WORDs (all of them without WORDs), in definition
order. A test gets its arguments by their names: `srv`, its module's
shared Server, started on first use with the module's KINDS (a kinds
file) and SERVER_ENV if it defines them (SERVER_ENV may be a function
returning the dict); a module's teardown(), if any, runs after its
tests and its server; any other name, a Fixture the
entry point gave. Prints `ok`, `skip` or `FAIL` per test and ends with
the line `N passed, N failed` (scripts/test reads it); main() returns 1
if anything failed. Each test has a deadline and so has the whole run.

Each module's time is printed after its tests (`time test_x 12.3 s`), and
the slowest at the end, so that the suite's budget can be kept. A module
that sets SLOW = "why" is left out when HOURGLASS_SLOW=skip (scripts/test
runs those under one build only, to keep CI inside its time). A module
that sets PLAIN = "why" runs only when HOURGLASS_PLAIN=only, and then
alone: its tests measure what the sanitizers change (memory given back
to the system), so scripts/test runs them against the plain build.
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

from pylib.server import Server


class Skip(Exception):
    """Raised by a test that cannot run here; the runner prints why."""


class Fixture:
    """A test argument made afresh for each test that names it."""

    def make(self, full):
        """The argument for test `full` ("module.name")."""
        raise NotImplementedError

    def check(self, value):
        """After the test passed: raises if it failed after all."""

    def explain(self, value, full):
        """Text to add to test `full`'s failure."""
        return ""

    def close(self, value):
        """After the test, whatever happened."""

    def kill(self, value):
        """The test timed out: unblock a thread stuck in value."""


class Module:
    """A test module and its lazily started shared server."""

    def __init__(self, mod, stop_tasks):
        self.mod = mod
        self.name = mod.__name__
        self.srv = None
        self.stop_tasks = stop_tasks

    def server(self):
        if self.srv is None:
            env = getattr(self.mod, "SERVER_ENV", None)
            self.srv = Server(kinds=getattr(self.mod, "KINDS", None),
                              env=env() if callable(env) else env)
            self.srv.start()
        return self.srv

    def close(self):
        srv, self.srv = self.srv, None
        try:
            self._close_server(srv)
        finally:
            # A module's own shared parts (a Slurm cluster) end after its
            # server: module.teardown(), if it defines one.
            teardown = getattr(self.mod, "teardown", None)
            if teardown is not None:
                teardown()

    def _close_server(self, srv):
        if srv is None:
            return
        if self.stop_tasks:
            # A command still running when the server stops counts as
            # left over (only runners may stay): stop what tests left.
            try:
                if srv.proc is not None and srv.proc.poll() is None:
                    srv.stop_all()
            except (AssertionError, OSError, TypeError, KeyError):
                pass
        srv.close()


def _selected(full, words):
    return not words or any(w in full for w in words)


def discover(folder, words, stop_tasks=False):
    """[(Module, [(name, fn)])] of folder's test modules, imported by name
    with folder first on sys.path (so tests may import each other)."""
    sys.path.insert(0, folder)
    mods = []
    for path in sorted(glob.glob(os.path.join(folder, "test_*.py"))):
        mod = Module(importlib.import_module(
            os.path.splitext(os.path.basename(path))[0]), stop_tasks)
        tests = []
        # Definition order: the module's dict keeps it.
        for name, fn in vars(mod.mod).items():
            if (name.startswith("test_") and callable(fn)
                    and _selected("%s.%s" % (mod.name, name), words)):
                tests.append((name, fn))
        if tests:
            mods.append((mod, tests))
    return mods


def test_names(folder, words):
    """Names of the tests, read without importing them (so that a
    missing library still lets us list what fails)."""
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "test_*.py"))):
        mod = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            for line in f:
                if line.startswith("def test_"):
                    full = "%s.%s" % (mod, line[4:line.index("(")])
                    if _selected(full, words):
                        out.append(full)
    return out


def run_test(mod, full, fn, fixtures, timeout):
    """Runs fn in a thread with a deadline. Returns (status, text):
    status is "ok", "skip" or "FAIL"."""
    out = {}
    made = []           # (fixture, value), also read on a timeout

    def target():
        try:
            args = []
            for p in inspect.signature(fn).parameters:
                if p == "srv":
                    args.append(mod.server())
                elif p in fixtures:
                    made.append((fixtures[p], fixtures[p].make(full)))
                    args.append(made[-1][1])
                else:
                    raise TypeError("unknown test argument %r" % p)
            fn(*args)
            for fx, v in made:
                fx.check(v)
            out["r"] = ("ok", "")
        except Skip as e:
            out["r"] = ("skip", str(e))
        except BaseException:
            text = traceback.format_exc()
            for fx, v in made:
                text += fx.explain(v, full)
            if mod.srv is not None:
                text += mod.srv.nginx_errors()
            out["r"] = ("FAIL", text)
        finally:
            for fx, v in made:
                fx.close(v)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        if made:
            for fx, v in list(made):
                fx.kill(v)      # calls stuck in it fail now
            t.join(10)
        return "FAIL", "timed out after %d s" % timeout
    return out["r"]


def main(folder, words, test_timeout, suite_timeout, fixtures=None,
         problem=None, stop_tasks=False, cleanup=None):
    """Runs folder's tests; returns the exit status.

    fixtures: {argument name: Fixture}. problem: why no test can run here
    (each then fails, saying so), or None. stop_tasks: stop the tasks a
    module's tests left before its server stops. cleanup: called at the
    end, before the last servers close."""
    fixtures = fixtures or {}

    # SIGTERM (a CI timeout) cleans up like Ctrl-C does.
    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    if problem is not None:
        # Not a skip: a machine without the tests' tools fails.
        names = test_names(folder, words) or ["setup"]
        for full in names:
            print("FAIL %s\n  %s" % (full, problem), flush=True)
        print("%d passed, %d failed" % (0, len(names)), flush=True)
        return 1

    passed = failed = 0
    deadline = time.monotonic() + suite_timeout
    skip_slow = os.environ.get("HOURGLASS_SLOW") == "skip"
    plain_only = os.environ.get("HOURGLASS_PLAIN") == "only"
    times = []
    try:
        for mod, tests in discover(folder, words, stop_tasks):
            slow = getattr(mod.mod, "SLOW", None)
            # The marker is the reason, a string: a module's own SLOW
            # of another kind (test parameters once) must not hide it.
            plain = getattr(mod.mod, "PLAIN", None)
            for marker, value in (("SLOW", slow), ("PLAIN", plain)):
                if value is not None and not isinstance(value, str):
                    raise TypeError("%s: %s must say why, as a string"
                                    % (mod.name, marker))
            if bool(plain) != plain_only:
                if plain:
                    print("plain %s: %d tests left to the plain build (%s)"
                          % (mod.name, len(tests), plain), flush=True)
                continue
            if skip_slow and slow:
                print("slow %s: %d tests left to another build (%s)"
                      % (mod.name, len(tests), slow), flush=True)
                continue
            began = time.monotonic()
            for name, fn in tests:
                full = "%s.%s" % (mod.name, name)
                left = deadline - time.monotonic()
                if left <= 1:
                    status, text = "FAIL", "not run: the suite's %d s" \
                        " deadline passed" % suite_timeout
                else:
                    status, text = run_test(mod, full, fn, fixtures,
                                            min(test_timeout, left))
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
            times.append((time.monotonic() - began, mod.name))
            print("time %s %.1f s" % (mod.name, times[-1][0]), flush=True)
    except KeyboardInterrupt:
        failed += 1
        print("FAIL interrupted", flush=True)
    finally:
        if cleanup is not None:
            cleanup()
        for e in Server.close_all():
            failed += 1
            print("FAIL cleanup\n%s" % e, flush=True)
    if times:
        print("slowest: " + ", ".join("%s %.0f s" % (n, t) for t, n in
                                      sorted(times, reverse=True)[:6]),
              flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0
