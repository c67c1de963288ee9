//! Tests of the models pallet.

use crate::{
	is_valid_name, mock::*, weights::WeightInfo, BlobHash, Dim, Error, Event, HoldReason,
	ModelInfo, ModelRegistry, ModelUsage, Models as ModelEntries, ModelsByName, NextModelId,
	TensorNameOf, TensorSchema, TensorSchemaOf, TensorsOf, VersionInfo, VersionSpec, VersionSpecOf,
	VersionStatus, VersionView, Versions,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::WithPostDispatchInfo,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::Precision,
		Get, Hooks,
	},
	BoundedVec,
};
use mosaic_primitives::digest::{ElementType, MAX_PRECISION};
use pallet_mosaic_blobs::BlobInspect;
use sp_io::hashing::blake2_256;
use sp_runtime::{ArithmeticError, DispatchError, Permill, TokenError};

// ---- helpers ----

/// Description every test model gets unless a test says otherwise (16 bytes).
const DESCRIPTION: &str = "image classifier";
/// Licence every test model gets unless a test says otherwise (3 bytes).
const LICENSE: &str = "MIT";
/// Deposit of the entry of a model named "resnet" (6 bytes) with `DESCRIPTION` and `LICENSE`:
/// 10 + 1 * (6 + 16 + 3).
const META_DEPOSIT: u64 = 35;
/// Deposit of `spec(_)`: 10 + 1 * 83 encoded bytes.
const VERSION_DEPOSIT: u64 = 93;
/// Blob deposit of a 32-byte blob: 10 + 2 * 32.
const BLOB_DEPOSIT: u64 = 74;

fn bounded<S: Get<u32>>(text: &str) -> BoundedVec<u8, S> {
	text.as_bytes().to_vec().try_into().unwrap()
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// `len` bytes of test content; `seed` makes different blobs.
fn data(len: usize, seed: u8) -> Vec<u8> {
	(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Stores a sealed blob of `len` bytes owned by `who`; returns its hash.
fn store_blob_of(who: u64, len: usize, seed: u8) -> BlobHash {
	let bytes = data(len, seed);
	assert_ok!(Blobs::store(signed(who), bytes.clone().try_into().unwrap()));
	blake2_256(&bytes)
}

/// Stores a sealed 32-byte blob owned by `who`; returns its hash.
fn store_blob(who: u64, seed: u8) -> BlobHash {
	store_blob_of(who, 32, seed)
}

fn tname(text: &str) -> TensorNameOf<Test> {
	bounded(text)
}

fn tensor(
	name: &str,
	element_type: ElementType,
	shape: Vec<Dim<TensorNameOf<Test>>>,
) -> TensorSchemaOf<Test> {
	TensorSchema { name: tname(name), element_type, shape: shape.try_into().unwrap() }
}

fn tensors(list: Vec<TensorSchemaOf<Test>>) -> TensorsOf<Test> {
	list.try_into().unwrap()
}

/// A version with one input `x: f32[n, 4]` and one output `y: f32[2]`, precision 6,
/// tolerance 3, royalty 10 %, no parent, no parameters. Encodes to 83 bytes.
fn spec(blob: BlobHash) -> VersionSpecOf<Test> {
	VersionSpec {
		blob,
		opset: 17,
		inputs: tensors(vec![tensor(
			"x",
			ElementType::F32,
			vec![Dim::Symbolic(tname("n")), Dim::Fixed(4)],
		)]),
		outputs: tensors(vec![tensor("y", ElementType::F32, vec![Dim::Fixed(2)])]),
		precision: 6,
		tolerance: Some(3),
		royalty: Permill::from_percent(10),
		parent: None,
		parameters: None,
	}
}

/// `spec(blob)` changed by `change`.
fn spec_with(blob: BlobHash, change: impl FnOnce(&mut VersionSpecOf<Test>)) -> VersionSpecOf<Test> {
	let mut version = spec(blob);
	change(&mut version);
	version
}

/// Registers a model named `name` by `who` with `spec(blob)`; returns its id.
fn register(who: u64, name: &str, blob: BlobHash) -> u32 {
	let model = NextModelId::<Test>::get();
	assert_ok!(Models::register_model(
		signed(who),
		bounded(name),
		bounded(DESCRIPTION),
		bounded(LICENSE),
		spec(blob)
	));
	model
}

/// Held from `who` for models.
fn held(who: u64) -> u64 {
	<Balances as InspectHold<u64>>::balance_on_hold(&HoldReason::ModelDeposit.into(), &who)
}

/// Held from `who` for blobs.
fn blob_held(who: u64) -> u64 {
	<Balances as InspectHold<u64>>::balance_on_hold(
		&pallet_mosaic_blobs::HoldReason::BlobDeposit.into(),
		&who,
	)
}

fn free(who: u64) -> u64 {
	Balances::free_balance(who)
}

fn issuance() -> u64 {
	pallet_balances::TotalIssuance::<Test>::get()
}

fn refs(blob: BlobHash) -> u32 {
	<Blobs as BlobInspect<u64>>::blob(&blob).expect("blob exists").refs
}

fn status(model: u32, version: u32) -> VersionStatus {
	Versions::<Test>::get(model, version).expect("version exists").status
}

fn register_err(who: u64, name: &str, spec: VersionSpecOf<Test>) -> Result<(), DispatchError> {
	Models::register_model(signed(who), bounded(name), bounded(DESCRIPTION), bounded(LICENSE), spec)
}

fn remove(who: u64, model: u32) -> Result<(), DispatchError> {
	Models::remove_model(signed(who), model).map(|_| ()).map_err(|e| e.error)
}

/// The name type of the mock runtime.
type ConstU32Name = frame_support::traits::ConstU32<MAX_NAME>;

mod configuration;
mod deprecate;
mod invariants;
mod metadata;
mod ownership;
mod publish;
mod register;
mod registry;
mod removal;
mod views;
