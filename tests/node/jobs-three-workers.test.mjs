// Three validator-workers (Alice, Bob, Charlie) on one network, k = 3. Charlie's node runs
// with --test-only-dishonest-worker, so its worker reports outputs one quantisation step off.
// The job settles with the honest result; Charlie is slashed; Alice and Bob are paid.
// Then Bob's node is killed (SIGKILL) at each point of a job's life, as if in the middle of an
// off-chain worker run (its worker lock taken), and restarted on its base path: Bob finishes
// every job (the liar leaves no quorum without Bob) and loses nothing.
// Last, a remote blob only one node can download reaches the other two from it, peer to peer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import { u8aToHex, stringToHex, stringToU8a, u8aConcat, bnToU8a } from '@polkadot/util';
import { startNode, waitFor, rpcCall, closeServer } from '../lib/node.mjs';
import { validatorSpec } from '../lib/spec.mjs';
import { FIXTURES, fixture, storeAndRegister, submitJob, waitForJobEnd, jobEvents, quantize } from '../lib/jobs.mjs';
import { send } from '../../client/lib/tx.mjs';
import { submitJob as submitAnyJob } from '../../client/lib/jobs.mjs';

const PRECISION = 4;
const FEE = 1_000_000_000n;
const nodes = {};
let keys;
let specDir;
let bobArgs;
let model;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  keys = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave'].map((n) => [n, keyring.addFromUri(`//${n}`)]));
  const { path: spec, dir } = validatorSpec(['Alice', 'Bob', 'Charlie'], 'mosaic_three_workers');
  specDir = dir;
  const nodeKey = () => ['--node-key', randomBytes(32).toString('hex')];
  nodes.alice = await startNode('alice', ['--chain', spec, '--alice', '--validator', ...nodeKey()]);
  const peerId = (await nodes.alice.api.rpc.system.localPeerId()).toString();
  const bootnode = ['--bootnodes', `/ip4/127.0.0.1/tcp/${nodes.alice.p2pPort}/p2p/${peerId}`];
  bobArgs = ['--chain', spec, '--bob', '--validator', ...nodeKey(), ...bootnode];
  nodes.bob = await startNode('bob', bobArgs);
  nodes.charlie = await startNode('charlie',
    ['--chain', spec, '--charlie', '--validator', '--test-only-dishonest-worker', ...nodeKey(), ...bootnode]);
});

after(async () => {
  await Promise.all(Object.values(nodes).map((n) => n.stop()));
  if (specDir) rmSync(specDir, { recursive: true, force: true });
});

/** Asserts that `result`'s logits are onnxruntime's for `cnn`, quantised, within one step. */
function assertHonestLogits(result, cnn) {
  const got = result.outcome.asOutputs[0].elements.map((v) => v.toNumber());
  const expected = cnn.output[0].data.map((x) => quantize(x, PRECISION));
  got.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) <= 1, `logit ${i}: ${value} vs ${expected[i]}`));
}

test('the liar is slashed and the two honest workers are paid', async () => {
  const { api } = nodes.alice;
  await waitFor(async () => (await api.rpc.system.health()).peers.toNumber() >= 2, 60_000, 'two peers');
  const cnn = fixture('cnn');
  model = await storeAndRegister(api, keys.Dave, 'cnn', cnn, { precision: PRECISION });
  const stakeBefore = (await api.query.jobs.workers(keys.Charlie.address)).unwrap().stake.toBigInt();
  const fee = FEE;

  const submitted = await submitJob(api, keys.Dave, model, cnn.input, 3, fee, 100);
  const ended = await waitForJobEnd(api, submitted.id, 240_000);
  const blocks = ended.block - submitted.block;
  const seconds = (ended.at - submitted.at) / 1000;
  console.log(`MEASURE three nodes k=3: settled ${blocks} blocks, ${seconds.toFixed(1)} s after the submission's block`);
  assert.ok(ended.job.status.isSettled, `status ${ended.job.status.type}`);
  const assigned = ended.job.assignees.map((a) => a.worker.toString()).sort();
  assert.deepEqual(assigned, [keys.Alice.address, keys.Bob.address, keys.Charlie.address].sort());

  const result = ended.job.result.unwrap();
  assert.equal(result.agreeing.toNumber(), 2);
  assertHonestLogits(result, cnn);

  const hash = await api.rpc.chain.getBlockHash(ended.block);
  const events = await jobEvents(api, hash);
  const paid = events.filter((e) => api.events.jobs.WorkerPaid.is(e)).map((e) => e.data.worker.toString()).sort();
  assert.deepEqual(paid, [keys.Alice.address, keys.Bob.address].sort());
  const slashed = events.find((e) => api.events.jobs.WorkerSlashed.is(e));
  assert.ok(slashed, `events: ${events.map((e) => e.method).join(', ')}`);
  assert.equal(slashed.data.worker.toString(), keys.Charlie.address);
  assert.ok(slashed.data.reason.isDissent);
  // A dissent costs the base slash plus the fee the liar tried to earn.
  const dissentSlash = api.consts.jobs.dissentSlash.toBigInt() + fee;
  assert.equal(slashed.data.amount.toBigInt(), dissentSlash);
  const stakeAfter = (await api.query.jobs.workers(keys.Charlie.address)).unwrap().stake.toBigInt();
  assert.equal(stakeBefore - stakeAfter, dissentSlash);
});

/** Whether Alice's pool holds Bob's `method` call (`commit`, `open`, `reveal`) for job `id`. */
async function bobSent(method, id) {
  const pending = await nodes.alice.api.rpc.author.pendingExtrinsics();
  return pending.some((xt) => xt.signer.toString() === keys.Bob.address
    && xt.method.section === 'jobs' && xt.method.method === method
    && xt.method.args[0].toNumber() === id);
}

/** Whether job `id` has ended (its commitments, openings and reveals are gone then). */
async function ended(api, id) {
  const job = await api.query.jobs.jobs(id);
  return job.isSome && (job.unwrap().status.isSettled || job.unwrap().status.isFailed);
}

// Each point of a job's life at which Bob's node dies: what must have happened by then, read
// from Alice's node. A transaction "sent" may already be on chain by the time this looks, and
// the job may have ended with it: a block Bob authors carries his own transaction without its
// ever reaching Alice's pool, and the last reveal settles the job and clears the reveals.
const KILL_POINTS = {
  'after its assignment': async (api, id) => {
    const job = await api.query.jobs.jobs(id);
    return job.isSome && job.unwrap().assignees.some((a) => a.worker.toString() === keys.Bob.address);
  },
  'after its commitment is sent': async (api, id) =>
    await bobSent('commit', id) || (await api.query.jobs.commitments(id, keys.Bob.address)).isSome,
  'after its commitment is included': async (api, id) =>
    (await api.query.jobs.commitments(id, keys.Bob.address)).isSome,
  'after its opening is sent': async (api, id) =>
    await bobSent('open', id) || (await api.query.jobs.openings(id, keys.Bob.address)).isSome
      || ended(api, id),
  'after its reveal is sent': async (api, id) =>
    await bobSent('reveal', id) || (await api.query.jobs.reveals(id, keys.Bob.address)).isSome
      || ended(api, id),
};

/** Takes Bob's worker lock on his node as an off-chain worker run does (SCALE `RunDeadline`:
 * the node's current start, and a deadline an hour away): killed next, the node dies as if in
 * the middle of a run (a kill otherwise lands between runs more often than in one). The
 * restarted node must not wait for its own dead run. */
async function takeBobsLock() {
  const { api } = nodes.bob;
  const start = await api.rpc.offchain.localStorageGet('PERSISTENT', stringToHex('mosaic/node/start'));
  assert.ok(start.isSome, 'the node marked its start');
  const key = u8aConcat(stringToU8a('mosaic/jobs/lock/'), decodeAddress(keys.Bob.address));
  const deadline = u8aConcat(
    api.createType('Option<Bytes>', start.unwrap()).toU8a(),
    bnToU8a(BigInt(Date.now() + 3_600_000), { bitLength: 64, isLe: true }),
  );
  await api.rpc.offchain.localStorageSet('PERSISTENT', u8aToHex(key), u8aToHex(deadline));
}

test('a worker node killed at any point of a job and restarted finishes it, slashed for nothing', async () => {
  const { api } = nodes.alice;
  const cnn = fixture('cnn');
  const before = (await api.query.jobs.workers(keys.Bob.address)).unwrap();
  for (const [point, reached] of Object.entries(KILL_POINTS)) {
    await waitFor(async () => (await api.rpc.system.health()).peers.toNumber() >= 2, 60_000, 'two peers');
    const submitted = await submitJob(api, keys.Dave, model, cnn.input, 3, FEE, 100);
    await waitFor(() => reached(api, submitted.id), 120_000, `job ${submitted.id}: Bob ${point}`);
    const { basePath } = nodes.bob;
    await takeBobsLock();
    await nodes.bob.kill();
    nodes.bob = await startNode('bob', bobArgs, { basePath });
    const ended = await waitForJobEnd(api, submitted.id, 240_000);
    console.log(`MEASURE Bob killed ${point}: job ${submitted.id} ${ended.job.status.type} `
      + `${ended.block - submitted.block} blocks after its submission`);
    assert.ok(ended.job.status.isSettled, `killed ${point}: status ${ended.job.status.type}`);
    assert.equal(ended.job.result.unwrap().agreeing.toNumber(), 2, `killed ${point}`);
    const events = await jobEvents(api, await api.rpc.chain.getBlockHash(ended.block));
    const paid = events.filter((e) => api.events.jobs.WorkerPaid.is(e)).map((e) => e.data.worker.toString());
    assert.ok(paid.includes(keys.Bob.address), `killed ${point}: Bob not paid`);
  }
  const after = (await api.query.jobs.workers(keys.Bob.address)).unwrap();
  assert.equal(after.stake.toBigInt(), before.stake.toBigInt(), 'Bob was slashed');
  assert.equal(after.missed.toNumber(), 0);
  assert.ok(after.status.isActive, `Bob is ${after.status.type}`);
});

/** Waits until each node has both others as peers and is at the head: Bob, restarted by the
 * test before, must be back on the network before jobs that need all three are drawn. */
async function allInStep() {
  await waitFor(async () => {
    const states = await Promise.all(['alice', 'bob', 'charlie'].map(async (name) => {
      const { api } = nodes[name];
      const health = await api.rpc.system.health();
      const best = (await api.rpc.chain.getHeader()).number.toNumber();
      return { peers: health.peers.toNumber(), syncing: health.isSyncing.isTrue, best };
    }));
    const head = Math.max(...states.map((s) => s.best));
    return states.every((s) => s.peers >= 2 && !s.syncing && s.best >= head - 1);
  }, 120_000, 'the three nodes connected and at the head');
}

/** Registers `bytes` by `uri` for Dave; returns their blake2-256 hash. */
async function registerUri(api, bytes, uri) {
  const hash = u8aToHex(blake2AsU8a(bytes, 256));
  await send(api.tx.blobs.registerUri(hash, bytes.length, uri), keys.Dave);
  return hash;
}

/** Submits Dave's job on `model` with `replication` workers on the JSON blob `hash`; returns
 * its id and the number of the block that included it. */
async function submitOnBlob(api, hash, replication) {
  const { id, blockHash } = await submitAnyJob(api, keys.Dave, {
    model, version: 1, input: { Blob: { hash, format: 'Json' } }, replication, fee: FEE, deadlineBlocks: 100,
  });
  return { id, block: (await api.rpc.chain.getHeader(blockHash)).number.toNumber() };
}

/** Starts `server` on a free local port as every node's IPFS gateway, at `/<node name>/`, so
 * that it knows which node asks. */
async function serveAsGateways(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  for (const name of ['alice', 'bob', 'charlie']) {
    await nodes[name].api.rpc.offchain.localStorageSet('PERSISTENT',
      stringToHex('mosaic/blobs/ipfs-gateway'), stringToHex(`http://127.0.0.1:${port}/${name}/`));
  }
}

test('a server that gives one worker wrong bytes, 404s or hangs gets nobody slashed', async () => {
  await allInStep();
  const { api } = nodes.alice;
  const cnn = fixture('cnn');
  model ??= await storeAndRegister(api, keys.Dave, 'cnn', cnn, { precision: PRECISION });
  // Each node fetches `ipfs://` through its own gateway, so the server knows who asks:
  // Charlie gets bytes of the right length that are not the blob. (Charlie's test-only
  // dishonesty alters the outputs of runs; a rejected input is no run.) Nodes ask their peers
  // before the URI: Alice and Bob get the input 4 s late, so that none holds it while
  // Charlie asks and Charlie's download is the server's wrong bytes.
  const input = readFileSync(join(FIXTURES, 'models/cnn/input.json'));
  const wrong = Buffer.from(input).fill(0x20, input.length - 2, input.length - 1);
  const asked = {};
  const server = createServer((req, res) => {
    const [, node, cid] = req.url.split('/');
    asked[`${node} ${cid}`] = (asked[`${node} ${cid}`] ?? 0) + 1;
    if (cid === 'missing') { res.writeHead(404).end(); return; }
    if (cid === 'hang') return; // never answers
    if (node === 'charlie') { res.writeHead(200, { 'content-length': input.length }).end(wrong); return; }
    setTimeout(() => res.writeHead(200, { 'content-length': input.length }).end(input), 4_000);
  });
  await serveAsGateways(server);
  try {
    // Three jobs at once: the input served (wrong to Charlie), one whose URI answers 404,
    // one whose URI never answers; each claimed blob is distinct.
    const uris = { served: 'ipfs://cnn-input/input.json', missing: 'ipfs://missing/input.json', hang: 'ipfs://hang/input.json' };
    const workers = [keys.Alice, keys.Bob, keys.Charlie].map((k) => k.address);
    const before = await Promise.all(workers.map(async (w) => (await api.query.jobs.workers(w)).unwrap()));
    const jobs = {};
    for (const [i, [kind, uri]] of Object.entries(uris).entries()) {
      const claimed = Buffer.concat([input, Buffer.alloc(i, 0x20)]);
      const hash = await registerUri(api, claimed, uri);
      const { id } = await submitOnBlob(api, hash, 3);
      jobs[kind] = { id };
    }
    const ended = Object.fromEntries(await Promise.all(Object.entries(jobs)
      .map(async ([kind, { id }]) => [kind, await waitForJobEnd(api, id, 300_000)])));
    assert.ok(ended.served.job.status.isSettled, `status ${ended.served.job.status.type}`);
    assert.equal(ended.served.job.result.unwrap().agreeing.toNumber(), 2);
    for (const name of ['alice', 'bob', 'charlie']) {
      for (const cid of ['cnn-input', 'missing', 'hang']) {
        assert.ok(asked[`${name} ${cid}`] >= 1, `requests: ${JSON.stringify(asked)}`);
      }
    }
    const served = await jobEvents(api, await api.rpc.chain.getBlockHash(ended.served.block));
    const paid = served.filter((e) => api.events.jobs.WorkerPaid.is(e)).map((e) => e.data.worker.toString()).sort();
    assert.deepEqual(paid, [keys.Alice.address, keys.Bob.address].sort());
    // Whether the bond was paid (and the abstentions excused) depends on a quorum's reports
    // reaching the chain in time; on a loaded machine that is not always so here (see the
    // note of issue 19). Both are checked on `--dev` (remote-blobs) and in the integration
    // crate.
    for (const kind of ['missing', 'hang']) {
      const { job, block } = ended[kind];
      assert.ok(job.status.isFailed && job.status.asFailed.isNoQuorum, `${kind}: ${job.status.toString()}`);
      // Recorded, not asserted (see above): how often a loaded machine gets the bond paid.
      const events = await jobEvents(api, await api.rpc.chain.getBlockHash(block));
      const bond = events.find((e) => api.events.jobs.UnservedBlobBondPaid.is(e));
      console.log(`MEASURE three nodes, ${kind} URI: bond ${bond ? `paid to ${bond.data.workers.length} workers` : 'not paid'}`);
    }
    for (const { block } of Object.values(ended)) {
      const events = await jobEvents(api, await api.rpc.chain.getBlockHash(block));
      const slashed = events.filter((e) => api.events.jobs.WorkerSlashed.is(e));
      assert.deepEqual(slashed.map((e) => `${e.data.worker} ${e.data.reason}`), [], 'nobody slashed');
    }
    for (const [i, w] of workers.entries()) {
      const after = (await api.query.jobs.workers(w)).unwrap();
      assert.equal(after.stake.toBigInt(), before[i].stake.toBigInt(), `${w} was slashed`);
      assert.equal(after.missed.toNumber(), 0, `${w} missed`);
      assert.ok(after.status.isActive, `${w} is ${after.status.type}`);
    }
  } finally {
    await closeServer(server);
  }
});

/** The nodes (`alice`, `bob`, `charlie`) whose `mosaic_blob` serves blob `hash`; each must
 * serve `bytes` or answer 4001 (not held). */
async function holders(hash, bytes) {
  const held = await Promise.all(['alice', 'bob', 'charlie'].map(async (name) => {
    const { result, error } = await rpcCall(nodes[name].rpcPort, 'mosaic_blob', [hash]);
    if (error?.code === 4001) return null;
    assert.ok(result, `${name}: mosaic_blob ${JSON.stringify(error)}`);
    assert.equal(result.data, u8aToHex(bytes), `${name} serves other bytes`);
    return name;
  }));
  return held.filter((name) => name !== null);
}

test('a remote blob only one node can download reaches the other workers from it, peer to peer', async () => {
  await allInStep();
  const { api } = nodes.alice;
  const cnn = fixture('cnn');
  model ??= await storeAndRegister(api, keys.Dave, 'cnn', cnn, { precision: PRECISION });
  // The fixture's input and a newline: a blob of its own (a hash is registered once, and the
  // test before registered the input with trailing spaces).
  const input = Buffer.concat([readFileSync(join(FIXTURES, 'models/cnn/input.json')), Buffer.from('\n')]);
  // Each node fetches `ipfs://` through its own gateway: the server gives the input to Alice
  // only, so Bob's and Charlie's nodes can get it from no server, only from a peer.
  const asked = {};
  const server = createServer((req, res) => {
    const [, node] = req.url.split('/');
    asked[node] = (asked[node] ?? 0) + 1;
    if (node !== 'alice') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-length': input.length }).end(input);
  });
  await serveAsGateways(server);
  try {
    const hash = await registerUri(api, input, 'ipfs://peer-input/input.json');
    assert.deepEqual(await holders(hash, input), [], 'nobody holds it yet');
    const submitted = await submitOnBlob(api, hash, 3);
    const { job, block } = await waitForJobEnd(api, submitted.id, 300_000);
    assert.ok(job.status.isSettled, `status ${job.status.toString()}`);
    const result = job.result.unwrap();
    assert.equal(result.agreeing.toNumber(), 2, 'Alice and Bob agree (Charlie lies)');
    assertHonestLogits(result, cnn);
    assert.deepEqual(await holders(hash, input), ['alice', 'bob', 'charlie']);
    assert.equal(asked.alice, 1, `requests: ${JSON.stringify(asked)}`);
    console.log(`MEASURE three nodes: a remote blob served to one node reached the other two from it; `
      + `the job settled ${block - submitted.block} blocks after its submission's block; server asked ${JSON.stringify(asked)}`);
  } finally {
    await closeServer(server);
  }
});
