// Scenarios for multi-validator networks, run against nodes somebody else started (zombienet's
// js-scripts call these with a node's WebSocket URI). Each connects with @polkadot/api,
// resolves 1 when the scenario holds, throws with the reason when it cannot, and disconnects.
// The jobs go through the client library (client/lib/, by way of ./jobs.mjs).
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { fixture, storeAndRegister, submitJob, waitForJobEnd, jobEvents, quantize } from './jobs.mjs';

const PRECISION = 4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withApi(uri, body) {
  const api = await ApiPromise.create({ provider: new WsProvider(uri), noInitWarn: true });
  try {
    return await body(api);
  } finally {
    await api.disconnect();
  }
}

async function heads(api) {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const finalized = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  return { best, finalized };
}

/** Resolves 1 once the node's best and finalized heads both advanced by `n` blocks. */
export function headsAdvance(uri, n) {
  return withApi(uri, async (api) => {
    const start = await heads(api);
    for (;;) {
      const now = await heads(api);
      if (now.best >= start.best + n && now.finalized >= start.finalized + n) return 1;
      await sleep(1000);
    }
  });
}

/**
 * Resolves 1 once the node at `uri` has imported everything the reference node at `refUri`
 * had when this started, and finalizes past what the reference had finalized.
 */
export function caughtUp(uri, refUri) {
  return withApi(refUri, async (ref) => {
    const target = await heads(ref);
    return withApi(uri, async (api) => {
      for (;;) {
        const now = await heads(api);
        if (now.best >= target.best && now.finalized > target.finalized) return 1;
        await sleep(1000);
      }
    });
  });
}

function keys() {
  const keyring = new Keyring({ type: 'sr25519' });
  return Object.fromEntries(['Alice', 'Dave', 'Eve'].map((n) => [n.toLowerCase(), keyring.addFromUri(`//${n}`)]));
}

/**
 * Resolves once version 1 of `model` is in the finalized state. A transaction is reported in
 * a block, and BABE's short forks (a primary and a secondary block in one slot) can leave
 * that block behind: a job submitted at once may land on the other fork, where the model is
 * not registered yet (`VersionNotRunnable`; one CI run of session 17).
 */
async function finalizedVersion(api, model) {
  for (;;) {
    const finalized = await api.at(await api.rpc.chain.getFinalizedHead());
    if ((await finalized.query.models.versions(model, 1)).isSome) return;
    await sleep(1000);
  }
}

/** Registers the CNN fixture (once per name) and runs it with replication `k`, Eve paying. */
async function runCnnJob(api, k, name) {
  const { alice, eve } = keys();
  const cnn = fixture('cnn');
  const model = await storeAndRegister(api, alice, name, cnn, { precision: PRECISION });
  await finalizedVersion(api, model);
  const submitted = await submitJob(api, eve, model, cnn.input, k, 1_000_000_000n, 120);
  const ended = await waitForJobEnd(api, submitted.id, 280_000);
  if (!ended.job.status.isSettled) throw new Error(`job ${submitted.id} ended ${ended.job.status.type}`);
  const result = ended.job.result.unwrap();
  const [logits] = result.outcome.asOutputs;
  const expected = cnn.output[0].data.map((x) => quantize(x, PRECISION));
  logits.elements.map((v) => v.toNumber()).forEach((got, i) => {
    if (Math.abs(got - expected[i]) > 1) throw new Error(`logit ${i}: chain ${got}, onnxruntime ${expected[i]}`);
  });
  return { id: submitted.id, ended, result };
}

/** Resolves 1 once a job with replication `k` settled with onnxruntime's output. */
export async function replicatedJob(uri, k) {
  await cryptoWaitReady();
  return withApi(uri, async (api) => {
    const { id, result, ended } = await runCnnJob(api, k, `cnn-k${k}`);
    const assigned = ended.job.assignees.length;
    if (assigned < k) throw new Error(`job ${id}: ${assigned} workers assigned, asked for ${k}`);
    if (result.agreeing.toNumber() < Math.floor(assigned / 2) + 1) throw new Error(`job ${id}: no majority`);
    return 1;
  });
}

/**
 * Runs a job on every registered worker; resolves 1 once it settled with the honest output,
 * every worker but the liar (`liarName`, a well-known dev name) agreed, and the liar lost
 * exactly the dissent slash: the base `DissentSlash` plus the fee it tried to earn.
 */
export async function liarSlashed(uri, liarName) {
  await cryptoWaitReady();
  return withApi(uri, async (api) => {
    const liar = new Keyring({ type: 'sr25519' }).addFromUri(`//${liarName[0].toUpperCase()}${liarName.slice(1)}`).address;
    const workers = (await api.query.jobs.workerCount()).toNumber();
    const stakeBefore = (await api.query.jobs.workers(liar)).unwrap().stake.toBigInt();
    const { id, result, ended } = await runCnnJob(api, workers, 'cnn-all-workers');
    if (result.agreeing.toNumber() !== workers - 1) throw new Error(`job ${id}: ${result.agreeing} agreed of ${workers}`);
    const events = await jobEvents(api, await api.rpc.chain.getBlockHash(ended.block));
    const slashed = events.find((e) => api.events.jobs.WorkerSlashed.is(e) && e.data.worker.toString() === liar);
    if (!slashed || !slashed.data.reason.isDissent) throw new Error(`job ${id}: the liar was not slashed for dissent`);
    const dissentSlash = api.consts.jobs.dissentSlash.toBigInt() + ended.job.feePerWorker.toBigInt();
    const stakeAfter = (await api.query.jobs.workers(liar)).unwrap().stake.toBigInt();
    if (stakeBefore - stakeAfter !== dissentSlash) throw new Error(`stake ${stakeBefore} -> ${stakeAfter}`);
    return 1;
  });
}
