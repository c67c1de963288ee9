//! The pallet's invariants, checked after every test and by `try-runtime`.

use frame_support::{ensure, traits::fungible::InspectHold};
use sp_runtime::traits::{Saturating, Zero};

use crate::{BalanceOf, Blobs, Config, HoldReason, Pallet, UploadChunks, Uploads};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants:
	/// - an upload has `received <= size`, exactly `chunks` chunks (indices `0..chunks`)
	///   holding `received` bytes;
	/// - every chunk belongs to an upload in progress;
	/// - every account's blob and upload deposits add up to what is held from it for
	///   [`HoldReason::BlobDeposit`].
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;

		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut add = |who: &T::AccountId, amount: BalanceOf<T>| {
			let total = deposits.entry(who.clone()).or_insert_with(Zero::zero);
			*total = total.saturating_add(amount);
		};
		for (_, info) in Blobs::<T>::iter() {
			add(&info.owner, info.deposit);
		}
		for (hash, uploader, upload) in Uploads::<T>::iter() {
			add(&uploader, upload.deposit);
			ensure!(upload.received <= upload.byte_len, "an upload received more than its size");
			let (mut count, mut bytes) = (0u32, 0u64);
			for (index, chunk) in UploadChunks::<T>::iter_prefix((hash, &uploader)) {
				ensure!(index < upload.chunks, "a chunk lies beyond its upload's count");
				count = count.saturating_add(1);
				bytes = bytes.saturating_add(chunk.len() as u64);
			}
			ensure!(count == upload.chunks, "an upload's chunk count is wrong");
			ensure!(bytes == upload.received, "an upload's received bytes are wrong");
		}
		for (hash, uploader, _) in UploadChunks::<T>::iter_keys() {
			ensure!(
				Uploads::<T>::contains_key(hash, &uploader),
				"a chunk belongs to no upload in progress"
			);
		}

		for (owner, total) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::BlobDeposit.into(), &owner) == total,
				"held blob deposits differ from the sum of the owner's entries and uploads"
			);
		}
		Ok(())
	}
}
