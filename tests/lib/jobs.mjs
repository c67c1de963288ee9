// Helpers for job tests on the client library (client/lib/): the ONNX fixtures, storing a
// model and registering it, submitting a job and waiting for its end with the numbers the
// tests measure, and onnxruntime's reference outputs quantised the way the chain's canonical
// digest does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { storeBlob } from '../../client/lib/blobs.mjs';
import { modelSpec, registerModel } from '../../client/lib/models.mjs';
import { submitJob as submit, watchJob } from '../../client/lib/jobs.mjs';
import { tensorSchema, inlineTensors } from '../../client/lib/tensors.mjs';

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
 * Stores `model` as a blob (unless it is stored already) and registers it as model `name`
 * with f32 inputs and outputs shaped as the fixture's; returns the model id.
 */
export async function storeAndRegister(api, owner, name, { model, input, output }, { precision = 4, tolerance = null } = {}) {
  const { hash } = await storeBlob(api, owner, model);
  const tensors = (list) => list.map(({ name: n, shape }) => tensorSchema(n, 'f32', shape));
  const spec = modelSpec({ blob: hash, inputs: tensors(input), outputs: tensors(output), precision, tolerance });
  return registerModel(api, owner, { name, description: 'test model', license: 'Apache-2.0', spec });
}

/** A fixture's float32 inputs as the chain's inline tensors (raw little-endian data). */
export const inlineInput = inlineTensors;

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
 * Submits an inference job on version 1 of `model`; returns its id, the number of the block
 * that included it, when, and the transaction fee paid for it.
 */
export async function submitJob(api, requester, model, input, replication, feePerWorker, deadlineBlocks) {
  const next = (await api.query.jobs.nextJobId()).toNumber();
  const { id, events, blockHash } = await submit(api, requester, {
    model, version: 1, input: { Inline: inlineInput(input) }, replication, fee: feePerWorker, deadlineBlocks,
  });
  if (id !== next) throw new Error('JobSubmitted missing');
  const block = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  const feePaid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event)
    && event.data.who.toString() === requester.address);
  return { id, block, at: Date.now(), txFee: feePaid.event.data.actualFee.toBigInt() };
}

/** Waits until job `id` is finished; resolves with its record, the block it finished in, and when. */
export async function waitForJobEnd(api, id, timeoutMs) {
  const { job, block } = await watchJob(api, id, { timeoutMs });
  return { job, block, at: Date.now() };
}

/** Events of the jobs pallet in block `hash`. */
export async function jobEvents(api, hash) {
  const events = await (await api.at(hash)).query.system.events();
  return events.filter(({ event }) => event.section === 'jobs').map(({ event }) => event);
}
