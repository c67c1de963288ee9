// `mosaic-node --dev`: properties and metadata readable with no custom types, blocks
// produced and finalized, and a balance transfer signed by Alice finalized with exact balances.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BABE_PRIMARY, BABE_SECONDARY_VRF, NODE_BIN, babePreDigest, runNodeCommand, startNode, waitForFinalized,
} from '../lib/node.mjs';
import { send } from '../../client/lib/tx.mjs';

let node;

before(async () => {
  await cryptoWaitReady();
  node = await startNode('dev', ['--dev']);
});

after(async () => {
  await node?.stop();
});

test('chain properties name the token', async () => {
  const properties = await node.api.rpc.system.properties();
  assert.equal(properties.tokenSymbol.unwrap()[0].toString(), 'MSC');
  assert.equal(properties.tokenDecimals.unwrap()[0].toNumber(), 12);
  assert.equal(properties.ss58Format.unwrap().toNumber(), 42);
  assert.equal((await node.api.rpc.system.chain()).toString(), 'Mosaic Development');
  assert.equal(node.api.registry.chainDecimals[0], 12);
  assert.equal(node.api.registry.chainTokens[0], 'MSC');
});

test('metadata decodes with no custom types', async () => {
  const { api } = node;
  assert.ok(api.runtimeMetadata.version >= 15, `metadata v${api.runtimeMetadata.version}`);
  assert.equal(api.runtimeVersion.specName.toString(), 'mosaic');
  for (const pallet of ['system', 'timestamp', 'babe', 'grandpa', 'balances', 'transactionPayment', 'sudo']) {
    assert.ok(api.query[pallet], `pallet ${pallet} has storage in the metadata`);
  }
  assert.ok(api.tx.utility.batchAll, 'utility calls are in the metadata');
  assert.ok(api.tx.balances.transferKeepAlive, 'balances calls are in the metadata');
  const extensions = api.registry.signedExtensions;
  assert.ok(extensions.includes('CheckMetadataHash'), `extensions: ${extensions}`);
  // Runtime APIs are callable through metadata alone.
  const nonce = await api.call.accountNonceApi.accountNonce('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
  assert.equal(typeof nonce.toNumber(), 'number');
});

test('blocks are produced and finalized', async () => {
  const start = (await node.api.rpc.chain.getHeader()).number.toNumber();
  const finalized = await waitForFinalized(node.api, start + 2, 60_000);
  assert.ok(finalized.number.toNumber() >= start + 2);
  const best = (await node.api.rpc.chain.getHeader()).number.toNumber();
  assert.ok(best >= finalized.number.toNumber());
});

test('Alice authors every slot under BABE, each block with a VRF output', async () => {
  // Alone in the authority set she is every slot's secondary author, so no slot is empty (as
  // with Aura), and every pre-digest carries the VRF output the jobs pallet draws from (primary
  // or secondary-VRF; plain secondary slots are not allowed).
  const { api } = node;
  await waitForFinalized(api, 6, 90_000);
  const slots = [];
  for (let n = 1; n <= 6; n += 1) {
    const header = await api.rpc.chain.getHeader(await api.rpc.chain.getBlockHash(n));
    const { kind, authorityIndex, slot } = babePreDigest(header);
    assert.ok(kind === BABE_PRIMARY || kind === BABE_SECONDARY_VRF, `block ${n} has pre-digest kind ${kind}`);
    assert.equal(authorityIndex, 0, `block ${n} is Alice's`);
    slots.push(slot);
  }
  // After the first block (whose slot follows the node's start), one block per slot.
  for (let i = 2; i < slots.length; i += 1) {
    assert.equal(slots[i], slots[i - 1] + 1n, `slots of blocks 1..6: ${slots.join(', ')}`);
  }
});

test('a transfer signed by Alice is finalized with exact balances', async () => {
  const { api } = node;
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  const dest = keyring.addFromMnemonic(mnemonicGenerate());
  const amount = 5n * 10n ** 12n; // 5 MSC

  const aliceBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();
  const transfer = api.tx.balances.transferKeepAlive(dest.address, amount);

  const { blockHash, events } = await send(transfer, alice, { finalized: true });
  const paid = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  const fee = paid ? paid.event.data[1].toBigInt() : null;

  assert.ok(fee !== null && fee > 0n, 'a fee was charged');
  const at = await api.at(blockHash);
  const destAfter = (await at.query.system.account(dest.address)).data.free.toBigInt();
  const aliceAfter = (await at.query.system.account(alice.address)).data.free.toBigInt();
  assert.equal(destAfter, amount);
  assert.equal(aliceAfter, aliceBefore - amount - fee);
});

test('test-only flags are refused on a live chain', async () => {
  // On local chains they work (the three-worker and zombienet tests run a dishonest worker);
  // with a `Live` chain spec the node must refuse to start at all.
  const spec = JSON.parse(runNodeCommand(['build-spec', '--chain', 'local_testnet']));
  spec.chainType = 'Live';
  spec.id = 'mosaic_live_check';
  const dir = mkdtempSync(join(tmpdir(), 'mosaic-live-'));
  try {
    const path = join(dir, 'live.json');
    writeFileSync(path, JSON.stringify(spec));
    const run = spawnSync(NODE_BIN, ['--chain', path, '--base-path', join(dir, 'db'), '--test-only-dishonest-worker',
      '--rpc-port', '0', '--port', '0', '--no-prometheus', '--no-telemetry', '--no-mdns'], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(run.status, 0, 'the node must not run');
    assert.equal(run.signal, null, 'it exits by itself, not by the timeout');
    assert.match(run.stderr + run.stdout, /--test-only-\* flags are refused on a Live chain/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
