// Compute jobs and workers: submitting, following a job to its end, decoding its result, and
// registering and inspecting workers.
import { decodeAddress } from '@polkadot/util-crypto';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { send, eventData } from './tx.mjs';

/**
 * The least fee per worker the chain accepts for a job on a version with output schema
 * `outputs` (a `Vec<TensorSchema>` as polkadot.js decodes it): `MinFeePerWorker`, or
 * `RevealFeePerValue` for each value the reveal may carry if that is more. Fixed output
 * shapes give the count; a symbolic one, or a training job (whose result is parameters),
 * may fill a reveal (`MaxOutputValues`). The chain can count less for an inference whose
 * inline inputs size the symbolic dimensions: this is never below what it asks.
 */
export function leastFeePerWorker(api, outputs, { training = false } = {}) {
  const most = api.consts.jobs.maxOutputValues.toBigInt();
  let values = most;
  if (!training && outputs.every((t) => t.shape.every((d) => d.isFixed))) {
    values = outputs.reduce((sum, t) => sum + t.shape.reduce((n, d) => n * d.asFixed.toBigInt(), 1n), 0n);
    if (values > most) values = most;
  }
  const byValue = api.consts.jobs.revealFeePerValue.toBigInt() * values;
  const least = api.consts.jobs.minFeePerWorker.toBigInt();
  return byValue > least ? byValue : least;
}

/** Job statuses after which nothing changes. */
const ENDED = ['Settled', 'Failed', 'Cancelled'];

/**
 * Submits a job on `version` of `model` for `signer`: `kind` 'Inference' or
 * `{ Training: { parameters, epochs, batchSize } }`, `input` `{ Inline: tensors }` or
 * `{ Blob: { hash, format } }`, `fee` per worker in plancks, due `deadlineBlocks` after the
 * best block. Resolves with `{ id, held, events, blockHash }`.
 */
export async function submitJob(api, signer, { model, version, kind = 'Inference', input, replication = 1, fee, deadlineBlocks = 60 }) {
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const { events, blockHash } = await send(
    api.tx.jobs.submitJob(model, version, kind, input, replication, fee, head + deadlineBlocks), signer);
  const submitted = eventData(events, api.events.jobs.JobSubmitted);
  if (!submitted) throw new Error('JobSubmitted missing');
  return { id: submitted.job.toNumber(), held: submitted.held.toBigInt(), events, blockHash };
}

/** Rejection of `watchJob` when the job is still open when it gives up. */
export class JobTimeout extends Error {}

/**
 * Follows job `id` block by block until it is settled, failed or cancelled; resolves with
 * `{ job, block }`, its record and the number of the best block it was first seen ended in.
 * `onChange(job)` sees the record whenever its status changes.
 */
export async function watchJob(api, id, { timeoutMs = 600_000, onChange = () => {} } = {}) {
  if ((await api.query.jobs.jobs(id)).isNone) throw new Error(`no job ${id} (unknown, or purged)`);
  return new Promise((resolve, reject) => {
    let unsub = null;
    let done = false;
    let last = '';
    let queue = Promise.resolve();
    const finish = (settle, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsub?.();
      settle(value);
    };
    const timer = setTimeout(() => finish(reject, new JobTimeout(`job ${id} not finished in ${timeoutMs} ms`)), timeoutMs);
    // Heads one after the other, each read at its own state, so that statuses are seen in
    // order and `block` is the head that first holds the end.
    const look = async (header) => {
      if (done) return;
      const maybe = await api.query.jobs.jobs.at(header.hash, id);
      if (maybe.isNone || done) return;
      const job = maybe.unwrap();
      if (job.status.type !== last) {
        last = job.status.type;
        onChange(job);
      }
      if (ENDED.includes(last)) finish(resolve, { job, block: header.number.toNumber() });
    };
    api.rpc.chain.subscribeNewHeads((header) => {
      queue = queue.then(() => look(header)).catch((e) => finish(reject, e));
    }).then((u) => {
      unsub = u;
      if (done) u();
    }, (e) => finish(reject, e));
  });
}

/**
 * A settled job's result in plain values: `{ agreeing, digest, parameters, outputs, error }`.
 * `outputs` (when revealed on chain) are `[{ name, shape, values }]` with the values scaled back
 * by the version's `precision`; otherwise only the digest is on chain, or `error` holds the
 * executor's error code. `parameters` is the trained parameters' blob, or null.
 */
export function jobResult(job, precision) {
  const result = job.result.unwrap();
  const { outcome } = result;
  return {
    agreeing: result.agreeing.toNumber(),
    digest: result.digest.toHex(),
    parameters: result.parameters.isSome ? result.parameters.unwrap().toHex() : null,
    outputs: outcome.isOutputs
      ? outcome.asOutputs.map((t) => ({
        name: t.name.toUtf8(),
        shape: t.shape.map((d) => d.toNumber()),
        values: t.elements.map((v) => Number(v.toBigInt()) / 10 ** precision),
      }))
      : null,
    error: outcome.isError ? outcome.asError.code.toNumber() : null,
  };
}

/**
 * The proof that whoever registers `worker` holds the worker key `keyPair` (sr25519): the
 * key's signature of "mosaic/worker-key/v1" followed by the worker's 32 account bytes, as a
 * `MultiSignature`.
 */
export function workerKeyProof(keyPair, worker) {
  const message = u8aConcat(stringToU8a('mosaic/worker-key/v1'), decodeAddress(worker));
  return { Sr25519: u8aToHex(keyPair.sign(message)) };
}

/**
 * Registers `signer` as a worker whose node signs with the sr25519 key pair `keyPair` (the
 * key it holds as `mwrk`), staking `stake` plancks; the key signs the ownership proof.
 */
export async function registerWorker(api, signer, { keyPair, stake, capacity }) {
  const proof = workerKeyProof(keyPair, signer.address);
  return send(api.tx.jobs.registerWorker(keyPair.address, stake, capacity, proof), signer);
}

/** Worker `who`'s record and the jobs it holds, as `{ worker, jobs }`, or null. */
export async function workerStatus(api, who) {
  const worker = await api.call.jobsApi.worker(who);
  if (worker.isNone) return null;
  return { worker: worker.unwrap(), jobs: await api.call.jobsApi.workerJobs(who) };
}
