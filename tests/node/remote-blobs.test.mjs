// Remote blobs on `--dev`: blobs registered by URI (served by a local HTTP server) are
// jobs' inputs. Alice's off-chain worker fetches each when its job needs it: bytes that
// match the claimed hash are kept in the node's blob files and the job settles;
// bytes that do not are refused, nothing is kept, and the job fails with code 16 (remote
// blob rejected) and is refunded but the protocol fee; a download that fails is retried; a
// server that never answers makes the worker abstain in time, never miss its commitment, holds
// no other job (downloads are the node's), and costs its registrant the URI's bond.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Keyring } from '@polkadot/keyring';
import { WsProvider } from '@polkadot/api';
import { cryptoWaitReady, blake2AsU8a } from '@polkadot/util-crypto';
import { u8aToHex, hexToU8a, stringToU8a } from '@polkadot/util';
import { startNode, waitFor } from '../lib/node.mjs';
import { send } from '../../client/lib/tx.mjs';
import { submitJob } from '../../client/lib/jobs.mjs';
import { inlineTensors } from '../../client/lib/tensors.mjs';
import { fixture, storeAndRegister, quantize, waitForJobEnd } from '../lib/jobs.mjs';

const PRECISION = 4;
let node;
let provider;
let server;
let port;
let alice;
let bob;
const served = {}; // path -> { bodies: [status, bytes][], requests }

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  server = createServer((req, res) => {
    const route = served[req.url];
    if (!route) { res.writeHead(404).end(); return; }
    if (route.hang) { route.requests += 1; return; } // never answers
    const [status, body] = route.bodies[Math.min(route.requests, route.bodies.length - 1)];
    route.requests += 1;
    res.writeHead(status, { 'content-length': body.length }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
  node = await startNode('remote-blobs', ['--dev']);
  provider = new WsProvider(`ws://127.0.0.1:${node.rpcPort}`);
  await provider.isReady;
});

after(async () => {
  await provider?.disconnect();
  await node?.stop();
  server?.close();
});

/** Registers `claimed` by URI, served at `path` as the given responses in turn. */
async function registerRemote(path, claimed, ...bodies) {
  served[path] = { bodies, requests: 0 };
  const hash = u8aToHex(blake2AsU8a(claimed, 256));
  await send(node.api.tx.blobs.registerUri(hash, claimed.length, `http://127.0.0.1:${port}${path}`), bob);
  return hash;
}

/** Submits a job on `model` with remote input `hash`; resolves once submitted, with `ended`, a promise of its record. */
async function startJob(model, hash) {
  const { api } = node;
  const { id } = await submitJob(api, bob, {
    model, version: 1, input: { Blob: { hash, format: 'Json' } }, replication: 1, fee: 1_000_000_000n, deadlineBlocks: 40,
  });
  return { ended: waitForJobEnd(api, id, 120_000).then(({ job }) => job) };
}

const runJob = async (model, hash) => (await startJob(model, hash)).ended;

const localBlob = (hash) => provider.send('mosaic_blob', [hash]);

test('remote inputs are fetched and checked by the worker that needs them', async () => {
  const { api } = node;
  const mlp = fixture('mlp');
  const model = await storeAndRegister(api, alice, 'mlp-remote', mlp, { precision: PRECISION, tolerance: 1 });
  const input = stringToU8a(JSON.stringify({ inputs: mlp.input }));

  // The bytes match: the job settles with onnxruntime's output, the blob is now local.
  const good = await registerRemote('/good.json', input, [200, input]);
  assert.ok((await api.query.blobs.blobs(good)).unwrap().status.isRemote);
  await assert.rejects(localBlob(good), (e) => e.message.startsWith('4001:'));
  const settled = await runJob(model, good);
  assert.ok(settled.status.isSettled, `status ${settled.status.type}`);
  const expected = mlp.output[0].data.map((x) => quantize(x, PRECISION));
  settled.result.unwrap().outcome.asOutputs[0].elements
    .forEach((v, i) => assert.ok(Math.abs(v.toNumber() - expected[i]) <= 1, `output ${i}`));
  assert.deepEqual(hexToU8a((await localBlob(good)).data), input, 'kept in the blob files');
  assert.equal(served['/good.json'].requests, 1, 'fetched once');

  // Same length, other bytes: refused, never kept; the job fails with code 16.
  const claimed = new Uint8Array([...input, 0x20]);
  const tampered = new Uint8Array([...input, 0x0a]);
  const bad = await registerRemote('/tampered.json', claimed, [200, tampered]);
  const failed = await runJob(model, bad);
  assert.ok(failed.status.isFailed, `status ${failed.status.type}`);
  const reason = failed.status.asFailed;
  assert.ok(reason.isExecutor && reason.asExecutor.code.toNumber() === 16 && reason.asExecutor.modelFault.isFalse,
    `reason ${reason.toString()}`);
  await assert.rejects(localBlob(bad), (e) => e.message.startsWith('4001:'));

  // A failed download is retried in a later block.
  const flakyBytes = new Uint8Array([...input, 0x20, 0x20]);
  const flaky = await registerRemote('/flaky.json', flakyBytes, [503, new Uint8Array(0)], [200, flakyBytes]);
  const retried = await runJob(model, flaky);
  assert.ok(retried.status.isSettled, `status ${retried.status.type}`);
  assert.ok(served['/flaky.json'].requests >= 2, 'retried after the 503');
});

test('a URI that never answers makes the worker abstain in time, never miss, and pays it the bond', async () => {
  const { api } = node;
  const mlp = fixture('mlp');
  const model = await storeAndRegister(api, alice, 'mlp-hang', mlp, { precision: PRECISION, tolerance: 1 });
  const input = stringToU8a(JSON.stringify({ inputs: mlp.input, hang: true }));
  served['/hang.json'] = { hang: true, bodies: [], requests: 0 };
  const hash = u8aToHex(blake2AsU8a(input, 256));
  await send(api.tx.blobs.registerUri(hash, input.length, `http://127.0.0.1:${port}/hang.json`), bob);
  const registered = (await api.query.blobs.blobs(hash)).unwrap();
  // And one whose URI answers 404, at the same time.
  const gone = stringToU8a(JSON.stringify({ inputs: mlp.input, gone: true }));
  const goneHash = u8aToHex(blake2AsU8a(gone, 256));
  await send(api.tx.blobs.registerUri(goneHash, gone.length, `http://127.0.0.1:${port}/gone.json`), bob);
  const before = (await api.query.jobs.workers(alice.address)).unwrap();
  const hanging = (await startJob(model, hash)).ended;
  const missing = (await startJob(model, goneHash)).ended;
  // While the download hangs, another job reaches Alice: the worker must not wait for it.
  await waitFor(() => served['/hang.json'].requests >= 1, 60_000, 'the download to start');
  const blocks = {};
  const unsubscribe = await api.query.system.events(async (events) => {
    const number = (await api.rpc.chain.getHeader()).number.toNumber();
    for (const { event } of events) {
      if (api.events.jobs.JobAssigned.is(event) || api.events.jobs.Committed.is(event)) {
        blocks[`${event.method} ${event.data.job.toNumber()}`] ??= number;
      }
    }
  });
  const { id: other } = await submitJob(api, bob, {
    model, version: 1, input: { Inline: inlineTensors(mlp.input) }, replication: 1, fee: 1_000_000_000n, deadlineBlocks: 40,
  });
  const otherEnd = await waitForJobEnd(api, other, 120_000);
  unsubscribe();
  assert.ok(otherEnd.job.status.isSettled, `other job ${otherEnd.job.status.toString()}`);
  const waited = blocks[`Committed ${other}`] - blocks[`JobAssigned ${other}`];
  console.log('the other job committed', waited, 'blocks after its assignment');
  assert.ok(waited <= 2, `the other job waited ${waited} blocks for a download it does not need`);
  const job = await hanging;
  assert.ok(job.status.isFailed && job.status.asFailed.isNoQuorum, `status ${job.status.toString()}`);
  // Bob's URI never served: his bond went to Alice, and her abstention is not held against her.
  const bond = api.consts.blobs.uriBond.toBigInt();
  const blob = (await api.query.blobs.blobs(hash)).unwrap();
  assert.equal(blob.deposit.toBigInt(), registered.deposit.toBigInt() - bond, 'the bond was taken');
  assert.ok((await api.query.jobs.abstentions(alice.address)).isNone, 'Alice counted an abstention');
  const notFound = await missing;
  assert.ok(notFound.status.isFailed && notFound.status.asFailed.isNoQuorum, `404: ${notFound.status.toString()}`);
  assert.equal((await api.query.blobs.blobs(goneHash)).unwrap().deposit.toBigInt(), registered.deposit.toBigInt() - bond);
  const after = (await api.query.jobs.workers(alice.address)).unwrap();
  assert.equal(after.missed.toNumber(), 0, 'Alice missed her commitment');
  assert.equal(after.stake.toBigInt(), before.stake.toBigInt(), 'Alice was slashed');
});
