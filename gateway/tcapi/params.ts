/**
 * Reading an action's parameters (the request body's JSON object) by the types of the SDK's model
 * definitions (scf_models.d.ts). A missing required parameter is `MissingParameter`; a wrong type or an
 * out-of-range value is `InvalidParameterValue.<Name>`. The SDK drops null values, so null means absent.
 */
import { DEFAULT_NAMESPACE } from '../registry.ts';
import { invalidParameter, missingParameter, type ApiError } from './errors.ts';

export type Params = Record<string, unknown>;

/** The largest page a List action returns (the cloud's own cap for most of them). */
export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 20;

const present = (value: unknown): boolean => value !== undefined && value !== null;

/**
 * Names may be dotted paths for nested objects (`Code.ZipFile`): the value is read at the last key of
 * the object given, and the error names the whole path; the cloud names its error codes by that key.
 */
const keyOf = (name: string): string => name.slice(name.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');
const valueAt = (params: Params, name: string): unknown => params[keyOf(name)];

function bad(name: string, message: string): ApiError {
  return invalidParameter(keyOf(name), `${name}: ${message}`);
}

export function optionalString(params: Params, name: string): string | undefined {
  const value = valueAt(params, name);
  if (!present(value)) return undefined;
  if (typeof value !== 'string') throw bad(name, 'expected a string');
  return value;
}

/** A string that must be there and not empty. */
export function requiredString(params: Params, name: string): string {
  const value = optionalString(params, name);
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

/** An integer; the SDK's `Offset`/`Limit` of some actions are strings of digits, which are taken too. */
export function optionalInt(params: Params, name: string, range: { min?: number; max?: number } = {}): number | undefined {
  let value = valueAt(params, name);
  if (!present(value)) return undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) value = Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value)) throw bad(name, 'expected an integer');
  if (range.min !== undefined && value < range.min) throw bad(name, `must be at least ${range.min}`);
  if (range.max !== undefined && value > range.max) throw bad(name, `must be at most ${range.max}`);
  return value;
}

export function requiredInt(params: Params, name: string, range: { min?: number; max?: number } = {}): number {
  const value = optionalInt(params, name, range);
  if (value === undefined) throw missingParameter(name);
  return value;
}

/** A positive number (seconds may be fractional in fngate). */
export function optionalNumber(params: Params, name: string): number | undefined {
  const value = valueAt(params, name);
  if (!present(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw bad(name, 'expected a positive number');
  return value;
}

export function optionalObject(params: Params, name: string): Params | undefined {
  const value = valueAt(params, name);
  if (!present(value)) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw bad(name, 'expected an object');
  return value as Params;
}

export function optionalArray(params: Params, name: string): unknown[] | undefined {
  const value = valueAt(params, name);
  if (!present(value)) return undefined;
  if (!Array.isArray(value)) throw bad(name, 'expected an array');
  return value;
}

/** An array of objects (`Filters`, `Layers`, `Environment.Variables` …); each item is checked to be one. */
export function optionalObjects(params: Params, name: string): Params[] | undefined {
  const values = optionalArray(params, name);
  if (values === undefined) return undefined;
  const index = values.findIndex((value) => value === null || typeof value !== 'object' || Array.isArray(value));
  if (index >= 0) throw bad(`${name}[${index}]`, 'expected an object');
  return values as Params[];
}

/** An array of non-empty strings (runtimes, statuses …). */
export function optionalStrings(params: Params, name: string): string[] | undefined {
  const values = optionalArray(params, name);
  if (values === undefined) return undefined;
  const index = values.findIndex((value) => typeof value !== 'string' || value === '');
  if (index >= 0) throw bad(`${name}[${index}]`, 'expected a non-empty string');
  return values as string[];
}

/** One of a few string values (case as the cloud spells them; compared case-insensitively). */
export function optionalEnum<T extends string>(params: Params, name: string, values: readonly T[]): T | undefined {
  const value = optionalString(params, name);
  if (value === undefined || value === '') return undefined;
  const found = values.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (found === undefined) throw bad(name, `expected one of ${values.join(', ')}`);
  return found;
}

/** The cloud's booleans are the strings `TRUE` / `FALSE`. */
export function optionalFlag(params: Params, name: string): boolean | undefined {
  const value = optionalEnum(params, name, ['TRUE', 'FALSE'] as const);
  return value === undefined ? undefined : value === 'TRUE';
}

export function namespaceOf(params: Params): string {
  return optionalString(params, 'Namespace') || DEFAULT_NAMESPACE;
}

/** Offset and Limit of a List action. */
export function pageOf(params: Params): { offset: number; limit: number } {
  return {
    offset: optionalInt(params, 'Offset', { min: 0 }) ?? 0,
    limit: optionalInt(params, 'Limit', { min: 0, max: MAX_PAGE_LIMIT }) ?? DEFAULT_PAGE_LIMIT,
  };
}

/** A base64 zip (`ZipFile`): decoded, refusing what is not base64. */
export function zipOf(base64: string, name: string): Buffer {
  const text = base64.replace(/\s+/g, '');
  if (text === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw bad(name, 'expected the zip file as base64');
  return Buffer.from(text, 'base64');
}

/** `Environment.Variables` → a plain map. */
export function environmentOf(params: Params, name = 'Environment'): Record<string, string> | undefined {
  const environment = optionalObject(params, name);
  if (environment === undefined) return undefined;
  const variables = optionalObjects(environment, `${name}.Variables`) ?? [];
  const result: Record<string, string> = {};
  for (const [index, item] of variables.entries()) {
    const key = requiredString(item, `${name}.Variables[${index}].Key`);
    result[key] = optionalString(item, `${name}.Variables[${index}].Value`) ?? '';
  }
  return result;
}
