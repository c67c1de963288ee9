// ONNX models built in tests, written as protobuf by hand (the fields ONNX's `onnx.proto`
// numbers), for shapes no fixture has.

const varint = (value) => {
  let n = BigInt(value);
  const out = [];
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
};
const key = (field, wire) => varint((field << 3) | wire);
const message = (field, bytes) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const text = (field, s) => message(field, [...Buffer.from(s, 'utf8')]);
const integer = (field, n) => [...key(field, 0), ...varint(n)];

const FLOAT = 1;
const INT64 = 7;

/** A `ValueInfoProto` of a float tensor `name` with static `dims`. */
const floatTensor = (field, name, dims) => message(field, [
  ...text(1, name),
  ...message(2, message(1, [
    ...integer(1, FLOAT),
    ...message(2, dims.flatMap((d) => message(1, integer(1, d)))),
  ])),
]);

/**
 * A model whose float input `x` of shape [1, 1] is broadcast by `Expand` to an output `y` of
 * shape `dims`: outputs of any size from an input of four bytes.
 */
export function expandModel(dims) {
  const shape = message(5, [
    ...integer(1, dims.length),
    ...integer(2, INT64),
    ...message(7, dims.flatMap(varint)),
    ...text(8, 'shape'),
  ]);
  const node = message(1, [...text(1, 'x'), ...text(1, 'shape'), ...text(2, 'y'), ...text(4, 'Expand')]);
  const graph = [...node, ...text(2, 'expand'), ...shape, ...floatTensor(11, 'x', [1, 1]), ...floatTensor(12, 'y', dims)];
  return Buffer.from([...integer(1, 8), ...message(7, graph), ...message(8, integer(2, 17))]);
}

/**
 * A model that tiles its float input `x` of shape [rows, size] to [size, size] and multiplies
 * it by a [size, size] weight `layers` times: as slow as `layers` and `size` make it, from a
 * small inline input. Output `y` is [size, size].
 */
export function slowModel(size, layers, rows = 8) {
  const dims = [size, size];
  const repeats = message(5, [
    ...integer(1, 2), ...integer(2, INT64), ...message(7, [size / rows, 1].flatMap(varint)), ...text(8, 'repeats'),
  ]);
  // Small weights of a fixed pseudo-random pattern: nothing tract can fold away.
  const values = new Float32Array(size * size);
  let state = 1;
  for (let i = 0; i < values.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    values[i] = (state / 2147483648 - 0.5) / size;
  }
  const weight = message(5, [
    ...integer(1, size), ...integer(1, size), ...integer(2, FLOAT), ...text(8, 'w'),
    ...message(9, [...new Uint8Array(values.buffer)]),
  ]);
  const nodes = [message(1, [...text(1, 'x'), ...text(1, 'repeats'), ...text(2, 'h0'), ...text(4, 'Tile')])];
  for (let i = 0; i < layers; i++) {
    const out = i === layers - 1 ? 'y' : `h${i + 1}`;
    nodes.push(message(1, [...text(1, `h${i}`), ...text(1, 'w'), ...text(2, out), ...text(4, 'MatMul')]));
  }
  const graph = [...nodes.flat(), ...text(2, 'slow'), ...repeats, ...weight, ...floatTensor(11, 'x', [rows, size]), ...floatTensor(12, 'y', dims)];
  return Buffer.from([...integer(1, 8), ...message(7, graph), ...message(8, integer(2, 17))]);
}
