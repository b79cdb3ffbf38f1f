/**
 * Small checks for parsing configuration: each takes a value and its key path, returns the checked
 * (defaulted, converted) value or INVALID after reporting an issue. Why not zod: importing it costs
 * about as much CPU as the rest of the gateway's start-up, and fngate.yml needs only these few shapes.
 */

export type Path = ReadonlyArray<string | number>;

export interface Issue {
  path: Path;
  message: string;
}

export const INVALID: unique symbol = Symbol('invalid');
export type Checked<T> = T | typeof INVALID;

/** Checks one value; reports what is wrong with it into `issues`. */
export type Check<T> = (value: unknown, path: Path, issues: Issue[]) => Checked<T>;

const typeName = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

function fail(issues: Issue[], path: Path, message: string): typeof INVALID {
  issues.push({ path, message });
  return INVALID;
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function string(options: { min?: number; pattern?: RegExp; patternMessage?: string } = {}): Check<string> {
  return (value, path, issues) => {
    if (typeof value !== 'string') return fail(issues, path, `expected string, received ${typeName(value)}`);
    if (options.min !== undefined && value.length < options.min) return fail(issues, path, `must have at least ${options.min} character(s)`);
    if (options.pattern && !options.pattern.test(value)) return fail(issues, path, options.patternMessage ?? `must match ${options.pattern}`);
    return value;
  };
}

export function number(options: { int?: boolean; min?: number; positive?: boolean; max?: number } = {}): Check<number> {
  return (value, path, issues) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(issues, path, `expected number, received ${typeName(value)}`);
    if (options.int && !Number.isInteger(value)) return fail(issues, path, 'expected an integer');
    if (options.positive && value <= 0) return fail(issues, path, 'must be greater than 0');
    if (options.min !== undefined && value < options.min) return fail(issues, path, `must be at least ${options.min}`);
    if (options.max !== undefined && value > options.max) return fail(issues, path, `must be at most ${options.max}`);
    return value;
  };
}

/** A number that may come as a numeric string, as a serverless.yml `${env:X}` variable gives it. */
export function numeric(check: Check<number>): Check<number> {
  return (value, path, issues) =>
    check(typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value, path, issues);
}

export const boolean: Check<boolean> = (value, path, issues) =>
  typeof value === 'boolean' ? value : fail(issues, path, `expected boolean, received ${typeName(value)}`);

export const unknown: Check<unknown> = (value) => value;

export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  return (value, path, issues) =>
    (values as readonly unknown[]).includes(value) ? (value as T) : fail(issues, path, `must be one of ${values.join(', ')}`);
}

/** The first of `checks` that accepts the value (tried without reporting), else one issue. */
export function either<T>(message: string, ...checks: Array<Check<T>>): Check<T> {
  return (value, path, issues) => {
    for (const check of checks) {
      const result = check(value, path, []);
      if (result !== INVALID) return result;
    }
    return fail(issues, path, message);
  };
}

/** `check`, then `convert` on what it accepted. */
export function then<T, U>(check: Check<T>, convert: (value: T) => U): Check<U> {
  return (value, path, issues) => {
    const result = check(value, path, issues);
    return result === INVALID ? INVALID : convert(result);
  };
}

export function array<T>(item: Check<T>, options: { min?: number; max?: number } = {}): Check<T[]> {
  return (value, path, issues) => {
    if (!Array.isArray(value)) return fail(issues, path, `expected array, received ${typeName(value)}`);
    if (options.min !== undefined && value.length < options.min) return fail(issues, path, `must have at least ${options.min} item(s)`);
    if (options.max !== undefined && value.length > options.max) return fail(issues, path, `must have at most ${options.max} item(s)`);
    const out: T[] = [];
    let ok = true;
    value.forEach((entry, index) => {
      const result = item(entry, [...path, index], issues);
      if (result === INVALID) ok = false;
      else out.push(result);
    });
    return ok ? out : INVALID;
  };
}

export function record<T>(item: Check<T>): Check<Record<string, T>> {
  return (value, path, issues) => {
    if (!isMap(value)) return fail(issues, path, `expected map, received ${typeName(value)}`);
    const out: Record<string, T> = {};
    let ok = true;
    for (const [key, entry] of Object.entries(value)) {
      const result = item(entry, [...path, key], issues);
      if (result === INVALID) ok = false;
      else out[key] = result;
    }
    return ok ? out : INVALID;
  };
}

/** A key of an object: optional (absent → undefined) or with a default (absent → it). */
export interface Field<T> {
  check: Check<T>;
  optional?: boolean;
  fallback?: () => T;
}

export const optional = <T>(check: Check<T>): Field<T | undefined> => ({ check, optional: true });
export const withDefault = <T>(check: Check<T>, fallback: T | (() => T)): Field<T> => ({
  check,
  fallback: typeof fallback === 'function' ? (fallback as () => T) : () => structuredClone(fallback),
});

type Shape = Record<string, Field<unknown> | Check<unknown>>;
type FieldType<F> = F extends Field<infer T> ? T : F extends Check<infer T> ? T : never;
export type ObjectOf<S extends Shape> = { [K in keyof S]: FieldType<S[K]> };

/** A map with these keys; `strict` reports any other key, otherwise other keys are kept as they are. */
export function object<S extends Shape>(shape: S, options: { strict: boolean }): Check<ObjectOf<S>> {
  return (value, path, issues) => {
    if (!isMap(value)) return fail(issues, path, `expected map, received ${typeName(value)}`);
    const out: Record<string, unknown> = options.strict ? {} : { ...value };
    let ok = true;
    for (const [key, spec] of Object.entries(shape)) {
      const field: Field<unknown> = typeof spec === 'function' ? { check: spec } : spec;
      const entry = value[key];
      if (entry === undefined) {
        if (field.fallback) out[key] = field.fallback();
        else if (field.optional) delete out[key];
        else {
          fail(issues, [...path, key], 'is required');
          ok = false;
        }
        continue;
      }
      const result = field.check(entry, [...path, key], issues);
      if (result === INVALID) ok = false;
      else out[key] = result;
    }
    if (options.strict) {
      const unknownKeys = Object.keys(value).filter((key) => !(key in shape));
      if (unknownKeys.length > 0) {
        fail(issues, path, `unknown key(s): ${unknownKeys.map((key) => `"${key}"`).join(', ')}`);
        ok = false;
      }
    }
    return ok ? (out as ObjectOf<S>) : INVALID;
  };
}

/** `check`, then `next` on what it accepted (at the same path). */
export function pipe<T, U>(check: Check<T>, next: Check<U>): Check<U> {
  return (value, path, issues) => {
    const result = check(value, path, issues);
    return result === INVALID ? INVALID : next(result, path, issues);
  };
}
