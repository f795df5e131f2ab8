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
tests/pylib/runner.py does the work.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(1, os.path.dirname(HERE))       # tests/, for pylib
sys.dont_write_bytecode = True      # no __pycache__ left in the tree

from pylib import runner  # noqa: E402

TEST_TIMEOUT = 60       # s, one test, its server's start included
SUITE_TIMEOUT = 900     # s, the whole run: it must never hang

if __name__ == "__main__":
    sys.exit(runner.main(HERE, sys.argv[1:], TEST_TIMEOUT, SUITE_TIMEOUT))
