// Federated rounds: a private shard's commitment to its update, and revealing it.
import { u8aConcat, stringToU8a, hexToU8a } from '@polkadot/util';
import { blobHash, storeBlob } from './blobs.mjs';
import { send } from './tx.mjs';

/**
 * What a private shard commits to when it joins `round` with the parameter blob `update`
 * (hex hash) as `account`: blake2_256("mosaic/round-update" ++ round as u64 LE ++ update ++
 * account id), as the chain's `update_commitment` computes it. Hex.
 */
export function updateCommitment(api, round, update, account) {
  return api.registry.hash(u8aConcat(
    stringToU8a('mosaic/round-update'),
    api.createType('u64', round).toU8a(),
    hexToU8a(update),
    api.createType('AccountId', account).toU8a(),
  )).toHex();
}

/**
 * `signer` joins `round` with a private shard of `rows` rows, committing to the parameter
 * blob `bytes` without storing it (its bytes stay unseen until joining closes). Resolves with
 * the transaction's result.
 */
export function commitUpdate(api, signer, round, bytes, rows) {
  const commitment = updateCommitment(api, round, blobHash(api, bytes), signer.address);
  return send(api.tx.rounds.joinPrivate(round, commitment, rows), signer);
}

/**
 * Once joining has closed: stores the committed parameter blob `bytes` (if nobody has) and
 * reveals it for `signer`'s shard of `round`. Resolves with the reveal's result.
 */
export async function revealUpdate(api, signer, round, bytes) {
  const { hash } = await storeBlob(api, signer, bytes);
  return send(api.tx.rounds.revealUpdate(round, hash), signer);
}
