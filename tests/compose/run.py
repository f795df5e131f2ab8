#!/usr/bin/env python3
"""Runs the container tests: docker-compose.yml and the Dockerfile as they
are, built and run with Docker, checked from the host.

    python3 tests/compose/run.py [WORD ...]

scripts/test-compose (`make test-compose`) runs this after it has made
sure of Docker, dockerd and the base image; run by hand it expects the
same. The stack runs as compose project HOURGLASS_COMPOSE_PROJECT
(default hourglass-test-<pid>) from image HOURGLASS_IMAGE (default
hourglass-compose-test), published on a free loopback port, and is taken
down with its volume at the end, whatever happened. Prints `ok`, `skip`
or `FAIL` per test and ends with the line `N passed, N failed`; exits
non-zero if anything failed. Not part of `make test`: it builds an image
and waits on real restarts.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(1, os.path.dirname(HERE))       # tests/, for pylib
sys.dont_write_bytecode = True      # no __pycache__ left in the tree

from pylib import runner  # noqa: E402

TEST_TIMEOUT = 1200     # s, one test: the image's first build is one
SUITE_TIMEOUT = 2400    # s, the whole run: it must never hang


def main():
    sys.path.insert(0, HERE)
    import stack
    return runner.main(HERE, sys.argv[1:], TEST_TIMEOUT, SUITE_TIMEOUT,
                       problem=stack.problem(), cleanup=stack.down)


if __name__ == "__main__":
    sys.exit(main())
