// A job on a fresh `--dev` chain: Alice (the dev preset's only worker, her worker key put in
// the node's keystore by `--dev`) runs a real ONNX CNN in her node's off-chain worker, commits,
// reveals, and the job settles with onnxruntime's output. Bob is the requester (a worker is
// never assigned its own requester's job).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { readFileSync } from 'node:fs';
import { startNode } from '../lib/node.mjs';
import { send } from '../../client/lib/tx.mjs';
import { fetchKeptResult } from '../../client/lib/jobs.mjs';
import { fixture, storeAndRegister, submitJob, waitForJobEnd, jobEvents, quantize, inlineInput } from '../lib/jobs.mjs';
import { expandModel, slowModel } from '../lib/onnx.mjs';

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

/** Fetches a result kept for its requester from the dev node, checked against `digest`. */
async function fetchKept(digest) {
  const provider = new WsProvider(`ws://127.0.0.1:${node.rpcPort}`);
  await provider.isReady;
  return fetchKeptResult(provider, digest).finally(() => provider.disconnect());
}

test('a job whose output is 5000 values, more than a reveal carries, settles by digest and its requester gets them', async () => {
  const { api } = node;
  const dims = [50, 100];
  const mid = { model: expandModel(dims), input: [{ name: 'x', shape: [1, 1], data: [0.25] }], output: [{ name: 'y', shape: dims }] };
  const model = await storeAndRegister(api, alice, 'expand-5000', mid, { precision: PRECISION });
  const fee = api.consts.jobs.revealFeePerValue.toBigInt() * api.consts.jobs.maxOutputValues.toBigInt();
  const submitted = await submitJob(api, bob, model, mid.input, 1, fee, 60);
  const ended = await waitForJobEnd(api, submitted.id, 120_000);
  assert.ok(ended.job.status.isSettled, `status ${ended.job.status.type}`);
  const result = ended.job.result.unwrap();
  assert.ok(result.outcome.isDigest, `outcome ${result.outcome.type}`);
  // Before session 17 only outputs of more than 65 536 values were kept: this one was lost.
  const kept = await fetchKept(result.digest.toHex());
  const [y] = kept.outputs;
  assert.deepEqual([y.name, y.shape], ['y', dims]);
  const quarter = BigInt(quantize(0.25, PRECISION));
  assert.ok(y.values.every((v) => v === quarter), 'every value is x = 0.25');
});

test('a job whose output is 4096x4096 floats settles by digest, and the worker runs the next job', async () => {
  const { api } = node;
  const dims = [4096, 4096];
  const big = { model: expandModel(dims), input: [{ name: 'x', shape: [1, 1], data: [0.5] }], output: [{ name: 'y', shape: dims }] };
  const model = await storeAndRegister(api, alice, 'expand-4096', big, { precision: PRECISION });
  // A reveal may carry up to `MaxOutputValues`; the fee covers that many.
  const fee = api.consts.jobs.revealFeePerValue.toBigInt() * api.consts.jobs.maxOutputValues.toBigInt();
  const submitted = await submitJob(api, bob, model, big.input, 1, fee, 60);
  const ended = await waitForJobEnd(api, submitted.id, 120_000);
  assert.ok(ended.job.status.isSettled, `status ${ended.job.status.type}`);
  const result = ended.job.result.unwrap();
  assert.ok(result.outcome.isDigest, `outcome ${result.outcome.type}`);
  console.log(`MEASURE dev k=1: a 4096x4096 output settled by digest ${ended.block - submitted.block} blocks after the submission's block`);

  // The requester gets the whole output from the node that ran it, checked against the digest.
  const started = Date.now();
  const kept = await fetchKept(result.digest.toHex());
  console.log(`MEASURE dev: a 4096x4096 result (${8 * 4096 * 4096 >> 20} MiB) fetched with mosaic_result in ${Date.now() - started} ms`);
  assert.equal(kept.precision, PRECISION);
  const [y] = kept.outputs;
  assert.deepEqual([y.name, y.type, y.shape], ['y', 'f32', dims]);
  const half = BigInt(quantize(0.5, PRECISION));
  assert.ok(y.values.every((v) => v === half), 'every value is x = 0.5');

  // The off-chain worker lived through it: the next job runs and settles as usual.
  const cnn = fixture('cnn');
  const cnnModel = await storeAndRegister(api, alice, 'cnn-after-expand', cnn, { precision: PRECISION });
  const next = await submitJob(api, bob, cnnModel, cnn.input, 1, 1_000_000_000n, 60);
  const after = await waitForJobEnd(api, next.id, 120_000);
  assert.ok(after.job.status.isSettled, `status ${after.job.status.type}`);
  assert.ok(after.job.result.unwrap().outcome.isOutputs);
});

test('twenty jobs of a model that runs to the time limit, at once: the worker commits or abstains, and loses nothing', async () => {
  const { api } = node;
  // 1000 layers of a 1024x1024 MatMul: about 25 s here, so every run ends at the sandbox's
  // 15 s limit, and Alice's eight slots hold two minutes of runs for a one-minute commit phase.
  const size = 1024;
  const slow = { model: slowModel(size, 1000), input: [{ name: 'x', shape: [8, size], data: Array.from({ length: 8 * size }, (_, i) => (i % 13) / 13) }], output: [{ name: 'y', shape: [size, size] }] };
  const model = await storeAndRegister(api, alice, 'slow', slow, { precision: PRECISION });
  const fee = api.consts.jobs.revealFeePerValue.toBigInt() * api.consts.jobs.maxOutputValues.toBigInt();
  const aliceBefore = (await api.query.jobs.workers(alice.address)).unwrap();
  const bobBefore = (await api.query.system.account(bob.address)).data.reserved.toBigInt();

  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const first = (await api.rpc.system.accountNextIndex(bob.address)).toNumber();
  const firstJob = (await api.query.jobs.nextJobId()).toNumber();
  const input = { Inline: inlineInput(slow.input) };
  await Promise.all(Array.from({ length: 20 }, (_, i) => send(
    api.tx.jobs.submitJob(model, 1, 'Inference', input, 1, fee, head + 300), bob, { nonce: first + i })));
  const ids = Array.from({ length: 20 }, (_, i) => firstJob + i);

  // Block by block until every job has ended; a missed commitment fails the test at once.
  const ended = new Map();
  const started = Date.now();
  while (ended.size < ids.length) {
    assert.ok(Date.now() - started < 600_000, `${ended.size} of 20 jobs ended in ten minutes`);
    const worker = (await api.query.jobs.workers(alice.address)).unwrap();
    assert.equal(worker.missed.toNumber(), 0, 'Alice missed a commitment');
    assert.ok(worker.status.isActive, `Alice is ${worker.status.type}`);
    for (const id of ids.filter((i) => !ended.has(i))) {
      const status = (await api.query.jobs.jobs(id)).unwrap().status;
      if (status.isFailed || status.isSettled) ended.set(id, status);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }

  const reasons = [...ended.values()].map((status) => (status.isFailed ? status.asFailed : status));
  const timedOut = reasons.filter((r) => r.isExecutor && r.asExecutor.code.toNumber() === 7).length;
  const abstained = reasons.filter((r) => r.isNoQuorum).length;
  console.log(`MEASURE twenty slow jobs on one worker: ${timedOut} ran to the time limit (the requester pays), ${abstained} abstained, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.equal(timedOut + abstained, 20, `outcomes: ${reasons.map((r) => r.type).join(', ')}`);
  assert.ok(timedOut >= 3, 'the executor finished what fitted the commit phases');
  const aliceAfter = (await api.query.jobs.workers(alice.address)).unwrap();
  assert.equal(aliceAfter.stake.toBigInt(), aliceBefore.stake.toBigInt(), 'Alice was slashed');
  assert.equal(aliceAfter.missed.toNumber(), 0);
  assert.equal((await api.query.system.account(bob.address)).data.reserved.toBigInt(), bobBefore, 'no hold left');
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
