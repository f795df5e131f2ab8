-- Slurm kinds: a task's batch job. slurm_job is 0 from the moment the
-- queue launches a Slurm task until its runner has submitted the job,
-- then the job id; NULL for every other task. slurm_state and
-- slurm_reason are what squeue last said (PENDING, Resources).
-- slurm_offset is how many bytes of the job's output were read, so that
-- a runner that follows the job again goes on from there.
ALTER TABLE tasks ADD COLUMN slurm_job INTEGER;
ALTER TABLE tasks ADD COLUMN slurm_state TEXT;
ALTER TABLE tasks ADD COLUMN slurm_reason TEXT;
ALTER TABLE tasks ADD COLUMN slurm_offset INTEGER NOT NULL DEFAULT 0;
