//! Tests of asking the node for remote blobs off-chain (the downloads themselves are the
//! node's fetch service's, tested in the node).

use super::*;
use crate::{offchain::IPFS_GATEWAY_KEY, FetchError};
use mosaic_fetch_host::{FetchBackend, FetchExt};
use mosaic_primitives::blob::FetchRequest;
use std::sync::{Arc, Mutex};

/// A node whose fetch service answers every request with `answer` and records it.
struct Node {
	asked: Mutex<Vec<FetchRequest>>,
	answer: Result<(), FetchError>,
}

impl FetchBackend for Node {
	fn fetch(&self, request: FetchRequest) -> Result<(), FetchError> {
		self.asked.lock().unwrap().push(request);
		self.answer
	}
}

/// Runs `test` in an off-chain worker whose node answers fetches with `answer`; returns what
/// the node was asked.
fn on_a_node(answer: Result<(), FetchError>, test: impl FnOnce()) -> Vec<FetchRequest> {
	use sp_core::offchain::{testing::TestOffchainExt, OffchainDbExt, OffchainWorkerExt};
	let node = Arc::new(Node { asked: Mutex::new(Vec::new()), answer });
	let mut ext = new_test_ext();
	let (offchain, _) = TestOffchainExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(FetchExt(node.clone()));
	execute_and_check(&mut ext, test);
	let asked = node.asked.lock().unwrap().clone();
	asked
}

#[test]
fn a_remote_blob_is_asked_of_the_node_with_its_claim() {
	let ensure = |hash: &BlobHash| <Blobs as BlobFetch>::ensure_local(hash);
	let (hash, cid) = (blake2_256(&data(50, 9)), blake2_256(&data(20, 14)));
	let asked = on_a_node(Err(FetchError::Pending), || {
		assert_ok!(Blobs::register_uri(signed(ALICE), hash, 50, uri("https://example.org/good")));
		assert_eq!(ensure(&hash), Err(FetchError::Pending));
		// ipfs:// goes through the default gateway, or the node's own.
		assert_ok!(Blobs::register_uri(signed(ALICE), cid, 20, uri("ipfs://bafyexample/file")));
		assert_eq!(ensure(&cid), Err(FetchError::Pending));
		sp_io::offchain::local_storage_set(
			sp_core::offchain::StorageKind::PERSISTENT,
			IPFS_GATEWAY_KEY,
			b"http://127.0.0.1:8080/ipfs/",
		);
		assert_eq!(ensure(&cid), Err(FetchError::Pending));

		// A sealed blob is asked for with no URL (the node has it indexed, or asks its
		// peers); unknown hashes are not asked for.
		let sealed = data(8, 15);
		assert_ok!(Blobs::store(signed(ALICE), inline(&sealed)));
		assert_eq!(ensure(&blake2_256(&sealed)), Err(FetchError::Pending));
		assert_eq!(ensure(&[0x42; 32]), Ok(()));
		assert_eq!(crate::offchain::fetch_remote::<Test>(&[0x42; 32]), Err(FetchError::Unknown));
	});
	let request = |hash, url: &str, size| FetchRequest { hash, url: url.into(), size };
	assert_eq!(
		asked,
		vec![
			request(hash, "https://example.org/good", 50),
			request(cid, "https://ipfs.io/ipfs/bafyexample/file", 20),
			request(cid, "http://127.0.0.1:8080/ipfs/bafyexample/file", 20),
			request(blake2_256(&data(8, 15)), "", 8),
		]
	);
}

#[test]
fn the_nodes_answer_is_the_callers() {
	for answer in [Ok(()), Err(FetchError::HashMismatch), Err(FetchError::Http(404))] {
		on_a_node(answer, || {
			let hash = blake2_256(&data(50, 9));
			assert_ok!(Blobs::register_uri(signed(ALICE), hash, 50, uri("https://example.org")));
			assert_eq!(<Blobs as BlobFetch>::ensure_local(&hash), answer);
		});
	}
}

#[test]
fn without_a_fetch_service_nothing_is_fetched() {
	execute_and_check(&mut new_test_ext(), || {
		let hash = blake2_256(&data(50, 9));
		assert_ok!(Blobs::register_uri(signed(ALICE), hash, 50, uri("https://example.org")));
		assert_eq!(<Blobs as BlobFetch>::ensure_local(&hash), Err(FetchError::Unavailable));
		// A sealed blob is taken to be indexed, as it was before sealed blobs were fetched.
		let sealed = data(8, 15);
		assert_ok!(Blobs::store(signed(ALICE), inline(&sealed)));
		assert_eq!(<Blobs as BlobFetch>::ensure_local(&blake2_256(&sealed)), Ok(()));
	});
}
