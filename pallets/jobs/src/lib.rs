//! # Jobs pallet
//!
//! Compute-job escrow with verified execution. A requester pays into escrow for a model run;
//! independent workers run it in their nodes' off-chain workers, commit to the result, reveal
//! it, and the escrow pays out only when a quorum of them agree.
//!
//! ## Dispatchable functions
//!
//! | call | origin | what it does |
//! |---|---|---|
//! | [`Pallet::register_worker`] | signed (the worker) | becomes a worker: stake held, worker key (with the key's proof), capacity |
//! | [`Pallet::bond_extra`] | signed (a worker) | adds stake |
//! | [`Pallet::pause`] | signed (a worker) | stops new assignments |
//! | [`Pallet::resume`] | signed (a paused or inactive worker) | takes work again |
//! | [`Pallet::unbond`] | signed (a worker) | moves stake to unbonding; all of it is leaving |
//! | [`Pallet::withdraw_unbonded`] | signed (a worker) | releases unlocked stake; a leaving worker is removed |
//! | [`Pallet::submit_job`] | signed (the requester) | submits a job, holding its escrow |
//! | [`Pallet::cancel_job`] | signed (the job's requester) | cancels a queued job, refunding all but the protocol fee |
//! | [`Pallet::recheck_version`] | signed (the model's owner) | runs the job that found an invalid version at fault again; `MODEL_FAULT_QUORUM` agreeing outputs revalidate it |
//! | [`Pallet::commit`] | signed by a worker key | commits an assigned worker to its result; free when it succeeds |
//! | [`Pallet::open`] | signed by a worker key | opens a commitment's digest (jobs of more than one worker); the last opening ends the phase (without a quorum of digests, in the next block's `on_initialize`, since the end may draw workers); free when it succeeds |
//! | [`Pallet::reveal`] | signed by a worker key | reveals the committed result; the last reveal settles; free when it succeeds |
//! | [`Pallet::set_min_replication`] | root | sets the least replication a job may ask for |
//!
//! Other pallets submit jobs through [`RoundJobs`] and read open jobs through
//! [`ModelUsage`] (both in `mosaic-primitives`).
//!
//! ## Where the code is
//!
//! `lib.rs` holds the pallet (config, storage, events, errors, hooks, calls); the logic is
//! in modules by concern: `workers.rs` (registration, the eligible-worker list, slashing),
//! `submission.rs` (checks and escrow), `schedule.rs` (phase ends and `on_initialize`),
//! `assignment.rs` (the draw by stake, [`draw_by_stake`]), `commitment.rs` (commitments and
//! outcome digests), `settlement.rs` (deciding, paying, slashing, refunding, a job's end),
//! `composite_weights.rs` (weights of calls that may settle), `impls.rs` (what other pallets
//! and the runtime API see), `try_state.rs` (the invariants), `offchain.rs` (the worker).
//! Tests are under `tests/`, one file per area.
//!
//! ## Words
//!
//! An *attempt* is one assignment of workers to a job and its commit and reveal phases: the
//! first attempt, then one per escalation. (A *round* is a federated training round of the
//! rounds pallet.) The *eligible workers* ([`EligibleWorkers`]) are those a draw may pick.
//!
//! ## Workers
//!
//! An account becomes a worker with [`Pallet::register_worker`]: a stake held under
//! [`HoldReason::WorkerStake`] (at least [`Config::MinStake`]), a worker key (the account of
//! an sr25519 key of type `mwrk` in its node's keystore, which signs its commitments and
//! reveals) and a capacity (jobs at once). It can add stake ([`Pallet::bond_extra`]), pause
//! and resume, and unbond ([`Pallet::unbond`], then [`Pallet::withdraw_unbonded`] after
//! [`Config::UnbondDelay`]). Unbonding everything is leaving, which is refused while it holds
//! assigned work. Unbonding stake stays held and slashable until withdrawn.
//!
//! A worker that misses [`Config::MaxMissed`] assignments in a row (no commitment in the
//! commit phase), or whose stake a slash takes below the minimum, becomes
//! [`WorkerStatus::Inactive`] and gets no new work until it calls [`Pallet::resume`].
//!
//! ## A job's life
//!
//! 1. [`Pallet::submit_job`]: model version (runnable: not deprecated, not invalid), input (a
//!    sealed or remote blob, or small inline tensors checked against the version's input
//!    schema), kind (inference or training; aggregations come only from the rounds pallet,
//!    through [`RoundJobs`]), replication `k`, fee per worker and deadline.
//!    `k * fee + ProtocolFee` is held from the requester under [`HoldReason::JobEscrow`]. The
//!    job joins the assignment [`Queue`].
//! 2. Assignment, in a later block's `on_initialize`: `k` distinct eligible workers (active,
//!    with free capacity, never the requester), drawn with probability proportional to stake
//!    from a seed of [`Config::Randomness`] (in the runtime, the VRF output of the assigning
//!    block's BABE author), the job as its requester signed it and the attempt; each
//!    candidate holds its own ticket from that seed ([`draw_by_stake`]), so nobody re-rolls
//!    the others' draws by changing their own stake or workers. Nobody knows the seed when the
//!    submission is included; the assigning block's author can only publish its block or
//!    withhold it (see `docs/decisions.md` for what that and the rest of the residual bias
//!    are worth).
//! 3. Commit ([`Pallet::commit`], signed by the worker key): `blake2(digest, salt, worker)`
//!    within [`Config::CommitPeriod`] blocks. When every worker of the attempt committed, or the
//!    period ends, the reveal phase starts (one worker) or the opening phase (more).
//! 4. Reveal ([`Pallet::reveal`]): the outcome (quantised outputs, or their digest only for
//!    outputs too large to reveal, or the executor's error code) and the salt. The chain
//!    recomputes the digest and checks it against the commitment.
//!
//!    A job with more than one worker reveals in two steps, so that nothing an escalation's
//!    workers could reproduce without computing is public before they commit. First each
//!    committed worker opens its commitment's digest ([`Pallet::open`], within
//!    [`Config::RevealPeriod`]; an abstention is opened whole). If a quorum opened the same
//!    digest, or the job cannot escalate, the outcomes are disclosed with [`Pallet::reveal`],
//!    one attempt at a time, latest first ([`JobStatus::Disclosing`], each within
//!    [`Config::RevealPeriod`]): a worker that committed to a digest it copied from an earlier
//!    attempt must disclose before the worker it copied, and cannot. Otherwise the job
//!    escalates (step 6) with only digests public.
//! 5. Settle, when all committed workers revealed or [`Config::RevealPeriod`] ends: the reveal
//!    the most others agree with (same digest, or element-wise within the version's tolerance)
//!    decides, if a majority of all assigned workers agree with it. Agreeing workers share the
//!    fee and the model owner gets its royalty, both owed to them in the rewards pot
//!    ([`Config::Rewards`]) until they claim; dissenters lose [`Config::DissentSlash`] of
//!    stake, workers that never revealed lose [`Config::NoRevealSlash`]; slashes and the
//!    protocol fee go to the rewards pool; the rest is refunded. The contributions (compute,
//!    validation, model) are recorded in the attestation ledger ([`Config::Contributions`]).
//!    If the quorum agrees that the executor fails the job, it ends [`JobStatus::Failed`]
//!    with the code, the workers are paid for the run, and a model fault found by at least
//!    [`MODEL_FAULT_QUORUM`] workers marks the version invalid in the registry. Its owner may
//!    have that job run again ([`Pallet::recheck_version`], paid by the owner): if as many
//!    workers agree on outputs, the version is active again.
//! 6. No quorum: [`Config::EscalationWorkers`] more workers join in a new attempt (at most
//!    [`Config::MaxEscalations`] times, and only while a whole attempt, with the disclosures
//!    of every attempt, fits before the deadline); otherwise the job fails and the requester
//!    is refunded but the protocol fee. A job with more than one worker escalates only at the
//!    end of an opening phase, never once its outcomes are disclosed.
//!
//! [`Pallet::cancel_job`] takes a job out of the queue and returns all but the protocol fee;
//! once workers are assigned it cannot be cancelled. Finished jobs stay
//! readable for [`Config::Retention`] blocks, then are purged.
//!
//! Phase ends are scheduled in [`Deadlines`] at the block they are due and handled in
//! `on_initialize`, oldest first, at most [`Config::MaxDeadlinesPerBlock`] per block; when
//! more are due they wait for the next block, so a phase can end late but never early. At
//! most [`Config::MaxAssignPerBlock`] queued jobs are looked at per block. Every exit path
//! releases the job's escrow hold exactly.
//!
//! ## Training jobs
//!
//! A [`JobKind::Training`] job runs a training-step graph over its dataset blob for some
//! epochs from a blob of initial parameters (see `docs/training.md`). Workers agree on the
//! trained parameters and the loss curve like on any outputs; at settlement the agreed
//! parameters are stored as a blob of the requester's ([`Config::Blobs`]), paid from a
//! deposit held with the escrow, and named in the job's result.
//!
//! ## Remote blobs
//!
//! Blob inputs, and a version's model, may be registered by URI. A job references the blobs
//! it names while it is open, as a version does its model, so the registration (its URI and
//! bond) stays what the workers were asked to fetch; bytes uploaded meanwhile take the
//! reference over. Each worker's off-chain worker has its node fetch the bytes when its job
//! needs them (from peers first; a sealed blob the node lacks after warp sync too) and the
//! node checks their size and hash. Bytes that do not match end the run with code 16
//! ([`mosaic_primitives::onnx::REMOTE_BLOB_REJECTED`]); a failed download is retried.
//!
//! ## Off-chain worker
//!
//! Each node looks for worker keys in its keystore; for each registered one it runs that
//! worker's assigned jobs through the `mosaic_onnx` host functions (start, then poll in
//! later blocks), commits, opens when the opening phase starts, and reveals once the reveal
//! phase or its attempt's disclosure opens. Salts and outcomes are
//! kept in the node's persistent off-chain storage, so a restart neither loses them nor runs a
//! finished job again, and each commitment and reveal is submitted once.
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

mod assignment;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod commitment;
mod composite_weights;
mod impls;
pub mod migrations;
#[cfg(test)]
mod mock;
mod offchain;
mod schedule;
mod settlement;
mod submission;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-state", test))]
mod try_state;
pub mod types;
pub mod weights;
mod workers;

pub use assignment::draw_by_stake;
pub use commitment::{commitment, could_not_run_digest, error_digest};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::*;
use mosaic_primitives::{
	blob::{BlobFetch, BlobInspect, BlobKind, BlobReferences, BlobStore, RemoteBlobBond},
	contribution::{
		ContributionKind, Points, RecordContribution, RewardPot, RewardSource, Subject,
	},
	model::{ModelRegistry, ModelUsage},
	rounds::{JobEnd, JobObserver, RoundJob, RoundJobs},
};
use sp_runtime::traits::{
	CheckedAdd, CheckedMul, CheckedSub, Saturating, UniqueSaturatedInto, Zero,
};

/// Domain separator of worker-key proofs.
const KEY_PROOF_DOMAIN: &[u8] = b"mosaic/worker-key/v1";

/// What a worker key signs to prove it belongs to `worker`'s operator:
/// `"mosaic/worker-key/v1" ++ SCALE(worker)` (for 32-byte accounts, the account's bytes).
pub fn key_proof_message<AccountId: Encode>(worker: &AccountId) -> Vec<u8> {
	let mut message = KEY_PROOF_DOMAIN.to_vec();
	worker.encode_to(&mut message);
	message
}

/// Agreeing workers it takes to find a model version at fault and mark it invalid: fewer
/// than three would let one worker (or one kind of machine) end somebody's model. (An
/// escalated worker's copy of a verdict made public before it committed is no vote.)
pub const MODEL_FAULT_QUORUM: u32 = 3;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::jobs";

/// The subject under which a draw of workers asks [`Config::Randomness`]; the seed of a draw
/// is `blake2(random, draw key, attempt)`, the draw key being the hash of the job as its
/// requester signed it (requester, model, version, kind, input, replication, fee, deadline).
pub const ASSIGNMENT_SUBJECT: &[u8] = b"mosaic/jobs/assignment";

/// The subject under which settlement asks [`Config::Randomness`] for the value that breaks
/// what is left of a tie: the lowest `blake2(digest, random)` leads.
pub const TIE_BREAK_SUBJECT: &[u8] = b"mosaic/jobs/tie-break";

sp_api::decl_runtime_apis! {
	/// What clients and nodes read of jobs and workers.
	pub trait JobsApi<AccountId, Job, Worker> where
		AccountId: codec::Codec,
		Job: codec::Codec,
		Worker: codec::Codec,
	{
		/// A job with its commitments and reveals; `None` for unknown or purged jobs.
		fn job(id: JobId) -> Option<Job>;
		/// A worker's record; `None` if the account is not a worker.
		fn worker(who: AccountId) -> Option<Worker>;
		/// The jobs a worker holds now.
		fn worker_jobs(who: AccountId) -> Vec<JobId>;
		/// The worker a worker key signs for, if it is registered.
		fn worker_of_key(key: AccountId) -> Option<AccountId>;
	}
}

/// The crypto of worker keys for runtimes whose signatures are `MultiSignature` (sr25519
/// worker keys, key type `mwrk`).
pub mod crypto {
	use sp_runtime::{MultiSignature, MultiSigner};

	/// Signs with the node's worker key.
	pub struct WorkerAuthId;

	impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for WorkerAuthId {
		type RuntimeAppPublic = mosaic_primitives::worker::Public;
		type GenericPublic = sp_core::sr25519::Public;
		type GenericSignature = sp_core::sr25519::Signature;
	}
}

/// Creates runnable model versions and sealed blobs for the benchmarks, which see the
/// registry and the blob store only through their traits.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, KeyProof> {
	/// Registers a runnable version owned by `owner` whose one float input is called `x` with
	/// a symbolic shape `[n]` and whose one output is `y`, and returns `(model, version)`.
	fn runnable_version(owner: &AccountId) -> (ModelId, VersionNumber);

	/// Stores a small sealed blob owned by `owner`, different for each `seed`.
	fn sealed_blob(owner: &AccountId, seed: u32) -> BlobHash;

	/// A new worker key's account and its proof for `worker` (see [`key_proof_message`]).
	fn worker_key(worker: &AccountId) -> (AccountId, KeyProof);

	/// Makes [`Config::Randomness`] take its costliest path in the current block (in the
	/// runtime: a BABE pre-digest with a VRF output to derive), so the benchmarks of draws and
	/// tie-breaks measure it.
	fn prepare_randomness() {}
}

#[frame_support::pallet]
// `submit_job` takes a job's eight parameters; the macro's generated constructors repeat them.
#[allow(clippy::too_many_arguments)]
pub mod pallet {
	use super::*;

	/// Balance of the currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	type RegistryOf<T> = <T as Config>::Models;
	/// Longest tensor name (the registry's bound).
	pub type MaxNameOf<T> = <RegistryOf<T> as ModelRegistry<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
	>>::MaxTensorNameLength;
	/// Most dimensions (the registry's bound).
	pub type MaxRankOf<T> = <RegistryOf<T> as ModelRegistry<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
	>>::MaxRank;
	/// Most inputs and outputs (the registry's bound).
	pub type MaxIoOf<T> = <RegistryOf<T> as ModelRegistry<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
	>>::MaxIoTensors;
	/// A tensor name.
	pub type NameOf<T> = BoundedVec<u8, MaxNameOf<T>>;
	/// A tensor shape.
	pub type ShapeOf<T> = BoundedVec<u64, MaxRankOf<T>>;
	/// Inline input tensors.
	pub type InlineInputOf<T> = BoundedVec<
		InlineTensor<NameOf<T>, ShapeOf<T>, BoundedVec<u8, <T as Config>::MaxInlineInputBytes>>,
		MaxIoOf<T>,
	>;
	/// A job's input.
	pub type JobInputOf<T> = JobInput<InlineInputOf<T>>;
	/// Revealed outputs.
	pub type OutputsOf<T> = BoundedVec<
		OutputTensor<NameOf<T>, ShapeOf<T>, BoundedVec<i64, <T as Config>::MaxOutputValues>>,
		MaxIoOf<T>,
	>;
	/// A worker's outcome.
	pub type OutcomeOf<T> = Outcome<OutputsOf<T>>;
	/// A stored reveal.
	pub type RevealOf<T> = Reveal<OutputsOf<T>>;
	/// Workers assigned to a job.
	pub type AssigneesOf<T> =
		BoundedVec<Assignee<<T as frame_system::Config>::AccountId>, <T as Config>::MaxAssignees>;
	/// A job's record.
	pub type JobInfoOf<T> = JobInfo<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		JobInputOf<T>,
		AssigneesOf<T>,
		JobResult<OutputsOf<T>>,
	>;
	/// A worker's record.
	pub type WorkerInfoOf<T> =
		WorkerInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	/// A worker registered at genesis: `(worker, worker key account, stake, capacity)`.
	pub type GenesisWorker<T> = (
		<T as frame_system::Config>::AccountId,
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		u32,
	);
	/// What the runtime API reports of a job.
	pub type JobViewOf<T> =
		JobView<JobInfoOf<T>, <T as frame_system::Config>::AccountId, RevealOf<T>>;

	/// The in-code storage version. 0 is the layout every Mosaic chain started with; each
	/// change of layout bumps it and comes with a migration in [`crate::migrations`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the jobs pallet.
	#[pallet::config]
	pub trait Config:
		frame_system::Config + frame_system::offchain::CreateSignedTransaction<Call<Self>>
	{
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency stakes and escrows are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason, which includes this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The model registry: schemas, precision, tolerance, royalties, invalidation.
		type Models: ModelRegistry<Self::AccountId, BalanceOf<Self>>;

		/// The blob store: blob inputs must be sealed (then referenced while the job is open)
		/// or remote (fetched and checked by the workers); training jobs' agreed parameters
		/// are stored in it.
		type Blobs: BlobInspect<Self::AccountId>
			+ BlobReferences
			+ BlobFetch
			+ BlobStore<Self::AccountId, BalanceOf<Self>>
			+ RemoteBlobBond<Self::AccountId, BalanceOf<Self>>;

		/// The rewards pot: workers' fees and owners' royalties are owed to them there;
		/// protocol fees and slashes go to its pool.
		type Rewards: RewardPot<Self::AccountId, BalanceOf<Self>>;

		/// The attestation ledger, which settlement records contributions in.
		type Contributions: RecordContribution<Self::AccountId>;

		/// Compute points of each worker whose result the quorum agreed with.
		#[pallet::constant]
		type ComputePoints: Get<Points>;

		/// Validation points of each agreeing worker when more than one agreed: each confirmed
		/// the others.
		#[pallet::constant]
		type ValidationPoints: Get<Points>;

		/// Model points of the model owner for each settled job on its version.
		#[pallet::constant]
		type ModelPoints: Get<Points>;

		/// The crypto of worker keys, with which the off-chain worker signs.
		type AuthorityId: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>;

		/// A signature by a worker key over [`key_proof_message`] of the registering account:
		/// proof that whoever registers a key holds it (as session keys' ownership proof), so
		/// nobody can register another operator's key or take over a key a leaving worker's
		/// node still holds.
		type KeyProof: Parameter
			+ Member
			+ sp_runtime::traits::Verify<
				Signer = <Self as frame_system::offchain::SigningTypes>::Public,
			>;

		/// Least stake a worker keeps bonded to take work.
		#[pallet::constant]
		type MinStake: Get<BalanceOf<Self>>;

		/// Blocks between unbonding and withdrawing.
		#[pallet::constant]
		type UnbondDelay: Get<BlockNumberFor<Self>>;

		/// Most jobs one worker runs at once. Positive.
		#[pallet::constant]
		type MaxCapacity: Get<u32>;

		/// Most registered workers.
		#[pallet::constant]
		type MaxWorkers: Get<u32>;

		/// Assignments a worker may miss in a row before it is made inactive. Positive.
		#[pallet::constant]
		type MaxMissed: Get<u32>;

		/// Highest replication `k` a job may ask for. At least 1.
		#[pallet::constant]
		type MaxReplication: Get<u8>;

		/// Escalation attempts after the first, at most.
		#[pallet::constant]
		type MaxEscalations: Get<u8>;

		/// Workers added per escalation attempt. Positive.
		#[pallet::constant]
		type EscalationWorkers: Get<u8>;

		/// Most workers on one job over all attempts: at least
		/// `MaxReplication + MaxEscalations * EscalationWorkers`.
		#[pallet::constant]
		type MaxAssignees: Get<u32>;

		/// Kept from every job that reached workers (to the rewards pool).
		#[pallet::constant]
		type ProtocolFee: Get<BalanceOf<Self>>;

		/// Least fee per worker: pays for a worker's commit and a small reveal.
		#[pallet::constant]
		type MinFeePerWorker: Get<BalanceOf<Self>>;

		/// What one output value a reveal may carry costs the chain (its bytes and its share
		/// of the reveal's weight). A job's fee per worker is at least this times the most
		/// values its reveal may carry (its declared outputs, with symbolic dimensions sized
		/// by its inline inputs; `MaxOutputValues` when unknown), if that is more than
		/// `MinFeePerWorker`.
		#[pallet::constant]
		type RevealFeePerValue: Get<BalanceOf<Self>>;

		/// Slashed from a worker whose reveal disagrees with the quorum, or that withheld the
		/// reveal of its commitment, on top of the job's fee per worker (see
		/// `docs/jobs.md`, "Slashes").
		#[pallet::constant]
		type DissentSlash: Get<BalanceOf<Self>>;

		/// Slashed from an assigned worker that neither committed nor revealed (at most
		/// `DissentSlash`).
		#[pallet::constant]
		type NoRevealSlash: Get<BalanceOf<Self>>;

		/// Blocks of a commit phase. Positive.
		#[pallet::constant]
		type CommitPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks of a reveal phase. Positive.
		#[pallet::constant]
		type RevealPeriod: Get<BlockNumberFor<Self>>;

		/// Farthest deadline, in blocks after submission.
		#[pallet::constant]
		type MaxDeadline: Get<BlockNumberFor<Self>>;

		/// Blocks a finished job stays readable before it is purged. Positive.
		#[pallet::constant]
		type Retention: Get<BlockNumberFor<Self>>;

		/// Most jobs waiting for assignment.
		#[pallet::constant]
		type MaxQueued: Get<u32>;

		/// Queued jobs looked at per block.
		#[pallet::constant]
		type MaxAssignPerBlock: Get<u32>;

		/// Most phase ends handled in one block's `on_initialize`; more due ones wait for the
		/// next block.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Most epochs a training job may ask for.
		#[pallet::constant]
		type MaxTrainingEpochs: Get<u16>;

		/// Largest inline input, in data bytes over all its tensors.
		#[pallet::constant]
		type MaxInlineInputBytes: Get<u32>;

		/// Most values a reveal carries, over all its output tensors; larger outputs are
		/// revealed by digest only.
		#[pallet::constant]
		type MaxOutputValues: Get<u32>;

		/// Told when a job ends; the pallet that submitted jobs through [`RoundJobs`] (its
		/// jobs cannot be cancelled by their requester).
		type Observer: JobObserver;

		/// Seeds the draws of workers ([`ASSIGNMENT_SUBJECT`]) and the last tie-break of
		/// settlement ([`TIE_BREAK_SUBJECT`]). It must be fixed by nobody who can still change
		/// the block's state before the draw reads it: in the runtime, the VRF output of the
		/// current block's BABE author, which its author can only publish or withhold (see
		/// `docs/decisions.md`). Only the value is used; the block number is ignored.
		type Randomness: frame_support::traits::Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Creates model versions for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::KeyProof>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A worker's stake, bonded or unbonding.
		#[codec(index = 0)]
		WorkerStake,
		/// What requesters pay into escrow for their open jobs.
		#[codec(index = 1)]
		JobEscrow,
	}

	// Hashers: keys the chain assigns in sequence (job ids, block numbers, model ids) use
	// `Twox64Concat`, which is fast and safe because nobody chooses them; keys a caller
	// chooses (accounts, worker keys) use `Blake2_128Concat`, so nobody can grind keys into
	// one branch of the trie. Both keep the key readable for iteration.

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// Every job not yet purged, by id.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobInfoOf<T>, OptionQuery>;

	/// Commitments of an open job, by job and worker.
	#[pallet::storage]
	pub type Commitments<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Blake2_128Concat,
		T::AccountId,
		Digest,
		OptionQuery,
	>;

	/// Reveals of an open job, by job and worker.
	#[pallet::storage]
	pub type Reveals<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Blake2_128Concat,
		T::AccountId,
		RevealOf<T>,
		OptionQuery,
	>;

	/// Digests opened by workers of an open job ([`JobStatus::Opening`]), by job and worker;
	/// the outcomes follow in [`JobStatus::Disclosing`].
	#[pallet::storage]
	pub type Openings<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Blake2_128Concat,
		T::AccountId,
		Digest,
		OptionQuery,
	>;

	/// For each version a job's quorum found at fault, that job's kind and input: what a
	/// re-check ([`Pallet::recheck_version`]) runs again. One per invalid version; removed
	/// when the version is revalidated (not yet when its model is removed: see
	/// `docs/jobs.md`).
	#[pallet::storage]
	pub type FaultedJobs<T: Config> = StorageMap<
		_,
		Twox64Concat,
		(ModelId, VersionNumber),
		(JobKind, JobInputOf<T>),
		OptionQuery,
	>;

	/// Open re-checks: the re-check job of a version. At most one per invalid version; removed
	/// when the job ends.
	#[pallet::storage]
	pub type Rechecks<T: Config> =
		StorageMap<_, Twox64Concat, (ModelId, VersionNumber), JobId, OptionQuery>;

	/// Jobs waiting for workers, oldest first.
	#[pallet::storage]
	pub type Queue<T: Config> = StorageValue<_, BoundedVec<JobId, T::MaxQueued>, ValueQuery>;

	/// Phase ends by the block they are due at, each a job and what ends. Not bounded per
	/// block: every entry belongs to a job, whose escrow pays for it; `on_initialize` handles
	/// at most `MaxDeadlinesPerBlock` a block, oldest first, so a crowded block's phase ends
	/// are handled late, never early.
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		Twox64Concat,
		(JobId, DeadlineKind),
		(),
		OptionQuery,
	>;

	/// The oldest block whose phase ends may not all have been handled.
	#[pallet::storage]
	pub type DeadlineCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Every worker, by account.
	#[pallet::storage]
	pub type Workers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, WorkerInfoOf<T>, OptionQuery>;

	/// The worker each worker key signs for.
	#[pallet::storage]
	pub type WorkerKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId, OptionQuery>;

	/// Number of registered workers.
	#[pallet::storage]
	pub type WorkerCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Workers that can take a job now (active, stake at least the minimum, free capacity),
	/// with their draw weight (stake divided by one plus their [`Abstentions`]): what
	/// assignment draws from.
	#[pallet::storage]
	pub type EligibleWorkers<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxWorkers>, ValueQuery>;

	/// Abstentions not yet made up for, by worker: each [`Outcome::CouldNotRun`] counts one,
	/// each result the worker agreed with takes one off. A worker's draw weight is its stake
	/// divided by one plus this, so a worker that abstains instead of computing is drawn less
	/// and less. Absent is zero.
	#[pallet::storage]
	pub type Abstentions<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

	/// The jobs each worker holds, by worker and job.
	#[pallet::storage]
	pub type Assignments<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, (), OptionQuery>;

	/// Open jobs per model, for the registry (a model in use cannot be removed).
	#[pallet::storage]
	pub type OpenJobs<T: Config> = StorageMap<_, Twox64Concat, ModelId, u32, ValueQuery>;

	/// Least replication a job may ask for (set in genesis, changed by root).
	#[pallet::storage]
	pub type MinReplication<T: Config> =
		StorageValue<_, u8, ValueQuery, frame_support::traits::ConstU8<1>>;

	/// Genesis: the minimum replication and workers registered from the start.
	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// Least replication (at least 1, at most `MaxReplication`).
		pub min_replication: u8,
		/// `(worker, worker key account, stake, capacity)`; the stake is held from the worker.
		pub workers: Vec<GenesisWorker<T>>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self { min_replication: 1, workers: Vec::new() }
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				self.min_replication >= 1 && self.min_replication <= T::MaxReplication::get(),
				"min_replication must be in 1..=MaxReplication"
			);
			MinReplication::<T>::put(self.min_replication);
			for (worker, key, stake, capacity) in &self.workers {
				Pallet::<T>::do_register(worker, key.clone(), *stake, *capacity)
					.expect("genesis workers must be valid and funded");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account registered as a worker.
		WorkerRegistered {
			/// The worker's account.
			worker: T::AccountId,
			/// The account of the key its node signs commits and reveals with.
			key: T::AccountId,
			/// The stake bonded on registering.
			stake: BalanceOf<T>,
			/// Most jobs it runs at once.
			capacity: u32,
		},
		/// A worker added stake.
		StakeBonded {
			/// The worker's account.
			worker: T::AccountId,
			/// The amount newly bonded.
			amount: BalanceOf<T>,
		},
		/// A worker started unbonding stake, withdrawable from `unlock_at`.
		Unbonding {
			/// The worker's account.
			worker: T::AccountId,
			/// The amount moved from bonded stake to unbonding.
			amount: BalanceOf<T>,
			/// Block from which all its unbonding stake can be withdrawn.
			unlock_at: BlockNumberFor<T>,
		},
		/// A worker withdrew unbonded stake.
		Withdrawn {
			/// The worker's account.
			worker: T::AccountId,
			/// The amount released from hold.
			amount: BalanceOf<T>,
		},
		/// A worker left: all its stake is withdrawn and its record is gone.
		WorkerRemoved {
			/// The worker's account.
			worker: T::AccountId,
		},
		/// A worker paused: it takes no new work.
		WorkerPaused {
			/// The worker's account.
			worker: T::AccountId,
		},
		/// A worker takes new work again.
		WorkerResumed {
			/// The worker's account.
			worker: T::AccountId,
		},
		/// A worker was made inactive: `missed` assignments in a row, or stake below minimum.
		WorkerInactive {
			/// The worker's account.
			worker: T::AccountId,
			/// Assignments it has missed in a row.
			missed: u32,
		},
		/// A worker lost `amount` of stake over `job`, to the rewards pool.
		WorkerSlashed {
			/// The worker's account.
			worker: T::AccountId,
			/// The job it was slashed over.
			job: JobId,
			/// The amount actually taken from its held stake.
			amount: BalanceOf<T>,
			/// Why it was slashed.
			reason: SlashReason,
		},
		/// A job was submitted and `held` was taken into escrow.
		JobSubmitted {
			/// The new job.
			job: JobId,
			/// The account that submitted it and pays for it.
			requester: T::AccountId,
			/// The model to run.
			model: ModelId,
			/// The model version to run.
			version: VersionNumber,
			/// How many workers must run it.
			replication: u8,
			/// Everything held from the requester: fees, protocol fee and result deposit.
			held: BalanceOf<T>,
		},
		/// Workers were assigned to a job for `attempt`; they commit until `commit_until`.
		JobAssigned {
			/// The job.
			job: JobId,
			/// The attempt they were assigned in (0 first, then one per escalation).
			attempt: u8,
			/// The workers newly assigned.
			workers: Vec<T::AccountId>,
			/// The block the commit phase ends at.
			commit_until: BlockNumberFor<T>,
		},
		/// A worker committed to its result.
		Committed {
			/// The job.
			job: JobId,
			/// The committing worker's account.
			worker: T::AccountId,
		},
		/// The reveal phase started; it ends at `until`.
		RevealStarted {
			/// The job.
			job: JobId,
			/// The block the reveal phase ends at.
			until: BlockNumberFor<T>,
		},
		/// The opening phase started; it ends at `until`.
		OpeningStarted {
			/// The job.
			job: JobId,
			/// The block the opening phase ends at.
			until: BlockNumberFor<T>,
		},
		/// A worker opened its commitment's `digest` (an abstention is revealed whole, see
		/// `Revealed`).
		Opened {
			/// The job.
			job: JobId,
			/// The opening worker's account.
			worker: T::AccountId,
			/// The digest it committed to.
			digest: Digest,
		},
		/// The workers of `attempt` that opened a digest disclose their outcomes until `until`.
		DisclosureStarted {
			/// The job.
			job: JobId,
			/// The attempt whose workers disclose now.
			attempt: u8,
			/// The block this disclosure ends at.
			until: BlockNumberFor<T>,
		},
		/// The owner of an invalid version asked for a re-check: `job` runs the job that found
		/// it at fault again.
		RecheckRequested {
			/// The model.
			model: ModelId,
			/// The invalid version.
			version: VersionNumber,
			/// The re-check job.
			job: JobId,
		},
		/// A worker revealed an outcome with `digest`.
		Revealed {
			/// The job.
			job: JobId,
			/// The revealing worker's account.
			worker: T::AccountId,
			/// The revealed outcome's digest, as the chain computed it.
			digest: Digest,
		},
		/// No quorum: more workers join in `attempt`.
		JobEscalated {
			/// The job.
			job: JobId,
			/// The new attempt the extra workers were assigned in.
			attempt: u8,
		},
		/// A quorum of the job's workers could not get the claimed bytes of its remote `blob`:
		/// the blob's bond was shared among them, `each` owed to each in the rewards pot, and
		/// their abstentions are not counted against them.
		UnservedBlobBondPaid {
			/// The job.
			job: JobId,
			/// The remote blob whose bond was taken.
			blob: BlobHash,
			/// The workers that reported it unserved.
			workers: Vec<T::AccountId>,
			/// What each was paid (zero when the bond was taken before).
			each: BalanceOf<T>,
		},
		/// A worker earned `amount` for an agreed result, owed to it in the rewards pot.
		WorkerPaid {
			/// The job.
			job: JobId,
			/// The agreeing worker's account.
			worker: T::AccountId,
			/// Its share of the fees.
			amount: BalanceOf<T>,
		},
		/// The model owner earned its royalty, owed to it in the rewards pot.
		RoyaltyPaid {
			/// The job.
			job: JobId,
			/// The model version's owner.
			owner: T::AccountId,
			/// The royalty it earned.
			amount: BalanceOf<T>,
		},
		/// A quorum agreed on the outputs with `digest`; the escrow paid out and `refunded` went
		/// back to the requester.
		JobSettled {
			/// The job.
			job: JobId,
			/// The digest of the agreed outcome.
			digest: Digest,
			/// How many workers agreed.
			agreeing: u32,
			/// The amount released back to the requester.
			refunded: BalanceOf<T>,
		},
		/// A training or aggregation job's agreed parameters were stored as the blob `blob`,
		/// owned by the requester.
		TrainedParametersStored {
			/// The job.
			job: JobId,
			/// The hash of the blob holding the agreed parameters.
			blob: BlobHash,
		},
		/// A job ended without a result; `refunded` went back to the requester.
		JobFailed {
			/// The job.
			job: JobId,
			/// Why it failed.
			reason: FailReason,
			/// The amount released back to the requester.
			refunded: BalanceOf<T>,
		},
		/// The requester cancelled a job and got `refunded` back.
		JobCancelled {
			/// The job.
			job: JobId,
			/// The amount released back to the requester.
			refunded: BalanceOf<T>,
		},
		/// A finished job's record was removed.
		JobPurged {
			/// The job.
			job: JobId,
		},
		/// Root changed the least replication.
		MinReplicationSet {
			/// The new least replication a job may ask for.
			value: u8,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a worker.
		AlreadyWorker,
		/// The account is not a worker.
		NotWorker,
		/// The key already signs for a worker.
		KeyInUse,
		/// The key proof is not the key's signature of the registering account's message.
		BadKeyProof,
		/// The signer is not a registered worker key.
		NotWorkerKey,
		/// The stake would be below `MinStake`.
		StakeTooLow,
		/// Capacity must be in `1..=MaxCapacity`.
		BadCapacity,
		/// `MaxWorkers` workers are registered already.
		TooManyWorkers,
		/// Not enough free balance for the stake or the escrow.
		InsufficientBalance,
		/// Unbonding more than is bonded.
		UnbondTooMuch,
		/// Leaving (unbonding everything) while holding assigned work.
		HoldsAssignedWork,
		/// Nothing to withdraw, or not yet unlocked.
		NothingToWithdraw,
		/// The worker is not in a state this call applies to.
		BadWorkerStatus,
		/// No such model version, or it takes no new jobs (deprecated or invalid).
		VersionNotRunnable,
		/// Replication outside `MinReplication..=MaxReplication`.
		BadReplication,
		/// The job asks for more workers than are registered (besides the requester): it could
		/// never be assigned.
		NotEnoughWorkers,
		/// The fee per worker is below the least for this job: `MinFeePerWorker`, or
		/// `RevealFeePerValue` for each output value its reveal may carry.
		FeeTooLow,
		/// The deadline leaves no room for an attempt (commit and reveal phase after the next
		/// block), or is beyond `MaxDeadline`.
		BadDeadline,
		/// The input blob does not exist, or is an upload still in progress.
		InputBlobUnavailable,
		/// A training job's dataset must be a blob, not inline tensors.
		TrainingNeedsDatasetBlob,
		/// A training job's initial parameters blob does not exist, or is an upload still in
		/// progress.
		ParametersBlobUnavailable,
		/// A training job's epochs are not in `1..=MaxTrainingEpochs`, or its batch size is 0.
		BadTrainingSpec,
		/// An inline input is not one of the version's inputs, or is given twice.
		UnknownInput,
		/// The inline inputs miss one of the version's inputs.
		MissingInput,
		/// An inline input's element type is not the declared one.
		InputTypeMismatch,
		/// An inline input's shape does not fit the declared one.
		InputShapeMismatch,
		/// An inline input's data length does not match its shape and type.
		InputDataLength,
		/// The inline inputs exceed `MaxInlineInputBytes`.
		InputTooLarge,
		/// The assignment queue is full.
		QueueFull,
		/// No job with this id.
		UnknownJob,
		/// Only the requester may do this.
		NotRequester,
		/// The job can no longer be cancelled: workers are assigned to it, or it is finished.
		CannotCancel,
		/// The job is not in its commit phase.
		NotCommitting,
		/// The job is not in its reveal phase, nor disclosing the worker's attempt.
		NotRevealing,
		/// The worker is not assigned to the job in the current attempt.
		NotAssigned,
		/// The worker committed already.
		AlreadyCommitted,
		/// The worker did not commit, so it cannot reveal.
		NotCommitted,
		/// The worker revealed already.
		AlreadyRevealed,
		/// The revealed outcome and salt do not match the commitment.
		CommitmentMismatch,
		/// The revealed outputs have no canonical digest (duplicate names, shape mismatch).
		MalformedOutputs,
		/// A digest-only reveal of outputs that fit a reveal: they must be revealed, so that the
		/// result records them.
		OutputsFitAReveal,
		/// The revealed outputs exceed `MaxOutputValues`.
		OutputsTooLarge,
		/// A value out of range.
		BadValue,
		/// An aggregation job's manifest is not a sealed blob.
		ManifestBlobUnavailable,
		/// The job belongs to a training round, which decides its fate: it cannot be cancelled.
		PartOfRound,
		/// The job is not in its opening phase.
		NotOpening,
		/// The worker opened its commitment already.
		AlreadyOpened,
		/// The worker did not open a digest in the opening phase, so it has nothing to
		/// disclose.
		NotOpened,
		/// Only the model's owner may ask for a re-check of its version.
		NotModelOwner,
		/// The version is not invalid: there is nothing to re-check.
		NotInvalid,
		/// No job's quorum found the version at fault (it was invalidated before re-checks
		/// existed): there is no job to run again.
		NoFaultedJob,
		/// A re-check of the version is already open.
		RecheckPending,
		/// Aggregation jobs are submitted by the rounds pallet for its rounds only: a signed
		/// one could name a manifest no round wrote, with entries without bound for every
		/// worker drawn to load.
		AggregationOnlyFromRounds,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_block(now)
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			offchain::run::<T>(now);
		}

		fn integrity_test() {
			assert!(T::MaxCapacity::get() > 0, "MaxCapacity must be positive");
			assert!(T::MaxMissed::get() > 0, "MaxMissed must be positive");
			assert!(T::MaxReplication::get() >= 1, "MaxReplication must be at least 1");
			assert!(T::EscalationWorkers::get() > 0, "EscalationWorkers must be positive");
			assert!(
				T::MaxAssignees::get()
					>= T::MaxReplication::get() as u32
						+ T::MaxEscalations::get() as u32 * T::EscalationWorkers::get() as u32,
				"MaxAssignees must cover every attempt"
			);
			assert!(!T::CommitPeriod::get().is_zero(), "CommitPeriod must be positive");
			assert!(!T::RevealPeriod::get().is_zero(), "RevealPeriod must be positive");
			// A purge is scheduled during `on_initialize`; at zero it would land behind the
			// cursor and never be handled.
			assert!(!T::Retention::get().is_zero(), "Retention must be positive");
			assert!(T::NoRevealSlash::get() <= T::DissentSlash::get(), "no-reveal slashes less");
			// Nodes hand larger outputs to the off-chain worker as a digest only.
			assert!(
				T::MaxOutputValues::get() as u64 <= mosaic_primitives::onnx::MAX_VALUES_FROM_HOST,
				"MaxOutputValues above what a node hands to the runtime"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as a worker with `stake` held, signing with the key whose
		/// account is `key`, running at most `capacity` jobs at once. `proof` is the key's
		/// signature of [`key_proof_message`] of the caller.
		///
		/// Fails if the proof is not the key's signature of the caller's message, the caller
		/// is a worker already, the key signs for another worker, the stake is below
		/// `MinStake` or not available, `capacity` is not in `1..=MaxCapacity`, or
		/// `MaxWorkers` are registered. Emits `WorkerRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_worker())]
		pub fn register_worker(
			origin: OriginFor<T>,
			key: T::AccountId,
			stake: BalanceOf<T>,
			capacity: u32,
			proof: T::KeyProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				sp_runtime::traits::Verify::verify(&proof, &key_proof_message(&who)[..], &key),
				Error::<T>::BadKeyProof
			);
			Self::do_register(&who, key, stake, capacity)
		}

		/// Adds `amount` to the caller's bonded stake. Emits `StakeBonded`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Workers::<T>::get(&who).ok_or(Error::<T>::NotWorker)?;
			ensure!(info.status != WorkerStatus::Leaving, Error::<T>::BadWorkerStatus);
			ensure!(!amount.is_zero(), Error::<T>::BadValue);
			T::Currency::hold(&HoldReason::WorkerStake.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			info.stake = info.stake.saturating_add(amount);
			Self::store_worker(&who, info);
			Self::deposit_event(Event::StakeBonded { worker: who, amount });
			Ok(())
		}

		/// Stops new assignments to the caller; held jobs run to the end. Emits
		/// `WorkerPaused`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pause())]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Workers::<T>::get(&who).ok_or(Error::<T>::NotWorker)?;
			ensure!(
				matches!(info.status, WorkerStatus::Active | WorkerStatus::Inactive),
				Error::<T>::BadWorkerStatus
			);
			info.status = WorkerStatus::Paused;
			Self::store_worker(&who, info);
			Self::deposit_event(Event::WorkerPaused { worker: who });
			Ok(())
		}

		/// Makes a paused or inactive worker active again (its missed count starts over).
		/// Needs at least `MinStake` bonded. Emits `WorkerResumed`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Workers::<T>::get(&who).ok_or(Error::<T>::NotWorker)?;
			ensure!(
				matches!(info.status, WorkerStatus::Paused | WorkerStatus::Inactive),
				Error::<T>::BadWorkerStatus
			);
			ensure!(info.stake >= T::MinStake::get(), Error::<T>::StakeTooLow);
			info.status = WorkerStatus::Active;
			info.missed = 0;
			Self::store_worker(&who, info);
			Self::deposit_event(Event::WorkerResumed { worker: who });
			Ok(())
		}

		/// Moves `amount` of bonded stake to unbonding; it stays held (and slashable) until
		/// `UnbondDelay` blocks from now, which also restarts the delay of stake already
		/// unbonding. What stays bonded must be zero or at least `MinStake`; unbonding
		/// everything is leaving, refused while the worker holds assigned work. Emits
		/// `Unbonding`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Workers::<T>::get(&who).ok_or(Error::<T>::NotWorker)?;
			ensure!(amount <= info.stake, Error::<T>::UnbondTooMuch);
			let remaining = info.stake.saturating_sub(amount);
			if remaining.is_zero() {
				ensure!(info.assigned == 0, Error::<T>::HoldsAssignedWork);
				info.status = WorkerStatus::Leaving;
			} else {
				ensure!(remaining >= T::MinStake::get(), Error::<T>::StakeTooLow);
			}
			let unlock_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondDelay::get());
			info.stake = remaining;
			info.unbonding = info.unbonding.saturating_add(amount);
			info.unlock_at = unlock_at;
			Self::store_worker(&who, info);
			Self::deposit_event(Event::Unbonding { worker: who, amount, unlock_at });
			Ok(())
		}

		/// Releases the caller's unlocked unbonding stake. A leaving worker with nothing left
		/// is removed (`WorkerRemoved`), freeing its key. Emits `Withdrawn`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded())]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Workers::<T>::get(&who).ok_or(Error::<T>::NotWorker)?;
			let now = frame_system::Pallet::<T>::block_number();
			let leaves =
				info.status == WorkerStatus::Leaving && info.stake.is_zero() && info.assigned == 0;
			ensure!(
				(!info.unbonding.is_zero() && info.unlock_at <= now)
					|| (leaves && info.unbonding.is_zero()),
				Error::<T>::NothingToWithdraw
			);
			let amount = info.unbonding;
			T::Currency::release(
				&HoldReason::WorkerStake.into(),
				&who,
				amount,
				Precision::BestEffort,
			)?;
			info.unbonding = Zero::zero();
			if leaves {
				Workers::<T>::remove(&who);
				Abstentions::<T>::remove(&who);
				WorkerKeys::<T>::remove(&info.key);
				WorkerCount::<T>::mutate(|n| *n = n.saturating_sub(1));
				Self::deposit_event(Event::Withdrawn { worker: who.clone(), amount });
				Self::deposit_event(Event::WorkerRemoved { worker: who });
			} else {
				Self::store_worker(&who, info);
				Self::deposit_event(Event::Withdrawn { worker: who, amount });
			}
			Ok(())
		}

		/// Submits a job on `version` of `model` and holds `replication * fee_per_worker +
		/// ProtocolFee` from the caller. `deadline` is the block by which it must settle:
		/// at least one block plus a commit and a reveal phase from now, at most `MaxDeadline`.
		///
		/// Inline inputs must give every declared input once, with its declared element type,
		/// a shape that fits the declared one (fixed dimensions equal, each symbolic name one
		/// size), and exactly the data that shape needs.
		///
		/// Blob inputs may be sealed or remote. A training job ([`JobKind::Training`]) takes its
		/// dataset as a blob input and names a blob of initial parameters; it also holds the
		/// blob deposit of a parameter blob that size, released at settlement to pay for
		/// storing the trained parameters. Aggregation jobs are refused
		/// (`AggregationOnlyFromRounds`): only the rounds pallet submits them, through
		/// [`RoundJobs`], with manifests its rounds wrote.
		/// Emits `JobSubmitted`.
		#[pallet::call_index(10)]
		#[pallet::weight(match (kind, input) {
			(JobKind::Training(_) | JobKind::Aggregation(_), _) => T::WeightInfo::submit_training_job(),
			(_, JobInput::Inline(tensors)) =>
				T::WeightInfo::submit_job(tensors.iter().map(|t| t.data.len() as u32).sum()),
			(_, JobInput::Blob { .. }) => T::WeightInfo::submit_job(0),
		})]
		pub fn submit_job(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			kind: JobKind,
			input: JobInputOf<T>,
			replication: u8,
			fee_per_worker: BalanceOf<T>,
			deadline: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				!matches!(kind, JobKind::Aggregation(_)),
				Error::<T>::AggregationOnlyFromRounds
			);
			ensure!(T::Models::is_runnable(model, version), Error::<T>::VersionNotRunnable);
			Self::do_submit(
				&who,
				model,
				version,
				kind,
				input,
				replication,
				fee_per_worker,
				deadline,
			)
			.map(|_| ())
		}

		/// Asks for a re-check of an invalid version, as its owner: the job whose quorum found
		/// the model at fault ([`FaultedJobs`]: its kind and input) runs again, paid by the
		/// owner like any job, with `MODEL_FAULT_QUORUM` workers (or the least replication, if
		/// more). If at least `MODEL_FAULT_QUORUM` of them agree on outputs (as many as it took
		/// to find the fault), the version is active again; otherwise it stays invalid. The requesters whose jobs failed are not asked to pay
		/// for it, and a version comes back only by running the very job that ended it.
		/// Emits `JobSubmitted` and `RecheckRequested`.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::recheck_version())]
		pub fn recheck_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			fee_per_worker: BalanceOf<T>,
			deadline: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let view = T::Models::version(model, version).ok_or(Error::<T>::VersionNotRunnable)?;
			ensure!(view.owner == who, Error::<T>::NotModelOwner);
			ensure!(
				matches!(view.status, mosaic_primitives::model::VersionStatus::Invalid { .. }),
				Error::<T>::NotInvalid
			);
			let (kind, input) =
				FaultedJobs::<T>::get((model, version)).ok_or(Error::<T>::NoFaultedJob)?;
			ensure!(!Rechecks::<T>::contains_key((model, version)), Error::<T>::RecheckPending);
			let replication = (MODEL_FAULT_QUORUM as u8).max(MinReplication::<T>::get());
			let job = Self::do_submit(
				&who,
				model,
				version,
				kind,
				input,
				replication,
				fee_per_worker,
				deadline,
			)?;
			Rechecks::<T>::insert((model, version), job);
			Self::deposit_event(Event::RecheckRequested { model, version, job });
			Ok(())
		}

		/// Cancels the caller's job while it waits in the queue, refunding everything but the
		/// protocol fee (a queue slot is not free to hold). Once workers are assigned they are
		/// running it, so it can no longer be cancelled. Emits `JobCancelled`.
		#[pallet::call_index(11)]
		#[pallet::weight(Pallet::<T>::cancel_weight())]
		pub fn cancel_job(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			ensure!(info.requester == who, Error::<T>::NotRequester);
			ensure!(!T::Observer::owns(job), Error::<T>::PartOfRound);
			ensure!(info.status == JobStatus::Queued, Error::<T>::CannotCancel);
			Queue::<T>::mutate(|queue| queue.retain(|id| *id != job));
			Self::unschedule_latest_start(job, info.deadline);
			let refunded = Self::close_escrow(&info, Zero::zero(), info.protocol_fee);
			info.status = JobStatus::Cancelled;
			Self::finish(job, info);
			Self::deposit_event(Event::JobCancelled { job, refunded });
			Ok(())
		}

		/// Commits the signing worker to `commitment = blake2_256("mosaic/job-commitment/v1" ++
		/// digest ++ salt ++ SCALE(worker))` for `job`. Signed by the worker key. Free when it
		/// succeeds. Emits `Committed`, and `RevealStarted` when it is the attempt's last.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::commit())]
		pub fn commit(
			origin: OriginFor<T>,
			job: JobId,
			commitment: Digest,
		) -> DispatchResultWithPostInfo {
			let key = ensure_signed(origin)?;
			let worker = WorkerKeys::<T>::get(&key).ok_or(Error::<T>::NotWorkerKey)?;
			let mut info = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			ensure!(matches!(info.status, JobStatus::Committing { .. }), Error::<T>::NotCommitting);
			ensure!(
				info.assignees.iter().any(|a| a.worker == worker && a.attempt == info.attempt),
				Error::<T>::NotAssigned
			);
			ensure!(!Commitments::<T>::contains_key(job, &worker), Error::<T>::AlreadyCommitted);
			Commitments::<T>::insert(job, &worker, commitment);
			Self::deposit_event(Event::Committed { job, worker });

			let attempt_done = info
				.assignees
				.iter()
				.filter(|a| a.attempt == info.attempt)
				.all(|a| Commitments::<T>::contains_key(job, &a.worker));
			if attempt_done {
				let now = frame_system::Pallet::<T>::block_number();
				Self::end_commit_phase(job, &mut info, now);
				Self::store_or_finish(job, info);
			}
			Ok(Pays::No.into())
		}

		/// Reveals the signing worker's `outcome` and `salt` for `job`. The chain computes the
		/// outcome's digest (the canonical output digest at the version's precision) and
		/// checks the commitment. A digest-only outcome is refused for an inference whose
		/// declared outputs have fixed shapes within `MaxOutputValues`. Signed by the worker key. Free when it succeeds. Emits
		/// `Revealed`; the last reveal settles the job (a lone worker's abstention, which
		/// escalates, in the next block's `on_initialize`: draws never happen in an extrinsic).
		#[pallet::call_index(13)]
		#[pallet::weight(Pallet::<T>::reveal_weight(match outcome {
			Outcome::Outputs(outputs) => outputs.iter().map(|o| o.elements.len() as u32).sum(),
			_ => 0,
		}))]
		pub fn reveal(
			origin: OriginFor<T>,
			job: JobId,
			salt: Salt,
			outcome: OutcomeOf<T>,
		) -> DispatchResultWithPostInfo {
			let key = ensure_signed(origin)?;
			let worker = WorkerKeys::<T>::get(&key).ok_or(Error::<T>::NotWorkerKey)?;
			let mut info = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			ensure!(
				matches!(info.status, JobStatus::Revealing { .. } | JobStatus::Disclosing { .. }),
				Error::<T>::NotRevealing
			);
			let committed = Commitments::<T>::get(job, &worker).ok_or(Error::<T>::NotCommitted)?;
			ensure!(!Reveals::<T>::contains_key(job, &worker), Error::<T>::AlreadyRevealed);
			if let JobStatus::Disclosing { attempt, .. } = info.status {
				ensure!(
					info.assignees.iter().any(|a| a.worker == worker && a.attempt == attempt),
					Error::<T>::NotRevealing
				);
				ensure!(Openings::<T>::contains_key(job, &worker), Error::<T>::NotOpened);
			}
			let view = T::Models::version(info.model, info.version)
				.ok_or(Error::<T>::VersionNotRunnable)?;
			if matches!(outcome, Outcome::Digest(_)) {
				ensure!(
					!Self::outputs_fit_a_reveal(
						&info.kind,
						&view.outputs,
						&Self::inline_sizes(&info.input, &view.inputs)
					),
					Error::<T>::OutputsFitAReveal
				);
			}
			let digest = Self::outcome_digest(&outcome, view.precision)?;
			ensure!(
				commitment(&digest, &salt, &worker) == committed,
				Error::<T>::CommitmentMismatch
			);
			let abstained = outcome.is_abstention();
			Reveals::<T>::insert(job, &worker, Reveal { digest, outcome });
			Self::deposit_event(Event::Revealed { job, worker, digest });

			let now = frame_system::Pallet::<T>::block_number();
			if let JobStatus::Disclosing { attempt, .. } = info.status {
				if !Self::waits_for_disclosure(job, &info, attempt) {
					Self::end_disclosure(job, &mut info, attempt, now);
					Self::store_or_finish(job, info);
				}
				return Ok(Pays::No.into());
			}
			let all_revealed =
				Commitments::<T>::iter_key_prefix(job).all(|w| Reveals::<T>::contains_key(job, &w));
			if all_revealed && info.assignees.len() == 1 && abstained {
				// Settling now would escalate, drawing workers while this block's author, who
				// knows the block's randomness, still orders its extrinsics: settle in the next
				// block's `on_initialize` instead.
				Self::end_phase_next_block(job, &mut info, now);
				Jobs::<T>::insert(job, info);
			} else if all_revealed {
				Self::settle(job, &mut info, now);
				Self::store_or_finish(job, info);
			}
			Ok(Pays::No.into())
		}

		/// Opens the signing worker's commitment for `job` in the opening phase of a job with
		/// more than one worker: the committed digest with the salt, or the whole abstention
		/// ([`Opening::CouldNotRun`]). The chain checks it against the commitment. Signed by
		/// the worker key. Free when it succeeds. Emits `Opened` (or `Revealed` for an
		/// abstention); the last opening ends the phase, in the next block's `on_initialize`
		/// when the digests have no quorum (the end may escalate, and draws never happen in an
		/// extrinsic).
		#[pallet::call_index(15)]
		#[pallet::weight(Pallet::<T>::open_weight())]
		pub fn open(
			origin: OriginFor<T>,
			job: JobId,
			salt: Salt,
			opening: Opening,
		) -> DispatchResultWithPostInfo {
			let key = ensure_signed(origin)?;
			let worker = WorkerKeys::<T>::get(&key).ok_or(Error::<T>::NotWorkerKey)?;
			let mut info = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
			ensure!(matches!(info.status, JobStatus::Opening { .. }), Error::<T>::NotOpening);
			let committed = Commitments::<T>::get(job, &worker).ok_or(Error::<T>::NotCommitted)?;
			ensure!(
				!Openings::<T>::contains_key(job, &worker)
					&& !Reveals::<T>::contains_key(job, &worker),
				Error::<T>::AlreadyOpened
			);
			let digest = match opening {
				Opening::Digest(digest) => digest,
				Opening::CouldNotRun { code } => could_not_run_digest(code),
			};
			ensure!(
				commitment(&digest, &salt, &worker) == committed,
				Error::<T>::CommitmentMismatch
			);
			match opening {
				Opening::Digest(_) => {
					Openings::<T>::insert(job, &worker, digest);
					Self::deposit_event(Event::Opened { job, worker, digest });
				},
				Opening::CouldNotRun { code } => {
					let outcome = Outcome::CouldNotRun { code };
					Reveals::<T>::insert(job, &worker, Reveal { digest, outcome });
					Self::deposit_event(Event::Revealed { job, worker, digest });
				},
			}
			if !Self::waits_for_openings(job) {
				let now = frame_system::Pallet::<T>::block_number();
				if Self::openings_agree(job, &info) {
					Self::end_opening(job, &mut info, now);
					Self::store_or_finish(job, info);
				} else {
					// No quorum of digests: ending the phase now may escalate, drawing workers
					// while this block's author, who knows the block's randomness, still
					// orders its extrinsics. End it in the next block's `on_initialize`.
					Self::end_phase_next_block(job, &mut info, now);
					Jobs::<T>::insert(job, info);
				}
			}
			Ok(Pays::No.into())
		}

		/// Sets the least replication a job may ask for. Root only. Emits
		/// `MinReplicationSet`.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::set_min_replication())]
		pub fn set_min_replication(origin: OriginFor<T>, value: u8) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(value >= 1 && value <= T::MaxReplication::get(), Error::<T>::BadReplication);
			MinReplication::<T>::put(value);
			Self::deposit_event(Event::MinReplicationSet { value });
			Ok(())
		}
	}
}
