//! Types of the model registry: a model's on-chain entry, its versions, the input and output
//! schema of a version, and the view other pallets get through
//! [`ModelRegistry`](crate::ModelRegistry). The vocabulary other pallets share (ids, version
//! numbers, tensor schemas, version statuses and views) lives in [`mosaic_primitives::model`]
//! and is re-exported here.
//!
//! The types are generic over the concrete bounded types (names, shapes, tensor lists) rather
//! than over the bounds themselves, so they derive everything with plain derives, and the
//! runtime metadata describes them completely: polkadot.js reads them with no custom types.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Permill;

pub use mosaic_primitives::{
	blob::BlobHash,
	model::{Dim, ModelId, TensorSchema, Tensors, VersionNumber, VersionStatus, VersionView},
};

/// Bytes allowed in a model name besides lowercase ASCII letters and digits.
pub const NAME_PUNCTUATION: [u8; 3] = [b'-', b'_', b'.'];

/// Whether `name` is acceptable as a model name: at least one byte, and only lowercase ASCII
/// letters, digits and [`NAME_PUNCTUATION`].
///
/// Names are unique on the chain, so they are kept to one spelling: no upper case (`ResNet`
/// and `resnet` would be different names that look alike), no spaces, no non-ASCII look-alikes.
pub fn is_valid_name(name: &[u8]) -> bool {
	!name.is_empty()
		&& name.iter().all(|byte| {
			byte.is_ascii_lowercase() || byte.is_ascii_digit() || NAME_PUNCTUATION.contains(byte)
		})
}

/// Everything a model owner declares about one version of a model.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct VersionSpec<Tensors> {
	/// blake2-256 hash of the ONNX model, a sealed blob in the blobs pallet owned by the
	/// publisher.
	pub blob: BlobHash,
	/// The default-domain ONNX operator set the model is written against; within
	/// `MinOpset..=MaxOpset`.
	pub opset: u32,
	/// The model's inputs: at least one, names unique.
	pub inputs: Tensors,
	/// The model's outputs: at least one, names unique. Jobs' results are digests of these.
	pub outputs: Tensors,
	/// Decimal digits kept when floating-point outputs are quantised for the canonical digest
	/// (see [`mosaic_primitives::digest`]); at most
	/// [`MAX_PRECISION`](mosaic_primitives::digest::MAX_PRECISION).
	pub precision: u8,
	/// Largest element-wise difference, in quantisation steps (units of `10^-precision`), at
	/// which two workers' outputs still agree. `None`: only identical digests agree.
	pub tolerance: Option<u64>,
	/// Share of each job's fee paid to the model's owner; at most `MaxRoyalty`.
	pub royalty: Permill,
	/// The version this one was derived from (fine-tuned, retrained, aggregated), as
	/// `(model, version)`; it existed when this version was published. A record of lineage only:
	/// it may point to another owner's model, and it stays as it was if that model is removed
	/// later (model ids are never reused, so it can never point to a different model).
	pub parent: Option<(ModelId, VersionNumber)>,
	/// For a training-step graph: the sealed blob of its trained parameters (SCALE
	/// `Vec<InputTensor>`), owned by the publisher or the parent's. Training jobs and rounds
	/// start from it; the version takes a reference to it.
	pub parameters: Option<BlobHash>,
}

/// A published version, as kept in [`Versions`](crate::Versions). Versions are never deleted
/// one by one; they go when their model is removed.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct VersionInfo<Spec, Balance, BlockNumber> {
	/// What the owner declared.
	pub spec: Spec,
	/// Whether new jobs may use it.
	pub status: VersionStatus,
	/// Block in which it was published.
	pub published_at: BlockNumber,
	/// The part of the model's deposit that this version accounts for:
	/// `DepositBase + DepositPerByte * (encoded size of spec)` when it was published.
	pub deposit: Balance,
	/// The federated training round that produced it (its parameters), if any.
	pub round: Option<u64>,
}

/// A model's entry, as kept in [`Models`](crate::Models).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ModelInfo<AccountId, Balance, BlockNumber, Name, Description, License> {
	/// The owner: publishes and deprecates versions, edits the metadata, transfers and removes
	/// the model, and receives its royalties. The whole deposit is held from this account.
	pub owner: AccountId,
	/// The model's name, unique on the chain (see [`is_valid_name`]); it never changes.
	pub name: Name,
	/// Free text (UTF-8 expected, not checked).
	pub description: Description,
	/// The model's licence, preferably an SPDX expression (free text, not checked).
	pub license: License,
	/// Versions published so far; they are numbered `1..=version_count`.
	pub version_count: VersionNumber,
	/// Everything held from `owner` for this model: `metadata_deposit` plus every version's
	/// deposit. Exactly this is released when the model is removed.
	pub deposit: Balance,
	/// The part of `deposit` for the entry itself:
	/// `DepositBase + DepositPerByte * (name + description + license bytes)`.
	pub metadata_deposit: Balance,
	/// The account the owner offered the model to, until it accepts with
	/// [`Pallet::accept_ownership`](crate::Pallet::accept_ownership) or the owner cancels.
	pub pending_owner: Option<AccountId>,
	/// Block in which the model was registered.
	pub created_at: BlockNumber,
}

/// A model with all its versions, as the `ModelsApi` runtime API reports it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ModelView<Model, Version> {
	/// The model's id.
	pub id: ModelId,
	/// Its entry.
	pub model: Model,
	/// Its versions with their numbers, oldest first.
	pub versions: alloc::vec::Vec<(VersionNumber, Version)>,
}
