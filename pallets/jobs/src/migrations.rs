//! Storage migrations of this pallet.
//!
//! Each change of layout adds a `VersionedMigration` from one version to the next here and
//! appends it to [`Unreleased`], which the runtime's `Migrations` runs.

use crate::pallet::{BalanceOf, Config, DeadlineCursor, Deadlines, EligibleWorkers, Jobs, Pallet};
use crate::types::{DeadlineKind, JobId, JobStatus};
use alloc::vec::Vec;
use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::*,
	storage::migration::take_storage_value,
	traits::{PalletInfoAccess, UncheckedOnRuntimeUpgrade},
};

/// The migrations not yet applied on a live chain, in the order they run.
pub type Unreleased<T> = (v1::MigrateV0ToV1<T>, v2::MigrateV1ToV2<T>);

/// Version 1: the eligible-worker list, stored as `Pool` until version 0, is
/// `EligibleWorkers` (the word "pool" is the rewards pallet's).
pub mod v1 {
	use super::*;

	/// The storage item's name in version 0.
	const OLD_NAME: &[u8] = b"Pool";

	/// Moves `Pool` to `EligibleWorkers`; unchecked, see [`MigrateV0ToV1`].
	pub struct RenamePool<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RenamePool<T> {
		fn on_runtime_upgrade() -> Weight {
			let pallet = <Pallet<T> as PalletInfoAccess>::name().as_bytes();
			let old: Option<Vec<(T::AccountId, BalanceOf<T>)>> =
				take_storage_value(pallet, OLD_NAME, &[]);
			if let Some(list) = old {
				// The old item had the same bound, so nothing is cut.
				EligibleWorkers::<T>::put(BoundedVec::truncate_from(list));
			}
			T::DbWeight::get().reads_writes(1, 2)
		}
	}

	/// Runs [`RenamePool`] on a chain at storage version 0 and sets version 1.
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, RenamePool<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}

/// Version 2: the schedule of phase ends is a double map by block and entry, with no bound
/// per block, handled from a cursor (until version 1: a bounded list per block, whose full
/// blocks let a job's phase end be refused).
pub mod v2 {
	use super::*;
	use frame_system::pallet_prelude::BlockNumberFor;
	use sp_runtime::traits::Saturating;

	/// The version-1 layout of the schedule.
	#[allow(missing_docs)]
	pub mod old {
		use super::*;

		/// One block's phase ends.
		pub type Entries = Vec<(JobId, DeadlineKind)>;

		/// Phase ends by block, as version 1 kept them.
		#[frame_support::storage_alias]
		pub type Deadlines<T: Config> =
			StorageMap<Pallet<T>, Twox64Concat, BlockNumberFor<T>, Entries, ValueQuery>;
	}

	/// Rebuilds the schedule from the jobs themselves: each job gets the one phase end its
	/// state waits for (a finished job keeps its purge block, or gets one a retention from
	/// now), which also drops the stale entries version 1 left behind. The cursor starts at
	/// the current block, or at the earliest entry if one is due before it.
	pub struct RebuildSchedule<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RebuildSchedule<T> {
		fn on_runtime_upgrade() -> Weight {
			let old: Vec<(BlockNumberFor<T>, old::Entries)> =
				old::Deadlines::<T>::drain().collect();
			let purge_at = |job: JobId| {
				old.iter().find_map(|(block, entries)| {
					entries.contains(&(job, DeadlineKind::Purge)).then_some(*block)
				})
			};
			let now = frame_system::Pallet::<T>::block_number();
			// As this release counts an attempt (with its opening and disclosure): a queued
			// job whose deadline no longer fits one expires with a full refund.
			let attempt = Pallet::<T>::attempt_length(0);
			let mut jobs = 0u64;
			let mut earliest = now;
			for (job, info) in Jobs::<T>::iter() {
				jobs += 1;
				let (at, kind) = match info.status {
					JobStatus::Queued => {
						(info.deadline.saturating_sub(attempt), DeadlineKind::LatestStart)
					},
					JobStatus::Committing { until } => (until, DeadlineKind::CommitEnd),
					JobStatus::Revealing { until } | JobStatus::Disclosing { until, .. } => {
						(until, DeadlineKind::RevealEnd)
					},
					JobStatus::Opening { until } => (until, DeadlineKind::OpenEnd),
					_ => (
						purge_at(job).unwrap_or_else(|| now.saturating_add(T::Retention::get())),
						DeadlineKind::Purge,
					),
				};
				// Where it is due, even if that is past: the cursor starts there.
				Deadlines::<T>::insert(at, (job, kind), ());
				earliest = earliest.min(at);
			}
			DeadlineCursor::<T>::put(earliest);
			let blocks = old.len() as u64;
			T::DbWeight::get().reads_writes(blocks + jobs + 1, blocks + jobs + 1)
		}
	}

	/// Runs [`RebuildSchedule`] on a chain at storage version 1 and sets version 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		RebuildSchedule<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
