//! What Mosaic's pallets need from each other to run their benchmarks.
//!
//! A pallet sees the others only through the traits in `mosaic_primitives`, so it cannot create
//! a blob or a model version for its own benchmarks; its `Config::BenchmarkHelper` does that,
//! and the helpers live here, in the runtime, the one crate that knows all the pallets.

use alloc::vec;
use frame_support::{
	traits::{fungible::Inspect, fungible::Mutate, Get},
	BoundedVec,
};
use mosaic_primitives::{
	blob::BlobHash,
	digest::ElementType,
	model::{Dim, ModelId, TensorSchema, VersionNumber},
};
use sp_runtime::DispatchError;

use crate::{AccountId, Balances, Blobs, Models, Runtime, RuntimeOrigin};

/// Sealed blobs for the models pallet's benchmarks, stored in the blob store itself.
pub struct ModelsHelper;

impl pallet_mosaic_models::BenchmarkHelper<AccountId> for ModelsHelper {
	fn sealed_blob(owner: &AccountId, seed: u32) -> Result<BlobHash, DispatchError> {
		Blobs::sealed_blob_for_benchmarks(owner, seed)
	}
}

/// Runnable versions and sealed blobs for the jobs pallet's benchmarks, registered through the
/// model registry.
pub struct JobsHelper;

impl pallet_mosaic_jobs::BenchmarkHelper<AccountId, crate::Signature> for JobsHelper {
	/// A version whose one float input `x` and one output `y` have the symbolic shape `[n]`.
	fn runnable_version(owner: &AccountId) -> (ModelId, VersionNumber) {
		let funds = Balances::minimum_balance()
			.saturating_mul(1_000_000)
			.saturating_add(Models::deposit_for(100_000));
		let _ = Balances::set_balance(owner, funds);
		let model = pallet_mosaic_models::NextModelId::<Runtime>::get();
		let blob = Self::sealed_blob(owner, model);
		let tensor = |name: &[u8]| TensorSchema {
			name: BoundedVec::truncate_from(name.to_vec()),
			element_type: ElementType::F32,
			shape: BoundedVec::truncate_from(vec![Dim::Symbolic(BoundedVec::truncate_from(
				b"n".to_vec(),
			))]),
		};
		let spec = pallet_mosaic_models::VersionSpec {
			blob,
			opset: <Runtime as pallet_mosaic_models::Config>::MinOpset::get(),
			inputs: BoundedVec::truncate_from(vec![tensor(b"x")]),
			outputs: BoundedVec::truncate_from(vec![tensor(b"y")]),
			precision: 3,
			tolerance: Some(1),
			royalty: <Runtime as pallet_mosaic_models::Config>::MaxRoyalty::get(),
			parent: None,
			parameters: None,
		};
		let mut name = b"bench-".to_vec();
		name.extend_from_slice(&model.to_le_bytes().map(|b| b'a' + b % 26));
		Models::register_model(
			RuntimeOrigin::signed(owner.clone()),
			BoundedVec::truncate_from(name),
			Default::default(),
			Default::default(),
			spec,
		)
		.expect("a valid model registers");
		(model, 1)
	}

	fn sealed_blob(owner: &AccountId, seed: u32) -> BlobHash {
		Blobs::sealed_blob_for_benchmarks(owner, seed).expect("the blob store stores blobs")
	}
	/// A fresh worker key in the benchmark's keystore, signing the proof as a node's would.
	fn worker_key(worker: &AccountId) -> (AccountId, crate::Signature) {
		use sp_runtime::{traits::IdentifyAccount, MultiSigner, RuntimeAppPublic};
		let public = mosaic_primitives::worker::Public::generate_pair(None);
		let message = pallet_mosaic_jobs::key_proof_message(worker);
		let signature = public.sign(&message).expect("the keystore holds the key it generated");
		let public: sp_core::sr25519::Public = public.into();
		let signature: sp_core::sr25519::Signature = signature.into();
		(MultiSigner::from(public).into_account(), signature.into())
	}

	/// `//Alice`'s real BABE claim on the current block, whose VRF output the draws derive.
	fn prepare_randomness() {
		crate::randomness::benchmark_pre_digest::install::<Runtime>();
	}
}

/// Versions with parameters and blobs for the rounds benchmarks.
pub struct RoundsHelper;

impl pallet_mosaic_rounds::BenchmarkHelper<AccountId> for RoundsHelper {
	fn version_with_parameters(owner: &AccountId) -> (ModelId, VersionNumber) {
		use pallet_mosaic_jobs::BenchmarkHelper as _;
		let (model, version) = JobsHelper::runnable_version(owner);
		let mut spec = pallet_mosaic_models::Versions::<Runtime>::get(model, version)
			.expect("just registered")
			.spec;
		spec.parameters = Some(JobsHelper::sealed_blob(owner, 100_000 + model));
		spec.parent = Some((model, version));
		Models::publish_version(RuntimeOrigin::signed(owner.clone()), model, spec)
			.expect("a version with parameters publishes");
		(model, version + 1)
	}

	fn sealed_blob(owner: &AccountId, seed: u32) -> BlobHash {
		use pallet_mosaic_jobs::BenchmarkHelper as _;
		JobsHelper::sealed_blob(owner, seed)
	}
}
