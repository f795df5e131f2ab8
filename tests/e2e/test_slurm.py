"""Slurm kinds, end to end, against a real one-node Slurm cluster that the
module starts once (tests/pylib/slurm.py) and ends after its tests."""

import os

from harness import Skip, wait_for
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
