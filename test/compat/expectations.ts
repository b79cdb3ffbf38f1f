/**
 * What each compatibility case does in the default isolate mode, the one table to update when built-ins
 * land: `'pass'`, or `'fail: <why>'` for a known gap. The suite fails when reality differs in either
 * direction, so a fix flips its line here. Run the suite with FNGATE_COMPAT_PRINT=1 to get the observed
 * table in this syntax. (Process mode has no table: every case must pass there.)
 */
export type Expectation = 'pass' | `fail: ${string}`;

export const EXPECTED_IN_ISOLATE: Record<string, Expectation> = {};
