-- A few events as the release before versioning appended them.
INSERT INTO muster.events (seq, at, type, schema_name, data) VALUES
  (1, now(), 'service.starting', 'public', '{"type":"service.starting","schema":"public","service":"app","instance":"a1","orchestrator":"old-1"}'),
  (2, now(), 'schema.lock_acquired', 'public', '{"type":"schema.lock_acquired","schema":"public","orchestrator":"old-1"}'),
  (3, now(), 'schema.ready', 'public', '{"type":"schema.ready","schema":"public","version":"2","durationMs":12,"orchestrator":"old-1"}'),
  (4, now(), 'service.released', 'public', '{"type":"service.released","schema":"public","service":"app","instance":"a1","version":"2","orchestrator":"old-1"}');
UPDATE muster.event_counter SET seq = 4;
