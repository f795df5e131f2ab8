"""Waiting on a condition with a deadline, never on a fixed sleep."""

import time


def wait_for(cond, timeout=10.0, interval=0.03, what="condition"):
    """Polls cond() until it returns something truthy, and returns that.

    Fails with an AssertionError naming `what` at the deadline. This is
    the only way tests wait: never a fixed sleep as the check itself."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)
