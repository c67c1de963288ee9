//! Adding versions (by the owner's calls and by training rounds) and changing their status,
//! and the size of a spec the weights grow with.

use frame_support::{dispatch::DispatchResult, ensure, pallet_prelude::DispatchError, traits::Get};
use mosaic_primitives::blob::{BlobInspect, BlobReferences};
use sp_runtime::{traits::Saturating, ArithmeticError, SaturatedConversion};

use crate::{
	BlobHash, Config, Error, Event, ModelId, ModelInfoOf, Models, Pallet, VersionInfo,
	VersionNumber, VersionSpecOf, VersionStatus, Versions,
};

impl<T: Config> Pallet<T> {
	/// Inputs plus outputs of `spec`: the component the weights of
	/// [`Pallet::register_model`] and [`Pallet::publish_version`] grow with.
	pub fn tensor_count(spec: &VersionSpecOf<T>) -> u32 {
		spec.inputs.len().saturating_add(spec.outputs.len()).saturated_into()
	}

	/// The most tensors a spec can have: `MaxIoTensors` inputs and as many outputs.
	pub fn max_tensors() -> u32 {
		T::MaxIoTensors::get().saturating_mul(2)
	}

	/// Takes references to a new version's blobs: the model, and its parameters if any.
	pub(crate) fn reference_blobs(spec: &VersionSpecOf<T>) -> DispatchResult {
		T::Blobs::add_ref(&spec.blob)?;
		if let Some(parameters) = spec.parameters {
			T::Blobs::add_ref(&parameters)?;
		}
		Ok(())
	}

	/// Publishes the parameters a round trained as a new version of `model` derived from
	/// `base` (see [`ModelRegistry::publish_derived`](crate::ModelRegistry::publish_derived)).
	pub(crate) fn do_publish_derived(
		model: ModelId,
		base: VersionNumber,
		parameters: BlobHash,
		round: u64,
	) -> Result<VersionNumber, DispatchError> {
		let info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		let base_entry = Versions::<T>::get(model, base).ok_or(Error::<T>::UnknownVersion)?;
		ensure!(info.version_count < T::MaxVersions::get(), Error::<T>::TooManyVersions);
		ensure!(T::Blobs::is_sealed(&parameters), Error::<T>::BlobNotSealed);
		let version = info.version_count.checked_add(1).ok_or(ArithmeticError::Overflow)?;
		let mut spec = base_entry.spec;
		spec.parameters = Some(parameters);
		spec.parent = Some((model, base));
		let owner = info.owner.clone();
		Self::add_version(model, info, version, &owner, spec, Some(round))?;
		Self::deposit_event(Event::VersionTrainedInRound { model, version, round, parameters });
		Ok(version)
	}

	/// Stores `spec` as `version` of `model` (whose entry is `info`): holds its deposit
	/// from `owner`, references its blobs, counts it and emits `VersionPublished`.
	pub(crate) fn add_version(
		model: ModelId,
		mut info: ModelInfoOf<T>,
		version: VersionNumber,
		owner: &T::AccountId,
		spec: VersionSpecOf<T>,
		round: Option<u64>,
	) -> DispatchResult {
		let deposit = Self::version_deposit(&spec);
		Self::hold_deposit(owner, deposit)?;
		Self::reference_blobs(&spec)?;
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
