-- Muster's own schema as the release without versions made it, written so that it also adopts that schema in
-- place: on a database where schema muster exists without a history table, Flyway records a baseline at 0 and
-- this migration then creates only what is missing, keeping the events.
-- Muster's migrations run in one transaction each, under the bootstrap lock: never CONCURRENTLY here.

-- One row whose lock orders appends: numbers are gapless and commit in order.
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
