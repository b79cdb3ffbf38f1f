/** Types of build-state.mjs (plain JavaScript: the entry point runs before any TypeScript loader). */
export declare const SOURCE_DIRS: readonly string[];
export declare function distState(root: string): 'current' | 'missing' | 'stale';
