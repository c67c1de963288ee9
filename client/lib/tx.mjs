// Sending transactions: sign, send, and settle once the transaction is in a block (or
// finalized), with the dispatch error decoded to `section.Name`, and a rejection whenever the
// pool drops, refuses or replaces it.

/** A transaction that was included but failed; `message` starts with `section.Name`. */
export class DispatchError extends Error {
  constructor(section, error, docs) {
    super(`${section}.${error}: ${docs}`);
    this.section = section;
    this.error = error;
  }
}

/** Transaction statuses after which the transaction will never be included. */
const LOST = ['isInvalid', 'isDropped', 'isUsurped', 'isFinalityTimeout'];

/**
 * Signs `tx` with `signer` and sends it. Resolves with `{ events, blockHash }` once it is in a
 * block, or finalized with `{ finalized: true }`. Rejects with a `DispatchError` when it
 * fails, and with `transaction Dropped|Invalid|Usurped|FinalityTimeout` when it is lost.
 * `nonce` -1 asks the node for the next one.
 */
export function send(tx, signer, { nonce = -1, finalized = false } = {}) {
  return new Promise((resolve, reject) => {
    let unsub = null;
    let done = false;
    const finish = (settle, value) => {
      if (done) return;
      done = true;
      unsub?.();
      settle(value);
    };
    // Immortal: a mortal transaction names the block it was signed at, and BABE's short forks
    // (a primary and a secondary block in one slot) can orphan that block, which makes the
    // transaction invalid. The nonce still keeps it from being replayed.
    tx.signAndSend(signer, { nonce, era: 0 }, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        if (dispatchError.isModule) {
          const { section, name, docs } = dispatchError.registry.findMetaError(dispatchError.asModule);
          finish(reject, new DispatchError(section, name, docs.join(' ')));
        } else finish(reject, new Error(dispatchError.toString()));
      } else if (status.isFinalized) {
        finish(resolve, { events, blockHash: status.asFinalized });
      } else if (status.isInBlock && !finalized) {
        finish(resolve, { events, blockHash: status.asInBlock });
      } else if (LOST.some((lost) => status[lost])) {
        finish(reject, new Error(`transaction ${status.type}`));
      }
    }).then((u) => {
      unsub = u;
      if (done) u();
    }, (e) => finish(reject, e));
  });
}

/** The data of the first event in `events` of type `kind` (e.g. `api.events.jobs.JobSubmitted`). */
export function eventData(events, kind) {
  return events.find(({ event }) => kind.is(event))?.event.data;
}
