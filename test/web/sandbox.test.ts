import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { hostName } from '../../gateway/web-target.ts';
import type { FunctionSpec } from '../../runtimes/runtime.ts';
import { parseSandboxMode } from '../../runtimes/web/adapter.ts';
import { webEnvironment } from '../../runtimes/web/environment.ts';
import { runtimeBinDir } from '../../runtimes/web/interpreters.ts';
import { bwrapArgs, layerMounts } from '../../runtimes/sandbox/bwrap.ts';
import { HOST_LOOPBACK_ADDRESS, pastaArgs, SANDBOX_ADDRESS, SANDBOX_DNS_ADDRESS } from '../../runtimes/sandbox/network.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'fngate-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

t.test('layers are merged under /opt in binding order', async (t) => {
  const root = tree({
    'one/shared.txt': '1',
    'one/only-one/a': '1',
    'one/nodejs/node_modules/left/index.js': '1',
    'one/clash': '1',
    'two/shared.txt': '2',
    'two/nodejs/node_modules/right/index.js': '2',
    'two/clash/inside': '2',
  });
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const one = join(root, 'one');
  const two = join(root, 'two');
  t.same(layerMounts([one, two]), [
    { kind: 'bind', source: join(two, 'clash'), target: '/opt/clash' },
    { kind: 'dir', target: '/opt/nodejs' },
    { kind: 'dir', target: '/opt/nodejs/node_modules' },
    { kind: 'bind', source: join(one, 'nodejs/node_modules/left'), target: '/opt/nodejs/node_modules/left' },
    { kind: 'bind', source: join(two, 'nodejs/node_modules/right'), target: '/opt/nodejs/node_modules/right' },
    { kind: 'bind', source: join(one, 'only-one'), target: '/opt/only-one' },
    { kind: 'bind', source: join(two, 'shared.txt'), target: '/opt/shared.txt' },
  ]);
});

t.test('the bwrap command line', async (t) => {
  const args = bwrapArgs({
    codeDir: '/srv/code',
    layerDirs: [],
    socketDir: '/run/fngate/abc',
    bridgeScript: '/app/runtimes/web/bridge.mjs',
    interpreters: [
      { binary: '/usr/bin/node', root: undefined, links: ['/var/lang/node18/bin/node'] },
      { binary: '/home/u/.pyenv/versions/3.11.7/bin/python3.11', root: '/home/u/.pyenv/versions/3.11.7', links: ['/var/lang/python3/bin/python3'] },
    ],
    hostname: 'scf-abc',
    tmpSizeBytes: 512 * 1024 * 1024,
    path: '/usr/bin:/bin',
  });
  const line = args.join(' ');
  for (const flag of ['--unshare-net', '--unshare-pid', '--as-pid-1', '--unshare-user', '--die-with-parent', '--new-session', '--cap-drop ALL']) {
    t.ok(args.join(' ').includes(flag), flag);
  }
  t.match(line, '--ro-bind /srv/code /var/user', 'code read-only at /var/user');
  t.match(line, '--size 536870912 --perms 1777 --tmpfs /tmp', 'a size-capped private /tmp');
  t.match(line, '--ro-bind /home/u/.pyenv/versions/3.11.7 /home/u/.pyenv/versions/3.11.7', 'interpreter installs outside /usr');
  t.match(line, '--symlink /home/u/.pyenv/versions/3.11.7/bin/python3.11 /var/lang/python3/bin/python3');
  t.match(line, '--symlink /usr/bin/node /var/lang/node18/bin/node');
  t.match(line, '--bind /run/fngate/abc /var/runtime/fngate/run', 'the socket folder is shared');
  t.match(line, '--clearenv --setenv PATH /usr/bin:/bin', 'no gateway environment');
  t.same(args.slice(-3), ['--', '/usr/bin/node', '/var/runtime/fngate/bridge.mjs']);
});

t.test("a networked sandbox's bwrap flags and pasta's command line", async (t) => {
  const base = {
    codeDir: '/srv/code',
    layerDirs: [],
    socketDir: '/run/fngate/abc',
    bridgeScript: '/app/runtimes/web/bridge.mjs',
    interpreters: [{ binary: '/usr/bin/node', root: undefined, links: ['/var/lang/node18/bin/node'] }],
    hostname: 'scf-abc',
    tmpSizeBytes: undefined,
    path: '/usr/bin:/bin',
  };
  const line = bwrapArgs({ ...base, network: { files: { resolvConf: '/run/net/resolv.conf', hosts: '/run/net/hosts' }, infoFd: 4, blockFd: 5 } }).join(' ');
  t.match(line, '--unshare-net --info-fd 4 --block-fd 5', 'bwrap reports its pid and waits for pasta');
  t.match(line, /--ro-bind \/run\/net\/resolv\.conf \S*resolv\.conf/, "pasta's resolver in resolv.conf");
  t.match(line, '--ro-bind /run/net/hosts /etc/hosts', 'host.fngate.internal in /etc/hosts');
  t.notMatch(bwrapArgs(base).join(' '), '--info-fd', 'without pasta: a loopback-only namespace');
  const open = pastaArgs({ hostLoopback: true, dns: [] }, '/run/net/1.pid').join(' ');
  t.match(open, '-t none -u none -T none -U none', 'no port of the host or the sandbox is forwarded');
  t.match(open, `-a ${SANDBOX_ADDRESS} -n 24 -g ${HOST_LOOPBACK_ADDRESS} --dns-forward ${SANDBOX_DNS_ADDRESS}`);
  t.match(open, '--netns /proc/self/fd/3 --pid /run/net/1.pid');
  t.notMatch(open, '--no-map-gw', "the host's loopback is mapped by default");
  t.match(pastaArgs({ hostLoopback: false, dns: [] }, '/run/net/1.pid').join(' '), '--no-map-gw', 'hostLoopback: false');
});

const spec: FunctionSpec = {
  namespace: 'default',
  name: 'site',
  version: '$LATEST',
  runtime: 'Nodejs16.13',
  type: 'web',
  handler: 'index.main_handler',
  handlerStyle: 'scf',
  initializer: undefined,
  codeDir: '/srv/code',
  layerDirs: ['/srv/layer1'],
  memoryMb: 256,
  timeoutMs: 10_000,
  initTimeoutMs: 65_000,
  environment: { GREETING: 'hi', SERVERLESS: '0' },
  platform: { region: 'ap-shanghai', appId: '1', uin: '2' },
};

t.test('the environment of a web server', async (t) => {
  process.env.FNGATE_SECRET_FOR_TEST = 'nope';
  const inside = webEnvironment(spec, { sandboxed: true, port: 9000, tmpDir: '/tmp', interpreters: [] });
  t.match(inside, {
    SERVERLESS: '1',
    PORT: '9000',
    USER_CODE_ROOT: '/var/user',
    SCF_FUNCTIONNAME: 'site',
    SCF_MEMORYSIZE: '256',
    TENCENTCLOUD_REGION: 'ap-shanghai',
    GREETING: 'hi',
    NODE_PATH: '/var/user:/var/user/node_modules:/opt:/opt/node_modules',
    PATH: '/var/lang/node16/bin:/usr/local/bin:/usr/bin:/bin',
    HOME: '/tmp',
  });
  t.notOk('FNGATE_SECRET_FOR_TEST' in inside, 'nothing of the gateway environment');
  const outside = webEnvironment(spec, {
    sandboxed: false,
    port: 41000,
    tmpDir: '/run/x/tmp',
    interpreters: [{ binary: '/opt/node/bin/node', root: '/opt/node', links: [] }],
  });
  t.match(outside, { PORT: '41000', USER_CODE_ROOT: '/srv/code', PATH: '/opt/node/bin:/usr/local/bin:/usr/bin:/bin', TMPDIR: '/run/x/tmp' });
  t.equal(outside.NODE_PATH, '/srv/code:/srv/code/node_modules:/srv/layer1:/srv/layer1/node_modules');
});

t.test('small parsers', async (t) => {
  t.equal(runtimeBinDir('Nodejs18.15'), '/var/lang/node18/bin');
  t.equal(runtimeBinDir('Python3.9'), '/var/lang/python39/bin');
  t.equal(runtimeBinDir('Php8'), '/var/lang/php8/bin');
  t.equal(runtimeBinDir('Go1'), undefined);
  t.equal(parseSandboxMode(undefined), 'auto');
  t.equal(parseSandboxMode('none'), 'none');
  t.throws(() => parseSandboxMode('docker'), /auto, bwrap or none/);
  t.equal(hostName('Site.Team.LOCALHOST:9000'), 'site.team.localhost');
  t.equal(hostName('example.com.'), 'example.com');
  t.equal(hostName('[::1]:9000'), undefined);
  t.equal(hostName(undefined), undefined);
});
