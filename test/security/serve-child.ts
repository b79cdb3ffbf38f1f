// A gateway in its own process, for the tests that kill it: serves the folder in argv[2], prints its URL.
import { silentLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';

const gateway = await startGateway({ dir: process.argv[2]!, port: 0, host: '127.0.0.1', logger: silentLogger() });
process.stdout.write(`${gateway.url}\n`);
