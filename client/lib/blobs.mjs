// The blob store: content hashes, one-shot stores and chunked uploads sealed against their hash.
import { toHex } from './bytes.mjs';
import { send } from './tx.mjs';

/**
 * The blake2-256 hash a blob of `bytes` is stored under, as hex. The registry's hasher is
 * blake2-256 on Mosaic (its runtime hashes with BlakeTwo256), which keeps @polkadot/util-crypto
 * out of this module.
 */
export function blobHash(api, bytes) {
  return api.registry.hash(bytes).toHex();
}

/** `bytes` cut into pieces of at most `size` bytes. */
export function chunksOf(bytes, size) {
  const chunks = [];
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size));
  return chunks;
}

/**
 * Stores `bytes` as a blob of `signer`: in one transaction when they fit in a chunk, else as an
 * upload of chunks sent at once with consecutive nonces (the pool applies them in order), then
 * sealed. `onProgress(done, total)` follows the chunks. Resolves with `{ hash, stored }`;
 * `stored` is false when a sealed blob with that hash was there already, or another account
 * sealed the same bytes while this upload ran (its deposit then comes back). A blob registered
 * by URI under that hash is replaced. Rejects when `signer` has an unfinished upload of it.
 */
export async function storeBlob(api, signer, bytes, { onProgress = () => {} } = {}) {
  const hash = blobHash(api, bytes);
  const existing = await api.query.blobs.blobs(hash);
  if (existing.isSome && existing.unwrap().status.isSealed) return { hash, stored: false };
  if ((await api.query.blobs.uploads(hash, signer.address)).isSome) {
    throw new Error(`you have an unfinished upload of blob ${hash}: abort it first (blobs.abortUpload(hash, you))`);
  }
  const chunkSize = api.consts.blobs.maxChunkSize.toNumber();
  if (bytes.length <= chunkSize) {
    await send(api.tx.blobs.store(toHex(bytes)), signer);
    return { hash, stored: true };
  }
  const chunks = chunksOf(bytes, chunkSize);
  await send(api.tx.blobs.beginUpload(hash, bytes.length), signer);
  let done = 0;
  onProgress(done, chunks.length);
  const first = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
  await Promise.all(chunks.map((chunk, index) =>
    send(api.tx.blobs.uploadChunk(hash, index, toHex(chunk)), signer, { nonce: first + index })
      .then(() => onProgress(++done, chunks.length))));
  const { events } = await send(api.tx.blobs.sealUpload(hash), signer);
  const superseded = events.some(({ event }) => api.events.blobs.UploadSuperseded.is(event));
  return { hash, stored: !superseded };
}
