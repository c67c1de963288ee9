//! The registry as other pallets see it: this pallet's implementation of
//! [`ModelRegistry`](mosaic_primitives::model::ModelRegistry).

use frame_support::{dispatch::DispatchResult, pallet_prelude::DispatchError};

use crate::{
	BalanceOf, BlobHash, Config, ModelId, ModelRegistry, Models, Pallet, VersionNumber,
	VersionViewOf, Versions,
};

impl<T: Config> ModelRegistry<T::AccountId, BalanceOf<T>> for Pallet<T> {
	type MaxTensorNameLength = T::MaxTensorNameLength;
	type MaxRank = T::MaxRank;
	type MaxIoTensors = T::MaxIoTensors;

	fn version(model: ModelId, version: VersionNumber) -> Option<VersionViewOf<T>> {
		Self::version_view(model, version)
	}

	fn is_runnable(model: ModelId, version: VersionNumber) -> bool {
		Versions::<T>::get(model, version).is_some_and(|entry| entry.status.is_active())
	}

	fn royalty(
		model: ModelId,
		version: VersionNumber,
		fee: BalanceOf<T>,
	) -> Option<(T::AccountId, BalanceOf<T>)> {
		let entry = Versions::<T>::get(model, version)?;
		let owner = Models::<T>::get(model)?.owner;
		Some((owner, entry.spec.royalty.mul_floor(fee)))
	}

	fn mark_invalid(model: ModelId, version: VersionNumber, code: u16) -> DispatchResult {
		Self::do_mark_invalid(model, version, code)
	}

	fn revalidate(model: ModelId, version: VersionNumber) -> DispatchResult {
		Self::do_revalidate(model, version)
	}

	fn publish_derived(
		model: ModelId,
		base: VersionNumber,
		parameters: BlobHash,
		round: u64,
	) -> Result<VersionNumber, DispatchError> {
		// All or nothing: the caller goes on when it fails.
		frame_support::storage::with_storage_layer(|| {
			Self::do_publish_derived(model, base, parameters, round)
		})
	}

	fn reserve_version(model: ModelId, base: VersionNumber, round: u64) -> DispatchResult {
		frame_support::storage::with_storage_layer(|| Self::do_reserve_version(model, base, round))
	}

	fn release_version(model: ModelId, round: u64) {
		Self::do_release_version(model, round)
	}
}
