// Real-size models (issue 22): a 117 MB MLP, far beyond the 16 MiB an upload takes, is
// registered by URI on a local HTTP server (blob and model in one batch) and run by three
// validator-workers as a k = 3 job on a sealed input; it settles with onnxruntime's output.
// Then the server stops, and a fourth node started with warp sync on a fresh base path (so it
// never executed the blocks that indexed the input) registers as a worker and runs a job on
// that model and input with the three others: every byte it has came from its peers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, blake2AsU8a } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { startNode, waitFor, closeServer } from '../lib/node.mjs';
import { validatorSpec } from '../lib/spec.mjs';
import { FIXTURES, waitForJobEnd, jobEvents, quantize } from '../lib/jobs.mjs';
import { storeBlob } from '../../client/lib/blobs.mjs';
import { modelSpec, registerModelByUri } from '../../client/lib/models.mjs';
import { tensorSchema } from '../../client/lib/tensors.mjs';
import { submitJob, registerWorker } from '../../client/lib/jobs.mjs';

const PRECISION = 4;
const FEE = 1_000_000_000n;
const DIR = join(FIXTURES, 'large/big_mlp');
const nodes = {};
let keys;
let spec;
let server;
let model;
let input;
const bootnodes = [];

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  keys = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie']
    .map((n) => [n, keyring.addFromUri(`//${n}`)]));
  spec = validatorSpec(['Alice', 'Bob', 'Charlie'], 'mosaic_big_models');
  for (const name of ['Alice', 'Bob', 'Charlie']) {
    const node = await startNode(name.toLowerCase(), ['--chain', spec.path, `--${name.toLowerCase()}`,
      '--validator', '--node-key', randomBytes(32).toString('hex'), ...bootnodes]);
    nodes[name] = node;
    const peerId = (await node.api.rpc.system.localPeerId()).toString();
    bootnodes.push('--bootnodes', `/ip4/127.0.0.1/tcp/${node.p2pPort}/p2p/${peerId}`);
  }
});

after(async () => {
  await Promise.all(Object.values(nodes).map((n) => n.stop()));
  if (server?.listening) await closeServer(server);
  if (spec) rmSync(spec.dir, { recursive: true, force: true });
});

/** What each node's fetch service logged of blob `hash`: `{ from, seconds }` per download. */
function fetchesOf(node, hash) {
  const prefix = hash.slice(0, 10); // 0x and the first 4 bytes, as the service logs them
  return readFileSync(node.logFile, 'utf8').split('\n')
    .map((line) => new RegExp(`blob ${prefix}: (\\d+) bytes fetched from (.+) after ([\\d.]+) s`).exec(line))
    .filter(Boolean)
    .map(([, bytes, from, seconds]) => ({ bytes: Number(bytes), from, seconds: Number(seconds) }));
}

/** Asserts that job `ended` settled on every one of `workers` with onnxruntime's logits. */
async function assertSettledBy(api, ended, workers) {
  assert.ok(ended.job.status.isSettled, `status ${ended.job.status.type}`);
  const result = ended.job.result.unwrap();
  assert.equal(result.agreeing.toNumber(), workers.length);
  const expected = JSON.parse(readFileSync(join(DIR, 'output.json'), 'utf8')).outputs[0].data
    .map((x) => quantize(x, PRECISION));
  const got = result.outcome.asOutputs[0].elements.map((v) => v.toNumber());
  assert.equal(got.length, expected.length);
  // tract and onnxruntime sum the 3072-long dot products in different orders.
  got.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) <= 2, `logit ${i}: ${value} vs ${expected[i]}`));
  const events = await jobEvents(api, await api.rpc.chain.getBlockHash(ended.block));
  const paid = events.filter((e) => api.events.jobs.WorkerPaid.is(e)).map((e) => e.data.worker.toString());
  assert.deepEqual(paid.sort(), workers.map((w) => keys[w].address).sort());
}

test('a 117 MB model registered by URI runs as a k = 3 job and settles with onnxruntime\'s output', async () => {
  const { api } = nodes.Alice;
  await waitFor(async () => (await api.rpc.system.health()).peers.toNumber() >= 2, 60_000, 'two peers');
  const bytes = readFileSync(join(DIR, 'model.onnx'));
  assert.ok(bytes.length > 100_000_000, `${bytes.length} bytes`);
  assert.ok(bytes.length > api.consts.blobs.maxBlobSize.toNumber(), 'too large to upload');
  const hash = u8aToHex(blake2AsU8a(bytes, 256));
  const asked = [];
  server = createServer((req, res) => {
    asked.push(req.url);
    if (req.url !== '/big_mlp.onnx') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  const f32 = (name, shape) => tensorSchema(name, 'f32', shape);
  model = await registerModelByUri(api, keys.Ferdie, {
    hash, size: bytes.length, uri: `http://127.0.0.1:${server.address().port}/big_mlp.onnx`,
    name: 'big-mlp', license: 'Apache-2.0',
    spec: modelSpec({ blob: hash, inputs: [f32('x', [1, 256])], outputs: [f32('logits', [1, 16])], precision: PRECISION }),
  });
  const blob = (await api.query.blobs.blobs(hash)).unwrap();
  assert.ok(blob.status.isRemote);
  assert.equal(blob.refs.toNumber(), 1, 'the version references the remote blob');
  ({ hash: input } = await storeBlob(api, keys.Ferdie, readFileSync(join(DIR, 'input_0.npy'))));

  const submitted = await submitJob(api, keys.Eve, {
    model, version: 1, input: { Blob: { hash: input, format: 'Npy' } }, replication: 3, fee: FEE, deadlineBlocks: 100,
  });
  const block = (await api.rpc.chain.getHeader(submitted.blockHash)).number.toNumber();
  const started = Date.now();
  const ended = await waitForJobEnd(api, submitted.id, 300_000);
  console.log(`MEASURE 117 MB model, three nodes k=3: settled ${ended.block - block} blocks, `
    + `${((ended.at - started) / 1000).toFixed(1)} s after the submission's block`);
  for (const [name, node] of Object.entries(nodes)) {
    for (const { from, seconds } of fetchesOf(node, hash)) {
      console.log(`MEASURE ${name} fetched the model from ${from} in ${seconds} s `
        + `(${(bytes.length / 2 ** 20 / seconds).toFixed(0)} MiB/s)`);
    }
  }
  await assertSettledBy(api, ended, ['Alice', 'Bob', 'Charlie']);
  assert.ok(asked.length >= 1 && asked.length <= 3, `the server was asked ${asked.length} times`);
});

test('a fourth node, warp-synced after the server stopped, runs the model from its peers\' bytes', async () => {
  assert.ok(model !== undefined, 'the first test registered the model');
  const { api } = nodes.Alice;
  await closeServer(server);

  nodes.Dave = await startNode('dave', ['--chain', spec.path, '--dave', '--sync', 'warp',
    '--node-key', randomBytes(32).toString('hex'), ...bootnodes]);
  const dave = nodes.Dave.api;
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitFor(async () => {
    const health = await dave.rpc.system.health();
    const best = (await dave.rpc.chain.getHeader()).number.toNumber();
    return !health.isSyncing.isTrue && best >= head;
  }, 180_000, 'Dave synced');
  assert.match(readFileSync(nodes.Dave.logFile, 'utf8'), /Warp sync is complete/, 'Dave warp-synced');

  const stake = api.consts.jobs.minStake.toBigInt();
  await registerWorker(api, keys.Dave, { keyPair: keys.Dave, stake, capacity: 2 });
  await waitFor(async () => (await dave.query.jobs.workers(keys.Dave.address)).isSome, 60_000,
    'Dave\'s node sees Dave registered');

  const submitted = await submitJob(api, keys.Eve, {
    model, version: 1, input: { Blob: { hash: input, format: 'Npy' } }, replication: 4, fee: FEE, deadlineBlocks: 100,
  });
  const ended = await waitForJobEnd(api, submitted.id, 300_000);
  const modelHash = (await api.query.models.versions(model, 1)).unwrap().spec.blob.toHex();
  const fetched = [modelHash, input].map((hash) => fetchesOf(nodes.Dave, hash));
  for (const [what, list] of [['model', fetched[0]], ['input', fetched[1]]]) {
    for (const { from, seconds, bytes } of list) {
      console.log(`MEASURE Dave (warp-synced) fetched the ${what} (${bytes} bytes) from ${from} in ${seconds} s`);
    }
  }
  assert.deepEqual(fetched.map((list) => list.map(({ from }) => from)), [['a peer'], ['a peer']],
    'the model and the sealed input came from peers');
  await assertSettledBy(api, ended, ['Alice', 'Bob', 'Charlie', 'Dave']);
});
