//! Adding a sealed blob (storing bytes for an account, and making room for it over an
//! unverified remote claim of the same hash; uploads in progress claim nothing), making room
//! for a remote claim, and removing a blob.

use frame_support::{dispatch::DispatchResult, ensure, pallet_prelude::DispatchError, traits::Get};
use mosaic_primitives::blob::offchain_key;

use crate::{BlobHash, BlobInfo, BlobInfoOf, BlobStatus, Blobs, Config, Error, Event, Pallet};

impl<T: Config> Pallet<T> {
	/// Stores `bytes` as a sealed blob of `who` (see [`Pallet::store`]).
	pub(crate) fn do_store(who: &T::AccountId, bytes: &[u8]) -> Result<BlobHash, DispatchError> {
		ensure!(!bytes.is_empty(), Error::<T>::EmptyBlob);
		let size = bytes.len() as u64;
		ensure!(size <= T::MaxBlobSize::get(), Error::<T>::BlobTooLarge);
		let hash = sp_io::hashing::blake2_256(bytes);

		let refs = Self::make_room(&hash)?;
		let deposit = Self::deposit_for(size);
		Self::hold_deposit(who, deposit)?;
		sp_io::offchain_index::set(&offchain_key(&hash), bytes);
		Blobs::<T>::insert(
			hash,
			BlobInfo {
				byte_len: size,
				owner: who.clone(),
				deposit,
				status: BlobStatus::Sealed,
				refs,
				created_at: frame_system::Pallet::<T>::block_number(),
			},
		);

		Self::deposit_event(Event::BlobStored {
			hash,
			owner: who.clone(),
			byte_len: size,
			deposit,
		});
		Ok(hash)
	}

	/// Removes `who`'s unreferenced sealed or remote blob `hash` (see [`Pallet::remove`]).
	pub(crate) fn do_remove(hash: &BlobHash, who: &T::AccountId) -> DispatchResult {
		let info = Blobs::<T>::get(hash).ok_or(Error::<T>::UnknownBlob)?;
		ensure!(info.owner == *who, Error::<T>::NotOwner);
		ensure!(info.refs == 0, Error::<T>::InUse);

		Blobs::<T>::remove(hash);
		sp_io::offchain_index::clear(&offchain_key(hash));
		let deposit_released = Self::release_deposit(who, info.deposit)?;

		Self::deposit_event(Event::BlobRemoved {
			hash: *hash,
			owner: who.clone(),
			deposit_released,
		});
		Ok(())
	}

	/// Whether `hash` is a sealed blob.
	pub(crate) fn sealed(hash: &BlobHash) -> bool {
		Blobs::<T>::get(hash).is_some_and(|info| matches!(info.status, BlobStatus::Sealed))
	}

	/// Frees `hash` for verified bytes: fine if there is no entry; an unverified remote
	/// registration is dropped (its deposit released, [`Event::RemoteReplaced`]) and its
	/// references are returned, for the sealed entry to keep; any other entry is
	/// [`Error::AlreadyExists`].
	pub(crate) fn make_room(hash: &BlobHash) -> Result<u32, DispatchError> {
		match Blobs::<T>::get(hash) {
			None => Ok(0),
			Some(existing) if matches!(existing.status, BlobStatus::Remote { .. }) => {
				let refs = existing.refs;
				Self::drop_remote(hash, existing)?;
				Ok(refs)
			},
			Some(_) => Err(Error::<T>::AlreadyExists.into()),
		}
	}

	/// Frees `hash` for a new remote registration: fine if there is no entry; a remote
	/// registration nothing references is dropped (see "Unverified claims yield" in the crate
	/// documentation); any other entry is [`Error::AlreadyExists`].
	pub(crate) fn make_room_for_claim(hash: &BlobHash) -> DispatchResult {
		match Blobs::<T>::get(hash) {
			None => Ok(()),
			Some(existing)
				if existing.refs == 0 && matches!(existing.status, BlobStatus::Remote { .. }) =>
			{
				Self::drop_remote(hash, existing)
			},
			Some(_) => Err(Error::<T>::AlreadyExists.into()),
		}
	}

	fn drop_remote(hash: &BlobHash, existing: BlobInfoOf<T>) -> DispatchResult {
		Blobs::<T>::remove(hash);
		let deposit_released = Self::release_deposit(&existing.owner, existing.deposit)?;
		Self::deposit_event(Event::RemoteReplaced {
			hash: *hash,
			previous_owner: existing.owner,
			deposit_released,
		});
		Ok(())
	}
}
