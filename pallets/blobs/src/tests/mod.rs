//! Tests of the blobs pallet.

use crate::{
	is_valid_uri, mock::*, weights::WeightInfo, BlobFetch, BlobHash, BlobInfo, BlobInspect,
	BlobKind, BlobReferences, BlobStatus, BlobStore, BlobSummary, Blobs as Entries, Error, Event,
	HoldReason, RemoteBlobBond, Upload, UploadChunks, Uploads,
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

fn status(hash: BlobHash) -> BlobStatus<BoundedVec<u8, ConstU32<MAX_URI>>> {
	Entries::<Test>::get(hash).expect("blob exists").status
}

/// `who`'s upload of `hash` in progress.
fn upload_of(who: u64, hash: BlobHash) -> Option<Upload<u64, u64>> {
	Uploads::<Test>::get(hash, who)
}

fn chunks_in_state(who: u64, hash: BlobHash) -> usize {
	UploadChunks::<Test>::iter_prefix((hash, who)).count()
}

/// Sends all of `bytes` as chunks of the upload of `hash`, checking each event.
fn send_chunks(who: u64, hash: BlobHash, bytes: &[u8]) {
	for (index, piece) in bytes.chunks(CHUNK as usize).enumerate() {
		let index = index as u32;
		assert_ok!(Blobs::upload_chunk(signed(who), hash, index, chunk(piece)));
		let received = ((index as u64 + 1) * CHUNK as u64).min(bytes.len() as u64);
		System::assert_last_event(
			Event::ChunkUploaded { hash, uploader: who, index, received }.into(),
		);
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

/// `who` aborts `uploader`'s upload of `hash`.
fn abort(who: u64, hash: BlobHash, uploader: u64) -> Result<(), DispatchError> {
	Blobs::abort_upload(signed(who), hash, uploader)
		.map(|_| ())
		.map_err(|e| e.error)
}

/// What the off-chain database holds for `hash` once the overlay's off-chain changes are
/// persisted.
fn indexed(ext: &mut sp_io::TestExternalities, hash: &BlobHash) -> Option<Vec<u8>> {
	ext.persist_offchain_overlay();
	ext.offchain_db().get(&offchain_key(hash))
}

mod configuration;
mod migrations;
mod offchain;
mod references;
mod remote;
mod removal;
mod store;
mod uploads;
