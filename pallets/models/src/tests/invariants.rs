//! Tests of the invariants `do_try_state` checks.

use super::*;

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
