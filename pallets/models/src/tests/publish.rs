//! Tests of `publish_version`.

use super::*;

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

/// Owning bytes grants nothing: a version may use anyone's blob. One nobody references yet is
/// taken over, deposit and all, so that nobody's deposit stays held by someone else's model;
/// one in use stays its owner's.
#[test]
fn a_version_may_use_anyones_blob_and_takes_over_an_unreferenced_one() {
	build_and_execute(|| {
		let bobs = store_blob(BOB, 2);
		let deposit = BLOB_DEPOSIT;
		assert_eq!(blob_held(BOB), deposit);
		let model = register(ALICE, "resnet", bobs);
		assert_eq!(refs(bobs), 1);
		assert_eq!(<Blobs as BlobInspect<u64>>::blob(&bobs).unwrap().owner, ALICE);
		assert_eq!((blob_held(ALICE), blob_held(BOB)), (deposit, 0));
		System::assert_has_event(
			pallet_mosaic_blobs::Event::BlobAdopted {
				hash: bobs,
				previous_owner: BOB,
				deposit_released: deposit,
				owner: ALICE,
				deposit,
			}
			.into(),
		);

		// In use now: a second version by another owner references it and takes nothing.
		assert_ok!(Models::transfer_ownership(signed(ALICE), model, CHARLIE));
		assert_ok!(Models::accept_ownership(signed(CHARLIE), model));
		assert_ok!(Models::publish_version(signed(CHARLIE), model, spec(bobs)));
		assert_eq!(refs(bobs), 2);
		assert_eq!(<Blobs as BlobInspect<u64>>::blob(&bobs).unwrap().owner, ALICE);
		assert_eq!(blob_held(CHARLIE), 0);
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
