/** Types of row-packing.mjs (plain JavaScript: the writer thread loads it without a TypeScript loader). */

export declare const PACKED_GROUP: '#packed';

/** One batch's packed rows, as the writer thread receives them. */
export interface PackedRows {
  bytes: Uint8Array;
  strings: string[];
  rows: number;
}

export declare function packable(row: readonly unknown[]): boolean;

export declare function sharedColumnsMask(indexes: readonly number[]): number;

export declare class RowPacker {
  get rows(): number;
  push(statement: string, row: readonly unknown[], sharedColumns: number): void;
  take(): PackedRows | undefined;
}

export declare function unpackRows(packed: PackedRows, run: (statement: string, row: unknown[]) => void): void;
