// The start-up floor of a gateway of fngate's shape: what any such server does before it serves, and
// nothing else. Loads node:http, better-sqlite3, pino and yaml; parses the project's fngate.yml; opens a
// SQLite database in WAL mode with one table; logs one line; listens; prints the ready line.
// Usage: node --no-node-snapshot bench/servers/startup-floor.mjs <project dir> <data dir>
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { parse } from 'yaml';

const [projectDir, dataDir] = process.argv.slice(2);
const logger = pino();
const config = parse(readFileSync(join(projectDir, 'fngate.yml'), 'utf8'));
mkdirSync(dataDir, { recursive: true });
const db = new Database(join(dataDir, 'floor.db'));
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE IF NOT EXISTS functions (name TEXT PRIMARY KEY, config TEXT NOT NULL)');
const insert = db.prepare('INSERT OR REPLACE INTO functions (name, config) VALUES (?, ?)');
for (const [name, fn] of Object.entries(config.functions ?? {})) insert.run(name, JSON.stringify(fn));
logger.info({ functions: Object.keys(config.functions ?? {}).length }, 'configuration read');
const server = createServer((request, response) => response.end('ok'));
server.listen(0, '127.0.0.1', () => process.stdout.write(`fngate ready on port ${server.address().port}\n`));
