/** What the hostile-function tests share. */
export { descendantsMentioning, descendantsOf, isRunning, processesMentioning as processesWith } from '../web/helpers.ts';
export { waitFor } from '../runtimes/subprocess.cases.ts';

/** A `sleep` argument no other process has: the marker of a process a function starts. */
export const uniqueSleep = (): string => `300.${process.pid}${Math.floor(Math.random() * 1e9)}`;
