//! Models as the other pallets see them: ids, version numbers, tensor schemas, the view of a
//! version a job is run and settled with, and the traits through which the jobs and rounds
//! pallets use the registry ([`ModelRegistry`]) and the registry asks whether a model is in use
//! ([`ModelUsage`]).
//!
//! The schema types are generic over the concrete bounded types (names, shapes, tensor lists)
//! rather than over the bounds themselves, so they derive everything with plain derives, and
//! the runtime metadata describes them completely: polkadot.js reads them with no custom types.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{bounded::BoundedVec, ConstU32, Get};
use sp_runtime::{DispatchError, DispatchResult, Permill};

use crate::{blob::BlobHash, digest::ElementType};

/// Identifies a model. Assigned in sequence from 0 by the registry and never reused, even after
/// the model is removed.
pub type ModelId = u32;

/// Number of a version within its model: 1 for the version registered with the model, then 2,
/// 3, ... for each version published after it.
pub type VersionNumber = u32;

/// The inputs or outputs of a version: a list of at most `M` tensors, each with a name of at
/// most `N` bytes and at most `R` dimensions (symbolic dimensions are named like tensors).
pub type Tensors<N, R, M> =
	BoundedVec<TensorSchema<BoundedVec<u8, N>, BoundedVec<Dim<BoundedVec<u8, N>>, R>>, M>;

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

/// What other pallets see of a version through [`ModelRegistry::version`].
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

/// The view a registry `R` gives of a version: its tensors bounded by the registry's bounds.
pub type RegistryView<R, AccountId, Balance> = VersionView<
	AccountId,
	Tensors<
		<R as ModelRegistry<AccountId, Balance>>::MaxTensorNameLength,
		<R as ModelRegistry<AccountId, Balance>>::MaxRank,
		<R as ModelRegistry<AccountId, Balance>>::MaxIoTensors,
	>,
>;

/// What other pallets (jobs, rounds) may ask of the model registry.
///
/// Tensor lists in the views are [`Tensors`] with the registry's own bounds, so callers can
/// read every input's and output's name, element type and shape.
pub trait ModelRegistry<AccountId, Balance> {
	/// Longest tensor name, and longest symbolic dimension name, in bytes.
	type MaxTensorNameLength: Get<u32>;
	/// Most dimensions of a tensor.
	type MaxRank: Get<u32>;
	/// Most inputs of a version, and most outputs.
	type MaxIoTensors: Get<u32>;

	/// What a job needs to know of version `version` of model `model`, whatever its status;
	/// `None` if there is no such version.
	fn version(
		model: ModelId,
		version: VersionNumber,
	) -> Option<RegistryView<Self, AccountId, Balance>>;

	/// Whether new jobs may use the version: it exists and is [`VersionStatus::Active`].
	fn is_runnable(model: ModelId, version: VersionNumber) -> bool;

	/// The model owner's royalty on a job fee of `fee` for the version: the owner and
	/// `royalty * fee`, rounded down. `None` if there is no such version. The status is not
	/// looked at: jobs submitted before a deprecation still pay the royalty.
	fn royalty(
		model: ModelId,
		version: VersionNumber,
		fee: Balance,
	) -> Option<(AccountId, Balance)>;

	/// Marks the version invalid with the executor's error `code`: no new jobs may use it.
	///
	/// For a model the executor rejected through the model's own fault. The caller is trusted
	/// to have established that; the registry does not check it. A version already invalid
	/// keeps its first code and nothing happens (`Ok`). Fails for unknown versions.
	fn mark_invalid(model: ModelId, version: VersionNumber, code: u16) -> DispatchResult;

	/// Makes an invalid version active again: a re-check by a quorum of workers ran the job
	/// that found it at fault, and it ran. The caller is trusted to have established that.
	/// Fails for unknown versions and versions that are not invalid.
	fn revalidate(model: ModelId, version: VersionNumber) -> DispatchResult;

	/// Publishes `parameters` (a sealed blob), trained by round `round` from version `base`
	/// of `model`, as the model's next version: the base's spec with these parameters and
	/// the base as parent. Uses what [`ModelRegistry::reserve_version`] secured for the round
	/// (otherwise holds the version's deposit from the model's owner, as publishing does) and
	/// references the blobs. The caller is trusted to have checked that the owner agreed (the
	/// rounds pallet lets only the owner, or a sponsor on a base version the owner opened to
	/// rounds, start a round). Returns the new number.
	fn publish_derived(
		model: ModelId,
		base: VersionNumber,
		parameters: BlobHash,
		round: u64,
	) -> Result<VersionNumber, DispatchError>;

	/// Secures, when round `round` opens on version `base` of `model`, what publishing its
	/// result needs: a version slot the owner cannot take, and the new version's deposit,
	/// held from the model's owner; the model cannot be removed meanwhile. Its owner thus
	/// cannot make the round's end fail. The caller is trusted as for
	/// [`ModelRegistry::publish_derived`]. A registry without reservations secures nothing.
	fn reserve_version(_model: ModelId, _base: VersionNumber, _round: u64) -> DispatchResult {
		Ok(())
	}

	/// Gives back what [`ModelRegistry::reserve_version`] secured for round `round` (the
	/// round ended without publishing), if anything.
	fn release_version(_model: ModelId, _round: u64) {}
}

/// No registry: there are no models, nothing is runnable and nothing can be marked. For mocks
/// of pallets that use [`ModelRegistry`].
impl<AccountId, Balance> ModelRegistry<AccountId, Balance> for () {
	type MaxTensorNameLength = ConstU32<0>;
	type MaxRank = ConstU32<0>;
	type MaxIoTensors = ConstU32<0>;

	fn version(
		_model: ModelId,
		_version: VersionNumber,
	) -> Option<
		VersionView<
			AccountId,
			Tensors<Self::MaxTensorNameLength, Self::MaxRank, Self::MaxIoTensors>,
		>,
	> {
		None
	}

	fn is_runnable(_model: ModelId, _version: VersionNumber) -> bool {
		false
	}

	fn royalty(
		_model: ModelId,
		_version: VersionNumber,
		_fee: Balance,
	) -> Option<(AccountId, Balance)> {
		None
	}

	fn mark_invalid(_model: ModelId, _version: VersionNumber, _code: u16) -> DispatchResult {
		Err(DispatchError::CannotLookup)
	}

	fn revalidate(_model: ModelId, _version: VersionNumber) -> DispatchResult {
		Err(DispatchError::CannotLookup)
	}

	fn publish_derived(
		_model: ModelId,
		_base: VersionNumber,
		_parameters: BlobHash,
		_round: u64,
	) -> Result<VersionNumber, DispatchError> {
		Err(DispatchError::CannotLookup)
	}
}

/// How many open jobs use a model. Implemented by the jobs pallet; the registry does not
/// remove a model while any job that is not settled or failed refers to one of its versions.
pub trait ModelUsage {
	/// Jobs on any version of `model` that are not finished yet.
	fn open_jobs(model: ModelId) -> u32;
}

/// No jobs pallet: no model is ever in use.
impl ModelUsage for () {
	fn open_jobs(_model: ModelId) -> u32 {
		0
	}
}

/// Told when a model's owner is gone: the model was removed, or another account accepted it.
/// What that owner consented to for the model (the rounds pallet's open bases) ends with it.
pub trait ModelObserver {
	/// `model` was removed or passed to another owner.
	fn owner_gone(model: ModelId);
	/// Most weight [`ModelObserver::owner_gone`] takes for a model of at most `versions`
	/// versions: the registry charges it to the calls that remove or hand over a model.
	fn owner_gone_weight(versions: u32) -> sp_runtime::Weight;
}

/// Nobody to tell.
impl ModelObserver for () {
	fn owner_gone(_model: ModelId) {}
	fn owner_gone_weight(_versions: u32) -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}
