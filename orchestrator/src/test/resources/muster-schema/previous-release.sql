-- Muster's schema as the release before versioning created it: db/Bootstrap's DDL, verbatim, with a few events.
SET LOCAL client_min_messages = warning;
SELECT pg_advisory_xact_lock(1297437524, 0);
CREATE SCHEMA IF NOT EXISTS muster;
CREATE TABLE IF NOT EXISTS muster.event_counter (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL);
INSERT INTO muster.event_counter (singleton, seq) VALUES (true, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS muster.events (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  type text NOT NULL,
  schema_name text,
  data jsonb NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_schema ON muster.events (schema_name, seq);
INSERT INTO muster.events (seq, at, type, schema_name, data) VALUES
  (1, now(), 'service.starting', 'public', '{"type":"service.starting","schema":"public","service":"app","instance":"a1","orchestrator":"old-1"}'),
  (2, now(), 'schema.lock_acquired', 'public', '{"type":"schema.lock_acquired","schema":"public","orchestrator":"old-1"}'),
  (3, now(), 'schema.ready', 'public', '{"type":"schema.ready","schema":"public","version":"2","durationMs":12,"orchestrator":"old-1"}'),
  (4, now(), 'service.released', 'public', '{"type":"service.released","schema":"public","service":"app","instance":"a1","version":"2","orchestrator":"old-1"}');
UPDATE muster.event_counter SET seq = 4;
