// Job throughput on `--dev`: how many jobs the chain takes in and settles per block, and
// which limit binds. Starts the real node, makes five accounts workers (their worker keys go
// into the node's keystore through `author_insertKey`), registers the MLP fixture, then has
// two requesters (Bob and Bob//stash) submit a stream of jobs as fast as the pool takes them. Prints per-block
// counts and the block weight used, and a JSON summary on the last line.
//
// Usage: node load/jobs-load.mjs [jobs=200]   (from tests/, after scripts/build.sh)
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { startNode, sleep } from '../lib/node.mjs';
import { registerWorker } from '../../client/lib/jobs.mjs';
import { fixture, storeAndRegister, inlineInput } from '../lib/jobs.mjs';

const TOTAL = Number(process.argv[2] ?? 200);
await cryptoWaitReady();
const keyring = new Keyring({ type: 'sr25519' });
const k = (n) => keyring.addFromUri(`//${n}`);
const node = await startNode('jobs-load', ['--dev'], { timeoutMs: 120_000 });
const { api } = node;
try {
  const capacity = api.consts.jobs.maxCapacity.toNumber();
  const stake = api.consts.jobs.minStake.toBigInt();
  // Alice is a worker from genesis; four more, each signing with its own key.
  for (const name of ['Charlie', 'Dave', 'Eve', 'Ferdie']) {
    const pair = k(name);
    await api.rpc.author.insertKey('mwrk', `//${name}`, u8aToHex(pair.publicKey));
    await registerWorker(api, pair, { keyPair: pair, stake, capacity });
  }
  const mlp = fixture('mlp');
  const model = await storeAndRegister(api, k('Alice'), 'mlp', mlp, { precision: 4 });
  const input = { Inline: inlineInput(mlp.input) };
  const fee = 1_000_000_000n;

  const perBlock = new Map();
  const bump = (n, key) => {
    const row = perBlock.get(n) ?? { submitted: 0, settled: 0, failed: 0, weight: 0 };
    row[key] += 1;
    perBlock.set(n, row);
  };
  const maxWeight = api.consts.system.blockWeights.maxBlock.refTime.toBigInt();
  let settled = 0;
  let failed = 0;
  const unsub = await api.rpc.chain.subscribeNewHeads(async (header) => {
    const n = header.number.toNumber();
    const at = await api.at(header.hash);
    const [events, weight] = await Promise.all([at.query.system.events(), at.query.system.blockWeight()]);
    for (const { event } of events) {
      if (api.events.jobs.JobSubmitted.is(event)) bump(n, 'submitted');
      if (api.events.jobs.JobSettled.is(event)) { bump(n, 'settled'); settled += 1; }
      if (api.events.jobs.JobFailed.is(event)) { bump(n, 'failed'); failed += 1; }
    }
    const used = weight.normal.refTime.toBigInt() + weight.operational.refTime.toBigInt() + weight.mandatory.refTime.toBigInt();
    const row = perBlock.get(n) ?? { submitted: 0, settled: 0, failed: 0, weight: 0 };
    row.weight = Number((used * 10000n) / maxWeight) / 100;
    perBlock.set(n, row);
  });

  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  // Requesters that are not workers, so their nonces never race a worker's off-chain worker.
  const requesters = [k('Bob'), k('Bob//stash')].map((pair) => ({ pair, nonce: null }));
  for (const r of requesters) r.nonce = (await api.rpc.system.accountNextIndex(r.pair.address)).toNumber();
  const deadline = start + 400;
  const sends = [];
  for (let i = 0; i < TOTAL; i += 1) {
    const r = requesters[i % requesters.length];
    const tx = api.tx.jobs.submitJob(model, 1, 'Inference', input, 1, fee, deadline);
    sends.push(tx.signAndSend(r.pair, { nonce: r.nonce }).catch((e) => console.error(`submit ${i}: ${e.message}`)));
    r.nonce += 1;
  }
  await Promise.all(sends);
  const began = Date.now();
  while (settled + failed < TOTAL && Date.now() - began < 30 * 60_000) await sleep(1000);
  unsub();
  const rows = [...perBlock.entries()].sort(([a], [b]) => a - b).filter(([n]) => n > start);
  for (const [n, row] of rows) console.log(`#${n}\tsubmitted ${row.submitted}\tsettled ${row.settled}\tfailed ${row.failed}\tweight ${row.weight}%`);
  const busy = rows.filter(([, r]) => r.submitted + r.settled > 0);
  const maxSubmitted = Math.max(...rows.map(([, r]) => r.submitted));
  const maxSettled = Math.max(...rows.map(([, r]) => r.settled));
  const maxWeightPct = Math.max(...rows.map(([, r]) => r.weight));
  const first = busy[0]?.[0] ?? start;
  const last = busy[busy.length - 1]?.[0] ?? start;
  console.log(JSON.stringify({
    jobs: TOTAL, settled, failed, workers: 5, capacity,
    blocks: last - first + 1, max_submitted_per_block: maxSubmitted, max_settled_per_block: maxSettled,
    max_block_weight_pct: maxWeightPct, settled_per_block_avg: +(settled / (last - first + 1)).toFixed(2),
  }));
} finally {
  await node.stop();
}
