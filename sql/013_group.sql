-- The process group of a task's command, which its runner records right
-- after the spawn: a runner found dead leaves its command running, and
-- the server ends that group (TERM, then KILL after grace_s) before the
-- task ends lost. cmd_start is the leader's /proc start time, so that a
-- group id taken again by another process is never mistaken for it.
-- Cleared when a runner takes the task; builtin tasks have none.
-- No longer written or read: a dead runner's command is found by the
-- runner's session (fcgi/reaper.c), which needs no write. The columns
-- stay, as dropping them would rewrite every row of the table.
ALTER TABLE tasks ADD COLUMN cmd_pgid INTEGER;		-- NULL: none
ALTER TABLE tasks ADD COLUMN cmd_start INTEGER;		-- of cmd_pgid
