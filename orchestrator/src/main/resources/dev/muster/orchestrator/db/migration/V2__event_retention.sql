-- A bounded event log (MUSTER_EVENTS_RETENTION).

-- The highest number pruned so far: after it the log is whole; at or before it only what each schema's state
-- needs is sure to be there. A replay that starts before it is told so (log.pruned). Its row lock also makes
-- one replica at a time prune; appends never touch it.
CREATE TABLE IF NOT EXISTS muster.event_horizon (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL);
INSERT INTO muster.event_horizon (singleton, seq) VALUES (true, 0) ON CONFLICT DO NOTHING;

-- Each schema's latest outcome, and the lock that started its latest run, in a few index probes each: what a
-- replica reads at start, and what pruning keeps, without reading the whole log. Partial: appends of other
-- events do not touch them. (Plain CREATE INDEX, in this migration's transaction: it holds appends back while it
-- builds, a few seconds at a million events, once.)
CREATE INDEX IF NOT EXISTS events_outcomes ON muster.events (schema_name, seq)
  WHERE type IN ('schema.ready', 'schema.failed');
CREATE INDEX IF NOT EXISTS events_runs ON muster.events (schema_name, seq)
  WHERE type = 'schema.lock_acquired';
