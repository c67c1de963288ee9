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
import { runNodeCommand, startNode, waitFor, waitForFinalized } from '../lib/node.mjs';

let alice;
let bob;
let specDir;

/** The local_testnet spec with only Alice and Bob as Aura and GRANDPA authorities. */
function twoValidatorSpec() {
  const spec = JSON.parse(runNodeCommand(['build-spec', '--chain', 'local_testnet']));
  const patch = spec.genesis.runtimeGenesis.patch;
  const sr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const ed = new Keyring({ type: 'ed25519', ss58Format: 42 });
  patch.aura.authorities = ['//Alice', '//Bob'].map((uri) => sr.addFromUri(uri).address);
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
  const aura = await alice.api.query.aura.authorities();
  assert.equal(aura.length, 2);
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

  // Both authors took part: Aura gives slot s to authority s mod 2.
  const authors = new Set();
  for (let n = 1; n <= height; n += 1) {
    const header = await alice.api.rpc.chain.getHeader(await alice.api.rpc.chain.getBlockHash(n));
    const preRuntime = header.digest.logs.find((log) => log.isPreRuntime && log.asPreRuntime[0].toString() === 'aura');
    assert.ok(preRuntime, `block ${n} has an Aura pre-runtime digest`);
    const slot = alice.api.createType('u64', preRuntime.asPreRuntime[1]).toBigInt();
    authors.add(Number(slot % 2n));
  }
  assert.equal(authors.size, 2, `authors of blocks 1..${height}: ${[...authors]}`);
});
