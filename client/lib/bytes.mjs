// Bytes as the chain's extrinsics take them. Node's Buffer does the work, so this module needs
// no @polkadot package (see chain.mjs for why that matters).

/** `bytes` as 0x-prefixed lower-case hex. */
export function toHex(bytes) {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** Whether `text` is a 32-byte hash in hex (0x and 64 hex digits). */
export function isHash(text) {
  return typeof text === 'string' && /^0x[0-9a-fA-F]{64}$/.test(text);
}
