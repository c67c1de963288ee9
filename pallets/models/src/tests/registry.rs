//! Tests of the registry as other pallets see it (`ModelRegistry`, `ModelUsage`).

use super::*;

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
