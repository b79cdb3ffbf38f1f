/**
 * Rows packed into bytes as they are pushed, for the writer thread (store/batch-writer.ts, writer-worker.mjs).
 *
 * Why: every invocation leaves a record row (and a row per log line) that waits up to a batch window
 * (`flushIntervalMs`) for its transaction. Held as JavaScript arrays, those rows outlived the young
 * generation's scavenges and were promoted to the old generation (≈150 of the ≈210 bytes promoted per
 * request at 50 connections), which made scavenges 2–3× longer and fed mark-compacts; posting them to the
 * worker then cost a structured clone of every array. Packed at push time, a row's arrays die at once
 * (nothing young survives), a batch is one byte array (copied as one block to the worker), and the worker
 * decodes each row into one reused parameter array.
 *
 * Plain JavaScript because the worker thread loads it without a TypeScript loader (as writer-worker.mjs);
 * its types are in row-packing.d.mts.
 *
 * One row: u32 statement name (an index into the batch's strings) · u16 value count · each value as a tag
 * byte and its payload: NULL –; NUMBER f64; STRING u32 UTF-8 byte length + the bytes; SHARED u32 index into
 * the batch's strings (the namespace, function name, version … that repeat on every row are sent once per
 * batch). Little-endian. A batch carries its own strings: a retried batch, or a worker thread piscina
 * replaced, needs nothing from an earlier one.
 */
import { Buffer } from 'node:buffer';

/** The group name that marks a packed group in a writer task (store/batch-writer.ts StatementGroups). */
export const PACKED_GROUP = '#packed';

const NULL = 0;
const NUMBER = 1;
const STRING = 2;
const SHARED = 3;
/** First size of the packing buffer; it doubles as needed and is reused from batch to batch. */
const INITIAL_BYTES = 64 * 1024;
/**
 * A buffer grown past this (a batch of large log lines) is dropped once its batch is taken, so one burst
 * does not hold its size for the life of the gateway.
 */
const MAX_KEPT_BYTES = 4 * 1024 * 1024;
/** Most values in one row (a u16). */
const MAX_VALUES = 0xffff;

/** The `sharedColumns` of `RowPacker.push` for these column indexes (only the first 32 columns can be shared). */
export function sharedColumnsMask(indexes) {
  let mask = 0;
  for (const index of indexes) if (index < 32) mask |= 1 << index;
  return mask;
}

/** Whether `row` packs: an array of null, numbers and strings (what records and log lines hold). */
export function packable(row) {
  if (row.length > MAX_VALUES) return false;
  for (const value of row) {
    if (value !== null && typeof value !== 'number' && typeof value !== 'string') return false;
  }
  return true;
}

/** Packs the rows of one batch at a time; `take()` hands them over and starts the next batch. */
export class RowPacker {
  #buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  #used = 0;
  /** The batch's strings sent once: statement names and the shared columns' values, by index. */
  #strings = [];
  #ids = new Map();
  #rows = 0;

  /** Rows packed since the last `take()`. */
  get rows() {
    return this.#rows;
  }

  /**
   * Pack `row` (see `packable`) for `statement`. The values whose index is set in `sharedColumns` (bit i:
   * column i; see `sharedColumnsMask`) are strings that repeat from row to row: sent once per batch.
   */
  push(statement, row, sharedColumns) {
    // The most bytes the row takes, reserved once: 9 per value, and UTF-8 takes at most 3 bytes per UTF-16 unit.
    let most = 6 + row.length * 9;
    for (const value of row) if (typeof value === 'string') most += value.length * 3;
    this.#reserve(most);
    const buffer = this.#buffer;
    let at = this.#used;
    buffer.writeUInt32LE(this.#id(statement), at);
    buffer.writeUInt16LE(row.length, at + 4);
    at += 6;
    for (let index = 0; index < row.length; index++) {
      const value = row[index];
      if (value === null) buffer[at++] = NULL;
      else if (typeof value === 'number') {
        buffer[at] = NUMBER;
        buffer.writeDoubleLE(value, at + 1);
        at += 9;
      } else if (index < 32 && (sharedColumns >>> index) & 1) {
        buffer[at] = SHARED;
        buffer.writeUInt32LE(this.#id(value), at + 1);
        at += 5;
      } else {
        const bytes = buffer.utf8Write(value, at + 5);
        buffer[at] = STRING;
        buffer.writeUInt32LE(bytes, at + 1);
        at += 5 + bytes;
      }
    }
    this.#used = at;
    this.#rows++;
  }

  /** The rows packed since the last call (their bytes copied out), or undefined if none; the packer starts over. */
  take() {
    if (this.#rows === 0) return undefined;
    const packed = { bytes: new Uint8Array(this.#buffer.subarray(0, this.#used)), strings: this.#strings, rows: this.#rows };
    if (this.#buffer.length > MAX_KEPT_BYTES) this.#buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
    this.#used = 0;
    this.#rows = 0;
    this.#strings = [];
    this.#ids.clear();
    return packed;
  }

  #id(text) {
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#strings.push(text) - 1;
      this.#ids.set(text, id);
    }
    return id;
  }

  #reserve(bytes) {
    if (this.#used + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#used + bytes) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.#buffer.copy(grown, 0, 0, this.#used);
    this.#buffer = grown;
  }
}

/**
 * Calls `run(statement, row)` for each row of `packed`, in order. `row` is reused for the next row of the
 * same length: `run` must not keep it (better-sqlite3 reads the parameters during the call).
 */
export function unpackRows(packed, run) {
  const { strings } = packed;
  const buffer = Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const rowsByLength = new Map();
  let at = 0;
  while (at < buffer.length) {
    const statement = strings[buffer.readUInt32LE(at)];
    const length = buffer.readUInt16LE(at + 4);
    at += 6;
    let row = rowsByLength.get(length);
    if (row === undefined) rowsByLength.set(length, (row = new Array(length)));
    for (let index = 0; index < length; index++) {
      const tag = buffer[at++];
      if (tag === NULL) row[index] = null;
      else if (tag === NUMBER) {
        row[index] = buffer.readDoubleLE(at);
        at += 8;
      } else if (tag === SHARED) {
        row[index] = strings[buffer.readUInt32LE(at)];
        at += 4;
      } else {
        const bytes = buffer.readUInt32LE(at);
        row[index] = buffer.utf8Slice(at + 4, at + 4 + bytes);
        at += 4 + bytes;
      }
    }
    run(statement, row);
  }
}
