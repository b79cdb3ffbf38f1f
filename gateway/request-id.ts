/**
 * Request IDs: UUIDs, time-ordered (RFC 9562 version 7: 48 bits of Unix milliseconds, then 74 random
 * bits). Each one is the primary key of an invocation record, and SQLite inserts keys that follow each
 * other into the same few index pages, where random (version 4) keys touch a different page per row: the
 * store's writer thread paid for that at every commit, about 25 µs per record against 11 µs
 * (bench/results/cpu-budget-node.md). Same text shape as before; unique by time plus 74 random bits.
 */
import { randomUUID } from 'node:crypto';

let prefixAt = -1;
let prefix = '';

/** A new request ID; `now` (epoch ms) for tests. */
export function newRequestId(now = Date.now()): string {
  if (now !== prefixAt) {
    const time = now.toString(16).padStart(12, '0');
    prefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
    prefixAt = now;
  }
  // randomUUID's text from its 16th character on (`xxx-Vxxx-xxxxxxxxxxxx`, variant bits set) is exactly
  // version 7's rand_a and rand_b: node's buffered generator, no second one.
  return prefix + randomUUID().slice(15);
}
