//! Tests of `update_metadata`.

use super::*;

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
