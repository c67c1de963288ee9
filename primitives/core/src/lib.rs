//! Types and constants shared by Mosaic's runtime, pallets and node, and the traits the pallets
//! talk to each other through: [`blob`] (the blob store), [`model`] (the model registry),
//! [`rounds`] (federated rounds and the jobs they submit), [`contribution`] (the attestation
//! ledger and rewards). No pallet crate depends on another pallet crate; each names what it needs
//! of the others here, and the runtime wires the pallets together.
//!
//! Kept `no_std` and small: anything here is compiled into the runtime's Wasm.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod blob;
pub mod contribution;
pub mod digest;
pub mod model;
pub mod onnx;
pub mod rounds;
pub mod training;

/// The key a worker's node signs its commits and reveals with.
pub mod worker {
	use sp_core::crypto::KeyTypeId;

	/// Key type of worker keys in a node's keystore.
	pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"mwrk");

	mod app {
		use sp_application_crypto::{app_crypto, sr25519};
		app_crypto!(sr25519, super::KEY_TYPE);
	}
	#[cfg(feature = "std")]
	pub use app::Pair;
	pub use app::{Public, Signature};

	/// Off-chain database key (`PERSISTENT` prefix) under which a node writes fresh random
	/// bytes each time it starts, before its off-chain workers run: a worker's lock taken
	/// under other bytes was left by a run that died with the node, and is free.
	pub const NODE_START_KEY: &[u8] = b"mosaic/node/start";

	/// Off-chain database key (`PERSISTENT` prefix) of the lock that keeps overlapping
	/// off-chain worker runs of the worker signing with `key_account` apart.
	pub fn lock_key(key_account: &impl codec::Encode) -> alloc::vec::Vec<u8> {
		[b"mosaic/jobs/lock/".as_slice(), &key_account.encode()].concat()
	}
}

use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// Block number; `u32` gives 800+ years of 6-second blocks.
pub type BlockNumber = u32;

/// Signature type of extrinsics: sr25519, ed25519 or ecdsa, as polkadot.js expects.
pub type Signature = MultiSignature;

/// Account identifier: the 32-byte public key behind a [`Signature`].
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account, in the chain's smallest unit (see [`token`]).
pub type Balance = u128;

/// Index of a transaction in an account's history.
pub type Nonce = u32;

/// Hash of a block, an extrinsic or a blob.
pub type Hash = sp_core::H256;

/// A job's id, as the jobs pallet assigns it: in sequence from 0, never reused.
pub type JobId = u64;

/// The native token: its name for wallets and its units.
pub mod token {
	use super::Balance;

	/// Ticker shown by wallets.
	pub const SYMBOL: &str = "MSC";
	/// Number of decimal places wallets use to display amounts.
	pub const DECIMALS: u8 = 12;
	/// SS58 address prefix (42: the generic Substrate prefix; see docs/decisions.md).
	pub const SS58_PREFIX: u16 = 42;

	/// One whole token.
	pub const UNIT: Balance = 10u128.pow(DECIMALS as u32);
	/// A thousandth of a token.
	pub const MILLI_UNIT: Balance = UNIT / 1_000;
	/// A millionth of a token.
	pub const MICRO_UNIT: Balance = UNIT / 1_000_000;
}

/// Block time targets shared by runtime and node.
pub mod time {
	use super::BlockNumber;

	/// Target block time. Aura's slot duration is this value.
	pub const MILLI_SECS_PER_BLOCK: u64 = 6_000;
	/// Aura slot duration; one block per slot.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	pub const HOURS: BlockNumber = MINUTES * 60;
	pub const DAYS: BlockNumber = HOURS * 24;
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn token_units_are_consistent() {
		assert_eq!(token::UNIT, 1_000_000_000_000);
		assert_eq!(token::MILLI_UNIT * 1_000, token::UNIT);
		assert_eq!(token::MICRO_UNIT * 1_000_000, token::UNIT);
	}

	#[test]
	fn time_constants_follow_block_time() {
		assert_eq!(time::MINUTES, 10);
		assert_eq!(time::DAYS, 14_400);
	}
}
