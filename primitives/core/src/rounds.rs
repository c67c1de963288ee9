//! Federated training rounds: what the rounds pallet asks of the jobs pallet, what the jobs
//! pallet tells it back, and the manifest an aggregation job works from.
//!
//! The rounds pallet depends on neither the jobs pallet nor the executor: it submits jobs
//! through [`RoundJobs`] and learns of their ends through [`JobObserver`].

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::DispatchError;

use crate::blob::BlobHash;

/// Identifies a round. Assigned in sequence from 0 and never reused.
pub type RoundId = u64;
pub use crate::JobId;

/// Output of an aggregation job: one `i64` per manifest entry, 1 if the update was accepted
/// (and averaged in), 0 if it was rejected.
pub const VERDICTS: &str = "update_verdicts";
/// Output of an aggregation job: the validation loss of the base parameters, then of each
/// update (`f32`, `1 + updates` values; a rejected update that could not be evaluated has
/// `-1`).
pub const VALIDATION_LOSS: &str = "validation_loss";
/// Output of an aggregation job: each update's L2 distance from the base (`f32`).
pub const UPDATE_NORMS: &str = "update_norms";

/// Most updates an aggregation manifest may list. A round's `MaxShards` must not exceed it
/// (the rounds pallet's integrity test checks); a worker's node refuses a longer manifest
/// before loading any update.
pub const MAX_MANIFEST_UPDATES: u32 = 64;
/// Most bytes of update blobs a worker's node loads for one aggregation, every entry
/// counted (a blob named twice counts twice).
pub const MAX_MANIFEST_UPDATE_BYTES: u64 = 256 << 20;

/// One parameter update an aggregation job weighs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct ManifestEntry {
	/// The sealed blob of the updated parameters (SCALE `Vec<InputTensor>`).
	pub parameters: BlobHash,
	/// Its weight in the average: the shard's number of rows.
	pub weight: u64,
	/// Whether the update must pass the validation check. The rounds pallet checks every
	/// update: a private one nobody could re-run, and a public one whose quorum vouches only
	/// for a faithful run on data that may be poisoned. An unchecked entry is accepted when
	/// it is well formed.
	pub checked: bool,
}

/// What an aggregation job combines, besides its base parameters: stored as a sealed blob
/// (SCALE) that the job names.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct AggregationManifest {
	/// The updates, in shard order; the verdicts come back in this order.
	pub updates: Vec<ManifestEntry>,
	/// Largest accepted L2 norm of an update's difference from the base, in thousandths.
	/// Checked updates above it are rejected; every accepted update is clipped to it.
	pub clip_milli: u32,
	/// Accepted differences dropped from each end, coordinate by coordinate, before
	/// averaging (lowered to `(accepted - 1) / 2` when fewer updates are accepted).
	pub trim: u8,
}

/// A job a round needs.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum RoundJob {
	/// Train a public shard (`dataset`, a sealed blob in SCALE form) from `parameters`.
	Training {
		/// The shard's dataset blob.
		dataset: BlobHash,
		/// The initial parameters' blob.
		parameters: BlobHash,
		/// Passes over the shard.
		epochs: u16,
		/// Samples per step.
		batch_size: u32,
	},
	/// Check and combine the updates of the manifest blob `manifest`, made from the base
	/// `parameters`, on the validation set `validation` (a sealed blob in SCALE form).
	Aggregation {
		/// The base parameters' blob.
		parameters: BlobHash,
		/// The [`AggregationManifest`] blob.
		manifest: BlobHash,
		/// The round's public validation set.
		validation: BlobHash,
	},
}

/// How a job the rounds pallet submitted ended.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum JobEnd {
	/// A quorum agreed. `parameters`: the blob the agreed parameters were stored in (`None`
	/// if they could not be stored); `verdicts`: an aggregation job's [`VERDICTS`]; `rows`: a
	/// training job's [`DATASET_ROWS`](crate::training::DATASET_ROWS).
	Settled {
		/// The stored parameter blob.
		parameters: Option<BlobHash>,
		/// Per-update verdicts of an aggregation job (empty for training).
		verdicts: Vec<bool>,
		/// The rows of a training job's dataset, as its quorum measured them (`None` for
		/// aggregation, or if the result did not report them).
		rows: Option<u64>,
	},
	/// Failed, for any reason: no workers, no quorum, an executor error.
	Failed,
}

/// Submitting jobs on behalf of an account, as the jobs pallet offers it to the rounds pallet.
pub trait RoundJobs<AccountId, Balance, BlockNumber> {
	/// Submits `job` on `version` of `model` for `requester`, holding its escrow from
	/// `requester` exactly as a signed submission would; the job's end is reported to the
	/// jobs pallet's observer, and the requester cannot cancel it. The version may be
	/// deprecated (not invalid): a round keeps running on its base.
	fn submit(
		requester: &AccountId,
		model: u32,
		version: u32,
		job: RoundJob,
		replication: u8,
		fee_per_worker: Balance,
		deadline: BlockNumber,
	) -> Result<JobId, DispatchError>;

	/// What [`RoundJobs::submit`] would hold from the requester for `job` (fees, protocol fee
	/// and the result's blob deposit), so that a round can fund it from its budget. Fails as
	/// `submit` would for a bad spec or an unusable parameter blob; an aggregation's manifest
	/// need not exist yet.
	fn escrow(
		job: RoundJob,
		replication: u8,
		fee_per_worker: Balance,
	) -> Result<Balance, DispatchError>;

	/// The shortest and the longest time from a submission to its deadline that
	/// [`RoundJobs::submit`] accepts, both inclusive: a round whose jobs get less could never
	/// submit one.
	fn job_periods() -> (BlockNumber, BlockNumber);

	/// Most values a job's revealed outputs may have, all outputs together: a result with
	/// more is agreed by digest only, and a training or aggregation result is then not
	/// stored.
	fn max_result_values() -> u32;
}

/// Told by the jobs pallet when a job ends.
pub trait JobObserver {
	/// Whether the observer submitted `job` (such jobs cannot be cancelled by their requester).
	fn owns(job: JobId) -> bool;
	/// `job` ended. Called once per job, for every job; must be cheap (a few storage
	/// accesses): the jobs pallet's weights include [`JobObserver::MAX_END_ACCESSES`].
	fn job_ended(job: JobId, end: JobEnd);
	/// Most storage reads and writes `job_ended` and `owns` together make.
	const MAX_END_ACCESSES: (u64, u64);
}

impl JobObserver for () {
	fn owns(_: JobId) -> bool {
		false
	}
	fn job_ended(_: JobId, _: JobEnd) {}
	const MAX_END_ACCESSES: (u64, u64) = (0, 0);
}
