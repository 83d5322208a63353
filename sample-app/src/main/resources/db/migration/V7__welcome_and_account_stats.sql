-- The worker records when it welcomed an account, and keeps a daily summary the app serves.
ALTER TABLE accounts ADD COLUMN welcomed_at timestamptz;

CREATE TABLE account_stats (
  day         date PRIMARY KEY,
  accounts    bigint      NOT NULL,
  signups     bigint      NOT NULL,
  welcomed    bigint      NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now()
);
