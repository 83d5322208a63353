-- Muster's schema as the release before versioning created it, at every start: db/Bootstrap's DDL, verbatim.
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
