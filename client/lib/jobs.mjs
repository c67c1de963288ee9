// Compute jobs and workers: submitting, following a job to its end, decoding its result, and
// registering and inspecting workers.
import { decodeAddress, blake2AsU8a } from '@polkadot/util-crypto';
import { stringToU8a, u8aConcat, u8aToHex, hexToU8a, u8aToString } from '@polkadot/util';
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

/** The domain separator that opens a canonical output encoding (see `canonical_bytes`). */
const OUTPUT_DOMAIN = stringToU8a('mosaic/output-digest/v1');
/** Element type tags of the canonical encoding (`ElementType::tag`). */
const ELEMENT_TAGS = {
  1: 'f32', 2: 'f64', 3: 'f16', 4: 'i8', 5: 'i16', 6: 'i32', 7: 'i64', 8: 'u8', 9: 'u16', 10: 'u32', 11: 'bool',
};

/**
 * The outputs of a job agreed on by `digest` only (too many values for a reveal), fetched from
 * a node that ran it (`mosaic_result` through `provider`, a connected `WsProvider`) and
 * checked against `digest`: `{ precision, outputs: [{ name, type, shape, values }] }`, with
 * `values` the quantised integers as a `BigInt64Array` (divide by `10 ** precision` for
 * floats). Throws if the node does not keep it or serves bytes that are not the result.
 */
export async function fetchKeptResult(provider, digest) {
  const pieces = [];
  let size = null;
  let offset = 0;
  while (size === null || offset < size) {
    const piece = await provider.send('mosaic_result', [digest, offset]);
    size = piece.size;
    const data = hexToU8a(piece.data);
    if (data.length === 0 && offset < size) throw new Error(`mosaic_result: nothing at ${offset} of ${size}`);
    pieces.push(data);
    offset += data.length;
  }
  const bytes = u8aConcat(...pieces);
  if (u8aToHex(blake2AsU8a(bytes, 256)) !== digest) throw new Error('the node served bytes that are not the result');
  return decodeCanonicalOutputs(bytes);
}

/** Decodes a canonical output encoding (layout in `mosaic_primitives::digest::canonical_bytes`). */
export function decodeCanonicalOutputs(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (u8aToHex(bytes.subarray(0, OUTPUT_DOMAIN.length)) !== u8aToHex(OUTPUT_DOMAIN)) throw new Error('not a canonical output encoding');
  let at = OUTPUT_DOMAIN.length;
  const precision = bytes[at];
  const count = view.getUint32(at + 1, true);
  at += 5;
  const outputs = [];
  for (let i = 0; i < count; i += 1) {
    const nameLength = view.getUint32(at, true);
    const name = u8aToString(bytes.subarray(at + 4, at + 4 + nameLength));
    at += 4 + nameLength;
    const type = ELEMENT_TAGS[bytes[at]];
    const rank = view.getUint32(at + 1, true);
    at += 5;
    const shape = [];
    for (let d = 0; d < rank; d += 1, at += 8) shape.push(Number(view.getBigUint64(at, true)));
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new BigInt64Array(bytes.slice(at, at + 8 * n).buffer);
    at += 8 * n;
    outputs.push({ name, type, shape, values });
  }
  return { precision, outputs };
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
