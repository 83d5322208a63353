// Unit tests of the dashboard's model (no browser): node --test model.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Model, compareVersions, describe, formatDuration, matchesFilter,
} from '../../main/resources/dashboard/model.js';

let seq = 0;
const at = (n) => new Date(Date.UTC(2026, 10, 21, 12, 0, 0, n)).toISOString();
function ev(type, fields = {}) {
  seq++;
  return { seq, type, at: at(seq * 10), schema: 'public', ...fields };
}
function fresh() {
  seq = 0;
  return new Model();
}

test('a run takes the schema from pending through migrating to ready, step by step', () => {
  const m = fresh();
  m.applySnapshot([{ schema: 'public', state: 'pending', version: '1', latestVersion: '3',
    pending: [{ version: '2', description: 'add orders' }, { version: '3', description: 'add audit' }], waiting: 0 }]);
  m.apply(ev('service.starting', { service: 'app', instance: 'app-1', requiredVersion: '3' }));
  m.apply(ev('schema.lock_acquired', { orchestrator: 'replica-a', version: '1', targetVersion: '3', pending: 2 }));
  m.apply(ev('migration.started', { version: '2', description: 'add orders' }));
  const s = m.schemas.get('public');
  assert.equal(s.state, 'migrating');
  assert.equal(s.lockHolder, 'replica-a');
  assert.deepEqual(m.progress(s).steps.map((x) => `${x.version}:${x.state}`), ['2:running', '3:pending']);
  m.apply(ev('migration.applied', { version: '2', description: 'add orders', durationMs: 12 }));
  m.apply(ev('migration.started', { version: '3', description: 'add audit' }));
  m.apply(ev('migration.applied', { version: '3', description: 'add audit', durationMs: 30 }));
  m.apply(ev('schema.ready', { version: '3', durationMs: 50, migrations: 2, orchestrator: 'replica-a' }));
  m.apply(ev('service.released', { service: 'app', instance: 'app-1', version: '3', durationMs: 60 }));
  assert.equal(s.state, 'ready');
  assert.equal(s.version, '3');
  assert.deepEqual(s.pending, []);
  assert.equal(s.lockHolder, null);
  assert.equal(s.lastRun.outcome, 'ready');
  const p = m.progress(s);
  assert.equal(p.applied, 2);
  assert.deepEqual(p.steps.map((x) => x.durationMs), [12, 30]);
  const [i] = m.instancesOf(s);
  assert.equal(i.state, 'released');
  assert.equal(i.durationMs, 60);
});

test('a failure marks the failed migration and every instance that was waiting for the run', () => {
  const m = fresh();
  m.apply(ev('service.starting', { service: 'app', instance: 'a', schema: 't' }));
  m.apply(ev('service.starting', { service: 'worker', instance: 'w', schema: 't' }));
  m.apply(ev('schema.lock_acquired', { schema: 't', orchestrator: 'r', version: null, targetVersion: '2', pending: 2 }));
  m.apply(ev('migration.started', { schema: 't', version: '1', description: 'one' }));
  m.apply(ev('migration.applied', { schema: 't', version: '1', description: 'one', durationMs: 3 }));
  m.apply(ev('migration.started', { schema: 't', version: '2', description: 'two' }));
  m.apply(ev('schema.failed', { schema: 't', version: '2', description: 'two', durationMs: 9,
    error: { sqlState: '42P01', message: 'relation "x" does not exist' } }));
  const s = m.schemas.get('t');
  assert.equal(s.state, 'failed');
  assert.deepEqual(s.error, { sqlState: '42P01', message: 'relation "x" does not exist', version: '2', description: 'two' });
  assert.equal(s.version, '1');
  assert.deepEqual(m.progress(s).steps.map((x) => x.state), ['applied', 'failed']);
  assert.deepEqual(m.instancesOf(s).map((i) => i.state), ['failed', 'failed']);
  assert.deepEqual(m.instanceCounts(), { waiting: 0, failed: 2, gave_up: 0, released: 0 });
  assert.deepEqual(m.failures().map((f) => f.name), ['t']);
  // A service that arrives after the failure waits for the retry, not for the failed run.
  m.apply(ev('service.starting', { service: 'app', instance: 'later', schema: 't' }));
  assert.equal(m.instanceCounts(s).waiting, 1);
});

test('an event seen twice (a replay overlapping the live edge) is taken once', () => {
  const m = fresh();
  const e = ev('service.starting', { service: 'app', instance: 'a' });
  assert.equal(m.apply(e), true);
  assert.equal(m.apply({ ...e }), false);
  assert.equal(m.timeline.length, 1);
  assert.equal(m.lastSeq, e.seq);
});

test('events that overtook the snapshot are applied to it again', () => {
  const m = fresh();
  const before = m.lastSeq;
  m.apply(ev('schema.lock_acquired', { orchestrator: 'r', version: '1', targetVersion: '2', pending: 1 }));
  m.apply(ev('migration.started', { version: '2', description: 'two' }));
  // The snapshot was taken before these events: it still says pending.
  m.applySnapshot([{ schema: 'public', state: 'pending', version: '1', latestVersion: '2',
    pending: [{ version: '2', description: 'two' }] }], before);
  const s = m.schemas.get('public');
  assert.equal(s.state, 'migrating');
  assert.equal(s.runningMigration, '2');
  m.apply(ev('migration.applied', { version: '2', description: 'two', durationMs: 1 }));
  m.apply(ev('schema.ready', { version: '2', durationMs: 5 }));
  // The snapshot was taken after them: applying them again changes nothing.
  m.applySnapshot([{ schema: 'public', state: 'ready', version: '2', latestVersion: '2', pending: [] }], before);
  assert.equal(s.state, 'ready');
  assert.equal(s.version, '2');
  assert.equal(m.progress(s).applied, 1);
});

test('a snapshot from a replica that has not read a schema yet does not erase what the page knows', () => {
  const m = fresh();
  m.apply(ev('schema.lock_acquired', { orchestrator: 'r', version: null, targetVersion: '1', pending: 1 }));
  m.apply(ev('migration.applied', { version: '1', description: 'one', durationMs: 1 }));
  m.apply(ev('schema.ready', { version: '1', durationMs: 2 }));
  m.applySnapshot([{ schema: 'public', state: 'unknown', version: null, latestVersion: null, pending: [] }], m.lastSeq);
  assert.equal(m.schemas.get('public').state, 'ready');
  assert.equal(m.schemas.get('public').version, '1');
});

test('a pending migration added after the last run leaves the schema pending, not ready', () => {
  const m = fresh();
  m.applySnapshot([{ schema: 'public', state: 'pending', version: '1', latestVersion: '3',
    pending: [{ version: '2' }, { version: '3' }] }]);
  m.apply(ev('schema.lock_acquired', { orchestrator: 'r', version: '1', targetVersion: '2', pending: 1 }));
  m.apply(ev('migration.applied', { version: '2', durationMs: 1 }));
  m.apply(ev('schema.ready', { version: '2' }));
  const s = m.schemas.get('public');
  assert.equal(s.state, 'pending');
  assert.deepEqual(s.pending.map((x) => x.version), ['3']);
});

test('memory stays bounded: the timeline and settled instances are capped, waiting ones are kept', () => {
  seq = 0;
  const m = new Model({ timeline: 100, instances: 50 });
  m.apply(ev('service.starting', { service: 'app', instance: 'still-waiting' }));
  for (let i = 0; i < 500; i++) {
    m.apply(ev('service.starting', { service: 'app', instance: `i${i}`, schema: `t${i % 7}` }));
    m.apply(ev('service.released', { service: 'app', instance: `i${i}`, schema: `t${i % 7}`, version: '1', durationMs: 1 }));
  }
  assert.ok(m.timeline.length <= 125, `timeline has ${m.timeline.length}`);
  assert.equal(m.timeline[m.timeline.length - 1].seq, m.lastSeq);
  assert.ok(m.instances.size <= 50, `instances: ${m.instances.size}`);
  assert.equal(m.instanceCounts().waiting, 1);
  let perSchema = 0;
  for (const s of m.schemas.values()) perSchema += s.instanceKeys.size;
  assert.equal(perSchema, m.instances.size, 'schemas forget evicted instances too');
});

test('hundreds of schemas: most urgent first, searchable, one page at a time', () => {
  const m = fresh();
  const statuses = [];
  for (let i = 0; i < 300; i++) statuses.push({ schema: `tenant_${String(i).padStart(3, '0')}`, state: 'ready', version: '3', latestVersion: '3', pending: [] });
  statuses[150].state = 'failed';
  statuses[42].state = 'migrating';
  statuses[7].state = 'pending';
  m.applySnapshot(statuses);
  const first = m.query({ pageSize: 24 });
  assert.equal(first.total, 300);
  assert.equal(first.pages, 13);
  assert.equal(first.items.length, 24);
  assert.deepEqual(first.items.slice(0, 3).map((s) => s.name), ['tenant_150', 'tenant_042', 'tenant_007']);
  const last = m.query({ pageSize: 24, page: 99 });
  assert.equal(last.page, 12);
  assert.equal(last.items.length, 300 - 12 * 24);
  const found = m.query({ search: 'ANT_29' });
  assert.equal(found.total, 10);
  assert.deepEqual(found.items.slice(0, 2).map((s) => s.name), ['tenant_290', 'tenant_291']);
  assert.equal(m.query({ states: new Set(['failed', 'pending']) }).total, 2);
  assert.deepEqual(m.query({ sort: 'name', pageSize: 2 }).items.map((s) => s.name), ['tenant_000', 'tenant_001']);
  assert.deepEqual(m.stateCounts(), { failed: 1, drifted: 0, migrating: 1, pending: 1, unknown: 0, ready: 297 });
});

test('the timeline filter: schema by substring or exactly, service, kind', () => {
  const e = { seq: 1, type: 'service.gave_up', schema: 'tenant_10', service: 'beat' };
  assert.ok(matchesFilter(e, { schema: 'tenant_1' }));
  assert.ok(!matchesFilter(e, { schema: 'tenant_1', exactSchema: true }));
  assert.ok(matchesFilter(e, { schema: 'TENANT_10', exactSchema: true }));
  assert.ok(matchesFilter(e, { service: 'beat', kind: 'problems' }));
  assert.ok(!matchesFilter(e, { service: 'app' }));
  assert.ok(!matchesFilter(e, { kind: 'schema' }));
  assert.ok(matchesFilter({ seq: 2, type: 'schema.failed', schema: 'x' }, { kind: 'problems' }));
});

test('words and numbers as the page shows them', () => {
  assert.equal(formatDuration(812), '812 ms');
  assert.equal(formatDuration(1234), '1.23 s');
  assert.equal(formatDuration(12_345), '12.3 s');
  assert.equal(formatDuration(125_000), '2 min 05 s');
  assert.equal(formatDuration(3_720_000), '1 h 02 min');
  assert.equal(formatDuration(null), '—');
  assert.ok(compareVersions('10', '9') > 0);
  assert.ok(compareVersions('2.1', '2.0.5') > 0);
  assert.equal(compareVersions('2', '2.0'), 0);
  assert.equal(describe({ type: 'schema.failed', version: '3', description: 'add audit', error: { sqlState: '42P01', message: 'boom' } }).text,
    'V3 add audit failed: 42P01 boom');
  assert.equal(describe({ type: 'service.released', service: 'app', instance: 'a-1', version: '3', durationMs: 812 }).text,
    'app / a-1 released at 3 after 812 ms');
});

test('a drifted schema stays drifted (never ready) until schema.repaired accepts it', () => {
  const m = fresh();
  m.applySnapshot([{ schema: 'public', state: 'drifted', version: '3', latestVersion: '3', pending: [], waiting: 0,
    drift: 'Migration checksum mismatch for migration version 2' }]);
  const s = m.schemas.get('public');
  assert.equal(s.state, 'drifted');
  assert.match(s.drift, /checksum mismatch/);
  m.apply(ev('schema.failed', { version: null, error: { sqlState: null, message: 'drifted: checksum mismatch' } }));
  assert.equal(s.state, 'drifted', 'a run refused for drift leaves it drifted');
  m.apply(ev('schema.repaired', { accepted: 'checksum mismatch', remaining: null, aligned: 1, deleted: 0, removed: 0 }));
  assert.equal(s.state, 'ready');
  assert.equal(s.drift, null);
  assert.equal(describe(ev('schema.repaired', { aligned: 1, deleted: 0, removed: 0 })).level, 'ok');
});
