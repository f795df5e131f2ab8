#!/usr/bin/env python3
"""Runs the browser tests: the page in Debian's headless Chromium, driven
by chromedriver through python3-selenium, against the real service.

    python3 tests/browser/run.py [--shots DIR] [WORD ...]

Runs every test_* function of tests/browser/test_*.py whose "module.name"
contains one of the WORDs (all of them without WORDs). A test gets, by the
names of its arguments: `srv`, its module's shared Server (started on
first use with the module's KINDS); `browser`, a fresh Chromium of its
own; `shots`, the folder for screenshots (--shots, else a new temporary
folder, printed at the end). A passing test fails after all if the
browser's console holds an error the test did not say it expects. A
failing test leaves a screenshot FAIL-<test>.png there.

Prints `ok` or `FAIL` per test and, as its last line, `N passed, N
failed`; exits non-zero if anything failed. Nothing is skipped: without
chromium, chromedriver or selenium every test fails, saying what is
missing. Each test has a deadline and so has the whole run.
HOURGLASS_BIN (e.g. build/asan) is passed through to scripts/serve.
"""

import os
import sys

# Debian's python3-selenium is installed for Debian's python3 only; a
# python3 earlier in PATH (pyenv, a venv) does not see it.
try:
    import selenium  # noqa: F401
except ImportError:
    DEBIAN_PY = "/usr/bin/python3"
    if (os.environ.get("HOURGLASS_BROWSER_REEXEC") is None
            and os.access(DEBIAN_PY, os.X_OK)
            and os.path.realpath(sys.executable)
            != os.path.realpath(DEBIAN_PY)):
        os.environ["HOURGLASS_BROWSER_REEXEC"] = "1"
        os.execv(DEBIAN_PY, [DEBIAN_PY] + sys.argv)

import glob  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# Ours first: tests/e2e has test modules of the same names.
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))     # for pylib
sys.dont_write_bytecode = True      # no __pycache__ left in the tree

import harness  # noqa: E402

TEST_TIMEOUT = 90       # s, one test, with its server and browser start
SUITE_TIMEOUT = 480     # s, the whole run: it must never hang


def setup_problem():
    """Why no browser test can run here, or None."""
    missing = []
    try:
        import browser  # noqa: F401  (imports selenium)
        missing += browser.missing_tools()
    except ImportError as e:
        missing.append("selenium for %s (apt-get install python3-selenium;"
                       " %s)" % (sys.executable, e))
    if missing:
        return "missing: " + "; ".join(missing)
    return None


class Module:
    """A test module and its lazily started shared server."""

    def __init__(self, mod, name):
        self.mod = mod
        self.name = name
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
        if srv is None:
            return
        # Stop what the tests left running: a command still running when
        # the server stops counts as left over (only runners may stay).
        try:
            if srv.proc is not None and srv.proc.poll() is None:
                for t in srv.get("/api/tasks?limit=500").json["tasks"]:
                    if t["state"] in harness.ACTIVE:
                        srv.post("/api/tasks/%d/stop" % t["id"])
                srv.wait_idle(20)
        except (AssertionError, OSError, TypeError, KeyError):
            pass
        srv.close()


def discover(words):
    mods = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        # By path, under a name of our own: tests/e2e/test_restart.py
        # must not stand in for ours.
        spec = importlib.util.spec_from_file_location(
            "hourglass_browser_" + name, path)
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        mod = Module(m, name)
        tests = []
        for tname, fn in vars(mod.mod).items():     # definition order
            full = "%s.%s" % (mod.name, tname)
            if (tname.startswith("test_") and callable(fn)
                    and (not words or any(w in full for w in words))):
                tests.append((tname, fn))
        if tests:
            mods.append((mod, tests))
    return mods


def test_names(words):
    """Names of the tests, read without importing them (so that a
    missing selenium still lets us list what fails)."""
    out = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        mod = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            for line in f:
                if line.startswith("def test_"):
                    full = "%s.%s" % (mod, line[4:line.index("(")])
                    if not words or any(w in full for w in words):
                        out.append(full)
    return out


def run_test(mod, full, fn, shots, timeout):
    """Runs fn in a thread with a deadline. Returns (status, text)."""
    out = {}
    held = {}

    def target():
        import browser
        b = None
        try:
            args = []
            params = inspect.signature(fn).parameters
            for p in params:
                if p == "srv":
                    args.append(mod.server())
                elif p == "browser":
                    b = held["browser"] = browser.Browser()
                    args.append(b)
                elif p == "shots":
                    args.append(shots)
                else:
                    raise TypeError("unknown test argument %r" % p)
            fn(*args)
            if b is not None:
                b.check_console()
            out["r"] = ("ok", "")
        except BaseException:
            text = traceback.format_exc()
            if b is not None and b.driver is not None:
                try:
                    path = b.screenshot(os.path.join(
                        shots, "FAIL-%s.png" % full))
                    text += "screenshot: %s\n" % path
                    log = b.read_console()
                    if log:
                        text += "browser console:\n" + "\n".join(
                            "  [%s %s] %s" % (e.get("level"),
                                              e.get("source"),
                                              e.get("message"))
                            for e in log[-20:]) + "\n"
                except Exception:
                    pass
            out["r"] = ("FAIL", text)
        finally:
            if b is not None:
                b.close()

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        b = held.get("browser")
        if b is not None:
            b.kill()        # calls stuck in chromedriver fail now
        t.join(10)
        return "FAIL", "timed out after %d s" % timeout
    return out["r"]


def main():
    argv = sys.argv[1:]
    shots = None
    if argv[:1] == ["--shots"] and len(argv) >= 2:
        shots = os.path.abspath(argv[1])
        argv = argv[2:]
    words = argv
    shots = shots or tempfile.mkdtemp(prefix="hourglass-shots-")
    os.makedirs(shots, exist_ok=True)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    passed = failed = 0
    problem = setup_problem()
    if problem is not None:
        # Not a skip: a machine without the browser tests' tools fails.
        names = test_names(words) or ["setup"]
        for full in names:
            print("FAIL %s\n  %s" % (full, problem), flush=True)
        print("%d passed, %d failed" % (0, len(names)), flush=True)
        return 1

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
                    status, text = run_test(mod, full, fn, shots,
                                            min(TEST_TIMEOUT, left))
                if status == "ok":
                    passed += 1
                    print("ok " + full, flush=True)
                    continue
                failed += 1
                print("FAIL %s\n%s" % (full, text.rstrip()), flush=True)
                srv = mod.srv
                if (text.startswith("timed out") or (
                        srv and srv.proc and srv.proc.poll() is not None)):
                    # A stuck test may still hold the shared server, or
                    # it died: the next test gets a fresh one.
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
        import browser
        for b in list(browser.Browser.live):
            b.close()
        for e in harness.Server.close_all():
            failed += 1
            print("FAIL cleanup\n%s" % e, flush=True)
    print("screenshots: %s" % shots, flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
