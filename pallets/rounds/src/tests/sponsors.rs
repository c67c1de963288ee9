//! Tests of rounds a sponsor funds on a base its owner opened.

use super::*;

#[test]
fn a_sponsor_funds_a_round_on_an_opened_base_and_its_owner_is_paid() {
	build_and_execute(|| {
		let sponsor = |budget| {
			MosaicRounds::create_round(
				signed(ANN),
				0,
				1,
				VALIDATION,
				settings(1),
				budget,
				JOIN_UNTIL,
			)
		};
		assert_noop!(sponsor(BUDGET), Error::<Test>::BaseNotOpen);
		assert_noop!(
			MosaicRounds::set_base_open(signed(ANN), 0, 1, true),
			Error::<Test>::NotModelOwner
		);
		assert_noop!(
			MosaicRounds::set_base_open(signed(OWNER), 0, 9, true),
			Error::<Test>::VersionNotRunnable
		);
		assert_ok!(MosaicRounds::set_base_open(signed(OWNER), 0, 1, true));
		assert_eq!(OpenBases::<Test>::get(0, 1), Some(OWNER));
		assert!(events().contains(&Event::BaseOpened { model: 0, version: 1, open: true }));

		// A budget for the aggregation and one training job.
		assert_noop!(sponsor(ESCROW - 1), Error::<Test>::BudgetTooSmall);
		let round = NextRoundId::<Test>::get();
		assert_ok!(sponsor(2 * ESCROW + 50));
		assert_eq!(held(HoldReason::RoundBudget, ANN), 2 * ESCROW + 50);
		assert_ok!(MosaicRounds::join_public(signed(BEN), round, dataset(BEN), 100));
		assert_noop!(
			MosaicRounds::join_public(signed(CAL), round, dataset(CAL), 100),
			Error::<Test>::BudgetExhausted
		);
		assert_ok!(join_private(CAL, round, 300));
		assert_eq!(Jobs::get()[0].0, ANN, "the sponsor is the jobs' requester");

		let ben = stored(ANN, 1);
		settle(0, ben, vec![]);
		System::set_block_number(JOIN_UNTIL + 1);
		reveal_all(round);
		assert_ok!(MosaicRounds::aggregate(signed(BEN), round));
		assert_eq!(held(HoldReason::RoundBudget, ANN), 50);
		settle(aggregation_job(round), stored(ANN, 2), vec![true, true]);
		assert_ok!(MosaicRounds::finalize(signed(BEN), round));
		assert_eq!(Published::get().len(), 1, "the owner's model gets the version");
		// 50 left: the owner's 20%, then 40 by rows 100:100 (CAL's declared 300 cut to the
		// public shard's measured 100).
		assert_eq!([OWNER, BEN, CAL].map(|who| Owed::get()[&who]), [10, 20, 20]);
		assert!(Recorded::get().contains(&(
			OWNER,
			ContributionKind::Model,
			Subject::Round(round),
			MODEL_POINTS,
			stored(ANN, 2)
		)));
		assert_all_released(&[ANN, BEN, CAL]);
		assert_eq!(held(HoldReason::RoundBudget, ANN), 0);

		// Consent is the owner's who gave it: a new owner, or closing, takes it back.
		Versions::mutate(|v| v.get_mut(&(0, 1)).unwrap().owner = DIA);
		assert_noop!(sponsor(BUDGET), Error::<Test>::BaseNotOpen);
		Versions::mutate(|v| v.get_mut(&(0, 1)).unwrap().owner = OWNER);
		assert_ok!(MosaicRounds::set_base_open(signed(OWNER), 0, 1, false));
		assert_noop!(sponsor(BUDGET), Error::<Test>::BaseNotOpen);
		assert_eq!(OpenBases::<Test>::get(0, 1), None);
	});
}
