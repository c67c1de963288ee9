// Chain specs for node-level tests of several validators.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { runNodeCommand } from './node.mjs';

/**
 * The local_testnet spec with the well-known dev accounts `names` (e.g. `['Alice', 'Bob']`)
 * as its BABE and GRANDPA authorities and its only workers, under chain id `id`. Written to a
 * temporary directory; returns `{ path, dir }` (the caller removes `dir`).
 */
export function validatorSpec(names, id) {
  const spec = JSON.parse(runNodeCommand(['build-spec', '--chain', 'local_testnet']));
  const patch = spec.genesis.runtimeGenesis.patch;
  const sr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const ed = new Keyring({ type: 'ed25519', ss58Format: 42 });
  const uris = names.map((name) => `//${name}`);
  patch.babe.authorities = uris.map((uri) => [sr.addFromUri(uri).address, 1]);
  patch.grandpa.authorities = uris.map((uri) => [ed.addFromUri(uri).address, 1]);
  // The preset's other workers have no node: keep them out of the draw.
  const addresses = uris.map((uri) => sr.addFromUri(uri).address);
  patch.jobs.workers = patch.jobs.workers.filter(([who]) => addresses.includes(who));
  spec.id = id;
  const dir = mkdtempSync(join(tmpdir(), 'mosaic-spec-'));
  const path = join(dir, `${id}.json`);
  writeFileSync(path, JSON.stringify(spec));
  return { path, dir };
}
