//! Configuration of every pallet in the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstU128, ConstU16, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, IdentityFee, Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_runtime::{traits::One, Perbill, Permill};
use sp_version::RuntimeVersion;

use codec::Encode;

use mosaic_primitives::contribution::{EraIndex, Points};

use super::{
	AccountId, Attestations, Babe, Balance, Balances, Blobs, Block, BlockNumber, Hash, Jobs,
	Models, Nonce, PalletInfo, Rewards, Rounds, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Signature, System, DAYS,
	EPOCH_DURATION_IN_SLOTS, EXISTENTIAL_DEPOSIT, HOURS, MICRO_UNIT, MILLI_UNIT, SLOT_DURATION,
	UNIT, VERSION,
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

impl pallet_babe::Config for Runtime {
	type EpochDuration = ConstU64<EPOCH_DURATION_IN_SLOTS>;
	/// Every slot has an author (secondary VRF slots), so blocks come every slot.
	type ExpectedBlockTime = ConstU64<SLOT_DURATION>;
	// No session pallet: the genesis authorities author every epoch.
	type EpochChangeTrigger = pallet_babe::SameAuthoritiesForever;
	type DisabledValidators = ();
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	// No session pallet: equivocation proofs cannot be checked, so they are not accepted (as
	// for GRANDPA).
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
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
	/// BABE checks that the timestamp falls in the block's slot.
	type OnTimestampSet = Babe;
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
	/// A hundred times a typical job's fee per worker: what workers drawn for a URI that
	/// never serves are paid for their wasted draw.
	pub const UriBond: Balance = 100 * MILLI_UNIT;
	/// Models and dataset shards up to 16 MiB (the pallet's ceiling is 32 MiB, the runtime
	/// allocator's largest single allocation); larger ones are registered by URI.
	pub const MaxBlobSize: u64 = 16 * 1024 * 1024;
	/// Models up to 2 GiB and datasets up to 8 GiB, registered by URI: nodes stream them to
	/// disk and share them with each other; none passes through the runtime.
	pub const MaxRemoteBlobSize: u64 = 8 << 30;
	/// The largest model one ONNX protobuf can hold (2 GiB). Nodes whose executor takes less
	/// abstain from jobs on larger ones.
	pub const MaxModelBlobSize: u64 = 2 << 30;
	/// An upload must be sealed within an hour.
	pub const BlobUploadTimeout: BlockNumber = HOURS;
}

impl pallet_mosaic_blobs::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositBase = BlobDepositBase;
	type DepositPerByte = BlobDepositPerByte;
	type UriBond = UriBond;
	/// 128 KiB inline blobs and chunks: many fit in a block, and a 16 MiB blob is sealed
	/// from at most 128 chunks.
	type MaxInlineBlobSize = ConstU32<{ 128 * 1024 }>;
	type MaxChunkSize = ConstU32<{ 128 * 1024 }>;
	type MaxBlobSize = MaxBlobSize;
	type MaxRemoteBlobSize = MaxRemoteBlobSize;
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
	/// A model with open jobs cannot be removed.
	type JobsInUse = crate::Jobs;
	type OwnerGone = crate::Rounds;
	type DepositBase = ModelDepositBase;
	type DepositPerByte = ModelDepositPerByte;
	type MaxNameLength = ConstU32<64>;
	type MaxDescriptionLength = ConstU32<1024>;
	type MaxLicenseLength = ConstU32<64>;
	type MaxTensorNameLength = ConstU32<64>;
	type MaxRank = ConstU32<8>;
	type MaxIoTensors = ConstU32<16>;
	type MaxVersions = ConstU32<64>;
	type MaxModelBlobSize = MaxModelBlobSize;
	/// The executor's opset range: a registered model must be one workers can run.
	type MinOpset = ConstU32<{ mosaic_primitives::onnx::MIN_OPSET }>;
	type MaxOpset = ConstU32<{ mosaic_primitives::onnx::MAX_OPSET }>;
	type MaxRoyalty = MaxModelRoyalty;
	type WeightInfo = pallet_mosaic_models::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::ModelsHelper;
}

parameter_types! {
	/// Workers bond at least 100 MSC: a dissent slash (10 MSC) then costs more than a
	/// typical fee earns, and a worker survives a few before it must top up.
	pub const WorkerMinStake: Balance = 100 * UNIT;
	pub const WorkerUnbondDelay: BlockNumber = DAYS;
	pub const JobProtocolFee: Balance = 10 * MILLI_UNIT;
	/// At least the existential deposit, so paying a fresh account always works.
	pub const JobMinFeePerWorker: Balance = MILLI_UNIT;
	/// A revealed value's 8 bytes at the length fee (1 µMSC a byte) and its share of the
	/// reveal's weight, rounded up (checked by a runtime test against the benchmarks).
	pub const JobRevealFeePerValue: Balance = 10 * MICRO_UNIT;
	pub const JobDissentSlash: Balance = 10 * UNIT;
	pub const JobNoRevealSlash: Balance = UNIT;
	/// A minute to run and commit, a minute to reveal.
	pub const JobCommitPeriod: BlockNumber = 10;
	pub const JobRevealPeriod: BlockNumber = 10;
	pub const JobMaxDeadline: BlockNumber = DAYS;
	pub const JobRetention: BlockNumber = DAYS;
	/// Contribution points per settled job (see docs/decisions.md, Rewards): running it is
	/// the work, confirming another's result is a third of that, the model a fifth.
	pub const JobComputePoints: Points = 15;
	pub const JobValidationPoints: Points = 5;
	pub const JobModelPoints: Points = 3;
}

impl pallet_mosaic_jobs::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Blobs = Blobs;
	type Rewards = Rewards;
	type Contributions = Attestations;
	type ComputePoints = JobComputePoints;
	type ValidationPoints = JobValidationPoints;
	type ModelPoints = JobModelPoints;
	type AuthorityId = pallet_mosaic_jobs::crypto::WorkerAuthId;
	type KeyProof = Signature;
	type MinStake = WorkerMinStake;
	type UnbondDelay = WorkerUnbondDelay;
	type MaxCapacity = ConstU32<16>;
	type MaxWorkers = ConstU32<256>;
	type MaxMissed = ConstU32<3>;
	type MaxReplication = ConstU8<7>;
	type MaxEscalations = ConstU8<2>;
	type EscalationWorkers = ConstU8<2>;
	type MaxAssignees = ConstU32<11>;
	type ProtocolFee = JobProtocolFee;
	type MinFeePerWorker = JobMinFeePerWorker;
	type RevealFeePerValue = JobRevealFeePerValue;
	type DissentSlash = JobDissentSlash;
	type NoRevealSlash = JobNoRevealSlash;
	type CommitPeriod = JobCommitPeriod;
	type RevealPeriod = JobRevealPeriod;
	type MaxDeadline = JobMaxDeadline;
	type Retention = JobRetention;
	type MaxQueued = ConstU32<1024>;
	type MaxAssignPerBlock = ConstU32<32>;
	/// 48: the worst hook (every phase end charged what its handler charges at worst: a commit
	/// phase's end that opens, escalates or settles the largest job, attesting every agreeing
	/// worker) then stays within half a block (checked by a runtime test against the
	/// benchmarked weights; 64 no longer fit once a commit phase's end may also end the
	/// opening, spec 110, and 56 no longer once a draw gives every candidate a ticket and
	/// derives the block's VRF output, spec 111).
	type MaxDeadlinesPerBlock = ConstU32<48>;
	/// 100 epochs: with the executor's step and wall-time limits, more is rarely useful.
	type MaxTrainingEpochs = ConstU16<100>;
	/// 64 KiB of inline input: a few images or token sequences; more goes in a blob.
	type MaxInlineInputBytes = ConstU32<{ 64 * 1024 }>;
	/// 4096 revealed values (32 KiB); larger outputs are revealed by digest, and the nodes
	/// that ran them keep them (they read the same constant).
	type MaxOutputValues = ConstU32<{ mosaic_primitives::onnx::MAX_REVEALED_VALUES as u32 }>;
	type Observer = Rounds;
	/// The current block's BABE author VRF output (see `crate::randomness`).
	type Randomness = crate::randomness::CurrentBlockVrf<Runtime>;
	type WeightInfo = pallet_mosaic_jobs::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::JobsHelper;
}

impl frame_system::offchain::SigningTypes for Runtime {
	type Public = <Signature as sp_runtime::traits::Verify>::Signer;
	type Signature = Signature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = crate::UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	/// Signs `call` for the off-chain worker with the same extensions polkadot.js uses. The
	/// transaction is mortal for 64 blocks from a birth block eight blocks back: a birth block
	/// on a short fork (BABE has them) would make it invalid on the chain that wins.
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		public: Self::Public,
		account: AccountId,
		nonce: Nonce,
	) -> Option<crate::UncheckedExtrinsic> {
		use sp_runtime::traits::StaticLookup;
		let birth = System::block_number().saturating_sub(8) as u64;
		let extension: crate::TxExtension = (
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(sp_runtime::generic::Era::mortal(64, birth)),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let payload = crate::SignedPayload::new(call, extension).ok()?;
		let signature = payload.using_encoded(|bytes| A::sign(bytes, public))?;
		let (call, extension, _) = payload.deconstruct();
		let address = <Runtime as frame_system::Config>::Lookup::unlookup(account);
		Some(crate::UncheckedExtrinsic::new_signed(call, address, signature, extension))
	}
}

parameter_types! {
	/// Eras of six hours unless genesis says otherwise: four reward splits a day.
	pub const DefaultEraLength: BlockNumber = 6 * HOURS;
	/// A week of ended eras keeps its records: time for governance to revoke.
	pub const AttestationHistoryDepth: EraIndex = 28;
	pub const RewardsPotId: frame_support::PalletId = frame_support::PalletId(*b"msc/rwrd");
	/// An era gives at most a protocol fee per the most points one protocol fee can earn, so
	/// farming points with one's own jobs never pays (see `docs/rewards.md`, "Farming").
	pub const RewardsPointPrice: (Balance, Points) =
		(JobProtocolFee::get(), MOST_POINTS_PER_PROTOCOL_FEE);
}

/// The most contribution points one protocol fee can earn: a job settled by `MaxReplication`
/// (7) agreeing workers, each with compute and validation points, its model's points, and,
/// if it trained a round's shard, the round's data and model points.
pub const MOST_POINTS_PER_PROTOCOL_FEE: Points = 7
	* (JobComputePoints::get() + JobValidationPoints::get())
	+ JobModelPoints::get()
	+ RoundDataPoints::get()
	+ RoundModelPoints::get();

impl pallet_mosaic_attestations::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Listener = Rewards;
	type HistoryDepth = AttestationHistoryDepth;
	type DefaultEraLength = DefaultEraLength;
	type MaxReasonLength = ConstU32<256>;
	type WeightInfo = pallet_mosaic_attestations::weights::SubstrateWeight<Runtime>;
}

impl pallet_mosaic_rewards::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type PotId = RewardsPotId;
	type PointPrice = RewardsPointPrice;
	type WeightInfo = pallet_mosaic_rewards::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// A shard holds 1 MSC while its round runs: joining is cheap, filling a round with
	/// junk shards is not free.
	pub const RoundShardDeposit: Balance = UNIT;
	pub const RoundMaxJoinPeriod: BlockNumber = 7 * DAYS;
	pub const RoundRetention: BlockNumber = 7 * DAYS;
	pub const RoundUpdateRevealPeriod: BlockNumber = DAYS / 24; // an hour
	/// Data points a completed round shares by rows: four settled jobs' compute points.
	pub const RoundDataPoints: Points = 60;
	/// Model points for the owner of a model a round improved.
	pub const RoundModelPoints: Points = 15;
}

impl pallet_mosaic_rounds::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Blobs = Blobs;
	type Jobs = Jobs;
	type Rewards = Rewards;
	type Contributions = Attestations;
	/// 16 shards: one aggregation job evaluates every update on the validation set.
	type MaxShards = ConstU32<16>;
	type ShardDeposit = RoundShardDeposit;
	type MaxJoinPeriod = RoundMaxJoinPeriod;
	type RoundRetention = RoundRetention;
	type UpdateRevealPeriod = RoundUpdateRevealPeriod;
	type DataPoints = RoundDataPoints;
	type ModelPoints = RoundModelPoints;
	type WeightInfo = pallet_mosaic_rounds::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::RoundsHelper;
}
