//! Tests of the two-step ownership transfer.

use super::*;

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
