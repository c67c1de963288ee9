//! The Mosaic runtime: FRAME pallets composed into one state transition function.
//!
//! `configs` holds each pallet's configuration, `apis` the runtime APIs the node and
//! clients call, and `genesis_config_presets` the `development` and `local_testnet` presets.
#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-style macros generate large enums.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod randomness;

use sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256};
use sp_version::{runtime_version, RuntimeVersion};

pub use mosaic_primitives::{
	time::{DAYS, HOURS, MINUTES, SLOT_DURATION},
	token::{MICRO_UNIT, MILLI_UNIT, UNIT},
	AccountId, Balance, BlockNumber, Hash, Nonce, Signature,
};

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
#[cfg(feature = "std")]
pub use sp_runtime::BuildStorage;

/// Types the node needs without knowing this runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block hash.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// Keys a validator registers for consensus.
		pub struct SessionKeys {
			pub babe: Babe,
			pub grandpa: Grandpa,
			/// The worker key (`mwrk`): signs job commitments and reveals from the node's
			/// off-chain worker.
			pub worker: Jobs,
		}
	}
}

/// Runtime version. Bump `spec_version` on every change to runtime logic and
/// `transaction_version` on every change to call indices or extrinsic format.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("mosaic"),
	impl_name: alloc::borrow::Cow::Borrowed("mosaic-node"),
	authoring_version: 1,
	spec_version: 119,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// BABE epochs last an hour of slots. With no session pallet the authorities never change
/// (`SameAuthoritiesForever`); an epoch change only moves the VRF randomness on. Cannot be
/// changed once a chain has started.
pub const EPOCH_DURATION_IN_SLOTS: u64 = HOURS as u64;

/// BABE's `c`: the chance that a slot has at least one primary (VRF-lottery) author is about
/// 1/4; the other slots go to their secondary author.
pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);

/// BABE's configuration at genesis: primary VRF slots, and secondary slots that also carry a
/// VRF output, so every slot has an author (as with Aura) and every block carries fresh VRF
/// randomness (plain secondary slots would carry none, see `randomness`).
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// Below this, an account is reaped. 1 milli-token: dust accounts cost state.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Address format of extrinsics: the polkadot.js default (`MultiAddress`).
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;
/// Block header.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// Transaction extensions, in the order polkadot.js signs them. All are standard ones, so
/// clients need no custom type definitions.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Extrinsic as the runtime sees it.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// Payload a signer signs.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations to run on the next runtime upgrade: every Mosaic pallet's unreleased ones, in
/// the order the pallets are declared (jobs: version 1 renames `Pool` to `EligibleWorkers`).
type Migrations = (
	pallet_mosaic_blobs::migrations::Unreleased<Runtime>,
	pallet_mosaic_models::migrations::Unreleased,
	pallet_mosaic_jobs::migrations::Unreleased<Runtime>,
	pallet_mosaic_attestations::migrations::Unreleased,
	pallet_mosaic_rewards::migrations::Unreleased,
	pallet_mosaic_rounds::migrations::Unreleased<Runtime>,
);

/// Dispatches extrinsics to pallets and runs their hooks.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	// Before every Mosaic pallet: its `on_initialize` reads this block's BABE pre-digest,
	// which the jobs pallet's draws use (see `randomness`).
	#[runtime::pallet_index(2)]
	pub type Babe = pallet_babe;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Utility = pallet_utility;

	#[runtime::pallet_index(10)]
	pub type Blobs = pallet_mosaic_blobs;

	#[runtime::pallet_index(11)]
	pub type Models = pallet_mosaic_models;

	#[runtime::pallet_index(12)]
	pub type Jobs = pallet_mosaic_jobs;

	#[runtime::pallet_index(13)]
	pub type Attestations = pallet_mosaic_attestations;

	#[runtime::pallet_index(14)]
	pub type Rewards = pallet_mosaic_rewards;

	#[runtime::pallet_index(15)]
	pub type Rounds = pallet_mosaic_rounds;
}

#[cfg(feature = "runtime-benchmarks")]
mod benches {
	frame_benchmarking::define_benchmarks!(
		[frame_benchmarking, BaselineBench::<Runtime>]
		[frame_system, SystemBench::<Runtime>]
		[pallet_balances, Balances]
		[pallet_timestamp, Timestamp]
		[pallet_sudo, Sudo]
		[pallet_utility, Utility]
		[pallet_mosaic_blobs, Blobs]
		[pallet_mosaic_models, Models]
		[pallet_mosaic_jobs, Jobs]
		[pallet_mosaic_attestations, Attestations]
		[pallet_mosaic_rewards, Rewards]
		[pallet_mosaic_rounds, Rounds]
	);
}

#[cfg(test)]
mod tests;
