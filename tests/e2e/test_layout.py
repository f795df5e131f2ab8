"""The code's layout: calls run one way. No two source files of a program
call each other in a circle, directly or through others (read from the
symbols each object file defines and uses), and lib/ includes nothing of
fcgi/, taskrunner/ or cli/."""

import glob
import os
import re
import subprocess
import tempfile

from harness import REPO

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "reads the source, not the build"

CIRCLES = os.path.join(REPO, "scripts", "circles")


def _objs(*folders):
    build = os.environ.get("HOURGLASS_BIN") or os.path.join(REPO, "build")
    obj = os.path.join(os.path.abspath(build), "obj")
    out = []
    for f in folders:
        for pattern in ("*.o", os.path.join("*", "*.o")):
            out += glob.glob(os.path.join(obj, f, pattern))
    # An object whose source is gone (a file renamed since the last
    # build) is not part of the program any more.
    out = [o for o in out if os.path.exists(os.path.join(
        REPO, os.path.relpath(o, obj)[:-2] + ".c"))]
    assert out, "no object files under %s for %s" % (obj, folders)
    return sorted(out)


def _circles(objs):
    return subprocess.run([CIRCLES] + objs, capture_output=True, text=True,
                          timeout=60)


def test_server_files_call_no_circle():
    r = _circles(_objs("fcgi", "lib"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("no circles"), r.stdout


def test_runner_files_call_no_circle():
    r = _circles(_objs("taskrunner", "lib"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("no circles"), r.stdout


def test_client_files_call_no_circle():
    r = _circles(_objs("cli", "lib"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("no circles"), r.stdout


def test_circle_check_finds_a_circle_through_a_third_file():
    """a -> b -> c -> a is a circle; d, which only calls a, is outside."""
    src = {"a": "int b(void); int a(void) { return b(); }",
           "b": "int c(void); int b(void) { return c(); }",
           "c": "int a(void); int c(void) { return a() + 1; }",
           "d": "int a(void); int d(void) { return a(); }"}
    with tempfile.TemporaryDirectory() as tmp:
        objs = []
        for name, text in src.items():
            c = os.path.join(tmp, name + ".c")
            with open(c, "w") as f:
                f.write(text + "\n")
            o = os.path.join(tmp, name + ".o")
            subprocess.run(["cc", "-c", "-o", o, c], check=True, timeout=60)
            objs.append(o)
        r = _circles(objs)
        assert r.returncode == 1, r.stdout
        line = r.stdout.splitlines()[0]
        assert line.startswith("circle: "), r.stdout
        named = sorted(os.path.basename(p) for p in line.split()[1:])
        assert named == ["a.o", "b.o", "c.o"], r.stdout
        r = _circles([objs[0], objs[1], objs[3]])       # a, b, d: a chain
        assert r.returncode == 0, r.stdout


def test_lib_includes_nothing_of_the_programs():
    """lib/ is built with -Ilib only, but a relative path or a header
    copied by name would still reach into a program's folder."""
    def names(folder):
        return {os.path.basename(p) for p in
                glob.glob(os.path.join(REPO, folder, "**", "*.h"),
                          recursive=True)}
    theirs = (names("fcgi") | names("taskrunner") | names("cli")) - names(
        "lib")
    assert theirs, "no headers found in fcgi/, taskrunner/ or cli/"
    bad = []
    for path in glob.glob(os.path.join(REPO, "lib", "**", "*.[ch]"),
                          recursive=True):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if m and (os.path.basename(m.group(1)) in theirs
                          or ".." in m.group(1)):
                    bad.append("%s:%d: %s" % (path, n, line.strip()))
    assert not bad, "\n".join(bad)


def test_the_database_is_its_owners_alone(srv):
    # As the task logs are: every log line is in it too.
    srv.create("count", {"total": 1, "delay_ms": 0})
    for name in ("hourglass.db", "hourglass.db-wal", "hourglass.db-shm"):
        mode = os.stat(os.path.join(srv.data, name)).st_mode & 0o777
        assert mode == 0o600, "%s is %o" % (name, mode)
