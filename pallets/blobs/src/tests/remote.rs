//! Tests of remote blobs registered by URI.

use super::*;

#[test]
fn register_uri_holds_a_deposit_for_the_uri_and_a_bond() {
	let mut ext = new_test_ext();
	let hash = [28u8; 32];
	execute_and_check(&mut ext, || {
		let link = uri("https://models.example.com/mnist-8.onnx");
		let expected = deposit(link.len() as u64) + URI_BOND;
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

/// A quorum of workers found the blob unserved: its bond moves to the pot account, once; the
/// URI's deposit stays held until the owner removes the blob. Nothing else has a bond.
#[test]
fn a_forfeited_bond_goes_to_the_workers_pot_and_the_uris_deposit_stays() {
	build_and_execute(|| {
		const POT: u64 = 77;
		let hash = [40u8; 32];
		let link = uri("https://example.org/never");
		assert_ok!(Blobs::register_uri(signed(ALICE), hash, 10, link.clone()));
		let uri_deposit = deposit(link.len() as u64);
		let forfeit = |hash: &BlobHash| <Blobs as RemoteBlobBond<_, _>>::forfeit_bond(hash, &POT);

		assert_eq!(forfeit(&hash), URI_BOND);
		assert_eq!(free(POT), URI_BOND);
		assert_eq!(held(ALICE), uri_deposit);
		assert_eq!(Entries::<Test>::get(hash).unwrap().deposit, uri_deposit);
		System::assert_last_event(
			Event::BondForfeited { hash, owner: ALICE, to: POT, amount: URI_BOND }.into(),
		);
		assert_eq!(forfeit(&hash), 0, "taken once");
		assert_eq!(free(POT), URI_BOND);

		// Sealed blobs and unknown hashes have no bond.
		assert_ok!(Blobs::store(signed(BOB), inline(b"sealed bytes")));
		assert_eq!(forfeit(&blake2_256(b"sealed bytes")), 0);
		assert_eq!(forfeit(&[41u8; 32]), 0);

		assert_ok!(Blobs::remove(signed(ALICE), hash));
		assert_eq!(held(ALICE), 0);
		assert_eq!(free(ALICE), INITIAL_BALANCE - URI_BOND);
	});
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
			Blobs::register_uri(signed(ALICE), hash, MAX_REMOTE_BLOB + 1, uri("ipfs://cid")),
			Error::<Test>::BlobTooLarge
		);
		// 10 + 2 * 10 = 30 > 20 - existential deposit.
		assert_noop!(
			Blobs::register_uri(signed(POOR), hash, 10, uri("ipfs://cid")),
			TokenError::FundsUnavailable
		);

		// A referenced remote entry or a sealed one blocks a registration; an upload in
		// progress does not, and its seal replaces the registration.
		assert_ok!(Blobs::register_uri(signed(ALICE), hash, 10, uri("ipfs://cid")));
		assert_ok!(<Blobs as BlobReferences>::add_ref(&hash));
		assert_noop!(
			Blobs::register_uri(signed(BOB), hash, 10, uri("ipfs://other")),
			Error::<Test>::AlreadyExists
		);
		assert_ok!(<Blobs as BlobReferences>::remove_ref(&hash));
		let uploading = [32u8; 32];
		assert_ok!(Blobs::begin_upload(signed(ALICE), uploading, 10));
		assert_ok!(Blobs::register_uri(signed(BOB), uploading, 10, uri("ipfs://cid")));
		let small = data(8, 33);
		assert_ok!(Blobs::store(signed(ALICE), inline(&small)));
		assert_noop!(
			Blobs::register_uri(signed(BOB), blake2_256(&small), 8, uri("ipfs://cid")),
			Error::<Test>::AlreadyExists
		);
	});
}

#[test]
fn larger_than_an_upload_a_remote_blob_is_registered_up_to_its_own_limit() {
	build_and_execute(|| {
		let hash = [40u8; 32];
		assert_ok!(Blobs::register_uri(signed(ALICE), hash, MAX_REMOTE_BLOB, uri("ipfs://big")));
		assert_eq!(Entries::<Test>::get(hash).unwrap().byte_len, MAX_REMOTE_BLOB);
		// Such bytes can never be stored or uploaded.
		assert_noop!(
			Blobs::begin_upload(signed(BOB), hash, MAX_REMOTE_BLOB),
			Error::<Test>::BlobTooLarge
		);
	});
}

/// Attack: Eve registers the hash of Alice's model (too large to upload, so no bytes would ever
/// replace her claim) with a URI that serves nothing, before Alice registers it. Until spec 119
/// Alice's registration failed (`AlreadyExists`) for as long as Eve kept her deposit held, and
/// the model could not be published by anyone else's URI.
#[test]
fn attack_a_squatted_remote_hash_yields_to_the_next_registration() {
	build_and_execute(|| {
		let hash = [41u8; 32];
		assert_ok!(Blobs::register_uri(signed(BOB), hash, MAX_REMOTE_BLOB, uri("https://evil")));
		let bobs_deposit = held(BOB);
		assert!(bobs_deposit > 0);

		let link = uri("https://models.example.com/big.onnx");
		assert_ok!(Blobs::register_uri(signed(ALICE), hash, MAX_REMOTE_BLOB, link.clone()));
		System::assert_has_event(
			Event::RemoteReplaced { hash, previous_owner: BOB, deposit_released: bobs_deposit }
				.into(),
		);
		assert_eq!(held(BOB), 0);
		let entry = Entries::<Test>::get(hash).unwrap();
		assert_eq!((entry.owner, entry.status), (ALICE, BlobStatus::Remote { uri: link }));

		// Once a model or job references it, nobody can swap the URI under its users.
		assert_ok!(<Blobs as BlobReferences>::add_ref(&hash));
		assert_noop!(
			Blobs::register_uri(signed(BOB), hash, MAX_REMOTE_BLOB, uri("https://evil")),
			Error::<Test>::AlreadyExists
		);
		assert_noop!(Blobs::remove(signed(ALICE), hash), Error::<Test>::InUse);
	});
}

#[test]
fn bytes_stored_over_a_referenced_remote_registration_keep_its_references() {
	build_and_execute(|| {
		let bytes = data(10, 42);
		let hash = blake2_256(&bytes);
		assert_ok!(Blobs::register_uri(signed(BOB), hash, 10, uri("ipfs://cid")));
		assert_ok!(<Blobs as BlobReferences>::add_ref(&hash));
		assert_ok!(Blobs::store(signed(ALICE), inline(&bytes)));
		let entry = Entries::<Test>::get(hash).unwrap();
		assert_eq!((entry.owner, entry.status, entry.refs), (ALICE, BlobStatus::Sealed, 1));
		assert_eq!(held(BOB), 0, "the registrant's deposit is released");
		// The user that referenced the registration drops the sealed blob's reference.
		assert_ok!(<Blobs as BlobReferences>::remove_ref(&hash));
		assert_ok!(Blobs::remove(signed(ALICE), hash));
	});
}
