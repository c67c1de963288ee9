//! Off-chain fetching of remote blobs, and of sealed blobs a node lacks.
//!
//! A [`BlobStatus::Remote`] entry names a URI and claims a hash and a size; nothing on-chain
//! checks the claim. A node that needs the bytes (an off-chain worker about to run a job on
//! them) calls [`fetch_remote`], which resolves the URI to a URL and hands it, with the claim,
//! to the node's fetch service through the `mosaic_fetch` host function. The node downloads
//! on its own tasks (the off-chain worker only asks and asks again), from its peers if one
//! holds the blob, else from the URL; it refuses a body longer than the claimed size, checks
//! the size and the blake2-256 hash, and keeps only bytes that match, in its blob files,
//! where the executor and the `mosaic_blob` RPC find them. The node bounds what it keeps
//! (bytes and count, least recently used evicted first); that is the node operator's choice,
//! not the chain's.
//!
//! Nothing iterates over the blob map: blobs are fetched on demand, by the nodes that need
//! them, when they need them.
//!
//! `ipfs://<cid>[/path]` is fetched through an HTTP gateway: [`DEFAULT_IPFS_GATEWAY`], or
//! what the node operator put in the node's persistent off-chain storage under
//! [`IPFS_GATEWAY_KEY`] (for example with the `offchain_localStorageSet` RPC).

use alloc::vec::Vec;
use codec::Encode;
use mosaic_fetch_host::mosaic_fetch;
use mosaic_primitives::blob::FetchRequest;
use sp_runtime::offchain::StorageKind;

use crate::{BlobHash, BlobStatus, Blobs, Config, FetchError};

/// Gateway used for `ipfs://` URIs unless the node sets its own.
pub const DEFAULT_IPFS_GATEWAY: &[u8] = b"https://ipfs.io/ipfs/";
/// Persistent off-chain storage key of a node's own IPFS gateway (raw bytes, e.g.
/// `http://127.0.0.1:8080/ipfs/`).
pub const IPFS_GATEWAY_KEY: &[u8] = b"mosaic/blobs/ipfs-gateway";

/// Asks this node for the bytes of remote blob `hash` (see the module documentation): `Ok`
/// once it has them, [`FetchError::Pending`] while it downloads them. Off-chain context only.
pub fn fetch_remote<T: Config>(hash: &BlobHash) -> Result<(), FetchError> {
	let info = Blobs::<T>::get(hash).ok_or(FetchError::Unknown)?;
	let BlobStatus::Remote { uri } = info.status else { return Err(FetchError::NotRemote) };
	let request = FetchRequest { hash: *hash, url: resolve(&uri), size: info.byte_len };
	mosaic_fetch::fetch(request.encode())
}

/// Asks this node for the bytes of sealed blob `hash` of `size` bytes. A node that imported
/// the block sealing it has them indexed and answers `Ok` at once; one that did not (it
/// warp-synced, or its database lost them) gets them from its peers, with no URL to fall back
/// on. Where no fetch service answers (not a full node's off-chain worker) the bytes are
/// taken to be indexed, as before sealed blobs were fetched. Off-chain context only.
pub fn fetch_sealed(hash: &BlobHash, size: u64) -> Result<(), FetchError> {
	let request = FetchRequest { hash: *hash, url: Vec::new(), size };
	match mosaic_fetch::fetch(request.encode()) {
		Err(FetchError::Unavailable) => Ok(()),
		answer => answer,
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
