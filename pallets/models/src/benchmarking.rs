//! Benchmarks of the models pallet (benchmarks v2).
//!
//! Each benchmark takes the most expensive path of its call: metadata of the longest lengths,
//! schemas whose tensors have the longest names and `MaxRank` symbolic dimensions with the
//! longest names (tensor names differ only at their end, so the duplicate check compares them
//! in full), a parent to look up, deposits that grow, and models with `v` such versions to
//! remove. Blobs are created through [`Config::BenchmarkHelper`].

use super::*;
use alloc::{vec, vec::Vec};
use codec::MaxEncodedLen;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use mosaic_primitives::digest::{ElementType, MAX_PRECISION};
use sp_runtime::traits::{Saturating, StaticLookup};

fn assert_last_event<T: Config>(generic_event: Event<T>) {
	let event: <T as Config>::RuntimeEvent = generic_event.into();
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

/// Gives `who` enough free balance for several of the largest models, each with `MaxVersions`
/// of the largest versions.
fn fund<T: Config>(who: &T::AccountId) {
	let metadata = Pallet::<T>::deposit_for(
		u64::from(T::MaxNameLength::get())
			.saturating_add(u64::from(T::MaxDescriptionLength::get()))
			.saturating_add(u64::from(T::MaxLicenseLength::get())),
	);
	let version = Pallet::<T>::deposit_for(VersionSpecOf::<T>::max_encoded_len() as u64);
	let model = metadata.saturating_add(version.saturating_mul(T::MaxVersions::get().into()));
	let amount = T::Currency::minimum_balance().saturating_add(model.saturating_mul(4u32.into()));
	let _ = T::Currency::set_balance(who, amount);
}

/// A funded account owning a sealed blob; returns the blob's hash.
fn funded_with_blob<T: Config>(who: &T::AccountId, seed: u32) -> Result<BlobHash, BenchmarkError> {
	fund::<T>(who);
	Ok(T::BenchmarkHelper::sealed_blob(who, seed)?)
}

/// `byte` repeated up to the bound `S`.
fn longest<S: Get<u32>>(byte: u8) -> BoundedVec<u8, S> {
	BoundedVec::truncate_from(vec![byte; S::get() as usize])
}

/// A one-letter model name.
fn short_name<T: Config>(letter: u8) -> NameOf<T> {
	BoundedVec::truncate_from(vec![letter])
}

/// The longest tensor name, different for every `index`: `x...x` ending in the bytes of
/// `index`.
fn tensor_name<T: Config>(index: u32) -> TensorNameOf<T> {
	let mut name = vec![b'x'; T::MaxTensorNameLength::get() as usize];
	for (slot, byte) in name.iter_mut().rev().zip(index.to_le_bytes()) {
		*slot = byte;
	}
	BoundedVec::truncate_from(name)
}

/// A tensor with the longest name and `MaxRank` symbolic dimensions with the longest names.
fn widest_tensor<T: Config>(index: u32) -> TensorSchemaOf<T> {
	let dims: Vec<_> = (0..T::MaxRank::get())
		.map(|_| Dim::Symbolic(longest::<T::MaxTensorNameLength>(b'n')))
		.collect();
	TensorSchema {
		name: tensor_name::<T>(index),
		element_type: ElementType::F32,
		shape: BoundedVec::truncate_from(dims),
	}
}

/// A spec with `tensors` widest tensors (at least two; half inputs, rounded up, and half
/// outputs) on `blob`, and the most demanding values of everything else.
fn widest_spec<T: Config>(
	blob: BlobHash,
	tensors: u32,
	parent: Option<(ModelId, VersionNumber)>,
) -> VersionSpecOf<T> {
	let tensors = tensors.max(2);
	let outputs = tensors / 2;
	let inputs = tensors.saturating_sub(outputs);
	VersionSpec {
		blob,
		opset: T::MaxOpset::get(),
		inputs: BoundedVec::truncate_from((0..inputs).map(widest_tensor::<T>).collect()),
		outputs: BoundedVec::truncate_from((0..outputs).map(widest_tensor::<T>).collect()),
		precision: MAX_PRECISION,
		tolerance: Some(u64::MAX),
		royalty: T::MaxRoyalty::get(),
		parent,
		parameters: None,
	}
}

/// Registers a model named `letter` by `owner` with the longest metadata and a first version
/// of `tensors` widest tensors; returns its id.
fn register<T: Config>(
	owner: &T::AccountId,
	letter: u8,
	blob: BlobHash,
	tensors: u32,
) -> Result<ModelId, BenchmarkError> {
	let model = NextModelId::<T>::get();
	Pallet::<T>::register_model(
		RawOrigin::Signed(owner.clone()).into(),
		short_name::<T>(letter),
		longest(b'd'),
		longest(b'l'),
		widest_spec::<T>(blob, tensors, None),
	)?;
	Ok(model)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	// Worst case: the longest name and metadata, `t` widest tensors, a parent, and a model and
	// parameters of another account's, which the caller takes over.
	#[benchmark]
	fn register_model(t: Linear<2, { Pallet::<T>::max_tensors() }>) -> Result<(), BenchmarkError> {
		let parent_owner: T::AccountId = account("parent", 0, 0);
		let parent_blob = funded_with_blob::<T>(&parent_owner, 0)?;
		let parent = register::<T>(&parent_owner, b'p', parent_blob, 2)?;

		let uploader: T::AccountId = account("uploader", 0, 0);
		let blob = funded_with_blob::<T>(&uploader, 1)?;
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let mut spec = widest_spec::<T>(blob, t, Some((parent, 1)));
		spec.parameters = Some(T::BenchmarkHelper::sealed_blob(&uploader, 2)?);
		let deposit = Pallet::<T>::version_deposit(&spec);
		let model = NextModelId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), longest(b'a'), longest(b'd'), longest(b'l'), spec);

		assert_last_event::<T>(Event::VersionPublished {
			model,
			version: 1,
			blob,
			parent: Some((parent, 1)),
			deposit,
		});
		Ok(())
	}

	// Worst case: `t` widest tensors, a parent, and parameters of another account's, which
	// the caller takes over.
	#[benchmark]
	fn publish_version(t: Linear<2, { Pallet::<T>::max_tensors() }>) -> Result<(), BenchmarkError> {
		if T::MaxVersions::get() < 2 {
			return Err(BenchmarkError::Stop("MaxVersions must be at least 2"));
		}
		let caller: T::AccountId = whitelisted_caller();
		let blob = funded_with_blob::<T>(&caller, 0)?;
		let model = register::<T>(&caller, b'm', blob, 2)?;
		let mut spec = widest_spec::<T>(blob, t, Some((model, 1)));
		let uploader: T::AccountId = account("uploader", 0, 0);
		spec.parameters = Some(T::BenchmarkHelper::sealed_blob(&uploader, 1)?);
		let deposit = Pallet::<T>::version_deposit(&spec);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model, spec);

		assert_last_event::<T>(Event::VersionPublished {
			model,
			version: 2,
			blob,
			parent: Some((model, 1)),
			deposit,
		});
		Ok(())
	}

	// Reads (and rewrites) the largest version.
	#[benchmark]
	fn deprecate_version() -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		let blob = funded_with_blob::<T>(&caller, 0)?;
		let model = register::<T>(&caller, b'm', blob, Pallet::<T>::max_tensors())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model, 1);

		assert_last_event::<T>(Event::VersionDeprecated { model, version: 1 });
		Ok(())
	}

	#[benchmark]
	fn transfer_ownership() -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		let blob = funded_with_blob::<T>(&caller, 0)?;
		let model = register::<T>(&caller, b'm', blob, 2)?;
		let new_owner: T::AccountId = account("new_owner", 0, 0);
		let lookup = T::Lookup::unlookup(new_owner.clone());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model, lookup);

		assert_last_event::<T>(Event::OwnershipTransferProposed {
			model,
			owner: caller,
			new_owner,
		});
		Ok(())
	}

	// The deposit moves between two accounts.
	#[benchmark]
	fn accept_ownership() -> Result<(), BenchmarkError> {
		let owner: T::AccountId = account("owner", 0, 0);
		let blob = funded_with_blob::<T>(&owner, 0)?;
		let model = register::<T>(&owner, b'm', blob, 2)?;
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		Pallet::<T>::transfer_ownership(
			RawOrigin::Signed(owner.clone()).into(),
			model,
			T::Lookup::unlookup(caller.clone()),
		)?;
		let deposit = Models::<T>::get(model).map(|info| info.deposit).unwrap_or_default();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model);

		assert_last_event::<T>(Event::OwnershipTransferred {
			model,
			old_owner: owner,
			new_owner: caller,
			deposit,
		});
		Ok(())
	}

	#[benchmark]
	fn cancel_transfer() -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		let blob = funded_with_blob::<T>(&caller, 0)?;
		let model = register::<T>(&caller, b'm', blob, 2)?;
		let new_owner: T::AccountId = account("new_owner", 0, 0);
		Pallet::<T>::transfer_ownership(
			RawOrigin::Signed(caller.clone()).into(),
			model,
			T::Lookup::unlookup(new_owner.clone()),
		)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model);

		assert_last_event::<T>(Event::OwnershipTransferCancelled {
			model,
			owner: caller,
			new_owner,
		});
		Ok(())
	}

	// Worst case: from empty to the longest description and licence, so more is held.
	#[benchmark]
	fn update_metadata() -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		let blob = funded_with_blob::<T>(&caller, 0)?;
		let model = NextModelId::<T>::get();
		Pallet::<T>::register_model(
			RawOrigin::Signed(caller.clone()).into(),
			short_name::<T>(b'm'),
			BoundedVec::new(),
			BoundedVec::new(),
			widest_spec::<T>(blob, 2, None),
		)?;
		let description = longest::<T::MaxDescriptionLength>(b'd');
		let license = longest::<T::MaxLicenseLength>(b'l');
		let deposit = Pallet::<T>::metadata_deposit(b"m", &description, &license);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model, description, license);

		assert_last_event::<T>(Event::MetadataUpdated { model, deposit });
		Ok(())
	}

	// `v` deprecated versions of the widest schema, each dropping a blob reference.
	#[benchmark]
	fn remove_model(v: Linear<1, { T::MaxVersions::get() }>) -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		let blob = funded_with_blob::<T>(&caller, 0)?;
		let tensors = Pallet::<T>::max_tensors();
		let model = register::<T>(&caller, b'm', blob, tensors)?;
		for _ in 1..v {
			Pallet::<T>::publish_version(
				RawOrigin::Signed(caller.clone()).into(),
				model,
				widest_spec::<T>(blob, tensors, None),
			)?;
		}
		for version in 1..=v {
			Pallet::<T>::deprecate_version(
				RawOrigin::Signed(caller.clone()).into(),
				model,
				version,
			)?;
		}
		let deposit = Models::<T>::get(model).map(|info| info.deposit).unwrap_or_default();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model);

		assert_last_event::<T>(Event::ModelRemoved {
			model,
			owner: caller,
			deposit_released: deposit,
		});
		assert!(Versions::<T>::iter_prefix(model).next().is_none());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
