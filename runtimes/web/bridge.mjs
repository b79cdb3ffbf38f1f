// The in-sandbox half of a web function instance, run by the host's node (plain JS: no tsx inside).
//
// Why it exists: the user's server listens on port 9000 inside the instance's own network namespace,
// which the gateway cannot reach. For each connection the gateway asks for, the bridge connects to the
// port inside and hands the connected socket itself to the gateway (SCM_RIGHTS through Node's IPC
// channel): the gateway then speaks HTTP straight to the server, and no process relays the bytes.
// It also starts `scf_bootstrap`, watches the port until it accepts connections, and reports.
//
// Protocol on fd 3 (Node's IPC channel, JSON messages; runtimes/web/bridge-process.ts is the other half):
//   gateway → bridge: {op:'start', port, bootstrap, cwd, env, sandboxed} once, then {op:'connect', id}
//   bridge → gateway: {event:'spawned', pid} | {event:'listening', host, loopbackOnly}
//                     | {event:'spawn-error', message} | {event:'refused'} | {event:'exit', code, signal}
//                     | {event:'connected', id} with the socket | {event:'connect-failed', id, message}
// The channel's end means stop (or the gateway died). stdout/stderr belong to the user's process
// (function logs); the bridge never writes to them.
import { _forkChild, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

const PROBE_FAST_MS = 10;
const PROBE_SLOW_MS = 50;
const PROBE_FAST_FOR_MS = 2000;
/** After scf_bootstrap exits, how often to check whether processes it left behind still run. */
const ORPHAN_CHECK_MS = 500;
const TARGET_HOSTS = ['127.0.0.1', '::1'];
/** The bridge exits by this time even if its child could not be reaped. */
const FORCED_EXIT_MS = 1000;

// Outside a sandbox node finds the channel through NODE_CHANNEL_FD; bwrap --clearenv drops that
// variable, so the channel on fd 3 is opened the way node's own start-up does it.
if (!process.send) _forkChild(3, 'json');
let config;
let child;
let targetHost;
let exiting = false;

function send(message, socket, callback) {
  if (process.connected) process.send(message, socket, undefined, callback);
  else callback?.();
}

const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

/**
 * End the bootstrap and exit, after `last` (if any) reached the gateway. The bridge waits until it has
 * reaped its child: a killed process whose parent is already gone lingers as a zombie until the host's
 * init collects it.
 */
function finish(code, last) {
  if (exiting) return;
  exiting = true;
  const exit = () => send(last ?? { event: 'bye' }, undefined, () => process.exit(code));
  if (running()) {
    child.once('exit', exit);
    killBootstrap();
  } else exit();
  setTimeout(() => process.exit(code), FORCED_EXIT_MS).unref();
}

/** Outside a sandbox the bootstrap leads its own process group; inside, the pid namespace ends the rest. */
function killBootstrap() {
  try {
    if (config?.sandboxed) child.kill('SIGKILL');
    else process.kill(-child.pid, 'SIGKILL');
  } catch {}
}

/** One connection attempt to the user's port on each loopback address; resolves the host that answered. */
function probe() {
  return new Promise((resolve) => {
    let pending = TARGET_HOSTS.length;
    let found;
    for (const host of TARGET_HOSTS) {
      const socket = net.connect({ host, port: config.port });
      socket.once('connect', () => {
        found ??= host;
        socket.destroy();
        if (--pending === 0) resolve(found);
      });
      socket.once('error', () => {
        if (--pending === 0) resolve(found);
      });
    }
  });
}

/** TCP socket state LISTEN in /proc/net/tcp{,6}. */
const TCP_LISTEN = '0A';

/**
 * Whether every socket listening on the port is bound to a loopback address (127.0.0.1, ::1): SCF
 * reaches the server from outside its network namespace and requires 0.0.0.0 (or *). /proc/net/* shows
 * the sockets of the bridge's own network namespace, the sandbox's. Addresses there are hex, IPv4 in
 * little-endian byte order (`0100007F` = 127.0.0.1). Undefined when it cannot be told.
 */
function loopbackOnly(port) {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const addresses = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== TCP_LISTEN) continue;
      const [address, localPort] = fields[1].split(':');
      if (localPort === portHex) addresses.push(address);
    }
  }
  if (addresses.length === 0) return undefined;
  const isLoopback = (hex) =>
    (hex.length === 8 && hex.endsWith('7F')) ||
    hex === '00000000000000000000000001000000' ||
    (hex.startsWith('0000000000000000FFFF0000') && hex.endsWith('7F'));
  return addresses.every(isLoopback);
}

async function waitForListening() {
  const started = Date.now();
  while (!exiting) {
    const host = await probe();
    if (host) return host;
    await new Promise((r) => setTimeout(r, Date.now() - started < PROBE_FAST_FOR_MS ? PROBE_FAST_MS : PROBE_SLOW_MS));
  }
  return undefined;
}

/** Connect to the user's server and hand the socket to the gateway, which then owns it. */
function connect(id) {
  const upstream = net.connect({ host: targetHost ?? TARGET_HOSTS[0], port: config.port, noDelay: true });
  upstream.once('connect', () => {
    send({ event: 'connected', id }, upstream);
  });
  upstream.once('error', (error) => {
    if (error.code === 'ECONNREFUSED') send({ event: 'refused' });
    send({ event: 'connect-failed', id, message: error.message });
  });
}

/** Interpreter and arguments for a bootstrap without the execute bit (zip uploads lose it). */
function commandFor(path) {
  try {
    accessSync(path, constants.X_OK);
    return [path, []];
  } catch {}
  const firstLine = readFileSync(path, 'utf8').split('\n', 1)[0] ?? '';
  if (firstLine.startsWith('#!')) {
    const [interpreter, ...args] = firstLine.slice(2).trim().split(/\s+/);
    if (interpreter) return [interpreter, [...args, path]];
  }
  return ['/bin/sh', [path]];
}

/** Live processes of the sandbox other than the bridge (pid 1 there; orphans it never reaps stay zombies). */
function othersInSandbox() {
  if (!config.sandboxed) return false;
  return readdirSync('/proc').some((name) => {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) return false;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  });
}

function start() {
  const [command, args] = commandFor(config.bootstrap);
  child = spawn(command, args, {
    cwd: config.cwd,
    env: config.env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: !config.sandboxed,
  });
  child.once('spawn', () => send({ event: 'spawned', pid: child.pid }));
  child.once('error', (error) => {
    finish(127, { event: 'spawn-error', message: error.message });
  });
  child.once('exit', (code, signal) => {
    // A bootstrap may start the server in the background and exit (`node app.js &`): inside a sandbox
    // the instance lives while processes it left behind do.
    const check = () => {
      if (exiting) return;
      if (othersInSandbox()) {
        setTimeout(check, ORPHAN_CHECK_MS);
        return;
      }
      finish(code ?? 1, { event: 'exit', code, signal });
    };
    check();
  });
  void waitForListening().then((host) => {
    if (!host) return;
    targetHost = host;
    send({ event: 'listening', host, loopbackOnly: loopbackOnly(config.port) === true });
  });
}

process.on('message', (message) => {
  if (message?.op === 'connect' && config && !exiting) connect(message.id);
  else if (message?.op === 'start' && !config) {
    config = message;
    start();
  }
});
// The gateway holds the other end for the instance's whole life: its end means stop (or the gateway died).
process.on('disconnect', () => (config ? finish(137) : process.exit(1)));
// A send racing the gateway's close fails with EPIPE: the channel's end is handled by 'disconnect'.
process.on('error', () => {});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => finish(143));
