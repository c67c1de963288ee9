//! Tests of the configuration: integrity, deposits, URIs and origins.

use super::*;

#[test]
fn integrity_test_passes() {
	build_and_execute(<Blobs as Hooks<u64>>::integrity_test);
}

#[test]
fn deposit_and_chunk_limits_follow_the_config() {
	build_and_execute(|| {
		assert_eq!(Blobs::deposit_for(0), DEPOSIT_BASE);
		assert_eq!(Blobs::deposit_for(100), 10 + 2 * 100);
		// 100 bytes in chunks of 16: six full chunks and one of 4 bytes.
		assert_eq!(Blobs::max_chunks(), 7);
	});
}

#[test]
fn uri_validation() {
	for good in [
		"https://example.com/model.onnx",
		"http://10.0.0.1:8080/shard-0",
		"ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
		"https://example.com/a%20b?x=1#frag",
	] {
		assert!(is_valid_uri(good.as_bytes()), "{good} should be valid");
	}
	for bad in [
		"",
		"https://",
		"ipfs://",
		"ftp://example.com/model.onnx",
		"file:///etc/passwd",
		"example.com/model.onnx",
		"HTTPS://example.com/model.onnx",
		"https://exa mple.com",
		"https://example.com/\n",
		"https://example.com/caf\u{e9}",
	] {
		assert!(!is_valid_uri(bad.as_bytes()), "{bad:?} should be invalid");
	}
}

#[test]
fn calls_need_a_signed_origin() {
	build_and_execute(|| {
		let hash = [1u8; 32];
		for origin in [RuntimeOrigin::none(), RuntimeOrigin::root()] {
			assert_noop!(Blobs::store(origin.clone(), inline(b"x")), DispatchError::BadOrigin);
			assert_noop!(Blobs::begin_upload(origin.clone(), hash, 10), DispatchError::BadOrigin);
			assert_noop!(
				Blobs::upload_chunk(origin.clone(), hash, 0, chunk(b"x")),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Blobs::seal_upload(origin.clone(), hash).map_err(|e| e.error),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Blobs::abort_upload(origin.clone(), hash, ALICE).map_err(|e| e.error),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Blobs::register_uri(origin.clone(), hash, 10, uri("ipfs://cid")),
				DispatchError::BadOrigin
			);
			assert_noop!(Blobs::remove(origin, hash), DispatchError::BadOrigin);
		}
	});
}
