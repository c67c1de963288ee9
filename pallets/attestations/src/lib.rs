//! # Attestations pallet
//!
//! The on-chain ledger of who contributed what: compute (a worker's agreed result), data (a
//! dataset shard a training job used), models (a version whose jobs ran, or from which
//! another was trained) and validation (a reveal that confirmed another worker's). Each
//! [`Attestation`] names its contributor, kind, the job or round it belongs to, its weight in
//! contribution points and an evidence digest.
//!
//! Other pallets record through [`RecordContribution`]; governance (root) can record with
//! [`Pallet::record`] and revoke with [`Pallet::revoke`], each with a reason.
//!
//! ## Eras
//!
//! Time is cut into eras of [`EraLength`] blocks; this pallet owns that clock. Points count
//! in the era they were recorded in: per account and kind in [`AccountPoints`], over everyone
//! in [`EraPoints`]. Every change of points and every era end is passed to
//! [`Config::Listener`] (the rewards pallet, which splits each era's emission by them).
//!
//! ## Bounded history
//!
//! Records are kept for the current era and the [`Config::HistoryDepth`] eras before it, and
//! indexed by account ([`ByAccount`]), by job or round ([`BySubject`]) and by era ([`ByEra`]).
//! Older eras are pruned in `on_idle`, with whatever weight blocks leave over, oldest first.
//!
//! ## Dispatchable functions
//!
//! * [`Pallet::record`]: root — records a contribution, with a reason.
//! * [`Pallet::revoke`]: root — revokes an attestation, with a reason: its points stop
//!   counting in its era.
//! * [`Pallet::set_era_length`]: root — sets the era length, from the current era on.
//!
//! ## Where the code lives
//!
//! `lib.rs` holds the pallet (configuration, storage, genesis, events, errors, hooks, calls);
//! `ledger.rs` recording, `eras.rs` the era clock and pruning, `views.rs` what the runtime API
//! reads, `impls.rs` [`RecordContribution`], `try_state.rs` the invariants.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod eras;
pub mod impls;
mod ledger;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-state", test))]
mod try_state;
pub mod types;
mod views;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, weights::WeightMeter};
use frame_system::pallet_prelude::*;
pub use mosaic_primitives::contribution::{
	AttestationId, ContributionKind, EraIndex, Points, PointsByKind, PointsListener,
	RecordContribution, Subject,
};
use sp_runtime::traits::{Saturating, Zero};

sp_api::decl_runtime_apis! {
	/// What clients read of the attestation ledger.
	pub trait AttestationsApi<AccountId, Attestation> where
		AccountId: codec::Codec,
		Attestation: codec::Codec,
	{
		/// The current era.
		fn current_era() -> EraIndex;
		/// An account's points in every era still kept, oldest first; eras without points are
		/// left out.
		fn points(who: AccountId) -> Vec<(EraIndex, PointsByKind)>;
		/// Everyone's points in `era`.
		fn era_points(era: EraIndex) -> PointsByKind;
		/// The attestations of a job or round.
		fn by_subject(subject: Subject) -> Vec<(AttestationId, Attestation)>;
		/// Up to `limit` attestations of an account, in no particular order.
		fn by_account(who: AccountId, limit: u32) -> Vec<(AttestationId, Attestation)>;
		/// Up to `limit` attestations of an era, in no particular order.
		fn by_era(era: EraIndex, limit: u32) -> Vec<(AttestationId, Attestation)>;
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// A governance reason.
	pub type ReasonOf<T> = BoundedVec<u8, <T as Config>::MaxReasonLength>;
	/// A stored attestation.
	pub type AttestationOf<T> =
		Attestation<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, ReasonOf<T>>;

	/// The in-code storage version. 0 is the layout every Mosaic chain started with; each
	/// change of layout bumps it and comes with a migration in [`crate::migrations`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the attestations pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// Told of every change of points and of every era end.
		type Listener: PointsListener<Self::AccountId>;

		/// Ended eras whose records are kept; older ones are pruned. Bounds how much history
		/// the ledger stores.
		#[pallet::constant]
		type HistoryDepth: Get<EraIndex>;

		/// Era length when genesis sets none, in blocks: how often rewards are shared out, until
		/// governance sets another. Positive.
		#[pallet::constant]
		type DefaultEraLength: Get<BlockNumberFor<Self>>;

		/// Longest governance reason, in bytes: bounds what a governance record or revocation
		/// stores.
		#[pallet::constant]
		type MaxReasonLength: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// The era length when none is stored: [`Config::DefaultEraLength`].
	#[pallet::type_value]
	pub fn DefaultEraLength<T: Config>() -> BlockNumberFor<T> {
		T::DefaultEraLength::get()
	}

	/// The current era.
	#[pallet::storage]
	pub type CurrentEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

	/// The block the current era started in.
	#[pallet::storage]
	pub type EraStart<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Blocks per era.
	#[pallet::storage]
	pub type EraLength<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, DefaultEraLength<T>>;

	/// The oldest era whose records may still be stored: pruning starts there.
	#[pallet::storage]
	pub type OldestEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

	/// The id the next attestation gets.
	#[pallet::storage]
	pub type NextAttestationId<T: Config> = StorageValue<_, AttestationId, ValueQuery>;

	/// Every attestation kept, by id. Ids are assigned by the chain in sequence, so they are
	/// not hashed again (`Twox64Concat`); so are the ids in the indexes below.
	#[pallet::storage]
	pub type Attestations<T: Config> =
		StorageMap<_, Twox64Concat, AttestationId, AttestationOf<T>, OptionQuery>;

	/// Attestations by contributor. Accounts are chosen by users, so they are hashed
	/// (`Blake2_128Concat`).
	#[pallet::storage]
	pub type ByAccount<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		AttestationId,
		(),
		OptionQuery,
	>;

	/// Attestations by job or round. Subjects are ids the chain assigns (`Twox64Concat`).
	#[pallet::storage]
	pub type BySubject<T: Config> =
		StorageDoubleMap<_, Twox64Concat, Subject, Twox64Concat, AttestationId, (), OptionQuery>;

	/// Attestations by era. Eras are counted by the chain (`Twox64Concat`).
	#[pallet::storage]
	pub type ByEra<T: Config> =
		StorageDoubleMap<_, Twox64Concat, EraIndex, Twox64Concat, AttestationId, (), OptionQuery>;

	/// An account's points in an era, by kind; revoked attestations are not counted. The era
	/// comes first so an era's totals are one prefix to prune; accounts are hashed
	/// (`Blake2_128Concat`).
	#[pallet::storage]
	pub type AccountPoints<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EraIndex,
		Blake2_128Concat,
		T::AccountId,
		PointsByKind,
		ValueQuery,
	>;

	/// Everyone's points in an era, by kind. Eras are counted by the chain (`Twox64Concat`).
	#[pallet::storage]
	pub type EraPoints<T: Config> = StorageMap<_, Twox64Concat, EraIndex, PointsByKind, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Blocks per era; `None` for [`Config::DefaultEraLength`].
		pub era_length: Option<BlockNumberFor<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(length) = self.era_length {
				assert!(!length.is_zero(), "an era lasts at least one block");
				EraLength::<T>::put(length);
			}
		}
	}

	/// Events of the attestations pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A contribution was recorded.
		Recorded {
			/// The new attestation's id.
			id: AttestationId,
			/// Who contributed.
			contributor: T::AccountId,
			/// What was contributed.
			kind: ContributionKind,
			/// The job or round the contribution belongs to.
			subject: Subject,
			/// The contribution's weight in contribution points.
			points: Points,
			/// The era the points count in: the current one.
			era: EraIndex,
		},
		/// Governance recorded attestation `id` (a [`Event::Recorded`] came just before).
		RecordedByGovernance {
			/// The attestation governance recorded.
			id: AttestationId,
			/// Governance's reason for recording it.
			reason: ReasonOf<T>,
		},
		/// Governance revoked an attestation: its points no longer count in its era.
		Revoked {
			/// The revoked attestation.
			id: AttestationId,
			/// The attestation's contributor, whose points were removed.
			contributor: T::AccountId,
			/// The points that no longer count.
			points: Points,
			/// The era the points were removed from.
			era: EraIndex,
			/// Governance's reason for revoking it.
			reason: ReasonOf<T>,
		},
		/// An era ended with these points; the next began.
		EraEnded {
			/// The era that ended.
			era: EraIndex,
			/// Everyone's points in the era, by kind, revoked attestations not counted.
			points: PointsByKind,
		},
		/// Governance changed the era length; it applies to the current era.
		EraLengthSet {
			/// The new era length, in blocks.
			blocks: BlockNumberFor<T>,
		},
		/// Every record of an era was pruned.
		EraPruned {
			/// The pruned era.
			era: EraIndex,
		},
	}

	/// Errors of the attestations pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// A contribution must be worth at least one point.
		ZeroPoints,
		/// No attestation has this id, or it was pruned.
		UnknownAttestation,
		/// The attestation is already revoked.
		AlreadyRevoked,
		/// An era lasts at least one block.
		ZeroEraLength,
		/// Every attestation id is taken.
		IdsExhausted,
		/// The era's points would exceed what a `u64` counts.
		TooManyPoints,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			if now < EraStart::<T>::get().saturating_add(EraLength::<T>::get()) {
				return T::WeightInfo::on_initialize_within_era();
			}
			Self::end_era(now);
			T::WeightInfo::on_initialize_era_end()
		}

		fn on_idle(_now: BlockNumberFor<T>, limit: Weight) -> Weight {
			let mut meter = WeightMeter::with_limit(limit);
			Self::prune(&mut meter);
			meter.consumed()
		}

		fn integrity_test() {
			assert!(!T::DefaultEraLength::get().is_zero(), "DefaultEraLength must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Records a contribution by governance: `who` contributed `points` of `kind` to
		/// `subject` in the current era, with `evidence`, for `reason`.
		///
		/// Root only. Fails with [`Error::ZeroPoints`] for zero points. Emits
		/// [`Event::Recorded`] then [`Event::RecordedByGovernance`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::record())]
		pub fn record(
			origin: OriginFor<T>,
			who: T::AccountId,
			kind: ContributionKind,
			subject: Subject,
			points: Points,
			evidence: [u8; 32],
			reason: ReasonOf<T>,
		) -> DispatchResult {
			ensure_root(origin)?;
			let id = Self::do_record(&who, kind, subject, points, evidence)?;
			Self::deposit_event(Event::RecordedByGovernance { id, reason });
			Ok(())
		}

		/// Revokes attestation `id` for `reason`: its points stop counting in its era, for
		/// the era's totals and for rewards (a share of an ended era that the rewards pallet
		/// has already worked out for the account stays the account's).
		///
		/// Root only. Fails with [`Error::UnknownAttestation`] for unknown or pruned ids and
		/// [`Error::AlreadyRevoked`]. Emits [`Event::Revoked`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn revoke(
			origin: OriginFor<T>,
			id: AttestationId,
			reason: ReasonOf<T>,
		) -> DispatchResult {
			ensure_root(origin)?;
			let mut attestation =
				Attestations::<T>::get(id).ok_or(Error::<T>::UnknownAttestation)?;
			ensure!(attestation.revoked.is_none(), Error::<T>::AlreadyRevoked);
			let (era, who, points) =
				(attestation.era, attestation.contributor.clone(), attestation.points);
			AccountPoints::<T>::mutate_exists(era, &who, |account| {
				let mut updated = account.unwrap_or_default();
				updated.remove(attestation.kind, points);
				*account = (!updated.is_zero()).then_some(updated);
			});
			EraPoints::<T>::mutate(era, |total| total.remove(attestation.kind, points));
			T::Listener::points_removed(era, &who, points);
			attestation.revoked = Some(reason.clone());
			Attestations::<T>::insert(id, attestation);
			Self::deposit_event(Event::Revoked { id, contributor: who, points, era, reason });
			Ok(())
		}

		/// Sets the era length to `blocks`, from the current era on: the current era ends
		/// once `blocks` have passed since it started (at the next block if they already
		/// have).
		///
		/// Root only. Fails with [`Error::ZeroEraLength`]. Emits [`Event::EraLengthSet`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_era_length())]
		pub fn set_era_length(origin: OriginFor<T>, blocks: BlockNumberFor<T>) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(!blocks.is_zero(), Error::<T>::ZeroEraLength);
			EraLength::<T>::put(blocks);
			Self::deposit_event(Event::EraLengthSet { blocks });
			Ok(())
		}
	}
}
