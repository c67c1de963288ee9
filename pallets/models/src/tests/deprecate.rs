//! Tests of `deprecate_version`.

use super::*;

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
