/**
 * The server's side of the link to bin/fngate.js when the launcher runs it as a child (to add
 * `--no-node-snapshot`). The launcher holds the write end of a pipe on the child's fd 3; the kernel
 * closes it however the launcher dies, `kill -9` included, and the child sees end-of-file. Node has no
 * PR_SET_PDEATHSIG; this is the portable way for a child to learn its parent is gone.
 */
import { Socket } from 'node:net';

/** Set by bin/fngate.js on the child: the fd of the pipe to the launcher. */
export const LAUNCHER_FD_ENV = 'FNGATE_LAUNCHER_FD';

/** Calls `onExit` once when the launcher that started this process is gone; nothing when not launched so. */
export function onLauncherExit(onExit: () => void): void {
  const fd = Number(process.env[LAUNCHER_FD_ENV]);
  // Functions and the processes they start are no launcher's children.
  delete process.env[LAUNCHER_FD_ENV];
  if (!Number.isInteger(fd) || fd < 3) return;
  let link: Socket;
  try {
    link = new Socket({ fd, readable: true, writable: false });
  } catch {
    return;
  }
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    onExit();
  };
  link.on('error', fire);
  link.on('end', fire);
  link.on('close', fire);
  link.resume();
  // The link must not keep a finished command alive.
  link.unref();
}
