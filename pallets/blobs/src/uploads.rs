//! Chunked uploads: how many chunks one can have, and deleting them.

use frame_support::traits::Get;
use sp_runtime::SaturatedConversion;

use crate::{BlobHash, Config, Pallet, UploadChunks};

impl<T: Config> Pallet<T> {
	/// The most chunks an upload can have: `MaxBlobSize / MaxChunkSize`, rounded up.
	pub fn max_chunks() -> u32 {
		let chunk = u64::from(T::MaxChunkSize::get()).max(1);
		T::MaxBlobSize::get().div_ceil(chunk).saturated_into()
	}

	/// Deletes chunks `0..chunks` of the upload of `hash`.
	pub(crate) fn remove_chunks(hash: &BlobHash, chunks: u32) {
		for index in 0..chunks {
			UploadChunks::<T>::remove(hash, index);
		}
	}
}
