//! Storage migrations of this pallet.
//!
//! Each change of layout adds a `VersionedMigration` from one version to the next here and
//! appends it to [`Unreleased`], which the runtime's `Migrations` runs.

use crate::pallet::{BalanceOf, Config, Pallet, UploadChunks};
use alloc::vec::Vec;
use frame_support::{
	migrations::VersionedMigration,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision, UncheckedOnRuntimeUpgrade},
};

/// The migrations not yet applied on a live chain, in the order they run.
pub type Unreleased<T> = v1::MigrateV0ToV1<T>;

/// Version 1: uploads in progress are their uploaders' own (`Uploads`, chunks by hash,
/// uploader and index) instead of an entry of `Blobs` that claimed the hash for everyone
/// (until version 0: `BlobStatus::Uploading`, chunks by hash and index).
pub mod v1 {
	use super::*;
	use crate::{BlobHash, HoldReason};
	use frame_system::pallet_prelude::BlockNumberFor;

	/// The version-0 layout.
	#[allow(missing_docs)]
	pub mod old {
		use super::*;

		#[derive(Encode, Decode)]
		pub enum BlobStatus<BlockNumber> {
			#[codec(index = 0)]
			Uploading { received: u64, chunks: u32, deadline: BlockNumber },
			/// Sealed and remote blobs keep their encoding; only whether a blob is an upload
			/// matters here.
			#[codec(index = 1)]
			Sealed,
			#[codec(index = 2)]
			Remote { uri: Vec<u8> },
		}

		#[derive(Encode, Decode)]
		pub struct BlobInfo<AccountId, Balance, BlockNumber> {
			pub byte_len: u64,
			pub owner: AccountId,
			pub deposit: Balance,
			pub status: BlobStatus<BlockNumber>,
			pub refs: u32,
			pub created_at: BlockNumber,
		}

		/// Every blob and upload, as version 0 kept them.
		#[frame_support::storage_alias]
		pub type Blobs<T: Config> = StorageMap<
			Pallet<T>,
			Blake2_128Concat,
			BlobHash,
			BlobInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>,
		>;
	}

	/// Ends every upload in progress, releasing its deposit to its uploader and deleting its
	/// chunks: the chunks' keys changed, and an upload lasts at most `UploadTimeout` blocks, so
	/// an uploader loses only the chunks sent (and begins again). Sealed and remote blobs keep
	/// their encoding and stay as they are. Reads every blob once: a chain has few uploads in
	/// progress at any time, but its blobs are many, so this runs on chains of at most some
	/// thousands of blobs within a block (Mosaic's, at this version).
	pub struct EndUploads<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for EndUploads<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			let mut uploads = Vec::new();
			for (hash, info) in old::Blobs::<T>::iter() {
				reads = reads.saturating_add(1);
				if let old::BlobStatus::Uploading { .. } = info.status {
					uploads.push((hash, info.owner, info.deposit));
				}
			}
			for (hash, owner, deposit) in uploads {
				old::Blobs::<T>::remove(hash);
				let _ = T::Currency::release(
					&HoldReason::BlobDeposit.into(),
					&owner,
					deposit,
					Precision::BestEffort,
				);
				writes = writes.saturating_add(2);
			}
			let cleared = UploadChunks::<T>::clear(u32::MAX, None);
			writes = writes.saturating_add(cleared.backend.into());
			T::DbWeight::get().reads_writes(reads, writes)
		}
	}

	/// Runs [`EndUploads`] on a chain at storage version 0 and sets version 1.
	pub type MigrateV0ToV1<T> =
		VersionedMigration<0, 1, EndUploads<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;
}
