//! The blob store as other pallets see it: this pallet's implementations of the traits in
//! [`mosaic_primitives::blob`].

use frame_support::{dispatch::DispatchResult, ensure, pallet_prelude::DispatchError};
use sp_runtime::ArithmeticError;

use crate::{
	offchain, BalanceOf, BlobAdoption, BlobFetch, BlobHash, BlobInspect, BlobReferences,
	BlobStatus, BlobStore, BlobSummary, Blobs, Config, Error, Event, FetchError, HoldReason,
	Pallet, RemoteBlobBond,
};

impl<T: Config> BlobInspect<T::AccountId> for Pallet<T> {
	fn blob(hash: &BlobHash) -> Option<BlobSummary<T::AccountId>> {
		Blobs::<T>::get(hash).map(|info| info.summary())
	}

	fn is_sealed(hash: &BlobHash) -> bool {
		Pallet::<T>::sealed(hash)
	}

	fn size(hash: &BlobHash) -> Option<u64> {
		Blobs::<T>::get(hash).map(|info| info.byte_len)
	}
}

impl<T: Config> BlobReferences for Pallet<T> {
	fn add_ref(hash: &BlobHash) -> DispatchResult {
		Blobs::<T>::try_mutate(hash, |maybe_info| -> DispatchResult {
			let info = maybe_info.as_mut().ok_or(Error::<T>::UnknownBlob)?;
			ensure!(
				matches!(info.status, BlobStatus::Sealed | BlobStatus::Remote { .. }),
				Error::<T>::NotSealed
			);
			info.refs = info.refs.checked_add(1).ok_or(ArithmeticError::Overflow)?;
			Ok(())
		})
	}

	fn remove_ref(hash: &BlobHash) -> DispatchResult {
		Blobs::<T>::try_mutate(hash, |maybe_info| -> DispatchResult {
			let info = maybe_info.as_mut().ok_or(Error::<T>::UnknownBlob)?;
			ensure!(info.refs > 0, Error::<T>::NoRefs);
			info.refs = info.refs.saturating_sub(1);
			Ok(())
		})
	}
}

impl<T: Config> BlobAdoption<T::AccountId> for Pallet<T> {
	fn adopt(hash: &BlobHash, who: &T::AccountId) -> DispatchResult {
		let Some(mut info) = Blobs::<T>::get(hash) else { return Ok(()) };
		let adoptable = matches!(info.status, BlobStatus::Sealed | BlobStatus::Remote { .. });
		if info.owner == *who || info.refs > 0 || !adoptable {
			return Ok(());
		}
		Pallet::<T>::hold_deposit(who, info.deposit)?;
		let released = Pallet::<T>::release_deposit(&info.owner, info.deposit)?;
		let previous_owner = core::mem::replace(&mut info.owner, who.clone());
		let deposit = info.deposit;
		Blobs::<T>::insert(hash, info);
		Pallet::<T>::deposit_event(Event::BlobAdopted {
			hash: *hash,
			previous_owner,
			deposit_released: released,
			owner: who.clone(),
			deposit,
		});
		Ok(())
	}
}

impl<T: Config> BlobFetch for Pallet<T> {
	fn ensure_local(hash: &BlobHash) -> Result<(), FetchError> {
		match Blobs::<T>::get(hash).map(|info| (info.status, info.byte_len)) {
			Some((BlobStatus::Remote { .. }, _)) => offchain::fetch_remote::<T>(hash),
			Some((BlobStatus::Sealed, size)) => offchain::fetch_sealed(hash, size),
			_ => Ok(()),
		}
	}
}

impl<T: Config> BlobStore<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn deposit_for(bytes: u64) -> BalanceOf<T> {
		Pallet::<T>::deposit_for(bytes)
	}

	fn store(owner: &T::AccountId, bytes: alloc::vec::Vec<u8>) -> Result<BlobHash, DispatchError> {
		let hash = sp_io::hashing::blake2_256(&bytes);
		if <Self as BlobInspect<T::AccountId>>::is_sealed(&hash) {
			return Ok(hash);
		}
		Self::do_store(owner, &bytes)
	}

	fn discard(hash: &BlobHash, owner: &T::AccountId) {
		// Not owned by `owner`, referenced or gone: nothing to discard.
		let _ = Pallet::<T>::do_remove(hash, owner);
	}
}

/// Size of the blobs [`Pallet::sealed_blob_for_benchmarks`] stores: a 12-byte prefix and the
/// 4-byte seed.
#[cfg(feature = "runtime-benchmarks")]
pub const BENCHMARK_BLOB_SIZE: usize = 16;

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> Pallet<T> {
	/// For other pallets' benchmarks, which see blobs only through the traits: funds `owner` for
	/// the deposit and stores a sealed blob of at most 16 bytes owned by `owner`, different for
	/// every `seed`; returns its hash.
	pub fn sealed_blob_for_benchmarks(
		owner: &T::AccountId,
		seed: u32,
	) -> Result<BlobHash, DispatchError> {
		use frame_support::traits::fungible::{Inspect, Mutate};
		use sp_runtime::traits::Saturating;

		let mut bytes = alloc::vec::Vec::with_capacity(BENCHMARK_BLOB_SIZE);
		bytes.extend_from_slice(b"mosaic-model");
		bytes.extend_from_slice(&seed.to_le_bytes());
		let hash = sp_io::hashing::blake2_256(&bytes);

		let funds =
			Self::deposit_for(bytes.len() as u64).saturating_add(T::Currency::minimum_balance());
		T::Currency::mint_into(owner, funds)?;
		let bytes = bytes
			.try_into()
			.map_err(|_| DispatchError::Other("MaxInlineBlobSize is below 16 bytes"))?;
		Self::store(frame_system::RawOrigin::Signed(owner.clone()).into(), bytes)?;
		Ok(hash)
	}
}

impl<T: Config> RemoteBlobBond<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn forfeit_bond(hash: &BlobHash, to: &T::AccountId) -> BalanceOf<T> {
		use frame_support::traits::{
			fungible::MutateHold,
			tokens::{Fortitude, Precision, Restriction},
		};
		use sp_runtime::traits::{Saturating, Zero};
		let Some(mut info) = Blobs::<T>::get(hash) else { return Zero::zero() };
		let BlobStatus::Remote { uri } = &info.status else { return Zero::zero() };
		// What stays held: the URI's deposit, released when the owner removes the blob.
		let kept = Pallet::<T>::deposit_for(uri.len() as u64).min(info.deposit);
		let bond = info.deposit.saturating_sub(kept);
		if bond.is_zero() {
			return bond;
		}
		let moved = T::Currency::transfer_on_hold(
			&HoldReason::BlobDeposit.into(),
			&info.owner,
			to,
			bond,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_default();
		// Whatever could not move (the hold reduced behind the pallet's back) is not left held.
		if moved < bond {
			let _ = Pallet::<T>::release_deposit(&info.owner, bond.saturating_sub(moved));
		}
		info.deposit = kept;
		let owner = info.owner.clone();
		Blobs::<T>::insert(hash, info);
		Pallet::<T>::deposit_event(Event::BondForfeited {
			hash: *hash,
			owner,
			to: to.clone(),
			amount: moved,
		});
		moved
	}
}
