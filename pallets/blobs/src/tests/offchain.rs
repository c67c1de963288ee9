//! Tests of fetching remote blobs off-chain.

use super::*;

/// Runs `test` in an off-chain worker whose HTTP requests are answered by what `test` passes
/// to its argument: a URL and the body a GET of it returns (a request nobody expected fails
/// the test).
fn with_http(test: impl FnOnce(&dyn Fn(&str, Vec<u8>))) {
	use sp_core::offchain::{
		testing::{PendingRequest, TestOffchainExt},
		OffchainDbExt, OffchainWorkerExt,
	};
	let mut ext = new_test_ext();
	let (offchain, state) = TestOffchainExt::new();
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(OffchainDbExt::new(offchain));
	let serve = |url: &str, body: Vec<u8>| {
		state.write().expect_request(PendingRequest {
			method: "GET".into(),
			uri: url.into(),
			response: Some(body),
			sent: true,
			..Default::default()
		})
	};
	execute_and_check(&mut ext, || test(&serve));
}

#[test]
fn remote_blobs_are_fetched_and_checked_off_chain() {
	use crate::{
		offchain::{is_local, IPFS_GATEWAY_KEY},
		FetchError,
	};
	use sp_core::offchain::StorageKind;
	let ensure = |hash: &BlobHash| <Blobs as BlobFetch>::ensure_local(hash);
	with_http(|serve| {
		// The bytes match the claim: kept, under the key indexed blobs use.
		let good = data(50, 9);
		let hash = blake2_256(&good);
		assert_ok!(Blobs::register_uri(signed(ALICE), hash, 50, uri("https://example.org/good")));
		serve("https://example.org/good", good.clone());
		assert_eq!(ensure(&hash), Ok(()));
		assert!(is_local(&hash));
		assert_eq!(
			sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &offchain_key(&hash)),
			Some(good)
		);
		// Local already: no second download (an unexpected request fails the test).
		assert_eq!(ensure(&hash), Ok(()));

		// Tampered bytes, too many bytes, too few: refused, nothing kept.
		let claims = [
			(10u8, "https://example.org/tampered", data(50, 11), FetchError::HashMismatch),
			(12, "https://example.org/long", data(60, 12), FetchError::TooLarge),
			(13, "https://example.org/short", data(40, 13), FetchError::WrongSize),
		];
		for (seed, url, served, error) in claims {
			let claimed = blake2_256(&data(50, seed));
			assert_ok!(Blobs::register_uri(signed(BOB), claimed, 50, uri(url)));
			serve(url, served);
			assert_eq!(ensure(&claimed), Err(error), "{url}");
			assert!(!is_local(&claimed));
		}

		// ipfs:// goes through the default gateway, or the node's own.
		let content = data(20, 14);
		let cid = blake2_256(&content);
		assert_ok!(Blobs::register_uri(signed(ALICE), cid, 20, uri("ipfs://bafyexample/file")));
		serve("https://ipfs.io/ipfs/bafyexample/file", content);
		assert_eq!(ensure(&cid), Ok(()));
		sp_io::offchain::local_storage_set(
			StorageKind::PERSISTENT,
			IPFS_GATEWAY_KEY,
			b"http://127.0.0.1:8080/ipfs/",
		);
		assert_eq!(
			crate::offchain::resolve(b"ipfs://abc"),
			b"http://127.0.0.1:8080/ipfs/abc".to_vec()
		);

		// Sealed blobs and unknown hashes are not fetched.
		let sealed = data(8, 15);
		assert_ok!(Blobs::store(signed(ALICE), inline(&sealed)));
		assert_eq!(ensure(&blake2_256(&sealed)), Ok(()));
		assert_eq!(crate::offchain::fetch_remote::<Test>(&[0x42; 32]), Err(FetchError::Unknown));
	});
}

/// Fetched remote blobs are kept within `MaxFetchedBytes` (120 in the mock): a fetch that
/// would pass it first deletes the least recently used fetched blobs; using a kept blob makes
/// it the most recent. Sealed blobs, indexed by the chain, are never deleted.
#[test]
fn fetched_blobs_are_bounded_by_bytes_and_the_least_recently_used_go_first() {
	use crate::offchain::is_local;
	use sp_core::offchain::StorageKind;
	with_http(|serve| {
		// A sealed blob, its bytes where off-chain indexing puts them.
		let sealed = data(8, 20);
		assert_ok!(Blobs::store(signed(ALICE), inline(&sealed)));
		let key = offchain_key(&blake2_256(&sealed));
		sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, &key, &sealed);
		let fetch = |seed: u8| {
			let bytes = data(50, seed);
			let hash = blake2_256(&bytes);
			let url = format!("https://example.org/{seed}");
			assert_ok!(Blobs::register_uri(signed(ALICE), hash, 50, uri(&url)));
			serve(&url, bytes);
			assert_eq!(<Blobs as BlobFetch>::ensure_local(&hash), Ok(()));
			hash
		};
		let (a, b) = (fetch(1), fetch(2));
		// `a` used again (no download): now `b` is the least recently used.
		assert_eq!(<Blobs as BlobFetch>::ensure_local(&a), Ok(()));
		let c = fetch(3);
		assert!(is_local(&a) && is_local(&c), "the two most recently used stay");
		assert!(!is_local(&b), "150 bytes would pass 120: the least recently used went");
		assert!(is_local(&blake2_256(&sealed)), "sealed blobs are never deleted");
	});
}
