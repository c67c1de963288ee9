//! Types of the jobs pallet: workers, jobs, what workers commit to and reveal, and results.
//!
//! Like the registry's types, they are generic over concrete bounded types so they derive
//! everything plainly and the metadata describes them fully (polkadot.js needs no custom
//! types).

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use mosaic_primitives::{
	digest::{ElementType, QuantizedTensor},
	onnx::{InputFormat, InputTensor},
};
use scale_info::TypeInfo;

pub use mosaic_primitives::{
	blob::BlobHash,
	model::{Dim, ModelId, VersionNumber},
	JobId,
};

/// A 32-byte blake2-256 digest: of an outcome (the canonical output digest, or an
/// [`error_digest`]), or a worker's [`commitment`] to one.
pub type Digest = [u8; 32];

/// The random bytes a worker commits with and reveals, so that a commitment does not give
/// its digest away.
pub type Salt = [u8; 32];

/// How a training job trains.
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
pub struct TrainingSpec {
	/// The sealed blob of initial parameters: a SCALE `Vec<InputTensor>` with one tensor per
	/// parameter input of the training-step graph.
	pub parameters: BlobHash,
	/// Passes over the dataset; from 1 to `MaxTrainingEpochs`.
	pub epochs: u16,
	/// Samples per step; positive.
	pub batch_size: u32,
}

/// How an aggregation job aggregates.
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
pub struct AggregationSpec {
	/// The sealed blob of the base parameters every update started from.
	pub parameters: BlobHash,
	/// The sealed blob of the [`AggregationManifest`](mosaic_primitives::rounds::AggregationManifest):
	/// the updates with their weights, the clipping bound and the trim.
	pub manifest: BlobHash,
}

/// What a job asks for.
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
pub enum JobKind {
	/// Run the model once on the input.
	#[codec(index = 0)]
	Inference,
	/// The model version is a training-step graph (parameters and a batch in, updated
	/// parameters `<p>_next` and the batch's `loss` out) and the input, a blob, its dataset.
	/// The result is the trained parameters and the per-epoch `loss_curve`; the agreed
	/// parameters are stored as a blob owned by the requester.
	#[codec(index = 1)]
	Training(TrainingSpec),
	/// A federated round's aggregation. The model version is a training-step graph and the
	/// input, a blob, the round's validation set. Each update the manifest names is checked
	/// (validation loss before and after, norm within the clip) if it asks to be, and the
	/// accepted ones are combined by a clipped, trimmed, weighted mean. The result is the
	/// combined parameters, stored as a blob like a training job's, and the per-update
	/// verdicts, validation losses and norms (see `mosaic_primitives::rounds`).
	#[codec(index = 2)]
	Aggregation(AggregationSpec),
}

impl JobKind {
	/// The training spec of a training job.
	pub fn training(&self) -> Option<&TrainingSpec> {
		match self {
			JobKind::Training(spec) => Some(spec),
			JobKind::Inference | JobKind::Aggregation(_) => None,
		}
	}

	/// Whether the result is a set of parameters, stored as a blob at settlement.
	pub fn yields_parameters(&self) -> bool {
		!matches!(self, JobKind::Inference)
	}

	/// The blobs the job names besides its input: initial or base parameters, a manifest.
	pub fn blobs(&self) -> [Option<BlobHash>; 2] {
		match self {
			JobKind::Inference => [None, None],
			JobKind::Training(spec) => [Some(spec.parameters), None],
			JobKind::Aggregation(spec) => [Some(spec.parameters), Some(spec.manifest)],
		}
	}
}

/// One input tensor carried in the job itself (raw little-endian values).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct InlineTensor<Name, Shape, Data> {
	/// The model input it feeds.
	pub name: Name,
	/// Element type; must be the input's declared type.
	pub element_type: ElementType,
	/// Dimensions; must fit the input's declared shape.
	pub shape: Shape,
	/// Row-major values, little-endian, `element_type` sized (booleans one byte each).
	pub data: Data,
}

/// The blobs a job references: at most its input, its initial (or base) parameters and an
/// aggregation manifest.
pub type BlobRefs = BoundedVec<BlobHash, frame_support::traits::ConstU32<3>>;

/// A job's input.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum JobInput<Inline> {
	/// A sealed blob in the blob store, in the given encoding. Checked against the schema
	/// by the workers (a mismatch ends the job as failed with the executor's code).
	#[codec(index = 0)]
	Blob {
		/// blake2-256 hash of the blob.
		hash: BlobHash,
		/// How the blob encodes its tensors.
		format: InputFormat,
	},
	/// Small inputs carried in the job, checked against the schema on submission.
	#[codec(index = 1)]
	Inline(Inline),
}

impl<Inline> JobInput<Inline> {
	/// The blob the input names, if it is one.
	pub fn blob(&self) -> Option<BlobHash> {
		match self {
			JobInput::Blob { hash, .. } => Some(*hash),
			JobInput::Inline(_) => None,
		}
	}
}

/// One output tensor as a worker reveals it: quantised as for the canonical digest.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct OutputTensor<Name, Shape, Values> {
	/// Output name, as in the model's schema.
	pub name: Name,
	/// Element type before quantisation.
	pub element_type: ElementType,
	/// Dimensions.
	pub shape: Shape,
	/// Row-major values: floats as `round(x * 10^precision)`, integers as they are. (Not
	/// `values`: polkadot.js structs are `Map`s, whose `values()` would shadow it.)
	pub elements: Values,
}

/// What a worker found when it ran a job, as revealed.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum Outcome<Outputs> {
	/// The quantised outputs; the chain computes their canonical digest.
	#[codec(index = 0)]
	Outputs(Outputs),
	/// Only the canonical digest, for outputs too large to reveal on-chain. Agreement with
	/// such a reveal is by identical digest only.
	#[codec(index = 1)]
	Digest(Digest),
	/// The executor refused or failed the run with its stable error `code`; `model_fault`
	/// when any input would fail the same way (the model itself is at fault).
	#[codec(index = 2)]
	Error {
		/// The executor's error code (see `docs/executor.md`).
		code: u16,
		/// Whether the model, not the input or the machine, is at fault.
		model_fault: bool,
	},
	/// The worker could not run the job for a reason of its own machine (the sandbox or the
	/// engine crashed, an input could not be fetched): no verdict on the job. Neither paid
	/// nor slashed nor counted as a miss, it never agrees with anything, and it lowers the
	/// worker's chance of assignment until it agrees with results again.
	#[codec(index = 3)]
	CouldNotRun {
		/// What stopped it: an executor code or [`REMOTE_BLOB_UNAVAILABLE`](mosaic_primitives::onnx::REMOTE_BLOB_UNAVAILABLE).
		code: u16,
	},
}

impl<Outputs> Outcome<Outputs> {
	/// Whether the outcome is no verdict on the job: [`Outcome::CouldNotRun`], or an executor
	/// error of the worker's machine (see [`mosaic_primitives::onnx::is_machine_failure`]),
	/// which older nodes reveal as an error.
	pub fn is_abstention(&self) -> bool {
		match self {
			Outcome::CouldNotRun { .. } => true,
			Outcome::Error { code, .. } => mosaic_primitives::onnx::is_machine_failure(*code),
			Outcome::Outputs(_) | Outcome::Digest(_) => false,
		}
	}
}

/// Converts revealed output tensors into the digest module's form.
pub fn to_quantized<N, S, V>(outputs: &[OutputTensor<N, S, V>]) -> Vec<QuantizedTensor>
where
	N: AsRef<[u8]>,
	S: AsRef<[u64]>,
	V: AsRef<[i64]>,
{
	outputs
		.iter()
		.map(|o| QuantizedTensor {
			name: o.name.as_ref().to_vec(),
			element_type: o.element_type,
			shape: o.shape.as_ref().to_vec(),
			values: o.elements.as_ref().to_vec(),
		})
		.collect()
}

/// Revealable output tensors: at most `M` tensors, names of at most `N` bytes, at most `R`
/// dimensions, at most `V` values each.
pub type BoundedOutputs<N, R, V, M> =
	BoundedVec<OutputTensor<BoundedVec<u8, N>, BoundedVec<u64, R>, BoundedVec<i64, V>>, M>;

/// Converts executor outputs into revealable tensors; `None` if any exceeds a bound.
pub fn from_quantized<N, R, V, M>(
	outputs: Vec<QuantizedTensor>,
) -> Option<BoundedOutputs<N, R, V, M>>
where
	N: Get<u32>,
	R: Get<u32>,
	V: Get<u32>,
	M: Get<u32>,
{
	outputs
		.into_iter()
		.map(|o| {
			Some(OutputTensor {
				name: o.name.try_into().ok()?,
				element_type: o.element_type,
				shape: o.shape.try_into().ok()?,
				elements: o.values.try_into().ok()?,
			})
		})
		.collect::<Option<Vec<_>>>()?
		.try_into()
		.ok()
}

/// Converts inline tensors into the executor's SCALE input form.
pub fn to_input_tensors<N, S, D>(inputs: &[InlineTensor<N, S, D>]) -> Vec<InputTensor>
where
	N: AsRef<[u8]>,
	S: AsRef<[u64]>,
	D: AsRef<[u8]>,
{
	inputs
		.iter()
		.map(|t| InputTensor {
			name: t.name.as_ref().to_vec(),
			element_type: t.element_type,
			shape: t.shape.as_ref().to_vec(),
			data: t.data.as_ref().to_vec(),
		})
		.collect()
}

/// Why a job failed.
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
pub enum FailReason {
	/// Not enough eligible workers before the job's deadline left room for a full attempt.
	#[codec(index = 0)]
	NoWorkers,
	/// The reveals formed no quorum, and escalation was exhausted or impossible.
	#[codec(index = 1)]
	NoQuorum,
	/// A quorum of workers found that the executor fails the job with `code`.
	#[codec(index = 2)]
	Executor {
		/// The executor's stable error code.
		code: u16,
		/// Whether the model is at fault (the version is then marked invalid).
		model_fault: bool,
	},
}

/// Where a job is in its life.
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
pub enum JobStatus<BlockNumber> {
	/// Waiting in the assignment queue for enough eligible workers.
	#[codec(index = 0)]
	Queued,
	/// Workers of the current attempt run the job and commit until block `until`.
	#[codec(index = 1)]
	Committing {
		/// Last block in which a commitment is accepted.
		until: BlockNumber,
	},
	/// Committed workers reveal until block `until`; the job settles when all have revealed
	/// or at `until`. Only jobs with one worker reveal at once; with more, the digests are
	/// opened first ([`JobStatus::Opening`]).
	#[codec(index = 2)]
	Revealing {
		/// Last block in which a reveal is accepted.
		until: BlockNumber,
	},
	/// Settled: a quorum agreed on the result, the escrow paid out.
	#[codec(index = 3)]
	Settled,
	/// Ended without a result; the requester was refunded (see [`FailReason`]).
	#[codec(index = 4)]
	Failed(FailReason),
	/// Cancelled by the requester while queued; all but the protocol fee was refunded.
	#[codec(index = 5)]
	Cancelled,
	/// Committed workers open their commitments' digests (not the outcomes) until block
	/// `until`. Then the job escalates while only digests are public, or the outcomes are
	/// disclosed ([`JobStatus::Disclosing`]).
	#[codec(index = 6)]
	Opening {
		/// Last block in which an opening is accepted.
		until: BlockNumber,
	},
	/// The workers of `attempt` that opened a digest reveal their outcomes until block
	/// `until`; later attempts disclose before earlier ones, so nobody can copy an outcome
	/// it committed to without computing it.
	#[codec(index = 7)]
	Disclosing {
		/// Last block in which this attempt's reveals are accepted.
		until: BlockNumber,
		/// The attempt whose workers reveal now.
		attempt: u8,
	},
}

impl<BlockNumber> JobStatus<BlockNumber> {
	/// Whether the job is over (its record stays until it is purged).
	pub fn is_finished(&self) -> bool {
		matches!(self, Self::Settled | Self::Failed(_) | Self::Cancelled)
	}
}

/// A worker assigned to a job, and the attempt it joined in (0, then 1, 2, ... for
/// escalations).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Assignee<AccountId> {
	/// The worker's account (not its key).
	pub worker: AccountId,
	/// The attempt it was assigned in.
	pub attempt: u8,
}

/// The agreed result of a settled job, or of a job a quorum found the executor fails.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct JobResult<Outputs> {
	/// The outcome's digest: the canonical output digest (or the error digest).
	pub digest: Digest,
	/// The outcome of the worker whose reveal the most others agreed with.
	pub outcome: Outcome<Outputs>,
	/// How many workers agreed.
	pub agreeing: u32,
	/// For a training or aggregation job, the blob the agreed parameters were stored in.
	pub parameters: Option<BlobHash>,
}

/// A job, as kept in [`Jobs`](crate::Jobs).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct JobInfo<AccountId, Balance, BlockNumber, Input, Assignees, Result> {
	/// Who submitted and pays for it.
	pub requester: AccountId,
	/// The model.
	pub model: ModelId,
	/// The model version.
	pub version: VersionNumber,
	/// What to do.
	pub kind: JobKind,
	/// The input.
	pub input: Input,
	/// How many workers must run it (`k`); a quorum is a majority of all assigned workers.
	pub replication: u8,
	/// Paid to the agreeing workers per replica: they share `replication * fee_per_worker`,
	/// less the model owner's royalty.
	pub fee_per_worker: Balance,
	/// Kept by the protocol unless the job is cancelled or finds no workers.
	pub protocol_fee: Balance,
	/// Part of `held` for storing a training job's result blob; released at settlement and
	/// held again by the blob store (or refunded). Zero for inference.
	pub result_deposit: Balance,
	/// The blobs the job holds a reference to (its input, its initial parameters, sealed or
	/// remote; until spec 119 only sealed ones), released when it ends.
	pub blob_refs: BlobRefs,
	/// Everything held from the requester for this job.
	pub held: Balance,
	/// The job must be settled by this block; escalations start only if a whole attempt
	/// still fits before it.
	pub deadline: BlockNumber,
	/// Block of submission.
	pub submitted_at: BlockNumber,
	/// Where the job is.
	pub status: JobStatus<BlockNumber>,
	/// Escalations so far; the current attempt.
	pub attempt: u8,
	/// Every worker assigned, in every attempt.
	pub assignees: Assignees,
	/// The agreed outcome, once a quorum formed.
	pub result: Option<Result>,
}

/// What a worker is doing.
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
pub enum WorkerStatus {
	/// Takes new work.
	#[codec(index = 0)]
	Active,
	/// Paused by its owner: finishes what it holds, takes nothing new.
	#[codec(index = 1)]
	Paused,
	/// Missed too many assignments in a row, or its stake fell below the minimum: takes
	/// nothing new until its owner calls `resume`.
	#[codec(index = 2)]
	Inactive,
	/// Unbonded everything: takes nothing new; removed once the stake is withdrawn.
	#[codec(index = 3)]
	Leaving,
}

/// A registered worker, as kept in [`Workers`](crate::Workers).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct WorkerInfo<AccountId, Balance, BlockNumber> {
	/// The account of the key its node signs commits and reveals with.
	pub key: AccountId,
	/// Bonded stake: assignment weight, and what slashes take first.
	pub stake: Balance,
	/// Stake on its way out, still held (and slashable) until `unlock_at`.
	pub unbonding: Balance,
	/// When `unbonding` can be withdrawn.
	pub unlock_at: BlockNumber,
	/// Most jobs it runs at once.
	pub capacity: u32,
	/// Jobs it holds now.
	pub assigned: u32,
	/// Whether it takes new work.
	pub status: WorkerStatus,
	/// Assignments missed in a row (no commitment in the commit phase).
	pub missed: u32,
}

impl<AccountId, Balance: Copy + sp_runtime::Saturating, BlockNumber>
	WorkerInfo<AccountId, Balance, BlockNumber>
{
	/// Everything held from the worker: bonded and unbonding stake.
	pub fn held(&self) -> Balance {
		self.stake.saturating_add(self.unbonding)
	}
}

/// What the runtime API reports of a job: its record with its commitments and reveals.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct JobView<Job, AccountId, Reveal> {
	/// The job's record.
	pub job: Job,
	/// Workers that committed, with their commitments.
	pub commitments: Vec<(AccountId, Digest)>,
	/// Workers that revealed, with their reveals.
	pub reveals: Vec<(AccountId, Reveal)>,
}

/// What a worker opens of its commitment in [`JobStatus::Opening`].
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
pub enum Opening {
	/// The digest of the committed outcome; the outcome itself is disclosed later.
	#[codec(index = 0)]
	Digest(Digest),
	/// The worker could not run the job ([`Outcome::CouldNotRun`]): nothing to hide, so this
	/// is its whole reveal.
	#[codec(index = 1)]
	CouldNotRun {
		/// Why (an executor code).
		code: u16,
	},
}

/// A revealed outcome with its digest as the chain computed it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Reveal<Outputs> {
	/// The outcome's digest.
	pub digest: Digest,
	/// What the worker revealed.
	pub outcome: Outcome<Outputs>,
}

/// What a phase end scheduled in [`Deadlines`](crate::Deadlines) is for.
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
pub enum DeadlineKind {
	/// The last block a queued job can start a full attempt in.
	#[codec(index = 0)]
	LatestStart,
	/// The end of a commit phase.
	#[codec(index = 1)]
	CommitEnd,
	/// The end of a reveal phase.
	#[codec(index = 2)]
	RevealEnd,
	/// The end of a finished job's retention.
	#[codec(index = 3)]
	Purge,
	/// The end of an opening phase.
	#[codec(index = 4)]
	OpenEnd,
}

/// Why a worker was slashed.
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
pub enum SlashReason {
	/// Its reveal disagreed with the quorum.
	#[codec(index = 0)]
	Dissent,
	/// It was assigned and neither committed nor revealed.
	#[codec(index = 1)]
	NoReveal,
	/// It committed but withheld its reveal (as a worker that sees its answer lose would):
	/// slashed as much as a dissenter.
	#[codec(index = 2)]
	Withheld,
}
