// A job on a fresh `--dev` chain: Alice (the dev preset's only worker, her worker key put in
// the node's keystore by `--dev`) runs a real ONNX CNN in her node's off-chain worker, commits,
// reveals, and the job settles with onnxruntime's output. Bob is the requester (a worker is
// never assigned its own requester's job).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { readFileSync } from 'node:fs';
import { startNode } from '../lib/node.mjs';
import { send } from '../../client/lib/tx.mjs';
import { fixture, storeAndRegister, submitJob, waitForJobEnd, jobEvents, quantize } from '../lib/jobs.mjs';

const PRECISION = 4;
let node;
let alice;
let bob;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  node = await startNode('jobs-dev', ['--dev']);
});

after(async () => {
  await node?.stop();
});

test('Alice is a worker out of the box, with her worker key in the node keystore', async () => {
  const { api } = node;
  const worker = (await api.query.jobs.workers(alice.address)).unwrap();
  assert.ok(worker.status.isActive);
  assert.equal(worker.key.toString(), alice.address);
  const viaApi = await api.call.jobsApi.worker(alice.address);
  assert.ok(viaApi.isSome && viaApi.unwrap().stake.eq(worker.stake));
  const hasKey = await api.rpc.author.hasKey(u8aToHex(alice.publicKey), 'mwrk');
  assert.ok(hasKey.isTrue, 'the mwrk key is in the keystore');
  assert.equal((await api.query.jobs.minReplication()).toNumber(), 1);
});

test('an inference job settles with the onnxruntime output within a few blocks', async () => {
  const { api } = node;
  const cnn = fixture('cnn');
  const model = await storeAndRegister(api, alice, 'cnn', cnn, { precision: PRECISION });
  const fee = 1_000_000_000n; // 1 milli-MSC per worker
  const bobBefore = (await api.query.system.account(bob.address)).data;

  const submitted = await submitJob(api, bob, model, cnn.input, 1, fee, 60);
  const ended = await waitForJobEnd(api, submitted.id, 120_000);
  const blocks = ended.block - submitted.block;
  const seconds = (ended.at - submitted.at) / 1000;
  console.log(`MEASURE dev k=1: settled ${blocks} blocks, ${seconds.toFixed(1)} s after the submission's block`);
  assert.ok(ended.job.status.isSettled, `status ${ended.job.status.type}`);
  assert.ok(blocks <= 6, `settled within ${blocks} blocks`);

  const result = ended.job.result.unwrap();
  assert.equal(result.agreeing.toNumber(), 1);
  assert.ok(result.outcome.isOutputs, `outcome ${result.outcome.type}`);
  const [logits] = result.outcome.asOutputs;
  assert.equal(logits.name.toUtf8(), 'logits');
  assert.deepEqual(logits.shape.map((d) => d.toNumber()), [1, 10]);
  const expected = cnn.output[0].data.map((x) => quantize(x, PRECISION));
  const got = logits.elements.map((v) => v.toNumber());
  got.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) <= 1,
    `logit ${i}: chain ${value}, onnxruntime ${expected[i]} (x 10^-${PRECISION})`));

  // Escrow: Bob paid the fee and the protocol fee, nothing stays held.
  const bobAfter = (await api.query.system.account(bob.address)).data;
  assert.equal(bobAfter.reserved.toBigInt(), bobBefore.reserved.toBigInt(), 'no hold left');
  const held = ended.job.held.toBigInt();
  assert.equal(held, fee + api.consts.jobs.protocolFee.toBigInt());

  // The block that settled it pays Alice as worker and as model owner.
  const hash = await api.rpc.chain.getBlockHash(ended.block);
  const events = await jobEvents(api, hash);
  const paid = events.find((e) => api.events.jobs.WorkerPaid.is(e));
  const royalty = events.find((e) => api.events.jobs.RoyaltyPaid.is(e));
  assert.ok(paid && royalty, `events: ${events.map((e) => e.method).join(', ')}`);
  assert.equal(paid.data.worker.toString(), alice.address);
  assert.equal(royalty.data.amount.toBigInt(), fee / 10n);
  assert.equal(paid.data.amount.toBigInt(), fee - fee / 10n);

  // The node's executor logs each run: the host-function path's own time.
  const runs = [...readFileSync(node.logFile, 'utf8').matchAll(/run \w+ done in ([\d.]+) ms after ([\d.]+) ms in the queue/g)];
  assert.ok(runs.length >= 1, 'the executor ran the job');
  console.log(`MEASURE dev k=1: executor run ${runs[0][1]} ms (sandbox, model load and optimise, cnn), queue wait ${runs[0][2]} ms`);

  // The runtime API shows the same job.
  const view = (await api.call.jobsApi.job(submitted.id)).unwrap();
  assert.ok(view.job.status.isSettled);
  assert.equal(view.job.result.unwrap().digest.toHex(), result.digest.toHex());
});

test('a job on a model the executor rejects fails with the code and pays the worker for the run', async () => {
  const { api } = node;
  const cnn = fixture('cnn');
  // A model whose declared input is not what the graph takes: any run fails the same way.
  const broken = { ...cnn, input: [{ ...cnn.input[0], name: 'not_an_input' }] };
  const model = await storeAndRegister(api, alice, 'cnn-wrong-input', broken, { precision: PRECISION });
  const before = (await api.query.system.account(bob.address)).data.free.toBigInt();
  const submitted = await submitJob(api, bob, model, broken.input, 1, 1_000_000_000n, 60);
  const ended = await waitForJobEnd(api, submitted.id, 120_000);
  assert.ok(ended.job.status.isFailed, `status ${ended.job.status.type}`);
  const reason = ended.job.status.asFailed;
  assert.ok(reason.isExecutor, `reason ${reason.type}`);
  assert.ok(reason.asExecutor.code.toNumber() > 0);
  const after = (await api.query.system.account(bob.address)).data.free.toBigInt();
  const protocolFee = api.consts.jobs.protocolFee.toBigInt();
  // The requester's model failed the run: the worker is paid for it, the rest refunded.
  const fee = ended.job.feePerWorker.toBigInt();
  assert.equal(before - after, protocolFee + fee + submitted.txFee, 'pays the worker and the protocol fee');
  await assert.rejects(send(api.tx.jobs.cancelJob(submitted.id), bob), /jobs\.CannotCancel/);
});
