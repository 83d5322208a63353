// Draws the model into the page. Every text goes in through textContent: error messages and names come
// from the network and are never parsed as HTML.
import {
  blockedText, describe, formatDuration, formatTime, matchesFilter, migrationLabel,
} from './model.js';

const PAGE_SIZE = 24;
const TIMELINE_ROWS = 250;
const INSTANCE_ROWS = 40;
/** A ready schema whose last run ended longer ago than this shows its services folded. */
const RECENT_MS = 10 * 60 * 1000;
const STATE_MARK = { failed: '✖', migrating: '◐', pending: '○', ready: '✓', unknown: '?' };
const STEP_MARK = { applied: '✓', running: '◐', failed: '✖', pending: '○' };

/** Creates an element: h('p', {class: 'x', dataset: {a: 1}}, 'text', child, ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const byId = (id) => document.getElementById(id);

export class View {
  constructor(model, actions) {
    this.model = model;
    this.actions = actions;
    this.ui = {
      search: '',
      states: new Set(),
      sort: 'attention',
      page: 0,
      filter: { schema: '', service: '', kind: 'all' },
      paused: false,
      pausedCount: 0,
      /** details a user opened or closed, by "schema:section"; others follow the schema's state */
      open: new Map(),
    };
    this.cards = new Map(); // schema name -> { el, rev }: a card is redrawn when its schema's rev moves
    this.timelineKey = null;
    this.knownSchemaNames = 0;
    this.knownServices = 0;
    this.el = {
      connection: byId('connection'),
      lastEvent: byId('last-event'),
      failures: byId('failures'),
      failuresCount: byId('failures-count'),
      failureList: byId('failure-list'),
      countAll: byId('count-all'),
      counts: [...document.querySelectorAll('.counts .count')],
      list: byId('schema-list'),
      range: byId('schema-range'),
      pageInfo: byId('page-info'),
      prev: byId('page-prev'),
      next: byId('page-next'),
      events: byId('events'),
      timelineNote: byId('timeline-note'),
      schemaNames: byId('schema-names'),
      service: byId('filter-service'),
    };
    this.el.list.addEventListener('toggle', (ev) => this.onToggle(ev), true);
  }

  render() {
    const fresh = this.model.drainFresh();
    if (this.model.revision !== this.renderedRevision || this.uiDirty) {
      this.renderedRevision = this.model.revision;
      this.uiDirty = false;
      this.renderSummary();
      this.renderFailures();
      this.renderSchemas();
      this.renderFilterOptions();
    }
    this.renderTimeline(fresh);
    this.renderLastEvent();
  }

  /** UI state changed (a filter, a page): redraw the lists on the next frame. */
  invalidate({ timeline = false } = {}) {
    this.uiDirty = true;
    if (timeline) this.timelineKey = null;
  }

  renderConnection(state, since) {
    document.body.dataset.connection = state;
    const label = this.el.connection.querySelector('.label');
    if (state === 'live') label.textContent = 'Live';
    else if (state === 'connecting') label.textContent = 'Connecting…';
    else if (state === 'locked') label.textContent = 'Needs a read token';
    else label.textContent = `Connection lost at ${formatTime(since)} — reconnecting; what you see may be out of date`;
  }

  renderLastEvent() {
    const last = this.model.timeline[this.model.timeline.length - 1];
    const text = last ? `#${last.seq} · ${formatTime(last.at)}` : '—';
    if (this.el.lastEvent.textContent !== text) this.el.lastEvent.textContent = text;
  }

  renderSummary() {
    const counts = this.model.stateCounts();
    this.el.countAll.textContent = String(this.model.schemas.size);
    for (const button of this.el.counts) {
      const state = button.dataset.filter;
      if (state) {
        button.querySelector('.n').textContent = String(counts[state] ?? 0);
        button.classList.toggle('zero', !counts[state]);
        button.setAttribute('aria-pressed', String(this.ui.states.has(state)));
      } else {
        button.setAttribute('aria-pressed', String(this.ui.states.size === 0));
      }
    }
    const instances = this.model.instanceCounts();
    for (const [state, n] of Object.entries(instances)) {
      const dd = byId(`instances-${state}`);
      dd.textContent = String(n);
      dd.parentElement.classList.toggle('zero', n === 0);
    }
  }

  renderFailures() {
    const failed = this.model.failures();
    this.el.failures.hidden = failed.length === 0;
    document.body.classList.toggle('has-failures', failed.length > 0);
    const key = failed.map((s) => `${s.name}:${s.rev}`).join(',');
    if (key === this.failuresKey) return;
    this.failuresKey = key;
    this.el.failuresCount.textContent = failed.length === 1
      ? 'Migration failed' : `Migrations failed in ${failed.length} schemas`;
    const shown = failed.slice(0, 5).map((s) => h('li', { class: 'failure', dataset: { schema: s.name } },
      h('p', { class: 'failure-head' },
        h('strong', { class: 'schema-name' }, s.name),
        ' — ', h('span', { class: 'migration' }, migrationLabel(s.error?.version, s.error?.description)),
        ' failed with SQLSTATE ', h('code', { class: 'sqlstate' }, s.error?.sqlState ?? 'unknown'),
        h('button', { type: 'button', class: 'link', onclick: () => this.actions.showSchema(s.name) }, 'Show schema')),
      h('pre', { class: 'message' }, s.error?.message ?? 'no message')));
    if (failed.length > 5) {
      shown.push(h('li', { class: 'more' },
        h('button', { type: 'button', class: 'link', onclick: () => this.actions.showState('failed') },
          `and ${failed.length - 5} more — show every failed schema`)));
    }
    this.el.failureList.replaceChildren(...shown);
  }

  renderSchemas() {
    const result = this.model.query({
      search: this.ui.search, states: this.ui.states, sort: this.ui.sort, page: this.ui.page, pageSize: PAGE_SIZE,
    });
    this.ui.page = result.page;
    const from = result.total === 0 ? 0 : result.page * PAGE_SIZE + 1;
    const to = result.page * PAGE_SIZE + result.items.length;
    this.el.range.textContent = result.total === 0
      ? (this.model.schemas.size === 0 ? 'No schema known yet. Services that arrive will show up here.' : 'No schema matches.')
      : `${from}–${to} of ${result.total}${result.total !== this.model.schemas.size ? ` matching (${this.model.schemas.size} in all)` : ''}`;
    this.el.pageInfo.textContent = `Page ${result.page + 1} of ${result.pages}`;
    this.el.prev.disabled = result.page === 0;
    this.el.next.disabled = result.page >= result.pages - 1;

    const focused = document.activeElement;
    const focusKey = this.el.list.contains(focused) ? focused.dataset.focus : null;
    const focusCard = focusKey ? focused.closest('.card')?.dataset.schema : null;

    const wanted = [];
    const keep = new Set();
    for (const s of result.items) {
      keep.add(s.name);
      let card = this.cards.get(s.name);
      if (!card || card.rev !== s.rev) {
        const el = this.card(s);
        if (card) card.el.replaceWith(el);
        card = { el, rev: s.rev };
        this.cards.set(s.name, card);
      }
      wanted.push(card.el);
    }
    for (const [name, card] of this.cards) {
      if (!keep.has(name)) {
        card.el.remove();
        this.cards.delete(name);
      }
    }
    // Put the cards in order, moving only those out of place.
    const list = this.el.list;
    wanted.forEach((el, i) => {
      if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
    });
    while (list.children.length > wanted.length) list.lastElementChild.remove();

    if (focusKey && focusCard && document.activeElement !== focused) {
      const again = this.cards.get(focusCard)?.el.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  card(s) {
    const id = `schema-${s.name}`;
    const progress = this.model.progress(s);
    const counts = this.model.instanceCounts(s);
    const instances = this.model.instancesOf(s);
    const target = s.latestVersion ?? s.run?.target;
    const behind = target != null && target !== s.version;
    // The page's own count when it has seen the arrivals; the orchestrator's when the log is older than the page.
    const waiting = instances.length > 0 ? counts.waiting : s.reportedWaiting;

    const facts = h('dl', { class: 'facts' },
      h('div', { class: 'fact version' }, h('dt', null, 'Version'),
        h('dd', null,
          h('span', { class: 'ver' }, s.version ?? 'empty'),
          behind ? [h('span', { class: 'arrow', 'aria-label': 'to' }, ' → '), h('span', { class: 'ver target' }, target)] : null,
          !behind && target != null ? h('span', { class: 'muted' }, ' (latest)') : null)),
      s.lockHolder ? h('div', { class: 'fact lock' }, h('dt', null, 'Lock held by'), h('dd', null, h('code', null, s.lockHolder),
        // The lock's age: frozen and slow look alike without it.
        s.lockSince ? [' · for ', h('span', { class: 'elapsed lock-age', dataset: { since: s.lockSince } }, elapsedText(s.lockSince))] : null)) : null,
      waiting > 0 || s.state === 'migrating' || s.state === 'pending'
        ? h('div', { class: 'fact waiting' }, h('dt', null, 'Waiting'), h('dd', null, String(waiting))) : null,
      s.lastRun ? h('div', { class: 'fact last-run' }, h('dt', null, 'Last run'),
        h('dd', null, h('span', { class: `outcome ${s.lastRun.outcome}` }, s.lastRun.outcome ?? '?'),
          ` ${formatTime(s.lastRun.at)}`,
          s.lastRun.durationMs != null ? ` · ${formatDuration(s.lastRun.durationMs)}` : '',
          s.lastRun.orchestrator ? ` · ${s.lastRun.orchestrator}` : '')) : null);

    const sections = [facts];
    if (progress.total > 0 && s.state !== 'ready') sections.push(this.progressBar(s, progress));
    const blocked = s.lockHolder && s.blocked ? blockedText(s.blocked) : null;
    if (blocked) {
      sections.push(h('p', {
        class: 'blocked', role: 'status', 'aria-label': `What ${s.name}'s run waits for`,
        dataset: { blocked: JSON.stringify(s.blocked) },
      }, h('strong', null, 'Blocked: '), h('span', { class: 'blocked-text' }, blocked)));
    }
    if (s.state === 'failed' && s.error) {
      sections.push(h('div', { class: 'error', role: 'group', 'aria-label': `Failure of ${s.name}` },
        h('p', { class: 'error-head' },
          h('strong', null, `${migrationLabel(s.error.version, s.error.description)} failed`),
          ' · SQLSTATE ', h('code', { class: 'sqlstate' }, s.error.sqlState ?? 'unknown')),
        h('pre', { class: 'message' }, s.error.message ?? 'no message')));
    }
    if (progress.total > 0) sections.push(this.steps(s, progress));
    if (instances.length > 0) sections.push(this.instances(s, instances, counts));

    const headId = `${id}-name`;
    return h('li', { class: 'card', dataset: { schema: s.name, state: s.state } },
      h('article', { 'aria-labelledby': headId },
        h('header', { class: 'card-head' },
          h('h3', { id: headId, class: 'schema-name' }, s.name),
          h('span', { class: 'state', dataset: { state: s.state } },
            h('span', { 'aria-hidden': 'true' }, STATE_MARK[s.state] ?? '?'), ` ${s.state}`),
          h('button', {
            type: 'button', class: 'link events-link', dataset: { focus: 'events' },
            'aria-label': `Show the events of ${s.name}`, onclick: () => this.actions.filterTimeline(s.name),
          }, 'events')),
        sections));
  }

  progressBar(s, progress) {
    const label = s.state === 'migrating'
      ? `${progress.applied} of ${progress.total} applied${s.runningMigration ? ` — running V${s.runningMigration}` : ''}`
      : `${progress.applied} of ${progress.total} applied`;
    return h('div', { class: 'progress' },
      h('div', {
        class: 'bar', role: 'progressbar', 'aria-label': `Migrations of ${s.name}`,
        'aria-valuemin': 0, 'aria-valuemax': progress.total, 'aria-valuenow': progress.applied, 'aria-valuetext': label,
      }, progress.steps.map((m) => h('span', {
        class: 'seg', dataset: { state: m.state },
        title: `${migrationLabel(m.version, m.description)}: ${m.state}${m.durationMs != null ? ` in ${formatDuration(m.durationMs)}` : ''}`,
      }))),
      h('span', { class: 'progress-label' }, label));
  }

  steps(s, progress) {
    const open = this.isOpen(s, 'steps');
    const summary = s.run && s.run.outcome
      ? `${s.run.outcome === 'ready' ? 'Last run' : 'Failed run'}: ${progress.applied} of ${progress.total} applied${s.run.durationMs != null ? ` in ${formatDuration(s.run.durationMs)}` : ''}`
      : s.run ? `Run by ${s.run.orchestrator ?? '?'}: ${progress.applied} of ${progress.total} applied`
        : `${progress.total} pending`;
    return h('details', { class: 'steps', open, dataset: { section: 'steps' } },
      h('summary', { dataset: { focus: 'steps' } }, h('span', { class: 'section-title' }, 'Migrations'), ' ', h('span', { class: 'muted' }, summary)),
      h('ol', { class: 'step-list' }, progress.steps.map((m) => h('li', { class: 'step', dataset: { state: m.state } },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, STEP_MARK[m.state] ?? '·'),
        h('span', { class: 'v' }, m.version == null ? 'R' : `V${m.version}`),
        h('span', { class: 'desc' }, m.description ?? ''),
        h('span', { class: 'dur' },
          m.state === 'applied' ? formatDuration(m.durationMs)
            : m.state === 'running' ? 'running…'
              : m.state === 'failed' ? `failed${m.sqlState ? ` · ${m.sqlState}` : ''}` : 'pending')))));
  }

  instances(s, instances, counts) {
    const open = this.isOpen(s, 'instances');
    const parts = [];
    for (const st of ['waiting', 'failed', 'gave_up', 'released']) {
      if (counts[st]) parts.push(h('span', { class: 'chip', dataset: { state: st } }, `${counts[st]} ${st.replace('_', ' ')}`));
    }
    const rows = instances.slice(0, INSTANCE_ROWS).map((i) => h('tr', { dataset: { state: i.state } },
      h('td', { class: 'svc' }, i.service),
      h('td', { class: 'inst' }, h('code', null, i.instance)),
      h('td', { class: 'status' }, this.instanceStatus(i, s.latestVersion))));
    return h('details', { class: 'instances', open, dataset: { section: 'instances' } },
      h('summary', { dataset: { focus: 'instances' } }, h('span', { class: 'section-title' }, 'Services'), ' ', parts),
      h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Service'), h('th', { scope: 'col' }, 'Instance'), h('th', { scope: 'col' }, 'Status'))),
        h('tbody', null, rows)),
      instances.length > INSTANCE_ROWS
        ? h('p', { class: 'muted more' }, `and ${instances.length - INSTANCE_ROWS} more (the timeline has them all)`) : null);
  }

  instanceStatus(i, target) {
    switch (i.state) {
      case 'waiting':
        return [h('span', { class: 'istate' }, 'waiting'), ' ',
          i.since ? h('span', { class: 'elapsed', dataset: { since: i.since } }, elapsedText(i.since)) : null,
          h('span', { class: 'muted' }, ' since ', h('time', { datetime: i.since ?? '' }, formatTime(i.since))),
          needs(i, target)];
      case 'released':
        return [h('span', { class: 'istate' }, 'released'), ` after ${formatDuration(i.durationMs)}`,
          i.version ? h('span', { class: 'muted' }, ` · at ${i.version}`) : null];
      case 'gave_up':
        return [h('span', { class: 'istate' }, 'gave up'), ` after ${formatDuration(i.durationMs)}`, needs(i, target)];
      case 'failed':
        return [h('span', { class: 'istate' }, 'failed'), ` after ${formatDuration(i.durationMs)}`,
          i.error?.sqlState ? h('span', { class: 'muted' }, ` · ${i.error.sqlState}`) : null];
      default:
        return i.state;
    }
  }

  /**
   * Whether a card's section is open until someone toggles it: what needs watching is open (a run under
   * way, a failure, services still waiting or given up); a schema that has been ready and idle for a while
   * folds, so hundreds of quiet tenants stay short.
   */
  defaultOpen(s, section) {
    if (s.state === 'migrating' || s.state === 'failed' || s.state === 'drifted' || s.state === 'pending') return true;
    if (section === 'steps') return false;
    const counts = this.model.instanceCounts(s);
    if (counts.waiting + counts.failed + counts.gave_up > 0) return true;
    const recent = s.lastRun?.at && Date.now() - Date.parse(s.lastRun.at) < RECENT_MS;
    return Boolean(recent) && counts.released <= 8;
  }

  isOpen(s, section) {
    const chosen = this.ui.open.get(`${s.name}:${section}`);
    return chosen ?? this.defaultOpen(s, section);
  }

  onToggle(ev) {
    const details = ev.target;
    if (!(details instanceof HTMLDetailsElement)) return;
    const name = details.closest('.card')?.dataset.schema;
    const section = details.dataset.section;
    const s = name && this.model.schemas.get(name);
    if (!s || !section) return;
    const key = `${name}:${section}`;
    if (details.open === this.defaultOpen(s, section)) this.ui.open.delete(key);
    else this.ui.open.set(key, details.open);
  }

  renderFilterOptions() {
    if (this.model.schemas.size !== this.knownSchemaNames) {
      this.knownSchemaNames = this.model.schemas.size;
      const names = [...this.model.schemas.keys()].sort().slice(0, 1000);
      this.el.schemaNames.replaceChildren(...names.map((n) => h('option', { value: n })));
    }
    if (this.model.services.size !== this.knownServices) {
      this.knownServices = this.model.services.size;
      const current = this.el.service.value;
      const names = [...this.model.services].sort();
      this.el.service.replaceChildren(h('option', { value: '' }, 'any'), ...names.map((n) => h('option', { value: n }, n)));
      this.el.service.value = current;
    }
  }

  timelineFilter() {
    const f = this.ui.filter;
    return { ...f, exactSchema: this.model.schemas.has(f.schema.trim()) };
  }

  renderTimeline(fresh) {
    const filter = this.timelineFilter();
    const key = JSON.stringify(filter);
    if (this.ui.paused) {
      this.ui.pausedCount += fresh.filter((e) => matchesFilter(e, filter)).length;
      this.el.timelineNote.textContent = `Paused — ${this.ui.pausedCount} new event${this.ui.pausedCount === 1 ? '' : 's'} held back.`;
      return;
    }
    const list = this.el.events;
    if (key !== this.timelineKey) {
      // Filter changed (or resumed): draw the newest matching events again.
      this.timelineKey = key;
      const rows = [];
      const tl = this.model.timeline;
      for (let i = tl.length - 1; i >= 0 && rows.length < TIMELINE_ROWS; i--) {
        if (matchesFilter(tl[i], filter)) rows.push(this.eventRow(tl[i]));
      }
      list.replaceChildren(...rows);
    } else if (fresh.length > 0) {
      const rows = [];
      for (let i = fresh.length - 1; i >= 0 && rows.length < TIMELINE_ROWS; i--) {
        if (matchesFilter(fresh[i], filter)) rows.push(this.eventRow(fresh[i]));
      }
      if (rows.length > 0) list.prepend(...rows);
      while (list.children.length > TIMELINE_ROWS) list.lastElementChild.remove();
    }
    const shown = list.children.length;
    const note = shown === 0
      ? (this.model.timeline.length === 0 ? 'No events yet.' : 'No event matches the filter.')
      : shown >= TIMELINE_ROWS ? `Newest ${TIMELINE_ROWS} matching events.` : '';
    if (this.el.timelineNote.textContent !== note) this.el.timelineNote.textContent = note;
  }

  eventRow(e) {
    const d = describe(e);
    const dataset = { level: d.level, type: e.type, seq: e.seq };
    if (e.service) dataset.service = e.service;
    return h('li', { class: 'event', dataset },
      h('time', { datetime: e.at ?? '', title: `#${e.seq} · ${e.at ?? ''}` }, formatTime(e.at)),
      h('span', { class: 'type' }, e.type),
      h('span', { class: 'schema' }, e.schema ?? ''),
      h('span', { class: 'text' }, d.text));
  }

  /** Once a second: the "waiting for" clocks. */
  tick() {
    for (const el of document.querySelectorAll('.elapsed[data-since]')) {
      el.textContent = elapsedText(el.dataset.since);
    }
    for (const el of document.querySelectorAll('.blocked[data-blocked]')) {
      const text = blockedText(JSON.parse(el.dataset.blocked));
      const span = el.querySelector('.blocked-text');
      if (span && text) span.textContent = text;
    }
  }
}

function elapsedText(since) {
  const ms = Date.now() - Date.parse(since);
  return Number.isFinite(ms) ? formatDuration(Math.max(0, ms)) : '';
}

/** "needs ≥ 2", when an instance asks for less than the latest version (else it goes without saying). */
function needs(i, latest) {
  return i.requiredVersion && i.requiredVersion !== latest ? h('span', { class: 'muted' }, ` · needs ≥ ${i.requiredVersion}`) : null;
}
