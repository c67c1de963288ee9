//! Adding versions (by the owner's calls and by training rounds) and changing their status,
//! and the size of a spec the weights grow with.

use frame_support::{dispatch::DispatchResult, ensure, pallet_prelude::DispatchError, traits::Get};
use mosaic_primitives::blob::{BlobAdoption, BlobInspect, BlobReferences};
use sp_runtime::{traits::Saturating, ArithmeticError, SaturatedConversion};

use crate::{
	BalanceOf, BlobHash, Config, Error, Event, ModelId, ModelInfoOf, ModelObserver, Models, Pallet,
	ReservedVersionCount, ReservedVersions, VersionInfo, VersionNumber, VersionSpecOf,
	VersionStatus, Versions,
};

impl<T: Config> Pallet<T> {
	/// Inputs plus outputs of `spec`: the component the weights of
	/// [`Pallet::register_model`] and [`Pallet::publish_version`] grow with.
	pub fn tensor_count(spec: &VersionSpecOf<T>) -> u32 {
		spec.inputs.len().saturating_add(spec.outputs.len()).saturated_into()
	}

	/// [`Pallet::remove_model`]'s weight for a model of `versions` versions: its own and
	/// telling [`Config::OwnerGone`].
	pub fn remove_model_weight(versions: u32) -> frame_support::weights::Weight {
		use crate::WeightInfo;
		T::WeightInfo::remove_model(versions)
			.saturating_add(T::OwnerGone::owner_gone_weight(versions))
	}

	/// The most tensors a spec can have: `MaxIoTensors` inputs and as many outputs.
	pub fn max_tensors() -> u32 {
		T::MaxIoTensors::get().saturating_mul(2)
	}

	/// Takes references to a new version's blobs (the model, and its parameters if any) for
	/// `publisher`, who takes over those nobody referenced yet.
	pub(crate) fn reference_blobs(
		publisher: &T::AccountId,
		spec: &VersionSpecOf<T>,
	) -> DispatchResult {
		for blob in core::iter::once(spec.blob).chain(spec.parameters) {
			T::Blobs::adopt(&blob, publisher)?;
			T::Blobs::add_ref(&blob)?;
		}
		Ok(())
	}

	/// Versions `model` (whose entry is `info`) may still get: `MaxVersions` less its versions
	/// and those secured for rounds.
	pub(crate) fn free_version_slots(model: ModelId, info: &ModelInfoOf<T>) -> u32 {
		T::MaxVersions::get()
			.saturating_sub(info.version_count)
			.saturating_sub(ReservedVersionCount::<T>::get(model))
	}

	/// The spec a round on `base` (whose spec is `base_spec`) publishes: the base's, with the
	/// round's `parameters` and the base as parent.
	fn derived_spec(
		model: ModelId,
		base: VersionNumber,
		mut spec: VersionSpecOf<T>,
		parameters: BlobHash,
	) -> VersionSpecOf<T> {
		spec.parameters = Some(parameters);
		spec.parent = Some((model, base));
		spec
	}

	/// Secures a version for round `round` on `base` of `model` (see
	/// [`ModelRegistry::reserve_version`](crate::ModelRegistry::reserve_version)).
	pub(crate) fn do_reserve_version(
		model: ModelId,
		base: VersionNumber,
		round: u64,
	) -> DispatchResult {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		let base_entry = Versions::<T>::get(model, base).ok_or(Error::<T>::UnknownVersion)?;
		ensure!(Self::free_version_slots(model, &info) > 0, Error::<T>::TooManyVersions);
		// Any hash: the deposit depends on the spec's size only.
		let deposit =
			Self::version_deposit(&Self::derived_spec(model, base, base_entry.spec, [0; 32]));
		Self::hold_deposit(&info.owner, deposit)?;
		info.deposit = info.deposit.saturating_add(deposit);
		Models::<T>::insert(model, info);
		ReservedVersions::<T>::insert(model, round, deposit);
		ReservedVersionCount::<T>::mutate(model, |count| *count = count.saturating_add(1));
		Self::deposit_event(Event::VersionReserved { model, round, deposit });
		Ok(())
	}

	/// Gives back the version secured for `round`, if any: its deposit goes back to the
	/// model's owner.
	pub(crate) fn do_release_version(model: ModelId, round: u64) {
		let Some(deposit) = Self::take_reservation(model, round) else { return };
		if let Some(mut info) = Models::<T>::get(model) {
			let _ = Self::release_deposit(&info.owner, deposit);
			info.deposit = info.deposit.saturating_sub(deposit);
			Models::<T>::insert(model, info);
		}
		Self::deposit_event(Event::VersionReservationReleased { model, round, deposit });
	}

	/// Removes the reservation of `round` on `model` from the books; returns its deposit, which
	/// is still held and counted in the model's.
	fn take_reservation(model: ModelId, round: u64) -> Option<BalanceOf<T>> {
		let deposit = ReservedVersions::<T>::take(model, round)?;
		ReservedVersionCount::<T>::mutate_exists(model, |count| {
			*count = count.map(|c| c.saturating_sub(1)).filter(|c| *c > 0);
		});
		Some(deposit)
	}

	/// Publishes the parameters a round trained as a new version of `model` derived from
	/// `base` (see [`ModelRegistry::publish_derived`](crate::ModelRegistry::publish_derived)).
	/// A version secured for the round takes its slot and its deposit, already held.
	pub(crate) fn do_publish_derived(
		model: ModelId,
		base: VersionNumber,
		parameters: BlobHash,
		round: u64,
	) -> Result<VersionNumber, DispatchError> {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		let base_entry = Versions::<T>::get(model, base).ok_or(Error::<T>::UnknownVersion)?;
		ensure!(T::Blobs::is_sealed(&parameters), Error::<T>::BlobNotSealed);
		let version = info.version_count.checked_add(1).ok_or(ArithmeticError::Overflow)?;
		let spec = Self::derived_spec(model, base, base_entry.spec, parameters);
		let owner = info.owner.clone();
		let deposit = match Self::take_reservation(model, round) {
			Some(deposit) => {
				// Held, and counted in the model's deposit, since the round opened.
				info.deposit = info.deposit.saturating_sub(deposit);
				deposit
			},
			None => {
				ensure!(Self::free_version_slots(model, &info) > 0, Error::<T>::TooManyVersions);
				let deposit = Self::version_deposit(&spec);
				Self::hold_deposit(&owner, deposit)?;
				deposit
			},
		};
		Self::add_version(model, info, version, &owner, spec, Some(round), deposit)?;
		Self::deposit_event(Event::VersionTrainedInRound { model, version, round, parameters });
		Ok(version)
	}

	/// Stores `spec` as `version` of `model` (whose entry is `info`) with `deposit`, held from
	/// `owner` already: references its blobs, counts it and emits `VersionPublished`.
	pub(crate) fn add_version(
		model: ModelId,
		mut info: ModelInfoOf<T>,
		version: VersionNumber,
		owner: &T::AccountId,
		spec: VersionSpecOf<T>,
		round: Option<u64>,
		deposit: BalanceOf<T>,
	) -> DispatchResult {
		Self::reference_blobs(owner, &spec)?;
		let (blob, parent) = (spec.blob, spec.parent);
		Versions::<T>::insert(
			model,
			version,
			VersionInfo {
				spec,
				status: VersionStatus::Active,
				published_at: frame_system::Pallet::<T>::block_number(),
				deposit,
				round,
			},
		);
		info.version_count = version;
		info.deposit = info.deposit.saturating_add(deposit);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::VersionPublished { model, version, blob, parent, deposit });
		Ok(())
	}

	/// Marks a version invalid (see [`ModelRegistry::mark_invalid`](crate::ModelRegistry::mark_invalid)).
	pub(crate) fn do_mark_invalid(
		model: ModelId,
		version: VersionNumber,
		code: u16,
	) -> DispatchResult {
		let mut entry = Versions::<T>::get(model, version).ok_or(Error::<T>::UnknownVersion)?;
		if matches!(entry.status, VersionStatus::Invalid { .. }) {
			return Ok(());
		}
		entry.status = VersionStatus::Invalid { code };
		Versions::<T>::insert(model, version, entry);
		Self::deposit_event(Event::VersionInvalidated { model, version, code });
		Ok(())
	}

	/// Makes an invalid version active again (see [`ModelRegistry::revalidate`]).
	pub(crate) fn do_revalidate(model: ModelId, version: VersionNumber) -> DispatchResult {
		let mut entry = Versions::<T>::get(model, version).ok_or(Error::<T>::UnknownVersion)?;
		ensure!(
			matches!(entry.status, VersionStatus::Invalid { .. }),
			Error::<T>::VersionNotInvalid
		);
		entry.status = VersionStatus::Active;
		Versions::<T>::insert(model, version, entry);
		Self::deposit_event(Event::VersionRevalidated { model, version });
		Ok(())
	}
}
