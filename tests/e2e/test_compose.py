"""docker-compose.yml is valid and publishes on the host's loopback only.

Checked with Debian's docker-compose (`config` needs no Docker daemon)."""

import os
import shutil
import subprocess

from harness import REPO, Skip


def compose(*args, env=None):
    """`docker-compose config ARGS` with the variables the file reads
    unset, but for those in env."""
    exe = shutil.which("docker-compose")
    if exe is None:
        raise Skip("the docker-compose binary is not installed")
    e = {k: v for k, v in os.environ.items()
         if k not in ("HOURGLASS_PORT", "HOURGLASS_IMAGE")}
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


def test_compose_keeps_data_in_a_volume():
    r = compose()
    assert r.returncode == 0, r.stderr
    assert "volumes:" in r.stdout, r.stdout
