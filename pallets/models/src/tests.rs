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

// ---- configuration ----

#[test]
fn integrity_test_passes() {
	new_test_ext().execute_with(|| <Models as Hooks<u64>>::integrity_test());
}

#[test]
fn deposits_follow_the_config() {
	new_test_ext().execute_with(|| {
		assert_eq!(Models::deposit_for(0), DEPOSIT_BASE);
		assert_eq!(Models::deposit_for(100), 10 + 100);
		assert_eq!(
			Models::metadata_deposit(b"resnet", DESCRIPTION.as_bytes(), b"MIT"),
			META_DEPOSIT
		);
		assert_eq!(Models::metadata_deposit(b"a", b"", b""), 11);

		let version = spec([1u8; 32]);
		assert_eq!(version.encoded_size(), 83);
		assert_eq!(Models::version_deposit(&version), VERSION_DEPOSIT);
		assert_eq!(Models::tensor_count(&version), 2);
		assert_eq!(Models::max_tensors(), 2 * MAX_IO);

		let mut with_parent = version;
		with_parent.parent = Some((0, 1));
		assert_eq!(Models::version_deposit(&with_parent), VERSION_DEPOSIT + 8);
	});
}

#[test]
fn name_validation() {
	for good in ["resnet", "resnet-50", "bert_base.v2", "0", "a.b-c_d9"] {
		assert!(is_valid_name(good.as_bytes()), "{good} should be valid");
	}
	for bad in ["", "ResNet", "res net", "resnet/50", "caf\u{e9}", "a\n", "résnet"] {
		assert!(!is_valid_name(bad.as_bytes()), "{bad:?} should be invalid");
	}
}

#[test]
fn calls_need_a_signed_origin() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		for origin in [RuntimeOrigin::none(), RuntimeOrigin::root()] {
			assert_noop!(
				Models::register_model(
					origin.clone(),
					bounded("resnet"),
					bounded(DESCRIPTION),
					bounded(LICENSE),
					spec(blob)
				),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Models::publish_version(origin.clone(), 0, spec(blob)),
				DispatchError::BadOrigin
			);
			assert_noop!(Models::deprecate_version(origin.clone(), 0, 1), DispatchError::BadOrigin);
			assert_noop!(
				Models::transfer_ownership(origin.clone(), 0, BOB),
				DispatchError::BadOrigin
			);
			assert_noop!(Models::accept_ownership(origin.clone(), 0), DispatchError::BadOrigin);
			assert_noop!(Models::cancel_transfer(origin.clone(), 0), DispatchError::BadOrigin);
			assert_noop!(
				Models::update_metadata(origin.clone(), 0, bounded(""), bounded("")),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Models::remove_model(origin, 0).map_err(|e| e.error),
				DispatchError::BadOrigin
			);
		}
	});
}

// ---- register_model ----

#[test]
fn register_model_holds_the_deposit_and_references_the_blob() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		assert_eq!(free(ALICE), INITIAL_BALANCE - BLOB_DEPOSIT);
		assert_eq!(refs(blob), 0);
		let issuance_before = issuance();

		assert_ok!(Models::register_model(
			signed(ALICE),
			bounded("resnet"),
			bounded(DESCRIPTION),
			bounded(LICENSE),
			spec(blob)
		));

		let deposit = META_DEPOSIT + VERSION_DEPOSIT;
		assert_eq!(deposit, 128);
		assert_eq!(held(ALICE), deposit);
		assert_eq!(blob_held(ALICE), BLOB_DEPOSIT);
		assert_eq!(free(ALICE), INITIAL_BALANCE - BLOB_DEPOSIT - deposit);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(refs(blob), 1);

		assert_eq!(NextModelId::<Test>::get(), 1);
		assert_eq!(ModelsByName::<Test>::get(bounded::<ConstU32Name>("resnet")), Some(0));
		assert_eq!(
			ModelEntries::<Test>::get(0),
			Some(ModelInfo {
				owner: ALICE,
				name: bounded("resnet"),
				description: bounded(DESCRIPTION),
				license: bounded(LICENSE),
				version_count: 1,
				deposit,
				metadata_deposit: META_DEPOSIT,
				pending_owner: None,
				created_at: 1,
			})
		);
		assert_eq!(
			Versions::<Test>::get(0, 1),
			Some(VersionInfo {
				spec: spec(blob),
				status: VersionStatus::Active,
				published_at: 1,
				deposit: VERSION_DEPOSIT,
				round: None,
			})
		);
		System::assert_has_event(
			Event::ModelRegistered {
				model: 0,
				owner: ALICE,
				name: bounded("resnet"),
				deposit: META_DEPOSIT,
			}
			.into(),
		);
		System::assert_last_event(
			Event::VersionPublished {
				model: 0,
				version: 1,
				blob,
				parent: None,
				deposit: VERSION_DEPOSIT,
			}
			.into(),
		);

		// The blob's owner cannot remove it while the version refers to it.
		assert_noop!(Blobs::remove(signed(ALICE), blob), pallet_mosaic_blobs::Error::<Test>::InUse);
	});
}

/// The name type of the mock runtime.
type ConstU32Name = frame_support::traits::ConstU32<MAX_NAME>;

#[test]
fn models_get_sequential_ids_and_may_share_a_blob() {
	build_and_execute(|| {
		let alice_blob = store_blob(ALICE, 1);
		let bob_blob = store_blob(BOB, 2);
		assert_eq!(register(ALICE, "resnet", alice_blob), 0);
		assert_eq!(register(BOB, "bert", bob_blob), 1);
		assert_eq!(register(ALICE, "resnet-copy", alice_blob), 2);
		assert_eq!(NextModelId::<Test>::get(), 3);
		assert_eq!(refs(alice_blob), 2);
		assert_eq!(refs(bob_blob), 1);
		// 10 + 11 + 16 + 3 for "resnet-copy", 10 + 4 + 16 + 3 for "bert".
		assert_eq!(held(ALICE), META_DEPOSIT + 40 + 2 * VERSION_DEPOSIT);
		assert_eq!(held(BOB), 33 + VERSION_DEPOSIT);
	});
}

#[test]
fn register_model_checks_the_name() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		for bad in ["", "ResNet", "res net", "caf\u{e9}"] {
			assert_noop!(register_err(ALICE, bad, spec(blob)), Error::<Test>::InvalidName);
		}
		register(ALICE, "resnet", blob);
		assert_noop!(register_err(ALICE, "resnet", spec(blob)), Error::<Test>::NameTaken);
		let bob_blob = store_blob(BOB, 2);
		assert_noop!(register_err(BOB, "resnet", spec(bob_blob)), Error::<Test>::NameTaken);
		// The longest name fits.
		let longest = "a".repeat(MAX_NAME as usize);
		assert_ok!(register_err(ALICE, &longest, spec(blob)));
	});
}

#[test]
fn register_model_checks_the_blob() {
	build_and_execute(|| {
		// Unknown.
		assert_noop!(register_err(ALICE, "m", spec([9u8; 32])), Error::<Test>::UnknownBlob);

		// Still uploading.
		let uploading = blake2_256(&data(20, 3));
		assert_ok!(Blobs::begin_upload(signed(ALICE), uploading, 20));
		assert_noop!(register_err(ALICE, "m", spec(uploading)), Error::<Test>::BlobNotSealed);

		// Registered by URI only.
		let remote = [7u8; 32];
		assert_ok!(Blobs::register_uri(signed(ALICE), remote, 20, bounded("ipfs://bafy")));
		assert_noop!(register_err(ALICE, "m", spec(remote)), Error::<Test>::BlobNotSealed);

		// Someone else's.
		let bobs = store_blob(BOB, 4);
		assert_noop!(register_err(ALICE, "m", spec(bobs)), Error::<Test>::NotBlobOwner);

		// Too large, and the largest allowed.
		let too_large = store_blob_of(ALICE, MAX_MODEL_BLOB as usize + 1, 5);
		assert_noop!(register_err(ALICE, "m", spec(too_large)), Error::<Test>::ModelTooLarge);
		let largest = store_blob_of(ALICE, MAX_MODEL_BLOB as usize, 6);
		assert_ok!(register_err(ALICE, "m", spec(largest)));
		assert_eq!(refs(largest), 1);
		assert_eq!(refs(too_large), 0);
		assert_eq!(refs(bobs), 0);
	});
}

#[test]
fn register_model_checks_opset_precision_and_royalty() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);

		assert_noop!(
			register_err(ALICE, "m", spec_with(blob, |v| v.opset = MIN_OPSET - 1)),
			Error::<Test>::OpsetOutOfRange
		);
		assert_noop!(
			register_err(ALICE, "m", spec_with(blob, |v| v.opset = MAX_OPSET + 1)),
			Error::<Test>::OpsetOutOfRange
		);
		assert_noop!(
			register_err(ALICE, "m", spec_with(blob, |v| v.precision = MAX_PRECISION + 1)),
			Error::<Test>::PrecisionTooHigh
		);
		assert_noop!(
			register_err(ALICE, "m", spec_with(blob, |v| v.royalty = Permill::from_percent(21))),
			Error::<Test>::RoyaltyTooHigh
		);

		// The bounds themselves are allowed.
		assert_ok!(register_err(ALICE, "a", spec_with(blob, |v| v.opset = MIN_OPSET)));
		assert_ok!(register_err(ALICE, "b", spec_with(blob, |v| v.opset = MAX_OPSET)));
		assert_ok!(register_err(ALICE, "c", spec_with(blob, |v| v.precision = MAX_PRECISION)));
		assert_ok!(register_err(
			ALICE,
			"d",
			spec_with(blob, |v| v.royalty = Permill::from_percent(20))
		));
		assert_ok!(register_err(
			ALICE,
			"e",
			spec_with(blob, |v| {
				v.precision = 0;
				v.tolerance = None;
				v.royalty = Permill::zero();
			})
		));
		assert_eq!(refs(blob), 5);
	});
}

#[test]
fn register_model_checks_the_schema() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let with = |inputs: Vec<TensorSchemaOf<Test>>, outputs: Vec<TensorSchemaOf<Test>>| {
			let mut version = spec(blob);
			version.inputs = tensors(inputs);
			version.outputs = tensors(outputs);
			version
		};
		let scalar = |name: &str| tensor(name, ElementType::F32, vec![]);

		assert_noop!(
			register_err(ALICE, "m", with(vec![], vec![scalar("y")])),
			Error::<Test>::NoInputs
		);
		assert_noop!(
			register_err(ALICE, "m", with(vec![scalar("x")], vec![])),
			Error::<Test>::NoOutputs
		);
		assert_noop!(
			register_err(ALICE, "m", with(vec![scalar("")], vec![scalar("y")])),
			Error::<Test>::EmptyTensorName
		);
		assert_noop!(
			register_err(ALICE, "m", with(vec![scalar("x")], vec![scalar("")])),
			Error::<Test>::EmptyTensorName
		);
		let unnamed_dim =
			tensor("x", ElementType::I64, vec![Dim::Fixed(1), Dim::Symbolic(tname(""))]);
		assert_noop!(
			register_err(ALICE, "m", with(vec![unnamed_dim], vec![scalar("y")])),
			Error::<Test>::EmptyTensorName
		);
		assert_noop!(
			register_err(
				ALICE,
				"m",
				with(vec![scalar("x"), scalar("z"), scalar("x")], vec![scalar("y")])
			),
			Error::<Test>::DuplicateTensorName
		);
		assert_noop!(
			register_err(ALICE, "m", with(vec![scalar("x")], vec![scalar("y"), scalar("y")])),
			Error::<Test>::DuplicateTensorName
		);

		// An input and an output may share a name; scalars, zero-sized and fully symbolic
		// shapes are fine; the largest schema fits.
		assert_ok!(register_err(ALICE, "a", with(vec![scalar("x")], vec![scalar("x")])));
		let full_name = "t".repeat(MAX_TENSOR_NAME as usize);
		let widest = |index: u8| -> TensorSchemaOf<Test> {
			let mut name = full_name.clone().into_bytes();
			name[0] = b'0' + index;
			TensorSchema {
				name: name.try_into().unwrap(),
				element_type: ElementType::Bool,
				shape: vec![Dim::Symbolic(tname(&full_name)); MAX_RANK as usize]
					.try_into()
					.unwrap(),
			}
		};
		let all: Vec<_> = (0..MAX_IO as u8).map(widest).collect();
		assert_ok!(register_err(ALICE, "b", with(all.clone(), all)));
		let zero_sized = tensor("x", ElementType::U8, vec![Dim::Fixed(0)]);
		assert_ok!(register_err(ALICE, "c", with(vec![zero_sized], vec![scalar("y")])));
	});
}

#[test]
fn register_model_checks_the_parent() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let child = |parent: (u32, u32)| {
			let mut version = spec(blob);
			version.parent = Some(parent);
			version
		};
		assert_noop!(register_err(ALICE, "child", child((0, 1))), Error::<Test>::UnknownParent);

		let bob_blob = store_blob(BOB, 2);
		let base = register(BOB, "base", bob_blob);
		assert_noop!(register_err(ALICE, "child", child((base, 0))), Error::<Test>::UnknownParent);
		assert_noop!(register_err(ALICE, "child", child((base, 2))), Error::<Test>::UnknownParent);
		assert_noop!(
			register_err(ALICE, "child", child((base + 1, 1))),
			Error::<Test>::UnknownParent
		);

		// Another owner's version may be the parent.
		let model = NextModelId::<Test>::get();
		assert_ok!(register_err(ALICE, "child", child((base, 1))));
		assert_eq!(Versions::<Test>::get(model, 1).unwrap().spec.parent, Some((base, 1)));
		assert_eq!(held(ALICE), 10 + 5 + 19 + VERSION_DEPOSIT + 8);
		System::assert_last_event(
			Event::VersionPublished {
				model,
				version: 1,
				blob,
				parent: Some((base, 1)),
				deposit: VERSION_DEPOSIT + 8,
			}
			.into(),
		);
	});
}

#[test]
fn register_model_needs_funds_for_the_deposit() {
	build_and_execute(|| {
		let blob = store_blob(POOR, 1);
		// 127 > 100 - 74 - existential deposit.
		assert_noop!(register_err(POOR, "m", spec(blob)), TokenError::FundsUnavailable);
		assert_eq!(held(POOR), 0);
		assert_eq!(free(POOR), POOR_BALANCE - BLOB_DEPOSIT);
		assert_eq!(refs(blob), 0);
		assert_eq!(NextModelId::<Test>::get(), 0);
	});
}

#[test]
fn register_model_fails_when_ids_run_out() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		NextModelId::<Test>::put(u32::MAX);
		assert_noop!(register_err(ALICE, "m", spec(blob)), ArithmeticError::Overflow);
		NextModelId::<Test>::put(u32::MAX - 1);
		assert_ok!(register_err(ALICE, "m", spec(blob)));
		assert!(ModelEntries::<Test>::contains_key(u32::MAX - 1));
		assert_eq!(NextModelId::<Test>::get(), u32::MAX);
	});
}

// ---- publish_version ----

#[test]
fn publish_version_holds_its_deposit_and_references_its_blob() {
	build_and_execute(|| {
		let first = store_blob(ALICE, 1);
		let second = store_blob(ALICE, 2);
		let model = register(ALICE, "resnet", first);
		System::set_block_number(5);
		let issuance_before = issuance();
		let free_before = free(ALICE);

		let mut version = spec(second);
		version.parent = Some((model, 1));
		version.royalty = Permill::from_percent(5);
		assert_ok!(Models::publish_version(signed(ALICE), model, version.clone()));

		let deposit = VERSION_DEPOSIT + 8;
		assert_eq!(held(ALICE), META_DEPOSIT + VERSION_DEPOSIT + deposit);
		assert_eq!(free(ALICE), free_before - deposit);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(refs(first), 1);
		assert_eq!(refs(second), 1);
		let info = ModelEntries::<Test>::get(model).unwrap();
		assert_eq!(info.version_count, 2);
		assert_eq!(info.deposit, META_DEPOSIT + VERSION_DEPOSIT + deposit);
		assert_eq!(info.metadata_deposit, META_DEPOSIT);
		assert_eq!(
			Versions::<Test>::get(model, 2),
			Some(VersionInfo {
				spec: version,
				status: VersionStatus::Active,
				published_at: 5,
				deposit,
				round: None,
			})
		);
		System::assert_last_event(
			Event::VersionPublished {
				model,
				version: 2,
				blob: second,
				parent: Some((model, 1)),
				deposit,
			}
			.into(),
		);

		// A version may reuse an earlier version's blob: one more reference.
		assert_ok!(Models::publish_version(signed(ALICE), model, spec(first)));
		assert_eq!(refs(first), 2);
		assert_eq!(ModelEntries::<Test>::get(model).unwrap().version_count, 3);
	});
}

#[test]
fn publish_version_errors() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		let bob_blob = store_blob(BOB, 2);

		assert_noop!(
			Models::publish_version(signed(ALICE), model + 1, spec(blob)),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			Models::publish_version(signed(BOB), model, spec(bob_blob)),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Models::publish_version(signed(ALICE), model, spec(bob_blob)),
			Error::<Test>::NotBlobOwner
		);
		let mut no_outputs = spec(blob);
		no_outputs.outputs = tensors(vec![]);
		assert_noop!(
			Models::publish_version(signed(ALICE), model, no_outputs),
			Error::<Test>::NoOutputs
		);
		// A version cannot name itself (or a later one) as its parent.
		let mut own = spec(blob);
		own.parent = Some((model, 2));
		assert_noop!(
			Models::publish_version(signed(ALICE), model, own),
			Error::<Test>::UnknownParent
		);

		for _ in 1..MAX_VERSIONS {
			assert_ok!(Models::publish_version(signed(ALICE), model, spec(blob)));
		}
		assert_eq!(ModelEntries::<Test>::get(model).unwrap().version_count, MAX_VERSIONS);
		assert_noop!(
			Models::publish_version(signed(ALICE), model, spec(blob)),
			Error::<Test>::TooManyVersions
		);
		assert_eq!(refs(blob), MAX_VERSIONS);
	});
}

#[test]
fn a_new_owner_may_republish_the_blob_of_a_parent_in_the_same_model() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		let other = register(ALICE, "other", blob);
		assert_ok!(Models::transfer_ownership(signed(ALICE), model, BOB));
		assert_ok!(Models::accept_ownership(signed(BOB), model));

		// Alice's blob, no parent: not Bob's to use.
		assert_noop!(
			Models::publish_version(signed(BOB), model, spec(blob)),
			Error::<Test>::NotBlobOwner
		);
		// A parent in another model does not count, even with the same blob.
		assert_noop!(
			Models::publish_version(
				signed(BOB),
				model,
				spec_with(blob, |v| v.parent = Some((other, 1)))
			),
			Error::<Test>::NotBlobOwner
		);
		// A parent of this model with another blob does not count either.
		let carols = store_blob(CHARLIE, 2);
		assert_ok!(Models::transfer_ownership(signed(ALICE), other, CHARLIE));
		assert_ok!(Models::accept_ownership(signed(CHARLIE), other));
		assert_ok!(Models::publish_version(signed(CHARLIE), other, spec(carols)));
		assert_noop!(
			Models::publish_version(
				signed(CHARLIE),
				other,
				spec_with(blob, |v| v.parent = Some((other, 2)))
			),
			Error::<Test>::NotBlobOwner
		);

		// Republishing the parent's own blob with new settings is fine.
		assert_ok!(Models::publish_version(
			signed(BOB),
			model,
			spec_with(blob, |v| {
				v.parent = Some((model, 1));
				v.tolerance = Some(10);
			})
		));
		assert_eq!(refs(blob), 3);
		assert_eq!(Versions::<Test>::get(model, 2).unwrap().spec.tolerance, Some(10));
	});
}

#[test]
fn publish_version_needs_funds_for_the_deposit() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_ok!(pallet_balances::Pallet::<Test>::force_set_balance(
			RuntimeOrigin::root(),
			ALICE,
			VERSION_DEPOSIT
		));
		// Exactly the deposit is not enough: the existential deposit must stay free.
		assert_noop!(
			Models::publish_version(signed(ALICE), model, spec(blob)),
			TokenError::FundsUnavailable
		);
		assert_eq!(refs(blob), 1);
		assert_ok!(pallet_balances::Pallet::<Test>::force_set_balance(
			RuntimeOrigin::root(),
			ALICE,
			VERSION_DEPOSIT + 1
		));
		assert_ok!(Models::publish_version(signed(ALICE), model, spec(blob)));
		assert_eq!(free(ALICE), 1);
	});
}

// ---- deprecate_version ----

#[test]
fn deprecate_version_stops_new_jobs_and_keeps_the_deposit_and_reference() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert!(<Models as ModelRegistry<u64, u64>>::is_runnable(model, 1));
		let held_before = held(ALICE);

		assert_ok!(Models::deprecate_version(signed(ALICE), model, 1));

		assert_eq!(status(model, 1), VersionStatus::Deprecated);
		assert!(!<Models as ModelRegistry<u64, u64>>::is_runnable(model, 1));
		assert_eq!(held(ALICE), held_before);
		assert_eq!(refs(blob), 1);
		System::assert_last_event(Event::VersionDeprecated { model, version: 1 }.into());
	});
}

#[test]
fn deprecate_version_errors() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_ok!(Models::publish_version(signed(ALICE), model, spec(blob)));

		assert_noop!(
			Models::deprecate_version(signed(ALICE), model + 1, 1),
			Error::<Test>::UnknownModel
		);
		assert_noop!(Models::deprecate_version(signed(BOB), model, 1), Error::<Test>::NotOwner);
		assert_noop!(
			Models::deprecate_version(signed(ALICE), model, 0),
			Error::<Test>::UnknownVersion
		);
		assert_noop!(
			Models::deprecate_version(signed(ALICE), model, 3),
			Error::<Test>::UnknownVersion
		);

		assert_ok!(Models::deprecate_version(signed(ALICE), model, 1));
		assert_noop!(
			Models::deprecate_version(signed(ALICE), model, 1),
			Error::<Test>::AlreadyDeprecated
		);

		assert_ok!(<Models as ModelRegistry<u64, u64>>::mark_invalid(model, 2, 4));
		assert_noop!(
			Models::deprecate_version(signed(ALICE), model, 2),
			Error::<Test>::AlreadyDeprecated
		);
		assert_eq!(status(model, 2), VersionStatus::Invalid { code: 4 });
	});
}

// ---- ownership ----

#[test]
fn ownership_moves_with_the_deposit_once_accepted() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_ok!(Models::publish_version(signed(ALICE), model, spec(blob)));
		let deposit = META_DEPOSIT + 2 * VERSION_DEPOSIT;
		assert_eq!(held(ALICE), deposit);
		let issuance_before = issuance();

		assert_ok!(Models::transfer_ownership(signed(ALICE), model, BOB));
		// Nothing moves on the offer.
		assert_eq!(ModelEntries::<Test>::get(model).unwrap().pending_owner, Some(BOB));
		assert_eq!(ModelEntries::<Test>::get(model).unwrap().owner, ALICE);
		assert_eq!(held(ALICE), deposit);
		assert_eq!(held(BOB), 0);
		System::assert_last_event(
			Event::OwnershipTransferProposed { model, owner: ALICE, new_owner: BOB }.into(),
		);

		assert_ok!(Models::accept_ownership(signed(BOB), model));

		assert_eq!(held(ALICE), 0);
		assert_eq!(free(ALICE), INITIAL_BALANCE - BLOB_DEPOSIT);
		assert_eq!(held(BOB), deposit);
		assert_eq!(free(BOB), INITIAL_BALANCE - deposit);
		assert_eq!(issuance(), issuance_before);
		let info = ModelEntries::<Test>::get(model).unwrap();
		assert_eq!(info.owner, BOB);
		assert_eq!(info.pending_owner, None);
		assert_eq!(info.deposit, deposit);
		// The blob stays Alice's, referenced by both versions.
		assert_eq!(refs(blob), 2);
		assert_eq!(blob_held(ALICE), BLOB_DEPOSIT);
		System::assert_last_event(
			Event::OwnershipTransferred { model, old_owner: ALICE, new_owner: BOB, deposit }.into(),
		);

		// The new owner is the owner for everything.
		assert_noop!(Models::deprecate_version(signed(ALICE), model, 1), Error::<Test>::NotOwner);
		assert_ok!(Models::deprecate_version(signed(BOB), model, 1));
		let bob_blob = store_blob(BOB, 2);
		assert_ok!(Models::publish_version(signed(BOB), model, spec(bob_blob)));
		assert_eq!(<Models as ModelRegistry<u64, u64>>::royalty(model, 1, 1_000), Some((BOB, 100)));
		assert_eq!(<Models as ModelRegistry<u64, u64>>::version(model, 2).unwrap().owner, BOB);
	});
}

#[test]
fn transfer_ownership_errors() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_noop!(
			Models::transfer_ownership(signed(ALICE), model + 1, BOB),
			Error::<Test>::UnknownModel
		);
		assert_noop!(Models::transfer_ownership(signed(BOB), model, BOB), Error::<Test>::NotOwner);
		assert_noop!(
			Models::transfer_ownership(signed(ALICE), model, ALICE),
			Error::<Test>::AlreadyOwner
		);
	});
}

#[test]
fn accept_ownership_errors() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_noop!(Models::accept_ownership(signed(BOB), model + 1), Error::<Test>::UnknownModel);
		assert_noop!(
			Models::accept_ownership(signed(BOB), model),
			Error::<Test>::NoPendingTransfer
		);

		assert_ok!(Models::transfer_ownership(signed(ALICE), model, BOB));
		assert_noop!(
			Models::accept_ownership(signed(CHARLIE), model),
			Error::<Test>::NotPendingOwner
		);
		assert_noop!(
			Models::accept_ownership(signed(ALICE), model),
			Error::<Test>::NotPendingOwner
		);

		// A new offer replaces the previous one.
		assert_ok!(Models::transfer_ownership(signed(ALICE), model, CHARLIE));
		assert_noop!(Models::accept_ownership(signed(BOB), model), Error::<Test>::NotPendingOwner);
		assert_ok!(Models::accept_ownership(signed(CHARLIE), model));
		assert_eq!(ModelEntries::<Test>::get(model).unwrap().owner, CHARLIE);
		assert_noop!(
			Models::accept_ownership(signed(CHARLIE), model),
			Error::<Test>::NoPendingTransfer
		);
	});
}

#[test]
fn accept_ownership_needs_the_new_owner_to_pay_the_deposit() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		let deposit = META_DEPOSIT + VERSION_DEPOSIT;
		assert_ok!(Models::transfer_ownership(signed(ALICE), model, POOR));

		// 127 > 100 - existential deposit.
		assert_noop!(Models::accept_ownership(signed(POOR), model), TokenError::FundsUnavailable);
		assert_eq!(held(ALICE), deposit);
		assert_eq!(held(POOR), 0);
		assert_eq!(free(POOR), POOR_BALANCE);
		assert_eq!(ModelEntries::<Test>::get(model).unwrap().owner, ALICE);
	});
}

#[test]
fn cancel_transfer_withdraws_the_offer() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_noop!(
			Models::cancel_transfer(signed(ALICE), model + 1),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			Models::cancel_transfer(signed(ALICE), model),
			Error::<Test>::NoPendingTransfer
		);

		assert_ok!(Models::transfer_ownership(signed(ALICE), model, BOB));
		assert_noop!(Models::cancel_transfer(signed(BOB), model), Error::<Test>::NotOwner);
		assert_ok!(Models::cancel_transfer(signed(ALICE), model));

		assert_eq!(ModelEntries::<Test>::get(model).unwrap().pending_owner, None);
		System::assert_last_event(
			Event::OwnershipTransferCancelled { model, owner: ALICE, new_owner: BOB }.into(),
		);
		assert_noop!(
			Models::accept_ownership(signed(BOB), model),
			Error::<Test>::NoPendingTransfer
		);
		assert_eq!(held(ALICE), META_DEPOSIT + VERSION_DEPOSIT);
	});
}

// ---- update_metadata ----

#[test]
fn update_metadata_adjusts_the_deposit_up_and_down_exactly() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		let issuance_before = issuance();
		let free_before = free(ALICE);

		// Longer: 16 + 3 bytes become 32 + 8.
		let long_description = "d".repeat(MAX_DESCRIPTION as usize);
		assert_ok!(Models::update_metadata(
			signed(ALICE),
			model,
			bounded(&long_description),
			bounded("GPL-3.0+")
		));
		let up = 10 + 6 + 32 + 8;
		assert_eq!(held(ALICE), up + VERSION_DEPOSIT);
		assert_eq!(free(ALICE), free_before - (up - META_DEPOSIT));
		assert_eq!(issuance(), issuance_before);
		let info = ModelEntries::<Test>::get(model).unwrap();
		assert_eq!(info.description, bounded::<ConstU32Description>(&long_description));
		assert_eq!(info.license, bounded::<ConstU32License>("GPL-3.0+"));
		assert_eq!(info.metadata_deposit, up);
		assert_eq!(info.deposit, up + VERSION_DEPOSIT);
		System::assert_last_event(Event::MetadataUpdated { model, deposit: up }.into());

		// Shorter: down to no description and no licence.
		assert_ok!(Models::update_metadata(signed(ALICE), model, bounded(""), bounded("")));
		let down = 10 + 6;
		assert_eq!(held(ALICE), down + VERSION_DEPOSIT);
		assert_eq!(free(ALICE), free_before + (META_DEPOSIT - down));
		assert_eq!(issuance(), issuance_before);
		System::assert_last_event(Event::MetadataUpdated { model, deposit: down }.into());

		// Same size: nothing moves.
		assert_ok!(Models::update_metadata(signed(ALICE), model, bounded("ab"), bounded("")));
		let (held_before, free_before) = (held(ALICE), free(ALICE));
		assert_eq!(held_before, 10 + 6 + 2 + VERSION_DEPOSIT);
		assert_ok!(Models::update_metadata(signed(ALICE), model, bounded("a"), bounded("b")));
		assert_eq!(held(ALICE), held_before);
		assert_eq!(free(ALICE), free_before);
		// The name never changes.
		assert_eq!(
			ModelEntries::<Test>::get(model).unwrap().name,
			bounded::<ConstU32Name>("resnet")
		);
	});
}

/// The description type of the mock runtime.
type ConstU32Description = frame_support::traits::ConstU32<MAX_DESCRIPTION>;
/// The licence type of the mock runtime.
type ConstU32License = frame_support::traits::ConstU32<MAX_LICENSE>;

#[test]
fn update_metadata_errors() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_noop!(
			Models::update_metadata(signed(ALICE), model + 1, bounded(""), bounded("")),
			Error::<Test>::UnknownModel
		);
		assert_noop!(
			Models::update_metadata(signed(BOB), model, bounded(""), bounded("")),
			Error::<Test>::NotOwner
		);

		// An increase needs funds.
		assert_ok!(pallet_balances::Pallet::<Test>::force_set_balance(
			RuntimeOrigin::root(),
			ALICE,
			10
		));
		let long_description = "d".repeat(MAX_DESCRIPTION as usize);
		assert_noop!(
			Models::update_metadata(signed(ALICE), model, bounded(&long_description), bounded("")),
			TokenError::FundsUnavailable
		);
		assert_eq!(held(ALICE), META_DEPOSIT + VERSION_DEPOSIT);
	});
}

// ---- remove_model ----

#[test]
fn remove_model_releases_everything() {
	build_and_execute(|| {
		let first = store_blob(ALICE, 1);
		let second = store_blob(ALICE, 2);
		let model = register(ALICE, "resnet", first);
		assert_ok!(Models::publish_version(signed(ALICE), model, spec(second)));
		assert_ok!(Models::transfer_ownership(signed(ALICE), model, BOB));
		assert_ok!(Models::deprecate_version(signed(ALICE), model, 1));
		assert_ok!(<Models as ModelRegistry<u64, u64>>::mark_invalid(model, 2, 1));
		let deposit = META_DEPOSIT + 2 * VERSION_DEPOSIT;
		assert_eq!(held(ALICE), deposit);
		let issuance_before = issuance();

		let post = Models::remove_model(signed(ALICE), model).unwrap();
		// Refunded down to the model's two versions.
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::remove_model(2)));

		assert_eq!(held(ALICE), 0);
		assert_eq!(free(ALICE), INITIAL_BALANCE - 2 * BLOB_DEPOSIT);
		assert_eq!(issuance(), issuance_before);
		assert_eq!(ModelEntries::<Test>::get(model), None);
		assert_eq!(Versions::<Test>::iter_prefix(model).count(), 0);
		assert_eq!(ModelsByName::<Test>::get(bounded::<ConstU32Name>("resnet")), None);
		assert_eq!(refs(first), 0);
		assert_eq!(refs(second), 0);
		System::assert_last_event(
			Event::ModelRemoved { model, owner: ALICE, deposit_released: deposit }.into(),
		);

		// The blobs can go now, and the name is free; ids are not reused.
		assert_ok!(Blobs::remove(signed(ALICE), second));
		assert_eq!(register(BOB, "resnet", store_blob(BOB, 3)), model + 1);
	});
}

#[test]
fn remove_model_errors() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_ok!(Models::publish_version(signed(ALICE), model, spec(blob)));

		assert_noop!(remove(ALICE, model + 1), Error::<Test>::UnknownModel);
		assert_noop!(remove(BOB, model), Error::<Test>::NotOwner);
		// Errors found before the versions are read cost the base weight only.
		assert_eq!(
			Models::remove_model(signed(BOB), model),
			Err(Error::<Test>::NotOwner.with_weight(<() as WeightInfo>::remove_model(0)))
		);

		// Both versions active, then one.
		assert_noop!(remove(ALICE, model), Error::<Test>::VersionsActive);
		assert_ok!(Models::deprecate_version(signed(ALICE), model, 2));
		assert_noop!(remove(ALICE, model), Error::<Test>::VersionsActive);
		assert_eq!(
			Models::remove_model(signed(ALICE), model),
			Err(Error::<Test>::VersionsActive.with_weight(<() as WeightInfo>::remove_model(2)))
		);
		assert_ok!(Models::deprecate_version(signed(ALICE), model, 1));

		// Open jobs keep the model.
		OpenJobs::mutate(|jobs| jobs.insert(model, 2));
		assert_eq!(MockUsage::open_jobs(model), 2);
		assert_noop!(remove(ALICE, model), Error::<Test>::ModelInUse);
		// Jobs on another model do not.
		OpenJobs::set([(model + 1, 1)].into_iter().collect());
		assert_ok!(remove(ALICE, model));
		assert_eq!(refs(blob), 0);
	});
}

// ---- ModelRegistry ----

#[test]
fn registry_views_versions() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		let version = spec(blob);
		assert_eq!(
			<Models as ModelRegistry<u64, u64>>::version(model, 1),
			Some(VersionView {
				owner: ALICE,
				blob,
				opset: version.opset,
				inputs: version.inputs.clone(),
				outputs: version.outputs.clone(),
				precision: 6,
				tolerance: Some(3),
				royalty: Permill::from_percent(10),
				status: VersionStatus::Active,
				parameters: None,
			})
		);
		assert_eq!(<Models as ModelRegistry<u64, u64>>::version(model, 2), None);
		assert_eq!(<Models as ModelRegistry<u64, u64>>::version(model + 1, 1), None);

		assert!(<Models as ModelRegistry<u64, u64>>::is_runnable(model, 1));
		assert!(!<Models as ModelRegistry<u64, u64>>::is_runnable(model, 2));
		assert!(!<Models as ModelRegistry<u64, u64>>::is_runnable(model + 1, 1));

		// Views keep every version's status.
		assert_ok!(Models::deprecate_version(signed(ALICE), model, 1));
		assert_eq!(
			<Models as ModelRegistry<u64, u64>>::version(model, 1).unwrap().status,
			VersionStatus::Deprecated
		);
	});
}

#[test]
fn registry_computes_royalties_rounding_down() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		let royalty = |fee| <Models as ModelRegistry<u64, u64>>::royalty(model, 1, fee);
		assert_eq!(royalty(1_000), Some((ALICE, 100)));
		assert_eq!(royalty(15), Some((ALICE, 1)));
		assert_eq!(royalty(9), Some((ALICE, 0)));
		assert_eq!(royalty(0), Some((ALICE, 0)));
		// Deprecated versions still pay on jobs submitted before.
		assert_ok!(Models::deprecate_version(signed(ALICE), model, 1));
		assert_eq!(royalty(1_000), Some((ALICE, 100)));
		assert_eq!(<Models as ModelRegistry<u64, u64>>::royalty(model, 2, 1_000), None);
	});
}

#[test]
fn mark_invalid_marks_once_and_keeps_the_first_code() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let model = register(ALICE, "resnet", blob);
		assert_ok!(Models::publish_version(signed(ALICE), model, spec(blob)));
		assert_ok!(Models::deprecate_version(signed(ALICE), model, 2));
		let held_before = held(ALICE);

		assert_ok!(<Models as ModelRegistry<u64, u64>>::mark_invalid(model, 1, 4));
		assert_eq!(status(model, 1), VersionStatus::Invalid { code: 4 });
		assert!(!<Models as ModelRegistry<u64, u64>>::is_runnable(model, 1));
		System::assert_last_event(Event::VersionInvalidated { model, version: 1, code: 4 }.into());

		// Again: nothing changes, no event.
		let events = System::events().len();
		assert_ok!(<Models as ModelRegistry<u64, u64>>::mark_invalid(model, 1, 2));
		assert_eq!(status(model, 1), VersionStatus::Invalid { code: 4 });
		assert_eq!(System::events().len(), events);

		// A deprecated version can be marked invalid too.
		assert_ok!(<Models as ModelRegistry<u64, u64>>::mark_invalid(model, 2, 3));
		assert_eq!(status(model, 2), VersionStatus::Invalid { code: 3 });

		assert_noop!(
			<Models as ModelRegistry<u64, u64>>::mark_invalid(model, 3, 1),
			Error::<Test>::UnknownVersion
		);
		assert_noop!(
			<Models as ModelRegistry<u64, u64>>::mark_invalid(model + 1, 1, 1),
			Error::<Test>::UnknownVersion
		);
		// Deposits and references stay until the model is removed.
		assert_eq!(held(ALICE), held_before);
		assert_eq!(refs(blob), 2);
	});
}

#[test]
fn unit_registry_and_usage_are_empty() {
	assert_eq!(<() as ModelRegistry<u64, u64>>::version(0, 1), None);
	assert!(!<() as ModelRegistry<u64, u64>>::is_runnable(0, 1));
	assert_eq!(<() as ModelRegistry<u64, u64>>::royalty(0, 1, 100), None);
	assert_eq!(
		<() as ModelRegistry<u64, u64>>::mark_invalid(0, 1, 1),
		Err(DispatchError::CannotLookup)
	);
	assert_eq!(<() as ModelUsage>::open_jobs(0), 0);
}

// ---- invariants ----

#[test]
fn deposits_of_several_models_and_owners_add_up() {
	build_and_execute(|| {
		let alice_blob = store_blob(ALICE, 1);
		let bob_blob = store_blob(BOB, 2);
		let a = register(ALICE, "a", alice_blob);
		let b = register(BOB, "b", bob_blob);
		let c = register(ALICE, "c", alice_blob);
		assert_ok!(Models::publish_version(signed(ALICE), a, spec(alice_blob)));
		assert_ok!(Models::update_metadata(signed(BOB), b, bounded("x"), bounded("")));
		assert_ok!(Models::transfer_ownership(signed(ALICE), c, BOB));
		assert_ok!(Models::accept_ownership(signed(BOB), c));
		Models::do_try_state().unwrap();

		// "a": 10 + 1 + 19 and two versions; "b": 10 + 1 + 1 and one; "c": 10 + 1 + 19 and one.
		assert_eq!(held(ALICE), 30 + 2 * VERSION_DEPOSIT);
		assert_eq!(held(BOB), 12 + VERSION_DEPOSIT + 30 + VERSION_DEPOSIT);
		assert_eq!(refs(alice_blob), 3);

		// A hold changed behind the pallet's back is caught.
		assert_ok!(<Balances as MutateHold<u64>>::hold(
			&HoldReason::ModelDeposit.into(),
			&ALICE,
			5
		));
		assert!(Models::do_try_state().is_err());
		assert_ok!(<Balances as MutateHold<u64>>::release(
			&HoldReason::ModelDeposit.into(),
			&ALICE,
			5,
			Precision::Exact
		));
	});
}

// ---- runtime API views ----

#[test]
fn model_view_lists_every_version_in_order_and_names_resolve() {
	build_and_execute(|| {
		let blobs: Vec<BlobHash> = (1..=3).map(|seed| store_blob(ALICE, seed)).collect();
		let model = register(ALICE, "resnet", blobs[0]);
		for blob in &blobs[1..] {
			assert_ok!(Models::publish_version(signed(ALICE), model, spec(*blob)));
		}
		let view = Models::model_view(model).expect("the model exists");
		assert_eq!(view.id, model);
		assert_eq!(view.model, ModelEntries::<Test>::get(model).unwrap());
		assert_eq!(view.versions.iter().map(|(n, _)| *n).collect::<Vec<_>>(), vec![1, 2, 3]);
		assert_eq!(view.versions.iter().map(|(_, v)| v.spec.blob).collect::<Vec<_>>(), blobs);
		assert!(Models::model_view(model + 1).is_none());

		assert_eq!(Models::model_id_by_name(b"resnet".to_vec()), Some(model));
		assert_eq!(Models::model_id_by_name(b"unknown".to_vec()), None);
		// Longer than any name can be: no panic, no match.
		assert_eq!(Models::model_id_by_name(vec![b'a'; 10_000]), None);
	});
}

#[test]
fn versions_may_carry_parameters_and_rounds_derive_new_ones() {
	build_and_execute(|| {
		let blob = store_blob(ALICE, 1);
		let params = store_blob(ALICE, 2);
		let bobs = store_blob(BOB, 3);
		// Parameters must be a sealed blob of the publisher's.
		let with = |p| spec_with(blob, |s| s.parameters = Some(p));
		let register_with = |p| {
			Models::register_model(
				signed(ALICE),
				bounded("logreg"),
				bounded(""),
				bounded(""),
				with(p),
			)
		};
		assert_noop!(register_with([9; 32]), Error::<Test>::UnknownBlob);
		assert_noop!(register_with(bobs), Error::<Test>::NotBlobOwner);
		assert_ok!(register_with(params));
		let model = 0;
		assert_eq!((refs(blob), refs(params)), (1, 1));
		assert_eq!(
			<Models as ModelRegistry<u64, u64>>::version(model, 1).unwrap().parameters,
			Some(params)
		);

		// A round's result: the base's spec, new parameters, the base as parent, the round.
		let trained = store_blob(ALICE, 4);
		let held_before = held(ALICE);
		let version =
			<Models as ModelRegistry<u64, u64>>::publish_derived(model, 1, trained, 7).unwrap();
		assert_eq!(version, 2);
		let entry = Versions::<Test>::get(model, 2).unwrap();
		assert_eq!(
			entry.spec,
			spec_with(blob, |s| {
				s.parameters = Some(trained);
				s.parent = Some((model, 1));
			})
		);
		assert_eq!(entry.round, Some(7));
		assert_eq!(held(ALICE), held_before + entry.deposit);
		assert_eq!((refs(blob), refs(params), refs(trained)), (2, 1, 1));
		System::assert_last_event(
			Event::VersionTrainedInRound { model, version: 2, round: 7, parameters: trained }
				.into(),
		);
		assert_noop!(
			<Models as ModelRegistry<u64, u64>>::publish_derived(model, 9, trained, 7),
			Error::<Test>::UnknownVersion
		);
		assert_noop!(
			<Models as ModelRegistry<u64, u64>>::publish_derived(model, 1, [8; 32], 7),
			Error::<Test>::BlobNotSealed
		);
		// A child may reuse its parent's parameters whoever owns them.
		assert_ok!(Models::publish_version(
			signed(ALICE),
			model,
			spec_with(blob, |s| {
				s.parameters = Some(trained);
				s.parent = Some((model, 2));
			})
		));
		assert_eq!(refs(trained), 2);

		// Removing the model drops every reference.
		for v in 1..=3 {
			assert_ok!(Models::deprecate_version(signed(ALICE), model, v));
		}
		assert_ok!(remove(ALICE, model));
		assert_eq!((refs(blob), refs(params), refs(trained)), (0, 0, 0));
	});
}
