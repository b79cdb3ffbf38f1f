// SandboxPeers (runtimes/sandbox/peer.ts) tells a sandbox's connections to the gateway from everyone
// else's by which process holds the client's socket. Here a python3 process stands in for pasta: it
// opens TCP connections to a server of this test when told to, and keeps them. Its sockets are walked
// once and remembered while it does not run; the cases below check that a connection it makes after a
// walk is never taken for someone else's (it ran to make it), also inside a burst of other clients.
import { spawn } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import t from 'tap';
import { SandboxPeers } from '../../runtimes/sandbox/peer.ts';
import { requireTool } from '../helpers/toolchain.ts';

/**
 * Connects to 127.0.0.1:<port> for every line `<port>` it reads (from local port <local> for a line
 * `<port> <local>`), prints the local port, keeps every socket.
 */
const STAND_IN = `
import socket, sys
held = []
for line in sys.stdin:
    parts = line.split()
    s = socket.socket()
    if len(parts) > 1:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', int(parts[1])))
    s.connect(('127.0.0.1', int(parts[0])))
    held.append(s)
    print(s.getsockname()[1], flush=True)
`;

if (requireTool(t, 'python3', 'python3')) {
  t.test('a stand-in pasta is told apart from other clients, before and after its sockets were walked', async (t) => {
    const standIn = spawn('python3', ['-c', STAND_IN], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.teardown(() => standIn.kill('SIGKILL'));
    const ports = createInterface({ input: standIn.stdout! })[Symbol.asyncIterator]();
    const peers = new SandboxPeers(() => new Set([standIn.pid!]));

    /** The verdict on each accepted connection, by the client's port. */
    const verdicts = new Map<number, Promise<boolean>>();
    const accepted: Socket[] = [];
    const server = createServer((socket) => {
      accepted.push(socket);
      const verdict = peers.check(socket);
      verdicts.set(socket.remotePort!, verdict === false ? Promise.resolve(false) : verdict);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => {
      for (const socket of accepted) socket.destroy();
      server.close();
    });
    const serverPort = (server.address() as AddressInfo).port;

    const verdictFor = async (clientPort: number): Promise<boolean> => {
      while (!verdicts.has(clientPort)) await new Promise((resolve) => setTimeout(resolve, 2));
      return verdicts.get(clientPort)!;
    };
    const ourClient = async (): Promise<boolean> => {
      const socket = connect(serverPort, '127.0.0.1');
      t.teardown(() => socket.destroy());
      await new Promise((resolve) => socket.once('connect', resolve));
      return verdictFor(socket.localPort!);
    };
    const standInClient = async (fromPort?: number): Promise<boolean> => {
      standIn.stdin!.write(fromPort === undefined ? `${serverPort}\n` : `${serverPort} ${fromPort}\n`);
      const line = await ports.next();
      return verdictFor(Number(line.value));
    };

    t.equal(await standInClient(), true, 'its first connection: from the stand-in');
    t.equal(await ourClient(), false, 'a client of this process: not');
    t.equal(await ourClient(), false, 'again, with the stand-in\'s sockets remembered');
    t.equal(await standInClient(), true, 'a connection it made after that walk: from the stand-in');
    t.equal(await ourClient(), false, 'and this process\'s next: not');

    const burst = await Promise.all([ourClient(), ourClient(), standInClient(), ourClient(), standInClient(), ourClient()]);
    t.same(burst, [false, false, true, false, true, false], 'in a burst, exactly the stand-in\'s two');

    // A busy machine reuses a client port while older connections from it to elsewhere wait in TIME_WAIT
    // (no owner: inode 0). The stand-in connects from such a port: still its connection, not "nobody's".
    const reused = await timeWaitPort(t, 8);
    t.equal(await standInClient(reused), true, `from port ${reused}, with 8 connections from it in TIME_WAIT: from the stand-in`);
  });
}

/** Connects from one local port to each port of argv in turn and closes first: each ends in TIME_WAIT. */
const TIME_WAIT_MAKER = `
import socket, sys
port = 0
for server in sys.argv[1:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.connect(('127.0.0.1', int(server)))
    port = s.getsockname()[1]
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # the server's end: this side closed first, so it is the one left in TIME_WAIT
    s.close()
print(port, flush=True)
`;

/**
 * A local port from which `count` connections, each to a server of its own, are in TIME_WAIT: the client
 * closed first, so the kernel keeps each for a minute with no owner.
 */
async function timeWaitPort(t: { teardown(fn: () => unknown): void }, count: number): Promise<number> {
  const serverPorts: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer((socket) => socket.on('end', () => socket.end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => server.close());
    serverPorts.push((server.address() as AddressInfo).port);
  }
  const maker = spawn('python3', ['-c', TIME_WAIT_MAKER, ...serverPorts.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  maker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => maker.once('close', resolve));
  return Number(output.trim());
}
