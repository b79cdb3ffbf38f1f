// Runs inside the isolate, on demand. The `os` built-in: fixed facts fetched from the host once, the
// function's view of the machine as SCF gives it (tmpdir /tmp, homedir and cwd /var/user's parent …).
/* global internal, config */
const { facts, dynamic } = internal.service('os');
let fixed;
const known = () => (fixed ??= facts());

const os = {
  EOL: '\n',
  devNull: '/dev/null',
  get constants() {
    return known().constants;
  },
  arch: () => config.arch,
  platform: () => 'linux',
  type: () => known().type,
  release: () => known().release,
  version: () => known().version,
  machine: () => known().machine,
  hostname: () => known().hostname,
  endianness: () => known().endianness,
  availableParallelism: () => known().availableParallelism,
  cpus: () => known().cpus.map((cpu) => ({ ...cpu, times: { ...cpu.times } })),
  totalmem: () => known().totalmem,
  freemem: () => dynamic().freemem,
  uptime: () => dynamic().uptime,
  loadavg: () => dynamic().loadavg,
  tmpdir: () => '/tmp',
  homedir: () => config.env.HOME ?? '/home/qcloud',
  userInfo: () => ({ uid: 10000, gid: 10000, username: 'qcloud', homedir: config.env.HOME ?? '/home/qcloud', shell: null }),
  networkInterfaces: () => ({}),
  getPriority: () => 0,
  setPriority: () => {},
};
internal.modules.os = os;
