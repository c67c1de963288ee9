// Helpers for job tests: sending transactions, storing a model and registering it, turning a
// fixture's JSON input into an inline job input, and onnxruntime's reference outputs
// quantised the way the chain's canonical digest does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { send } from './tx.mjs';

export { send };

export const FIXTURES = process.env.MOSAIC_FIXTURES ?? join(process.env.HOME, '.cache/mosaic/onnx-fixtures');

/** The fixture model `name`: its bytes, blake2-256 hash, inputs and onnxruntime outputs. */
export function fixture(name) {
  const dir = join(FIXTURES, 'models', name);
  const model = readFileSync(join(dir, 'model.onnx'));
  return {
    model,
    hash: u8aToHex(blake2AsU8a(model, 256)),
    input: JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')).inputs,
    output: JSON.parse(readFileSync(join(dir, 'output.json'), 'utf8')).outputs,
  };
}

/**
 * Stores `model` as an inline blob (unless it is stored already) and registers it as model
 * `name`; returns the model id.
 */
export async function storeAndRegister(api, owner, name, { model, hash, input, output }, { precision = 4, tolerance = null } = {}) {
  if ((await api.query.blobs.blobs(hash)).isNone) {
    await send(api, owner, api.tx.blobs.store(u8aToHex(model)));
  }
  const tensor = ({ name, shape }) => ({
    name,
    elementType: 'F32',
    shape: shape.map((d) => ({ Fixed: d })),
  });
  const spec = {
    blob: hash,
    opset: 17,
    inputs: input.map(tensor),
    outputs: output.map(tensor),
    precision,
    tolerance,
    royalty: 100_000, // Permill: 10 %
    parent: null,
  };
  const id = (await api.query.models.nextModelId()).toNumber();
  await send(api, owner, api.tx.models.registerModel(name, 'test model', 'Apache-2.0', spec));
  return id;
}

/** A fixture's float32 inputs as the chain's inline tensors (raw little-endian data). */
export function inlineInput(inputs) {
  return inputs.map(({ name, shape, data }) => ({
    name,
    elementType: 'F32',
    shape,
    data: u8aToHex(new Uint8Array(Float32Array.from(data).buffer)),
  }));
}

/** `x` in fixed point with `precision` decimals, rounding half to even (as the chain does). */
export function quantize(x, precision) {
  const scaled = x * 10 ** precision;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Submits a job; returns its id, the number of the block that included it, when, and the
 * transaction fee paid for it.
 */
export async function submitJob(api, requester, model, input, replication, feePerWorker, deadlineBlocks) {
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const id = (await api.query.jobs.nextJobId()).toNumber();
  const { events, blockHash } = await send(api, requester, api.tx.jobs.submitJob(
    model, 1, 'Inference', { Inline: inlineInput(input) }, replication, feePerWorker, head + deadlineBlocks));
  const submitted = events.find(({ event }) => api.events.jobs.JobSubmitted.is(event));
  if (!submitted || submitted.event.data.job.toNumber() !== id) throw new Error('JobSubmitted missing');
  const block = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  const feePaid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event)
    && event.data.who.toString() === requester.address);
  return { id, block, at: Date.now(), txFee: feePaid.event.data.actualFee.toBigInt() };
}

/** Waits until job `id` is finished; resolves with its record and the block it finished in. */
export async function waitForJobEnd(api, id, timeoutMs) {
  return new Promise((resolve, reject) => {
    let unsub = null;
    const timer = setTimeout(() => { unsub?.(); reject(new Error(`job ${id} not finished in ${timeoutMs} ms`)); }, timeoutMs);
    api.rpc.chain.subscribeNewHeads(async (header) => {
      const job = (await api.query.jobs.jobs(id)).unwrap();
      const status = job.status;
      if (status.isSettled || status.isFailed || status.isCancelled) {
        clearTimeout(timer);
        unsub?.();
        resolve({ job, block: header.number.toNumber(), at: Date.now() });
      }
    }).then((u) => { unsub = u; }, reject);
  });
}

/** Events of the jobs pallet in block `hash`. */
export async function jobEvents(api, hash) {
  const events = await (await api.at(hash)).query.system.events();
  return events.filter(({ event }) => event.section === 'jobs').map(({ event }) => event);
}
