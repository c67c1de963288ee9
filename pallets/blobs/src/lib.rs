//! # Blobs pallet
//!
//! A content-addressed blob store. A blob is a byte string (an ONNX model, a dataset shard, a
//! tensor file) addressed by its blake2-256 hash ([`BlobHash`]).
//!
//! ## Dispatchable functions
//!
//! * [`Pallet::store`]: signed — stores a small blob in one extrinsic, sealed at once.
//! * [`Pallet::begin_upload`]: signed — begins the caller's chunked upload of a declared hash
//!   and size.
//! * [`Pallet::upload_chunk`]: signed, the uploader — adds the next chunk to its upload.
//! * [`Pallet::seal_upload`]: signed, the uploader — checks its chunks against the hash and
//!   seals the blob (or, if someone sealed those bytes first, ends its upload with a refund).
//! * [`Pallet::abort_upload`]: signed, the uploader, or anyone after the deadline — drops an
//!   upload and releases its deposit to the uploader.
//! * [`Pallet::register_uri`]: signed — registers a remote blob by URI, unverified.
//! * [`Pallet::remove`]: signed, the owner — removes an unreferenced sealed or remote blob.
//!
//! ## Where the code lives
//!
//! `lib.rs` holds the pallet (configuration, storage, events, errors, hooks, calls);
//! `store.rs` adding a sealed blob, `uploads.rs` chunked uploads, `deposits.rs` the deposits,
//! `offchain.rs` fetching remote blobs, `impls.rs` the [`mosaic_primitives::blob`] traits,
//! `try_state.rs` the invariants.
//!
//! ## Where things live
//!
//! - **Chain state** keeps only metadata ([`BlobInfo`] in [`Blobs`]): size, owner, deposit,
//!   status, reference count and creation block. Uploads in progress are apart, in
//!   [`Uploads`] and [`UploadChunks`], until they are sealed.
//! - **The bytes** go to every node's off-chain database through off-chain indexing, under one
//!   key, [`mosaic_primitives::blob::offchain_key`]`(hash)`. The whole blob is written under that
//!   key, in one piece, once the chain has checked it against its hash. Nodes read it from there
//!   and check the hash again. Indexing needs `--enable-offchain-indexing` on the node (on by
//!   default on Mosaic nodes).
//!
//! ## Adding a blob
//!
//! 1. **Inline**: [`Pallet::store`] takes a small blob (at most [`Config::MaxInlineBlobSize`]
//!    bytes) in one extrinsic, hashes it, holds the deposit and indexes the bytes. Status
//!    [`BlobStatus::Sealed`].
//! 2. **Chunked**: [`Pallet::begin_upload`] declares the hash and size and holds the full
//!    deposit up front. The upload is the uploader's own ([`Uploads`], by hash and uploader):
//!    beginning one claims no hash, and several accounts may upload the same bytes at once.
//!    [`Pallet::upload_chunk`] adds chunks in order; they are kept in chain
//!    state ([`UploadChunks`]) so the chain can check the result. Every chunk except the last
//!    must be exactly [`Config::MaxChunkSize`] bytes, so the number of chunks, and with it the
//!    cost of sealing, follows from the declared size alone. [`Pallet::seal_upload`] joins the
//!    chunks, checks the size and the hash, indexes the whole blob, deletes the chunks from
//!    state and records the blob, sealed, as the uploader's. If the hash does not match,
//!    nothing changes and the upload stays open so the uploader can [`Pallet::abort_upload`]
//!    it. If the blob was sealed meanwhile (by another upload, a store, or the chain storing
//!    a result), sealing ends the upload and releases its deposit ([`Event::UploadSuperseded`]).
//! 3. **Remote**: [`Pallet::register_uri`] records a blob whose bytes live at an `https://`,
//!    `http://` or `ipfs://` URI. Status [`BlobStatus::Remote`]; the hash and size are the
//!    registrant's claim, not checked on-chain: a node that needs the bytes fetches them and
//!    keeps them only if they match (see [`offchain`]). Jobs and model versions may name
//!    remote blobs, up to [`Config::MaxRemoteBlobSize`] bytes.
//!
//! ## Deposits
//!
//! Every entry holds a deposit from its owner under [`HoldReason::BlobDeposit`]:
//! `DepositBase + DepositPerByte * n`, where `n` is the blob's size for [`Pallet::store`] and
//! [`Pallet::begin_upload`] (the chunks occupy state while uploading; afterwards the deposit pays
//! for every node keeping the bytes in its off-chain database), and the URI's length for
//! [`Pallet::register_uri`] (only the URI is stored), to which a remote blob adds
//! [`Config::UriBond`]: when a quorum of a job's workers could not get the claimed bytes, the
//! bond goes to them ([`RemoteBlobBond::forfeit_bond`], [`Event::BondForfeited`]) and the URI's
//! deposit stays. The amount is recorded in the entry and exactly that amount is released when
//! the entry goes, even if the constants changed since.
//!
//! ## Upload deadline
//!
//! An upload must be sealed within [`Config::UploadTimeout`] blocks of
//! [`Pallet::begin_upload`]: its `deadline` is the last block in which the uploader may add
//! chunks or seal. After the deadline the upload is dead: anyone may call
//! [`Pallet::abort_upload`] for it, and the deposit goes back to the uploader. There is no hook
//! sweeping expired uploads, so no block ever carries clean-up work that nobody paid for; the
//! uploader's own held deposit is the incentive to clean up, and anyone else may.
//!
//! ## Unverified claims yield to verified bytes
//!
//! [`Pallet::register_uri`] and [`Pallet::begin_upload`] let anyone name any hash without
//! proving they have the bytes. Neither may squat a hash (for instance by front-running a
//! `store`, or by claiming the hash of a result the chain is about to store): an upload in
//! progress takes no hash from anyone, and a [`BlobStatus::Remote`] entry is replaced by
//! [`Pallet::store`] or [`Pallet::seal_upload`] of the same hash (or by the chain storing those
//! bytes): the registrant's deposit is released and [`Event::RemoteReplaced`] is emitted; the
//! sealed entry keeps the remote one's references. Storing bytes that are sealed already fails
//! with [`Error::AlreadyExists`].
//!
//! Blobs larger than [`Config::MaxBlobSize`] can only be remote, so no bytes will ever replace a
//! false claim on their hash. A remote registration nothing references therefore also yields
//! to a later [`Pallet::register_uri`] of the same hash (the earlier registrant's deposit is
//! released, [`Event::RemoteReplaced`]): a squatter who registers the hash of someone's model
//! with a URI that serves nothing blocks nobody. Once referenced (by a model version, or by an
//! open job that names it) a registration stays until the references are gone, so a job's
//! workers and a version's users fetch from the URI that was named when it was used. Whoever
//! registers a blob for use does both in one `utility.batchAll`, so nobody comes in between.
//!
//! ## Limits
//!
//! Sealing needs the whole blob in one buffer in the runtime, and the runtime's allocator gives
//! out at most 32 MiB at once, so [`Config::MaxBlobSize`] may not exceed
//! [`MAX_BLOB_SIZE_CEILING`] (checked by the pallet's integrity test). Larger blobs must be
//! registered by URI.
//!
//! ## Other pallets
//!
//! Other pallets see blobs through the traits in [`mosaic_primitives::blob`], which this pallet
//! implements in [`impls`]: [`BlobInspect`] to read a blob's summary, [`BlobReferences`] to count
//! their references to it ([`BlobReferences::add_ref`] / [`BlobReferences::remove_ref`]; a
//! referenced blob cannot be removed), [`BlobAdoption`] for whoever builds on an unreferenced
//! blob to take it and its deposit over, [`BlobFetch`] for a node to fetch a remote blob's bytes,
//! [`BlobStore`] to store bytes on an account's behalf (and discard them), and
//! [`RemoteBlobBond`] to take the bond of a remote blob that did not serve its bytes
//! ([`Config::UriBond`]). No other pallet depends on this crate.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod deposits;
pub mod impls;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod offchain;
mod store;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-state", test))]
mod try_state;
pub mod types;
mod uploads;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

pub use mosaic_primitives::blob::{
	BlobAdoption, BlobFetch, BlobHash, BlobInspect, BlobKind, BlobReferences, BlobStore,
	BlobSummary, FetchError, RemoteBlobBond,
};

use frame_support::{dispatch::DispatchResult, ensure};

/// The largest [`Config::MaxBlobSize`] the pallet accepts: 32 MiB, the most the runtime's
/// allocator hands out at once (`sp_core::MAX_POSSIBLE_ALLOCATION`). Sealing holds the whole
/// blob in one buffer to hash it and index it under a single key.
pub const MAX_BLOB_SIZE_CEILING: u64 = 32 * 1024 * 1024;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		dispatch::WithPostDispatchInfo,
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use mosaic_primitives::blob::offchain_key;
	use sp_runtime::traits::Saturating;

	/// Balance of [`Config::Currency`].
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// URI of a remote blob.
	pub type UriOf<T> = BoundedVec<u8, <T as Config>::MaxUriLength>;

	/// A blob's metadata as stored in [`Blobs`].
	pub type BlobInfoOf<T> =
		BlobInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>, UriOf<T>>;

	/// An upload in progress as stored in [`Uploads`].
	pub type UploadOf<T> = Upload<BalanceOf<T>, BlockNumberFor<T>>;

	/// The in-code storage version. 0 is the layout every Mosaic chain started with; each
	/// change of layout bumps it and comes with a migration in [`crate::migrations`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the blobs pallet.
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

		/// Deposit held for every entry, whatever its size.
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// Deposit held per byte: of the blob for stored and uploaded blobs, of the URI for
		/// remote ones.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// Bond held from whoever registers a blob by URI, on top of the URI's deposit: paid to
		/// the workers of a job when a quorum of them could not get the claimed bytes (see
		/// [`RemoteBlobBond`]). Bounds what a URI that never serves costs the workers drawn
		/// for it.
		#[pallet::constant]
		type UriBond: Get<BalanceOf<Self>>;

		/// Largest blob [`Pallet::store`] takes in one extrinsic, in bytes. At most
		/// [`Config::MaxBlobSize`].
		#[pallet::constant]
		type MaxInlineBlobSize: Get<u32>;

		/// Size of a chunk of a chunked upload, in bytes: every chunk but the last has exactly
		/// this size. Must be positive.
		#[pallet::constant]
		type MaxChunkSize: Get<u32>;

		/// Largest blob stored or uploaded, in bytes: the chain holds it whole to check its
		/// hash. Positive and at most [`MAX_BLOB_SIZE_CEILING`].
		#[pallet::constant]
		type MaxBlobSize: Get<u64>;

		/// Largest blob registered by URI, in bytes: what a node may be asked to download,
		/// keep and serve to its peers for one blob. At least [`Config::MaxBlobSize`].
		#[pallet::constant]
		type MaxRemoteBlobSize: Get<u64>;

		/// Longest URI of a remote blob, in bytes.
		#[pallet::constant]
		type MaxUriLength: Get<u32>;

		/// Blocks an upload may take from [`Pallet::begin_upload`] to [`Pallet::seal_upload`].
		/// Positive.
		#[pallet::constant]
		type UploadTimeout: Get<BlockNumberFor<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a blob entry (see the pallet's documentation for the amount).
		#[codec(index = 0)]
		BlobDeposit,
	}

	/// Metadata of every sealed or remote blob, keyed by its blake2-256 hash. Users choose the
	/// key in [`Pallet::register_uri`], so it is hashed again (`Blake2_128Concat`) to keep the
	/// trie balanced.
	#[pallet::storage]
	pub type Blobs<T: Config> =
		StorageMap<_, Blake2_128Concat, BlobHash, BlobInfoOf<T>, OptionQuery>;

	/// Uploads in progress, keyed by declared hash and uploader: an upload is its uploader's
	/// own, so beginning one blocks nobody else from storing or uploading the same bytes. The
	/// hash and the account are the user's choice, so both are hashed again
	/// (`Blake2_128Concat`).
	#[pallet::storage]
	pub type Uploads<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		BlobHash,
		Blake2_128Concat,
		T::AccountId,
		UploadOf<T>,
		OptionQuery,
	>;

	/// Chunks of uploads in progress, keyed by declared hash, uploader and chunk index
	/// (`0..chunks`, no gaps). Emptied for an upload when it is sealed, superseded or aborted.
	/// The hash and the account are the user's choice (`Blake2_128Concat`); chunk indices
	/// count up from zero (`Twox64Concat`).
	#[pallet::storage]
	pub type UploadChunks<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Blake2_128Concat, BlobHash>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Twox64Concat, u32>,
		),
		BoundedVec<u8, T::MaxChunkSize>,
		OptionQuery,
	>;

	/// Events of the blobs pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A blob was stored in one extrinsic; it is sealed and its bytes are indexed.
		BlobStored {
			/// The blob's blake2-256 hash.
			hash: BlobHash,
			/// Who stored it.
			owner: T::AccountId,
			/// Its size in bytes.
			byte_len: u64,
			/// The deposit held from `owner`.
			deposit: BalanceOf<T>,
		},
		/// A chunked upload began; chunks are accepted until block `deadline` inclusive.
		UploadBegun {
			/// The declared blake2-256 hash.
			hash: BlobHash,
			/// The uploader, whose upload it is.
			owner: T::AccountId,
			/// The declared size in bytes.
			byte_len: u64,
			/// The deposit held from `owner`.
			deposit: BalanceOf<T>,
			/// Last block in which chunks are accepted and the upload can be sealed.
			deadline: BlockNumberFor<T>,
		},
		/// A chunk of an upload arrived.
		ChunkUploaded {
			/// The upload's declared hash.
			hash: BlobHash,
			/// The uploader.
			uploader: T::AccountId,
			/// The chunk's index.
			index: u32,
			/// Bytes received so far, this chunk included.
			received: u64,
		},
		/// An upload was checked against its hash and sealed; its bytes are indexed.
		BlobSealed {
			/// The blob's blake2-256 hash.
			hash: BlobHash,
			/// The uploader.
			owner: T::AccountId,
			/// Its size in bytes.
			byte_len: u64,
		},
		/// An upload was abandoned; its chunks were deleted and the deposit released to the
		/// uploader.
		UploadAborted {
			/// The upload's declared hash.
			hash: BlobHash,
			/// The uploader, who got the deposit back.
			owner: T::AccountId,
			/// Who aborted it: the uploader, or anyone after the deadline.
			aborted_by: T::AccountId,
			/// The deposit released to `owner`.
			deposit_released: BalanceOf<T>,
		},
		/// An upload was sealed after the blob had been sealed by someone else: the upload
		/// ended, its chunks were deleted and its deposit released to the uploader.
		UploadSuperseded {
			/// The upload's declared hash, now a sealed blob of someone else's.
			hash: BlobHash,
			/// The uploader, who got the deposit back.
			uploader: T::AccountId,
			/// The deposit released to `uploader`.
			deposit_released: BalanceOf<T>,
		},
		/// A remote blob was registered by URI; its hash and size are not verified on-chain.
		UriRegistered {
			/// The declared blake2-256 hash.
			hash: BlobHash,
			/// The registrant.
			owner: T::AccountId,
			/// The declared size in bytes.
			byte_len: u64,
			/// Where the bytes can be fetched from.
			uri: UriOf<T>,
			/// The deposit held from `owner`: the URI's and [`Config::UriBond`].
			deposit: BalanceOf<T>,
		},
		/// A quorum of a job's workers could not get a remote blob's claimed bytes: its bond
		/// went to them (through `to`, the rewards pot). The blob stays, without a bond.
		BondForfeited {
			/// The remote blob's hash.
			hash: BlobHash,
			/// Its registrant, who lost the bond.
			owner: T::AccountId,
			/// Where the bond went.
			to: T::AccountId,
			/// The bond.
			amount: BalanceOf<T>,
		},
		/// A remote registration was replaced: by the bytes of the same hash (stored, sealed,
		/// or stored by the chain), which keep its references, or, while nothing referenced
		/// it, by another registration of the hash.
		RemoteReplaced {
			/// The hash.
			hash: BlobHash,
			/// The registrant, who got the deposit back.
			previous_owner: T::AccountId,
			/// The deposit released to `previous_owner`.
			deposit_released: BalanceOf<T>,
		},
		/// A blob nobody referenced passed to `owner`, who is about to build on it (see
		/// [`BlobAdoption`]): its deposit is now held from `owner`, and the previous owner's was
		/// released.
		BlobAdopted {
			/// The blob's hash.
			hash: BlobHash,
			/// The owner until now, who got the deposit back.
			previous_owner: T::AccountId,
			/// The deposit released to `previous_owner`.
			deposit_released: BalanceOf<T>,
			/// The new owner.
			owner: T::AccountId,
			/// The deposit now held from `owner`.
			deposit: BalanceOf<T>,
		},
		/// A blob was removed by its owner; its bytes were dropped from the off-chain index.
		BlobRemoved {
			/// The blob's hash.
			hash: BlobHash,
			/// The former owner, who got the deposit back.
			owner: T::AccountId,
			/// The deposit released to `owner`.
			deposit_released: BalanceOf<T>,
		},
	}

	/// Errors of the blobs pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// A blob must have at least one byte.
		EmptyBlob,
		/// The blob is larger than `MaxBlobSize`.
		BlobTooLarge,
		/// A blob with this hash is already sealed (or, for a URI, registered), or the caller is
		/// already uploading it.
		AlreadyExists,
		/// There is no blob with this hash.
		UnknownBlob,
		/// Only the blob's owner may do this.
		NotOwner,
		/// The account has no upload of this hash in progress.
		NotUploading,
		/// The upload's deadline has passed; it can only be aborted.
		UploadExpired,
		/// Only the uploader may abort an upload before its deadline has passed.
		UploadNotExpired,
		/// Chunks must arrive in order: the index must equal the number of chunks received.
		UnexpectedChunk,
		/// The chunk would take the upload beyond its declared size, or the upload already has
		/// all its bytes.
		TooMuchData,
		/// Every chunk but the last must be exactly `MaxChunkSize` bytes, and the last one must
		/// hold all the bytes still missing.
		ChunkTooSmall,
		/// The upload has fewer bytes than its declared size.
		IncompleteUpload,
		/// A chunk of the upload is missing from storage. Indicates an inconsistent state;
		/// should never happen.
		MissingChunk,
		/// The uploaded bytes do not hash to the declared hash. The upload stays open so its
		/// owner can abort it.
		HashMismatch,
		/// The URI must start with `https://`, `http://` or `ipfs://`, have something after the
		/// scheme and contain only visible ASCII characters.
		InvalidUri,
		/// The blob is referenced by another pallet and cannot be removed.
		InUse,
		/// Only sealed and remote blobs can be referenced.
		NotSealed,
		/// The blob has no references to drop.
		NoRefs,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxChunkSize::get() > 0, "MaxChunkSize must be positive");
			assert!(T::MaxBlobSize::get() > 0, "MaxBlobSize must be positive");
			assert!(
				T::MaxBlobSize::get() <= MAX_BLOB_SIZE_CEILING,
				"MaxBlobSize may not exceed MAX_BLOB_SIZE_CEILING (32 MiB): sealing holds the \
				 whole blob in one runtime allocation",
			);
			assert!(
				u64::from(T::MaxInlineBlobSize::get()) <= T::MaxBlobSize::get(),
				"MaxInlineBlobSize may not exceed MaxBlobSize",
			);
			assert!(
				T::MaxRemoteBlobSize::get() >= T::MaxBlobSize::get(),
				"MaxRemoteBlobSize may not be below MaxBlobSize",
			);
			assert!(!T::UploadTimeout::get().is_zero(), "UploadTimeout must be positive");

			let limits = <T as frame_system::Config>::BlockWeights::get();
			let max_extrinsic =
				limits.get(DispatchClass::Normal).max_extrinsic.unwrap_or(limits.max_block);
			let max_chunks = Pallet::<T>::max_chunks();
			assert!(
				T::WeightInfo::seal_upload(max_chunks).all_lte(max_extrinsic),
				"sealing the largest blob must fit in one normal extrinsic",
			);
			assert!(
				T::WeightInfo::abort_upload(max_chunks).all_lte(max_extrinsic),
				"aborting the largest upload must fit in one normal extrinsic",
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Store a small blob in one extrinsic.
		///
		/// The blob is hashed (blake2-256), the deposit `DepositBase + DepositPerByte * len` is
		/// held from the caller, and the bytes are indexed into every node's off-chain database
		/// under [`offchain_key`]`(hash)`. The blob is sealed at once.
		///
		/// Fails with [`Error::AlreadyExists`] if the hash is sealed already; an unverified
		/// remote registration of it is replaced, and uploads of it in progress are not
		/// affected (see the pallet's documentation).
		///
		/// Emits [`Event::BlobStored`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::store(bytes.len() as u32))]
		pub fn store(
			origin: OriginFor<T>,
			bytes: BoundedVec<u8, T::MaxInlineBlobSize>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_store(&who, &bytes).map(|_| ())
		}

		/// Begin the caller's chunked upload of a blob of `size` bytes whose blake2-256 hash is
		/// `hash`.
		///
		/// `size` must be positive and at most `MaxBlobSize`. The full deposit
		/// `DepositBase + DepositPerByte * size` is held now. Chunks must then be sent with
		/// [`Pallet::upload_chunk`] and the upload sealed with [`Pallet::seal_upload`] by block
		/// `now + UploadTimeout`; after that anyone may abort it. The upload is the caller's
		/// own: other accounts may upload the same hash at the same time, and a remote
		/// registration of it stays until the upload is sealed.
		///
		/// Fails with [`Error::AlreadyExists`] if the hash is sealed already or the caller is
		/// uploading it already.
		///
		/// Emits [`Event::UploadBegun`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::begin_upload())]
		pub fn begin_upload(origin: OriginFor<T>, hash: BlobHash, size: u64) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(size > 0, Error::<T>::EmptyBlob);
			ensure!(size <= T::MaxBlobSize::get(), Error::<T>::BlobTooLarge);
			ensure!(!Self::sealed(&hash), Error::<T>::AlreadyExists);
			ensure!(!Uploads::<T>::contains_key(hash, &who), Error::<T>::AlreadyExists);

			let deposit = Self::deposit_for(size);
			Self::hold_deposit(&who, deposit)?;
			let now = frame_system::Pallet::<T>::block_number();
			let deadline = now.saturating_add(T::UploadTimeout::get());
			Uploads::<T>::insert(
				hash,
				&who,
				Upload { byte_len: size, deposit, received: 0, chunks: 0, deadline },
			);

			Self::deposit_event(Event::UploadBegun {
				hash,
				owner: who,
				byte_len: size,
				deposit,
				deadline,
			});
			Ok(())
		}

		/// Add chunk `index` to the caller's upload of `hash`.
		///
		/// Up to the upload's deadline. Chunks arrive in order (`index` equals the number of
		/// chunks received so far). Every chunk but the last must be exactly `MaxChunkSize`
		/// bytes; the last one carries exactly the bytes still missing.
		///
		/// Emits [`Event::ChunkUploaded`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::upload_chunk(data.len() as u32))]
		pub fn upload_chunk(
			origin: OriginFor<T>,
			hash: BlobHash,
			index: u32,
			data: BoundedVec<u8, T::MaxChunkSize>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut upload = Uploads::<T>::get(hash, &who).ok_or(Error::<T>::NotUploading)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() <= upload.deadline,
				Error::<T>::UploadExpired
			);
			ensure!(index == upload.chunks, Error::<T>::UnexpectedChunk);

			let len = data.len() as u64;
			let missing = upload.byte_len.saturating_sub(upload.received);
			ensure!(missing > 0 && len <= missing, Error::<T>::TooMuchData);
			let expected = missing.min(u64::from(T::MaxChunkSize::get()));
			ensure!(len > 0 && len == expected, Error::<T>::ChunkTooSmall);

			upload.received = upload.received.saturating_add(len);
			upload.chunks = upload.chunks.saturating_add(1);
			let received = upload.received;
			UploadChunks::<T>::insert((hash, &who, index), data);
			Uploads::<T>::insert(hash, &who, upload);

			Self::deposit_event(Event::ChunkUploaded { hash, uploader: who, index, received });
			Ok(())
		}

		/// Seal the caller's upload of `hash`: join its chunks, check that they make up the
		/// declared size and hash to the declared hash, index the whole blob into every node's
		/// off-chain database, delete the chunks from state and record the blob as the
		/// caller's, its deposit the upload's. A remote registration of the hash is replaced.
		///
		/// Up to the upload's deadline. On [`Error::HashMismatch`] nothing changes: the upload
		/// stays open and its owner can abort it. If the blob was sealed meanwhile (by another
		/// uploader, a store, or the chain), the upload ends with its deposit released instead.
		///
		/// The weight is charged for the largest possible upload and refunded down to the
		/// upload's actual number of chunks.
		///
		/// Emits [`Event::BlobSealed`] (and [`Event::RemoteReplaced`]), or
		/// [`Event::UploadSuperseded`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::seal_upload(Pallet::<T>::max_chunks()))]
		pub fn seal_upload(origin: OriginFor<T>, hash: BlobHash) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			// Errors found before any chunk is read cost only the base weight.
			let early = |error: Error<T>| error.with_weight(T::WeightInfo::seal_upload(0));

			let upload =
				Uploads::<T>::get(hash, &who).ok_or_else(|| early(Error::<T>::NotUploading))?;
			if Self::sealed(&hash) {
				let deposit_released = Self::end_upload(&hash, &who, &upload)?;
				Self::deposit_event(Event::UploadSuperseded {
					hash,
					uploader: who,
					deposit_released,
				});
				return Ok(Some(T::WeightInfo::abort_upload(upload.chunks)).into());
			}
			ensure!(
				frame_system::Pallet::<T>::block_number() <= upload.deadline,
				early(Error::<T>::UploadExpired)
			);
			ensure!(upload.received == upload.byte_len, early(Error::<T>::IncompleteUpload));

			let weight = T::WeightInfo::seal_upload(upload.chunks);
			// `size <= MaxBlobSize <= MAX_BLOB_SIZE_CEILING`, so it fits in `usize`.
			let capacity = usize::try_from(upload.byte_len)
				.map_err(|_| Error::<T>::BlobTooLarge.with_weight(weight))?;
			let mut bytes = Vec::with_capacity(capacity);
			for index in 0..upload.chunks {
				let chunk = UploadChunks::<T>::get((hash, &who, index))
					.ok_or_else(|| Error::<T>::MissingChunk.with_weight(weight))?;
				bytes.extend_from_slice(&chunk);
			}
			ensure!(
				bytes.len() as u64 == upload.byte_len,
				Error::<T>::IncompleteUpload.with_weight(weight)
			);
			ensure!(
				sp_io::hashing::blake2_256(&bytes) == hash,
				Error::<T>::HashMismatch.with_weight(weight)
			);

			let refs = Self::make_room(&hash).map_err(|e| e.with_weight(weight))?;
			sp_io::offchain_index::set(&offchain_key(&hash), &bytes);
			Self::remove_chunks(&hash, &who, upload.chunks);
			Uploads::<T>::remove(hash, &who);
			Blobs::<T>::insert(
				hash,
				BlobInfo {
					byte_len: upload.byte_len,
					owner: who.clone(),
					deposit: upload.deposit,
					status: BlobStatus::Sealed,
					refs,
					created_at: frame_system::Pallet::<T>::block_number(),
				},
			);

			Self::deposit_event(Event::BlobSealed { hash, owner: who, byte_len: upload.byte_len });
			Ok(Some(weight).into())
		}

		/// Abort `uploader`'s upload of `hash`: delete its chunks and the upload, and release
		/// the deposit to the uploader.
		///
		/// The uploader may abort at any time; anyone else only after the upload's deadline
		/// (then the deposit still goes to the uploader).
		///
		/// The weight is charged for the largest possible upload and refunded down to the
		/// upload's actual number of chunks.
		///
		/// Emits [`Event::UploadAborted`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::abort_upload(Pallet::<T>::max_chunks()))]
		pub fn abort_upload(
			origin: OriginFor<T>,
			hash: BlobHash,
			uploader: T::AccountId,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let early = |error: Error<T>| error.with_weight(T::WeightInfo::abort_upload(0));

			let upload = Uploads::<T>::get(hash, &uploader)
				.ok_or_else(|| early(Error::<T>::NotUploading))?;
			if who != uploader {
				ensure!(
					frame_system::Pallet::<T>::block_number() > upload.deadline,
					early(Error::<T>::UploadNotExpired)
				);
			}

			let deposit_released = Self::end_upload(&hash, &uploader, &upload)?;
			Self::deposit_event(Event::UploadAborted {
				hash,
				owner: uploader,
				aborted_by: who,
				deposit_released,
			});
			Ok(Some(T::WeightInfo::abort_upload(upload.chunks)).into())
		}

		/// Register a blob of `size` bytes, hashing to `hash`, whose bytes live at `uri`
		/// (`https://`, `http://` or `ipfs://`).
		///
		/// Nothing is verified on-chain: the off-chain side fetches and checks the bytes. The
		/// deposit `DepositBase + DepositPerByte * uri.len() + UriBond` is held; the bond goes
		/// to the workers of a job that could not get the claimed bytes. `size` must be positive
		/// and at most `MaxRemoteBlobSize`. A remote registration gives way to a later
		/// [`Pallet::store`] or [`Pallet::seal_upload`] of the same hash, and, while nothing
		/// references it, to a later registration (see "Unverified claims yield" in the crate
		/// documentation): register and reference in one `utility.batchAll`.
		///
		/// Emits [`Event::UriRegistered`] (and [`Event::RemoteReplaced`]).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::register_uri())]
		pub fn register_uri(
			origin: OriginFor<T>,
			hash: BlobHash,
			size: u64,
			uri: BoundedVec<u8, T::MaxUriLength>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(size > 0, Error::<T>::EmptyBlob);
			ensure!(size <= T::MaxRemoteBlobSize::get(), Error::<T>::BlobTooLarge);
			ensure!(is_valid_uri(&uri), Error::<T>::InvalidUri);
			Self::make_room_for_claim(&hash)?;

			let deposit = Self::deposit_for(uri.len() as u64).saturating_add(T::UriBond::get());
			Self::hold_deposit(&who, deposit)?;
			Blobs::<T>::insert(
				hash,
				BlobInfo {
					byte_len: size,
					owner: who.clone(),
					deposit,
					status: BlobStatus::Remote { uri: uri.clone() },
					refs: 0,
					created_at: frame_system::Pallet::<T>::block_number(),
				},
			);

			Self::deposit_event(Event::UriRegistered {
				hash,
				owner: who,
				byte_len: size,
				uri,
				deposit,
			});
			Ok(())
		}

		/// Remove the caller's sealed or remote blob `hash`: release its deposit and drop its
		/// bytes from the off-chain index.
		///
		/// Only the owner may remove a blob, and only while no other pallet references it.
		/// Uploads in progress are ended with [`Pallet::abort_upload`].
		///
		/// Emits [`Event::BlobRemoved`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::remove())]
		pub fn remove(origin: OriginFor<T>, hash: BlobHash) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove(&hash, &who)
		}
	}
}
