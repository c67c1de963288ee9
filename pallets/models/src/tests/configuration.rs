//! Tests of the configuration: integrity, deposits, names and origins.

use super::*;

#[test]
fn integrity_test_passes() {
	build_and_execute(<Models as Hooks<u64>>::integrity_test);
}

#[test]
fn deposits_follow_the_config() {
	build_and_execute(|| {
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
