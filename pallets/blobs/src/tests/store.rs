//! Tests of storing a blob in one extrinsic, by a call or for another pallet, and of another
//! pallet discarding one.

use super::*;

#[test]
fn store_holds_the_deposit_and_indexes_the_bytes() {
	let mut ext = new_test_ext();
	let bytes = data(40, 1);
	let hash = execute_and_check(&mut ext, || {
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
	let hash = execute_and_check(&mut ext, || {
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
fn other_pallets_discard_only_an_owners_unreferenced_blob() {
	let mut ext = new_test_ext();
	let (kept, referenced, discarded) = (data(30, 5), data(30, 6), data(30, 7));
	let hash = execute_and_check(&mut ext, || {
		let store = |bytes: &[u8]| <Blobs as BlobStore<u64, u64>>::store(&BOB, bytes.to_vec());
		let discard = |hash: &BlobHash, who: u64| {
			<Blobs as BlobStore<u64, u64>>::discard(hash, &who);
		};
		let (kept, referenced, discarded) =
			(store(&kept).unwrap(), store(&referenced).unwrap(), store(&discarded).unwrap());
		assert_ok!(Blobs::add_ref(&referenced));
		// Another account's blob, a referenced one and an unknown hash: nothing happens.
		discard(&kept, CHARLIE);
		discard(&referenced, BOB);
		discard(&[9; 32], BOB);
		assert!(Entries::<Test>::get(kept).is_some() && Entries::<Test>::get(referenced).is_some());
		assert_eq!(held(BOB), 3 * deposit(30));

		discard(&discarded, BOB);
		assert_eq!(Entries::<Test>::get(discarded), None);
		assert_eq!(held(BOB), 2 * deposit(30));
		System::assert_last_event(
			Event::BlobRemoved { hash: discarded, owner: BOB, deposit_released: deposit(30) }
				.into(),
		);
		Blobs::do_try_state().unwrap();
		discarded
	});
	assert_eq!(indexed(&mut ext, &hash), None, "its bytes left the off-chain index");
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

/// An upload in progress claims no hash: the bytes can be stored meanwhile, and the upload
/// then ends with its deposit back when it is sealed.
#[test]
fn store_takes_a_hash_being_uploaded() {
	build_and_execute(|| {
		let bytes = data(20, 4);
		let hash = blake2_256(&bytes);
		assert_ok!(Blobs::begin_upload(signed(BOB), hash, 20));
		send_chunks(BOB, hash, &bytes);
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, ALICE);

		assert_ok!(seal(BOB, hash));
		System::assert_last_event(
			Event::UploadSuperseded { hash, uploader: BOB, deposit_released: deposit(20) }.into(),
		);
		assert_eq!(held(BOB), 0);
		assert_eq!(chunks_in_state(BOB, hash), 0);
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, ALICE);
	});
}

#[test]
fn store_needs_funds_for_the_deposit_and_indexes_nothing_on_failure() {
	let mut ext = new_test_ext();
	let bytes = data(10, 5);
	let hash = execute_and_check(&mut ext, || {
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
		assert_eq!(held(BOB), deposit(11) + URI_BOND);

		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));

		assert_eq!(held(BOB), 0);
		assert_eq!(free(BOB), INITIAL_BALANCE);
		assert_eq!(held(ALICE), deposit(30));
		assert_eq!(free(ALICE), INITIAL_BALANCE - deposit(30));
		assert_eq!(Entries::<Test>::get(hash).unwrap().owner, ALICE);
		assert_eq!(status(hash), BlobStatus::Sealed);
		System::assert_has_event(
			Event::RemoteReplaced {
				hash,
				previous_owner: BOB,
				deposit_released: deposit(11) + URI_BOND,
			}
			.into(),
		);
		System::assert_last_event(
			Event::BlobStored { hash, owner: ALICE, byte_len: 30, deposit: deposit(30) }.into(),
		);
	});
}
