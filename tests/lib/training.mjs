// Helpers for training tests: the committed training fixtures, SCALE tensor lists
// (`Vec<InputTensor>`) to and from JavaScript, blobs and step-graph registration (on the
// client library, client/lib/) and held-out accuracy through the forward model.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { u8aToHex } from '@polkadot/util';
import { storeBlob as store } from '../../client/lib/blobs.mjs';
import { modelSpec, registerModel as register } from '../../client/lib/models.mjs';
import { tensorSchema } from '../../client/lib/tensors.mjs';

export const TRAINING = fileURLToPath(new URL('../../primitives/executor/fixtures/training/', import.meta.url));
/** Decimal digits the training models' outputs are quantised to. */
export const PRECISION = 5;
export const FEATURES = 30;
const TENSORS = 'Vec<(Bytes, u8, Vec<u64>, Bytes)>'; // SCALE Vec<InputTensor>; u8 0 is F32

/** A training fixture's bytes. */
export const file = (name) => readFileSync(TRAINING + name);

/** Decodes a SCALE `Vec<InputTensor>` of f32 tensors into `{ name: { shape, values } }`. */
export function decodeTensors(api, bytes) {
  const out = {};
  for (const [name, type, shape, data] of api.createType(TENSORS, bytes)) {
    assert.equal(type.toNumber(), 0, 'float32');
    const raw = data.toU8a(true);
    out[name.toUtf8()] = {
      shape: shape.map((d) => d.toNumber()),
      values: Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))),
    };
  }
  return out;
}

/** Encodes `{ name: { shape, values } }` as a SCALE `Vec<InputTensor>` of f32 tensors (hex). */
export function encodeTensors(api, tensors) {
  return api.createType(TENSORS, Object.entries(tensors).map(([name, { shape, values }]) =>
    [name, 0, shape, u8aToHex(new Uint8Array(Float32Array.from(values).buffer))])).toHex();
}

/** Stores `bytes` as a sealed blob of `who` unless it exists; returns its hash. */
export async function storeBlob(api, who, bytes) {
  return (await store(api, who, bytes)).hash;
}

/**
 * Registers model `name` for `owner` on `blob` with f32 `inputs` and `outputs` given as
 * `[name, shape]` (string dimensions are symbolic) and optional `parameters`; returns its id.
 */
export async function registerModel(api, owner, name, blob, inputs, outputs, parameters = null) {
  const tensor = ([n, shape]) => tensorSchema(n, 'f32', shape);
  const spec = modelSpec({
    blob, inputs: inputs.map(tensor), outputs: outputs.map(tensor), precision: PRECISION, tolerance: 2, parameters,
  });
  return register(api, owner, { name, description: 'logistic regression', license: 'Apache-2.0', spec });
}

/** The logistic-regression step graph's and forward model's inputs and outputs. */
export const LOGREG = {
  step: [[['w', [FEATURES]], ['b', [1]], ['x', ['N', FEATURES]], ['y', ['N']]],
    [['w_next', [FEATURES]], ['b_next', [1]], ['loss', []]]],
  forward: [[['w', [FEATURES]], ['b', [1]], ['x', ['N', FEATURES]]], [['prob', ['N']]]],
};

/** Share of the held-out set the forward model `forward` classifies right with `params`. */
export async function accuracy(provider, api, forward, params, test) {
  const input = encodeTensors(api, { ...params, x: test.x });
  const preview = await provider.send('mosaic_previewRun', [forward, 1, { format: 'Scale', data: input }]);
  const prob = preview.outputs.find((o) => o.name === 'prob').values;
  const right = prob.filter((p, i) => (p > 0.5 * 10 ** PRECISION) === (test.y.values[i] > 0.5)).length;
  return right / prob.length;
}
