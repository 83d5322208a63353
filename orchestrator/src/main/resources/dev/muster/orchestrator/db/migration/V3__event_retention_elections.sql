-- A delegated run (MUSTER_RUNNER=delegate) starts with migrator.elected, not schema.lock_acquired: pruning keeps
-- each schema's latest run from whichever of the two began it, found in a probe of this index.
CREATE INDEX IF NOT EXISTS events_elections ON muster.events (schema_name, seq)
  WHERE type = 'migrator.elected';
