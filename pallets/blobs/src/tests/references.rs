//! Tests of the blob store as other pallets see it: summaries and references.

use super::*;

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
			None,
			"an upload in progress is no blob yet"
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
		assert_eq!(<Inspect as BlobInspect<u64>>::size(&uploading), None);
		assert_eq!(<Inspect as BlobInspect<u64>>::size(&remote), Some(60));
		assert_eq!(<Inspect as BlobInspect<u64>>::size(&unknown), None);

		// Sealed and remote blobs can be referenced; an upload in progress is no blob yet.
		assert_noop!(<Inspect as BlobReferences>::add_ref(&unknown), Error::<Test>::UnknownBlob);
		assert_noop!(<Inspect as BlobReferences>::add_ref(&uploading), Error::<Test>::UnknownBlob);
		assert_ok!(<Inspect as BlobReferences>::add_ref(&remote));
		assert_eq!(Entries::<Test>::get(remote).unwrap().refs, 1);
		assert_ok!(<Inspect as BlobReferences>::remove_ref(&remote));

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
