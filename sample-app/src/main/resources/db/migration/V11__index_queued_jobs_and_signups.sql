-- The worker's claim query reads only queued jobs in run_after order; the stats job counts recent signups.
CREATE INDEX jobs_queued_idx ON jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX accounts_created_at_idx ON accounts (created_at);
