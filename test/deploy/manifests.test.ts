// No container engine runs here: the deploy artefacts are checked by validating them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../gateway/config.ts';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const read = (path: string): string => readFileSync(fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url)), 'utf8');

t.test('the Kubernetes manifests parse and wire the gateway together', async (t) => {
  const documents = parseAllDocuments(read('kubernetes/fngate.yaml')).map((doc) => {
    t.same(doc.errors, [], 'valid YAML');
    return doc.toJS() as any;
  });
  const byKind = Object.fromEntries(documents.map((doc) => [doc.kind, doc]));
  t.same(Object.keys(byKind).sort(), ['ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Service']);
  for (const doc of documents) t.ok(doc.apiVersion && doc.metadata?.name, `${doc.kind} has apiVersion and name`);
  const deployment = byKind.Deployment;
  const container = deployment.spec.template.spec.containers[0];
  t.same(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels, 'selector matches the pod labels');
  t.same(byKind.Service.spec.selector, deployment.spec.template.metadata.labels, 'service selects the pods');
  t.equal(container.ports[0].containerPort, 9000);
  t.equal(container.readinessProbe.httpGet.path, '/healthz');
  const volumes = new Set(deployment.spec.template.spec.volumes.map((volume: any) => volume.name));
  for (const mount of container.volumeMounts) t.ok(volumes.has(mount.name), `volume ${mount.name} is declared`);
  t.equal(deployment.spec.replicas, 1, 'one writer per SQLite volume');
  const host = container.args.indexOf('--host');
  t.equal(container.args[host + 1], '0.0.0.0', 'serve is asked to listen beyond loopback (its default)');
  const credentialEnv = Object.fromEntries(container.env.map((entry: any) => [entry.name, entry.valueFrom.secretKeyRef]));
  for (const name of ['FNGATE_API_TOKEN', 'FNGATE_SECRET_ID', 'FNGATE_SECRET_KEY']) {
    t.match(credentialEnv[name], { name: 'fngate-credentials', optional: true }, `${name} from an optional Secret (else generated into /data)`);
  }

  // The ConfigMap's project must load as a real fngate project.
  const root = mkdtempSync(join(tmpdir(), 'fngate-k8s-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'hello'));
  writeFileSync(join(root, 'fngate.yml'), byKind.ConfigMap.data['fngate.yml']);
  writeFileSync(join(root, 'hello/index.js'), byKind.ConfigMap.data['index.js']);
  t.equal(loadConfig(root).functions[0]!.name, 'hello');
});

t.test('the Dockerfile copies every source folder and starts the gateway on 9000', async (t) => {
  const dockerfile = read('Dockerfile');
  for (const folder of ['bin', 'gateway', 'runtimes', 'store']) t.match(dockerfile, new RegExp(`^COPY ${folder} `, 'm'));
  t.match(dockerfile, /^FROM node:20/m);
  t.match(dockerfile, /^EXPOSE 9000$/m);
  t.match(dockerfile, /--no-node-snapshot/);
  t.match(dockerfile, /php-cli golang-go openjdk-17/);
  t.match(dockerfile, /^CMD \[.*"--host", "0\.0\.0\.0".*"--data-dir", "\/data"\]$/m, 'serve listens beyond loopback (its default) in the image');
  // The image runs the build (dist/ and the bundled CLI), not the sources through tsx.
  const stages = dockerfile.split(/^FROM /m);
  const build = stages.find((stage) => /^\S+ AS build$/m.test(stage));
  t.ok(build, 'a build stage');
  const install = /^RUN (npm ci[^&\n]*)/m.exec(build!)?.[1] ?? '';
  t.ok(install !== '' && !install.includes('--omit=dev'), 'npm ci with the dev dependencies: its prepare step (bin/build.mjs) needs TypeScript');
  for (const file of ['tsconfig.json', 'tsconfig.build.json']) t.match(build!, new RegExp(`^COPY .*${file.replace('.', '\\.')}`, 'm'), `${file} reaches the build`);
  const final = stages.at(-1)!;
  const lastCopy = [...final.matchAll(/^COPY .*$/gm)].at(-1)?.[0];
  t.equal(lastCopy, 'COPY --from=build /opt/fngate/dist ./dist', 'dist/ copied after the sources: its BUILD_STAMP is the newest file');
});
