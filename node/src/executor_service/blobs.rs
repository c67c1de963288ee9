//! Where the executor reads blobs (models, inputs, parameters, manifests) from.

use std::{collections::HashMap, sync::Arc};

use mosaic_executor::content_hash;

use crate::blob_store::FileBlobs;

/// Reads blobs by hash, checking that the bytes hash to what was asked for.
pub trait BlobSource: Send + Sync {
	/// The blob's bytes, if this node has them.
	fn blob(&self, hash: &[u8; 32]) -> Option<Vec<u8>>;
}

/// The blobs this node has: the blob files ([`FileBlobs`]: downloaded remote blobs), then
/// what off-chain indexing put into the off-chain database (sealed blobs).
pub struct NodeBlobs<S> {
	/// The node's blob files.
	pub files: Arc<FileBlobs>,
	/// The node's off-chain database.
	pub db: S,
}

impl<S: sp_core::offchain::OffchainStorage> BlobSource for NodeBlobs<S> {
	fn blob(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
		self.files.read(hash).or_else(|| {
			let key = mosaic_primitives::blob::offchain_key(hash);
			let bytes = self.db.get(sp_core::offchain::STORAGE_PREFIX, &key)?;
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
