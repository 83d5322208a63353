-- A job queue in PostgreSQL: the app and beat insert, workers take jobs with FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL,
  payload     jsonb NOT NULL DEFAULT '{}',
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  done_at     timestamptz
);
