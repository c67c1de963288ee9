//! Tests of chunked uploads: beginning, chunks, deadlines, sealing and aborting.

use super::*;

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
			upload_of(ALICE, hash),
			Some(Upload {
				byte_len: MAX_BLOB,
				deposit: expected,
				received: 0,
				chunks: 0,
				deadline
			})
		);
		assert_eq!(Entries::<Test>::get(hash), None, "an upload claims no hash");
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

		// Another account may upload the same hash; one account only once at a time.
		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 10));
		assert_ok!(Blobs::begin_upload(signed(BOB), hash, 10));
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
fn sealing_an_upload_replaces_a_remote_registration() {
	build_and_execute(|| {
		let bytes = data(50, 9);
		let hash = blake2_256(&bytes);
		assert_ok!(Blobs::register_uri(signed(BOB), hash, 50, uri("https://a.example/b")));
		// Beginning an upload takes nothing from the registrant.
		let hash = upload_all(ALICE, &bytes);
		assert_eq!(held(BOB), deposit(19) + URI_BOND);
		assert!(matches!(status(hash), BlobStatus::Remote { .. }));

		assert_ok!(seal(ALICE, hash));
		assert_eq!(held(BOB), 0);
		assert_eq!(free(BOB), INITIAL_BALANCE);
		assert_eq!(held(ALICE), deposit(50));
		System::assert_has_event(
			Event::RemoteReplaced {
				hash,
				previous_owner: BOB,
				deposit_released: deposit(19) + URI_BOND,
			}
			.into(),
		);
		assert_eq!(status(hash), BlobStatus::Sealed);
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, ALICE);
	});
}

/// Two accounts upload the same bytes at once: the first to seal stores the blob; the second's
/// seal ends its upload and gives its deposit back.
#[test]
fn the_first_of_two_uploads_of_the_same_bytes_to_seal_stores_the_blob() {
	build_and_execute(|| {
		let bytes = data(40, 8);
		let hash = upload_all(ALICE, &bytes);
		upload_all(BOB, &bytes);
		assert_eq!((held(ALICE), held(BOB)), (deposit(40), deposit(40)));

		assert_ok!(seal(BOB, hash));
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, BOB);
		assert_ok!(seal(ALICE, hash));
		System::assert_last_event(
			Event::UploadSuperseded { hash, uploader: ALICE, deposit_released: deposit(40) }.into(),
		);
		assert_eq!((held(ALICE), held(BOB)), (0, deposit(40)));
		assert_eq!(upload_of(ALICE, hash), None);
		assert_eq!(chunks_in_state(ALICE, hash), 0);
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, BOB);
	});
}

#[test]
fn chunked_upload_seals_and_indexes_the_whole_blob() {
	let mut ext = new_test_ext();
	let bytes = data(MAX_BLOB as usize, 10);

	let hash = execute_and_check(&mut ext, || {
		let hash = upload_all(ALICE, &bytes);
		assert_eq!(
			upload_of(ALICE, hash),
			Some(Upload {
				byte_len: MAX_BLOB,
				deposit: deposit(MAX_BLOB),
				received: MAX_BLOB,
				chunks: 7,
				deadline: 1 + TIMEOUT
			})
		);
		assert_eq!(chunks_in_state(ALICE, hash), 7);
		Blobs::do_try_state().unwrap();
		hash
	});
	// Chunks are kept in state, not indexed.
	assert_eq!(indexed(&mut ext, &hash), None);

	execute_and_check(&mut ext, || {
		let issuance_before = issuance();
		let post = Blobs::seal_upload(signed(ALICE), hash).unwrap();
		// Refunded down to the upload's seven chunks.
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::seal_upload(7)));

		assert_eq!(status(hash), BlobStatus::Sealed);
		assert_eq!(chunks_in_state(ALICE, hash), 0);
		assert_eq!(upload_of(ALICE, hash), None);
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
	let hash = execute_and_check(&mut ext, || {
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
			Error::<Test>::NotUploading
		);

		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 40));
		// Chunks go to the sender's own upload: Bob has none.
		assert_noop!(
			Blobs::upload_chunk(signed(BOB), hash, 0, chunk(&bytes[..16])),
			Error::<Test>::NotUploading
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
		assert_ok!(abort(ALICE, hash, ALICE));
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
		assert_noop!(seal(ALICE, hash), Error::<Test>::NotUploading);

		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 40));
		assert_noop!(seal(BOB, hash), Error::<Test>::NotUploading);
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
	execute_and_check(&mut ext, || {
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
			upload_of(ALICE, declared),
			Some(Upload {
				byte_len: 20,
				deposit: deposit(20),
				received: 20,
				chunks: 2,
				deadline: 1 + TIMEOUT
			})
		);
		assert_eq!(chunks_in_state(ALICE, declared), 2);
		assert_eq!(held(ALICE), deposit(20));
		Blobs::do_try_state().unwrap();

		assert_ok!(abort(ALICE, declared, ALICE));
		assert_eq!(held(ALICE), 0);
		assert_eq!(free(ALICE), INITIAL_BALANCE);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(upload_of(ALICE, declared), None);
		assert_eq!(chunks_in_state(ALICE, declared), 0);
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
	build_and_execute(|| {
		let bytes = data(40, 21);
		let hash = upload_all(ALICE, &bytes);
		UploadChunks::<Test>::remove((hash, ALICE, 1));
		assert_eq!(
			Blobs::seal_upload(signed(ALICE), hash),
			Err(Error::<Test>::MissingChunk.with_weight(<() as WeightInfo>::seal_upload(3)))
		);
		// The state was corrupted on purpose; aborting the upload clears it, so the
		// invariants hold again when they are checked afterwards.
		assert!(Blobs::do_try_state().is_err());
		assert_ok!(abort(ALICE, hash, ALICE));
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

		let post = Blobs::abort_upload(signed(ALICE), hash, ALICE).unwrap();
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::abort_upload(2)));

		assert_eq!(upload_of(ALICE, hash), None);
		assert_eq!(chunks_in_state(ALICE, hash), 0);
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

		// Alice may begin again.
		assert_ok!(Blobs::begin_upload(signed(ALICE), hash, 50));
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
		assert_noop!(abort(BOB, hash, ALICE), Error::<Test>::UploadNotExpired);

		System::set_block_number(deadline + 1);
		let issuance_before = issuance();
		assert_ok!(abort(BOB, hash, ALICE));

		assert_eq!(free(ALICE), INITIAL_BALANCE);
		assert_eq!(held(ALICE), 0);
		assert_eq!(free(BOB), INITIAL_BALANCE);
		assert_eq!(held(BOB), 0);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(upload_of(ALICE, hash), None);
		assert_eq!(chunks_in_state(ALICE, hash), 0);
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
		assert_noop!(abort(ALICE, unknown, ALICE), Error::<Test>::NotUploading);

		let small = data(8, 25);
		assert_ok!(Blobs::store(signed(ALICE), inline(&small)));
		assert_noop!(abort(ALICE, blake2_256(&small), ALICE), Error::<Test>::NotUploading);

		let remote = [26u8; 32];
		assert_ok!(Blobs::register_uri(signed(ALICE), remote, 10, uri("ipfs://cid")));
		assert_noop!(abort(ALICE, remote, ALICE), Error::<Test>::NotUploading);

		let uploading = [27u8; 32];
		assert_ok!(Blobs::begin_upload(signed(ALICE), uploading, 10));
		assert_noop!(abort(BOB, uploading, ALICE), Error::<Test>::UploadNotExpired);
		assert_noop!(abort(ALICE, uploading, BOB), Error::<Test>::NotUploading);
		// Early errors are charged the base weight only.
		assert_eq!(
			Blobs::abort_upload(signed(BOB), uploading, ALICE),
			Err(Error::<Test>::UploadNotExpired.with_weight(<() as WeightInfo>::abort_upload(0)))
		);
	});
}
