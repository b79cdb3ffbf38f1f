/**
 * The gob codec and net/rpc client for Go functions (scf-go-lib), checked against encoding/gob's documented
 * bytes and against real Go programs built from test/fixtures/go at set-up (standard library only).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { GobDecoder, GobEncoder, gob, type GobType } from '../../runtimes/go/gob.ts';
import {
  invokeRequestType,
  invokeResponseType,
  pingRequestType,
  pingResponseType,
  rpcRequestHeader,
  rpcResponseHeader,
  type GoInvokeRequest,
  type GoInvokeResponse,
} from '../../runtimes/go/messages.ts';
import { GoRpcClient, type GoRpcError } from '../../runtimes/go/rpc-client.ts';
import { goBuildEnv } from '../helpers/go.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'go');
/** A cold Go build cache compiles net/rpc, encoding/json … first: tens of seconds on two cores. */
const BUILD_TIMEOUT_MS = 240_000;
const START_TIMEOUT_MS = 10_000;

const execFileAsync = promisify(execFile);

type Teardown = { teardown: (fn: () => unknown) => void };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** Decodes every value of `types` from `bytes`, fed in pieces of `step` bytes. */
function decodeAll(bytes: Buffer, types: GobType[], step = bytes.length): unknown[] {
  const decoder = new GobDecoder();
  const out: unknown[] = [];
  let offset = 0;
  for (const type of types) {
    for (;;) {
      const decoded = decoder.decode(type);
      if (decoded) {
        out.push(decoded.value);
        break;
      }
      if (offset >= bytes.length) throw new Error(`stream ended before value ${out.length}`);
      decoder.push(bytes.subarray(offset, offset + step));
      offset += step;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The codec alone

t.test('encodes the example of encoding/gob doc.go byte for byte', async (t) => {
  const point = gob.struct('Point', { X: gob.int, Y: gob.int });
  const encoder = new GobEncoder();
  t.equal(
    hex(encoder.encode(point, { X: 22, Y: 33 })),
    '1fff810301010550' + '6f696e7401ff8200' + '0102010158010400' + '0101590104000000' + '07ff82012c014200',
  );
  t.equal(hex(encoder.encode(point, { X: 22, Y: 33 })), '07ff82012c014200', 'the type is sent only once');
});

t.test('integers, strings and singletons as Go writes them', async (t) => {
  const encoder = new GobEncoder();
  // Captured from Go: enc.Encode(7); enc.Encode("hi"). A non-struct is sent as delta 0 then the value.
  t.equal(hex(encoder.encode(gob.int, 7)), '0304000e');
  t.equal(hex(encoder.encode(gob.string, 'hi')), '050c00026869');
  // doc.go: 256 is (FE 01 00); -129 is (FE 01 01).
  t.equal(hex(encoder.encode(gob.uint, 256)), '050600fe0100');
  t.equal(hex(encoder.encode(gob.int, -129)), '050400fe0101');

  const ints = [0, 1, -1, 63, 64, -64, -65, 127, 128, 255, 256, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 52, -(2 ** 52)];
  const values = [...ints, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  const stream = Buffer.concat(values.map((v) => encoder.encode(gob.int, v)));
  t.same(decodeAll(stream, values.map(() => gob.int)), values);
  const uints = [0, 127, 128, 2 ** 32, Number.MAX_SAFE_INTEGER];
  t.same(decodeAll(Buffer.concat(uints.map((v) => encoder.encode(gob.uint, v))), uints.map(() => gob.uint)), uints);

  const big = encoder.encode(gob.int, 2n ** 62n);
  t.throws(() => decodeAll(big, [gob.int]), /safe range/, 'no silent loss of precision');
  t.throws(() => encoder.encode(gob.int, 2n ** 63n), /64 bits/);
});

t.test('round trip, fed one byte at a time', async (t) => {
  const encoder = new GobEncoder();
  const request: GoInvokeRequest = {
    Payload: Buffer.from('{"ü":"✓"}'),
    RequestId: 'r1',
    Deadline: { Seconds: 1_700_000_000, Nanos: 5 },
    MemoryLimitInMb: 128,
    TimeLimitInMs: -3,
  };
  const response: GoInvokeResponse = {
    Payload: Buffer.from('null'),
    Error: {
      Message: 'm',
      Type: 'string',
      StackTrace: [
        { Path: 'a.go', Line: 1, Label: 'f' },
        { Path: '', Line: 0, Label: '' },
      ],
      ShouldExit: true,
    },
  };
  const stream = Buffer.concat([
    encoder.encode(invokeRequestType, request),
    encoder.encode(invokeResponseType, response),
    encoder.encode(invokeRequestType, {}),
    encoder.encode(invokeResponseType, { Payload: Buffer.from('1') }),
  ]);
  const [req, res, empty, noError] = decodeAll(
    stream,
    [invokeRequestType, invokeResponseType, invokeRequestType, invokeResponseType],
    1,
  ) as [any, any, any, any];
  t.equal(text(req.Payload), '{"ü":"✓"}');
  t.same(req.Deadline, { Seconds: 1_700_000_000, Nanos: 5 });
  t.equal(req.TimeLimitInMs, -3);
  t.equal(req.TraceId, '', 'omitted fields are zero');
  t.same(res.Error, response.Error);
  t.same(empty.Deadline, { Seconds: 0, Nanos: 0 });
  t.equal(empty.Payload.length, 0);
  t.equal(noError.Error, null, 'a nil pointer stays nil');
});

t.test('matches fields by name and skips the unknown ones', async (t) => {
  const sent = gob.struct('V1', {
    A: gob.int,
    Extra: gob.slice(gob.struct('Inner', { S: gob.string, B: gob.bytes })),
    Flag: gob.bool,
    B: gob.string,
  });
  const wanted = gob.struct('V2', { B: gob.string, Flag: gob.bool, Missing: gob.uint });
  const bytes = new GobEncoder().encode(sent, {
    A: -5,
    Extra: [{ S: 'x', B: Buffer.from([1]) }, {}],
    Flag: true,
    B: 'b',
  });
  t.same(decodeAll(bytes, [wanted]), [{ B: 'b', Flag: true, Missing: 0 }]);
  t.throws(() => decodeAll(bytes, [gob.struct('V3', { A: gob.string })]), /type mismatch/);
  t.throws(() => decodeAll(bytes, [gob.struct('V4', { Nothing: gob.int })]), /no fields/);
});

t.test('a type definition sent twice on one stream is refused, as Go refuses it', async (t) => {
  const bytes = new GobEncoder().encode(pingRequestType, {});
  t.throws(() => decodeAll(Buffer.concat([bytes, bytes]), [pingRequestType, pingRequestType]), /duplicate type/);
});

t.test('an encode that fails sends nothing and leaves the stream in step', async (t) => {
  const encoder = new GobEncoder();
  const type = gob.struct('S', { A: gob.int, L: gob.slice(gob.pointer(gob.struct('E', { X: gob.int }))) });
  t.throws(() => encoder.encode(type, { A: 'x' as unknown as number }), /integer/);
  t.throws(() => encoder.encode(type, { L: [null as never] }), /nil element/);
  t.same(decodeAll(encoder.encode(type, { A: 1, L: [{ X: 2 }] }), [type]), [{ A: 1, L: [{ X: 2 }] }]);
});

/** A stand-in net/rpc server in Node, so the client's framing can be tested with chosen TCP chunking. */
async function fakeServer(
  t: Teardown,
  onRequests: (socket: net.Socket, requests: { seq: number; request: any }[], reply: ReplyEncoder) => void,
): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new GobDecoder();
    const encoder = new GobEncoder();
    const reply: ReplyEncoder = (seq, response) =>
      Buffer.concat([
        encoder.encode(rpcResponseHeader, { ServiceMethod: 'Function.Invoke', Seq: seq }),
        encoder.encode(invokeResponseType, response),
      ]);
    const requests: { seq: number; request: any }[] = [];
    let header: { Seq: number } | undefined;
    socket.on('data', (chunk) => {
      decoder.push(chunk);
      for (;;) {
        if (!header) {
          const decoded = decoder.decode(rpcRequestHeader);
          if (!decoded) return;
          header = decoded.value;
        }
        const body = decoder.decode(invokeRequestType);
        if (!body) return;
        requests.push({ seq: header.Seq, request: body.value });
        header = undefined;
        onRequests(socket, requests, reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

type ReplyEncoder = (seq: number, response: GoInvokeResponse) => Buffer;

t.test('the client handles replies split across chunks and several in one chunk', async (t) => {
  const port = await fakeServer(t, (socket, requests, reply) => {
    if (requests.length === 2) {
      // Both replies in one write, the second call's first.
      socket.write(
        Buffer.concat(
          [...requests].reverse().map(({ seq, request }) => reply(seq, { Payload: request.Payload, Error: null })),
        ),
      );
    } else if (requests.length === 3) {
      // One reply in three writes, apart in time, so the client sees partial frames.
      const { seq, request } = requests[2]!;
      const bytes = reply(seq, { Payload: request.Payload, Error: null });
      const cuts = [0, 1, Math.floor(bytes.length / 2), bytes.length];
      cuts.slice(1).forEach((end, i) => setTimeout(() => socket.write(bytes.subarray(cuts[i], end)), i * 20));
    }
  });
  const client = new GoRpcClient();
  t.teardown(() => client.close());
  await client.connect(port);
  const [a, b] = await Promise.all([client.invoke(event({ n: 'a' })), client.invoke(event({ n: 'b' }))]);
  t.same([json(a), json(b)], [{ n: 'a' }, { n: 'b' }]);
  t.same(json(await client.invoke(event({ n: 'c'.repeat(100_000) }))), { n: 'c'.repeat(100_000) });
});

t.test('a reply that is not gob fails the connection with PROTOCOL', async (t) => {
  const port = await fakeServer(t, (socket) => socket.write(Buffer.from([0xf0, 1, 2, 3])));
  const client = new GoRpcClient();
  await client.connect(port);
  await t.rejects(client.invoke(event({})), { code: 'PROTOCOL' });
  t.equal((await client.closed).code, 'PROTOCOL');
});

t.test('connect gives up with NOT_CONNECTED when nothing listens', async (t) => {
  const client = new GoRpcClient();
  await t.rejects(client.connect(await freePort(), '127.0.0.1', { retryForMs: 100 }), { code: 'NOT_CONNECTED' });
  await t.rejects(client.ping(), { code: 'NOT_CONNECTED' });
});

// ---------------------------------------------------------------------------------------------------------------
// Against Go

const goFound = !spawnSync('go', ['version']).error;
const NO_GO = 'the go command is missing: install golang-go (apt-get install golang-go) to run the Go tests';
if (!goFound && process.env.CI) t.fail(NO_GO);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function deadlineIn(ms: number): { Seconds: number; Nanos: number } {
  const at = Date.now() + ms;
  return { Seconds: Math.floor(at / 1000), Nanos: (at % 1000) * 1_000_000 };
}

function event(body: Record<string, unknown>, extra: GoInvokeRequest = {}): GoInvokeRequest {
  return { Payload: Buffer.from(JSON.stringify(body)), RequestId: 'req', Deadline: deadlineIn(30_000), ...extra };
}

function json(response: GoInvokeResponse): any {
  return JSON.parse(text(response.Payload));
}

t.test('against Go', { skip: goFound ? false : NO_GO }, async (t) => {
  const bin = await mkdtemp(join(tmpdir(), 'fngate-go-'));
  t.teardown(() => rm(bin, { recursive: true, force: true }));
  try {
    // One build for both programs, reused by every test below.
    await execFileAsync('go', ['build', '-o', bin + '/', './scfecho', './gobdump'], {
      cwd: FIXTURES,
      env: goBuildEnv(),
      timeout: BUILD_TIMEOUT_MS,
    });
  } catch (error) {
    t.fail(`go build failed: ${(error as { stderr?: string }).stderr ?? error}`);
    return;
  }
  const scfecho = join(bin, 'scfecho');
  const gobdump = join(bin, 'gobdump');

  /** The values gobdump's sample() holds, in stream order, with their schemas. */
  const sample: [GobType, Record<string, unknown>][] = [
    [
      invokeRequestType,
      {
        Payload: Buffer.from('{"key":"välue ✓ 🚀"}'),
        RequestId: 'req-1',
        TraceId: 'trace-1',
        Deadline: { Seconds: 1_700_000_000, Nanos: 123_456_789 },
        InvokedFunctionUnique: 'qcs::scf:ap-guangzhou:uin/100000000001:lam/default/hello/$LATEST',
        ClientContext: Buffer.from('{"custom":{"a":1}}'),
        Namespace: 'default',
        FunctionName: 'hello',
        FunctionVersion: '$LATEST',
        MemoryLimitInMb: 128,
        TimeLimitInMs: 3000,
        Environment: '{"A":"1"}',
        TencentcloudRegion: 'ap-guangzhou',
        TencentcloudAppID: '1250000000',
        TencentcloudUin: '100000000001',
        FunctionTrace: '',
      },
    ],
    [invokeRequestType, { RequestId: 'req-2', Deadline: { Seconds: -1, Nanos: 0 }, MemoryLimitInMb: -129 }],
    [
      invokeResponseType,
      {
        Payload: Buffer.from('null'),
        Error: {
          Message: 'kaboom',
          Type: 'string',
          StackTrace: [
            { Path: 'main/main.go', Line: 42, Label: 'handler' },
            { Path: '', Line: 0, Label: 'runtime.gopanic' },
          ],
          ShouldExit: true,
        },
      },
    ],
    [invokeResponseType, { Payload: Buffer.from('"ok"') }],
    [invokeResponseType, { Error: { Message: '', Type: '', StackTrace: [], ShouldExit: false } }],
    [pingRequestType, {}],
  ];

  t.test('decodes what encoding/gob writes', async (t) => {
    const { stdout } = await execFileAsync(gobdump, ['encode'], { encoding: 'buffer' });
    for (const step of [stdout.length, 7, 1]) {
      const values = decodeAll(stdout, sample.map(([type]) => type), step) as Record<string, unknown>[];
      values.forEach((value, i) => {
        const [type, expected] = sample[i]!;
        t.same(value, { ...zeroOf(type), ...expected }, `value ${i} in pieces of ${step}`);
      });
    }
  });

  t.test('encoding/gob decodes what we write', async (t) => {
    const encoder = new GobEncoder();
    const input = Buffer.concat(sample.map(([type, value]) => encoder.encode(type, value as never)));
    const child = execFileAsync(gobdump, ['decode'], { encoding: 'utf8' });
    child.child.stdin!.end(input);
    const { stdout } = await child;
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
    t.equal(lines.length, sample.length);
    lines.forEach((line, i) => {
      const [type, value] = sample[i]!;
      t.same(line, goJson(type, value), `value ${i}`);
    });
  });

  /** Starts scfecho on a free port and connects a client to it; both end with the test. */
  async function startFunction(t: Teardown): Promise<{ client: GoRpcClient; child: ChildProcess }> {
    const port = await freePort();
    const child = spawn(scfecho, [], {
      env: { _LAMBDA_SERVER_PORT: String(port), FUNCTION_NAME: 'scfecho' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    t.teardown(() => {
      child.kill('SIGKILL');
    });
    const client = new GoRpcClient();
    t.teardown(() => client.close());
    await client.connect(port, '127.0.0.1', { retryForMs: START_TIMEOUT_MS });
    await client.ping();
    return { client, child };
  }

  t.test('net/rpc against a scf-go-lib style server', async (t) => {
    const { client } = await startFunction(t);

    t.test('ping', async (t) => {
      await t.resolves(client.ping());
    });

    t.test('echo', async (t) => {
      const response = await client.invoke(event({ action: 'echo', n: 1 }));
      t.same(json(response), { action: 'echo', n: 1 });
      t.equal(response.Error, null);
    });

    t.test('unicode and a 1 MB payload', async (t) => {
      const data = 'ünïcödé ✓ 🚀 中文 '.repeat(40_000);
      const request = event({ action: 'echo', data });
      t.ok(request.Payload!.length > 1_000_000);
      const response = await client.invoke(request);
      t.equal(Buffer.compare(Buffer.from(response.Payload), Buffer.from(request.Payload!)), 0);
      t.equal(json(response).data, data);
    });

    t.test('an error returned by the handler', async (t) => {
      const response = await client.invoke(event({ action: 'error', message: 'bad thing' }));
      t.same(response.Error, { Message: 'bad thing', Type: 'errorString', StackTrace: [], ShouldExit: false });
      t.equal(response.Payload.length, 0);
    });

    t.test('a panic', async (t) => {
      const response = await client.invoke(event({ action: 'panic', message: 'kaboom' }));
      t.equal(response.Error?.Message, 'kaboom');
      t.equal(response.Error?.Type, 'string');
      t.equal(response.Error?.ShouldExit, true);
      const frames = response.Error?.StackTrace ?? [];
      t.ok(frames.length > 1, 'has stack frames');
      t.ok(
        frames.some((f) => f.Path === 'main.go' && f.Label === 'handler' && f.Line > 0),
        'the handler is on the stack',
      );
    });

    t.test('request fields, Environment and the deadline reach the handler', async (t) => {
      const deadline = deadlineIn(20_000);
      const response = await client.invoke(
        event(
          { action: 'env', key: 'GREETING' },
          {
            RequestId: 'req-env',
            Deadline: deadline,
            Environment: JSON.stringify({ GREETING: 'nǐ hǎo' }),
            Namespace: 'default',
            FunctionName: 'scfecho',
            FunctionVersion: '$LATEST',
            MemoryLimitInMb: 256,
            TimeLimitInMs: 20_000,
            TencentcloudRegion: 'ap-guangzhou',
            TencentcloudAppID: '1250000000',
            TencentcloudUin: '100000000001',
            InvokedFunctionUnique: 'qcs::scf:ap-guangzhou:uin/100000000001:lam/default/scfecho/$LATEST',
            ClientContext: Buffer.from('{"a":1}'),
          },
        ),
      );
      t.same(json(response), {
        value: 'nǐ hǎo',
        functionName: 'scfecho',
        namespace: 'default',
        version: '$LATEST',
        memory: 256,
        timeLimit: 20_000,
        requestId: 'req-env',
        region: 'ap-guangzhou',
        appId: '1250000000',
        uin: '100000000001',
        unique: 'qcs::scf:ap-guangzhou:uin/100000000001:lam/default/scfecho/$LATEST',
        clientContext: '{"a":1}',
        deadlineMs: deadline.Seconds * 1000 + deadline.Nanos / 1_000_000,
        startupName: 'scfecho',
      });
    });

    t.test('the handler context ends at the Deadline', async (t) => {
      const started = Date.now();
      const response = await client.invoke(event({ action: 'sleep', ms: 5000 }, { Deadline: deadlineIn(150) }));
      t.same(response.Error, {
        Message: 'context deadline exceeded',
        Type: 'deadlineExceededError',
        StackTrace: [],
        ShouldExit: false,
      });
      t.ok(Date.now() - started < 3000, 'did not sleep the full 5 s');
    });

    t.test('an unknown method is a REMOTE error and the connection stays usable', async (t) => {
      await t.rejects(client.call('Function.Nope', pingRequestType, {}, pingResponseType), {
        code: 'REMOTE',
        message: /can't find method Function.Nope/,
      });
      t.same(json(await client.invoke(event({ still: 'ok' }))), { still: 'ok' });
    });

    t.test('a call before connect fails', async (t) => {
      const other = new GoRpcClient();
      t.teardown(() => other.close());
      await t.rejects(other.invoke(event({})), { code: 'NOT_CONNECTED' });
    });

    t.test('many calls on one connection send each type definition once', async (t) => {
      for (let i = 0; i < 300; i++) {
        const response = await client.invoke(event({ action: 'echo', i }, { RequestId: `seq-${i}` }));
        if (json(response).i !== i) t.fail(`call ${i} got ${text(response.Payload)}`);
      }
      t.same(json(await client.invoke(event({ done: true }))), { done: true });
    });

    t.test('pipelined calls are matched to their replies', async (t) => {
      const started = Date.now();
      const order: number[] = [];
      const calls = Array.from({ length: 20 }, (_, i) =>
        client.invoke(event({ action: 'sleep', ms: (20 - i) * 15 }, { RequestId: `p-${i}` })).then((response) => {
          order.push(i);
          return json(response);
        }),
      );
      const results = await Promise.all(calls);
      results.forEach((result, i) => t.same(result, { slept: (20 - i) * 15, requestId: `p-${i}` }));
      t.equal(order[0], 19, 'the shortest sleep answered first: replies came out of order');
      t.ok(Date.now() - started < 2000, 'the calls ran at the same time (sequentially they take 3.1 s)');
      t.equal(client.inFlight, 0);
    });

    t.test('an abandoned call rejects and its late reply is dropped', async (t) => {
      const controller = new AbortController();
      const call = client.invoke(event({ action: 'sleep', ms: 100 }), { signal: controller.signal });
      controller.abort();
      await t.rejects(call, { code: 'ABORTED' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      t.same(json(await client.invoke(event({ after: 'abort' }))), { after: 'abort' });
    });
  });

  t.test('a function killed mid-call rejects the pending call', async (t) => {
    const { client, child } = await startFunction(t);
    const pending = client.invoke(event({ action: 'sleep', ms: 10_000 }));
    const second = client.invoke(event({ action: 'sleep', ms: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.equal(client.inFlight, 2);
    child.kill('SIGKILL');
    await t.rejects(pending, { code: 'CONNECTION_CLOSED' });
    await t.rejects(second, { code: 'CONNECTION_CLOSED' });
    t.equal((await client.closed).code, 'CONNECTION_CLOSED');
    await t.rejects(client.ping(), { code: 'CONNECTION_CLOSED' }, 'later calls fail at once');
  });

  t.test('a function that exits during a call rejects the call', async (t) => {
    const { client } = await startFunction(t);
    const error = await client.invoke(event({ action: 'exit' })).then(
      () => undefined,
      (e: GoRpcError) => e,
    );
    t.equal(error?.code, 'CONNECTION_CLOSED');
  });
});

/** The decoded form of a schema's zero value: what a decoder fills in for omitted fields. */
function zeroOf(type: GobType): Record<string, unknown> {
  const decoded = decodeAll(new GobEncoder().encode(type, {} as never), [type]);
  return decoded[0] as Record<string, unknown>;
}

/** How Go's encoding/json prints a decoded value: []byte as base64, nil pointers as null, zeros filled in. */
function goJson(type: GobType, value: unknown): unknown {
  switch (type.kind) {
    case 'bytes':
      // Go's json prints an empty []byte received from gob as null: gob leaves the field nil.
      if (value === undefined || (value as Uint8Array).length === 0) return null;
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'pointer':
      return value === undefined || value === null ? null : goJson(type.elem, value);
    case 'slice':
      return value === undefined || (value as unknown[]).length === 0
        ? null
        : (value as unknown[]).map((v) => goJson(type.elem, v));
    case 'struct': {
      const out: Record<string, unknown> = {};
      const record = (value ?? {}) as Record<string, unknown>;
      for (const [name, fieldType] of Object.entries(type.fields)) out[name] = goJson(fieldType, record[name]);
      return out;
    }
    case 'string':
      return value ?? '';
    case 'bool':
      return value ?? false;
    default:
      return value ?? 0;
  }
}
