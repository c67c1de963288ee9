//! Storage migrations of this pallet.
//!
//! Each change of layout adds a `VersionedMigration` from one version to the next here and
//! appends it to [`Unreleased`], which the runtime's `Migrations` runs.

use crate::pallet::{Config, Pallet, PurgeQueue, PurgeQueueBounds, Rounds};
use crate::types::RoundStatus;
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use sp_runtime::traits::Saturating;

/// The migrations not yet applied on a live chain, in the order they run.
pub type Unreleased<T> = v1::MigrateV0ToV1<T>;

/// Version 1: finished rounds are purged `RoundRetention` blocks after they end, from a queue
/// (until version 0 they stayed forever).
pub mod v1 {
	use super::*;

	/// Queues every round that finished before the upgrade, to be purged a retention from now.
	/// Reads every round once; a chain at this version has few (rounds end in days), so this
	/// fits in the upgrade's block.
	pub struct QueueFinishedRounds<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for QueueFinishedRounds<T> {
		fn on_runtime_upgrade() -> Weight {
			let at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::RoundRetention::get());
			let (first, mut next) = PurgeQueueBounds::<T>::get();
			let mut reads = 1u64;
			for (round, info) in Rounds::<T>::iter() {
				reads = reads.saturating_add(1);
				if matches!(info.status, RoundStatus::Completed { .. } | RoundStatus::Failed(_)) {
					PurgeQueue::<T>::insert(next, (at, round));
					next = next.saturating_add(1);
				}
			}
			let queued = next.saturating_sub(first);
			PurgeQueueBounds::<T>::put((first, next));
			T::DbWeight::get().reads_writes(reads, queued.saturating_add(1))
		}
	}

	/// Runs [`QueueFinishedRounds`] on a chain at storage version 0 and sets version 1.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		QueueFinishedRounds<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
