//! Tests of the blobs pallet.

use crate::{
	is_valid_uri, mock::*, weights::WeightInfo, BlobFetch, BlobHash, BlobInfo, BlobInspect,
	BlobKind, BlobReferences, BlobStatus, BlobStore, BlobSummary, Blobs as Entries, Error, Event,
	HoldReason, UploadChunks,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::WithPostDispatchInfo,
	traits::{fungible::InspectHold, ConstU32, Hooks},
	BoundedVec,
};
use mosaic_primitives::blob::offchain_key;
use sp_io::hashing::blake2_256;
use sp_runtime::{DispatchError, TokenError};

// ---- helpers ----

fn inline(bytes: &[u8]) -> BoundedVec<u8, ConstU32<MAX_INLINE>> {
	bytes.to_vec().try_into().unwrap()
}

fn chunk(bytes: &[u8]) -> BoundedVec<u8, ConstU32<CHUNK>> {
	bytes.to_vec().try_into().unwrap()
}

fn uri(text: &str) -> BoundedVec<u8, ConstU32<MAX_URI>> {
	text.as_bytes().to_vec().try_into().unwrap()
}

/// `len` bytes of test content; `seed` makes different blobs.
fn data(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// The deposit the mock runtime holds for `bytes` bytes.
fn deposit(bytes: u64) -> u64 {
	DEPOSIT_BASE + DEPOSIT_PER_BYTE * bytes
}

fn held(who: u64) -> u64 {
	<Balances as InspectHold<u64>>::balance_on_hold(&HoldReason::BlobDeposit.into(), &who)
}

fn free(who: u64) -> u64 {
	Balances::free_balance(who)
}

fn issuance() -> u64 {
	pallet_balances::TotalIssuance::<Test>::get()
}

fn status(hash: BlobHash) -> BlobStatus<u64, BoundedVec<u8, ConstU32<MAX_URI>>> {
	Entries::<Test>::get(hash).expect("blob exists").status
}

fn chunks_in_state(hash: BlobHash) -> usize {
	UploadChunks::<Test>::iter_prefix(hash).count()
}

/// Sends all of `bytes` as chunks of the upload of `hash`, checking each event.
fn send_chunks(who: u64, hash: BlobHash, bytes: &[u8]) {
	for (index, piece) in bytes.chunks(CHUNK as usize).enumerate() {
		let index = index as u32;
		assert_ok!(Blobs::upload_chunk(signed(who), hash, index, chunk(piece)));
		let received = ((index as u64 + 1) * CHUNK as u64).min(bytes.len() as u64);
		System::assert_last_event(Event::ChunkUploaded { hash, index, received }.into());
	}
}

/// Begins an upload of `bytes` by `who` and sends all its chunks; returns the hash.
fn upload_all(who: u64, bytes: &[u8]) -> BlobHash {
	let hash = blake2_256(bytes);
	assert_ok!(Blobs::begin_upload(signed(who), hash, bytes.len() as u64));
	send_chunks(who, hash, bytes);
	hash
}

fn seal(who: u64, hash: BlobHash) -> Result<(), DispatchError> {
	Blobs::seal_upload(signed(who), hash).map(|_| ()).map_err(|e| e.error)
}

fn abort(who: u64, hash: BlobHash) -> Result<(), DispatchError> {
	Blobs::abort_upload(signed(who), hash).map(|_| ()).map_err(|e| e.error)
}

/// What the off-chain database holds for `hash` once the overlay's off-chain changes are
/// persisted.
fn indexed(ext: &mut sp_io::TestExternalities, hash: &BlobHash) -> Option<Vec<u8>> {
	ext.persist_offchain_overlay();
	ext.offchain_db().get(&offchain_key(hash))
}

// ---- configuration ----

#[test]
fn integrity_test_passes() {
	new_test_ext().execute_with(|| <Blobs as Hooks<u64>>::integrity_test());
}

#[test]
fn deposit_and_chunk_limits_follow_the_config() {
	new_test_ext().execute_with(|| {
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
				Blobs::abort_upload(origin.clone(), hash).map_err(|e| e.error),
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

// ---- store ----

#[test]
fn store_holds_the_deposit_and_indexes_the_bytes() {
	let mut ext = new_test_ext();
	let bytes = data(40, 1);
	let hash = ext.execute_with(|| {
		let hash = blake2_256(&bytes);
		let issuance_before = issuance();

		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));

		let expected = deposit(40);
		assert_eq!(expected, 90);
		assert_eq!(free(ALICE), INITIAL_BALANCE - expected);
		assert_eq!(held(ALICE), expected);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(
			Entries::<Test>::get(hash),
			Some(BlobInfo {
				byte_len: 40,
				owner: ALICE,
				deposit: expected,
				status: BlobStatus::Sealed,
				refs: 0,
				created_at: 1,
			})
		);
		System::assert_last_event(
			Event::BlobStored { hash, owner: ALICE, byte_len: 40, deposit: expected }.into(),
		);
		Blobs::do_try_state().unwrap();
		hash
	});
	assert_eq!(indexed(&mut ext, &hash), Some(bytes));
}

#[test]
fn other_pallets_store_blobs_for_an_owner_once() {
	let mut ext = new_test_ext();
	let bytes = data(30, 4);
	let hash = ext.execute_with(|| {
		let store = |who: u64, bytes: Vec<u8>| <Blobs as BlobStore<u64, u64>>::store(&who, bytes);
		assert_eq!(<Blobs as BlobStore<u64, u64>>::deposit_for(30), deposit(30));
		let hash = store(BOB, bytes.clone()).unwrap();
		assert_eq!(hash, blake2_256(&bytes));
		assert_eq!(held(BOB), deposit(30));
		assert!(Blobs::is_sealed(&hash));
		System::assert_last_event(
			Event::BlobStored { hash, owner: BOB, byte_len: 30, deposit: deposit(30) }.into(),
		);
		// The same bytes again: the sealed blob is kept, nobody pays twice.
		assert_eq!(store(CHARLIE, bytes.clone()), Ok(hash));
		assert_eq!((held(BOB), held(CHARLIE)), (deposit(30), 0));
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, BOB);
		// The same errors as the call.
		assert_noop!(store(BOB, Vec::new()), Error::<Test>::EmptyBlob);
		assert_noop!(store(BOB, data(MAX_BLOB as usize + 1, 0)), Error::<Test>::BlobTooLarge);
		Blobs::do_try_state().unwrap();
		hash
	});
	assert_eq!(indexed(&mut ext, &hash), Some(bytes));
}

#[test]
fn store_of_the_largest_inline_blob_works() {
	build_and_execute(|| {
		let bytes = data(MAX_INLINE as usize, 2);
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		assert_eq!(held(ALICE), deposit(MAX_INLINE as u64));
	});
}

#[test]
fn store_rejects_empty_blobs() {
	build_and_execute(|| {
		assert_noop!(Blobs::store(signed(ALICE), inline(&[])), Error::<Test>::EmptyBlob);
	});
}

#[test]
fn store_rejects_duplicates() {
	build_and_execute(|| {
		let bytes = data(20, 3);
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		assert_noop!(Blobs::store(signed(ALICE), inline(&bytes)), Error::<Test>::AlreadyExists);
		assert_noop!(Blobs::store(signed(BOB), inline(&bytes)), Error::<Test>::AlreadyExists);
		assert_eq!(held(BOB), 0);
	});
}

#[test]
fn store_rejects_a_hash_being_uploaded() {
	build_and_execute(|| {
		let bytes = data(20, 4);
		assert_ok!(Blobs::begin_upload(signed(BOB), blake2_256(&bytes), 20));
		assert_noop!(Blobs::store(signed(ALICE), inline(&bytes)), Error::<Test>::AlreadyExists);
	});
}

#[test]
fn store_needs_funds_for_the_deposit_and_indexes_nothing_on_failure() {
	let mut ext = new_test_ext();
	let bytes = data(10, 5);
	let hash = ext.execute_with(|| {
		// 10 + 2 * 10 = 30 > 20 - existential deposit.
		assert_noop!(Blobs::store(signed(POOR), inline(&bytes)), TokenError::FundsUnavailable);
		assert_eq!(free(POOR), POOR_BALANCE);
		assert_eq!(held(POOR), 0);
		blake2_256(&bytes)
	});
	assert_eq!(indexed(&mut ext, &hash), None);
}

#[test]
fn store_replaces_a_remote_registration() {
	build_and_execute(|| {
		let bytes = data(30, 6);
		let hash = blake2_256(&bytes);
		let link = uri("ipfs://bafy");
		assert_ok!(Blobs::register_uri(signed(BOB), hash, 30, link));
		assert_eq!(held(BOB), deposit(11));

		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));

		assert_eq!(held(BOB), 0);
		assert_eq!(free(BOB), INITIAL_BALANCE);
		assert_eq!(held(ALICE), deposit(30));
		assert_eq!(free(ALICE), INITIAL_BALANCE - deposit(30));
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, ALICE);
		assert_eq!(status(hash), BlobStatus::Sealed);
		System::assert_has_event(
			Event::RemoteReplaced { hash, previous_owner: BOB, deposit_released: deposit(11) }
				.into(),
		);
		System::assert_last_event(
			Event::BlobStored { hash, owner: ALICE, byte_len: 30, deposit: deposit(30) }.into(),
		);
	});
}

// ---- chunked uploads ----

#[test]
fn begin_upload_holds_the_full_deposit() {
	build_and_execute(|| {
		let hash = [7u8; 32];
		let issuance_before = issuance();

		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, MAX_BLOB));

		let expected = deposit(MAX_BLOB);
		assert_eq!(expected, 210);
		assert_eq!(held(ALICE), expected);
		assert_eq!(free(ALICE), INITIAL_BALANCE - expected);
		assert_eq!(issuance(), issuance_before);
		let deadline = 1 + TIMEOUT;
		assert_eq!(
			Entries::<Test>::get(hash),
			Some(BlobInfo {
				byte_len: MAX_BLOB,
				owner: ALICE,
				deposit: expected,
				status: BlobStatus::Uploading { received: 0, chunks: 0, deadline },
				refs: 0,
				created_at: 1,
			})
		);
		System::assert_last_event(
			Event::UploadBegun {
				hash,
				owner: ALICE,
				byte_len: MAX_BLOB,
				deposit: expected,
				deadline,
			}
			.into(),
		);
	});
}

#[test]
fn begin_upload_errors() {
	build_and_execute(|| {
		let hash = [8u8; 32];
		assert_noop!(Blobs::begin_upload(signed(ALICE), hash, 0), Error::<Test>::EmptyBlob);
		assert_noop!(
			Blobs::begin_upload(signed(ALICE), hash, MAX_BLOB + 1),
			Error::<Test>::BlobTooLarge
		);
		assert_noop!(Blobs::begin_upload(signed(POOR), hash, 10), TokenError::FundsUnavailable);

		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 10));
		assert_noop!(Blobs::begin_upload(signed(BOB), hash, 10), Error::<Test>::AlreadyExists);
		assert_noop!(Blobs::begin_upload(signed(ALICE), hash, 10), Error::<Test>::AlreadyExists);

		let bytes = data(12, 9);
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		assert_noop!(
			Blobs::begin_upload(signed(BOB), blake2_256(&bytes), 12),
			Error::<Test>::AlreadyExists
		);
	});
}

#[test]
fn begin_upload_replaces_a_remote_registration() {
	build_and_execute(|| {
		let hash = [9u8; 32];
		assert_ok!(Blobs::register_uri(signed(BOB), hash, 50, uri("https://a.example/b")));
		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 50));
		assert_eq!(held(BOB), 0);
		assert_eq!(free(BOB), INITIAL_BALANCE);
		assert_eq!(held(ALICE), deposit(50));
		System::assert_has_event(
			Event::RemoteReplaced { hash, previous_owner: BOB, deposit_released: deposit(19) }
				.into(),
		);
		assert!(matches!(status(hash), BlobStatus::Uploading { received: 0, chunks: 0, .. }));
	});
}

#[test]
fn chunked_upload_seals_and_indexes_the_whole_blob() {
	let mut ext = new_test_ext();
	let bytes = data(MAX_BLOB as usize, 10);

	let hash = ext.execute_with(|| {
		let hash = upload_all(ALICE, &bytes);
		assert_eq!(
			status(hash),
			BlobStatus::Uploading { received: MAX_BLOB, chunks: 7, deadline: 1 + TIMEOUT }
		);
		assert_eq!(chunks_in_state(hash), 7);
		Blobs::do_try_state().unwrap();
		hash
	});
	// Chunks are kept in state, not indexed.
	assert_eq!(indexed(&mut ext, &hash), None);

	ext.execute_with(|| {
		let issuance_before = issuance();
		let post = Blobs::seal_upload(signed(ALICE), hash).unwrap();
		// Refunded down to the upload's seven chunks.
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::seal_upload(7)));

		assert_eq!(status(hash), BlobStatus::Sealed);
		assert_eq!(chunks_in_state(hash), 0);
		assert_eq!(held(ALICE), deposit(MAX_BLOB));
		assert_eq!(free(ALICE), INITIAL_BALANCE - deposit(MAX_BLOB));
		assert_eq!(issuance(), issuance_before);
		System::assert_last_event(
			Event::BlobSealed { hash, owner: ALICE, byte_len: MAX_BLOB }.into(),
		);
		Blobs::do_try_state().unwrap();
	});
	assert_eq!(indexed(&mut ext, &hash), Some(bytes));
}

#[test]
fn a_blob_smaller_than_a_chunk_can_be_uploaded() {
	let mut ext = new_test_ext();
	let bytes = data(5, 11);
	let hash = ext.execute_with(|| {
		let hash = upload_all(BOB, &bytes);
		assert_ok!(seal(BOB, hash));
		assert_eq!(status(hash), BlobStatus::Sealed);
		hash
	});
	assert_eq!(indexed(&mut ext, &hash), Some(bytes));
}

#[test]
fn upload_chunk_errors() {
	build_and_execute(|| {
		let bytes = data(40, 12);
		let hash = blake2_256(&bytes);
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&bytes[..16])),
			Error::<Test>::UnknownBlob
		);

		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 40));
		assert_noop!(
			Blobs::upload_chunk(signed(BOB), hash, 0, chunk(&bytes[..16])),
			Error::<Test>::NotOwner
		);
		// Out of order.
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 1, chunk(&bytes[16..32])),
			Error::<Test>::UnexpectedChunk
		);
		// A chunk that is not the last must be full.
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&bytes[..8])),
			Error::<Test>::ChunkTooSmall
		);
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&[])),
			Error::<Test>::ChunkTooSmall
		);

		assert_ok!(Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&bytes[..16])));
		// The same index again.
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&bytes[..16])),
			Error::<Test>::UnexpectedChunk
		);
		assert_ok!(Blobs::upload_chunk(signed(ALICE), hash, 1, chunk(&bytes[16..32])));

		// Eight bytes are missing: nine are too many, seven too few.
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 2, chunk(&data(9, 0))),
			Error::<Test>::TooMuchData
		);
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 2, chunk(&data(16, 0))),
			Error::<Test>::TooMuchData
		);
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 2, chunk(&bytes[32..39])),
			Error::<Test>::ChunkTooSmall
		);
		assert_ok!(Blobs::upload_chunk(signed(ALICE), hash, 2, chunk(&bytes[32..])));

		// Complete: nothing more is accepted.
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 3, chunk(&data(1, 0))),
			Error::<Test>::TooMuchData
		);
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 3, chunk(&[])),
			Error::<Test>::TooMuchData
		);

		// Sealed and remote blobs take no chunks.
		assert_ok!(seal(ALICE, hash));
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 3, chunk(&data(1, 0))),
			Error::<Test>::NotUploading
		);
		let remote = [13u8; 32];
		assert_ok!(Blobs::register_uri(signed(ALICE), remote, 10, uri("ipfs://cid")));
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), remote, 0, chunk(&data(10, 0))),
			Error::<Test>::NotUploading
		);
	});
}

#[test]
fn an_expired_upload_takes_no_chunks_and_cannot_be_sealed() {
	build_and_execute(|| {
		let bytes = data(20, 14);
		let hash = blake2_256(&bytes);
		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 20));
		let deadline = 1 + TIMEOUT;

		// The deadline block itself is still in time.
		System::set_block_number(deadline);
		assert_ok!(Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&bytes[..16])));

		System::set_block_number(deadline + 1);
		assert_noop!(
			Blobs::upload_chunk(signed(ALICE), hash, 1, chunk(&bytes[16..])),
			Error::<Test>::UploadExpired
		);
		assert_noop!(seal(ALICE, hash), Error::<Test>::UploadExpired);

		// Its owner may still abort it.
		assert_ok!(abort(ALICE, hash));
		assert_eq!(held(ALICE), 0);
		assert_eq!(free(ALICE), INITIAL_BALANCE);
	});
}

#[test]
fn an_upload_complete_in_time_can_be_sealed_at_the_deadline() {
	build_and_execute(|| {
		let bytes = data(20, 15);
		let hash = upload_all(ALICE, &bytes);
		System::set_block_number(1 + TIMEOUT);
		assert_ok!(seal(ALICE, hash));
		assert_eq!(status(hash), BlobStatus::Sealed);
	});
}

#[test]
fn seal_upload_errors() {
	build_and_execute(|| {
		let bytes = data(40, 16);
		let hash = blake2_256(&bytes);
		assert_noop!(seal(ALICE, hash), Error::<Test>::UnknownBlob);

		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 40));
		assert_noop!(seal(BOB, hash), Error::<Test>::NotOwner);
		assert_noop!(seal(ALICE, hash), Error::<Test>::IncompleteUpload);
		assert_ok!(Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&bytes[..16])));
		assert_noop!(seal(ALICE, hash), Error::<Test>::IncompleteUpload);
		// Errors found before reading chunks are charged the base weight only.
		assert_eq!(
			Blobs::seal_upload(signed(ALICE), hash),
			Err(Error::<Test>::IncompleteUpload.with_weight(<() as WeightInfo>::seal_upload(0)))
		);

		let small = data(8, 17);
		assert_ok!(Blobs::store(signed(ALICE), inline(&small)));
		assert_noop!(seal(ALICE, blake2_256(&small)), Error::<Test>::NotUploading);
		let remote = [18u8; 32];
		assert_ok!(Blobs::register_uri(signed(ALICE), remote, 10, uri("ipfs://cid")));
		assert_noop!(seal(ALICE, remote), Error::<Test>::NotUploading);
	});
}

#[test]
fn hash_mismatch_keeps_the_upload_open_and_abort_releases_the_deposit() {
	let mut ext = new_test_ext();
	let declared = [19u8; 32];
	ext.execute_with(|| {
		let bytes = data(20, 20);
		let issuance_before = issuance();
		assert_ok!(Blobs::begin_upload(signed(ALICE), declared, 20));
		send_chunks(ALICE, declared, &bytes);

		assert_eq!(
			Blobs::seal_upload(signed(ALICE), declared),
			Err(Error::<Test>::HashMismatch.with_weight(<() as WeightInfo>::seal_upload(2)))
		);
		// Nothing changed: the upload is still open, with its chunks and deposit.
		assert_eq!(
			status(declared),
			BlobStatus::Uploading { received: 20, chunks: 2, deadline: 1 + TIMEOUT }
		);
		assert_eq!(chunks_in_state(declared), 2);
		assert_eq!(held(ALICE), deposit(20));
		Blobs::do_try_state().unwrap();

		assert_ok!(abort(ALICE, declared));
		assert_eq!(held(ALICE), 0);
		assert_eq!(free(ALICE), INITIAL_BALANCE);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(Entries::<Test>::get(declared), None);
		assert_eq!(chunks_in_state(declared), 0);
		System::assert_last_event(
			Event::UploadAborted {
				hash: declared,
				owner: ALICE,
				aborted_by: ALICE,
				deposit_released: deposit(20),
			}
			.into(),
		);
		Blobs::do_try_state().unwrap();
	});
	assert_eq!(indexed(&mut ext, &declared), None);
}

#[test]
fn seal_upload_reports_a_missing_chunk() {
	// The state is deliberately corrupted, so the invariants are not checked afterwards.
	new_test_ext().execute_with(|| {
		let bytes = data(40, 21);
		let hash = upload_all(ALICE, &bytes);
		UploadChunks::<Test>::remove(hash, 1);
		assert_eq!(
			Blobs::seal_upload(signed(ALICE), hash),
			Err(Error::<Test>::MissingChunk.with_weight(<() as WeightInfo>::seal_upload(3)))
		);
	});
}

#[test]
fn the_uploader_can_abort_at_any_time() {
	build_and_execute(|| {
		let bytes = data(50, 22);
		let hash = blake2_256(&bytes);
		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 50));
		assert_ok!(Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&bytes[..16])));
		assert_ok!(Blobs::upload_chunk(signed(ALICE), hash, 1, chunk(&bytes[16..32])));
		let issuance_before = issuance();

		let post = Blobs::abort_upload(signed(ALICE), hash).unwrap();
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::abort_upload(2)));

		assert_eq!(Entries::<Test>::get(hash), None);
		assert_eq!(chunks_in_state(hash), 0);
		assert_eq!(held(ALICE), 0);
		assert_eq!(free(ALICE), INITIAL_BALANCE);
		assert_eq!(issuance(), issuance_before);
		System::assert_last_event(
			Event::UploadAborted {
				hash,
				owner: ALICE,
				aborted_by: ALICE,
				deposit_released: deposit(50),
			}
			.into(),
		);

		// The hash is free again.
		assert_ok!(Blobs::begin_upload(signed(BOB), hash, 50));
	});
}

#[test]
fn anyone_can_abort_an_expired_upload_and_the_deposit_goes_to_the_uploader() {
	build_and_execute(|| {
		let bytes = data(50, 23);
		let hash = blake2_256(&bytes);
		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 50));
		assert_ok!(Blobs::upload_chunk(signed(ALICE), hash, 0, chunk(&bytes[..16])));
		let deadline = 1 + TIMEOUT;

		System::set_block_number(deadline);
		assert_noop!(abort(BOB, hash), Error::<Test>::UploadNotExpired);

		System::set_block_number(deadline + 1);
		let issuance_before = issuance();
		assert_ok!(abort(BOB, hash));

		assert_eq!(free(ALICE), INITIAL_BALANCE);
		assert_eq!(held(ALICE), 0);
		assert_eq!(free(BOB), INITIAL_BALANCE);
		assert_eq!(held(BOB), 0);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(Entries::<Test>::get(hash), None);
		assert_eq!(chunks_in_state(hash), 0);
		System::assert_last_event(
			Event::UploadAborted {
				hash,
				owner: ALICE,
				aborted_by: BOB,
				deposit_released: deposit(50),
			}
			.into(),
		);
	});
}

#[test]
fn abort_upload_errors() {
	build_and_execute(|| {
		let unknown = [24u8; 32];
		assert_noop!(abort(ALICE, unknown), Error::<Test>::UnknownBlob);

		let small = data(8, 25);
		assert_ok!(Blobs::store(signed(ALICE), inline(&small)));
		assert_noop!(abort(ALICE, blake2_256(&small)), Error::<Test>::NotUploading);

		let remote = [26u8; 32];
		assert_ok!(Blobs::register_uri(signed(ALICE), remote, 10, uri("ipfs://cid")));
		assert_noop!(abort(ALICE, remote), Error::<Test>::NotUploading);

		let uploading = [27u8; 32];
		assert_ok!(Blobs::begin_upload(signed(ALICE), uploading, 10));
		assert_noop!(abort(BOB, uploading), Error::<Test>::UploadNotExpired);
		// Early errors are charged the base weight only.
		assert_eq!(
			Blobs::abort_upload(signed(BOB), uploading),
			Err(Error::<Test>::UploadNotExpired.with_weight(<() as WeightInfo>::abort_upload(0)))
		);
	});
}

// ---- remote blobs ----

#[test]
fn register_uri_holds_a_deposit_for_the_uri_only() {
	let mut ext = new_test_ext();
	let hash = [28u8; 32];
	ext.execute_with(|| {
		let link = uri("https://models.example.com/mnist-8.onnx");
		let expected = deposit(link.len() as u64);
		let issuance_before = issuance();

		assert_ok!(Blobs::register_uri(signed(ALICE), hash, MAX_BLOB, link.clone()));

		assert_eq!(held(ALICE), expected);
		assert_eq!(free(ALICE), INITIAL_BALANCE - expected);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(
			Entries::<Test>::get(hash),
			Some(BlobInfo {
				byte_len: MAX_BLOB,
				owner: ALICE,
				deposit: expected,
				status: BlobStatus::Remote { uri: link.clone() },
				refs: 0,
				created_at: 1,
			})
		);
		System::assert_last_event(
			Event::UriRegistered {
				hash,
				owner: ALICE,
				byte_len: MAX_BLOB,
				uri: link,
				deposit: expected,
			}
			.into(),
		);

		assert_ok!(Blobs::register_uri(signed(BOB), [29u8; 32], 1, uri("http://10.0.0.1/x")));
		assert_ok!(Blobs::register_uri(signed(BOB), [30u8; 32], 1, uri("ipfs://bafy")));
	});
	// Nothing is indexed for a remote blob.
	assert_eq!(indexed(&mut ext, &hash), None);
}

#[test]
fn register_uri_errors() {
	build_and_execute(|| {
		let hash = [31u8; 32];
		for bad in ["ftp://example.com/x", "https://", "HTTPS://example.com", "https://a b", ""] {
			assert_noop!(
				Blobs::register_uri(signed(ALICE), hash, 10, uri(bad)),
				Error::<Test>::InvalidUri
			);
		}
		assert_noop!(
			Blobs::register_uri(signed(ALICE), hash, 0, uri("ipfs://cid")),
			Error::<Test>::EmptyBlob
		);
		assert_noop!(
			Blobs::register_uri(signed(ALICE), hash, MAX_BLOB + 1, uri("ipfs://cid")),
			Error::<Test>::BlobTooLarge
		);
		// 10 + 2 * 10 = 30 > 20 - existential deposit.
		assert_noop!(
			Blobs::register_uri(signed(POOR), hash, 10, uri("ipfs://cid")),
			TokenError::FundsUnavailable
		);

		// Any existing entry blocks a registration: remote, uploading or sealed.
		assert_ok!(Blobs::register_uri(signed(ALICE), hash, 10, uri("ipfs://cid")));
		assert_noop!(
			Blobs::register_uri(signed(BOB), hash, 10, uri("ipfs://other")),
			Error::<Test>::AlreadyExists
		);
		let uploading = [32u8; 32];
		assert_ok!(Blobs::begin_upload(signed(ALICE), uploading, 10));
		assert_noop!(
			Blobs::register_uri(signed(BOB), uploading, 10, uri("ipfs://cid")),
			Error::<Test>::AlreadyExists
		);
		let small = data(8, 33);
		assert_ok!(Blobs::store(signed(ALICE), inline(&small)));
		assert_noop!(
			Blobs::register_uri(signed(BOB), blake2_256(&small), 8, uri("ipfs://cid")),
			Error::<Test>::AlreadyExists
		);
	});
}

// ---- remove ----

#[test]
fn remove_releases_the_deposit_exactly_and_clears_the_index() {
	let mut ext = new_test_ext();
	let bytes = data(24, 34);
	let hash = ext.execute_with(|| {
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		blake2_256(&bytes)
	});
	assert_eq!(indexed(&mut ext, &hash), Some(bytes));

	ext.execute_with(|| {
		let issuance_before = issuance();
		assert_eq!(held(ALICE), deposit(24));

		assert_ok!(Blobs::remove(signed(ALICE), hash));

		assert_eq!(held(ALICE), 0);
		assert_eq!(free(ALICE), INITIAL_BALANCE);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(Entries::<Test>::get(hash), None);
		System::assert_last_event(
			Event::BlobRemoved { hash, owner: ALICE, deposit_released: deposit(24) }.into(),
		);
		Blobs::do_try_state().unwrap();
	});
	assert_eq!(indexed(&mut ext, &hash), None);
}

#[test]
fn remove_of_a_remote_blob_releases_its_deposit() {
	build_and_execute(|| {
		let hash = [35u8; 32];
		let link = uri("ipfs://bafybeig");
		assert_ok!(Blobs::register_uri(signed(BOB), hash, 10, link.clone()));
		assert_ok!(Blobs::remove(signed(BOB), hash));
		assert_eq!(held(BOB), 0);
		assert_eq!(free(BOB), INITIAL_BALANCE);
		System::assert_last_event(
			Event::BlobRemoved { hash, owner: BOB, deposit_released: deposit(link.len() as u64) }
				.into(),
		);
	});
}

#[test]
fn remove_errors() {
	build_and_execute(|| {
		let bytes = data(16, 36);
		let hash = blake2_256(&bytes);
		assert_noop!(Blobs::remove(signed(ALICE), hash), Error::<Test>::UnknownBlob);

		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		assert_noop!(Blobs::remove(signed(BOB), hash), Error::<Test>::NotOwner);

		// Referenced blobs stay until the last reference is dropped.
		assert_ok!(<Blobs as BlobReferences>::add_ref(&hash));
		assert_noop!(Blobs::remove(signed(ALICE), hash), Error::<Test>::InUse);
		assert_ok!(<Blobs as BlobReferences>::remove_ref(&hash));
		assert_ok!(Blobs::remove(signed(ALICE), hash));

		let uploading = [37u8; 32];
		assert_ok!(Blobs::begin_upload(signed(ALICE), uploading, 10));
		assert_noop!(Blobs::remove(signed(ALICE), uploading), Error::<Test>::UploadInProgress);
	});
}

#[test]
fn deposits_of_several_blobs_add_up() {
	build_and_execute(|| {
		let first = data(10, 38);
		let second = data(20, 39);
		assert_ok!(Blobs::store(signed(ALICE), inline(&first)));
		assert_ok!(Blobs::store(signed(ALICE), inline(&second)));
		assert_ok!(Blobs::begin_upload(signed(ALICE), [40u8; 32], 30));
		assert_ok!(Blobs::register_uri(signed(ALICE), [41u8; 32], 5, uri("ipfs://cid")));
		let total = deposit(10) + deposit(20) + deposit(30) + deposit(10);
		assert_eq!(held(ALICE), total);
		assert_eq!(free(ALICE), INITIAL_BALANCE - total);

		assert_ok!(Blobs::remove(signed(ALICE), blake2_256(&first)));
		assert_eq!(held(ALICE), total - deposit(10));
		assert_ok!(abort(ALICE, [40u8; 32]));
		assert_eq!(held(ALICE), deposit(20) + deposit(10));
	});
}

// ---- BlobInspect ----

#[test]
fn blob_inspect_reports_blobs_and_counts_references() {
	build_and_execute(|| {
		let bytes = data(12, 42);
		let sealed = blake2_256(&bytes);
		let uploading = [43u8; 32];
		let remote = [44u8; 32];
		let unknown = [45u8; 32];
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		assert_ok!(Blobs::begin_upload(signed(BOB), uploading, 50));
		assert_ok!(Blobs::register_uri(signed(CHARLIE), remote, 60, uri("ipfs://cid")));

		type Inspect = Blobs;
		assert_eq!(
			<Inspect as BlobInspect<u64>>::blob(&sealed),
			Some(BlobSummary { owner: ALICE, byte_len: 12, kind: BlobKind::Sealed, refs: 0 })
		);
		assert_eq!(
			<Inspect as BlobInspect<u64>>::blob(&uploading),
			Some(BlobSummary { owner: BOB, byte_len: 50, kind: BlobKind::Uploading, refs: 0 })
		);
		assert_eq!(
			<Inspect as BlobInspect<u64>>::blob(&remote),
			Some(BlobSummary { owner: CHARLIE, byte_len: 60, kind: BlobKind::Remote, refs: 0 })
		);
		assert_eq!(<Inspect as BlobInspect<u64>>::blob(&unknown), None);

		assert!(<Inspect as BlobInspect<u64>>::is_sealed(&sealed));
		assert!(!<Inspect as BlobInspect<u64>>::is_sealed(&uploading));
		assert!(!<Inspect as BlobInspect<u64>>::is_sealed(&remote));
		assert!(!<Inspect as BlobInspect<u64>>::is_sealed(&unknown));

		assert_eq!(<Inspect as BlobInspect<u64>>::size(&sealed), Some(12));
		assert_eq!(<Inspect as BlobInspect<u64>>::size(&uploading), Some(50));
		assert_eq!(<Inspect as BlobInspect<u64>>::size(&remote), Some(60));
		assert_eq!(<Inspect as BlobInspect<u64>>::size(&unknown), None);

		// Only sealed blobs can be referenced.
		assert_noop!(<Inspect as BlobReferences>::add_ref(&unknown), Error::<Test>::UnknownBlob);
		assert_noop!(<Inspect as BlobReferences>::add_ref(&uploading), Error::<Test>::NotSealed);
		assert_noop!(<Inspect as BlobReferences>::add_ref(&remote), Error::<Test>::NotSealed);

		assert_ok!(<Inspect as BlobReferences>::add_ref(&sealed));
		assert_ok!(<Inspect as BlobReferences>::add_ref(&sealed));
		assert_eq!(Entries::<Test>::get(sealed).unwrap().refs, 2);
		assert_eq!(<Inspect as BlobInspect<u64>>::blob(&sealed).unwrap().refs, 2);

		assert_ok!(<Inspect as BlobReferences>::remove_ref(&sealed));
		assert_ok!(<Inspect as BlobReferences>::remove_ref(&sealed));
		assert_eq!(Entries::<Test>::get(sealed).unwrap().refs, 0);
		// Saturates at zero, with an error.
		assert_noop!(<Inspect as BlobReferences>::remove_ref(&sealed), Error::<Test>::NoRefs);
		assert_eq!(Entries::<Test>::get(sealed).unwrap().refs, 0);
		assert_noop!(<Inspect as BlobReferences>::remove_ref(&unknown), Error::<Test>::UnknownBlob);
	});
}

#[test]
fn a_sealed_blob_is_never_replaced() {
	build_and_execute(|| {
		// Only unverified remote registrations give way; a sealed blob keeps its owner and
		// references.
		let bytes = data(12, 46);
		let hash = blake2_256(&bytes);
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		assert_ok!(<Blobs as BlobReferences>::add_ref(&hash));
		assert_noop!(Blobs::store(signed(BOB), inline(&bytes)), Error::<Test>::AlreadyExists);
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, ALICE);
		assert_eq!(Entries::<Test>::get(hash).unwrap().refs, 1);
	});
}

#[test]
fn unit_blob_inspect_has_no_blobs() {
	let hash = [47u8; 32];
	assert_eq!(<() as BlobInspect<u64>>::blob(&hash), None);
	assert!(!<() as BlobInspect<u64>>::is_sealed(&hash));
	assert_eq!(<() as BlobInspect<u64>>::size(&hash), None);
	assert_eq!(<() as BlobReferences>::add_ref(&hash), Err(DispatchError::CannotLookup));
	assert_eq!(<() as BlobReferences>::remove_ref(&hash), Err(DispatchError::CannotLookup));
}

// ---- off-chain fetching of remote blobs ----

#[test]
fn remote_blobs_are_fetched_and_checked_off_chain() {
	use crate::{
		offchain::{is_local, IPFS_GATEWAY_KEY},
		FetchError,
	};
	use sp_core::offchain::{
		testing::{PendingRequest, TestOffchainExt},
		OffchainDbExt, OffchainWorkerExt, StorageKind,
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
	let ensure = |hash: &BlobHash| <Blobs as BlobFetch>::ensure_local(hash);
	ext.execute_with(|| {
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
