// The isolate's `crypto` through the real gateway, against real Node: the same handler (fixtures/node/crypto)
// runs in a function and on the host, deterministic results must be equal, random ones must round-trip;
// jsonwebtoken (the npm package, vendored as SCF users do) signs and verifies HS256, RS256, ES256, PS256.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { vendorPackages } from '../helpers/packages.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/node/crypto', import.meta.url));
const require = createRequire(import.meta.url);
const onHost = require(join(FIXTURE, 'index.js')) as Record<string, (event?: unknown) => Promise<Record<string, unknown>>>;
interface Jwt {
  sign(claims: object, key: string, options: { algorithm: string }): string;
  verify(token: string, key: string): unknown;
}
const jwt = require('jsonwebtoken') as Jwt;

const codeDir = mkdtempSync(join(tmpdir(), 'fngate-crypto-'));
t.teardown(() => rmSync(codeDir, { recursive: true, force: true }));
cpSync(FIXTURE, codeDir, { recursive: true });
vendorPackages(codeDir, ['jsonwebtoken']);

const gateway = await startTestGateway(t, {
  functions: { crypto: { src: codeDir, runtime: 'Nodejs18.15', memorySize: 256, timeout: 30 } },
});

/** JSON-normalised, as both sides' answers travel. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

t.test('hashes, HMACs, ciphers, key derivation, subtle: equal to real Node', async (t) => {
  const response = await gateway.invoke('crypto', { run: 'deterministic' });
  t.equal(response.status, 200, response.text);
  const expected = plain(await onHost.deterministic!()) as Record<string, unknown>;
  t.ok(Object.keys(expected).length > 30);
  for (const [key, value] of Object.entries(expected)) t.same(response.json[key], value, key);
  t.match(response.json.gcmTampered, { message: 'Unsupported state or unable to authenticate data' }, 'a bad GCM tag fails as in Node');
});

t.test('generated keys, signatures (RS256, ES256, PS256), PEM/JWK, RSA encryption: round trips as in Node', async (t) => {
  const response = await gateway.invoke('crypto', { run: 'roundTrips' });
  t.equal(response.status, 200, response.text);
  const expected = plain(await onHost.roundTrips!()) as Record<string, unknown>;
  for (const [key, value] of Object.entries(expected)) t.same(response.json[key], value, key);
  t.same(response.json.rs256, true);
  t.same(response.json.rs256Wrong, false);
});

t.test('jsonwebtoken signs and verifies HS256, RS256, ES256, PS256 like real Node', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const claims = { sub: 'user-1', role: 'admin', iat: 1700000000 };
  const event = {
    run: 'jwt',
    privateKey: rsa.privateKey,
    publicKey: rsa.publicKey,
    ecPrivateKey: ec.privateKey,
    ecPublicKey: ec.publicKey,
    hsToken: jwt.sign(claims, 'shared-secret', { algorithm: 'HS256' }),
    rsToken: jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256' }),
    esToken: jwt.sign(claims, ec.privateKey, { algorithm: 'ES256' }),
    psToken: jwt.sign(claims, rsa.privateKey, { algorithm: 'PS256' }),
  };
  const response = await gateway.invoke('crypto', event);
  t.equal(response.status, 200, response.text);
  const expected = plain(await onHost.jwt!(event)) as Record<string, unknown>;
  t.equal(response.json.hs, expected.hs, 'HS256 token equals real Node\'s');
  t.equal(response.json.rs, expected.rs, 'RS256 token (deterministic PKCS#1 v1.5) equals real Node\'s');
  for (const key of ['hsVerified', 'rsVerified', 'esVerified', 'psVerified', 'ownEs', 'ownPs', 'bad']) t.same(response.json[key], expected[key], key);
  t.same(response.json.rsVerified, claims);
  t.match(response.json.bad, { name: 'JsonWebTokenError', message: 'invalid signature' });
  t.same(jwt.verify(response.json.rs, rsa.publicKey), claims, 'the isolate\'s RS256 token verifies on the host');
});
