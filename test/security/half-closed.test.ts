// A client that connects and closes its side before sending anything (a TCP health check, wrk's probe at
// start) while sandboxes run: the gateway decides off the event loop whether such a connection came from a
// sandbox's pasta (runtimes/sandbox/peer.ts), and the client's FIN can arrive before the socket is handed
// to node:http. The gateway must close its side at once, not hold the socket half-closed until
// headersTimeout, and a draining shutdown must not wait for it.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loopbackPastaPids } from '../../runtimes/sandbox/network.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { requireTool } from '../helpers/toolchain.ts';
import { openRaw } from './helpers.ts';

/** Far above what each case allows: a socket held until this timer fired fails the case. */
const HEADERS_TIMEOUT_S = 30;
/** How long the gateway may take to close its side or to drain. */
const PROMPT_MS = 3000;

const echo = fileURLToPath(new URL('../fixtures/python/cases/echo', import.meta.url));

if (requireTool(t, 'python3', 'python3') && requireTool(t, 'pasta', 'passt') && requireTool(t, 'bwrap', 'bubblewrap')) {
  t.test('with a sandbox running, a connection closed before its first byte is closed at once', async (t) => {
    const gateway = await startTestGateway(t, {
      gateway: { headersTimeoutSeconds: HEADERS_TIMEOUT_S },
      functions: { echo: { src: echo, runtime: 'Python3.9' } },
    });
    const port = Number(new URL(gateway.url).port);
    t.equal((await gateway.invoke('echo', { warm: true })).status, 200, 'the instance runs');
    t.ok(loopbackPastaPids().size > 0, 'its pasta runs, so every new connection goes through the sandbox check');

    const clients = await Promise.all(Array.from({ length: 5 }, () => openRaw(port, PROMPT_MS)));
    for (const client of clients) client.socket.end();
    const lived = await Promise.all(clients.map((client) => client.closed));
    t.ok(
      lived.every((ms) => ms >= 0),
      `the gateway closed all 5 within ${PROMPT_MS} ms, not after headersTimeout (${lived.join(', ')} ms; -1: still open)`,
    );

    t.same((await gateway.invoke('echo', { after: 'the probes' })).json, { after: 'the probes' }, 'a request on a new connection is answered as before');

    // A shutdown that drains (up to 20 s) is not held by a connection whose client already left.
    const leaving = await openRaw(port, PROMPT_MS);
    leaving.socket.end();
    await leaving.closed;
    const started = Date.now();
    await gateway.close({ drainMs: 20_000 });
    t.ok(Date.now() - started < PROMPT_MS, `the draining close took ${Date.now() - started} ms`);
  });
}
