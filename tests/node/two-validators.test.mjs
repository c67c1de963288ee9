// Two validators, Alice and Bob, on a chain spec whose authorities are exactly those two.
// GRANDPA needs more than two thirds of its authorities, so finality proves both vote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import {
  BABE_PRIMARY, BABE_SECONDARY_VRF, babePreDigest, runNodeCommand, startNode, waitFor, waitForFinalized,
} from '../lib/node.mjs';

let alice;
let bob;
let specDir;

/** The local_testnet spec with only Alice and Bob as BABE and GRANDPA authorities. */
function twoValidatorSpec() {
  const spec = JSON.parse(runNodeCommand(['build-spec', '--chain', 'local_testnet']));
  const patch = spec.genesis.runtimeGenesis.patch;
  const sr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const ed = new Keyring({ type: 'ed25519', ss58Format: 42 });
  patch.babe.authorities = ['//Alice', '//Bob'].map((uri) => [sr.addFromUri(uri).address, 1]);
  patch.grandpa.authorities = ['//Alice', '//Bob'].map((uri) => [ed.addFromUri(uri).address, 1]);
  spec.id = 'mosaic_two_validators';
  spec.name = 'Mosaic Two Validators';
  specDir = mkdtempSync(join(tmpdir(), 'mosaic-spec-'));
  const path = join(specDir, 'two-validators.json');
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

before(async () => {
  await cryptoWaitReady();
  const spec = twoValidatorSpec();
  // Non-development chains need a network key; each node gets a fresh one.
  const nodeKey = () => ['--node-key', randomBytes(32).toString('hex')];
  alice = await startNode('alice', ['--chain', spec, '--alice', '--validator', ...nodeKey()]);
  const peerId = (await alice.api.rpc.system.localPeerId()).toString();
  const bootnode = `/ip4/127.0.0.1/tcp/${alice.p2pPort}/p2p/${peerId}`;
  bob = await startNode('bob', ['--chain', spec, '--bob', '--validator', ...nodeKey(), '--bootnodes', bootnode]);
});

after(async () => {
  await bob?.stop();
  await alice?.stop();
  if (specDir) rmSync(specDir, { recursive: true, force: true });
});

test('the spec has exactly Alice and Bob as authorities', async () => {
  const babe = await alice.api.query.babe.authorities();
  assert.equal(babe.length, 2);
  const grandpa = await alice.api.call.grandpaApi.grandpaAuthorities();
  assert.equal(grandpa.length, 2);
});

test('the two nodes connect', async () => {
  await waitFor(async () => (await alice.api.rpc.system.health()).peers.toNumber() >= 1, 60_000, 'alice to see a peer');
  await waitFor(async () => (await bob.api.rpc.system.health()).peers.toNumber() >= 1, 60_000, 'bob to see a peer');
});

test('both import and finalize the same blocks', async () => {
  const target = 3;
  const [a, b] = await Promise.all([
    waitForFinalized(alice.api, target, 120_000),
    waitForFinalized(bob.api, target, 120_000),
  ]);
  const height = Math.min(a.number.toNumber(), b.number.toNumber());
  const hashOnAlice = (await alice.api.rpc.chain.getBlockHash(height)).toHex();
  const hashOnBob = (await bob.api.rpc.chain.getBlockHash(height)).toHex();
  assert.equal(hashOnAlice, hashOnBob, `finalized block ${height} differs`);

  // Both authors take part: BABE's pre-digest names the author's index in the authorities.
  // Unlike Aura's turns, secondary slots go to either at random and primary slots to whoever
  // wins the VRF lottery, so look further along the finalized chain until both appear (a run
  // of 20 blocks by one author has odds of about 2^-19).
  const authors = new Set();
  let next = 1;
  await waitFor(async () => {
    const finalized = (await alice.api.rpc.chain.getHeader(await alice.api.rpc.chain.getFinalizedHead())).number.toNumber();
    for (; next <= finalized; next += 1) {
      const header = await alice.api.rpc.chain.getHeader(await alice.api.rpc.chain.getBlockHash(next));
      const { kind, authorityIndex } = babePreDigest(header);
      assert.ok(kind === BABE_PRIMARY || kind === BABE_SECONDARY_VRF, `block ${next} has pre-digest kind ${kind}`);
      authors.add(authorityIndex);
    }
    return authors.size === 2;
  }, 180_000, `both authors among the finalized blocks (so far ${[...authors]})`);
});
