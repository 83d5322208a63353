// The dashboard's state, built from the orchestrator's snapshot (GET /api/v1/schemas) and its event log
// (GET /api/v1/events). No DOM here: the view reads it, node's test runner checks it.

/** Schema states, most urgent first: the default sort and the summary follow this order. */
export const STATES = ['failed', 'drifted', 'migrating', 'pending', 'unknown', 'ready'];

/** Instance states as the page shows them. */
export const INSTANCE_STATES = ['waiting', 'failed', 'gave_up', 'released'];

/**
 * The orchestrator's event types: those about a service instance, then those about its schema. The same
 * lists as the orchestrator's Java model (EventType), which a test checks.
 */
export const SERVICE_EVENT_TYPES = ['service.starting', 'service.released', 'service.gave_up'];
export const SCHEMA_EVENT_TYPES = [
  'schema.lock_acquired', 'migration.started', 'migration.applied', 'schema.ready', 'schema.failed',
  // Lock safety: a run waiting on a lock, its next attempt, and what someone did about it.
  'migration.blocked', 'migration.retrying', 'migration.intervened',
  // Issue 9 (truth).
  'schema.repaired', 'schema.interrupted',
  // Delegated runs.
  'migrator.elected', 'migrator.lost',
  // Not in the log: a replay from before the retention horizon starts with it (the page re-reads the snapshot).
  'log.pruned',
];
export const EVENT_TYPES = [...SERVICE_EVENT_TYPES, ...SCHEMA_EVENT_TYPES];
const SCHEMA_EVENTS = new Set(SCHEMA_EVENT_TYPES);
const PROBLEM_EVENTS = new Set(['schema.failed', 'service.gave_up']);

/** Compares Flyway versions ("2", "2.1", "10") part by part, numerically where both parts are numbers. */
export function compareVersions(a, b) {
  if (a === b) return 0;
  if (a == null) return -1;
  if (b == null) return 1;
  const pa = String(a).split(/[._]/);
  const pb = String(b).split(/[._]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

export class Model {
  /**
   * @param {object} [limits]
   * @param {number} [limits.timeline]  events kept for the timeline (the log itself keeps them all)
   * @param {number} [limits.instances] service instances kept; the oldest settled ones go first
   */
  constructor({ timeline = 2000, instances = 5000 } = {}) {
    this.limits = { timeline, instances };
    /** @type {Map<string, object>} */
    this.schemas = new Map();
    /** @type {Map<string, object>} service instances by schema, service and instance */
    this.instances = new Map();
    /** Events, oldest first, at most limits.timeline. */
    this.timeline = [];
    /** Events taken since the view last drained them, oldest first. */
    this.fresh = [];
    /** Number of the newest event taken; the stream resumes after it. */
    this.lastSeq = 0;
    /** Service names seen, for the timeline's filter. */
    this.services = new Set();
    /** Bumped on every change the schema list or summary shows. */
    this.revision = 0;
  }

  schema(name) {
    let s = this.schemas.get(name);
    if (!s) {
      s = {
        name,
        state: 'unknown',
        version: null,
        latestVersion: null,
        pending: [],
        lockHolder: null,
        runningMigration: null,
        lastRun: null,
        error: null,
        blocked: null,
        lockSince: null,
        reportedWaiting: 0,
        run: null,
        instanceKeys: new Set(),
        activitySeq: 0,
        fromSnapshot: false,
        rev: 0,
      };
      this.schemas.set(name, s);
    }
    return s;
  }

  /**
   * Takes the orchestrator's view of every schema. Events may have overtaken the snapshot on the way,
   * so those after {@code requestedAfterSeq} (the last event seen when the snapshot was asked for) are
   * applied to it again; every schema-level effect is idempotent, so applying one twice is harmless.
   */
  applySnapshot(statuses, requestedAfterSeq = 0) {
    for (const st of statuses) {
      if (!st || typeof st.schema !== 'string') continue;
      const s = this.schema(st.schema);
      if ((st.state ?? 'unknown') === 'unknown' && s.state !== 'unknown') {
        // The replica has not read this schema yet (it just started): what the page knows is better.
        continue;
      }
      s.state = st.state ?? 'unknown';
      s.version = st.version ?? null;
      s.latestVersion = st.latestVersion ?? null;
      s.pending = Array.isArray(st.pending) ? st.pending.map((m) => ({ version: m.version, description: m.description })) : [];
      s.lockHolder = st.lockHolder ?? null;
      s.runningMigration = st.runningMigration ?? null;
      s.blocked = st.blocked ? { ...st.blocked, seenAt: st.blocked.since ?? null } : null;
      s.lockSince = st.lockSince ?? null;
      // A replica that restarted has no last run or error to tell; the page's own, from the log, stay.
      s.lastRun = st.lastRun ?? s.lastRun;
      s.error = st.error ?? (s.state === 'failed' ? s.error : null);
      s.drift = st.drift ?? null;
      s.reportedWaiting = Number(st.waiting) || 0;
      s.fromSnapshot = true;
      this.touch(s);
    }
    for (const e of this.timeline) {
      if (e.seq > requestedAfterSeq && SCHEMA_EVENTS.has(e.type)) this.applySchemaEvent(this.schema(e.schema), e);
    }
    this.revision++;
  }

  /** Takes one event from the stream. Returns false for one already taken (a replay overlapping the live edge). */
  apply(e) {
    if (!e || typeof e.seq !== 'number' || typeof e.type !== 'string' || e.seq <= this.lastSeq) return false;
    this.lastSeq = e.seq;
    this.timeline.push(e);
    if (this.timeline.length > this.limits.timeline * 1.25) this.timeline.splice(0, this.timeline.length - this.limits.timeline);
    this.fresh.push(e);
    if (this.fresh.length > this.limits.timeline) this.fresh.splice(0, this.fresh.length - this.limits.timeline);
    if (e.service) this.services.add(e.service);
    if (typeof e.schema !== 'string') return true;
    const s = this.schema(e.schema);
    s.activitySeq = e.seq;
    if (e.type.startsWith('service.')) {
      this.applyServiceEvent(s, e);
    } else {
      this.applySchemaEvent(s, e);
    }
    this.touch(s);
    this.revision++;
    return true;
  }

  /** The events taken since the last call, oldest first. */
  drainFresh() {
    const fresh = this.fresh;
    this.fresh = [];
    return fresh;
  }

  touch(s) {
    s.rev++;
  }

  applySchemaEvent(s, e) {
    switch (e.type) {
      case 'schema.lock_acquired': {
        // A new run — or a take-over of one whose holder died: its steps start again from here.
        if (!s.run || s.run.seq !== e.seq) {
          s.run = {
            seq: e.seq,
            orchestrator: e.orchestrator ?? null,
            from: e.version ?? null,
            target: e.targetVersion ?? null,
            total: Number(e.pending) || 0,
            startedAt: e.at,
            steps: [],
            outcome: null,
            durationMs: null,
            endedAt: null,
          };
        }
        s.state = 'migrating';
        s.lockHolder = e.orchestrator ?? null;
        s.lockSince = e.at ?? null;
        s.blocked = null;
        s.error = null;
        if (e.targetVersion && compareVersions(e.targetVersion, s.latestVersion) > 0) s.latestVersion = e.targetVersion;
        break;
      }
      case 'migration.started': {
        const step = this.step(s, e);
        if (step && step.state !== 'applied') step.state = 'running';
        s.state = 'migrating';
        s.runningMigration = e.version ?? null;
        break;
      }
      case 'migration.applied': {
        const step = this.step(s, e);
        if (step) {
          step.state = 'applied';
          step.durationMs = e.durationMs ?? null;
        }
        this.reachVersion(s, e.version);
        if (s.runningMigration === e.version) s.runningMigration = null;
        if (s.blocked && s.blocked.version === e.version) s.blocked = null;
        break;
      }
      case 'migration.blocked':
        s.blocked = {
          version: e.version ?? null,
          attempt: Number(e.attempt) || 1,
          runPid: e.runPid ?? null,
          blockers: Array.isArray(e.blockers) ? e.blockers : [],
          seenAt: e.at,
          nextDelayMs: null,
        };
        break;
      case 'migration.retrying': {
        const prev = s.blocked && s.blocked.version === e.version ? s.blocked : null;
        const blockers = Array.isArray(e.blockers) && e.blockers.length ? e.blockers : prev?.blockers ?? [];
        s.blocked = {
          version: e.version ?? null,
          attempt: Number(e.attempt) || 1,
          runPid: prev?.runPid ?? null,
          blockers,
          seenAt: Array.isArray(e.blockers) && e.blockers.length ? e.at : prev?.seenAt ?? e.at,
          nextDelayMs: e.delayMs ?? null,
        };
        break;
      }
      case 'schema.ready':
        this.reachVersion(s, e.version);
        s.state = s.pending.length === 0 ? 'ready' : 'pending';
        s.error = null;
        this.endRun(s, e, 'ready');
        break;
      case 'schema.interrupted':
        // The run's session died; nobody runs it until its retry takes the lock.
        s.lockHolder = null;
        s.runningMigration = null;
        if (s.state === 'migrating') s.state = s.pending.length === 0 ? 'ready' : 'pending';
        break;
      case 'schema.repaired':
        // Drift accepted: the history matches the files again (unless the repair says what still differs).
        s.drift = e.remaining ?? null;
        s.error = null;
        if (s.state !== 'migrating') s.state = s.drift ? 'drifted' : s.pending.length === 0 ? 'ready' : 'pending';
        break;
      case 'schema.failed': {
        if (s.state !== 'drifted') s.state = 'failed'; // a run refused for drift leaves it drifted
        s.error = {
          sqlState: e.error?.sqlState ?? null,
          message: e.error?.message ?? null,
          version: e.version ?? null,
          description: e.description ?? null,
        };
        const step = this.step(s, e);
        if (step) {
          step.state = 'failed';
          step.sqlState = e.error?.sqlState ?? null;
        }
        this.endRun(s, e, 'failed');
        // Every instance that was waiting for this run is told of the failure by its stream.
        for (const key of s.instanceKeys) {
          const i = this.instances.get(key);
          if (i && i.state === 'waiting' && i.seq < e.seq) {
            i.state = 'failed';
            i.endedAt = e.at;
            i.durationMs = elapsedMs(i.since, e.at);
            i.error = s.error;
          }
        }
        break;
      }
      default:
        break;
    }
  }

  endRun(s, e, outcome) {
    s.lockHolder = null;
    s.lockSince = null;
    s.blocked = null;
    s.runningMigration = null;
    s.lastRun = { at: e.at, durationMs: e.durationMs ?? null, orchestrator: e.orchestrator ?? null, outcome };
    if (s.run && !s.run.outcome) {
      s.run.outcome = outcome;
      s.run.durationMs = e.durationMs ?? null;
      s.run.endedAt = e.at;
      for (const step of s.run.steps) if (step.state === 'running' && outcome === 'ready') step.state = 'applied';
    }
  }

  /** The current run's step for the event's migration, added when new; null outside a run. */
  step(s, e) {
    if (!s.run || s.run.outcome || e.version == null) return null;
    let step = s.run.steps.find((m) => m.version === e.version);
    if (!step) {
      step = { version: e.version, description: e.description ?? null, state: 'running', durationMs: null, sqlState: null };
      s.run.steps.push(step);
    }
    return step;
  }

  reachVersion(s, version) {
    if (version == null) return;
    if (s.version == null || compareVersions(version, s.version) > 0) s.version = version;
    s.pending = s.pending.filter((m) => m.version == null || compareVersions(m.version, s.version) > 0);
  }

  applyServiceEvent(s, e) {
    const key = `${e.schema}\u0000${e.service}\u0000${e.instance}`;
    let i = this.instances.get(key);
    if (e.type === 'service.starting' || !i) {
      // A new arrival, or the first word of one whose arrival is older than what the page has seen.
      this.instances.delete(key);
      i = {
        key,
        schema: e.schema,
        service: e.service ?? '?',
        instance: e.instance ?? '?',
        requiredVersion: e.requiredVersion ?? null,
        since: e.type === 'service.starting' ? e.at : null,
        seq: e.seq,
        state: 'waiting',
        endedAt: null,
        durationMs: null,
        version: null,
        orchestrator: e.orchestrator ?? null,
        error: null,
      };
      this.instances.set(key, i);
      s.instanceKeys.add(key);
      this.evictInstances();
    }
    if (e.type === 'service.released') {
      i.state = 'released';
      i.version = e.version ?? null;
      this.reachVersion(s, e.version);
    } else if (e.type === 'service.gave_up') {
      i.state = 'gave_up';
    }
    if (e.type !== 'service.starting') {
      i.endedAt = e.at;
      i.durationMs = e.durationMs ?? elapsedMs(i.since, e.at);
      if (e.orchestrator) i.orchestrator = e.orchestrator;
    }
  }

  evictInstances() {
    if (this.instances.size <= this.limits.instances) return;
    for (const [key, i] of this.instances) {
      if (this.instances.size <= this.limits.instances) break;
      if (i.state === 'waiting') continue;
      this.instances.delete(key);
      this.schemas.get(i.schema)?.instanceKeys.delete(key);
    }
  }

  /** The schema's instances, waiting and failed ones first, then newest first. */
  instancesOf(s) {
    const rank = { waiting: 0, failed: 1, gave_up: 2, released: 3 };
    const list = [];
    for (const key of s.instanceKeys) {
      const i = this.instances.get(key);
      if (i) list.push(i);
    }
    return list.sort((a, b) => rank[a.state] - rank[b.state] || b.seq - a.seq);
  }

  /** Instances by state for one schema (or all, without one). */
  instanceCounts(s) {
    const counts = { waiting: 0, failed: 0, gave_up: 0, released: 0 };
    if (s) {
      for (const key of s.instanceKeys) {
        const i = this.instances.get(key);
        if (i) counts[i.state]++;
      }
    } else {
      for (const i of this.instances.values()) counts[i.state]++;
    }
    return counts;
  }

  /** Schemas by state. */
  stateCounts() {
    const counts = Object.fromEntries(STATES.map((st) => [st, 0]));
    for (const s of this.schemas.values()) counts[s.state] = (counts[s.state] ?? 0) + 1;
    return counts;
  }

  /**
   * The schema list as shown: matching {@code search} (a substring of the name) and one of {@code states}
   * (all when empty); by urgency (failed, migrating, pending, unknown, ready; then latest activity), or by name.
   */
  query({ search = '', states = new Set(), sort = 'attention', page = 0, pageSize = 24 } = {}) {
    const needle = search.trim().toLowerCase();
    const matches = [];
    for (const s of this.schemas.values()) {
      if (needle && !s.name.toLowerCase().includes(needle)) continue;
      if (states.size > 0 && !states.has(s.state)) continue;
      matches.push(s);
    }
    if (sort === 'name') {
      matches.sort((a, b) => a.name.localeCompare(b.name));
    } else {
      const rank = (s) => {
        const r = STATES.indexOf(s.state);
        return r < 0 ? STATES.length : r;
      };
      matches.sort((a, b) => rank(a) - rank(b) || b.activitySeq - a.activitySeq || a.name.localeCompare(b.name));
    }
    const pages = Math.max(1, Math.ceil(matches.length / pageSize));
    const current = Math.min(Math.max(0, page), pages - 1);
    return {
      total: matches.length,
      page: current,
      pages,
      items: matches.slice(current * pageSize, (current + 1) * pageSize),
    };
  }

  /** The failed schemas, most recent failure first. */
  failures() {
    return [...this.schemas.values()].filter((s) => s.state === 'failed')
      .sort((a, b) => b.activitySeq - a.activitySeq || a.name.localeCompare(b.name));
  }

  /**
   * The steps of the schema's current or last run, followed by the migrations still pending; with only a
   * snapshot to go by (no run in the events seen), the pending ones alone.
   */
  progress(s) {
    const steps = s.run ? s.run.steps.map((m) => ({ ...m })) : [];
    const known = new Set(steps.map((m) => m.version));
    for (const m of s.pending) {
      if (!known.has(m.version)) steps.push({ version: m.version, description: m.description, state: 'pending', durationMs: null });
    }
    if (s.runningMigration && !known.has(s.runningMigration)) {
      const m = steps.find((x) => x.version === s.runningMigration);
      if (m) m.state = 'running';
    }
    const applied = steps.filter((m) => m.state === 'applied').length;
    return { steps, applied, total: steps.length };
  }
}

/** Whether an event passes the timeline's filter. */
export function matchesFilter(e, { schema = '', exactSchema = false, service = '', kind = 'all' } = {}) {
  if (schema) {
    const name = (e.schema ?? '').toLowerCase();
    const wanted = schema.trim().toLowerCase();
    if (exactSchema ? name !== wanted : !name.includes(wanted)) return false;
  }
  if (service && e.service !== service) return false;
  if (kind === 'schema' && !SCHEMA_EVENTS.has(e.type)) return false;
  if (kind === 'service' && !e.type.startsWith('service.')) return false;
  if (kind === 'problems' && !PROBLEM_EVENTS.has(e.type)) return false;
  return true;
}

/** How long between two ISO-8601 instants, in ms; null when either is missing. */
export function elapsedMs(from, to) {
  if (!from || !to) return null;
  const d = Date.parse(to) - Date.parse(from);
  return Number.isFinite(d) ? Math.max(0, d) : null;
}

/** "812 ms", "1.24 s", "12.3 s", "2 min 05 s", "1 h 02 min". */
export function formatDuration(ms) {
  if (ms == null || !Number.isFinite(Number(ms))) return '—';
  const n = Math.max(0, Number(ms));
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 10_000) return `${(n / 1000).toFixed(2)} s`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  const s = Math.floor(n / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Local wall-clock time with milliseconds, with the date when it is not today. */
export function formatTime(iso, now = new Date()) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? time : `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}`;
}

/** "V3 add audit" */
export function migrationLabel(version, description) {
  const v = version == null ? 'repeatable' : `V${version}`;
  return description ? `${v} ${description}` : v;
}

/** One event as a line of the timeline: who, what, and how it went. */
export function describe(e) {
  const who = `${e.service ?? '?'} / ${e.instance ?? '?'}`;
  switch (e.type) {
    case 'service.starting':
      return { level: 'info', text: `${who} is starting, needs ≥ ${e.requiredVersion ?? 'latest'}` };
    case 'service.released':
      return { level: 'ok', text: `${who} released at ${e.version ?? '?'} after ${formatDuration(e.durationMs)}` };
    case 'service.gave_up':
      return { level: 'warn', text: `${who} gave up after ${formatDuration(e.durationMs)}` };
    case 'schema.lock_acquired':
      return {
        level: 'info',
        text: `${e.orchestrator ?? '?'} took the lock: ${e.version ?? 'empty'} → ${e.targetVersion ?? '?'}, `
          + `${e.pending ?? '?'} pending`,
      };
    case 'migration.started':
      return { level: 'run', text: `${migrationLabel(e.version, e.description)} started` };
    case 'migration.applied':
      return { level: 'ok', text: `${migrationLabel(e.version, e.description)} applied in ${formatDuration(e.durationMs)}` };
    case 'schema.ready':
      return {
        level: 'ok',
        text: `ready at ${e.version ?? '?'}`
          + (e.migrations != null ? ` — ${e.migrations} migration${e.migrations === 1 ? '' : 's'}` : '')
          + (e.durationMs != null ? ` in ${formatDuration(e.durationMs)}` : ''),
      };
    case 'schema.interrupted':
      return {
        level: 'warn',
        text: `run interrupted (attempt ${e.attempt ?? '?'} of ${e.attempts ?? '?'}): `
          + `${e.error?.sqlState ?? '?'} ${e.error?.message ?? ''}`.trim() + '; tried again',
      };
    case 'schema.repaired':
      return {
        level: e.remaining ? 'warn' : 'ok',
        text: `repaired: ${e.aligned ?? 0} aligned, ${e.deleted ?? 0} marked deleted, ${e.removed ?? 0} failed removed`
          + (e.remaining ? ` — still drifted: ${e.remaining}` : ''),
      };
    case 'schema.failed':
      return {
        level: 'error',
        text: `${migrationLabel(e.version, e.description)} failed: ${e.error?.sqlState ?? '?'} ${e.error?.message ?? ''}`.trim(),
      };
    case 'migration.blocked': {
      const line = blockedText({ version: e.version, attempt: e.attempt, blockers: e.blockers, seenAt: e.at }, Date.parse(e.at));
      return { level: 'warn', text: line ?? `${migrationLabel(e.version, e.description)} waits on a lock` };
    }
    case 'migration.retrying':
      return {
        level: 'warn',
        text: `${migrationLabel(e.version, e.description)} timed out waiting for its lock; attempt ${e.attempt ?? '?'}`
          + ` in ${formatDuration(e.delayMs)}`,
      };
    case 'migration.intervened':
      return {
        level: 'warn',
        text: e.action === 'abort' ? `run aborted by ${e.by ?? '?'}`
          : `${e.by ?? '?'} asked to ${e.action ?? '?'} pid ${e.pid ?? '?'}${e.done ? '' : ' (not signalled)'}`,
      };
    default:
      return { level: 'info', text: e.type };
  }
}

/**
 * What a blocked run waits for, in one line: "V2 waits for pid 18142 — app-3, idle in transaction for 41 s".
 * The blocker's age is its age when seen plus the time since, so the line ages while nothing new arrives.
 */
export function blockedText(blocked, nowMs = Date.now()) {
  if (!blocked || !Array.isArray(blocked.blockers) || blocked.blockers.length === 0) return null;
  const b = blocked.blockers[0];
  const seen = Date.parse(blocked.seenAt ?? '');
  const since = Number.isFinite(seen) ? Math.max(0, nowMs - seen) : 0;
  const who = b.application ? b.application : (b.user ? `user ${b.user}` : 'no application name');
  let text = `V${blocked.version} waits for pid ${b.pid} — ${who}`;
  if (b.state) {
    text += `, ${b.state}`;
    if (typeof b.stateAgeMs === 'number') text += ` for ${Math.round((b.stateAgeMs + since) / 1000)} s`;
  }
  if (blocked.blockers.length > 1) text += ` (+${blocked.blockers.length - 1} more)`;
  if (blocked.attempt > 1) text += ` · attempt ${blocked.attempt}`;
  return text;
}
