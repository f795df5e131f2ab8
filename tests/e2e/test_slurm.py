"""Slurm kinds, end to end, against a real one-node Slurm cluster that the
module starts once (tests/pylib/slurm.py) and ends after its tests."""

import os

from harness import Server, Skip, refused, wait_for
from pylib.slurm import Cluster

# Run under the ASan build only in `make test` (scripts/test).
SLOW = "starts a Slurm cluster"

_cluster = None


def cluster():
    """The module's cluster, started on first use; Skip if Slurm's
    binaries cannot run here at all."""
    global _cluster
    if _cluster is None:
        why = Cluster.missing()
        if why is not None:
            raise Skip(why)
        _cluster = Cluster().start()
    return _cluster


def teardown():
    global _cluster
    c, _cluster = _cluster, None
    if c is not None:
        c.close()


def test_slurm_cluster_runs_a_batch_job():
    c = cluster()
    out = os.path.join(c.dir, "hello.out")
    job = c.run("sbatch", "--parsable", "--output=" + out,
                "--wrap", "echo hello from slurm").strip()
    assert job.isdigit(), job

    def done():
        try:
            with open(out) as f:
                return "hello from slurm" in f.read()
        except OSError:
            return False
    wait_for(done, 20, what="job %s's output" % job)


def slurm_kind(name="job", **fields):
    k = {"name": name, "description": "x", "command": ["hostname"],
         "slurm": {"options": []}}
    k.update(fields)
    return k


def test_slurm_kind_without_command_is_refused():
    k = slurm_kind("nocommand")
    del k["command"]
    refused({"kinds": [k]}, "nocommand", "slurm", "needs \"command\"")


def test_slurm_kind_on_a_builtin_or_external_is_refused():
    refused({"kinds": [{"name": "remote", "external": True,
                        "slurm": {"options": []}}]}, "remote", "slurm")
    refused({"kinds": [slurm_kind("both", builtin="count")]}, "both",
            "builtin")


def test_slurm_kind_with_malformed_options_is_refused():
    refused({"kinds": [slurm_kind("split", slurm={
        "options": ["--partition", "debug"]})]}, "split",
        "slurm.options[1]", "\"--name=value\"")
    refused({"kinds": [slurm_kind("ghost", slurm={
        "options": ["--cpus-per-task={cpus}"]})]}, "ghost",
        "slurm.options[0]", "{cpus}")
    refused({"kinds": [slurm_kind("named", slurm={
        "options": ["--job-name=mine"]})]}, "named", "slurm.options[0]",
        "--job-name")


def test_slurm_missing_sbatch_is_one_warning_naming_the_kinds():
    kinds = {"kinds": [
        slurm_kind("first", env={"PATH": "/nonexistent"}),
        slurm_kind("second", env={"PATH": "/nonexistent"}),
        slurm_kind("found", command=["/opt/cluster/bin/simulate"]),
    ]}
    with Server(kinds=kinds) as srv:
        text = "".join(srv.stderr)
        lines = [ln for ln in srv.stderr if "sbatch" in ln]
        assert len(lines) == 1, text
        assert "warning" in lines[0] and srv.kinds_path in lines[0], text
        assert "\"first\", \"second\"" in lines[0], text
        assert "found" not in lines[0], text
        # A Slurm kind's program lives on the compute nodes: no warning
        # that this machine lacks it.
        assert "simulate" not in text, text
