//! Storage migrations.

use super::*;
use crate::migrations::v1;
use frame_support::{
	storage_alias,
	traits::{fungible::MutateHold, GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	Blake2_128Concat, Twox64Concat,
};

mod v0 {
	use super::*;

	/// Chunks as version 0 kept them: by hash and index.
	#[storage_alias]
	pub type UploadChunks =
		StorageDoubleMap<Blobs, Blake2_128Concat, BlobHash, Twox64Concat, u32, Vec<u8>>;
}

#[test]
fn v1_ends_the_uploads_of_version_0_and_keeps_the_blobs() {
	build_and_execute(|| {
		let sealed = data(10, 1);
		assert_ok!(Blobs::store(signed(ALICE), inline(&sealed)));
		let remote = [2u8; 32];
		assert_ok!(Blobs::register_uri(signed(BOB), remote, 10, uri("ipfs://cid")));
		// An upload of version 0: an entry of `Blobs`, its deposit held, one chunk by hash.
		let uploading = [3u8; 32];
		assert_ok!(<Balances as MutateHold<u64>>::hold(
			&HoldReason::BlobDeposit.into(),
			&ALICE,
			deposit(40)
		));
		v1::old::Blobs::<Test>::insert(
			uploading,
			v1::old::BlobInfo {
				byte_len: 40,
				owner: ALICE,
				deposit: deposit(40),
				status: v1::old::BlobStatus::Uploading { received: 16, chunks: 1, deadline: 9 },
				refs: 0,
				created_at: 1,
			},
		);
		v0::UploadChunks::insert(uploading, 0, data(16, 4));
		StorageVersion::new(0).put::<Blobs>();

		v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();

		assert_eq!(Entries::<Test>::get(uploading), None);
		assert_eq!(v0::UploadChunks::iter().count(), 0);
		assert_eq!(held(ALICE), deposit(10), "the upload's deposit is back, the blob's stays");
		assert_eq!(status(blake2_256(&sealed)), BlobStatus::Sealed);
		assert!(matches!(status(remote), BlobStatus::Remote { .. }));
		assert_eq!(Blobs::on_chain_storage_version(), 1);
	});
}
