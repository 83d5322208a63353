/**
 * The Muster client SDK: a service waits at start-up until the orchestrator reports its database
 * schema migrated. Start at {@link dev.muster.client.MusterClient}. Everything in this package is
 * API; {@code dev.muster.client.internal} is not.
 */
package dev.muster.client;
