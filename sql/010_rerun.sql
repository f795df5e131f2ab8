-- A task made by POST /api/tasks/{id}/rerun names the task it repeats.
-- No foreign key: the original may be deleted or pruned later, and the
-- rerun keeps the number it was made from. Added last, after result:
-- every read of it reads the whole row anyway.
ALTER TABLE tasks ADD COLUMN rerun_of INTEGER;		-- a task id; NULL: none
