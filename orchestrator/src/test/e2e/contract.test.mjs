// The dashboard's lists of event types and schema states against the orchestrator's Java model
// (EventType, SchemaStatus). DashboardModelTest writes the model to the file MUSTER_MODEL names, then runs this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  EVENT_TYPES, SCHEMA_EVENT_TYPES, SERVICE_EVENT_TYPES, STATES,
} from '../../main/resources/dashboard/model.js';

const model = JSON.parse(readFileSync(process.env.MUSTER_MODEL, 'utf8'));
const sorted = (list) => [...list].sort();

test('the dashboard follows every event type the orchestrator writes, and no other', () => {
  assert.deepEqual(sorted(EVENT_TYPES), sorted(model.eventTypes));
});

test('the dashboard scopes each event type as the orchestrator does', () => {
  assert.deepEqual(sorted(SERVICE_EVENT_TYPES), sorted(model.serviceEventTypes));
  assert.deepEqual(sorted(SCHEMA_EVENT_TYPES), sorted(model.schemaEventTypes));
});

test('the dashboard knows every schema state, and no other', () => {
  assert.deepEqual(sorted(STATES), sorted(model.states));
});
