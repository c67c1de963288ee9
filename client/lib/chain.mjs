// The connection to a node and the keys that sign. This is the only module of the library
// that imports @polkadot: every other one works on the `api` its caller hands it, so the
// node-level tests and the zombienet scripts, which create their ApiPromise from their own
// @polkadot/api, load one copy of it and need nothing installed in client/.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

/**
 * Connects to the node at `url` (a ws:// endpoint) and resolves with a ready ApiPromise;
 * rejects with `cannot reach a node at URL` when the socket does not open within `timeoutMs`.
 */
export async function connect(url, { timeoutMs = 10_000 } = {}) {
  await cryptoWaitReady();
  const provider = new WsProvider(url, false);
  provider.connect();
  let timer;
  const ready = await Promise.race([
    provider.isReady.then(() => true),
    new Promise((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
  ]);
  clearTimeout(timer);
  if (!ready) {
    await provider.disconnect();
    throw new Error(`cannot reach a node at ${url}`);
  }
  return ApiPromise.create({ provider, noInitWarn: true });
}

/** An sr25519 key pair from a secret URI (`//Alice`) or a mnemonic. */
export async function keypair(secret) {
  await cryptoWaitReady();
  return new Keyring({ type: 'sr25519' }).addFromUri(secret);
}
