// Blobs and the model registry on `--dev`: a real ONNX model of a few hundred KiB is
// uploaded in chunks through @polkadot/api, sealed against its declared hash, read back by
// hash from the running node's off-chain database (where off-chain indexing put it), and
// registered as a model whose version references the blob.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex, hexToU8a, stringToU8a, u8aConcat } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode } from '../lib/node.mjs';
import { send } from '../../client/lib/tx.mjs';
import { chunksOf } from '../../client/lib/blobs.mjs';
import { modelSpec } from '../../client/lib/models.mjs';
import { parseTensorSchemas } from '../../client/lib/tensors.mjs';

const FIXTURES = process.env.MOSAIC_FIXTURES ?? join(process.env.HOME, '.cache/mosaic/onnx-fixtures');

let node;
let alice;
let modelHash;

before(async () => {
  await cryptoWaitReady();
  alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  node = await startNode('blobs', ['--dev']);
});

after(async () => {
  await node?.stop();
});

test('a model uploaded in chunks is sealed and served from the off-chain database', async () => {
  const { api } = node;
  const model = readFileSync(join(FIXTURES, 'models/big_cnn/model.onnx'));
  assert.ok(model.length > 200 * 1024, `model is ${model.length} bytes`);
  const hash = blake2AsU8a(model, 256);
  modelHash = u8aToHex(hash);
  const chunkSize = api.consts.blobs.maxChunkSize.toNumber();
  const chunks = chunksOf(model, chunkSize);
  assert.ok(chunks.length >= 2, `${chunks.length} chunks of ${chunkSize} bytes`);

  const freeBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();
  await send(api.tx.blobs.beginUpload(u8aToHex(hash), model.length), alice);
  const held = (await api.query.system.account(alice.address)).data.reserved.toBigInt();
  assert.ok(held > 0n, 'the deposit is held');

  // All chunks go out at once with consecutive nonces; the pool applies them in order.
  const first = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  await Promise.all(chunks.map((chunk, index) =>
    send(api.tx.blobs.uploadChunk(u8aToHex(hash), index, u8aToHex(chunk)), alice, { nonce: first + index })));
  const { events } = await send(api.tx.blobs.sealUpload(u8aToHex(hash)), alice);
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

test('the uploaded model is registered with its schema and holds a reference to its blob', async () => {
  const { api } = node;
  assert.ok(modelHash, 'the upload test ran first');
  const spec = modelSpec({
    blob: modelHash,
    inputs: parseTensorSchemas('image:f32:1x3x128x128'),
    outputs: parseTensorSchemas('logits:f32:1x10'),
    precision: 4,
    royalty: 10, // percent
  });
  const id = (await api.query.models.nextModelId()).toNumber();
  const { events } = await send(api.tx.models.registerModel('big-cnn', 'A compute-bound test CNN', 'Apache-2.0', spec), alice);
  const registered = events.find(({ event }) => api.events.models.ModelRegistered.is(event));
  assert.ok(registered, 'ModelRegistered emitted');
  assert.equal(registered.event.data.model.toNumber(), id);
  assert.ok(events.some(({ event }) => api.events.models.VersionPublished.is(event)), 'VersionPublished emitted');

  const info = (await api.query.models.models(id)).unwrap();
  assert.equal(info.owner.toString(), alice.address);
  assert.equal(info.name.toUtf8(), 'big-cnn');
  assert.equal(info.versionCount.toNumber(), 1);
  const version = (await api.query.models.versions(id, 1)).unwrap();
  assert.equal(version.spec.blob.toHex(), modelHash);
  assert.equal(version.spec.inputs[0].name.toUtf8(), 'image');
  assert.ok(version.status.isActive, `status ${version.status.type}`);
  const blob = (await api.query.blobs.blobs(modelHash)).unwrap();
  assert.equal(blob.refs.toNumber(), 1, 'the version holds a reference to its blob');

  // A referenced blob cannot be removed.
  await assert.rejects(send(api.tx.blobs.remove(modelHash), alice), /blobs\.InUse/);
});

test('a store front-run through the pool takes nothing: the registration is its sender\'s', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519' });
  const [bob, eve] = [keyring.addFromUri('//Bob'), keyring.addFromUri('//Eve')];
  const bytes = stringToU8a(`Bob's model, ${Date.now()}`);
  const hash = u8aToHex(blake2AsU8a(bytes, 256));
  const spec = modelSpec({
    blob: hash, inputs: parseTensorSchemas('x:f32:2'), outputs: parseTensorSchemas('y:f32:2'), precision: 3,
  });
  // Eve gets a store of Bob's bytes in ahead of his own store and registration (sent
  // together, with consecutive nonces): in the pool first, and with a tip, as a front-runner
  // who saw his transactions would send it.
  let ready;
  const inPool = new Promise((resolve) => { ready = resolve; });
  const eveStore = new Promise((resolve, reject) => {
    api.tx.blobs.store(u8aToHex(bytes)).signAndSend(eve, { tip: 10n ** 10n, era: 0 }, ({ status, dispatchError }) => {
      if (status.isReady || status.isInBlock) ready();
      if (dispatchError) reject(new Error(dispatchError.toString()));
      else if (status.isInBlock) resolve();
    }).catch(reject);
  });
  await inPool;
  const nonce = (await api.rpc.system.accountNextIndex(bob.address)).toNumber();
  const id = (await api.query.models.nextModelId()).toNumber();
  const [store, register] = await Promise.allSettled([
    send(api.tx.blobs.store(u8aToHex(bytes)), bob, { nonce }),
    send(api.tx.models.registerModel('bobs-model', 'front-run', 'MIT', spec), bob, { nonce: nonce + 1 }),
    eveStore,
  ]);
  assert.equal(store.status, 'rejected');
  assert.match(store.reason.message, /blobs\.AlreadyExists/, 'Eve stored the bytes first');
  assert.equal(register.status, 'fulfilled', `Bob's registration: ${register.reason?.message}`);

  // The model is Bob's, and so is the blob now, with its deposit; Eve's deposit came back.
  assert.equal((await api.query.models.models(id)).unwrap().owner.toString(), bob.address);
  const blob = (await api.query.blobs.blobs(hash)).unwrap();
  assert.equal(blob.owner.toString(), bob.address);
  assert.ok(register.value.events.some(({ event }) => api.events.blobs.BlobAdopted.is(event)
    && event.data.previousOwner.toString() === eve.address), 'Bob took the blob over from Eve');
  const eveHolds = (await api.query.balances.holds(eve.address)).filter((h) => h.id.isBlobs);
  assert.equal(eveHolds.length, 0, 'Eve holds no blob deposit');
});
