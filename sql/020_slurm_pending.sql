-- The janitor looks at the runner of every active task at each pass,
-- queued ones too: a Slurm task stays queued while its job is pending,
-- with a runner that follows it. Read by tasks_state, that pass read
-- every queued task (27 ms at 100,000 queued); these few alone now.
CREATE INDEX tasks_slurm_pending ON tasks (id)
    WHERE state = 'queued' AND slurm_job IS NOT NULL AND
    runner_pid IS NOT NULL;
