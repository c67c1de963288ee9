// Federated training rounds on a fresh `--dev` chain, through @polkadot/api and the real
// node binary. Ferdie owns the logistic-regression step graph, with initial parameters, and
// opens version 1 to rounds by others; Eve sponsors a round on it with a public validation
// set and a budget. Bob and Charlie join with public shards (training jobs Alice's node runs
// and the chain verifies); Dave trains on his private shard locally with `mosaic-node onnx
// train`, joins with a commitment to the update only and reveals it once joining has closed.
// The aggregation job checks and combines the updates; the round publishes version 2, whose lineage names version 1 and the round,
// whose parameters classify held-out data far better. The budget paid everyone: Alice's
// fees and Ferdie's royalties through the jobs' escrows, then Ferdie's royalty share and the
// data owners' shares by rows. In a second round, Ferdie's own, Eve's private update is
// poisoned (sign-flipped and scaled), Charlie's public dataset has its labels flipped, and
// Alice joins as Dave's sybil with a near copy of his update declaring u32::MAX rows: the
// check rejects the three, they earn nothing, and the round completes with the others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { hexToU8a } from '@polkadot/util';
import { startNode, runNodeCommand, waitFor } from '../lib/node.mjs';
import { send } from '../../client/lib/tx.mjs';
import { commitUpdate, revealUpdate } from '../../client/lib/rounds.mjs';
import {
  TRAINING, PRECISION, LOGREG, file, decodeTensors, encodeTensors, storeBlob, registerModel, accuracy,
} from '../lib/training.mjs';

const UNIT = 10n ** 12n;
// At least the least fee of a job whose result is parameters (4,096 values at 10 µMSC).
const FEE = 50_000_000_000n;
let node;
let provider;
let keys;
let model; // { step, forward, initial, validation }

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  keys = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie']
    .map((name) => [name.toLowerCase(), keyring.addFromUri(`//${name}`)]));
  node = await startNode('rounds-dev', ['--dev']);
  provider = new WsProvider(`ws://127.0.0.1:${node.rpcPort}`);
  await provider.isReady;

  const { api } = node;
  const { ferdie } = keys;
  const initial = await storeBlob(api, ferdie, file('logreg_init.scale'));
  const step = await registerModel(api, ferdie, 'logreg-step', await storeBlob(api, ferdie, file('logreg_step.onnx')),
    ...LOGREG.step, initial);
  const forward = await registerModel(api, ferdie, 'logreg', await storeBlob(api, ferdie, file('logreg_forward.onnx')),
    ...LOGREG.forward);
  const validation = await storeBlob(api, ferdie, file('validation.scale'));
  model = { step, forward, initial, validation };
});

after(async () => {
  await provider?.disconnect();
  await node?.stop();
});

/** Rows of a SCALE dataset fixture. */
const rows = (api, name) => decodeTensors(api, file(name)).x.shape[0];

/** Trains the base parameters on a private shard with the node's CLI; returns the update. */
function trainLocally(shard) {
  const out = join(mkdtempSync(join(tmpdir(), 'mosaic-private-')), 'update.scale');
  runNodeCommand(['onnx', 'train', '--model', TRAINING + 'logreg_step.onnx', '--params', TRAINING + 'logreg_init.scale',
    '--data', TRAINING + shard, '--epochs', '5', '--batch', '32', '--precision', String(PRECISION), '--out', out]);
  return readFileSync(out);
}

const pending = async (api, who) => (await api.call.rewardsApi.pending(who.address)).toBigInt();

/** `creator` opens a round on version 1; returns its id and the block joining closes after. */
async function openRound(api, creator, { minShards, trim, budget }) {
  const round = (await api.query.rounds.nextRoundId()).toNumber();
  const joinUntil = (await api.rpc.chain.getHeader()).number.toNumber() + 10;
  const settings = {
    epochs: 5, batchSize: 32, clipMilli: 100_000, trim, minShards, replication: 1, feePerWorker: FEE, jobPeriod: 60,
  };
  await send(api.tx.rounds.createRound(model.step, 1, model.validation, settings, budget, joinUntil), creator);
  return { round, joinUntil };
}

/**
 * Waits until joining closed, reveals the private `updates` (`[signer, bytes]`), waits until
 * training ended, aggregates, waits, finalizes; returns the finalize events and the
 * aggregation job's id.
 */
async function runToEnd(api, round, joinUntil, caller, updates = []) {
  await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() > joinUntil,
    240_000, 'joining to close');
  for (const [signer, bytes] of updates) {
    const { events } = await revealUpdate(api, signer, round, bytes);
    assert.ok(events.some(({ event }) => api.events.rounds.UpdateRevealed.is(event)), 'revealed');
  }
  await waitFor(async () => (await api.query.rounds.rounds(round)).unwrap().training.toNumber() === 0,
    240_000, 'the training jobs to end');
  const aggregated = await send(api.tx.rounds.aggregate(round), caller);
  const started = aggregated.events.find(({ event }) => api.events.rounds.AggregationStarted.is(event));
  assert.ok(started, 'aggregation started');
  await waitFor(async () => (await api.query.rounds.rounds(round)).unwrap().status.isAggregated,
    180_000, 'the aggregation job to end');
  const { events } = await send(api.tx.rounds.finalize(round), caller);
  return { events: events.map(({ event }) => event), aggregation: started.event.data.job.toNumber() };
}

/** The ledger's records about `subject`, as `name:Kind:points` (names of the test's keys). */
async function ledger(api, subject) {
  const names = Object.fromEntries(Object.entries(keys).map(([name, who]) => [who.address, name]));
  return (await api.call.attestationsApi.bySubject(subject))
    .map(([, a]) => `${names[a.contributor.toString()] ?? a.contributor}:${a.kind.type}:${a.points.toNumber()}`)
    .sort();
}

test('a three-shard round (two public, one private) publishes a better version and pays everyone', async () => {
  const { api } = node;
  const { alice, bob, charlie, dave, eve, ferdie } = keys;
  const bobData = await storeBlob(api, bob, file('shard_0.scale'));
  const charlieData = await storeBlob(api, charlie, file('shard_1.scale'));
  const daveUpdate = trainLocally('shard_2.scale');
  const shardRows = [rows(api, 'shard_0.scale'), rows(api, 'shard_1.scale'), rows(api, 'shard_2.scale')];
  const before = Object.fromEntries(await Promise.all(
    Object.entries(keys).map(async ([name, who]) => [name, await pending(api, who)])));

  const budget = 3n * UNIT;
  const settings = { minShards: 2, trim: 0, budget };
  await assert.rejects(openRound(api, eve, settings), /BaseNotOpen/, 'only with the owner\'s consent');
  await send(api.tx.rounds.setBaseOpen(model.step, 1, true), ferdie);
  const { round, joinUntil } = await openRound(api, eve, settings);
  const joined = await Promise.all([
    send(api.tx.rounds.joinPublic(round, bobData, shardRows[0]), bob),
    send(api.tx.rounds.joinPublic(round, charlieData, shardRows[1]), charlie),
    commitUpdate(api, dave, round, daveUpdate, shardRows[2]),
  ]);
  const trainingJobs = joined.flatMap(({ events: evs }) => evs.map(({ event }) => event)
    .filter((e) => api.events.rounds.ShardJoined.is(e) && e.data.job.isSome)
    .map((e) => e.data.job.unwrap().toNumber()));
  assert.equal(new Set(trainingJobs).size, 2, 'two public shards, two training jobs');
  const { events, aggregation } = await runToEnd(api, round, joinUntil, dave, [[dave, daveUpdate]]);

  const completed = events.find((e) => api.events.rounds.RoundCompleted.is(e));
  assert.ok(completed, `no RoundCompleted in ${events.map((e) => e.method)}`);
  const version = completed.data.version.toNumber();
  assert.equal(version, 2);
  assert.ok(!events.some((e) => api.events.rounds.UpdateRejected.is(e)), 'every honest update is accepted');

  // Lineage: version 2 derives from version 1 and names the round.
  const entry = (await api.query.models.versions(model.step, version)).unwrap();
  assert.deepEqual(entry.spec.parent.unwrap().map((n) => n.toNumber()), [model.step, 1]);
  assert.equal(entry.round.unwrap().toNumber(), round);
  const parameters = entry.spec.parameters.unwrap().toHex();
  assert.notEqual(parameters, model.initial);

  // The aggregated parameters generalise far better than the base's.
  const test = decodeTensors(api, file('test.scale'));
  const aggregated = decodeTensors(api, hexToU8a((await provider.send('mosaic_blob', [parameters])).data));
  const base = await accuracy(provider, api, model.forward, decodeTensors(api, file('logreg_init.scale')), test);
  const after = await accuracy(provider, api, model.forward, aggregated, test);
  console.log(`MEASURE federated round held-out accuracy: ${base.toFixed(3)} base, ${after.toFixed(3)} after the round`);
  assert.ok(after > 0.9 && after > base + 0.3, `accuracy ${base} -> ${after}`);

  // The budget paid the three jobs' escrows (Alice, the only worker, earned their fees and
  // Ferdie their royalties), then Ferdie's 10 % royalty share of the rest, then the data
  // owners by rows. (Dev eras last ten blocks, so everyone with points also got era shares
  // of the emission on top: at least, not exactly.)
  const compute = completed.data.compute.toBigInt();
  const left = budget - compute;
  const ownerShare = events.find((e) => api.events.rounds.OwnerRewarded.is(e));
  assert.ok(ownerShare, 'the model owner is paid from the budget');
  assert.equal(ownerShare.data.owner.toString(), ferdie.address);
  assert.equal(ownerShare.data.amount.toBigInt(), left / 10n);
  const rewarded = Object.fromEntries(events.filter((e) => api.events.rounds.ShardRewarded.is(e))
    .map((e) => [e.data.owner.toString(), e.data.amount.toBigInt()]));
  const totalRows = BigInt(shardRows.reduce((a, b) => a + b, 0));
  [bob, charlie, dave].forEach((who, i) => {
    assert.equal(rewarded[who.address], (left - left / 10n) * BigInt(shardRows[i]) / totalRows, `share of shard ${i}`);
  });
  assert.equal(completed.data.paid.toBigInt() + completed.data.refunded.toBigInt(), left);
  const gained = async (name) => (await pending(api, keys[name])) - before[name];
  for (const name of ['bob', 'charlie', 'dave']) {
    assert.ok(await gained(name) >= rewarded[keys[name].address], `${name} is owed their share`);
  }
  const royalty = FEE / 10n; // 10 % of each job's fee (k = 1)
  assert.ok(await gained('ferdie') >= 3n * royalty + left / 10n, 'the model owner earned royalties and its share');
  assert.ok(await gained('alice') >= 3n * (FEE - royalty), 'the worker earned the fees');
  assert.ok(compute >= 3n * FEE, 'the budget paid the jobs');
  assert.equal(await gained('eve'), 0n, 'the sponsor pays and earns nothing');
  console.log(`MEASURE federated round budget ${budget}: jobs ${compute}, owner ${left / 10n}, data ${Object.values(rewarded).join(' / ')}`);

  // Nothing stays held for the round.
  for (const who of [bob, charlie, dave, eve, ferdie]) {
    const holds = (await api.query.balances.holds(who.address)).filter((h) => h.id.isRounds);
    assert.equal(holds.length, 0, `no round hold left on ${who.address}`);
  }
  // The ledger records every participant with its weight: the worker's compute and the
  // owner's model for each of the round's jobs, the data by rows and the model for the round.
  for (const job of [...trainingJobs, aggregation]) {
    assert.deepEqual(await ledger(api, { Job: job }), ['alice:Compute:15', 'ferdie:Model:3'], `job ${job}`);
  }
  const dataPoints = shardRows.map((r) => String(Math.max(1, Math.floor(60 * r / Number(totalRows)))));
  assert.deepEqual(await ledger(api, { Round: round }), [
    `bob:Data:${dataPoints[0]}`, `charlie:Data:${dataPoints[1]}`, `dave:Data:${dataPoints[2]}`, 'ferdie:Model:15',
  ].sort());
});

test('poisoned updates, public and private, and a sybil are rejected; the round completes without them', async () => {
  const { api } = node;
  const { alice, bob, charlie, dave, eve } = keys;
  const init = decodeTensors(api, file('logreg_init.scale'));
  /** `update`'s step from the base parameters, times `factor`. */
  const scaled = (update, factor) => hexToU8a(encodeTensors(api, Object.fromEntries(
    Object.entries(update).map(([name, { shape, values }]) =>
      [name, { shape, values: values.map((v, i) => init[name].values[i] + factor * (v - init[name].values[i])) }]))));
  // Eve flips her honest update's step and makes it three times larger.
  const eveUpdate = scaled(decodeTensors(api, trainLocally('shard_1.scale')), -3);
  const daveUpdate = trainLocally('shard_2.scale');
  // Alice is Dave's second account: his update, moved a further 0.2 %, other bytes.
  const sybilUpdate = scaled(decodeTensors(api, daveUpdate), 1.002);
  const bobData = await storeBlob(api, bob, file('shard_0.scale'));
  // Charlie's public rows with every label flipped: his job trains it faithfully.
  const flipped = decodeTensors(api, file('shard_1.scale'));
  flipped.y.values = flipped.y.values.map((label) => 1 - label);
  const charlieData = await storeBlob(api, charlie, hexToU8a(encodeTensors(api, flipped)));
  const eveBefore = await pending(api, eve);

  const { round, joinUntil } = await openRound(api, keys.ferdie, { minShards: 2, trim: 1, budget: UNIT });
  // One after the other: the verdicts come back in shard order.
  await send(api.tx.rounds.joinPublic(round, bobData, rows(api, 'shard_0.scale')), bob);
  await send(api.tx.rounds.joinPublic(round, charlieData, rows(api, 'shard_1.scale')), charlie);
  await commitUpdate(api, dave, round, daveUpdate, rows(api, 'shard_2.scale'));
  await commitUpdate(api, eve, round, eveUpdate, rows(api, 'shard_1.scale'));
  await commitUpdate(api, alice, round, sybilUpdate, 4_294_967_295);
  const reveals = [[dave, daveUpdate], [eve, eveUpdate], [alice, sybilUpdate]];
  const { events } = await runToEnd(api, round, joinUntil, bob, reveals);

  const rejected = events.filter((e) => api.events.rounds.UpdateRejected.is(e)).map((e) => e.data.owner.toString());
  assert.deepEqual(rejected, [charlie.address, eve.address, alice.address], 'the poisoned updates and the sybil');
  const completed = events.find((e) => api.events.rounds.RoundCompleted.is(e));
  assert.ok(completed, 'the round still completes');
  const paid = events.filter((e) => api.events.rounds.ShardRewarded.is(e)).map((e) => e.data.owner.toString());
  assert.deepEqual(paid.sort(), [bob.address, dave.address].sort());
  // Eve has no points in any era, so nothing at all reaches her; Charlie and Alice earned
  // points elsewhere (round 1's data, the jobs' compute), so for them the events above are
  // what shows they got no share of this round.
  assert.equal(await pending(api, eve), eveBefore, 'the poisoner earns nothing');

  // The quorum's verdicts and losses are on chain: the poisoned update raised the loss.
  const version = completed.data.version.toNumber();
  const entry = (await api.query.models.versions(model.step, version)).unwrap();
  assert.equal(entry.round.unwrap().toNumber(), round);
  const job = (await api.query.jobs.nextJobId()).toNumber() - 1; // the round's aggregation, the last job
  const result = (await api.call.jobsApi.job(job)).unwrap().job.result.unwrap();
  const output = (name) => result.outcome.asOutputs.find((o) => o.name.toUtf8() === name).elements.map((v) => v.toNumber());
  assert.deepEqual(output('update_verdicts'), [1, 0, 1, 0, 0]);
  const losses = output('validation_loss');
  assert.ok(losses[2] > losses[0] && losses[4] > losses[0], `the poisoned updates raise the loss: ${losses}`);
  assert.ok(losses[1] < losses[0] && losses[3] < losses[0] && losses[5] < losses[0], `the others lower it: ${losses}`);
  console.log(`MEASURE poisoned round validation loss (x1e-${PRECISION}): base ${losses[0]}, updates ${losses.slice(1).join(' ')}`);

  const test = decodeTensors(api, file('test.scale'));
  const params = decodeTensors(api, hexToU8a((await provider.send('mosaic_blob', [entry.spec.parameters.unwrap().toHex()])).data));
  const after = await accuracy(provider, api, model.forward, params, test);
  assert.ok(after > 0.9, `the round's version still generalises: ${after}`);
});
