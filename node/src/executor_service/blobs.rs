//! Where the executor reads blobs (models, inputs, parameters, manifests) from.

use std::collections::HashMap;

use mosaic_executor::content_hash;

/// Reads blobs by hash, checking that the bytes hash to what was asked for.
pub trait BlobSource: Send + Sync {
	/// The blob's bytes, if this node has them.
	fn blob(&self, hash: &[u8; 32]) -> Option<Vec<u8>>;
}

/// Blobs in the node's off-chain database: put there by off-chain indexing, or by the fetch
/// service (remote blobs).
pub struct OffchainBlobs<S>(pub S);

impl<S: sp_core::offchain::OffchainStorage> BlobSource for OffchainBlobs<S> {
	fn blob(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
		use mosaic_primitives::blob::{fetched_key, offchain_key};
		[offchain_key(hash), fetched_key(hash)].iter().find_map(|key| {
			let bytes = self.0.get(sp_core::offchain::STORAGE_PREFIX, key)?;
			(content_hash(&bytes) == *hash).then_some(bytes)
		})
	}
}

/// Blobs held in memory, keyed by their own hash (for `onnx bench-host` and tests).
pub struct MemoryBlobs(HashMap<[u8; 32], Vec<u8>>);

impl MemoryBlobs {
	/// Holds `blobs`, each under its blake2-256 hash.
	pub fn new(blobs: impl IntoIterator<Item = Vec<u8>>) -> Self {
		MemoryBlobs(blobs.into_iter().map(|bytes| (content_hash(&bytes), bytes)).collect())
	}
}

impl BlobSource for MemoryBlobs {
	fn blob(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
		self.0.get(hash).cloned()
	}
}
