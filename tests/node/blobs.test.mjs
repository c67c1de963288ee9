// Blobs on `--dev`: a real ONNX model of a few hundred KiB is uploaded in chunks through
// @polkadot/api, sealed against its declared hash, and read back by hash from the running
// node's off-chain database, where off-chain indexing put it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex, hexToU8a, stringToU8a, u8aConcat } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode } from '../lib/node.mjs';

const FIXTURES = process.env.MOSAIC_FIXTURES ?? join(process.env.HOME, '.cache/mosaic/onnx-fixtures');

let node;
let alice;

before(async () => {
  await cryptoWaitReady();
  alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  node = await startNode('blobs', ['--dev']);
});

after(async () => {
  await node?.stop();
});

/** Signs and sends `tx` as Alice; resolves with the events once it is in a block. */
function send(api, tx, nonce = -1) {
  return new Promise((resolve, reject) => {
    let unsub;
    tx.signAndSend(alice, { nonce }, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        unsub?.();
        const reason = dispatchError.isModule
          ? (({ section, name }) => `${section}.${name}`)(api.registry.findMetaError(dispatchError.asModule))
          : dispatchError.toString();
        reject(new Error(reason));
      } else if (status.isInBlock) {
        unsub?.();
        resolve({ events, blockHash: status.asInBlock });
      }
    }).then((u) => { unsub = u; }, reject);
  });
}

test('a model uploaded in chunks is sealed and served from the off-chain database', async () => {
  const { api } = node;
  const model = readFileSync(join(FIXTURES, 'models/big_cnn/model.onnx'));
  assert.ok(model.length > 200 * 1024, `model is ${model.length} bytes`);
  const hash = blake2AsU8a(model, 256);
  const chunkSize = api.consts.blobs.maxChunkSize.toNumber();
  const chunks = [];
  for (let offset = 0; offset < model.length; offset += chunkSize) {
    chunks.push(model.subarray(offset, offset + chunkSize));
  }
  assert.ok(chunks.length >= 2, `${chunks.length} chunks of ${chunkSize} bytes`);

  const freeBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();
  await send(api, api.tx.blobs.beginUpload(u8aToHex(hash), model.length));
  const held = (await api.query.system.account(alice.address)).data.reserved.toBigInt();
  assert.ok(held > 0n, 'the deposit is held');

  // All chunks go out at once with consecutive nonces; the pool applies them in order.
  const first = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await Promise.all(chunks.map((chunk, index) =>
    send(api, api.tx.blobs.uploadChunk(u8aToHex(hash), index, u8aToHex(chunk)), first + index)));
  const { events } = await send(api, api.tx.blobs.sealUpload(u8aToHex(hash)));
  assert.ok(events.some(({ event }) => api.events.blobs.BlobSealed.is(event)), 'BlobSealed emitted');

  const info = (await api.query.blobs.blobs(u8aToHex(hash))).unwrap();
  assert.equal(info.byteLen.toNumber(), model.length);
  assert.ok(info.status.isSealed, `status ${info.status.type}`);
  assert.equal(info.owner.toString(), alice.address);
  const freeAfter = (await api.query.system.account(alice.address)).data.free.toBigInt();
  assert.ok(freeBefore - freeAfter >= info.deposit.toBigInt(), 'the deposit left the free balance');

  // The node's off-chain database holds the whole blob under b"mosaic/blob/" ++ hash.
  const key = u8aToHex(u8aConcat(stringToU8a('mosaic/blob/'), hash));
  const stored = await api.rpc.offchain.localStorageGet('PERSISTENT', key);
  assert.ok(stored.isSome, 'blob is in the off-chain database');
  const bytes = hexToU8a(stored.unwrap().toHex());
  assert.equal(bytes.length, model.length);
  assert.equal(u8aToHex(blake2AsU8a(bytes, 256)), u8aToHex(hash), 'bytes hash to the blob hash');
});
