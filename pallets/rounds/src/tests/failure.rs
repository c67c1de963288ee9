//! Tests of rounds that fail and give everything back.

use super::*;

#[test]
fn rounds_fail_cleanly_when_aggregation_fails_or_accepts_too_little() {
	build_and_execute(|| {
		let start = |min| {
			let round = create(min);
			assert_ok!(join_private(ANN, round, 100));
			assert_ok!(join_private(BEN, round, 100));
			round
		};
		let (a, b, c) = (start(1), start(2), start(1));
		System::set_block_number(JOIN_UNTIL + 1);
		for round in [a, b, c] {
			reveal_all(round);
		}
		for round in [a, b] {
			assert_ok!(MosaicRounds::aggregate(signed(ANN), round));
		}
		// The aggregation job failed.
		MosaicRounds::job_ended(aggregation_job(a), JobEnd::Failed);
		assert_ok!(MosaicRounds::finalize(signed(ANN), a));
		assert_eq!(status(a), RoundStatus::Failed(RoundFailure::AggregationFailed));
		// One update accepted, two needed.
		let combined = stored(OWNER, 5);
		settle(aggregation_job(b), combined, vec![false, true]);
		assert_ok!(MosaicRounds::finalize(signed(ANN), b));
		assert_eq!(status(b), RoundStatus::Failed(RoundFailure::TooFewAccepted));
		assert_eq!(refs(combined), 0);
		// The jobs pallet refuses the aggregation job.
		JobsRefuse::set(true);
		assert_ok!(MosaicRounds::aggregate(signed(ANN), c));
		assert_eq!(status(c), RoundStatus::Failed(RoundFailure::AggregationNotSubmitted));

		assert!(Published::get().is_empty());
		assert!(Owed::get().is_empty());
		assert!(Recorded::get().is_empty());
		assert_all_released(&[ANN, BEN]);
		// Only the two submitted aggregation jobs took their escrows from the budgets.
		assert_eq!(Balances::balance(&OWNER), INITIAL - 2 * ESCROW);
		assert_eq!(Balances::balance(&ANN), INITIAL);
		// Ends of unknown jobs are ignored.
		MosaicRounds::job_ended(77, JobEnd::Failed);
	});
}

/// A round whose combined update cannot be published (whatever the registry's reason) still
/// pays the data owners whose updates were accepted: all the budget left, the owner's royalty
/// included. The creator gets back only the rounding rest. (Without public shards, private
/// shards weigh alike, whatever rows they declared.)
#[test]
fn a_round_whose_version_is_not_published_pays_its_data_owners() {
	build_and_execute(|| {
		let round = create(1);
		assert_ok!(join_private(ANN, round, 100));
		assert_ok!(join_private(BEN, round, 300));
		System::set_block_number(JOIN_UNTIL + 1);
		reveal_all(round);
		assert_ok!(MosaicRounds::aggregate(signed(CAL), round));
		let combined = stored(OWNER, 5);
		settle(aggregation_job(round), combined, vec![true, true]);
		PublishRefused::set(true);
		assert_ok!(MosaicRounds::finalize(signed(CAL), round));

		assert_eq!(status(round), RoundStatus::Failed(RoundFailure::NotPublished));
		let left = BUDGET - ESCROW;
		let owed = |who| Owed::get().get(&who).copied().unwrap_or(0);
		assert_eq!((owed(ANN), owed(BEN), owed(OWNER)), (left / 2, left / 2, 0));
		let refunded = left - 2 * (left / 2);
		assert!(events().contains(&Event::RoundFailed {
			round,
			reason: RoundFailure::NotPublished,
			refunded
		}));
		assert_eq!(refs(combined), 0);
		assert!(Published::get().is_empty());
		assert_all_released(&[ANN, BEN]);
	});
}
