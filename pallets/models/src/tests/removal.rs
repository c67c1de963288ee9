//! Tests of `remove_model`.

use super::*;

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
