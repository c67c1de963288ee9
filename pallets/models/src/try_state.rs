//! The pallet's invariants, checked after every test and by `try-runtime`.

use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use mosaic_primitives::blob::BlobInspect;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	BalanceOf, BlobHash, Config, HoldReason, Models, ModelsByName, NextModelId, Pallet,
	ReservedVersionCount, ReservedVersions, Versions,
};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants:
	/// - every model's id is below [`NextModelId`], its name maps back to it in
	///   [`ModelsByName`], and no offer is made to its own owner;
	/// - a model has versions exactly `1..=version_count`, with `1 <= version_count <=
	///   MaxVersions` counting the versions secured for rounds ([`ReservedVersions`], as many as
	///   [`ReservedVersionCount`] says), and its deposit is its metadata deposit plus its
	///   versions' and its reservations' deposits;
	/// - every reservation belongs to an existing model;
	/// - every name and every version belongs to an existing model;
	/// - every version's blob exists (sealed or remote) and has at least as many references as
	///   versions use
	///   it (other pallets hold references too);
	/// - every owner's model deposits add up to what is held from them for
	///   [`HoldReason::ModelDeposit`].
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;

		let next = NextModelId::<T>::get();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut blob_refs: BTreeMap<BlobHash, u32> = BTreeMap::new();
		for (model, info) in Models::<T>::iter() {
			ensure!(model < next, "a model id is not below NextModelId");
			ensure!(
				ModelsByName::<T>::get(&info.name) == Some(model),
				"a model's name does not map to it"
			);
			ensure!(
				info.pending_owner.as_ref() != Some(&info.owner),
				"a model is offered to its own owner"
			);
			ensure!(
				info.version_count >= 1 && info.version_count <= T::MaxVersions::get(),
				"a model's version count is out of range"
			);

			let (mut count, mut total) = (0u32, info.metadata_deposit);
			for (version, entry) in Versions::<T>::iter_prefix(model) {
				ensure!(
					version >= 1 && version <= info.version_count,
					"a version number is out of its model's range"
				);
				count = count.saturating_add(1);
				total = total.saturating_add(entry.deposit);
				let refs = blob_refs.entry(entry.spec.blob).or_insert(0);
				*refs = refs.saturating_add(1);
			}
			ensure!(count == info.version_count, "a model's versions are missing");
			let mut reserved = 0u32;
			for (_, deposit) in ReservedVersions::<T>::iter_prefix(model) {
				reserved = reserved.saturating_add(1);
				total = total.saturating_add(deposit);
			}
			ensure!(
				reserved == ReservedVersionCount::<T>::get(model),
				"a model's reservation count is wrong"
			);
			ensure!(
				info.version_count.saturating_add(reserved) <= T::MaxVersions::get(),
				"a model's versions and reservations exceed MaxVersions"
			);
			ensure!(total == info.deposit, "a model's deposit is not the sum of its parts");

			let held = deposits.entry(info.owner.clone()).or_insert_with(Zero::zero);
			*held = held.saturating_add(info.deposit);
		}

		for (name, model) in ModelsByName::<T>::iter() {
			ensure!(
				Models::<T>::get(model).is_some_and(|info| info.name == name),
				"a name maps to a model without that name"
			);
		}

		for (model, _) in Versions::<T>::iter_keys() {
			ensure!(Models::<T>::contains_key(model), "a version belongs to no model");
		}
		for (model, _) in ReservedVersions::<T>::iter_keys() {
			ensure!(Models::<T>::contains_key(model), "a reservation belongs to no model");
		}

		for (blob, refs) in blob_refs {
			ensure!(
				T::Blobs::blob(&blob).is_some_and(|summary| summary.refs >= refs),
				"a version's blob is gone or has too few references"
			);
		}

		for (owner, total) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &owner) == total,
				"held model deposits differ from the sum of the owner's models"
			);
		}
		Ok(())
	}
}
