//! Tests of rounds that fail: what goes back to the creator, and what goes to the data owners
//! who did their work.

use super::*;

#[test]
fn rounds_fail_cleanly_when_the_aggregation_fails_or_is_refused() {
	build_and_execute(|| {
		let start = || {
			let round = create(1);
			assert_ok!(join_private(ANN, round, 100));
			assert_ok!(join_private(BEN, round, 100));
			round
		};
		let (a, c) = (start(), start());
		System::set_block_number(JOIN_UNTIL + 1);
		for round in [a, c] {
			reveal_all(round);
		}
		// The aggregation job failed.
		assert_ok!(MosaicRounds::aggregate(signed(ANN), a));
		MosaicRounds::job_ended(aggregation_job(a), JobEnd::Failed);
		assert_ok!(MosaicRounds::finalize(signed(ANN), a));
		assert_eq!(status(a), RoundStatus::Failed(RoundFailure::AggregationFailed));
		// The jobs pallet refuses the aggregation job.
		JobsRefuse::set(true);
		assert_ok!(MosaicRounds::aggregate(signed(ANN), c));
		assert_eq!(status(c), RoundStatus::Failed(RoundFailure::AggregationNotSubmitted));

		assert!(Published::get().is_empty());
		assert!(Owed::get().is_empty());
		assert!(Recorded::get().is_empty());
		assert_all_released(&[ANN, BEN]);
		// Only the submitted aggregation job took its escrow from the budgets.
		assert_eq!(Balances::balance(&OWNER), INITIAL - ESCROW);
		assert_eq!(Balances::balance(&ANN), INITIAL);
		// Ends of unknown jobs are ignored.
		MosaicRounds::job_ended(77, JobEnd::Failed);
	});
}

/// Too few accepted updates fail the round, but the accepted shards' owners are paid the
/// rest of the budget all the same (else a creator could reject updates on purpose, with
/// sybils' bad ones, and keep its budget), and the combined parameters leave the creator's
/// blobs unless something else references them.
#[test]
fn a_round_with_too_few_accepted_updates_pays_the_accepted_ones() {
	build_and_execute(|| {
		let round = create(2);
		assert_ok!(join_private(ANN, round, 100));
		assert_ok!(join_private(BEN, round, 100));
		System::set_block_number(JOIN_UNTIL + 1);
		reveal_all(round);
		assert_ok!(MosaicRounds::aggregate(signed(CAL), round));
		let combined = stored(OWNER, 5);
		settle(aggregation_job(round), combined, vec![false, true]);
		assert_ok!(MosaicRounds::finalize(signed(CAL), round));

		assert_eq!(status(round), RoundStatus::Failed(RoundFailure::TooFewAccepted));
		let left = BUDGET - ESCROW;
		assert_eq!(Owed::get().into_iter().collect::<Vec<_>>(), vec![(BEN, left)]);
		assert!(events().contains(&Event::RoundFailed {
			round,
			reason: RoundFailure::TooFewAccepted,
			refunded: 0
		}));
		assert!(!SealedBlobs::get().contains_key(&combined), "the creator kept the parameters");
		assert!(Published::get().is_empty());
		assert_all_released(&[ANN, BEN]);
		assert_eq!(Balances::balance(&OWNER), INITIAL - BUDGET);
	});
}

/// Combined parameters that are not the creator's blob (the same bytes stored before by
/// someone else), or that something else references, stay where they are.
#[test]
fn a_failed_round_leaves_blobs_it_does_not_own_alone() {
	build_and_execute(|| {
		let (a, b) = (create(2), create(2));
		for round in [a, b] {
			assert_ok!(join_private(ANN, round, 100));
			assert_ok!(join_private(BEN, round, 100));
		}
		System::set_block_number(JOIN_UNTIL + 1);
		let (theirs, referenced) = (stored(CAL, 6), stored(OWNER, 7));
		assert_ok!(MockBlobs::add_ref(&referenced));
		for (round, combined) in [(a, theirs), (b, referenced)] {
			reveal_all(round);
			assert_ok!(MosaicRounds::aggregate(signed(CAL), round));
			settle(aggregation_job(round), combined, vec![false, false]);
			assert_ok!(MosaicRounds::finalize(signed(CAL), round));
			assert_eq!(status(round), RoundStatus::Failed(RoundFailure::TooFewAccepted));
		}
		assert_eq!(SealedBlobs::get().get(&theirs), Some(&(CAL, 0)));
		assert_eq!(SealedBlobs::get().get(&referenced), Some(&(OWNER, 1)));
		assert!(Owed::get().is_empty(), "nobody was accepted");
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
		assert!(!SealedBlobs::get().contains_key(&combined), "the creator kept the parameters");
		assert!(Published::get().is_empty());
		assert_all_released(&[ANN, BEN]);
	});
}
