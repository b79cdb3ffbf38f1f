/**
 * What each compatibility case does in the default isolate mode, the one table to update when built-ins
 * land: `'pass'`, or `'fail: <why>'` for a known gap. The suite fails when reality differs in either
 * direction, so a fix flips its line here. Run the suite with FNGATE_COMPAT_PRINT=1 to get the observed
 * table in this syntax. Process mode must pass every case; EXPECTED_IN_PROCESS lists the exceptions, which
 * are gateway gaps rather than runtime ones.
 */
export type Expectation = 'pass' | `fail: ${string}`;

export const EXPECTED_IN_ISOLATE: Record<string, Expectation> = {
  'ajv': 'pass',
  'async': 'pass',
  'axios': 'pass',
  'bcryptjs': 'pass',
  'bluebird': 'pass',
  'chalk': 'pass',
  // undici (inside cheerio) requires worker_threads at load for markAsUncloneable; issue 8 keeps
  // worker_threads failing at require in the isolate (nodeRuntime: process runs it).
  'cheerio': 'fail: 443 Cannot load module "node:worker_threads"',
  'commander': 'fail: 443 Cannot load module "node:child_process"',
  'cos-nodejs-sdk-v5': 'pass',
  'crypto-js': 'pass',
  'csv-parse': 'pass',
  'date-fns': 'pass',
  'dayjs': 'pass',
  'debug': 'pass',
  'dotenv': 'pass',
  'ejs': 'pass',
  'express': 'pass',
  'fast-xml-parser': 'pass',
  'form-data': 'pass',
  'handlebars': 'pass',
  'iconv-lite': 'pass',
  'ioredis': 'pass',
  'joi': 'pass',
  'js-yaml': 'pass',
  'jsonwebtoken': 'pass',
  'jszip': 'pass',
  'koa': 'pass',
  'lodash': 'pass',
  'luxon': 'pass',
  'mime-types': 'pass',
  'moment': 'pass',
  'mongodb': 'pass',
  'mysql2': 'pass',
  'nanoid': 'pass',
  'node-fetch': 'pass',
  'pg': 'pass',
  'qs': 'pass',
  'redis': 'pass',
  'rxjs': 'pass',
  'semver': 'pass',
  'tencentcloud-sdk-nodejs-scf': 'pass',
  'uuid': 'pass',
  'validator': 'pass',
  'winston': 'pass',
  // ws needs the 'upgrade' event with a raw socket; the isolate's http client is bridged per request.
  'ws': 'fail: 433 Invoking task timed out after 30 seconds',
  'xml2js': 'pass',
  'yaml': 'pass',
  'zod': 'pass',
  'express (apigw /)': 'pass',
  'koa (apigw /)': 'pass',
};

/** Cases that fail in process mode too, for a reason outside the Node runtime; every other case must pass. */
export const EXPECTED_IN_PROCESS: Partial<Record<string, Expectation>> = {};
