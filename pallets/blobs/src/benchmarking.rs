//! Benchmarks of the blobs pallet (benchmarks v2).
//!
//! Each benchmark takes the most expensive path of its call: `store` replaces a remote
//! registration of the same hash, `seal_upload` reads, hashes and indexes `c` full chunks and
//! replaces a remote registration, and `abort_upload` is called by a third party after the
//! deadline.

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::{One, Saturating};

fn assert_last_event<T: Config>(generic_event: Event<T>) {
	let event: <T as Config>::RuntimeEvent = generic_event.into();
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

/// `len` bytes of content; `seed` makes different blobs.
fn blob_bytes(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Gives `who` enough free balance for several of the largest deposits.
fn fund<T: Config>(who: &T::AccountId) {
	let largest =
		Pallet::<T>::deposit_for(T::MaxBlobSize::get().max(T::MaxUriLength::get().into()));
	let amount = T::Currency::minimum_balance().saturating_add(largest.saturating_mul(4u32.into()));
	let _ = T::Currency::set_balance(who, amount);
}

/// A funded account.
fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	fund::<T>(&who);
	who
}

/// The longest valid URI `MaxUriLength` allows.
fn longest_uri<T: Config>() -> Result<BoundedVec<u8, T::MaxUriLength>, BenchmarkError> {
	let mut uri = b"ipfs://".to_vec();
	let len = (T::MaxUriLength::get() as usize).max(uri.len() + 1);
	uri.resize(len, b'a');
	uri.try_into()
		.map_err(|_| BenchmarkError::Stop("MaxUriLength is too short for a URI"))
}

/// Begins an upload of a blob of `size` bytes by `who` and sends its first `chunks` chunks;
/// returns the blob's hash.
fn upload<T: Config>(
	who: &T::AccountId,
	size: u64,
	chunks: u32,
) -> Result<BlobHash, BenchmarkError> {
	let bytes = blob_bytes(size as usize, chunks as u8);
	let hash = sp_io::hashing::blake2_256(&bytes);
	Pallet::<T>::begin_upload(RawOrigin::Signed(who.clone()).into(), hash, size)?;
	let chunk_size = (T::MaxChunkSize::get() as usize).max(1);
	for (index, piece) in bytes.chunks(chunk_size).take(chunks as usize).enumerate() {
		let data = piece
			.to_vec()
			.try_into()
			.map_err(|_| BenchmarkError::Stop("chunk larger than MaxChunkSize"))?;
		Pallet::<T>::upload_chunk(RawOrigin::Signed(who.clone()).into(), hash, index as u32, data)?;
	}
	Ok(hash)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	// Worst case: a remote registration of the same hash is replaced.
	#[benchmark]
	fn store(b: Linear<1, { T::MaxInlineBlobSize::get() }>) -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let size = u64::from(b);
		let bytes = blob_bytes(b as usize, 0);
		let hash = sp_io::hashing::blake2_256(&bytes);
		let registrant = funded::<T>("registrant");
		Pallet::<T>::register_uri(
			RawOrigin::Signed(registrant).into(),
			hash,
			size,
			longest_uri::<T>()?,
		)?;
		let bytes: BoundedVec<u8, T::MaxInlineBlobSize> =
			bytes.try_into().map_err(|_| BenchmarkError::Stop("blob too large"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), bytes);

		assert_last_event::<T>(Event::BlobStored {
			hash,
			owner: caller,
			byte_len: size,
			deposit: Pallet::<T>::deposit_for(size),
		});
		Ok(())
	}

	#[benchmark]
	fn begin_upload() -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let hash = [1u8; 32];
		let size = T::MaxBlobSize::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), hash, size);

		let deadline =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UploadTimeout::get());
		assert_last_event::<T>(Event::UploadBegun {
			hash,
			owner: caller,
			byte_len: size,
			deposit: Pallet::<T>::deposit_for(size),
			deadline,
		});
		Ok(())
	}

	#[benchmark]
	fn upload_chunk(b: Linear<1, { T::MaxChunkSize::get() }>) -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let hash = [2u8; 32];
		let size = u64::from(b);
		Pallet::<T>::begin_upload(RawOrigin::Signed(caller.clone()).into(), hash, size)?;
		let data: BoundedVec<u8, T::MaxChunkSize> = blob_bytes(b as usize, 0)
			.try_into()
			.map_err(|_| BenchmarkError::Stop("chunk too large"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), hash, 0, data);

		assert_last_event::<T>(Event::ChunkUploaded {
			hash,
			uploader: caller,
			index: 0,
			received: size,
		});
		Ok(())
	}

	// `c` full chunks (the last one is short only for the largest blob when `MaxBlobSize` is not
	// a multiple of `MaxChunkSize`), and a remote registration of the same hash is replaced.
	#[benchmark]
	fn seal_upload(c: Linear<1, { Pallet::<T>::max_chunks() }>) -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let size = (u64::from(c) * u64::from(T::MaxChunkSize::get())).min(T::MaxBlobSize::get());
		let hash = upload::<T>(&caller, size, c)?;
		let registrant = funded::<T>("registrant");
		Pallet::<T>::register_uri(
			RawOrigin::Signed(registrant).into(),
			hash,
			size,
			longest_uri::<T>()?,
		)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), hash);

		assert_last_event::<T>(Event::BlobSealed { hash, owner: caller.clone(), byte_len: size });
		assert!(UploadChunks::<T>::iter_prefix((hash, caller)).next().is_none());
		Ok(())
	}

	// Worst case: a third party aborts an expired upload holding `c` chunks.
	#[benchmark]
	fn abort_upload(c: Linear<0, { Pallet::<T>::max_chunks() }>) -> Result<(), BenchmarkError> {
		let uploader = funded::<T>("uploader");
		let size = T::MaxBlobSize::get();
		let hash = upload::<T>(&uploader, size, c)?;
		let deadline = Uploads::<T>::get(hash, &uploader)
			.map(|upload| upload.deadline)
			.ok_or(BenchmarkError::Stop("upload missing"))?;
		frame_system::Pallet::<T>::set_block_number(deadline.saturating_add(One::one()));
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), hash, uploader.clone());

		assert_last_event::<T>(Event::UploadAborted {
			hash,
			owner: uploader,
			aborted_by: caller,
			deposit_released: Pallet::<T>::deposit_for(size),
		});
		Ok(())
	}

	#[benchmark]
	fn register_uri() -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let hash = [3u8; 32];
		let size = T::MaxBlobSize::get();
		let uri = longest_uri::<T>()?;
		let deposit = Pallet::<T>::deposit_for(uri.len() as u64).saturating_add(T::UriBond::get());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), hash, size, uri.clone());

		assert_last_event::<T>(Event::UriRegistered {
			hash,
			owner: caller,
			byte_len: size,
			uri,
			deposit,
		});
		Ok(())
	}

	#[benchmark]
	fn remove() -> Result<(), BenchmarkError> {
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let len = T::MaxInlineBlobSize::get().max(1);
		let bytes = blob_bytes(len as usize, 7);
		let hash = sp_io::hashing::blake2_256(&bytes);
		let bytes: BoundedVec<u8, T::MaxInlineBlobSize> =
			bytes.try_into().map_err(|_| BenchmarkError::Stop("blob too large"))?;
		Pallet::<T>::store(RawOrigin::Signed(caller.clone()).into(), bytes)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), hash);

		assert_last_event::<T>(Event::BlobRemoved {
			hash,
			owner: caller,
			deposit_released: Pallet::<T>::deposit_for(u64::from(len)),
		});
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
