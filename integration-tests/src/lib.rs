//! Cross-pallet tests: the six Mosaic pallets (blobs, models, jobs, attestations, rewards,
//! rounds) and `pallet_balances` in one mock runtime ([`mock`]), wired to each other through
//! the traits of `mosaic_primitives` exactly as `runtime/src/configs.rs` wires them, with
//! small constants. No node and no executor: workers' results arrive as the `commit`, `open`
//! and `reveal` extrinsics a worker's off-chain worker would send.
//!
//! Every test runs in [`mock::build_and_execute`], which afterwards checks the blob store's and
//! the registry's own invariants and the invariants that span pallets (holds, blob references,
//! the pot's backing, the ledger's totals).

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
