"""The compose project the container tests run: docker-compose.yml as it
is, under a project name, image tag and host port of the tests' own, so
that a user's own hourglass container, volume and image are never
touched."""

import json
import os
import shutil
import subprocess

from pylib.server import REPO, Server, free_port
from pylib.wait import wait_for

COMPOSE_FILE = os.path.join(REPO, "docker-compose.yml")
PROJECT = (os.environ.get("HOURGLASS_COMPOSE_PROJECT")
           or "hourglass-test-%d" % os.getpid())
IMAGE = os.environ.get("HOURGLASS_IMAGE") or "hourglass-compose-test"
PORT = free_port()
SERVICE = "hourglass"
# What compose 1.29 names the volume: <project>_<volume>.
VOLUME = "%s_hourglass-data" % PROJECT.lower()
HEALTHY_TIMEOUT = 120   # s; the compose file checks every 10 s
# compose leaves no container or volume of ours behind that carries this.
LABEL = "com.docker.compose.project=%s" % PROJECT.lower()


def problem():
    """Why no container test can run here, or None."""
    for exe in ("docker", "docker-compose"):
        if shutil.which(exe) is None:
            return "%s is not installed (make test-compose installs it)" % exe
    r = run(["docker", "info"], timeout=60)
    if r.returncode != 0:
        return "dockerd does not answer (make test-compose starts it): " + \
            r.stderr.strip()[-300:]
    return None


def run(argv, timeout=120):
    env = dict(os.environ, HOURGLASS_PORT=str(PORT), HOURGLASS_IMAGE=IMAGE)
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def tail(text, n=40):
    return "\n".join(text.rstrip().splitlines()[-n:])


def compose(*args, timeout=180):
    """docker-compose ARGS for our project; fails with its output."""
    argv = ["docker-compose", "-f", COMPOSE_FILE, "-p", PROJECT] + list(args)
    r = run(argv, timeout)
    assert r.returncode == 0, "%s: exit %d\n%s\n%s" % (
        " ".join(args), r.returncode, tail(r.stdout), tail(r.stderr))
    return r.stdout


def docker(*args, timeout=60):
    r = run(["docker"] + list(args), timeout)
    assert r.returncode == 0, "docker %s: exit %d\n%s" % (
        " ".join(args), r.returncode, tail(r.stderr))
    return r.stdout


def container():
    """The id of our service's container, or "" when there is none."""
    return compose("ps", "-q", SERVICE).strip()


def inspect(cid):
    return json.loads(docker("inspect", cid))[0]


def logs():
    """The service's last lines, for a failure's text."""
    r = run(["docker-compose", "-f", COMPOSE_FILE, "-p", PROJECT, "logs",
             "--no-color", "--tail", "40", SERVICE])
    return tail(r.stdout + r.stderr)


def wait_healthy():
    """Waits until Docker's health check says healthy; returns the
    container's inspect document. Fails at once when it says unhealthy."""
    def check():
        cid = container()
        if not cid:
            return None
        doc = inspect(cid)
        health = doc["State"].get("Health") or {}
        assert health.get("Status") != "unhealthy", \
            "container unhealthy: %s\n%s" % (health.get("Log"), logs())
        return doc if health.get("Status") == "healthy" else None
    try:
        return wait_for(check, HEALTHY_TIMEOUT, interval=0.5,
                        what="the container to be healthy")
    except AssertionError as e:
        raise AssertionError("%s\n%s" % (e, logs()))


def ours(kind):
    """Our project's containers (running or not) or volumes still
    there: kind is "container" or "volume"."""
    every = ["-a"] if kind == "container" else []
    return docker(kind, "ls", "-q", *every, "--filter",
                  "label=" + LABEL).split()


def down():
    """Takes our containers and volume away; safe to call again."""
    run(["docker-compose", "-f", COMPOSE_FILE, "-p", PROJECT, "down", "-v",
         "--remove-orphans"], timeout=180)


class Published(Server):
    """Server's HTTP and task helpers against the port the container is
    published on; nothing here starts or stops a process."""

    def __init__(self):
        self.port = PORT
        self.proc = None
        self.closed = True

    def start(self, timeout=None):
        raise AssertionError("the container is started by docker-compose")

    def close(self):
        pass
