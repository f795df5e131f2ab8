"""docker-compose.yml is valid and publishes on the host's loopback only.

Checked with Debian's docker-compose (`config` needs no Docker daemon)."""

import os
import shutil
import subprocess
import sys
import tempfile

from harness import REPO, Skip

SLOW = "docker-compose config alone: no server, nothing for a sanitizer"


def compose(*args, env=None):
    """`docker-compose config ARGS` with the variables the file reads
    unset, but for those in env."""
    exe = shutil.which("docker-compose")
    if exe is None:
        raise Skip("the docker-compose binary is not installed")
    e = {k: v for k, v in os.environ.items()
         if k not in ("HOURGLASS_PORT", "HOURGLASS_IMAGE") + SETTINGS}
    e.update(env or {})
    return subprocess.run([exe, "-f", "docker-compose.yml", "config"]
                          + list(args), cwd=REPO, capture_output=True,
                          text=True, timeout=60, env=e)


def test_compose_file_is_valid():
    assert os.path.exists(os.path.join(REPO, "docker-compose.yml")), \
        "docker-compose.yml is missing"
    r = compose("-q")
    assert r.returncode == 0, r.stderr


def test_compose_publishes_8080_on_loopback_only():
    r = compose()
    assert r.returncode == 0, r.stderr
    out = r.stdout
    # Long form (host_ip/published) or short form (127.0.0.1:8080:...).
    assert ("127.0.0.1:8080:" in out
            or ("host_ip: 127.0.0.1" in out and "published: 8080" in out)
            or ("host_ip: 127.0.0.1" in out and "published: '8080'" in out)
            ), out
    assert "0.0.0.0:8080" not in out, out


def test_compose_publishes_on_hourglass_port_when_set():
    r = compose(env={"HOURGLASS_PORT": "18123"})
    assert r.returncode == 0, r.stderr
    assert "127.0.0.1:18123:8080" in r.stdout, r.stdout
    assert ":8080:8080" not in r.stdout, r.stdout


def test_compose_tags_the_image_hourglass_unless_told():
    r = compose()
    assert r.returncode == 0, r.stderr
    assert "image: hourglass\n" in r.stdout, r.stdout
    r = compose(env={"HOURGLASS_IMAGE": "hourglass-compose-test"})
    assert r.returncode == 0, r.stderr
    assert "image: hourglass-compose-test\n" in r.stdout, r.stdout


def test_compose_has_healthcheck_on_api_health():
    r = compose()
    assert r.returncode == 0, r.stderr
    assert "healthcheck:" in r.stdout and "/api/health" in r.stdout, r.stdout


# README's settings that a container takes from the shell running compose.
SETTINGS = ("HOURGLASS_TOKEN", "HOURGLASS_CORS_ORIGINS",
            "HOURGLASS_MAX_RUNNING", "HOURGLASS_MAX_QUEUED",
            "HOURGLASS_RETAIN_DAYS", "HOURGLASS_LOG_MAX", "HOURGLASS_DATA_MAX",
            "HOURGLASS_RUNNER_LOG_MAX", "HOURGLASS_WEBHOOK_URL",
            "HOURGLASS_WEBHOOK_SECRET")


def test_compose_passes_the_settings_from_the_shell():
    # HOURGLASS_TOKEN=... docker compose up must not start without one.
    env = {k: "v-%s" % k.lower() for k in SETTINGS}
    r = compose(env=env)
    assert r.returncode == 0, r.stderr
    for k, v in env.items():
        assert "%s: %s\n" % (k, v) in r.stdout, (k, r.stdout)
    # Unset, each is empty: the server's default.
    r = compose(env={k: "" for k in SETTINGS})
    assert r.returncode == 0, r.stderr
    for k in SETTINGS:
        assert ("%s: ''" % k in r.stdout or "%s: \"\"" % k in r.stdout
                or "%s:\n" % k in r.stdout), (k, r.stdout)


def test_compose_keeps_data_in_a_volume():
    r = compose()
    assert r.returncode == 0, r.stderr
    assert "volumes:" in r.stdout, r.stdout


# `make test-compose` itself (the container run is tests/compose/): what
# it says where it cannot run, without starting anything.
TEST_COMPOSE = os.path.join(REPO, "scripts", "test-compose")
COMPOSE_RUN = os.path.join(REPO, "tests", "compose", "run.py")


def test_test_compose_refuses_to_run_unless_root():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        raise Skip("needs root and setpriv to run it as nobody")
    # A copy nobody can read wherever the checkout is; the check comes
    # before the script looks at anything beside it.
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        os.mkdir(os.path.join(tmp, "scripts"))
        script = os.path.join(tmp, "scripts", "test-compose")
        shutil.copy(TEST_COMPOSE, script)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                            "--clear-groups", script], cwd=tmp,
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    assert "run as root" in r.stderr, r.stderr
    assert r.stdout.splitlines()[-1] == "0 passed, 1 failed", r.stdout


def test_container_tests_fail_saying_docker_is_missing():
    # Not a skip: a machine without Docker has not tested the container.
    r = subprocess.run([sys.executable, COMPOSE_RUN], cwd=REPO,
                       env=dict(os.environ, PATH="/nonexistent"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    lines = r.stdout.splitlines()
    fails = [l for l in lines if l.startswith("FAIL ")]
    assert fails and len(fails) == sum(
        1 for l in lines if "docker is not installed" in l), r.stdout
    assert lines[-1] == "0 passed, %d failed" % len(fails), r.stdout
