//! The pallet's invariants, checked after every test and by `try-runtime`.

use frame_support::{ensure, traits::fungible::InspectHold};
use sp_runtime::traits::{Saturating, Zero};

use crate::{BalanceOf, BlobStatus, Blobs, Config, HoldReason, Pallet, UploadChunks};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants:
	/// - an upload has `received <= size`, exactly `chunks` chunks (indices `0..chunks`)
	///   holding `received` bytes, and no references;
	/// - sealed and remote blobs have no chunks; remote blobs have no references;
	/// - every chunk belongs to an upload in progress;
	/// - every owner's blob deposits add up to what is held from them for
	///   [`HoldReason::BlobDeposit`].
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;

		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (hash, info) in Blobs::<T>::iter() {
			let total = deposits.entry(info.owner.clone()).or_insert_with(Zero::zero);
			*total = total.saturating_add(info.deposit);

			match info.status {
				BlobStatus::Uploading { received, chunks, .. } => {
					ensure!(received <= info.byte_len, "an upload received more than its size");
					ensure!(info.refs == 0, "an upload is referenced");
					let (mut count, mut bytes) = (0u32, 0u64);
					for (index, chunk) in UploadChunks::<T>::iter_prefix(hash) {
						ensure!(index < chunks, "a chunk lies beyond its upload's count");
						count = count.saturating_add(1);
						bytes = bytes.saturating_add(chunk.len() as u64);
					}
					ensure!(count == chunks, "an upload's chunk count is wrong");
					ensure!(bytes == received, "an upload's received bytes are wrong");
				},
				BlobStatus::Sealed => {
					ensure!(
						UploadChunks::<T>::iter_prefix(hash).next().is_none(),
						"a sealed blob has chunks in state"
					);
				},
				BlobStatus::Remote { .. } => {
					ensure!(info.refs == 0, "a remote blob is referenced");
					ensure!(
						UploadChunks::<T>::iter_prefix(hash).next().is_none(),
						"a remote blob has chunks in state"
					);
				},
			}
		}

		for (hash, _) in UploadChunks::<T>::iter_keys() {
			ensure!(
				Blobs::<T>::get(hash).is_some_and(|info| info.status.upload_progress().is_some()),
				"a chunk belongs to no upload in progress"
			);
		}

		for (owner, total) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::BlobDeposit.into(), &owner) == total,
				"held blob deposits differ from the sum of the owner's entries"
			);
		}
		Ok(())
	}
}
