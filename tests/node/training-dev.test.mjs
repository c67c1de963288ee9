// A training job on a fresh `--dev` chain, through @polkadot/api: the logistic-regression
// training-step graph is registered, the breast-cancer training set and the initial
// parameters are stored as blobs, Bob pays for a training job, Alice's node trains in its
// off-chain worker, the job settles with the loss curve in its result and the trained
// parameters stored as Bob's blob; read back from the node, those parameters classify the
// held-out set far better than the initial ones (checked with the forward model through
// mosaic_previewRun).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { WsProvider } from '@polkadot/api';
import { cryptoWaitReady, blake2AsU8a } from '@polkadot/util-crypto';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { startNode } from '../lib/node.mjs';
import { send } from '../../client/lib/tx.mjs';
import { leastFeePerWorker } from '../../client/lib/jobs.mjs';
import { waitForJobEnd } from '../lib/jobs.mjs';
import {
  TRAINING, PRECISION, LOGREG, file, decodeTensors, storeBlob, registerModel, accuracy as heldOutAccuracy,
} from '../lib/training.mjs';

const MOSAIC = fileURLToPath(new URL('../../scripts/mosaic', import.meta.url));
let node;
let provider;
let alice;
let bob;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  node = await startNode('training-dev', ['--dev']);
  provider = new WsProvider(`ws://127.0.0.1:${node.rpcPort}`);
  await provider.isReady;
});

after(async () => {
  await provider?.disconnect();
  await node?.stop();
});

const register = (api, name, blob, [inputs, outputs]) => registerModel(api, alice, name, blob, inputs, outputs);
const accuracy = (api, forward, params, test) => heldOutAccuracy(provider, api, forward, params, test);

/** Runs the command-line client; resolves with its stdout, or rejects with its output. */
function mosaic(...args) {
  return new Promise((resolve, reject) => {
    execFile(MOSAIC, ['--url', `ws://127.0.0.1:${node.rpcPort}`, ...args], { timeout: 300_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`mosaic ${args.join(' ')}:\n${stdout}\n${stderr}`)) : resolve(stdout)));
  });
}

test('a training job trains in the off-chain worker and stores parameters that generalise', async () => {
  const { api } = node;
  const stepBlob = await storeBlob(api, alice, file('logreg_step.onnx'));
  const forwardBlob = await storeBlob(api, alice, file('logreg_forward.onnx'));
  const step = await register(api, 'logreg-step', stepBlob, LOGREG.step);
  const forward = await register(api, 'logreg', forwardBlob, LOGREG.forward);
  const dataset = await storeBlob(api, bob, file('train.scale'));
  const initial = await storeBlob(api, bob, file('logreg_init.scale'));

  const epochs = 5;
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const id = (await api.query.jobs.nextJobId()).toNumber();
  // A training job's result is parameters, which may fill a reveal: it pays for that.
  const fee = leastFeePerWorker(api, [], { training: true });
  const { events } = await send(api.tx.jobs.submitJob(
    step, 1, { Training: { parameters: initial, epochs, batchSize: 32 } },
    { Blob: { hash: dataset, format: 'Scale' } }, 1, fee, head + 60), bob);
  const submitted = events.find(({ event }) => api.events.jobs.JobSubmitted.is(event)).event.data;
  assert.equal(submitted.job.toNumber(), id);
  const deposit = api.consts.blobs.depositBase.toBigInt()
    + api.consts.blobs.depositPerByte.toBigInt() * BigInt(file('logreg_init.scale').length);
  assert.equal(submitted.held.toBigInt(), fee + api.consts.jobs.protocolFee.toBigInt() + deposit,
    'the escrow covers the fee, the protocol fee and the result blob\'s deposit');

  const ended = await waitForJobEnd(api, id, 120_000);
  assert.ok(ended.job.status.isSettled, `status ${ended.job.status.type}`);
  const result = ended.job.result.unwrap();
  const outputs = result.outcome.asOutputs;
  const curve = outputs.find((o) => o.name.toUtf8() === 'loss_curve').elements.map((v) => v.toNumber());
  assert.equal(curve.length, epochs);
  assert.ok(curve.every((l, i) => i === 0 || l < curve[i - 1]), `the loss falls every epoch: ${curve}`);
  console.log(`MEASURE training loss curve (x1e-${PRECISION}): ${curve.join(' ')}`);
  // The run reports the rows it trained on: what a round weighs a public shard by.
  const rows = outputs.find((o) => o.name.toUtf8() === 'dataset_rows').elements.map((v) => v.toNumber());
  assert.deepEqual(rows, [decodeTensors(api, file('train.scale')).x.shape[0]]);

  // The agreed parameters are a blob of Bob's, in every node's off-chain database.
  assert.ok(result.parameters.isSome, 'trained parameters stored');
  const blob = result.parameters.unwrap().toHex();
  const info = (await api.query.blobs.blobs(blob)).unwrap();
  assert.equal(info.owner.toString(), bob.address);
  assert.ok(info.status.isSealed);
  const piece = await provider.send('mosaic_blob', [blob]);
  const bytes = hexToU8a(piece.data);
  assert.equal(u8aToHex(blake2AsU8a(bytes, 256)), blob, 'the bytes hash to the blob');
  const trained = decodeTensors(api, bytes);
  assert.deepEqual(Object.keys(trained), ['w', 'b']);
  const w = outputs.find((o) => o.name.toUtf8() === 'w').elements.map((v) => v.toNumber());
  trained.w.values.forEach((v, i) => assert.ok(Math.abs(v - w[i] / 10 ** PRECISION) < 1e-6, 'blob = revealed w'));

  // Nothing of Bob's stays in escrow.
  const escrow = (await api.query.balances.holds(bob.address))
    .filter((h) => h.id.isJobs && h.id.asJobs.isJobEscrow);
  assert.equal(escrow.length, 0, 'no escrow hold left');

  const test = decodeTensors(api, file('test.scale'));
  const init = decodeTensors(api, file('logreg_init.scale'));
  const before = await accuracy(api, forward, init, test);
  const after = await accuracy(api, forward, trained, test);
  console.log(`MEASURE held-out accuracy: ${before.toFixed(3)} initial, ${after.toFixed(3)} trained on-chain`);
  assert.ok(after > 0.9 && after > before + 0.3, `accuracy ${before} -> ${after}`);
});

test('the command-line client trains the MLP, whose trained parameters generalise', async () => {
  const { api } = node;
  const upload = async (name) => (await mosaic('model', 'upload', TRAINING + name)).trim().split('\n').pop();
  const params = 'w1:f32:30x16,b1:f32:16,w2:f32:16,b2:f32:1';
  const next = 'w1_next:f32:30x16,b1_next:f32:16,w2_next:f32:16,b2_next:f32:1';
  await mosaic('model', 'register', 'mlp-step', await upload('mlp_step.onnx'), '--inputs', `${params},x:f32:Nx30,y:f32:N`,
    '--outputs', `${next},loss:f32:`, '--precision', String(PRECISION), '--tolerance', '2');
  const forward = (await api.query.models.nextModelId()).toNumber();
  await mosaic('model', 'register', 'mlp', await upload('mlp_forward.onnx'), '--inputs', `${params},x:f32:Nx30`,
    '--outputs', 'prob:f32:N', '--precision', String(PRECISION));

  const out = await mosaic('--seed', '//Bob', 'job', 'train', 'mlp-step', '1', TRAINING + 'train.scale',
    '--params', TRAINING + 'mlp_init.scale', '--epochs', '5', '--batch', '32', '--watch');
  const blob = out.match(/trained parameters: blob (0x[0-9a-f]{64})/)?.[1];
  assert.ok(blob, `no trained parameters in:\n${out}`);
  const curve = out.split('\n').find((l) => l.trim().startsWith('loss_curve ['));
  assert.ok(curve, out);
  const losses = curve.split(':')[1].trim().split(' ').map(Number);
  assert.ok(losses.every((l, i) => i === 0 || l < losses[i - 1]), `the loss falls: ${losses}`);

  const trained = decodeTensors(api, hexToU8a((await provider.send('mosaic_blob', [blob])).data));
  const test = decodeTensors(api, file('test.scale'));
  const before = await accuracy(api, forward, decodeTensors(api, file('mlp_init.scale')), test);
  const after = await accuracy(api, forward, trained, test);
  console.log(`MEASURE MLP held-out accuracy: ${before.toFixed(3)} initial, ${after.toFixed(3)} trained on-chain`);
  assert.ok(after > 0.9 && after > before + 0.2, `accuracy ${before} -> ${after}`);
});
