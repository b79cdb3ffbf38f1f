/**
 * Request IDs: UUIDs, time-ordered (RFC 9562 version 7: 48 bits of Unix milliseconds, then 74 random
 * bits). Each one is the primary key of an invocation record, and SQLite inserts keys that follow each
 * other into the same few index pages, where random (version 4) keys touch a different page per row: the
 * store's writer thread paid for that at every commit, 13.3–13.5 µs per web record against 6.9
 * (bench/results/web-budget.md, fourth pass). Same text shape as before; unique by time plus 74 random bits.
 *
 * The text is written as ASCII into one reused buffer and read out once: every invoke and async accept
 * makes one, and building it from strings (crypto.randomUUID's text, sliced and concatenated) allocated
 * ~740 bytes per ID, against one 36-character string here.
 */
import { randomFillSync } from 'node:crypto';

/** Random bytes fetched at a time: one CSPRNG call per this many / 10 IDs. */
const RANDOM_POOL_BYTES = 4000;
/** 74 random bits per ID: 9 bytes for its 18 random hex digits, and 2 bits of a 10th for the variant's digit. */
const RANDOM_BYTES_PER_ID = 10;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** `tttttttt-tttt-7rrr-Vrrr-rrrrrrrrrrrr`: where the random hex digits go (V, the variant's, apart). */
const RANDOM_DIGITS = [15, 16, 17, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];
const VARIANT_DIGIT = 19;

const random = Buffer.alloc(RANDOM_POOL_BYTES);
let randomAt = RANDOM_POOL_BYTES;
const text = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');
let writtenAt = -1;

/** A new request ID; `now` (epoch ms) for tests. */
export function newRequestId(now = Date.now()): string {
  if (now !== writtenAt) {
    // 48 bits of milliseconds: 12 hex digits, split 8-4 by the first dash.
    let time = now;
    for (let digit = 11; digit >= 0; digit--) {
      text[digit < 8 ? digit : digit + 1] = HEX[time % 16]!;
      time = Math.floor(time / 16);
    }
    writtenAt = now;
  }
  if (randomAt + RANDOM_BYTES_PER_ID > RANDOM_POOL_BYTES) {
    randomFillSync(random);
    randomAt = 0;
  }
  for (let i = 0; i < RANDOM_DIGITS.length / 2; i++) {
    const byte = random[randomAt + i]!;
    text[RANDOM_DIGITS[2 * i]!] = HEX[byte >> 4]!;
    text[RANDOM_DIGITS[2 * i + 1]!] = HEX[byte & 15]!;
  }
  // The variant (RFC 9562: binary 10xx) and two random bits.
  text[VARIANT_DIGIT] = HEX[8 | (random[randomAt + 9]! & 3)]!;
  randomAt += RANDOM_BYTES_PER_ID;
  return text.toString('latin1', 0, 36);
}
