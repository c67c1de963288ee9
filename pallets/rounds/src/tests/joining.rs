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
		assert_noop!(join_private(POOR, round, 10), Error::<Test>::InsufficientBalance);
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
		assert_noop!(join_private(ANN, round, 10), Error::<Test>::AlreadyJoined);
		assert_ok!(join_private(BEN, round, 80));
		assert_eq!(refs(update(BEN)), 0, "a committed update is referenced once revealed");
		assert_eq!(Rounds::<Test>::get(round).unwrap().training, 1);
		assert!(events().contains(&Event::ShardJoined {
			round,
			shard: 1,
			owner: BEN,
			rows: 80,
			job: None
		}));

		// Bounded shards, and a joining period.
		assert_ok!(join_private(CAL, round, 1));
		assert_ok!(join_private(DIA, round, 1));
		let extra = stored(POOR, 1);
		Balances::set_balance(&POOR, 1_000);
		assert_ok!(MosaicRounds::join_private(
			signed(POOR),
			round,
			update_commitment(round, &extra, &POOR),
			1
		));
		assert_noop!(
			MosaicRounds::join_private(signed(OWNER), round, [2; 32], 1),
			Error::<Test>::TooManyShards
		);
		let other = create(1);
		System::set_block_number(JOIN_UNTIL + 1);
		assert_noop!(join_private(ANN, other, 10), Error::<Test>::JoiningClosed);
	});
}

/// A private shard joins with a commitment and reveals its update once joining has closed,
/// within the reveal period: the bytes must match the commitment (of this round and this
/// owner), be sealed, and not be revealed by another shard of the round already. Whose blob it
/// is does not matter.
#[test]
fn private_updates_are_revealed_after_joining_closes() {
	build_and_execute(|| {
		let round = create(1);
		assert_ok!(join_private(ANN, round, 10));
		// Ben commits to Ann's bytes, which he cannot know yet; Cal to an unstored blob.
		assert_ok!(MosaicRounds::join_private(
			signed(BEN),
			round,
			update_commitment(round, &update(ANN), &BEN),
			10
		));
		assert_ok!(MosaicRounds::join_private(
			signed(CAL),
			round,
			update_commitment(round, &[7; 32], &CAL),
			10
		));
		assert_noop!(
			MosaicRounds::reveal_update(signed(ANN), round, update(ANN)),
			Error::<Test>::NotRevealing
		);
		System::set_block_number(JOIN_UNTIL + 1);
		assert_noop!(
			MosaicRounds::reveal_update(signed(DIA), round, update(DIA)),
			Error::<Test>::NotRevealing
		);
		assert_noop!(
			MosaicRounds::reveal_update(signed(ANN), round, update(BEN)),
			Error::<Test>::WrongReveal
		);
		assert_ok!(MosaicRounds::reveal_update(signed(ANN), round, update(ANN)));
		assert!(events().contains(&Event::UpdateRevealed { round, shard: 0, update: update(ANN) }));
		assert_eq!(refs(update(ANN)), 1);
		assert_noop!(
			MosaicRounds::reveal_update(signed(ANN), round, update(ANN)),
			Error::<Test>::NotRevealing
		);
		assert_noop!(
			MosaicRounds::reveal_update(signed(BEN), round, update(ANN)),
			Error::<Test>::DuplicateUpdate
		);
		assert_noop!(
			MosaicRounds::reveal_update(signed(CAL), round, [7; 32]),
			Error::<Test>::BlobUnavailable
		);
		assert_noop!(MosaicRounds::aggregate(signed(CAL), round), Error::<Test>::RevealOpen);

		// After the reveal period the unrevealed shards are left out.
		System::set_block_number(JOIN_UNTIL + UPDATE_REVEAL_PERIOD + 1);
		assert_noop!(
			MosaicRounds::reveal_update(signed(CAL), round, [7; 32]),
			Error::<Test>::NotRevealing
		);
		assert_ok!(MosaicRounds::aggregate(signed(CAL), round));
		let (_, bytes) = StoredBlobs::get().pop().unwrap();
		let manifest = <AggregationManifest as codec::Decode>::decode(&mut &bytes[..]).unwrap();
		assert_eq!(manifest.updates.len(), 1, "only Ann's update");
	});
}
