"""A real one-node Slurm cluster for the tests, from Debian's packages.

Cluster().start() starts munged (its own key, socket and pid file in a
temporary folder), then slurmctld and slurmd in the foreground with a
temporary slurm.conf (ports of its own, proctrack/pgid, task/none,
accounting off, spool and state in the folder, this host's short name
and CPU count), and waits until `sinfo` shows the node idle. Clients find
it through SLURM_CONF (Cluster.env()). close() cancels the cluster's
jobs and ends what it started, by pid: the three daemons, then any
process whose environment holds this cluster's exact SLURM_CONF entry
(slurmstepd and its job inherit it), never anybody else's.

Cluster.missing() says why the binaries cannot run here, or None.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile

from pylib.procs import all_pids, kill_pids, pid_alive, read_proc, tree
from pylib.server import free_port
from pylib.wait import wait_for

SBIN = "/usr/sbin"
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scancel", "scontrol", "sinfo")
START_TIMEOUT = 30      # s, until the node shows idle

CONF = """ClusterName=hgtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={dir}/munge.sock
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=300
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class Cluster:
    def __init__(self):
        self.dir = None
        self.conf = None
        self.procs = {}

    @staticmethod
    def missing():
        """Why no cluster can start here (a binary is missing), or None."""
        for name in DAEMONS:
            if not os.access(os.path.join(SBIN, name), os.X_OK):
                return "%s/%s is missing (apt-get install slurm-wlm " \
                       "munge; scripts/deps test)" % (SBIN, name)
        for name in CLIENTS:
            if shutil.which(name) is None:
                return "%s is missing (apt-get install slurm-client)" % name
        if os.geteuid() != 0:
            return "the test cluster runs its daemons as root"
        return None

    def env(self):
        """Environment entries that point Slurm's clients at this cluster."""
        return {"SLURM_CONF": self.conf}

    def _env(self):
        e = dict(os.environ)
        e.update(self.env())
        return e

    def _daemon(self, name, args):
        log = open(os.path.join(self.dir, name + ".out"), "wb")
        try:
            self.procs[name] = subprocess.Popen(
                [os.path.join(SBIN, name)] + args, env=self._env(),
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()

    def run(self, *argv, check=True):
        """Runs a Slurm client against this cluster; returns its stdout."""
        p = subprocess.run(list(argv), env=self._env(), capture_output=True,
                           text=True, timeout=20)
        if check and p.returncode != 0:
            raise AssertionError("%s: exit %d: %s" % (
                " ".join(argv), p.returncode, p.stderr.strip()))
        return p.stdout

    def node_state(self):
        p = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self._env(),
                           capture_output=True, text=True, timeout=20)
        return p.stdout.strip() if p.returncode == 0 else ""

    def start(self):
        # 0755: munged wants its socket's folder searchable by all.
        self.dir = tempfile.mkdtemp(prefix="hourglass-slurm-")
        os.chmod(self.dir, 0o755)
        for sub in ("state", "spool"):
            os.mkdir(os.path.join(self.dir, sub))
        key = os.path.join(self.dir, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o600)
        self.conf = os.path.join(self.dir, "slurm.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(
                host=socket.gethostname().split(".")[0], dir=self.dir,
                ctld_port=free_port(), d_port=free_port(),
                cpus=os.cpu_count()))
        try:
            # -f: munged refuses root-owned /tmp paths without it.
            self._daemon("munged", [
                "-F", "-f", "--socket=%s/munge.sock" % self.dir,
                "--key-file=" + key, "--pid-file=%s/munged.pid" % self.dir,
                "--seed-file=%s/munged.seed" % self.dir,
                "--log-file=%s/munged.log" % self.dir])
            wait_for(lambda: os.path.exists(
                os.path.join(self.dir, "munge.sock")), 10,
                what="munged's socket")
            # -i: ignore any state a previous cluster left (none here).
            self._daemon("slurmctld", ["-D", "-i"])
            self._daemon("slurmd", ["-D"])
            try:
                wait_for(lambda: self.node_state() == "idle",
                         START_TIMEOUT, what="the Slurm node to be idle")
            except AssertionError as e:
                # The folder goes with close(): say what the daemons
                # said first.
                raise AssertionError("%s\nslurmctld.log:\n%s\nslurmd.log:"
                                     "\n%s" % (e, self.log("slurmctld"),
                                                self.log("slurmd")))
        except BaseException:
            self.close()
            raise
        return self

    def log(self, name="slurmctld", last=20):
        try:
            with open(os.path.join(self.dir, name + ".log"),
                      errors="replace") as f:
                return "".join(f.readlines()[-last:])
        except OSError:
            return ""

    def _owned(self):
        """This cluster's slurmstepd processes (their environment holds
        its exact SLURM_CONF entry) and their descendants, the jobs."""
        entry = b"SLURM_CONF=" + os.fsencode(self.conf)
        found = []
        for p in all_pids():
            cmd = read_proc(p, "cmdline").split(b"\0")[0]
            if (cmd.startswith(b"slurmstepd") and pid_alive(p) and entry
                    in read_proc(p, "environ").split(b"\0")):
                found.extend(q for q in tree(p) if pid_alive(q))
        return found

    def close(self):
        if self.dir is None:
            return
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() \
                is None:
            # The cluster is ours alone: cancel every job it holds.
            self.run("scancel", "--full", "--user=root", check=False)
        for name in reversed(DAEMONS):
            p = self.procs.pop(name, None)
            if p is None:
                continue
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        left = [p for p in self._owned()
                if not any(p == q.pid for q in self.procs.values())]
        if left:
            kill_pids(left)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


def wait_gone(cluster, job_id, timeout=20):
    """Waits until squeue no longer lists job_id as pending or running."""
    def gone():
        out = cluster.run("squeue", "-h", "-j", str(job_id), "-o", "%T",
                          check=False).strip()
        return out not in ("PENDING", "RUNNING", "COMPLETING")
    wait_for(gone, timeout, interval=0.2, what="job %s to leave" % job_id)
