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
tests/pylib/runner.py does the work; what is the browser's is here.
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

import tempfile  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(1, os.path.dirname(HERE))       # tests/, for pylib
sys.dont_write_bytecode = True      # no __pycache__ left in the tree

from pylib import runner  # noqa: E402

TEST_TIMEOUT = 90       # s, one test, with its server and browser start
SUITE_TIMEOUT = 720     # s, the whole run: it must never hang


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


class BrowserFixture(runner.Fixture):
    """`browser`: a fresh Chromium; its console is checked after a pass,
    and a failure leaves a screenshot and the console's last entries."""

    def __init__(self, shots):
        self.shots = shots

    def make(self, full):
        import browser
        return browser.Browser()

    def check(self, b):
        b.check_console()

    def explain(self, b, full):
        if b.driver is None:
            return ""
        text = ""
        try:
            path = b.screenshot(os.path.join(self.shots,
                                             "FAIL-%s.png" % full))
            text += "screenshot: %s\n" % path
            log = b.read_console()
            if log:
                text += "browser console:\n" + "\n".join(
                    "  [%s %s] %s" % (e.get("level"), e.get("source"),
                                      e.get("message"))
                    for e in log[-20:]) + "\n"
        except Exception:
            pass
        return text

    def close(self, b):
        b.close()

    def kill(self, b):
        b.kill()


class ShotsFixture(runner.Fixture):
    """`shots`: the folder for screenshots."""

    def __init__(self, shots):
        self.shots = shots

    def make(self, full):
        return self.shots


def main():
    argv = sys.argv[1:]
    shots = None
    if argv[:1] == ["--shots"] and len(argv) >= 2:
        shots = os.path.abspath(argv[1])
        argv = argv[2:]
    words = argv
    shots = shots or tempfile.mkdtemp(prefix="hourglass-shots-")
    os.makedirs(shots, exist_ok=True)

    def cleanup():
        import browser
        for b in list(browser.Browser.live):
            b.close()
        print("screenshots: %s" % shots, flush=True)

    problem = setup_problem()
    return runner.main(
        HERE, words, TEST_TIMEOUT, SUITE_TIMEOUT,
        fixtures={"browser": BrowserFixture(shots),
                  "shots": ShotsFixture(shots)},
        problem=problem, stop_tasks=True,
        cleanup=cleanup if problem is None else None)


if __name__ == "__main__":
    sys.exit(main())
