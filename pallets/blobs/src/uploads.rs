//! Chunked uploads: how many chunks one can have, and ending one.

use frame_support::{pallet_prelude::DispatchError, traits::Get};
use sp_runtime::SaturatedConversion;

use crate::{BalanceOf, BlobHash, Config, Pallet, UploadChunks, UploadOf, Uploads};

impl<T: Config> Pallet<T> {
	/// The most chunks an upload can have: `MaxBlobSize / MaxChunkSize`, rounded up.
	pub fn max_chunks() -> u32 {
		let chunk = u64::from(T::MaxChunkSize::get()).max(1);
		T::MaxBlobSize::get().div_ceil(chunk).saturated_into()
	}

	/// Deletes chunks `0..chunks` of `uploader`'s upload of `hash`.
	pub(crate) fn remove_chunks(hash: &BlobHash, uploader: &T::AccountId, chunks: u32) {
		for index in 0..chunks {
			UploadChunks::<T>::remove((hash, uploader, index));
		}
	}

	/// Ends `uploader`'s upload of `hash` without a blob: deletes its chunks and the upload,
	/// and releases its deposit to the uploader; returns the amount released.
	pub(crate) fn end_upload(
		hash: &BlobHash,
		uploader: &T::AccountId,
		upload: &UploadOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		Self::remove_chunks(hash, uploader, upload.chunks);
		Uploads::<T>::remove(hash, uploader);
		Self::release_deposit(uploader, upload.deposit)
	}
}
