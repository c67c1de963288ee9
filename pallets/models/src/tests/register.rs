//! Tests of `register_model` and the checks every version passes.

use super::*;

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

		// Still uploading: no blob yet.
		let uploading = blake2_256(&data(20, 3));
		assert_ok!(Blobs::begin_upload(signed(ALICE), uploading, 20));
		assert_noop!(register_err(ALICE, "m", spec(uploading)), Error::<Test>::UnknownBlob);

		// Registered by URI, larger than the model limit.
		let remote = [7u8; 32];
		let too_large = MAX_MODEL_BLOB + 1;
		assert_ok!(Blobs::register_uri(signed(ALICE), remote, too_large, bounded("ipfs://bafy")));
		assert_noop!(register_err(ALICE, "m", spec(remote)), Error::<Test>::ModelTooLarge);

		// Too large, and the largest allowed.
		let too_large = store_blob_of(ALICE, MAX_MODEL_BLOB as usize + 1, 5);
		assert_noop!(register_err(ALICE, "m", spec(too_large)), Error::<Test>::ModelTooLarge);
		let largest = store_blob_of(ALICE, MAX_MODEL_BLOB as usize, 6);
		assert_ok!(register_err(ALICE, "m", spec(largest)));
		assert_eq!(refs(largest), 1);
		assert_eq!(refs(too_large), 0);
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

#[test]
fn a_model_registered_by_uri_is_referenced_and_taken_over() {
	build_and_execute(|| {
		// Bob registers the bytes by URI; Alice builds a model on them (in one batch in real
		// use, see the blobs pallet): she takes the registration over, as a sealed blob.
		let remote = [7u8; 32];
		assert_ok!(Blobs::register_uri(signed(BOB), remote, MAX_MODEL_BLOB, bounded("ipfs://x")));
		let bob_held = blob_held(BOB);
		assert!(bob_held > 0);
		assert_ok!(register_err(ALICE, "big", spec(remote)));
		assert_eq!(refs(remote), 1);
		assert_eq!(blob_held(BOB), 0, "Bob's deposit released");
		assert_eq!(blob_held(ALICE), bob_held, "Alice holds it now");
		assert_eq!(<Blobs as BlobInspect<u64>>::blob(&remote).map(|b| b.owner), Some(ALICE));

		// Referenced, the registration can be neither removed nor replaced by another URI.
		assert_noop!(
			Blobs::remove(signed(ALICE), remote),
			pallet_mosaic_blobs::Error::<Test>::InUse
		);
		assert_noop!(
			Blobs::register_uri(signed(BOB), remote, MAX_MODEL_BLOB, bounded("ipfs://evil")),
			pallet_mosaic_blobs::Error::<Test>::AlreadyExists
		);
	});
}
