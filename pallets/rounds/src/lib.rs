//! # Rounds pallet
//!
//! Federated training rounds. A model's owner, or a sponsor on a base version the owner
//! opened to rounds, opens a round on a base version (a training-step graph with
//! parameters), names a public validation set and holds a budget that pays for everything
//! the round needs. Data owners join with shards:
//!
//! - a **public shard** is a dataset blob; joining submits a training job from the base
//!   parameters, replicated and verified like any job;
//! - a **private shard** never leaves its owner, who trains on it locally (for example with
//!   `mosaic-node onnx train`) and joins with a commitment to the resulting parameters only;
//!   once joining has closed, it reveals them ([`Pallet::reveal_update`]), so nobody can copy
//!   an update it saw before joining.
//!
//! When joining has closed, every training job has ended and private updates were revealed
//! (or their time to be is over), anyone calls [`Pallet::aggregate`]: the round submits one
//! aggregation job that checks each update, public or private, on the validation set (loss
//! before and after, norm within the clip) and combines the accepted updates with a clipped,
//! trimmed, row-weighted mean. Its quorum's result comes back through the jobs pallet's
//! observer; anyone then calls [`Pallet::finalize`]: the combined parameters become a new
//! version of the model whose parent is the base version and which names the round, and the
//! rest of the budget is paid out through the rewards pot; their data and the owner's model
//! are attested with the round as subject.
//!
//! The budget pays, in this order:
//! 1. **workers**: each round job's escrow (fees, protocol fee, result deposit) is moved from
//!    the budget into the jobs pallet's escrow when the job is submitted, so its agreeing
//!    workers, and the model owner's royalty on their fees, are paid from the budget by the
//!    jobs pallet (which also attests their compute). A joiner pays nothing but the shard
//!    deposit. The budget must cover the aggregation job from the start; a public shard may
//!    join only while the rest still covers it;
//! 2. **the model's owner**: the base version's royalty rate applied to what is left;
//! 3. **data owners**: the remainder, split among accepted shards by rows.
//!
//! A public shard whose job fails is dropped, and an update the check rejects (a poisoned
//! public shard's as much as a private one's) is excluded; neither earns anything. The round
//! completes while at least `min_shards` remain, and fails otherwise, returning the budget. Every hold a round takes (budget, shard
//! deposits) and every blob reference is released when it ends, whichever way. Its record
//! stays `RoundRetention` blocks more, then `on_idle` purges it.
//!
//! The pallet knows the jobs pallet, the registry, the blob store, the ledger and the pot
//! only through small traits.
//!
//! ## Dispatchable functions
//!
//! * [`Pallet::create_round`]: signed, the base version's owner or a sponsor on a base opened
//!   to rounds — opens a round and holds its budget.
//! * [`Pallet::join_public`]: signed, any account once per round — joins with a public dataset
//!   shard, whose training job the budget pays for.
//! * [`Pallet::join_private`]: signed, any account once per round — joins with a commitment to
//!   parameters trained locally on private data.
//! * [`Pallet::reveal_update`]: signed, a private shard's owner — reveals the committed
//!   parameters once joining has closed, within `UpdateRevealPeriod` blocks.
//! * [`Pallet::aggregate`]: signed, anyone — once joining has closed and training has ended,
//!   submits the aggregation job (or fails the round).
//! * [`Pallet::finalize`]: signed, anyone — once the aggregation has ended, publishes the new
//!   version and pays out the budget (or fails the round).
//! * [`Pallet::set_base_open`]: signed, the model's owner — opens or closes a base version to
//!   rounds by anyone.
//!
//! ## Where the code lives
//!
//! `lib.rs` holds the pallet (configuration, storage, events, errors, hooks, calls);
//! `shards.rs` joining, `budget.rs` spending the budget, `aggregation.rs` the aggregation
//! job, `settlement.rs` ending a round and purging it later, `impls.rs` the [`JobObserver`]
//! the jobs pallet reports to and the registry's `ModelObserver`, `try_state.rs` the
//! invariants.
//!
//! [`JobObserver`]: mosaic_primitives::rounds::JobObserver

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub use pallet::*;

mod aggregation;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod budget;
pub mod impls;
pub mod migrations;
#[cfg(test)]
mod mock;
mod settlement;
mod shards;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-state", test))]
mod try_state;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
};
use frame_system::pallet_prelude::*;
use mosaic_primitives::{
	blob::{BlobInspect, BlobReferences, BlobStore},
	contribution::{Points, RecordContribution, RewardPot},
	model::ModelRegistry,
	rounds::{AggregationManifest, ManifestEntry, RoundJob, RoundJobs},
};
use sp_runtime::traits::{Saturating, Zero};

/// The target of this pallet's log lines.
const LOG_TARGET: &str = "runtime::rounds";

/// Creates what the benchmarks need through the other pallets, which this pallet sees only
/// through traits.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers a runnable version owned by `owner` that has parameters; returns
	/// `(model, version)`.
	fn version_with_parameters(owner: &AccountId) -> (ModelId, VersionNumber);
	/// Stores a small sealed blob owned by `owner`, different for each `seed`.
	fn sealed_blob(owner: &AccountId, seed: u32) -> BlobHash;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// Balance of the currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A round's verdict list.
	pub type VerdictsOf<T> = Verdicts<<T as Config>::MaxShards>;
	/// A round's record.
	pub type RoundInfoOf<T> = RoundInfo<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		VerdictsOf<T>,
	>;
	/// A round's settings.
	pub type RoundSettingsOf<T> = RoundSettings<BalanceOf<T>, BlockNumberFor<T>>;
	/// A shard's record.
	pub type ShardOf<T> = Shard<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	/// The in-code storage version. 0 is the layout every Mosaic chain started with; each
	/// change of layout bumps it and comes with a migration in [`crate::migrations`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the rounds pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency budgets and deposits are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason, which includes this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The model registry: base versions, and where new versions are published.
		type Models: ModelRegistry<Self::AccountId, BalanceOf<Self>>;

		/// The blob store: datasets, updates and manifests.
		type Blobs: BlobInspect<Self::AccountId>
			+ BlobReferences
			+ BlobStore<Self::AccountId, BalanceOf<Self>>;

		/// The jobs pallet, which runs the training and aggregation jobs and reports their
		/// ends to [`Pallet`] as its
		/// [`JobObserver`](mosaic_primitives::rounds::JobObserver).
		type Jobs: RoundJobs<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;

		/// The rewards pot the budget is paid through.
		type Rewards: RewardPot<Self::AccountId, BalanceOf<Self>>;

		/// The attestation ledger.
		type Contributions: RecordContribution<Self::AccountId>;

		/// Most shards in a round: bounds a round's verdicts and the shards aggregation and
		/// finalization go through (their weights are charged for this many). At most
		/// [`MAX_MANIFEST_UPDATES`](mosaic_primitives::rounds::MAX_MANIFEST_UPDATES), what a
		/// worker's node accepts in a manifest.
		#[pallet::constant]
		type MaxShards: Get<u32>;

		/// Held from each shard's owner while its round runs: what joining costs, so shards
		/// cannot be spammed.
		#[pallet::constant]
		type ShardDeposit: Get<BalanceOf<Self>>;

		/// Longest joining period, in blocks: bounds how long a round can keep its budget and
		/// its shards' deposits held before it can be aggregated.
		#[pallet::constant]
		type MaxJoinPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks a finished round's record stays before `on_idle` purges it: bounds the
		/// records of ended rounds. Its outcome stays in its events.
		#[pallet::constant]
		type RoundRetention: Get<BlockNumberFor<Self>>;

		/// Blocks after joining closes in which private shards reveal their updates: how long
		/// the aggregation may wait for them.
		#[pallet::constant]
		type UpdateRevealPeriod: Get<BlockNumberFor<Self>>;

		/// Data points a completed round shares among its accepted shards by rows.
		#[pallet::constant]
		type DataPoints: Get<Points>;

		/// Model points for the model's owner when a round completes.
		#[pallet::constant]
		type ModelPoints: Get<Points>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Creates models and blobs for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A round's reward budget, held from its creator until the round ends.
		#[codec(index = 0)]
		RoundBudget,
		/// A shard's deposit, held from its owner until the round ends.
		#[codec(index = 1)]
		ShardDeposit,
	}

	/// The id the next round gets.
	#[pallet::storage]
	pub type NextRoundId<T: Config> = StorageValue<_, RoundId, ValueQuery>;

	/// Every round, by id. A finished round stays as a record (its shards do not) for
	/// `RoundRetention` blocks, then is purged ([`PurgeQueue`]). Ids are assigned by the chain
	/// in sequence, so they are not hashed again for balance (`Twox64Concat`).
	#[pallet::storage]
	pub type Rounds<T: Config> = StorageMap<_, Twox64Concat, RoundId, RoundInfoOf<T>, OptionQuery>;

	/// The shards of running rounds, by round and shard number; removed when the round ends.
	/// Both keys are assigned by the chain (`Twox64Concat`); the round comes first so a
	/// round's shards are one prefix.
	#[pallet::storage]
	pub type Shards<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundId, Twox64Concat, u32, ShardOf<T>, OptionQuery>;

	/// Which shard each account contributed to a running round (one per account). Accounts
	/// are chosen by users, so they are hashed (`Blake2_128Concat`); the round id is the
	/// chain's (`Twox64Concat`).
	#[pallet::storage]
	pub type Joined<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RoundId,
		Blake2_128Concat,
		T::AccountId,
		u32,
		OptionQuery,
	>;

	/// Base versions their model's owner opened to rounds by anyone, with the owner who did:
	/// that owner consents to publish the round's result as a new version (and to hold its
	/// deposit). A later owner of the model must open it again. Model ids and version
	/// numbers are assigned by the registry in sequence (`Twox64Concat`).
	#[pallet::storage]
	pub type OpenBases<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ModelId,
		Twox64Concat,
		VersionNumber,
		T::AccountId,
		OptionQuery,
	>;

	/// Finished rounds in the order they ended, each with the first block it may be purged in,
	/// by position in the queue: entries `PurgeQueueBounds.0..PurgeQueueBounds.1`. Rounds end
	/// in block order and wait the same retention, so the queue is in purge order too.
	/// Positions are the chain's sequence (`Twox64Concat`).
	#[pallet::storage]
	pub type PurgeQueue<T: Config> =
		StorageMap<_, Twox64Concat, u64, (BlockNumberFor<T>, RoundId), OptionQuery>;

	/// The first position of [`PurgeQueue`] still in use and the next position to fill.
	#[pallet::storage]
	pub type PurgeQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// The updates private shards revealed in a running round, with the shard that revealed
	/// each: an update is revealed once per round, so two accounts cannot both be paid for the
	/// same bytes. Removed when the round ends. The round id is the chain's (`Twox64Concat`);
	/// the hash is the revealer's choice (`Blake2_128Concat`).
	#[pallet::storage]
	pub type RevealedUpdates<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundId, Blake2_128Concat, BlobHash, u32, OptionQuery>;

	/// The round (and shard, for training jobs) of each running job this pallet submitted.
	/// Job ids are assigned by the jobs pallet in sequence (`Twox64Concat`).
	#[pallet::storage]
	pub type RoundOfJob<T: Config> =
		StorageMap<_, Twox64Concat, JobId, (RoundId, Option<u32>), OptionQuery>;

	/// Events of the rounds pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The model's owner opened (`open`) or closed version `version` of `model` to rounds
		/// by anyone.
		BaseOpened {
			/// The model.
			model: ModelId,
			/// The base version opened or closed.
			version: VersionNumber,
			/// Whether the version is now open (`true`) or closed (`false`) to rounds by anyone.
			open: bool,
		},
		/// A round opened on `base` of `model`; `budget` is held from the creator.
		RoundCreated {
			/// The new round's id.
			round: RoundId,
			/// Who opened the round and funds its budget.
			creator: T::AccountId,
			/// The model the round trains.
			model: ModelId,
			/// The base version every shard trains from.
			base: VersionNumber,
			/// The budget held from the creator for everything the round pays.
			budget: BalanceOf<T>,
			/// Last block in which shards may join.
			join_until: BlockNumberFor<T>,
		},
		/// A shard joined; a public one's training job is `job`, its escrow paid from the
		/// budget.
		ShardJoined {
			/// The round joined.
			round: RoundId,
			/// The shard's number in the round.
			shard: u32,
			/// Who contributed the shard; its deposit is held from them.
			owner: T::AccountId,
			/// The rows the owner declared. A public shard's weight becomes what its job
			/// measures ([`Event::ShardTrained`]); a private shard's is capped at aggregation
			/// ([`Event::ShardRowsCapped`]).
			rows: u32,
			/// A public shard's training job; `None` for a private shard.
			job: Option<JobId>,
		},
		/// A private shard revealed the update it committed to; it is in the aggregation.
		UpdateRevealed {
			/// The shard's round.
			round: RoundId,
			/// The shard's number in the round.
			shard: u32,
			/// The sealed blob of the revealed parameters.
			update: BlobHash,
		},
		/// A public shard's training job settled; its parameters are the blob `update`, and its
		/// weight the `rows` the job measured in its dataset.
		ShardTrained {
			/// The shard's round.
			round: RoundId,
			/// The shard's number in the round.
			shard: u32,
			/// The sealed blob of the parameters the training job produced.
			update: BlobHash,
			/// The dataset's rows, as the job's quorum counted them: the shard's weight from
			/// now on, whatever its owner declared.
			rows: u32,
		},
		/// A private shard's declared rows were cut to what the round can vouch for (the
		/// largest public shard's measured rows, or 1 in a round without public shards).
		ShardRowsCapped {
			/// The shard's round.
			round: RoundId,
			/// The shard's number in the round.
			shard: u32,
			/// Its weight from now on.
			rows: u32,
		},
		/// A public shard's training job failed: the shard is out of the round.
		ShardDropped {
			/// The shard's round.
			round: RoundId,
			/// The dropped shard's number in the round.
			shard: u32,
		},
		/// The aggregation job `job` was submitted over `updates` updates listed in the blob
		/// `manifest`.
		AggregationStarted {
			/// The round being aggregated.
			round: RoundId,
			/// The aggregation job.
			job: JobId,
			/// The blob of the aggregation manifest listing the updates, stored as the
			/// creator's.
			manifest: BlobHash,
			/// How many shard updates the manifest lists.
			updates: u32,
		},
		/// The aggregation job ended: the combined parameters are the blob `parameters`
		/// (`None` if it failed). The round can be finalized.
		RoundAggregated {
			/// The aggregated round.
			round: RoundId,
			/// The blob of the combined parameters; `None` if the job failed.
			parameters: Option<BlobHash>,
		},
		/// The aggregation's check rejected a shard's update: it earns nothing.
		UpdateRejected {
			/// The shard's round.
			round: RoundId,
			/// The rejected shard's number in the round.
			shard: u32,
			/// The rejected shard's owner.
			owner: T::AccountId,
		},
		/// The model's owner was credited its royalty share, `amount`, of the round's budget in
		/// the rewards pot.
		OwnerRewarded {
			/// The completed round.
			round: RoundId,
			/// The owner of the round's base version.
			owner: T::AccountId,
			/// The royalty credited in the rewards pot.
			amount: BalanceOf<T>,
		},
		/// An accepted shard's owner was credited `amount` in the rewards pot.
		ShardRewarded {
			/// The round, completed or about to fail without its version.
			round: RoundId,
			/// The accepted shard's number in the round.
			shard: u32,
			/// The shard's owner, who is credited.
			owner: T::AccountId,
			/// The shard's share of the budget by rows, credited in the rewards pot.
			amount: BalanceOf<T>,
		},
		/// The round completed as `version` of its model: `compute` of the budget went into
		/// job escrows, `paid` to the model's owner and data owners, `refunded` back to the
		/// creator.
		RoundCompleted {
			/// The completed round.
			round: RoundId,
			/// The new version of the round's model, published from the combined parameters.
			version: VersionNumber,
			/// The part of the budget moved into the round's job escrows.
			compute: BalanceOf<T>,
			/// The part of the budget credited to the model's owner and the accepted shards'
			/// owners in the rewards pot.
			paid: BalanceOf<T>,
			/// The rest of the budget, released back to the creator.
			refunded: BalanceOf<T>,
		},
		/// A finished round's record was purged, `RoundRetention` blocks after it ended.
		RoundPurged {
			/// The purged round.
			round: RoundId,
		},
		/// The round failed; what was left of its budget, `refunded`, went back to the
		/// creator.
		RoundFailed {
			/// The failed round.
			round: RoundId,
			/// Why the round failed.
			reason: RoundFailure,
			/// What was left of the budget, released back to the creator.
			refunded: BalanceOf<T>,
		},
	}

	/// Errors of the rounds pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// No round with this id.
		UnknownRound,
		/// Only the model's owner may do this.
		NotModelOwner,
		/// Only the model's owner may open a round on this base: it is not open to rounds by
		/// others.
		BaseNotOpen,
		/// The budget does not cover the aggregation job's escrow.
		BudgetTooSmall,
		/// What is left of the budget cannot cover this shard's training job and still the
		/// aggregation job.
		BudgetExhausted,
		/// The base version does not exist or takes no new jobs.
		VersionNotRunnable,
		/// The base version has no parameters to train from.
		NoBaseParameters,
		/// The validation set is not a sealed blob.
		ValidationUnavailable,
		/// A setting is out of range: epochs, batch size, clip, minimum shards or job period
		/// (which must lie within what the jobs pallet accepts, [`RoundJobs::job_periods`]).
		BadSettings,
		/// The joining period must end after this block and within `MaxJoinPeriod`.
		BadJoinPeriod,
		/// The caller cannot cover the budget or the shard deposit.
		InsufficientBalance,
		/// The round is not open for this.
		NotOpen,
		/// The joining period is over.
		JoiningClosed,
		/// The account already contributed a shard to this round.
		AlreadyJoined,
		/// The round has `MaxShards` shards.
		TooManyShards,
		/// A shard needs at least one row.
		NoRows,
		/// The dataset or update is not a sealed blob.
		BlobUnavailable,
		/// Updates are revealed after joining has closed and within `UpdateRevealPeriod`
		/// blocks, by a private shard that committed and has not revealed yet.
		NotRevealing,
		/// The update does not match the shard's commitment ([`update_commitment`] of the
		/// round, the update and the caller).
		WrongReveal,
		/// Another shard of the round revealed these bytes already.
		DuplicateUpdate,
		/// Private shards may still reveal their updates: aggregate after `UpdateRevealPeriod`.
		RevealOpen,
		/// The joining period is not over yet.
		JoiningOpen,
		/// Training jobs of the round are still running.
		TrainingRunning,
		/// The round's aggregation has not ended yet.
		NotAggregated,
		/// The base parameters are too large for a round: with a training job's loss curve or
		/// an aggregation's reports they would exceed what a reveal carries
		/// ([`RoundJobs::max_result_values`]), so no result could be stored.
		ModelTooLargeForRound,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_idle(now: BlockNumberFor<T>, limit: Weight) -> Weight {
			let mut meter = frame_support::weights::WeightMeter::with_limit(limit);
			Self::purge_finished(now, &mut meter);
			meter.consumed()
		}

		fn integrity_test() {
			assert!(
				T::MaxShards::get() <= mosaic_primitives::rounds::MAX_MANIFEST_UPDATES,
				"workers refuse a manifest of more than MAX_MANIFEST_UPDATES updates"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Opens a round on version `base` of model `model`, as its owner or, if the owner
		/// opened the base with [`Pallet::set_base_open`], as a sponsor. The base must be
		/// runnable and have parameters small enough for the round's results to be revealed
		/// and stored (see [`Error::ModelTooLargeForRound`]); `validation` must be a sealed
		/// blob (a SCALE dataset with the step graph's batch inputs), and `budget`, which must
		/// cover at least the aggregation job's escrow, is held from the caller until the
		/// round ends. The registry secures the version the round will publish
		/// ([`ModelRegistry::reserve_version`]: a version slot, and its deposit held from the
		/// model's owner, who must be able to pay it). Shards may join until block
		/// `join_until`.
		///
		/// Emits [`Event::RoundCreated`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_round())]
		pub fn create_round(
			origin: OriginFor<T>,
			model: ModelId,
			base: VersionNumber,
			validation: BlobHash,
			settings: RoundSettingsOf<T>,
			budget: BalanceOf<T>,
			join_until: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(T::Models::is_runnable(model, base), Error::<T>::VersionNotRunnable);
			let view = T::Models::version(model, base).ok_or(Error::<T>::VersionNotRunnable)?;
			ensure!(
				view.owner == who || OpenBases::<T>::get(model, base).as_ref() == Some(&view.owner),
				Error::<T>::BaseNotOpen
			);
			let base_parameters = view.parameters.ok_or(Error::<T>::NoBaseParameters)?;
			ensure!(T::Blobs::is_sealed(&validation), Error::<T>::ValidationUnavailable);
			ensure!(
				Self::results_fit_a_reveal(&base_parameters, settings.epochs),
				Error::<T>::ModelTooLargeForRound
			);
			let (least_period, most_period) = T::Jobs::job_periods();
			ensure!(
				settings.epochs >= 1
					&& settings.batch_size >= 1
					&& settings.clip_milli >= 1
					&& settings.min_shards >= 1
					&& settings.min_shards <= T::MaxShards::get()
					&& (least_period..=most_period).contains(&settings.job_period),
				Error::<T>::BadSettings
			);
			ensure!(
				join_until > now && join_until <= now.saturating_add(T::MaxJoinPeriod::get()),
				Error::<T>::BadJoinPeriod
			);
			let aggregation = Self::aggregation_escrow(base_parameters, validation, &settings)?;
			ensure!(budget >= aggregation, Error::<T>::BudgetTooSmall);
			T::Currency::hold(&HoldReason::RoundBudget.into(), &who, budget)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			T::Blobs::add_ref(&validation)?;

			let round = NextRoundId::<T>::get();
			T::Models::reserve_version(model, base, round)?;
			NextRoundId::<T>::put(round.saturating_add(1));
			Rounds::<T>::insert(
				round,
				RoundInfo {
					creator: who.clone(),
					model,
					base,
					base_parameters,
					validation,
					settings,
					budget,
					spent: Zero::zero(),
					join_until,
					shard_count: 0,
					training: 0,
					status: RoundStatus::Open,
				},
			);
			Self::deposit_event(Event::RoundCreated {
				round,
				creator: who,
				model,
				base,
				budget,
				join_until,
			});
			Ok(())
		}

		/// Joins round `round` with a public shard: the sealed dataset blob `dataset` of
		/// `rows` rows. Holds `ShardDeposit` from the caller and submits the shard's training
		/// job from the round's base parameters, its escrow paid from the round's budget,
		/// which must still cover the aggregation job afterwards. One shard per account per
		/// round.
		///
		/// Emits [`Event::ShardJoined`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::join_public())]
		pub fn join_public(
			origin: OriginFor<T>,
			round: RoundId,
			dataset: BlobHash,
			rows: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::joinable(round, &who, rows)?;
			ensure!(T::Blobs::is_sealed(&dataset), Error::<T>::BlobUnavailable);
			let settings = info.settings;
			let deadline =
				frame_system::Pallet::<T>::block_number().saturating_add(settings.job_period);
			let training = RoundJob::Training {
				dataset,
				parameters: info.base_parameters,
				epochs: settings.epochs,
				batch_size: settings.batch_size,
			};
			let escrow = T::Jobs::escrow(training, settings.replication, settings.fee_per_worker)?;
			let aggregation =
				Self::aggregation_escrow(info.base_parameters, info.validation, &settings)?;
			ensure!(
				escrow.saturating_add(aggregation) <= info.budget.saturating_sub(info.spent),
				Error::<T>::BudgetExhausted
			);
			Self::release_for_job(&info, escrow)?;
			info.spent = info.spent.saturating_add(escrow);
			let job = T::Jobs::submit(
				&info.creator,
				info.model,
				info.base,
				training,
				settings.replication,
				settings.fee_per_worker,
				deadline,
			)?;
			let shard = Self::add_shard(
				round,
				&mut info,
				&who,
				rows,
				ShardKind::Public { dataset },
				ShardStatus::Training { job },
			)?;
			info.training = info.training.saturating_add(1);
			RoundOfJob::<T>::insert(job, (round, Some(shard)));
			Rounds::<T>::insert(round, info);
			Self::deposit_event(Event::ShardJoined {
				round,
				shard,
				owner: who,
				rows,
				job: Some(job),
			});
			Ok(())
		}

		/// Joins round `round` with a private shard of `rows` rows, committing to the
		/// parameters the caller trained locally from the round's base parameters (the data
		/// never leaves them): `commitment` is [`update_commitment`]`(round, update, caller)`
		/// of the parameters' blob `update`, which the caller reveals with
		/// [`Pallet::reveal_update`] once joining has closed. Until then nobody sees the
		/// update, so nobody can join with a copy of it. Holds `ShardDeposit`; the update is
		/// checked on the validation set at aggregation.
		///
		/// Emits [`Event::ShardJoined`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::join_private())]
		pub fn join_private(
			origin: OriginFor<T>,
			round: RoundId,
			commitment: [u8; 32],
			rows: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Self::joinable(round, &who, rows)?;
			let shard = Self::add_shard(
				round,
				&mut info,
				&who,
				rows,
				ShardKind::Private,
				ShardStatus::Committed { commitment },
			)?;
			Rounds::<T>::insert(round, info);
			Self::deposit_event(Event::ShardJoined { round, shard, owner: who, rows, job: None });
			Ok(())
		}

		/// Reveals the update the caller's private shard of round `round` committed to: the
		/// sealed blob `update` (anyone's: owning bytes grants nothing) must match the
		/// commitment, and no other shard of the round may have revealed the same bytes. Only
		/// after joining has closed, within `UpdateRevealPeriod` blocks. The round references
		/// the blob until it ends.
		///
		/// Emits [`Event::UpdateRevealed`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reveal_update())]
		pub fn reveal_update(
			origin: OriginFor<T>,
			round: RoundId,
			update: BlobHash,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Rounds::<T>::get(round).ok_or(Error::<T>::UnknownRound)?;
			ensure!(info.status == RoundStatus::Open, Error::<T>::NotOpen);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				now > info.join_until && now <= Self::reveal_end(&info),
				Error::<T>::NotRevealing
			);
			let index = Joined::<T>::get(round, &who).ok_or(Error::<T>::NotRevealing)?;
			let mut shard = Shards::<T>::get(round, index).ok_or(Error::<T>::NotRevealing)?;
			let ShardStatus::Committed { commitment } = shard.status else {
				return Err(Error::<T>::NotRevealing.into());
			};
			ensure!(update_commitment(round, &update, &who) == commitment, Error::<T>::WrongReveal);
			ensure!(
				!RevealedUpdates::<T>::contains_key(round, update),
				Error::<T>::DuplicateUpdate
			);
			ensure!(T::Blobs::is_sealed(&update), Error::<T>::BlobUnavailable);
			T::Blobs::add_ref(&update)?;
			shard.status = ShardStatus::Trained { update };
			Shards::<T>::insert(round, index, shard);
			RevealedUpdates::<T>::insert(round, update, index);
			Self::deposit_event(Event::UpdateRevealed { round, shard: index, update });
			Ok(())
		}

		/// Starts round `round`'s aggregation; anyone may call it once joining has closed,
		/// every training job has ended and every private shard revealed its update (or the
		/// `UpdateRevealPeriod` is over: an unrevealed shard is left out). Private shards'
		/// declared rows are capped first (see [`Shard::rows`]). With fewer than `min_shards`
		/// updates the round fails and everything is returned. Otherwise the update list is
		/// stored as a manifest blob of the creator's and the aggregation job submitted, its
		/// escrow paid from the budget; if either fails the round fails.
		///
		/// Emits [`Event::ShardRowsCapped`], then [`Event::AggregationStarted`] or
		/// [`Event::RoundFailed`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::aggregate(T::MaxShards::get()))]
		pub fn aggregate(origin: OriginFor<T>, round: RoundId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let mut info = Rounds::<T>::get(round).ok_or(Error::<T>::UnknownRound)?;
			ensure!(info.status == RoundStatus::Open, Error::<T>::NotOpen);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now > info.join_until, Error::<T>::JoiningOpen);
			ensure!(info.training == 0, Error::<T>::TrainingRunning);
			ensure!(
				now > Self::reveal_end(&info) || !Self::reveals_pending(round, info.shard_count),
				Error::<T>::RevealOpen
			);
			let weight = Some(T::WeightInfo::aggregate(info.shard_count)).into();

			Self::cap_private_rows(round, info.shard_count);
			let updates: Vec<ManifestEntry> = Self::trained_shards(round, info.shard_count)
				.into_iter()
				.map(|(_, shard, update)| ManifestEntry {
					parameters: update,
					weight: shard.rows.into(),
					// A public update is checked too: its quorum vouches only that it was trained
					// faithfully, not that its data was honest.
					checked: true,
				})
				.collect();
			if (updates.len() as u32) < info.settings.min_shards {
				Self::end_failed(round, info, RoundFailure::TooFewShards);
				return Ok(weight);
			}
			let count = updates.len() as u32;
			let manifest = AggregationManifest {
				updates,
				clip_milli: info.settings.clip_milli,
				trim: info.settings.trim,
			};
			let submitted = Self::submit_aggregation(&info, &manifest, now);
			match submitted {
				Ok((manifest, job, escrow)) => {
					info.spent = info.spent.saturating_add(escrow);
					RoundOfJob::<T>::insert(job, (round, None::<u32>));
					info.status = RoundStatus::Aggregating { job };
					Rounds::<T>::insert(round, info);
					Self::deposit_event(Event::AggregationStarted {
						round,
						job,
						manifest,
						updates: count,
					});
				},
				Err(e) => {
					log::warn!(target: LOG_TARGET, "round {round}: aggregation not submitted: {e:?}");
					Self::end_failed(round, info, RoundFailure::AggregationNotSubmitted);
				},
			}
			Ok(weight)
		}

		/// Ends round `round` after its aggregation job ended; anyone may call it. With stored
		/// parameters and at least `min_shards` accepted updates, publishes them as the next
		/// version of the model (parent: the base version; round: this one). Of the budget not
		/// spent on jobs, pays the model's owner the base version's royalty rate and the
		/// accepted shards' owners the rest by rows, through the rewards pot; returns any
		/// rounding rest, and attests their data and the owner's model. If fewer than
		/// `min_shards` updates were accepted, or the version cannot be published all the same,
		/// the round fails and the accepted shards' owners get all of the rest: the data owners
		/// did their work, and the creator must gain nothing by a failed end (it could reject
		/// updates on purpose by joining with sybils' bad ones). If the aggregation stored no
		/// parameters, the round fails and what is left of the budget goes back. Either way
		/// every deposit and reference is released, and combined parameters no version
		/// published are removed from the creator's blobs.
		///
		/// Emits [`Event::UpdateRejected`], [`Event::OwnerRewarded`], [`Event::ShardRewarded`]
		/// and [`Event::RoundCompleted`], or [`Event::RoundFailed`] (after `ShardRewarded` for
		/// the accepted shards of a round that paid them).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::finalize(T::MaxShards::get()))]
		pub fn finalize(origin: OriginFor<T>, round: RoundId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let info = Rounds::<T>::get(round).ok_or(Error::<T>::UnknownRound)?;
			let RoundStatus::Aggregated { parameters, verdicts } = info.status.clone() else {
				return Err(Error::<T>::NotAggregated.into());
			};
			let weight = Some(T::WeightInfo::finalize(info.shard_count)).into();
			let trained = Self::trained_shards(round, info.shard_count);
			let mut accepted = Vec::new();
			for (index, (shard_index, shard, update)) in trained.into_iter().enumerate() {
				if verdicts.get(index).copied().unwrap_or(false) {
					accepted.push((shard_index, shard, update));
				} else {
					Self::deposit_event(Event::UpdateRejected {
						round,
						shard: shard_index,
						owner: shard.owner,
					});
				}
			}
			let Some(parameters) = parameters else {
				Self::end_failed(round, info, RoundFailure::AggregationFailed);
				return Ok(weight);
			};
			if (accepted.len() as u32) < info.settings.min_shards {
				Self::end_paying_data_owners(round, info, &accepted, RoundFailure::TooFewAccepted);
				return Ok(weight);
			}
			let version = match T::Models::publish_derived(info.model, info.base, parameters, round)
			{
				Ok(version) => version,
				Err(e) => {
					log::warn!(target: LOG_TARGET, "round {round}: new version not published: {e:?}");
					Self::end_paying_data_owners(
						round,
						info,
						&accepted,
						RoundFailure::NotPublished,
					);
					return Ok(weight);
				},
			};

			Self::end_completed(round, info, version, parameters, &accepted);
			Ok(weight)
		}

		/// Opens (`open`) or closes version `version` of the caller's model `model` to rounds
		/// by anyone. Opening consents to every such round's result being published as a new
		/// version of the model, its deposit held from the caller like any version's; in
		/// return the caller is paid the version's royalty rate of each round's budget left
		/// after its jobs. Rounds already open are not affected by closing.
		///
		/// Emits [`Event::BaseOpened`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_base_open())]
		pub fn set_base_open(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
			open: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let view = T::Models::version(model, version).ok_or(Error::<T>::VersionNotRunnable)?;
			ensure!(view.owner == who, Error::<T>::NotModelOwner);
			if open {
				OpenBases::<T>::insert(model, version, who);
			} else {
				OpenBases::<T>::remove(model, version);
			}
			Self::deposit_event(Event::BaseOpened { model, version, open });
			Ok(())
		}
	}
}
