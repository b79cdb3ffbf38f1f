/**
 * SCF's names and limits for the function lifecycle, in one place: the service validates with them, the
 * code store enforces the sizes, the transports document them. Each is SCF's own (API reference of
 * CreateFunction, CreateAlias, PublishLayerVersion; the product docs' quota page for sizes).
 */
import { FUNCTION_NAME_PATTERN } from '../config-schema.ts';

export { FUNCTION_NAME_PATTERN };

export const MB = 1024 * 1024;

/** A zip uploaded with the request (SCF: "在线上传 zip 包，仅支持 50MB 以下的代码包"). */
export const MAX_ZIP_BYTES = 50 * MB;
/** Code plus its layers, unpacked (SCF: "函数代码+关联的层版本代码大小总和小于等于 500MB"): also the zip bomb cap. */
export const MAX_UNPACKED_BYTES = 500 * MB;
/** Files one zip may hold: bounds the work of a zip made of empty entries. */
export const MAX_ZIP_ENTRIES = 100_000;

/** A namespace: as fngate.yml's `namespace` key takes it. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,30}$/;
export const NAMESPACE_RULE = '1-30 letters, digits, _ or -';

export const FUNCTION_NAME_RULE = '2-60 characters, start with a letter, hold letters, digits, _ or -, and end with a letter or digit';

/** CreateAlias: "1 to 64 letters, digits, _ and -, and must begin with a letter". */
export const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const ALIAS_RULE = '1-64 letters, digits, _ or -, starting with a letter';
/** An alias routes to its main version and at most this many more (SCF: one). */
export const MAX_ADDITIONAL_VERSIONS = 1;

/** PublishLayerVersion: letters, digits, - and _, a letter first, not ending with - or _, 1-64 characters. */
export const LAYER_NAME_PATTERN = /^[A-Za-z](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$/;
export const LAYER_NAME_RULE = '1-64 letters, digits, _ or -, starting with a letter and not ending with _ or -';
/** Layers one function binds (SCF: 5), stacked under /opt in order. */
export const MAX_LAYERS = 5;

/** MemorySize: 64, or 128 to 3072 in steps of 128 (MB). */
export const MEMORY_SIZES_MB: readonly number[] = [64, ...Array.from({ length: 24 }, (_, i) => (i + 1) * 128)];
/** Timeout: 1 to 900 s. */
export const MIN_TIMEOUT_MS = 1000;
export const MAX_TIMEOUT_MS = 900_000;
/** Descriptions of functions, versions, aliases, namespaces and layers. */
export const MAX_DESCRIPTION_CHARS = 1000;
