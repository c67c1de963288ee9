//! What the chain checks of a version before it is published (see the crate documentation,
//! "What the chain checks").

use frame_support::{dispatch::DispatchResult, ensure, traits::Get};
use mosaic_primitives::{blob::BlobInspect, digest::MAX_PRECISION};

use crate::{Config, Dim, Error, Pallet, TensorSchemaOf, VersionSpecOf, Versions};

impl<T: Config> Pallet<T> {
	/// Checks a version before it is published; see the pallet's documentation. Reads state,
	/// writes nothing.
	pub(crate) fn check_spec(spec: &VersionSpecOf<T>) -> DispatchResult {
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
		if let Some((parent_model, parent_version)) = spec.parent {
			ensure!(
				Versions::<T>::contains_key(parent_model, parent_version),
				Error::<T>::UnknownParent
			);
		}
		// Sealed or remote, whoever's (see "What the chain checks").
		for blob in core::iter::once(spec.blob).chain(spec.parameters) {
			ensure!(T::Blobs::blob(&blob).is_some(), Error::<T>::UnknownBlob);
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
