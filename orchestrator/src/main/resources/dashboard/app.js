// The dashboard's entry point: follows the orchestrator's event stream, re-reads its snapshot whenever the
// stream (re)opens, and draws at most once per animation frame.
import { EVENT_TYPES, Model } from './model.js';
import { View } from './view.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

const model = new Model();
const view = new View(model, {
  showSchema(name) {
    setSearch(name);
    view.ui.states.clear();
    view.invalidate();
    schedule();
    requestAnimationFrame(() => document.querySelector(`.card[data-schema="${CSS.escape(name)}"] .events-link`)?.focus());
  },
  showState(state) {
    view.ui.states = new Set([state]);
    view.ui.page = 0;
    view.invalidate();
    schedule();
  },
  filterTimeline(name) {
    const input = document.getElementById('filter-schema');
    input.value = name;
    view.ui.filter.schema = name;
    view.invalidate({ timeline: true });
    schedule();
    input.focus();
  },
});

let frame = 0;
function schedule() {
  if (!frame) {
    frame = requestAnimationFrame(() => {
      frame = 0;
      view.render();
    });
  }
}

// --- Access -------------------------------------------------------------------------------------------------
// With MUSTER_READ_TOKEN set, reads need a token: the page takes it from #access_token=… (then drops it from
// the address bar) or asks for it, and keeps it for this tab only. fetch sends it as a bearer token; an
// EventSource cannot send headers, so the stream carries it as ?access_token=, which the orchestrator accepts
// there for the read token only.

const TOKEN_KEY = 'muster.readToken';
let token = tokenFromAddress() ?? stored();

function stored() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function store(value) {
  try {
    sessionStorage.setItem(TOKEN_KEY, value);
  } catch {
    // private mode: the token lasts as long as the page
  }
}

function tokenFromAddress() {
  const match = /(?:^#|&)access_token=([^&]*)/.exec(location.hash);
  if (!match) return null;
  const value = decodeURIComponent(match[1]);
  store(value);
  history.replaceState(null, '', location.pathname + location.search);
  return value || null;
}

function api(path) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(path, { cache: 'no-store', headers });
}

const tokenForm = document.getElementById('token-form');
let askingForToken = false;

function askForToken() {
  askingForToken = true;
  if (source) source.close();
  source = null;
  clearTimeout(retryTimer);
  view.renderConnection('locked');
  document.getElementById('token-message').textContent = token
    ? 'The orchestrator did not accept that read token. Try again:'
    : 'This orchestrator asks for a read token (MUSTER_READ_TOKEN) before it shows its state.';
  tokenForm.hidden = false;
  document.getElementById('token-input').focus();
}

tokenForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = document.getElementById('token-input');
  token = input.value.trim() || null;
  if (token) store(token);
  input.value = '';
  tokenForm.hidden = true;
  askingForToken = false;
  connect();
});

// --- The stream ---------------------------------------------------------------------------------------------

let source = null;
let retryMs = RETRY_MIN_MS;
let retryTimer = 0;
let lostAt = null;
let snapshotLoaded = false;

/**
 * Opens the event stream after the last event the page has. While the browser retries on its own (after a
 * dropped connection), it sends Last-Event-ID and the orchestrator resumes right after it. When the browser
 * gives up (an answer that is not an event stream, e.g. a proxy's 502 during a restart), the page opens a
 * new stream itself, with ?since= at the same position, backing off up to RETRY_MAX_MS.
 */
function connect() {
  if (askingForToken) return;
  clearTimeout(retryTimer);
  if (source) source.close();
  let url = `api/v1/events?since=${model.lastSeq}`;
  if (token) url += `&access_token=${encodeURIComponent(token)}`;
  const es = new EventSource(url);
  source = es;
  es.addEventListener('open', () => {
    if (source !== es) return;
    retryMs = RETRY_MIN_MS;
    lostAt = null;
    view.renderConnection('live');
    resync();
  });
  es.addEventListener('error', () => {
    if (source !== es) return;
    if (lostAt == null) lostAt = new Date().toISOString();
    view.renderConnection('reconnecting', lostAt);
    if (es.readyState === EventSource.CLOSED) {
      // Refused: a token missing, or something in between (a proxy's 502 while the orchestrator restarts).
      api('api/v1/schemas').then((r) => r.status, () => 0).then((status) => {
        if (source !== es) return;
        if (status === 401) {
          askForToken();
          return;
        }
        console.info(`Muster: the event stream was refused; reopening it after event #${model.lastSeq} in ${retryMs} ms`);
        retryTimer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      });
    }
  });
  const onEvent = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return; // not ours
    }
    if (model.apply(event)) {
      lookUp(event.schema);
      schedule();
    }
  };
  for (const type of EVENT_TYPES) es.addEventListener(type, onEvent);
  // Events from before the log's retention horizon are gone: what the page knows may be stale, so read it anew.
  es.addEventListener('log.pruned', () => source === es && resync());
  es.addEventListener('message', onEvent);
}

// --- The snapshot -------------------------------------------------------------------------------------------

let resyncGeneration = 0;

/** Re-reads every schema's status; events that overtook the answer are applied to it again. */
async function resync() {
  const generation = ++resyncGeneration;
  const after = model.lastSeq;
  try {
    const response = await api('api/v1/schemas');
    if (response.status === 401) {
      askForToken();
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = await response.json();
    if (generation !== resyncGeneration) return;
    model.applySnapshot(body.schemas ?? [], after);
    snapshotLoaded = true;
    schedule();
  } catch (err) {
    // The stream will reopen (and call again) if the orchestrator went away; otherwise try once more.
    if (generation === resyncGeneration && source?.readyState === EventSource.OPEN) {
      setTimeout(() => generation === resyncGeneration && resync(), 2000);
    }
    console.warn('Muster: could not read /api/v1/schemas:', err);
  }
}

const lookedUp = new Set();
let lookUpQueue = new Set();
let lookUpTimer = 0;

/** A schema the snapshot did not have (new since): read its status so its versions and pending list show. */
function lookUp(name) {
  if (!snapshotLoaded || typeof name !== 'string' || lookedUp.has(name)) return;
  const s = model.schemas.get(name);
  if (!s || s.fromSnapshot) return;
  lookedUp.add(name);
  lookUpQueue.add(name);
  if (!lookUpTimer) lookUpTimer = setTimeout(flushLookUps, 150);
}

async function flushLookUps() {
  lookUpTimer = 0;
  const names = [...lookUpQueue];
  lookUpQueue = new Set();
  if (names.length > 10) {
    resync();
    return;
  }
  const after = model.lastSeq;
  const statuses = await Promise.all(names.map(async (name) => {
    try {
      const r = await api(`api/v1/schemas/${encodeURIComponent(name)}`);
      return r.ok ? await r.json() : null;
    } catch {
      return null;
    }
  }));
  const found = statuses.filter(Boolean);
  if (found.length > 0) {
    model.applySnapshot(found, after);
    schedule();
  }
}

// --- Controls -----------------------------------------------------------------------------------------------

const search = document.getElementById('schema-search');
function setSearch(value) {
  search.value = value;
  view.ui.search = value;
  view.ui.page = 0;
}
search.addEventListener('input', () => {
  setSearch(search.value);
  view.invalidate();
  schedule();
});
search.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && search.value) {
    setSearch('');
    view.invalidate();
    schedule();
  }
});

document.getElementById('schema-sort').addEventListener('change', (ev) => {
  view.ui.sort = ev.target.value;
  view.ui.page = 0;
  view.invalidate();
  schedule();
});

for (const button of document.querySelectorAll('.counts .count')) {
  button.addEventListener('click', () => {
    const state = button.dataset.filter;
    if (!state) view.ui.states.clear();
    else if (view.ui.states.has(state)) view.ui.states.delete(state);
    else view.ui.states.add(state);
    view.ui.page = 0;
    view.invalidate();
    schedule();
  });
}

function turnPage(delta) {
  view.ui.page += delta;
  view.invalidate();
  schedule();
  document.getElementById('schema-list').focus({ preventScroll: false });
}
document.getElementById('page-prev').addEventListener('click', () => turnPage(-1));
document.getElementById('page-next').addEventListener('click', () => turnPage(1));

const filterSchema = document.getElementById('filter-schema');
filterSchema.addEventListener('input', () => {
  view.ui.filter.schema = filterSchema.value;
  view.invalidate({ timeline: true });
  schedule();
});
filterSchema.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && filterSchema.value) {
    filterSchema.value = '';
    view.ui.filter.schema = '';
    view.invalidate({ timeline: true });
    schedule();
  }
});
document.getElementById('filter-service').addEventListener('change', (ev) => {
  view.ui.filter.service = ev.target.value;
  view.invalidate({ timeline: true });
  schedule();
});
document.getElementById('filter-kind').addEventListener('change', (ev) => {
  view.ui.filter.kind = ev.target.value;
  view.invalidate({ timeline: true });
  schedule();
});

const pause = document.getElementById('pause');
pause.addEventListener('click', () => {
  view.ui.paused = !view.ui.paused;
  view.ui.pausedCount = 0;
  pause.setAttribute('aria-pressed', String(view.ui.paused));
  pause.textContent = view.ui.paused ? 'Resume' : 'Pause';
  view.invalidate({ timeline: true });
  schedule();
});

// "/" jumps to the search box, as in most tools.
document.addEventListener('keydown', (ev) => {
  if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement || t?.isContentEditable) return;
  ev.preventDefault();
  search.focus();
  search.select();
});

setInterval(() => view.tick(), 1000);
view.renderConnection('connecting');
schedule();
connect();
