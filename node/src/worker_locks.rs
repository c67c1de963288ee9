//! The node's part in its workers' off-chain worker locks (see the jobs pallet's `RunLock`):
//! each start writes fresh bytes under [`NODE_START_KEY`] before any off-chain worker runs, so
//! a lock a run took before the node last started (the node was killed in the middle of a
//! run) is free, instead of keeping the restarted worker idle until it expires.

use mosaic_primitives::worker::NODE_START_KEY;
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};

/// Marks a new start of the node in its off-chain database; returns the bytes written.
pub fn mark_node_start(db: &mut impl OffchainStorage) -> [u8; 32] {
	let now = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.unwrap_or_default()
		.as_nanos();
	let seed = [now.to_le_bytes().as_slice(), &std::process::id().to_le_bytes()].concat();
	let start = mosaic_executor::content_hash(&seed);
	db.set(STORAGE_PREFIX, NODE_START_KEY, &start);
	start
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::offchain::storage::InMemOffchainStorage;

	#[test]
	fn every_start_writes_new_bytes_where_the_runtime_reads_them() {
		let mut db = InMemOffchainStorage::default();
		let first = mark_node_start(&mut db);
		assert_eq!(db.get(STORAGE_PREFIX, NODE_START_KEY), Some(first.to_vec()));
		let second = mark_node_start(&mut db);
		assert_ne!(first, second);
		assert_eq!(db.get(STORAGE_PREFIX, NODE_START_KEY), Some(second.to_vec()));
	}
}
