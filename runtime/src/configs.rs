//! Configuration of every pallet in the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, IdentityFee, Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{traits::One, Perbill, Permill};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Aura, Balance, Balances, Blobs, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask,
	System, EXISTENTIAL_DEPOSIT, HOURS, MICRO_UNIT, MILLI_UNIT, SLOT_DURATION, VERSION,
};

/// Share of a block that ordinary (non-operational) extrinsics may fill.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per six-second block, leaving time to import and gossip.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks: room for blob chunks without letting one block dominate the network.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	pub const SS58Prefix: u16 = mosaic_primitives::token::SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores state in ParityDB, so its read/write costs apply.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// No session pallet: equivocation proofs cannot be checked, so they are not accepted.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	// Mosaic's pallets use holds and freezes, never named reserves.
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	/// One unit per picosecond of weight: a transfer costs about 0.0002 MSC.
	type WeightToFee = IdentityFee<Balance>;
	/// One micro-MSC per byte, so a 1 MiB blob chunk costs about 1 MSC to carry.
	type LengthToFee = ConstantMultiplier<Balance, ConstU128<MICRO_UNIT>>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = crate::OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// 0.01 MSC per blob plus 1 micro-MSC per byte: a 1 MiB blob holds about 1.06 MSC.
	pub const BlobDepositBase: Balance = 10 * MILLI_UNIT;
	pub const BlobDepositPerByte: Balance = MICRO_UNIT;
	/// Models and dataset shards up to 16 MiB (the pallet's ceiling is 32 MiB, the runtime
	/// allocator's largest single allocation); larger ones are registered by URI.
	pub const MaxBlobSize: u64 = 16 * 1024 * 1024;
	/// An upload must be sealed within an hour.
	pub const BlobUploadTimeout: BlockNumber = HOURS;
}

impl pallet_mosaic_blobs::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositBase = BlobDepositBase;
	type DepositPerByte = BlobDepositPerByte;
	/// 128 KiB inline blobs and chunks: many fit in a block, and a 16 MiB blob is sealed
	/// from at most 128 chunks.
	type MaxInlineBlobSize = ConstU32<{ 128 * 1024 }>;
	type MaxChunkSize = ConstU32<{ 128 * 1024 }>;
	type MaxBlobSize = MaxBlobSize;
	type MaxUriLength = ConstU32<512>;
	type UploadTimeout = BlobUploadTimeout;
	type WeightInfo = pallet_mosaic_blobs::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// 0.1 MSC per model entry and per version, plus 10 micro-MSC per byte of metadata or
	/// encoded schema (the largest version, about 19 KiB, holds about 0.3 MSC).
	pub const ModelDepositBase: Balance = 100 * MILLI_UNIT;
	pub const ModelDepositPerByte: Balance = 10 * MICRO_UNIT;
	/// Royalties up to half of a job's fee.
	pub const MaxModelRoyalty: Permill = Permill::from_percent(50);
}

impl pallet_mosaic_models::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Blobs = Blobs;
	/// No jobs pallet yet: no model has open jobs.
	type JobsInUse = ();
	type DepositBase = ModelDepositBase;
	type DepositPerByte = ModelDepositPerByte;
	type MaxNameLength = ConstU32<64>;
	type MaxDescriptionLength = ConstU32<1024>;
	type MaxLicenseLength = ConstU32<64>;
	type MaxTensorNameLength = ConstU32<64>;
	type MaxRank = ConstU32<8>;
	type MaxIoTensors = ConstU32<16>;
	type MaxVersions = ConstU32<64>;
	/// What the blob store holds (16 MiB), below the executor's `max_model_bytes` (32 MiB).
	type MaxModelBlobSize = MaxBlobSize;
	/// The executor's opset range: a registered model must be one workers can run.
	type MinOpset = ConstU32<{ mosaic_primitives::onnx::MIN_OPSET }>;
	type MaxOpset = ConstU32<{ mosaic_primitives::onnx::MAX_OPSET }>;
	type MaxRoyalty = MaxModelRoyalty;
	type WeightInfo = pallet_mosaic_models::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = pallet_mosaic_models::BlobsBenchmarkHelper<Runtime>;
}
