//! # Models pallet
//!
//! The model registry. A model is a named, owned series of versions; a version is an ONNX
//! model (a sealed blob in the blobs pallet) with the schema, precision, tolerance and royalty
//! that jobs on it are run and settled with.
//!
//! ## Dispatchable functions
//!
//! * [`Pallet::register_model`]: signed — registers a model under a unique name with its first
//!   version; the caller becomes its owner and pays its deposits.
//! * [`Pallet::publish_version`]: signed, the model's owner — adds the next version.
//! * [`Pallet::deprecate_version`]: signed, the model's owner — stops new jobs on a version.
//! * [`Pallet::transfer_ownership`]: signed, the model's owner — offers the model to another
//!   account.
//! * [`Pallet::accept_ownership`]: signed, the account the model is offered to — takes the
//!   model and its deposit.
//! * [`Pallet::cancel_transfer`]: signed, the model's owner — withdraws the offer.
//! * [`Pallet::update_metadata`]: signed, the model's owner — replaces the description and
//!   licence, adjusting the deposit.
//! * [`Pallet::remove_model`]: signed, the model's owner — removes a model none of whose
//!   versions is active and no open job uses, releasing its references and deposit.
//!
//! ## Where the code lives
//!
//! `lib.rs` holds the pallet (configuration, storage, events, errors, hooks, calls);
//! `checks.rs` what a version must pass, `deposits.rs` the deposits, `versions.rs` adding
//! versions and changing their status, `views.rs` what the runtime API and other pallets
//! read, `impls.rs` [`ModelRegistry`], `try_state.rs` the invariants.
//!
//! ## Models and versions
//!
//! - [`Pallet::register_model`] creates a model with a name, a description, a licence and its
//!   first version (version 1). Model ids are assigned in sequence ([`NextModelId`]) and never
//!   reused. The caller is the owner.
//! - [`Pallet::publish_version`] adds version 2, 3, ... (at most [`Config::MaxVersions`]).
//! - [`Pallet::deprecate_version`] retires a version: no new jobs; jobs already submitted run
//!   to the end. A version the executor rejected is marked invalid by the jobs pallet through
//!   [`ModelRegistry::mark_invalid`], which also stops new jobs.
//! - [`Pallet::update_metadata`] edits the description and licence. The name never changes.
//! - [`Pallet::remove_model`] deletes the model and all its versions, once none of its
//!   versions is active and no open job uses it ([`ModelUsage`]).
//!
//! Versions are never deleted one by one: a job refers to `(model, version)` and must find the
//! same version until it settles.
//!
//! ## What the chain checks
//!
//! A version's blob must exist, be sealed (its bytes were checked on-chain) or remote
//! (registered by URI: how models larger than an upload are published; workers fetch and check
//! the bytes, and a URI that does not serve them costs its registrant the bond), and be at
//! most [`Config::MaxModelBlobSize`] bytes.
//! Its opset must be in [`Config::MinOpset`]`..=`[`Config::MaxOpset`], its precision at most
//! [`MAX_PRECISION`](mosaic_primitives::digest::MAX_PRECISION), its royalty at most
//! [`Config::MaxRoyalty`]. It needs at least one input and one output; tensor names and
//! symbolic dimension names are not empty, and tensor names are unique among the inputs and
//! among the outputs. A shape may be empty (a scalar). Its parent, if any, must be an existing
//! version. What only running the model can tell (that the graph parses, that its declared
//! schema is the graph's) is the executor's job; a model that fails it is marked invalid.
//!
//! Who owns the blob does not matter: owning bytes grants nothing. Requiring the publisher to
//! own the blob, as Mosaic did until spec 116, let a front-runner who stored the same bytes
//! first make the real uploader's registration fail and register the model under its own name.
//! Anyone can always publish a copy (changing one byte makes a new blob), so the check stopped
//! nobody else. A version whose blobs (model, parameters) nobody references yet takes them
//! over ([`BlobAdoption`](mosaic_primitives::blob::BlobAdoption)): the publisher holds their
//! deposits from then on and their previous owner's are released, so nobody's deposit is kept
//! held by someone else's model.
//!
//! ## Unique names
//!
//! Model names are unique on the chain ([`ModelsByName`]), so a name is a stable handle
//! clients can resolve, and nobody can list a second "resnet50" next to the first one. Names
//! are lowercase ASCII letters, digits, `-`, `_` and `.` ([`is_valid_name`]), so names that
//! look alike are alike. Squatting costs a deposit for as long as the name is held; a removed
//! model frees its name.
//!
//! ## Blob references
//!
//! Every version holds one reference to its blob ([`BlobReferences`](mosaic_primitives::blob::BlobReferences)), taken
//! when it is published, so the blob cannot be removed while the version exists. Deprecated
//! and invalid versions keep their reference (jobs already submitted still need the bytes).
//! [`Pallet::remove_model`] drops the references of all the model's versions.
//!
//! ## Deposits
//!
//! The owner keeps a deposit held under [`HoldReason::ModelDeposit`]:
//! - for the model's entry, `DepositBase + DepositPerByte * (name + description + license
//!   bytes)` ([`ModelInfo::metadata_deposit`]), adjusted up or down by
//!   [`Pallet::update_metadata`];
//! - for each version, `DepositBase + DepositPerByte * (encoded size of its spec)`
//!   ([`VersionInfo::deposit`]), held when it is published.
//!
//! The sum is recorded in [`ModelInfo::deposit`]; exactly that amount is released when the
//! model is removed, and exactly that amount moves when ownership does, even if the constants
//! changed since.
//!
//! ## Ownership transfer
//!
//! Ownership moves in two steps: the owner offers the model with
//! [`Pallet::transfer_ownership`], and the new owner takes it with
//! [`Pallet::accept_ownership`]. Accepting holds the model's whole deposit from the new owner
//! (failing with the new owner's insufficient-funds error if they cannot pay) and releases it
//! to the old owner. A one-step transfer would let anyone put a hold on a stranger's funds,
//! and make them answer for a model they never asked for. The owner can withdraw an offer with
//! [`Pallet::cancel_transfer`]; a new offer replaces the previous one.
//!
//! ## Other pallets
//!
//! The jobs pallet sees models through [`ModelRegistry`] (version views, whether a version is
//! runnable, royalties, marking a version invalid) and tells this pallet how many open jobs use
//! a model through [`ModelUsage`].

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod checks;
mod deposits;
pub mod impls;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-state", test))]
mod try_state;
pub mod types;
mod versions;
mod views;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

pub use mosaic_primitives::model::{ModelObserver, ModelRegistry, ModelUsage};

use frame_support::{dispatch::DispatchResult, traits::Get};

sp_api::decl_runtime_apis! {
	/// What clients read of the model registry.
	pub trait ModelsApi<Model> where Model: codec::Codec {
		/// A model with all its versions, oldest first; `None` for unknown ids.
		fn model(id: ModelId) -> Option<Model>;
		/// The id of the model called `name`, if any.
		fn model_id(name: alloc::vec::Vec<u8>) -> Option<ModelId>;
	}
}

/// Creates sealed blobs for the benchmarks, which see the blob store only through
/// [`BlobInspect`](mosaic_primitives::blob::BlobInspect) and so cannot create blobs themselves.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Stores a small sealed blob owned by `owner`, different for every `seed`, and returns its
	/// hash. Funds `owner` for the blob's deposit. At most 16 bytes, so any sensible
	/// [`Config::MaxModelBlobSize`] admits it.
	fn sealed_blob(owner: &AccountId, seed: u32) -> Result<BlobHash, sp_runtime::DispatchError>;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		dispatch::WithPostDispatchInfo,
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use mosaic_primitives::blob::{BlobAdoption, BlobInspect, BlobReferences};
	use sp_runtime::{
		traits::{Saturating, StaticLookup},
		ArithmeticError, Permill,
	};

	/// Balance of [`Config::Currency`].
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// An account as dispatchables take it (an address, in the runtime).
	pub type AccountIdLookupOf<T> = <<T as frame_system::Config>::Lookup as StaticLookup>::Source;

	/// A model's name.
	pub type NameOf<T> = BoundedVec<u8, <T as Config>::MaxNameLength>;

	/// A model's description.
	pub type DescriptionOf<T> = BoundedVec<u8, <T as Config>::MaxDescriptionLength>;

	/// A model's licence.
	pub type LicenseOf<T> = BoundedVec<u8, <T as Config>::MaxLicenseLength>;

	/// A tensor's name, or a symbolic dimension's.
	pub type TensorNameOf<T> = BoundedVec<u8, <T as Config>::MaxTensorNameLength>;

	/// One input's or output's schema.
	pub type TensorSchemaOf<T> =
		TensorSchema<TensorNameOf<T>, BoundedVec<Dim<TensorNameOf<T>>, <T as Config>::MaxRank>>;

	/// A version's inputs or outputs.
	pub type TensorsOf<T> = Tensors<
		<T as Config>::MaxTensorNameLength,
		<T as Config>::MaxRank,
		<T as Config>::MaxIoTensors,
	>;

	/// A version as its owner declares it.
	pub type VersionSpecOf<T> = VersionSpec<TensorsOf<T>>;

	/// A version as stored in [`Versions`].
	pub type VersionInfoOf<T> = VersionInfo<VersionSpecOf<T>, BalanceOf<T>, BlockNumberFor<T>>;

	/// A model as stored in [`Models`].
	pub type ModelInfoOf<T> = ModelInfo<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		NameOf<T>,
		DescriptionOf<T>,
		LicenseOf<T>,
	>;

	/// What other pallets see of a version.
	pub type VersionViewOf<T> = VersionView<<T as frame_system::Config>::AccountId, TensorsOf<T>>;
	/// A model with all its versions, for the runtime API.
	pub type ModelViewOf<T> = ModelView<ModelInfoOf<T>, VersionInfoOf<T>>;

	/// The in-code storage version. 0 is the layout every Mosaic chain started with; each
	/// change of layout bumps it and comes with a migration in [`crate::migrations`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the models pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency deposits are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason, which includes this pallet's [`HoldReason`].
		type RuntimeHoldReason: From<HoldReason>;

		/// The blob store holding the ONNX models.
		type Blobs: BlobInspect<Self::AccountId> + BlobReferences + BlobAdoption<Self::AccountId>;

		/// How many open jobs use a model (the jobs pallet); `()` for none.
		type JobsInUse: ModelUsage;

		/// Told when a model is removed or changes owner (the rounds pallet, whose consents
		/// end with their owner); `()` for none. Its weight for `MaxVersions` versions is part
		/// of [`Pallet::accept_ownership`]'s and [`Pallet::remove_model`]'s.
		type OwnerGone: ModelObserver;

		/// Deposit held for a model's entry and for each version, whatever their size.
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// Deposit held per byte: of the name, description and licence for a model's entry, of
		/// the encoded spec for a version.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// Longest model name, in bytes. Positive.
		#[pallet::constant]
		type MaxNameLength: Get<u32>;

		/// Longest description, in bytes.
		#[pallet::constant]
		type MaxDescriptionLength: Get<u32>;

		/// Longest licence, in bytes.
		#[pallet::constant]
		type MaxLicenseLength: Get<u32>;

		/// Longest tensor name and symbolic dimension name, in bytes. Positive.
		#[pallet::constant]
		type MaxTensorNameLength: Get<u32>;

		/// Most dimensions of a tensor.
		#[pallet::constant]
		type MaxRank: Get<u32>;

		/// Most inputs of a version, and most outputs. Positive.
		#[pallet::constant]
		type MaxIoTensors: Get<u32>;

		/// Most versions of one model. Positive.
		#[pallet::constant]
		type MaxVersions: Get<u32>;

		/// Largest ONNX blob a version may use, in bytes. A node whose executor takes less
		/// (its `max_model_bytes`) abstains from jobs on larger models, which counts against
		/// neither the node nor the version.
		#[pallet::constant]
		type MaxModelBlobSize: Get<u64>;

		/// Lowest ONNX opset a version may declare (the executor's `min_opset`).
		#[pallet::constant]
		type MinOpset: Get<u32>;

		/// Highest ONNX opset a version may declare (the executor's `max_opset`). At least
		/// `MinOpset`.
		#[pallet::constant]
		type MaxOpset: Get<u32>;

		/// Largest royalty a version may ask for.
		#[pallet::constant]
		type MaxRoyalty: Get<Permill>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Creates sealed blobs for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a model and its versions (see the pallet's documentation).
		#[codec(index = 0)]
		ModelDeposit,
	}

	/// The id the next registered model gets.
	#[pallet::storage]
	pub type NextModelId<T: Config> = StorageValue<_, ModelId, ValueQuery>;

	/// Every model, by id. Ids are assigned by the chain in sequence, so they are not hashed
	/// again for balance (`Twox64Concat`).
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelInfoOf<T>, OptionQuery>;

	/// Every version, by model id and version number (`1..=version_count`). Both keys are
	/// assigned by the chain in sequence, so neither is hashed again (`Twox64Concat`); the
	/// model id comes first so a model's versions are one prefix.
	#[pallet::storage]
	pub type Versions<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ModelId,
		Twox64Concat,
		VersionNumber,
		VersionInfoOf<T>,
		OptionQuery,
	>;

	/// Versions secured for rounds that are running: by model and round, the deposit held
	/// for the version each round will publish (see
	/// [`ModelRegistry::reserve_version`](crate::ModelRegistry::reserve_version)). The
	/// deposit is part of the model's. Model and round ids are assigned by the chain in
	/// sequence (`Twox64Concat`).
	#[pallet::storage]
	pub type ReservedVersions<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Twox64Concat, u64, BalanceOf<T>, OptionQuery>;

	/// How many versions are secured for each model ([`ReservedVersions`]): with its versions,
	/// at most `MaxVersions`. Absent for none. The model id is the chain's (`Twox64Concat`).
	#[pallet::storage]
	pub type ReservedVersionCount<T: Config> =
		StorageMap<_, Twox64Concat, ModelId, u32, ValueQuery>;

	/// The model with each name. Users choose the key, so it is hashed (`Blake2_128Concat`).
	#[pallet::storage]
	pub type ModelsByName<T: Config> =
		StorageMap<_, Blake2_128Concat, NameOf<T>, ModelId, OptionQuery>;

	/// Events of the models pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was registered. Its first version follows in [`Event::VersionPublished`].
		ModelRegistered {
			/// The new model's id.
			model: ModelId,
			/// Its owner.
			owner: T::AccountId,
			/// Its unique name.
			name: NameOf<T>,
			/// The deposit held for the model's entry (the first version's is in its own
			/// event).
			deposit: BalanceOf<T>,
		},
		/// A version was published (version 1 with the model's registration).
		VersionPublished {
			/// The model.
			model: ModelId,
			/// The new version's number.
			version: VersionNumber,
			/// Its ONNX blob.
			blob: BlobHash,
			/// The version it derives from, if any.
			parent: Option<(ModelId, VersionNumber)>,
			/// The deposit held for the version.
			deposit: BalanceOf<T>,
		},
		/// A federated training round produced version `version` of `model` (published just
		/// before, with the base version as its parent): the round's aggregated `parameters`.
		VersionTrainedInRound {
			/// The model.
			model: ModelId,
			/// The new version.
			version: VersionNumber,
			/// The round.
			round: u64,
			/// Its parameters' blob.
			parameters: BlobHash,
		},
		/// A version of `model` was secured for round `round`: `deposit` is held from the
		/// model's owner, and a version slot is kept, until the round publishes or ends.
		VersionReserved {
			/// The model.
			model: ModelId,
			/// The round the version is for.
			round: u64,
			/// The new version's deposit, held from the owner as part of the model's.
			deposit: BalanceOf<T>,
		},
		/// The version secured for round `round` was given back: the round ended without
		/// publishing; `deposit` was released to the model's owner.
		VersionReservationReleased {
			/// The model.
			model: ModelId,
			/// The round.
			round: u64,
			/// The deposit released to the owner.
			deposit: BalanceOf<T>,
		},
		/// The owner deprecated a version: no new jobs may use it.
		VersionDeprecated {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
		},
		/// A version was marked invalid after the executor rejected it: no new jobs may use it.
		VersionInvalidated {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
			/// The executor's error code.
			code: u16,
		},
		/// An invalid version is active again: a re-check by a quorum of workers ran the job
		/// that had found it at fault.
		VersionRevalidated {
			/// The model.
			model: ModelId,
			/// The version.
			version: VersionNumber,
		},
		/// The owner offered the model to another account, which may accept it.
		OwnershipTransferProposed {
			/// The model.
			model: ModelId,
			/// The current owner.
			owner: T::AccountId,
			/// The account that may accept.
			new_owner: T::AccountId,
		},
		/// The owner withdrew an offer of the model.
		OwnershipTransferCancelled {
			/// The model.
			model: ModelId,
			/// The owner.
			owner: T::AccountId,
			/// The account the model had been offered to.
			new_owner: T::AccountId,
		},
		/// A model changed owner: its deposit is now held from the new owner, and the old
		/// owner's was released.
		OwnershipTransferred {
			/// The model.
			model: ModelId,
			/// The previous owner, who got the deposit back.
			old_owner: T::AccountId,
			/// The new owner.
			new_owner: T::AccountId,
			/// The deposit now held from `new_owner`.
			deposit: BalanceOf<T>,
		},
		/// The owner changed the description and licence.
		MetadataUpdated {
			/// The model.
			model: ModelId,
			/// The model entry's deposit after the change (held or released as needed).
			deposit: BalanceOf<T>,
		},
		/// A model and all its versions were removed; its name is free again.
		ModelRemoved {
			/// The model.
			model: ModelId,
			/// The former owner, who got the deposit back.
			owner: T::AccountId,
			/// The deposit released to `owner`.
			deposit_released: BalanceOf<T>,
		},
	}

	/// Errors of the models pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// A model name must have at least one byte, and only lowercase ASCII letters, digits,
		/// `-`, `_` and `.`.
		InvalidName,
		/// Another model has this name.
		NameTaken,
		/// There is no model with this id.
		UnknownModel,
		/// The model has no version with this number.
		UnknownVersion,
		/// Only the model's owner may do this.
		NotOwner,
		/// The version's blob does not exist.
		UnknownBlob,
		/// A round's combined parameters are not a sealed blob. (Until spec 119, also a
		/// version's blob that was only registered by URI: remote blobs are accepted since.)
		BlobNotSealed,
		/// The version's blob is larger than `MaxModelBlobSize`.
		ModelTooLarge,
		/// The opset is outside `MinOpset..=MaxOpset`.
		OpsetOutOfRange,
		/// A version needs at least one input.
		NoInputs,
		/// A version needs at least one output.
		NoOutputs,
		/// A tensor's name, or a symbolic dimension's name, is empty.
		EmptyTensorName,
		/// Two inputs, or two outputs, have the same name.
		DuplicateTensorName,
		/// The precision is above `MAX_PRECISION` (12 decimal digits).
		PrecisionTooHigh,
		/// The royalty is above `MaxRoyalty`.
		RoyaltyTooHigh,
		/// The parent version does not exist.
		UnknownParent,
		/// The model has `MaxVersions` versions already, counting those secured for running
		/// rounds.
		TooManyVersions,
		/// The version is not active: it is deprecated or invalid already.
		AlreadyDeprecated,
		/// The account already owns the model.
		AlreadyOwner,
		/// The model is not on offer to anyone.
		NoPendingTransfer,
		/// The model is on offer to another account.
		NotPendingOwner,
		/// The model still has active versions: deprecate them all before removing it.
		VersionsActive,
		/// Open jobs, or running rounds, use the model: it can be removed once they are
		/// finished.
		ModelInUse,
		/// The version is not invalid, so there is nothing to revalidate.
		VersionNotInvalid,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxNameLength::get() > 0, "MaxNameLength must be positive");
			assert!(T::MaxTensorNameLength::get() > 0, "MaxTensorNameLength must be positive");
			assert!(T::MaxIoTensors::get() > 0, "MaxIoTensors must be positive");
			assert!(T::MaxVersions::get() > 0, "MaxVersions must be positive");
			assert!(T::MinOpset::get() <= T::MaxOpset::get(), "MinOpset may not exceed MaxOpset");

			let limits = <T as frame_system::Config>::BlockWeights::get();
			let max_extrinsic =
				limits.get(DispatchClass::Normal).max_extrinsic.unwrap_or(limits.max_block);
			let max_tensors = Pallet::<T>::max_tensors();
			assert!(
				T::WeightInfo::register_model(max_tensors).all_lte(max_extrinsic),
				"registering a model with the largest schema must fit in one normal extrinsic",
			);
			assert!(
				T::WeightInfo::publish_version(max_tensors).all_lte(max_extrinsic),
				"publishing the largest schema must fit in one normal extrinsic",
			);
			assert!(
				T::WeightInfo::remove_model(T::MaxVersions::get()).all_lte(max_extrinsic),
				"removing a model with MaxVersions versions must fit in one normal extrinsic",
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a model named `name`, owned by the caller, with its first version.
		///
		/// The name must be valid ([`is_valid_name`]) and not taken; the version must pass the
		/// checks in the pallet's documentation. Holds the model entry's deposit and the
		/// version's, and takes a reference to the version's blob. The model gets the next id
		/// and its first version number 1.
		///
		/// Emits [`Event::ModelRegistered`], then [`Event::VersionPublished`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model(Pallet::<T>::tensor_count(first_version)))]
		pub fn register_model(
			origin: OriginFor<T>,
			name: NameOf<T>,
			description: DescriptionOf<T>,
			license: LicenseOf<T>,
			first_version: VersionSpecOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(is_valid_name(&name), Error::<T>::InvalidName);
			ensure!(!ModelsByName::<T>::contains_key(&name), Error::<T>::NameTaken);
			Self::check_spec(&first_version)?;
			let model = NextModelId::<T>::get();
			let next = model.checked_add(1).ok_or(ArithmeticError::Overflow)?;

			let metadata_deposit = Self::metadata_deposit(&name, &description, &license);
			let version_deposit = Self::version_deposit(&first_version);
			let deposit = metadata_deposit.saturating_add(version_deposit);
			Self::hold_deposit(&who, deposit)?;
			Self::reference_blobs(&who, &first_version)?;

			let now = frame_system::Pallet::<T>::block_number();
			let (blob, parent) = (first_version.blob, first_version.parent);
			Versions::<T>::insert(
				model,
				1,
				VersionInfo {
					spec: first_version,
					status: VersionStatus::Active,
					published_at: now,
					deposit: version_deposit,
					round: None,
				},
			);
			ModelsByName::<T>::insert(&name, model);
			Models::<T>::insert(
				model,
				ModelInfo {
					owner: who.clone(),
					name: name.clone(),
					description,
					license,
					version_count: 1,
					deposit,
					metadata_deposit,
					pending_owner: None,
					created_at: now,
				},
			);
			NextModelId::<T>::put(next);

			Self::deposit_event(Event::ModelRegistered {
				model,
				owner: who,
				name,
				deposit: metadata_deposit,
			});
			Self::deposit_event(Event::VersionPublished {
				model,
				version: 1,
				blob,
				parent,
				deposit: version_deposit,
			});
			Ok(())
		}

		/// Publish a new version of the caller's model `model`.
		///
		/// Only the owner may publish, up to `MaxVersions` versions. The version must pass the
		/// checks in the pallet's documentation; its parent may be any existing version,
		/// including an earlier one of this model. Holds the version's deposit and takes a
		/// reference to its blob. The version gets the next number.
		///
		/// Emits [`Event::VersionPublished`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::publish_version(Pallet::<T>::tensor_count(spec)))]
		pub fn publish_version(
			origin: OriginFor<T>,
			model: ModelId,
			spec: VersionSpecOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			ensure!(Self::free_version_slots(model, &info) > 0, Error::<T>::TooManyVersions);
			Self::check_spec(&spec)?;
			let version = info.version_count.checked_add(1).ok_or(ArithmeticError::Overflow)?;

			let deposit = Self::version_deposit(&spec);
			Self::hold_deposit(&who, deposit)?;
			Self::add_version(model, info, version, &who, spec, None, deposit)?;
			Ok(())
		}

		/// Deprecate version `version` of the caller's model `model`: no new jobs may use it.
		///
		/// Jobs already submitted run to the end. The version keeps its blob reference and its
		/// deposit until the model is removed. Only active versions can be deprecated.
		///
		/// Emits [`Event::VersionDeprecated`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::deprecate_version())]
		pub fn deprecate_version(
			origin: OriginFor<T>,
			model: ModelId,
			version: VersionNumber,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			Versions::<T>::try_mutate(model, version, |maybe_version| -> DispatchResult {
				let entry = maybe_version.as_mut().ok_or(Error::<T>::UnknownVersion)?;
				ensure!(entry.status.is_active(), Error::<T>::AlreadyDeprecated);
				entry.status = VersionStatus::Deprecated;
				Ok(())
			})?;

			Self::deposit_event(Event::VersionDeprecated { model, version });
			Ok(())
		}

		/// Offer the caller's model `model` to `new_owner`, who becomes the owner by calling
		/// [`Pallet::accept_ownership`].
		///
		/// Nothing moves yet. A new offer replaces an earlier one; the owner can withdraw it
		/// with [`Pallet::cancel_transfer`].
		///
		/// Emits [`Event::OwnershipTransferProposed`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::transfer_ownership())]
		pub fn transfer_ownership(
			origin: OriginFor<T>,
			model: ModelId,
			new_owner: AccountIdLookupOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let new_owner = T::Lookup::lookup(new_owner)?;
			let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			ensure!(new_owner != who, Error::<T>::AlreadyOwner);

			info.pending_owner = Some(new_owner.clone());
			Models::<T>::insert(model, info);

			Self::deposit_event(Event::OwnershipTransferProposed { model, owner: who, new_owner });
			Ok(())
		}

		/// Become the owner of model `model`, which its owner offered to the caller.
		///
		/// The model's whole deposit is held from the caller (this fails if the caller cannot
		/// pay it) and released to the previous owner. Royalties of jobs settled from now on go
		/// to the caller. What the previous owner consented to for the model (bases opened to
		/// rounds) ends.
		///
		/// Emits [`Event::OwnershipTransferred`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::accept_ownership().saturating_add(
			T::OwnerGone::owner_gone_weight(T::MaxVersions::get())
		))]
		pub fn accept_ownership(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
			let pending = info.pending_owner.as_ref().ok_or(Error::<T>::NoPendingTransfer)?;
			ensure!(*pending == who, Error::<T>::NotPendingOwner);

			// Hold from the new owner first, so a new owner who cannot pay changes nothing.
			Self::hold_deposit(&who, info.deposit)?;
			Self::release_deposit(&info.owner, info.deposit)?;

			let old_owner = core::mem::replace(&mut info.owner, who.clone());
			info.pending_owner = None;
			let deposit = info.deposit;
			Models::<T>::insert(model, info);
			T::OwnerGone::owner_gone(model);

			Self::deposit_event(Event::OwnershipTransferred {
				model,
				old_owner,
				new_owner: who,
				deposit,
			});
			Ok(())
		}

		/// Withdraw the offer of the caller's model `model`.
		///
		/// Emits [`Event::OwnershipTransferCancelled`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::cancel_transfer())]
		pub fn cancel_transfer(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			let new_owner = info.pending_owner.take().ok_or(Error::<T>::NoPendingTransfer)?;
			Models::<T>::insert(model, info);

			Self::deposit_event(Event::OwnershipTransferCancelled { model, owner: who, new_owner });
			Ok(())
		}

		/// Replace the description and licence of the caller's model `model`.
		///
		/// The model entry's deposit is recomputed for the new lengths (with the current
		/// constants); the difference is held from, or released to, the owner.
		///
		/// Emits [`Event::MetadataUpdated`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::update_metadata())]
		pub fn update_metadata(
			origin: OriginFor<T>,
			model: ModelId,
			description: DescriptionOf<T>,
			license: LicenseOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);

			let old = info.metadata_deposit;
			let new = Self::metadata_deposit(&info.name, &description, &license);
			if new > old {
				Self::hold_deposit(&who, new.saturating_sub(old))?;
			} else if old > new {
				Self::release_deposit(&who, old.saturating_sub(new))?;
			}

			info.description = description;
			info.license = license;
			info.metadata_deposit = new;
			info.deposit = info.deposit.saturating_sub(old).saturating_add(new);
			Models::<T>::insert(model, info);

			Self::deposit_event(Event::MetadataUpdated { model, deposit: new });
			Ok(())
		}

		/// Remove the caller's model `model` with all its versions: drop their blob references,
		/// free the name, end the owner's consents for it (bases opened to rounds) and release
		/// the whole deposit.
		///
		/// Only the owner may remove a model, and only when none of its versions is active
		/// (deprecate them first) and no open job uses it.
		///
		/// The weight is charged for `MaxVersions` versions and refunded down to the model's
		/// actual number of versions.
		///
		/// Emits [`Event::ModelRemoved`].
		#[pallet::call_index(7)]
		#[pallet::weight(Pallet::<T>::remove_model_weight(T::MaxVersions::get()))]
		pub fn remove_model(origin: OriginFor<T>, model: ModelId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			// Errors found before any version is read cost only the base weight.
			let early = |error: Error<T>| error.with_weight(Pallet::<T>::remove_model_weight(0));

			let info = Models::<T>::get(model).ok_or_else(|| early(Error::<T>::UnknownModel))?;
			ensure!(info.owner == who, early(Error::<T>::NotOwner));
			ensure!(T::JobsInUse::open_jobs(model) == 0, early(Error::<T>::ModelInUse));
			ensure!(ReservedVersionCount::<T>::get(model) == 0, early(Error::<T>::ModelInUse));

			let weight = Self::remove_model_weight(info.version_count);
			for version in 1..=info.version_count {
				let active = Versions::<T>::get(model, version)
					.is_some_and(|entry| entry.status.is_active());
				ensure!(!active, Error::<T>::VersionsActive.with_weight(weight));
			}

			for version in 1..=info.version_count {
				if let Some(entry) = Versions::<T>::take(model, version) {
					T::Blobs::remove_ref(&entry.spec.blob)
						.map_err(|error| error.with_weight(weight))?;
					if let Some(parameters) = entry.spec.parameters {
						T::Blobs::remove_ref(&parameters)
							.map_err(|error| error.with_weight(weight))?;
					}
				}
			}
			ModelsByName::<T>::remove(&info.name);
			Models::<T>::remove(model);
			T::OwnerGone::owner_gone(model);
			let deposit_released = Self::release_deposit(&who, info.deposit)
				.map_err(|error| error.with_weight(weight))?;

			Self::deposit_event(Event::ModelRemoved { model, owner: who, deposit_released });
			Ok(Some(weight).into())
		}
	}
}
