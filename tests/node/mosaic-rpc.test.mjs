// The node's own JSON-RPC methods (`mosaic_` namespace) on a fresh `--dev` chain, through
// @polkadot/api's WsProvider: a blob read back from the off-chain database in pieces, the
// node's worker status, a preview run of a registered model with onnxruntime's output, and
// every error with its code. A second node with `--rpc-methods safe` refuses the preview and
// the worker status (which tells which node hosts which worker) but serves blobs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { hexToU8a, u8aToHex, stringToHex, stringToU8a, u8aConcat } from '@polkadot/util';
import { randomBytes } from 'node:crypto';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { startNode, processUsage } from '../lib/node.mjs';
import { FIXTURES, fixture, storeAndRegister, quantize } from '../lib/jobs.mjs';

const PRECISION = 4;
let node;
let provider;
let alice;

before(async () => {
  await cryptoWaitReady();
  alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  // A 16 MiB blob goes into the off-chain database as 32 MiB of hex in one request.
  node = await startNode('mosaic-rpc', ['--dev', '--rpc-max-request-size', '64']);
  provider = new WsProvider(`ws://127.0.0.1:${node.rpcPort}`);
  await provider.isReady;
});

after(async () => {
  await provider?.disconnect();
  await node?.stop();
});

const call = (method, params = []) => provider.send(method, params);
const rejectsWith = (promise, code) => assert.rejects(promise, (e) => e.message.startsWith(`${code}:`), `expected error ${code}`);

test('mosaic_workerStatus reports Alice\'s worker key and the executor', async () => {
  const status = await call('mosaic_workerStatus');
  assert.equal(status.executor, true);
  assert.equal(status.pendingRuns, 0);
  const mine = status.keys.find((k) => k.key === alice.address);
  assert.ok(mine, `keys: ${JSON.stringify(status.keys)}`);
  assert.equal(mine.worker, alice.address);
  assert.equal(mine.status, 'Active');
  assert.equal(BigInt(mine.stake), 1000n * 10n ** 12n);
  assert.equal(mine.capacity, 8);
});

test('mosaic_blob returns a stored blob, whole or in pieces, and clear errors', async () => {
  const { api } = node;
  const cnn = fixture('cnn');
  const model = await storeAndRegister(api, alice, 'cnn-rpc', cnn, { precision: PRECISION });
  assert.equal(model, 0);
  const whole = await call('mosaic_blob', [cnn.hash]);
  assert.equal(whole.size, cnn.model.length);
  assert.equal(whole.offset, 0);
  assert.equal(whole.data, u8aToHex(cnn.model));
  const piece = await call('mosaic_blob', [cnn.hash, 100, 50]);
  assert.deepEqual(hexToU8a(piece.data), new Uint8Array(cnn.model.subarray(100, 150)));
  const tail = await call('mosaic_blob', [cnn.hash, cnn.model.length - 3, 1000]);
  assert.equal(hexToU8a(tail.data).length, 3);

  await rejectsWith(call('mosaic_blob', [u8aToHex(new Uint8Array(32).fill(7))]), 4001);
  await rejectsWith(call('mosaic_blob', [cnn.hash, cnn.model.length + 1]), 4002);
  await rejectsWith(call('mosaic_blob', [cnn.hash, 0, 64 << 20]), 4002);
});

test('sixty-four concurrent mosaic_blob calls for a 16 MiB blob read and hash it once, and every piece is right', async () => {
  const size = 16 << 20;
  const blob = new Uint8Array(randomBytes(size));
  const hash = u8aToHex(blake2AsU8a(blob, 256));
  const key = u8aToHex(u8aConcat(stringToU8a('mosaic/blob/'), hexToU8a(hash)));
  await call('offchain_localStorageSet', ['PERSISTENT', key, u8aToHex(blob)]);

  const before = processUsage(node.pid);
  const piece = size / 64;
  const pieces = await Promise.all(Array.from({ length: 64 }, (_, i) => call('mosaic_blob', [hash, i * piece, piece])));
  const after = processUsage(node.pid);

  for (const [i, answer] of pieces.entries()) {
    assert.equal(answer.size, size);
    assert.equal(answer.offset, i * piece);
  }
  const joined = u8aConcat(...pieces.map((answer) => hexToU8a(answer.data)));
  assert.equal(u8aToHex(blake2AsU8a(joined, 256)), hash, 'the pieces make up the blob');
  const cpu = after.cpu - before.cpu;
  const grown = (after.peak - before.peak) / (1 << 20);
  console.log(`64 pieces of a 16 MiB blob: ${cpu.toFixed(2)} s of the node's CPU, peak memory +${grown.toFixed(0)} MiB`);
  // One read and hash of the blob, and 16 MiB of pieces turned into hex: well under a second
  // and a few copies of the blob. Reading and hashing the whole blob per call is 64 times that.
  assert.ok(cpu < 1.0, `the node spent ${cpu} s of CPU`);
  assert.ok(grown < 160, `the node's peak memory grew by ${grown} MiB`);
});

test('mosaic_previewRun runs a registered model with the workers\' executor', async () => {
  const cnn = fixture('cnn');
  const input = readFileSync(join(FIXTURES, 'models', 'cnn', 'input.json'), 'utf8');
  const preview = await call('mosaic_previewRun', [0, 1, { format: 'Json', data: stringToHex(input) }]);
  assert.equal(preview.outputs.length, 1);
  const [logits] = preview.outputs;
  assert.equal(logits.name, 'logits');
  assert.deepEqual(logits.shape, [1, 10]);
  assert.equal(logits.precision, PRECISION);
  const expected = cnn.output[0].data.map((x) => quantize(x, PRECISION));
  logits.values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1, `logit ${i}: ${v} vs ${expected[i]}`));
  assert.match(preview.digest, /^0x[0-9a-f]{64}$/);
  console.log(`MEASURE preview cnn: ${preview.millis} ms from request to result`);

  await rejectsWith(call('mosaic_previewRun', [0, 9, { format: 'Json', data: stringToHex(input) }]), 4010);
  await rejectsWith(call('mosaic_previewRun', [42, 1, { format: 'Json', data: stringToHex(input) }]), 4010);
  await rejectsWith(call('mosaic_previewRun', [0, 1, { format: 'Csv', data: '0x00' }]), 4012);
  await rejectsWith(call('mosaic_previewRun', [0, 1, { format: 'Json', data: u8aToHex(new Uint8Array((1 << 20) + 1)) }]), 4012);
  // The executor's own verdict on a bad input comes back with its code.
  await assert.rejects(call('mosaic_previewRun', [0, 1, { format: 'Json', data: stringToHex('{"inputs":[]}') }]),
    (e) => e.message.startsWith('4016:'));
});

test('one connection may start eight previews a minute; another connection has its own budget', async () => {
  const input = stringToHex(readFileSync(join(FIXTURES, 'models/cnn/input.json'), 'utf8'));
  const connect = async () => {
    const p = new WsProvider(`ws://127.0.0.1:${node.rpcPort}`);
    await p.isReady;
    return p;
  };
  const [first, second] = [await connect(), await connect()];
  try {
    const preview = (p) => p.send('mosaic_previewRun', [0, 1, { format: 'Json', data: input }]);
    const { digest } = await preview(first);
    for (let i = 1; i < 8; i++) assert.equal((await preview(first)).digest, digest);
    await assert.rejects(preview(first), (e) => e.message.startsWith('4014:') && e.message.includes('previews in the last 60 s'));
    assert.equal((await preview(second)).digest, digest);
  } finally {
    await first.disconnect();
    await second.disconnect();
  }
});

test('a node serving only safe RPC methods refuses previews and worker status but serves blobs', async () => {
  const safe = await startNode('mosaic-rpc-safe', ['--dev', '--rpc-methods', 'safe']);
  const p = new WsProvider(`ws://127.0.0.1:${safe.rpcPort}`);
  try {
    await p.isReady;
    await assert.rejects(p.send('mosaic_previewRun', [0, 1, { format: 'Json', data: '0x' }]), /unsafe/);
    await assert.rejects(p.send('mosaic_workerStatus', []), /unsafe/);
    await assert.rejects(p.send('mosaic_blob', [u8aToHex(new Uint8Array(32))]), (e) => e.message.startsWith('4001:'));
  } finally {
    await p.disconnect();
    await safe.stop();
  }
});
