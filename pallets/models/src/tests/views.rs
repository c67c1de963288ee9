//! Tests of the runtime API views and of versions trained in rounds.

use super::*;

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
		// Parameters must be a sealed blob (anyone's).
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
