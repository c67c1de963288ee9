//! Off-chain fetching of remote blobs.
//!
//! A [`BlobStatus::Remote`] entry names a URI and claims a hash and a size; nothing on-chain
//! checks the claim. A node that needs the bytes (an off-chain worker about to run a job on
//! them) calls [`fetch_remote`]: it downloads the URI with the off-chain HTTP API, refuses
//! a body larger than the claimed size, checks the size and the blake2-256 hash, and only
//! then keeps the bytes in the node's persistent off-chain storage under
//! [`offchain_key`]`(hash)`, where indexed blobs live too, so the executor and the
//! `mosaic_blob` RPC find them the same way. Bytes that do not match are never stored.
//!
//! Nothing iterates over the blob map: blobs are fetched on demand, by the nodes that need
//! them, when they need them.
//!
//! A node keeps at most [`Config::MaxFetchedBytes`] of fetched blobs, and at most
//! [`MAX_FETCHED_BLOBS`] of them: [`FETCHED_KEY`] lists them, least recently used first; a
//! fetch that would pass either bound deletes from the front, and a fetched blob used again
//! moves to the back. Blobs the chain sealed (indexed, not fetched) are never deleted.
//!
//! `ipfs://<cid>[/path]` is fetched through an HTTP gateway: [`DEFAULT_IPFS_GATEWAY`], or
//! what the node operator put in the node's persistent off-chain storage under
//! [`IPFS_GATEWAY_KEY`] (for example with the `offchain_localStorageSet` RPC).

use alloc::vec::Vec;
use mosaic_primitives::blob::{offchain_key, FETCH_TIMEOUT_MS};
use sp_runtime::offchain::{
	http,
	storage::{MutateStorageError, StorageRetrievalError, StorageValueRef},
	Duration, StorageKind,
};

use crate::{BlobHash, BlobStatus, Blobs, Config, FetchError};

/// Gateway used for `ipfs://` URIs unless the node sets its own.
pub const DEFAULT_IPFS_GATEWAY: &[u8] = b"https://ipfs.io/ipfs/";
/// Persistent off-chain storage key of a node's own IPFS gateway (raw bytes, e.g.
/// `http://127.0.0.1:8080/ipfs/`).
pub const IPFS_GATEWAY_KEY: &[u8] = b"mosaic/blobs/ipfs-gateway";
/// Persistent off-chain storage key of the node's list of fetched remote blobs: SCALE
/// `Vec<(BlobHash, u64)>`, each blob's hash and size, least recently used first.
pub const FETCHED_KEY: &[u8] = b"mosaic/blobs/fetched";
/// Most fetched remote blobs a node keeps, whatever their sizes (bounds [`FETCHED_KEY`]).
pub const MAX_FETCHED_BLOBS: usize = 4096;

/// The status code [`FetchError::Http`] reports when there was no usable answer (the URI is
/// not text, the request failed or timed out).
const NO_ANSWER: u16 = 0;
/// The only status code whose body is taken: 200 OK.
const HTTP_OK: u16 = 200;

/// Whether this node's off-chain storage holds the bytes of `hash` (checked against it).
pub fn is_local(hash: &BlobHash) -> bool {
	sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &offchain_key(hash))
		.is_some_and(|bytes| sp_io::hashing::blake2_256(&bytes) == *hash)
}

/// Makes the bytes of blob `hash` available in this node's off-chain storage, fetching a
/// remote blob if needed (see the module documentation). Off-chain context only.
pub fn fetch_remote<T: Config>(hash: &BlobHash) -> Result<(), FetchError> {
	if is_local(hash) {
		touch(hash);
		return Ok(());
	}
	let info = Blobs::<T>::get(hash).ok_or(FetchError::Unknown)?;
	let BlobStatus::Remote { uri } = info.status else { return Err(FetchError::NotRemote) };
	let url = resolve(&uri);
	let url = core::str::from_utf8(&url).map_err(|_| FetchError::Http(NO_ANSWER))?;
	let bytes = download(url, info.byte_len)?;
	if bytes.len() as u64 != info.byte_len {
		return Err(FetchError::WrongSize);
	}
	if sp_io::hashing::blake2_256(&bytes) != *hash {
		return Err(FetchError::HashMismatch);
	}
	make_room::<T>(hash, bytes.len() as u64);
	sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, &offchain_key(hash), &bytes);
	Ok(())
}

type Fetched = Vec<(BlobHash, u64)>;

/// Applies `change` to the list of fetched blobs; what it returns, once the list is written.
/// Off-chain workers of several workers on one node may race: a lost race is tried again.
fn update_fetched<R>(change: impl Fn(&mut Fetched) -> R) -> Option<R> {
	let list = StorageValueRef::persistent(FETCHED_KEY);
	for _ in 0..3 {
		let mut outcome = None;
		let written = list.mutate(|old: Result<Option<Fetched>, StorageRetrievalError>| {
			let mut fetched = old.ok().flatten().unwrap_or_default();
			outcome = Some(change(&mut fetched));
			Ok::<_, ()>(fetched)
		});
		match written {
			Ok(_) => return outcome,
			Err(MutateStorageError::ConcurrentModification(_)) => continue,
			Err(MutateStorageError::ValueFunctionFailed(())) => return None,
		}
	}
	None
}

/// Marks a fetched blob as just used (nothing for a sealed one, which is not listed).
fn touch(hash: &BlobHash) {
	update_fetched(|fetched| {
		if let Some(at) = fetched.iter().position(|(h, _)| h == hash) {
			let entry = fetched.remove(at);
			fetched.push(entry);
		}
	});
}

/// Lists `hash` (of `len` bytes) as the most recently used fetched blob, deleting the least
/// recently used ones while the list would pass its bounds.
fn make_room<T: Config>(hash: &BlobHash, len: u64) {
	use frame_support::traits::Get;
	let (most_bytes, most_blobs) = (T::MaxFetchedBytes::get(), MAX_FETCHED_BLOBS);
	let evicted = update_fetched(|fetched| {
		fetched.retain(|(h, _)| h != hash);
		let mut total: u64 = fetched.iter().map(|(_, n)| n).sum();
		let mut evicted = Vec::new();
		while !fetched.is_empty()
			&& (total.saturating_add(len) > most_bytes || fetched.len() >= most_blobs)
		{
			let (old, n) = fetched.remove(0);
			total = total.saturating_sub(n);
			evicted.push(old);
		}
		fetched.push((*hash, len));
		evicted
	});
	for old in evicted.unwrap_or_default() {
		// Uploaded and sealed since it was fetched: the chain's bytes now, kept.
		if !matches!(Blobs::<T>::get(old).map(|info| info.status), Some(BlobStatus::Sealed)) {
			sp_io::offchain::local_storage_clear(StorageKind::PERSISTENT, &offchain_key(&old));
		}
	}
}

/// The HTTP(S) URL to download `uri` from.
pub fn resolve(uri: &[u8]) -> Vec<u8> {
	match uri.strip_prefix(b"ipfs://") {
		Some(path) => {
			let mut url =
				sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, IPFS_GATEWAY_KEY)
					.unwrap_or_else(|| DEFAULT_IPFS_GATEWAY.to_vec());
			url.extend_from_slice(path);
			url
		},
		None => uri.to_vec(),
	}
}

fn download(url: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
	let deadline = sp_io::offchain::timestamp().add(Duration::from_millis(FETCH_TIMEOUT_MS));
	let pending = http::Request::get(url)
		.deadline(deadline)
		.send()
		.map_err(|_| FetchError::Http(NO_ANSWER))?;
	let response = pending
		.try_wait(deadline)
		.map_err(|_| FetchError::Http(NO_ANSWER))?
		.map_err(|_| FetchError::Http(NO_ANSWER))?;
	if response.code != HTTP_OK {
		return Err(FetchError::Http(response.code));
	}
	let mut body = response.body();
	body.deadline(deadline);
	let mut bytes = Vec::new();
	for chunk in body.by_ref() {
		if bytes.len() as u64 >= limit {
			return Err(FetchError::TooLarge);
		}
		bytes.push(chunk);
	}
	if body.error().is_some() {
		return Err(FetchError::Http(NO_ANSWER));
	}
	Ok(bytes)
}
