//! Tests of rounds that complete: aggregation, payout by rows, rejected and dropped shards.

use super::*;

#[test]
fn a_round_completes_pays_by_rows_and_excludes_a_rejected_update() {
	build_and_execute(|| {
		let round = create(2);
		assert_ok!(MosaicRounds::join_public(signed(ANN), round, dataset(ANN), 300));
		assert_ok!(MosaicRounds::join_public(signed(BEN), round, dataset(BEN), 100));
		assert_ok!(join_private(CAL, round, 100));
		assert_ok!(join_private(DIA, round, 500));

		System::set_block_number(JOIN_UNTIL + 1);
		assert_noop!(MosaicRounds::aggregate(signed(DIA), round), Error::<Test>::TrainingRunning);
		let (ann, ben) = (stored(ANN, 1), stored(BEN, 2));
		settle(0, ann, vec![]);
		assert_eq!(refs(ann), 1, "the round references a trained update");
		settle(1, ben, vec![]);
		assert!(events().contains(&Event::ShardTrained {
			round,
			shard: 0,
			update: ann,
			rows: 300
		}));
		MosaicRounds::job_ended(1, JobEnd::Failed);
		assert_eq!(Rounds::<Test>::get(round).unwrap().training, 0, "each job ends once");
		assert_noop!(MosaicRounds::finalize(signed(OWNER), round), Error::<Test>::NotAggregated);
		assert_noop!(MosaicRounds::aggregate(signed(DIA), round), Error::<Test>::RevealOpen);
		reveal_all(round);

		// Anyone starts the aggregation; the budget pays it.
		assert_ok!(MosaicRounds::aggregate(signed(DIA), round));
		assert_eq!(Rounds::<Test>::get(round).unwrap().spent, 3 * ESCROW);
		let job = aggregation_job(round);
		let (owner, bytes) = StoredBlobs::get().pop().unwrap();
		assert_eq!(owner, OWNER);
		let manifest = sp_io::hashing::blake2_256(&bytes);
		let entry = |parameters, weight, checked| ManifestEntry { parameters, weight, checked };
		assert_eq!(
			<AggregationManifest as codec::Decode>::decode(&mut &bytes[..]).unwrap(),
			AggregationManifest {
				// Every update is checked; DIA's declared 500 rows are cut to the largest
				// public shard's measured 300.
				updates: vec![
					entry(ann, 300, true),
					entry(ben, 100, true),
					entry(update(CAL), 100, true),
					entry(update(DIA), 300, true)
				],
				clip_milli: 4_000,
				trim: 1,
			}
		);
		assert_eq!(
			Jobs::get()[job as usize],
			(
				OWNER,
				0,
				1,
				RoundJob::Aggregation { parameters: BASE_PARAMS, manifest, validation: VALIDATION },
				2,
				20,
				41
			)
		);
		assert_noop!(MosaicRounds::aggregate(signed(DIA), round), Error::<Test>::NotOpen);
		assert!(events().contains(&Event::ShardRowsCapped { round, shard: 3, rows: 300 }));
		assert!(!events().iter().any(|e| matches!(e, Event::ShardRowsCapped { shard: 2, .. })));

		// The quorum rejects the private update of DIA.
		let combined = stored(OWNER, 3);
		settle(job, combined, vec![true, true, true, false]);
		assert!(events().contains(&Event::RoundAggregated { round, parameters: Some(combined) }));
		let owner_before = Balances::total_balance(&OWNER);
		assert_ok!(MosaicRounds::finalize(signed(ANN), round));

		assert_eq!(Published::get(), vec![(0, 1, combined, round)]);
		assert_eq!(status(round), RoundStatus::Completed { version: 2 });
		// Of 1000, three jobs took 255. Of the 745 left, the owner's 20% royalty is 149; the
		// other 596 are split over 500 accepted rows: 357, 119, 119 (rounded down); DIA
		// nothing; 1 goes back.
		assert_eq!(
			[OWNER, ANN, BEN, CAL, DIA].map(|who| Owed::get().get(&who).copied().unwrap_or(0)),
			[149, 357, 119, 119, 0]
		);
		assert_eq!(Balances::balance(&POT), 1 + 744);
		assert_eq!(Balances::total_balance(&OWNER), owner_before - 744);
		let recorded = Recorded::get();
		assert_eq!(recorded.len(), 4);
		assert!(recorded.contains(&(ANN, ContributionKind::Data, Subject::Round(round), 60, ann)));
		assert!(recorded.contains(&(
			CAL,
			ContributionKind::Data,
			Subject::Round(round),
			20,
			update(CAL)
		)));
		assert!(recorded.contains(&(
			OWNER,
			ContributionKind::Model,
			Subject::Round(round),
			MODEL_POINTS,
			combined
		)));
		assert!(!recorded.iter().any(|r| r.0 == DIA));
		let evs = events();
		assert!(evs.contains(&Event::UpdateRejected { round, shard: 3, owner: DIA }));
		assert!(evs.contains(&Event::OwnerRewarded { round, owner: OWNER, amount: 149 }));
		assert!(evs.contains(&Event::RoundCompleted {
			round,
			version: 2,
			compute: 3 * ESCROW,
			paid: 744,
			refunded: 1
		}));
		assert_all_released(&[ANN, BEN, CAL, DIA]);
		assert_eq!((refs(ann), refs(ben), refs(combined)), (0, 0, 0));
		assert_eq!(Shards::<Test>::iter_prefix(round).count(), 0);
		assert_eq!(Joined::<Test>::iter_prefix(round).count(), 0);
		assert_noop!(MosaicRounds::finalize(signed(ANN), round), Error::<Test>::NotAggregated);
	});
}

#[test]
fn a_failed_shard_is_dropped_and_the_round_completes_with_the_rest() {
	build_and_execute(|| {
		let round = create(2);
		assert_ok!(MosaicRounds::join_public(signed(ANN), round, dataset(ANN), 100));
		assert_ok!(MosaicRounds::join_public(signed(BEN), round, dataset(BEN), 100));
		assert_ok!(join_private(CAL, round, 100));
		MosaicRounds::job_ended(0, JobEnd::Failed);
		// Settled, but its parameters could not be stored: dropped too.
		MosaicRounds::job_ended(
			1,
			JobEnd::Settled { parameters: None, verdicts: vec![], rows: Some(100) },
		);
		assert!(events().contains(&Event::ShardDropped { round, shard: 0 }));
		System::set_block_number(JOIN_UNTIL);
		assert_noop!(MosaicRounds::aggregate(signed(CAL), round), Error::<Test>::JoiningOpen);
		System::set_block_number(JOIN_UNTIL + 1);
		reveal_all(round);
		// One update left, two needed: the round fails and returns everything.
		assert_ok!(MosaicRounds::aggregate(signed(CAL), round));
		assert_eq!(status(round), RoundStatus::Failed(RoundFailure::TooFewShards));
		assert!(events().contains(&Event::RoundFailed {
			round,
			reason: RoundFailure::TooFewShards,
			refunded: BUDGET - 2 * ESCROW
		}));
		assert_all_released(&[ANN, BEN, CAL]);
		// The jobs pallet refunds failed jobs' escrows itself.
		assert_eq!(Balances::balance(&OWNER), INITIAL - 2 * ESCROW);

		// With a minimum of one, the same round completes with the private shard alone.
		let round = NextRoundId::<Test>::get();
		assert_ok!(MosaicRounds::create_round(
			signed(OWNER),
			0,
			1,
			VALIDATION,
			settings(1),
			BUDGET,
			2 * JOIN_UNTIL
		));
		assert_ok!(MosaicRounds::join_public(signed(ANN), round, dataset(ANN), 100));
		assert_ok!(join_private(CAL, round, 100));
		MosaicRounds::job_ended(2, JobEnd::Failed);
		System::set_block_number(2 * JOIN_UNTIL + 1);
		reveal_all(round);
		assert_ok!(MosaicRounds::aggregate(signed(ANN), round));
		let job = aggregation_job(round);
		let (_, bytes) = StoredBlobs::get().pop().unwrap();
		let manifest = <AggregationManifest as codec::Decode>::decode(&mut &bytes[..]).unwrap();
		assert_eq!(manifest.updates.len(), 1, "the dropped shard is not aggregated");
		settle(job, stored(OWNER, 4), vec![true]);
		assert_ok!(MosaicRounds::finalize(signed(ANN), round));
		assert_eq!(status(round), RoundStatus::Completed { version: 2 });
		// Two jobs' escrows, then the owner's 20% of the rest; CAL the remainder.
		let left = BUDGET - 2 * ESCROW;
		assert_eq!(Owed::get().get(&OWNER), Some(&(left / 5)));
		assert_eq!(Owed::get().get(&CAL), Some(&(left - left / 5)));
		assert_eq!(Owed::get().get(&ANN), None, "a dropped shard earns nothing");
		assert_all_released(&[ANN, CAL]);
	});
}
