//! Results the node keeps for their requesters.
//!
//! A run's outputs of more than [`MAX_VALUES_FROM_HOST`] values never reach the runtime: the
//! workers agree on their digest only, and the chain records nothing else. So that the
//! requester still gets them, the node that ran the job keeps their canonical encoding
//! ([`canonical_bytes`]), whose blake2-256 hash is that very digest, and serves it piece by
//! piece through `mosaic_result`: whoever fetches it checks it against the digest on chain,
//! trusting no node.
//!
//! Kept in the off-chain database in pieces of [`RESULT_PIECE`] bytes, so that serving one
//! piece reads one; listed under [`RESULT_LIST_KEY`], least recently kept first, and bounded
//! by [`ResultLimits`]: keeping one evicts from the front.
//!
//! [`MAX_VALUES_FROM_HOST`]: mosaic_primitives::onnx::MAX_VALUES_FROM_HOST
//! [`canonical_bytes`]: mosaic_primitives::digest::canonical_bytes

use std::sync::Mutex;

use codec::{Decode, Encode};
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};

/// Bytes in each stored piece of a result (and the most `mosaic_result` returns at once).
pub const RESULT_PIECE: usize = 1 << 20;
/// Off-chain database key (under the `PERSISTENT` prefix) of the list of kept results:
/// SCALE `Vec<([u8; 32], u64)>`, each digest and size, least recently kept first.
pub const RESULT_LIST_KEY: &[u8] = b"mosaic/result-list";
const RESULT_KEY_PREFIX: &[u8] = b"mosaic/result/";

/// How much the node keeps.
#[derive(Clone, Copy, Debug)]
pub struct ResultLimits {
	/// Bytes of results in all.
	pub bytes: u64,
	/// Results, whatever their sizes.
	pub results: usize,
}

impl Default for ResultLimits {
	fn default() -> Self {
		// Eight results of a 4096x4096 output, the largest the tests run.
		ResultLimits { bytes: 1 << 30, results: 256 }
	}
}

/// Where the executor keeps results and `mosaic_result` reads them.
pub trait ResultStore: Send + Sync {
	/// Keeps `bytes`, the canonical encoding of outputs whose digest is `digest`.
	fn keep(&self, digest: [u8; 32], bytes: &[u8]);
	/// The result's size and its `length` bytes from `offset` (fewer at its end); `None` if
	/// this node does not keep it.
	fn piece(&self, digest: &[u8; 32], offset: u64, length: u64) -> Option<(u64, Vec<u8>)>;
}

/// Results in the node's off-chain database (see the module documentation).
pub struct OffchainResults<S> {
	db: Mutex<S>,
	limits: ResultLimits,
}

impl<S: OffchainStorage> OffchainResults<S> {
	/// Keeps results in `db`, within `limits`.
	pub fn new(db: S, limits: ResultLimits) -> Self {
		OffchainResults { db: Mutex::new(db), limits }
	}

	fn list(db: &S) -> Vec<([u8; 32], u64)> {
		db.get(STORAGE_PREFIX, RESULT_LIST_KEY)
			.and_then(|bytes| Decode::decode(&mut &bytes[..]).ok())
			.unwrap_or_default()
	}
}

fn piece_key(digest: &[u8; 32], index: u64) -> Vec<u8> {
	let mut key = RESULT_KEY_PREFIX.to_vec();
	key.extend_from_slice(digest);
	key.extend_from_slice(&index.to_be_bytes());
	key
}

fn pieces(size: u64) -> u64 {
	size.div_ceil(RESULT_PIECE as u64)
}

impl<S: OffchainStorage> ResultStore for OffchainResults<S> {
	fn keep(&self, digest: [u8; 32], bytes: &[u8]) {
		let size = bytes.len() as u64;
		if size > self.limits.bytes {
			log::info!(target: "mosaic-onnx", "result 0x{}: {size} bytes, more than this node keeps", super::hex(&digest[..4]));
			return;
		}
		let mut db = super::lock(&self.db);
		let mut list = Self::list(&db);
		if list.iter().any(|(d, _)| *d == digest) {
			return;
		}
		let mut total: u64 = list.iter().map(|(_, n)| n).sum();
		while !list.is_empty()
			&& (total.saturating_add(size) > self.limits.bytes || list.len() >= self.limits.results)
		{
			let (old, n) = list.remove(0);
			total = total.saturating_sub(n);
			(0..pieces(n)).for_each(|i| db.remove(STORAGE_PREFIX, &piece_key(&old, i)));
		}
		for (i, piece) in bytes.chunks(RESULT_PIECE).enumerate() {
			db.set(STORAGE_PREFIX, &piece_key(&digest, i as u64), piece);
		}
		list.push((digest, size));
		db.set(STORAGE_PREFIX, RESULT_LIST_KEY, &list.encode());
	}

	fn piece(&self, digest: &[u8; 32], offset: u64, length: u64) -> Option<(u64, Vec<u8>)> {
		let db = super::lock(&self.db);
		let size = Self::list(&db).into_iter().find(|(d, _)| d == digest)?.1;
		let end = size.min(offset.saturating_add(length));
		let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
		let mut at = offset;
		while at < end {
			let index = at / RESULT_PIECE as u64;
			let stored = db.get(STORAGE_PREFIX, &piece_key(digest, index))?;
			let from = (at - index * RESULT_PIECE as u64) as usize;
			let to = stored.len().min(from + (end - at) as usize);
			if to <= from {
				return None;
			}
			out.extend_from_slice(&stored[from..to]);
			at += (to - from) as u64;
		}
		Some((size, out))
	}
}
