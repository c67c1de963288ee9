// Sending transactions in tests: sign, send, and resolve once in a block, or reject with the
// dispatch error's `section.Name`.

/** Signs and sends `tx`; resolves with { events, blockHash } once it is in a block. */
export function send(api, signer, tx, nonce = -1) {
  return new Promise((resolve, reject) => {
    let unsub;
    tx.signAndSend(signer, { nonce }, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        unsub?.();
        const reason = dispatchError.isModule
          ? (({ section, name }) => `${section}.${name}`)(api.registry.findMetaError(dispatchError.asModule))
          : dispatchError.toString();
        reject(new Error(reason));
      } else if (status.isInBlock) {
        unsub?.();
        resolve({ events, blockHash: status.asInBlock });
      }
    }).then((u) => { unsub = u; }, reject);
  });
}
