//! Read-only views of the registry: for the runtime API and for other pallets.

use crate::{
	Config, ModelId, ModelView, ModelViewOf, Models, ModelsByName, NameOf, Pallet, VersionNumber,
	VersionView, VersionViewOf, Versions,
};

impl<T: Config> Pallet<T> {
	/// A model with all its versions, oldest first, for the runtime API.
	pub fn model_view(id: ModelId) -> Option<ModelViewOf<T>> {
		let model = Models::<T>::get(id)?;
		let mut versions: alloc::vec::Vec<_> = Versions::<T>::iter_prefix(id).collect();
		versions.sort_by_key(|(number, _)| *number);
		Some(ModelView { id, model, versions })
	}

	/// The id of the model called `name`, for the runtime API.
	pub fn model_id_by_name(name: alloc::vec::Vec<u8>) -> Option<ModelId> {
		let name: NameOf<T> = name.try_into().ok()?;
		ModelsByName::<T>::get(name)
	}

	/// What other pallets see of a version, if it exists.
	pub fn version_view(model: ModelId, version: VersionNumber) -> Option<VersionViewOf<T>> {
		let entry = Versions::<T>::get(model, version)?;
		let owner = Models::<T>::get(model)?.owner;
		let spec = entry.spec;
		Some(VersionView {
			owner,
			blob: spec.blob,
			opset: spec.opset,
			inputs: spec.inputs,
			outputs: spec.outputs,
			precision: spec.precision,
			tolerance: spec.tolerance,
			royalty: spec.royalty,
			status: entry.status,
			parameters: spec.parameters,
		})
	}
}
