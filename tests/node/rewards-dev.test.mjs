// Rewards on a fresh `--dev` chain: a job runs, the settlement records Alice's contributions
// (compute as the worker, model as the owner) and owes her the fee and the royalty; the era
// (10 blocks on dev) ends and splits the pool (emission, protocol fee) by points; Alice's
// wallet claims and its balance rises by exactly what the runtime API said was pending,
// less the claim's own transaction fee.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { stringToU8a, u8aConcat } from '@polkadot/util';
import { startNode } from '../lib/node.mjs';
import { send } from '../../client/lib/tx.mjs';
import { fixture, storeAndRegister, submitJob, waitForJobEnd } from '../lib/jobs.mjs';

const SCALE = 10n ** 12n; // REWARD_PER_POINT_SCALE
let node;
let alice;
let bob;

before(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  node = await startNode('rewards-dev', ['--dev']);
});

after(async () => {
  await node?.stop();
});

/** Resolves once the best block's current era is past `era`. */
async function waitForEraEnd(api, era, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while ((await api.call.attestationsApi.currentEra()).toNumber() <= era) {
    if (Date.now() > deadline) throw new Error(`era ${era} did not end in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

test('a settled job is attested, its era is rewarded, and the worker claims exactly what was pending', async () => {
  const { api } = node;
  const mlp = fixture('mlp');
  const model = await storeAndRegister(api, alice, 'mlp-rewards', mlp, { precision: 4 });
  const fee = 2_000_000_000n;
  const submitted = await submitJob(api, bob, model, mlp.input, 1, fee, 60);
  const ended = await waitForJobEnd(api, submitted.id, 120_000);
  assert.ok(ended.job.status.isSettled, `status ${ended.job.status.type}`);

  // The ledger: Alice computed the job and owns the model.
  const attestations = await api.call.attestationsApi.bySubject({ Job: submitted.id });
  const kinds = attestations.map(([, a]) => `${a.contributor.toString() === alice.address ? 'alice' : 'other'}:${a.kind.type}`).sort();
  assert.deepEqual(kinds, ['alice:Compute', 'alice:Model']);
  const era = attestations[0][1].era.toNumber();
  const points = attestations.reduce((sum, [, a]) => sum + a.points.toBigInt(), 0n);
  assert.equal(points, api.consts.jobs.computePoints.toBigInt() + api.consts.jobs.modelPoints.toBigInt());
  const perEra = await api.call.attestationsApi.points(alice.address);
  const mine = perEra.find(([e]) => e.toNumber() === era)[1];
  assert.equal(mine.compute.toBigInt() + mine.model.toBigInt(), points);

  // The fee and the royalty are owed at once.
  const owedNow = (await api.call.rewardsApi.pending(alice.address)).toBigInt();
  assert.ok(owedNow >= fee, `pending ${owedNow} covers the fee ${fee}`);

  // When the era ends, Alice, its only contributor, gets its pool by her points.
  await waitForEraEnd(api, era, 120_000);
  const rate = (await api.query.rewards.eraRewardPerPoint(era)).unwrap().toBigInt();
  const eraPoints = (await api.call.attestationsApi.eraPoints(era));
  const total = ['compute', 'data', 'model', 'validation'].reduce((s, k) => s + eraPoints[k].toBigInt(), 0n);
  assert.equal(total, points, 'Alice is the era\'s only contributor');
  const share = points * rate / SCALE;
  assert.ok(share > 0n, 'the era gave out emission');

  // Claim: the balance rises by exactly the pending amount read at the claim's parent block,
  // less the claim's fee.
  const freeBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();
  const { events, blockHash } = await send(api.tx.rewards.claim(), alice);
  const header = await api.rpc.chain.getHeader(blockHash);
  const pending = (await (await api.at(header.parentHash)).call.rewardsApi.pending(alice.address)).toBigInt();
  assert.equal(pending, owedNow + share, 'pending is the fee, the royalty and the era share');
  const claimed = events.find(({ event }) => api.events.rewards.Claimed.is(event)).event.data;
  assert.equal(claimed.amount.toBigInt(), pending);
  const txFee = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event)).event.data.actualFee.toBigInt();
  const freeAfter = (await (await api.at(blockHash)).query.system.account(alice.address)).data.free.toBigInt();
  const freeBeforeClaim = (await (await api.at(header.parentHash)).query.system.account(alice.address)).data.free.toBigInt();
  assert.equal(freeAfter - freeBeforeClaim, pending - txFee, 'balance rose by the pending amount less the fee');
  assert.ok(freeAfter > freeBefore - txFee);
  console.log(`MEASURE rewards dev: claimed ${pending} (fee+royalty ${owedNow}, era share ${share}) for ${points} points`);

  // Claiming twice pays once.
  assert.equal((await api.call.rewardsApi.pending(alice.address)).toBigInt(), 0n);
  await assert.rejects(send(api.tx.rewards.claim(), alice), /rewards\.NothingToClaim/);
});

test('anyone can pay out another account, and the pot always backs what it owes', async () => {
  const { api } = node;
  // Bob was never owed anything.
  await assert.rejects(send(api.tx.rewards.claimFor(bob.address), alice), /rewards\.NothingToClaim/);
  // A pallet account: "modl", the 8-byte pallet id, zero padding.
  const potAccount = u8aConcat(stringToU8a('modl'), api.consts.rewards.potId.toU8a(), new Uint8Array(20));
  const pot = (await api.query.system.account(potAccount)).data.free.toBigInt();
  const pool = (await api.call.rewardsApi.pool()).toBigInt();
  const outstanding = (await api.query.rewards.outstanding()).toBigInt();
  const ed = api.consts.balances.existentialDeposit.toBigInt();
  assert.ok(pot >= ed + pool + outstanding, `pot ${pot} backs pool ${pool} and owed ${outstanding}`);
});
