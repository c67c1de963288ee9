//! Types of the rounds pallet: rounds, their settings and their shards.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use scale_info::TypeInfo;
use sp_runtime::traits::UniqueSaturatedInto;

pub use mosaic_primitives::{
	blob::BlobHash,
	model::{ModelId, VersionNumber},
	rounds::{JobId, RoundId},
};

/// How a round trains and aggregates, and what its jobs pay.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct RoundSettings<Balance, BlockNumber> {
	/// Passes over each public shard; from 1 to the jobs pallet's `MaxTrainingEpochs`.
	pub epochs: u16,
	/// Samples per training step; positive.
	pub batch_size: u32,
	/// Largest L2 norm of a private update's difference from the base, in thousandths; every
	/// accepted update is also clipped to it before averaging. Positive.
	pub clip_milli: u32,
	/// Accepted updates dropped from each end, coordinate by coordinate, before averaging.
	pub trim: u8,
	/// Fewest shards the round completes with; from 1 to `MaxShards`.
	pub min_shards: u32,
	/// Workers per job (`k`), as for any job.
	pub replication: u8,
	/// What each job pays each worker, as for any job.
	pub fee_per_worker: Balance,
	/// Blocks each job of the round gets to settle (its deadline, counted from submission).
	pub job_period: BlockNumber,
}

/// A shard's data, or, for a private shard, what its owner trained on it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum ShardKind {
	/// A dataset blob anyone can read; a training job replicated and verified like any job
	/// trains the base parameters on it.
	#[codec(index = 0)]
	Public {
		/// The dataset's sealed blob (SCALE `Vec<InputTensor>`).
		dataset: BlobHash,
	},
	/// Data that never leaves its owner, who trained the base parameters on it locally and
	/// submits only the result. Checked on the round's validation set at aggregation.
	#[codec(index = 1)]
	Private,
}

/// Where a shard is in its round.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum ShardStatus {
	/// A public shard's training job runs.
	#[codec(index = 0)]
	Training {
		/// The job.
		job: JobId,
	},
	/// Its parameter update is ready for aggregation (and referenced by the round).
	#[codec(index = 1)]
	Trained {
		/// The update's sealed blob.
		update: BlobHash,
	},
	/// Its training job failed; it is out of the round and earns nothing.
	#[codec(index = 2)]
	Dropped,
	/// A private shard committed to its update, which its owner reveals once joining has
	/// closed ([`Pallet::reveal_update`](crate::Pallet::reveal_update)); unrevealed, it is left
	/// out of the aggregation and earns nothing.
	#[codec(index = 3)]
	Committed {
		/// [`update_commitment`]`(round, update, owner)`.
		commitment: [u8; 32],
	},
}

/// What a private shard commits to when it joins round `round` with the parameter blob
/// `update`: `blake2_256("mosaic/round-update" ++ round as u64 LE ++ update ++ owner)`, with
/// the owner SCALE-encoded (an `AccountId32` is its 32 bytes). Binding the round and the owner
/// means nobody can reuse another joiner's commitment, or their own from another round.
pub fn update_commitment<AccountId: codec::Encode>(
	round: RoundId,
	update: &BlobHash,
	owner: &AccountId,
) -> [u8; 32] {
	let mut bytes = alloc::vec::Vec::with_capacity(19 + 8 + 32 + 32);
	bytes.extend_from_slice(b"mosaic/round-update");
	bytes.extend_from_slice(&round.to_le_bytes());
	bytes.extend_from_slice(update);
	owner.encode_to(&mut bytes);
	sp_io::hashing::blake2_256(&bytes)
}

/// A data shard of a round, as kept in [`Shards`](crate::Shards).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Shard<AccountId, Balance> {
	/// Who contributed it: paid from the budget if its update is accepted.
	pub owner: AccountId,
	/// Its rows: its weight in the average and in the budget's split. Declared by its owner
	/// when it joins; a public shard's becomes what its training job measured, a private
	/// shard's is capped at aggregation (see [`Pallet::aggregate`](crate::Pallet::aggregate)).
	pub rows: u32,
	/// Public or private.
	pub kind: ShardKind,
	/// Where it is.
	pub status: ShardStatus,
	/// Held from the owner while the round runs (storage and spam), released at its end.
	pub deposit: Balance,
}

/// Why a round failed.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum RoundFailure {
	/// Fewer than `min_shards` shards had an update when joining closed.
	#[codec(index = 0)]
	TooFewShards,
	/// The aggregation job could not be submitted (see the event log for why).
	#[codec(index = 1)]
	AggregationNotSubmitted,
	/// The aggregation job failed, or its parameters could not be stored.
	#[codec(index = 2)]
	AggregationFailed,
	/// Fewer than `min_shards` updates passed the check; the accepted shards' owners were
	/// paid what was left of the budget.
	#[codec(index = 3)]
	TooFewAccepted,
	/// The registry refused the new version although enough updates were accepted; the
	/// accepted shards' owners were paid what was left of the budget.
	#[codec(index = 4)]
	NotPublished,
}

/// Where a round is.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum RoundStatus<Verdicts> {
	/// Shards may join until `join_until`; public shards' training jobs run.
	#[codec(index = 0)]
	Open,
	/// The aggregation job runs.
	#[codec(index = 1)]
	Aggregating {
		/// The job.
		job: JobId,
	},
	/// The aggregation job ended; anyone may [`finalize`](crate::Pallet::finalize) the round.
	#[codec(index = 2)]
	Aggregated {
		/// The stored combined parameters; `None` if the job failed.
		parameters: Option<BlobHash>,
		/// One verdict per update, in shard order of the trained shards.
		verdicts: Verdicts,
	},
	/// Done: the new version was published, the budget paid out.
	#[codec(index = 3)]
	Completed {
		/// The new version of the round's model.
		version: VersionNumber,
	},
	/// Ended without a new version; the budget went back to the creator.
	#[codec(index = 4)]
	Failed(RoundFailure),
}

/// A round, as kept in [`Rounds`](crate::Rounds).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct RoundInfo<AccountId, Balance, BlockNumber, Verdicts> {
	/// Who opened the round and funds it: the model's owner, or a sponsor on a base the
	/// owner opened to rounds (see [`OpenBases`](crate::OpenBases)).
	pub creator: AccountId,
	/// The model.
	pub model: ModelId,
	/// The base version: a training-step graph with parameters.
	pub base: VersionNumber,
	/// The base version's parameters, which every shard trains from.
	pub base_parameters: BlobHash,
	/// The public validation set's sealed blob (referenced by the round).
	pub validation: BlobHash,
	/// How it trains and what its jobs pay.
	pub settings: RoundSettings<Balance, BlockNumber>,
	/// Everything the round pays, held from the creator: the escrow of each of its jobs
	/// (moved into the jobs pallet's escrow as the job is submitted, so workers and the
	/// model's royalty are paid from it), then, of what is left, the model owner's royalty
	/// share and the accepted shards' shares by rows.
	pub budget: Balance,
	/// The part of the budget moved into job escrows so far.
	pub spent: Balance,
	/// Last block in which shards may join.
	pub join_until: BlockNumber,
	/// Shards joined so far; they are numbered `0..shard_count`.
	pub shard_count: u32,
	/// Public shards whose training job has not ended yet.
	pub training: u32,
	/// Where it is.
	pub status: RoundStatus<Verdicts>,
}

/// The verdict list of a round, bounded by `MaxShards`.
pub type Verdicts<S> = BoundedVec<bool, S>;

/// A shard's share of `budget`, `rows / total_rows` of it, rounded down.
pub fn share<Balance>(budget: Balance, rows: u32, total_rows: u64) -> Balance
where
	Balance: sp_runtime::traits::AtLeast32BitUnsigned + Copy,
{
	if total_rows == 0 {
		return Balance::zero();
	}
	sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
		budget.unique_saturated_into(),
		rows as u128,
		total_rows as u128,
		sp_runtime::Rounding::Down,
	)
	.map(|v| v.unique_saturated_into())
	.unwrap_or_else(Balance::zero)
}
