//! Types of the model registry: a model's on-chain entry, its versions, the input and output
//! schema of a version, and the view other pallets get through
//! [`ModelRegistry`](crate::ModelRegistry).
//!
//! The types are generic over the concrete bounded types (names, shapes, tensor lists) rather
//! than over the bounds themselves, so they derive everything with plain derives, and the
//! runtime metadata describes them completely: polkadot.js reads them with no custom types.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use mosaic_primitives::digest::ElementType;
use scale_info::TypeInfo;
use sp_runtime::Permill;

pub use pallet_mosaic_blobs::BlobHash;

/// Identifies a model. Assigned in sequence from 0 by
/// [`Pallet::register_model`](crate::Pallet::register_model) and never reused, even after the
/// model is removed.
pub type ModelId = u32;

/// Number of a version within its model: 1 for the version registered with the model, then
/// 2, 3, ... for each [`Pallet::publish_version`](crate::Pallet::publish_version).
pub type VersionNumber = u32;

/// The inputs or outputs of a version: a list of at most `M` tensors, each with a name of at
/// most `N` bytes and at most `R` dimensions (symbolic dimensions are named like tensors).
pub type Tensors<N, R, M> =
	BoundedVec<TensorSchema<BoundedVec<u8, N>, BoundedVec<Dim<BoundedVec<u8, N>>, R>>, M>;

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

/// One dimension of a tensor's shape.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum Dim<Name> {
	/// A dimension of this exact size.
	#[codec(index = 0)]
	Fixed(u64),
	/// A dimension whose size is given at run time (a batch size, a sequence length). Every
	/// dimension with the same name must have the same size in one run. The name is not empty.
	#[codec(index = 1)]
	Symbolic(Name),
}

/// The declared schema of one input or output tensor of a model version.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct TensorSchema<Name, Shape> {
	/// The tensor's name in the ONNX graph; not empty, and unique among the version's inputs
	/// (or among its outputs).
	pub name: Name,
	/// Element type of the tensor.
	pub element_type: ElementType,
	/// The dimensions, outermost first: a list of [`Dim`]. An empty shape is a scalar.
	pub shape: Shape,
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

/// Whether a version may be used for new jobs.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum VersionStatus {
	/// New jobs may use it.
	#[codec(index = 0)]
	Active,
	/// Retired by its owner: no new jobs; jobs already submitted run to the end.
	#[codec(index = 1)]
	Deprecated,
	/// The executor rejected the model for a reason that is the model's own fault (any input
	/// would fail the same way); no new jobs.
	#[codec(index = 2)]
	Invalid {
		/// The executor's stable error code (see `docs/executor.md`).
		code: u16,
	},
}

impl VersionStatus {
	/// Whether new jobs may use a version with this status.
	pub fn is_active(&self) -> bool {
		matches!(self, Self::Active)
	}
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

/// What other pallets see of a version through
/// [`ModelRegistry::version`](crate::ModelRegistry::version).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct VersionView<AccountId, Tensors> {
	/// The model's current owner, who receives the royalty.
	pub owner: AccountId,
	/// blake2-256 hash of the ONNX model blob.
	pub blob: BlobHash,
	/// The ONNX operator set the model declares.
	pub opset: u32,
	/// The model's inputs.
	pub inputs: Tensors,
	/// The model's outputs.
	pub outputs: Tensors,
	/// Decimal digits kept when quantising floating-point outputs.
	pub precision: u8,
	/// Element-wise tolerance in quantisation steps; `None` for exact agreement.
	pub tolerance: Option<u64>,
	/// The owner's share of each job's fee.
	pub royalty: Permill,
	/// Whether new jobs may use the version.
	pub status: VersionStatus,
	/// Its trained parameters' blob, if it has one.
	pub parameters: Option<BlobHash>,
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
