-- Jobs get a state machine, retries and a record of who ran them.
ALTER TABLE jobs
  ADD COLUMN state      text        NOT NULL DEFAULT 'queued',
  ADD COLUMN attempts   integer     NOT NULL DEFAULT 0,
  ADD COLUMN run_after  timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN worker     text,
  ADD COLUMN last_error text,
  ADD CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'done', 'failed'));

-- Backfill: jobs finished before this version are done.
UPDATE jobs SET state = 'done', attempts = 1 WHERE done_at IS NOT NULL;
