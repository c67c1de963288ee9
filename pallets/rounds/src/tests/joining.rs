//! Tests of joining a round with public and private shards.

use super::*;

#[test]
fn joining_checks_the_shard_and_the_round() {
	build_and_execute(|| {
		let round = create(1);
		assert_noop!(
			MosaicRounds::join_public(signed(ANN), 9, dataset(ANN), 10),
			Error::<Test>::UnknownRound
		);
		assert_noop!(
			MosaicRounds::join_public(signed(ANN), round, [7; 32], 10),
			Error::<Test>::BlobUnavailable
		);
		assert_noop!(
			MosaicRounds::join_public(signed(ANN), round, dataset(ANN), 0),
			Error::<Test>::NoRows
		);
		assert_noop!(
			MosaicRounds::join_private(signed(ANN), round, update(BEN), 10),
			Error::<Test>::NotBlobOwner
		);
		assert_noop!(
			MosaicRounds::join_private(signed(ANN), round, [7; 32], 10),
			Error::<Test>::BlobUnavailable
		);
		assert_noop!(
			MosaicRounds::join_private(signed(POOR), round, update(POOR), 10),
			Error::<Test>::InsufficientBalance
		);
		JobsRefuse::set(true);
		assert_noop!(
			MosaicRounds::join_public(signed(ANN), round, dataset(ANN), 10),
			DispatchError::Other("jobs refuse")
		);
		JobsRefuse::set(false);

		// A public shard's training job, from the base parameters: the budget pays its
		// escrow, the joiner only the shard deposit.
		let ann_before = Balances::balance(&ANN);
		assert_ok!(MosaicRounds::join_public(signed(ANN), round, dataset(ANN), 120));
		assert_eq!(Balances::balance(&ANN), ann_before - SHARD_DEPOSIT);
		assert_eq!(held(HoldReason::RoundBudget, OWNER), BUDGET - ESCROW);
		assert_eq!(Balances::balance(&ESCROWS), 1 + ESCROW);
		assert_eq!(Rounds::<Test>::get(round).unwrap().spent, ESCROW);
		assert_eq!(
			Jobs::get(),
			vec![(
				OWNER,
				0,
				1,
				RoundJob::Training {
					dataset: dataset(ANN),
					parameters: BASE_PARAMS,
					epochs: 5,
					batch_size: 32
				},
				2,
				20,
				31
			)]
		);
		assert!(MosaicRounds::owns(0), "the round's jobs are the round's to end");
		assert!(!MosaicRounds::owns(1));
		assert_eq!(held(HoldReason::ShardDeposit, ANN), SHARD_DEPOSIT);
		assert_noop!(
			MosaicRounds::join_private(signed(ANN), round, update(ANN), 10),
			Error::<Test>::AlreadyJoined
		);
		assert_ok!(MosaicRounds::join_private(signed(BEN), round, update(BEN), 80));
		assert_eq!(refs(update(BEN)), 1);
		assert_eq!(Rounds::<Test>::get(round).unwrap().training, 1);
		assert!(events().contains(&Event::ShardJoined {
			round,
			shard: 1,
			owner: BEN,
			rows: 80,
			job: None
		}));

		// Bounded shards, and a joining period.
		assert_ok!(MosaicRounds::join_private(signed(CAL), round, update(CAL), 1));
		assert_ok!(MosaicRounds::join_private(signed(DIA), round, update(DIA), 1));
		let extra = stored(POOR, 1);
		Balances::set_balance(&POOR, 1_000);
		assert_ok!(MosaicRounds::join_private(signed(POOR), round, extra, 1));
		assert_noop!(
			MosaicRounds::join_private(signed(OWNER), round, stored(OWNER, 2), 1),
			Error::<Test>::TooManyShards
		);
		let other = create(1);
		System::set_block_number(JOIN_UNTIL + 1);
		assert_noop!(
			MosaicRounds::join_private(signed(ANN), other, update(ANN), 10),
			Error::<Test>::JoiningClosed
		);
	});
}
