//! Tests of removing a blob.

use super::*;

#[test]
fn remove_releases_the_deposit_exactly_and_clears_the_index() {
	let mut ext = new_test_ext();
	let bytes = data(24, 34);
	let hash = execute_and_check(&mut ext, || {
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		blake2_256(&bytes)
	});
	assert_eq!(indexed(&mut ext, &hash), Some(bytes));

	execute_and_check(&mut ext, || {
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
fn remove_of_a_remote_blob_releases_its_deposit_and_bond() {
	build_and_execute(|| {
		let hash = [35u8; 32];
		let link = uri("ipfs://bafybeig");
		assert_ok!(Blobs::register_uri(signed(BOB), hash, 10, link.clone()));
		assert_ok!(Blobs::remove(signed(BOB), hash));
		assert_eq!(held(BOB), 0);
		assert_eq!(free(BOB), INITIAL_BALANCE);
		System::assert_last_event(
			Event::BlobRemoved {
				hash,
				owner: BOB,
				deposit_released: deposit(link.len() as u64) + URI_BOND,
			}
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

		// An upload in progress is no blob: it is ended with `abort_upload`.
		let uploading = [37u8; 32];
		assert_ok!(Blobs::begin_upload(signed(ALICE), uploading, 10));
		assert_noop!(Blobs::remove(signed(ALICE), uploading), Error::<Test>::UnknownBlob);
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
		let total = deposit(10) + deposit(20) + deposit(30) + deposit(10) + URI_BOND;
		assert_eq!(held(ALICE), total);
		assert_eq!(free(ALICE), INITIAL_BALANCE - total);

		assert_ok!(Blobs::remove(signed(ALICE), blake2_256(&first)));
		assert_eq!(held(ALICE), total - deposit(10));
		assert_ok!(abort(ALICE, [40u8; 32], ALICE));
		assert_eq!(held(ALICE), deposit(20) + deposit(10) + URI_BOND);
	});
}
