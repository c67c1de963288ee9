//! Storage migrations of this pallet.
//!
//! Each change of layout adds a `VersionedMigration` from one version to the next here and
//! appends it to [`Unreleased`], which the runtime's `Migrations` runs.

use crate::pallet::{BalanceOf, Config, EligibleWorkers, Pallet};
use alloc::vec::Vec;
use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::*,
	storage::migration::take_storage_value,
	traits::{PalletInfoAccess, UncheckedOnRuntimeUpgrade},
};

/// The migrations not yet applied on a live chain, in the order they run.
pub type Unreleased<T> = (v1::MigrateV0ToV1<T>,);

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
