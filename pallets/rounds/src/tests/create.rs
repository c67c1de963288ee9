//! Tests of opening a round: its checks and its budget.

use super::*;

#[test]
fn create_round_checks_everything_and_holds_the_budget() {
	build_and_execute(|| {
		let open = |who, settings, budget, until| {
			MosaicRounds::create_round(signed(who), 0, 1, VALIDATION, settings, budget, until)
		};
		assert_noop!(open(ANN, settings(1), BUDGET, JOIN_UNTIL), Error::<Test>::BaseNotOpen);
		assert_noop!(
			MosaicRounds::create_round(
				signed(OWNER),
				0,
				2,
				VALIDATION,
				settings(1),
				BUDGET,
				JOIN_UNTIL
			),
			Error::<Test>::VersionNotRunnable
		);
		assert_noop!(
			MosaicRounds::create_round(
				signed(OWNER),
				0,
				1,
				[7; 32],
				settings(1),
				BUDGET,
				JOIN_UNTIL
			),
			Error::<Test>::ValidationUnavailable
		);
		for bad in [
			RoundSettings { epochs: 0, ..settings(1) },
			RoundSettings { batch_size: 0, ..settings(1) },
			RoundSettings { clip_milli: 0, ..settings(1) },
			RoundSettings { job_period: 0, ..settings(1) },
			RoundSettings { job_period: JOB_PERIODS.0 - 1, ..settings(1) },
			RoundSettings { job_period: JOB_PERIODS.1 + 1, ..settings(1) },
			settings(0),
			settings(MAX_SHARDS + 1),
		] {
			assert_noop!(open(OWNER, bad, BUDGET, JOIN_UNTIL), Error::<Test>::BadSettings);
		}
		assert_noop!(open(OWNER, settings(1), BUDGET, 1), Error::<Test>::BadJoinPeriod);
		assert_noop!(open(OWNER, settings(1), BUDGET, 2 + MAX_JOIN), Error::<Test>::BadJoinPeriod);
		assert_noop!(
			open(OWNER, settings(1), INITIAL + 1, JOIN_UNTIL),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			open(OWNER, settings(1), ESCROW - 1, JOIN_UNTIL),
			Error::<Test>::BudgetTooSmall
		);
		Versions::mutate(|v| v.get_mut(&(0, 1)).unwrap().parameters = None);
		assert_noop!(open(OWNER, settings(1), BUDGET, JOIN_UNTIL), Error::<Test>::NoBaseParameters);
		Versions::mutate(|v| v.get_mut(&(0, 1)).unwrap().parameters = Some(BASE_PARAMS));

		let round = create(2);
		assert_eq!(round, 0);
		assert_eq!(held(HoldReason::RoundBudget, OWNER), BUDGET);
		assert_eq!(refs(VALIDATION), 1);
		let info = Rounds::<Test>::get(round).unwrap();
		assert_eq!(info.base_parameters, BASE_PARAMS);
		assert_eq!(info.status, RoundStatus::Open);
		assert_eq!(
			events(),
			vec![Event::RoundCreated {
				round,
				creator: OWNER,
				model: 0,
				base: 1,
				budget: BUDGET,
				join_until: JOIN_UNTIL
			}]
		);
	});
}
