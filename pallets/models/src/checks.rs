//! What the chain checks of a version before it is published (see the crate documentation,
//! "What the chain checks").

use frame_support::{dispatch::DispatchResult, ensure, traits::Get};
use mosaic_primitives::{
	blob::{BlobInspect, BlobKind},
	digest::MAX_PRECISION,
};

use crate::{Config, Dim, Error, ModelId, Pallet, TensorSchemaOf, VersionSpecOf, Versions};

impl<T: Config> Pallet<T> {
	/// Checks a version `who` wants to publish as a version of `model` (`None` for the
	/// first version of a new model); see the pallet's documentation. Reads state, writes
	/// nothing.
	pub(crate) fn check_spec(
		who: &T::AccountId,
		model: Option<ModelId>,
		spec: &VersionSpecOf<T>,
	) -> DispatchResult {
		ensure!(
			(T::MinOpset::get()..=T::MaxOpset::get()).contains(&spec.opset),
			Error::<T>::OpsetOutOfRange
		);
		ensure!(spec.precision <= MAX_PRECISION, Error::<T>::PrecisionTooHigh);
		ensure!(spec.royalty <= T::MaxRoyalty::get(), Error::<T>::RoyaltyTooHigh);
		ensure!(!spec.inputs.is_empty(), Error::<T>::NoInputs);
		ensure!(!spec.outputs.is_empty(), Error::<T>::NoOutputs);
		Self::check_tensors(&spec.inputs)?;
		Self::check_tensors(&spec.outputs)?;
		// Whether the spec derives from a version of the same model that uses the same blob.
		let mut reuses_parent_blob = false;
		if let Some((parent_model, parent_version)) = spec.parent {
			let parent = Versions::<T>::get(parent_model, parent_version)
				.ok_or(Error::<T>::UnknownParent)?;
			reuses_parent_blob = model == Some(parent_model) && parent.spec.blob == spec.blob;
		}

		let blob = T::Blobs::blob(&spec.blob).ok_or(Error::<T>::UnknownBlob)?;
		ensure!(blob.kind == BlobKind::Sealed, Error::<T>::BlobNotSealed);
		ensure!(blob.owner == *who || reuses_parent_blob, Error::<T>::NotBlobOwner);
		if let Some(parameters) = spec.parameters {
			let reuses_parent_parameters = spec.parent.is_some_and(|(m, v)| {
				Versions::<T>::get(m, v).is_some_and(|p| p.spec.parameters == Some(parameters))
			});
			let blob = T::Blobs::blob(&parameters).ok_or(Error::<T>::UnknownBlob)?;
			ensure!(blob.kind == BlobKind::Sealed, Error::<T>::BlobNotSealed);
			ensure!(blob.owner == *who || reuses_parent_parameters, Error::<T>::NotBlobOwner);
		}
		let size = T::Blobs::size(&spec.blob).ok_or(Error::<T>::UnknownBlob)?;
		ensure!(size <= T::MaxModelBlobSize::get(), Error::<T>::ModelTooLarge);
		Ok(())
	}

	/// Checks one tensor list: names and symbolic dimension names not empty, tensor names
	/// unique. Quadratic in the list's length, which is at most `MaxIoTensors`.
	pub(crate) fn check_tensors(tensors: &[TensorSchemaOf<T>]) -> DispatchResult {
		for (index, tensor) in tensors.iter().enumerate() {
			ensure!(!tensor.name.is_empty(), Error::<T>::EmptyTensorName);
			let dims_named = tensor.shape.iter().all(|dim| match dim {
				Dim::Fixed(_) => true,
				Dim::Symbolic(name) => !name.is_empty(),
			});
			ensure!(dims_named, Error::<T>::EmptyTensorName);
			ensure!(
				tensors.iter().take(index).all(|earlier| earlier.name != tensor.name),
				Error::<T>::DuplicateTensorName
			);
		}
		Ok(())
	}
}
