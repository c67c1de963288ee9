// Tensors: the schemas models declare (written `name:type:dims`, e.g. `image:f32:1x3x32x32`)
// and job inputs read from files: JSON inline, NumPy (.npy) and ONNX TensorProto (.pb) as blobs.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { toHex } from './bytes.mjs';

/** Element types by their short names, as the chain spells them. */
export const ELEMENT_TYPES = { f32: 'F32', f64: 'F64', i32: 'I32', i64: 'I64', u8: 'U8', bool: 'Bool' };

/** A tensor schema; `dims` are sizes (numbers) or symbolic names (strings, e.g. 'N'). */
export function tensorSchema(name, type, dims) {
  if (!name || !ELEMENT_TYPES[type]) throw new RangeError(`${name}: the type must be one of ${Object.keys(ELEMENT_TYPES).join('|')}`);
  return {
    name,
    elementType: ELEMENT_TYPES[type],
    shape: dims.map((d) => (typeof d === 'number' ? { Fixed: d } : { Symbolic: d })),
  };
}

/** `name:type:1x3xN,...` as tensor schemas; dims that are not numbers are symbolic. */
export function parseTensorSchemas(spec) {
  return spec.split(',').map((one) => {
    const [name, type, dims = ''] = one.split(':');
    if (!name || !ELEMENT_TYPES[type]) {
      throw new RangeError(`${one}: want name:type:dims with type ${Object.keys(ELEMENT_TYPES).join('|')}`);
    }
    return tensorSchema(name, type, dims === '' ? [] : dims.split('x').map((d) => (/^\d+$/.test(d) ? Number(d) : d)));
  });
}

/** Tensor schemas read from the chain, written back as `name:type:dims,...`. */
export function formatTensorSchemas(schemas) {
  return schemas.map((t) => `${t.name.toUtf8()}:${t.elementType.type.toLowerCase()}:${t.shape
    .map((d) => (d.isFixed ? d.asFixed.toString() : d.asSymbolic.toUtf8())).join('x')}`).join(',');
}

/** Float32 inputs `[{ name, shape, data, dtype }]` (as in an input.json) as inline tensors. */
export function inlineTensors(inputs) {
  return inputs.map(({ name, shape, data, dtype = 'float32' }) => {
    if (dtype !== 'float32') throw new Error(`${name}: only float32 inline inputs (store other types as .npy)`);
    return { name, elementType: 'F32', shape, data: toHex(new Uint8Array(Float32Array.from(data).buffer)) };
  });
}

const FORMATS = { '.json': 'Json', '.npy': 'Npy', '.pb': 'TensorProto' };

/** The input format of `file` by its extension; throws unless it is .json, .npy or .pb. */
export function inputFormat(file) {
  const format = FORMATS[extname(file).toLowerCase()];
  if (!format) throw new RangeError(`${basename(file)}: the input must be .json, .npy or .pb`);
  return format;
}

/**
 * A job input file as the client sends it: `{ inline }` tensors for JSON
 * (`{"inputs":[{name, dtype, shape, data}]}`), else `{ bytes, format }` to store as a blob.
 */
export function readJobInput(file) {
  const format = inputFormat(file);
  if (format !== 'Json') return { bytes: readFileSync(file), format };
  const { inputs } = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(inputs)) throw new Error(`${file}: want {"inputs":[{name, dtype, shape, data}]}`);
  try {
    return { inline: inlineTensors(inputs) };
  } catch (e) {
    throw new Error(`${file}: ${e.message}`);
  }
}
