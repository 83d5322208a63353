/**
 * The SDK's machinery: the JSON reader, the Server-Sent Events decoder, the streaming HTTP call and
 * the reconnect backoff. Not API: anything here may change in any release.
 */
package dev.muster.client.internal;
