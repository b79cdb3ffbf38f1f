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
  'axios': 'fail: 443 Cannot load module "stream"',
  'bcryptjs': 'pass',
  'bluebird': 'pass',
  'chalk': 'fail: 443 Cannot load module "tty"',
  'cheerio': 'fail: 443 Cannot load module "node:stream"',
  'commander': 'fail: 443 Cannot load module "node:child_process"',
  'cos-nodejs-sdk-v5': 'fail: 443 Cannot load module "fs"',
  'crypto-js': 'pass',
  'csv-parse': 'fail: 443 Cannot load module "stream"',
  'date-fns': 'pass',
  'dayjs': 'pass',
  'debug': 'fail: 443 Cannot load module "tty"',
  'dotenv': 'fail: 443 Cannot load module "fs"',
  'ejs': 'fail: 443 Cannot load module "fs"',
  'express': 'fail: 443 Cannot load module "tty"',
  'fast-xml-parser': 'pass',
  'form-data': 'fail: 443 Cannot load module "stream"',
  'handlebars': 'pass',
  'iconv-lite': 'fail: 430 Cannot load module "string_decoder"',
  'ioredis': 'fail: 443 Cannot load module "assert"',
  'joi': 'pass',
  'js-yaml': 'pass',
  'jsonwebtoken': 'fail: 443 Cannot load module "stream"',
  'jszip': 'pass',
  'koa': 'fail: 443 Cannot load module "tty"',
  'lodash': 'pass',
  'luxon': 'pass',
  'mime-types': 'pass',
  'moment': 'pass',
  'mongodb': 'fail: 443 Cannot load module "fs"',
  'mysql2': 'fail: 443 Cannot load module "net"',
  'nanoid': 'pass',
  'node-fetch': 'fail: 443 Cannot load module "stream"',
  'pg': 'fail: 443 Cannot load module "dns"',
  'qs': 'pass',
  'redis': 'fail: 443 Cannot load module "net"',
  'rxjs': 'pass',
  'semver': 'pass',
  'tencentcloud-sdk-nodejs-scf': 'fail: 443 Cannot load module "stream"',
  'uuid': 'pass',
  'validator': 'pass',
  'winston': 'fail: 443 Cannot load module "stream"',
  'ws': 'fail: 443 Cannot load module "https"',
  'xml2js': 'pass',
  'yaml': 'pass',
  'zod': 'pass',
  'express (apigw /)': 'fail: 404: the apigw / ANY endpoint does not reach sub-paths yet (SCF routing, issue 8 §3)',
  'koa (apigw /)': 'fail: 404: the apigw / ANY endpoint does not reach sub-paths yet (SCF routing, issue 8 §3)',
};

/** Cases that fail in process mode too, for a reason outside the Node runtime; every other case must pass. */
export const EXPECTED_IN_PROCESS: Partial<Record<string, Expectation>> = {
  'express (apigw /)': 'fail: 404: the apigw / ANY endpoint does not reach sub-paths yet (SCF routing, issue 8 §3)',
  'koa (apigw /)': 'fail: 404: the apigw / ANY endpoint does not reach sub-paths yet (SCF routing, issue 8 §3)',
};
