//! Tests of the round state machine against mocks of the jobs pallet, the registry, the
//! blob store, the pot and the ledger.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect as _, InspectHold as _, Mutate as _},
};
use mosaic_primitives::{
	contribution::{ContributionKind, Subject},
	rounds::{AggregationManifest, JobEnd, JobObserver, ManifestEntry, RoundJob},
};
use sp_runtime::DispatchError;

const BUDGET: u64 = 1_000;
/// What each job of [`settings`] holds in escrow: 2 workers at 20, the protocol fee and the
/// result's deposit.
const ESCROW: u64 = 2 * 20 + PROTOCOL_FEE + RESULT_DEPOSIT;
const JOIN_UNTIL: u64 = 10;

fn settings(min_shards: u32) -> RoundSettingsOf<Test> {
	RoundSettings {
		epochs: 5,
		batch_size: 32,
		clip_milli: 4_000,
		trim: 1,
		min_shards,
		replication: 2,
		fee_per_worker: 20,
		job_period: 30,
	}
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn create(min_shards: u32) -> RoundId {
	let round = NextRoundId::<Test>::get();
	assert_ok!(MosaicRounds::create_round(
		signed(OWNER),
		0,
		1,
		VALIDATION,
		settings(min_shards),
		BUDGET,
		JOIN_UNTIL
	));
	round
}

fn held(reason: HoldReason, who: u64) -> u64 {
	Balances::balance_on_hold(&reason.into(), &who)
}

fn refs(hash: [u8; 32]) -> u32 {
	SealedBlobs::get()[&hash].1
}

fn status(round: RoundId) -> RoundStatus<VerdictsOf<Test>> {
	Rounds::<Test>::get(round).unwrap().status
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::MosaicRounds(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// A trained parameter blob, as the jobs pallet stores it (owned by the job's requester).
fn stored(owner: u64, seed: u8) -> [u8; 32] {
	let hash = [100 + seed; 32];
	SealedBlobs::mutate(|b| b.insert(hash, (owner, 0)));
	hash
}

fn settle(job: JobId, parameters: [u8; 32], verdicts: Vec<bool>) {
	MosaicRounds::job_ended(job, JobEnd::Settled { parameters: Some(parameters), verdicts });
}

/// The round's aggregation job, once started.
fn aggregation_job(round: RoundId) -> JobId {
	match status(round) {
		RoundStatus::Aggregating { job } => job,
		other => panic!("not aggregating: {other:?}"),
	}
}

/// Every hold and reference a round takes is gone.
fn assert_all_released(accounts: &[u64]) {
	for who in accounts.iter().copied().chain([OWNER]) {
		assert_eq!(held(HoldReason::RoundBudget, who), 0, "budget of {who}");
		assert_eq!(held(HoldReason::ShardDeposit, who), 0, "deposit of {who}");
	}
	assert_eq!(refs(VALIDATION), 0);
	for who in accounts {
		assert_eq!(refs(update(*who)), 0, "update of {who}");
	}
}

#[test]
fn create_round_checks_everything_and_holds_the_budget() {
	new_test_ext().execute_with(|| {
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

#[test]
fn joining_checks_the_shard_and_the_round() {
	new_test_ext().execute_with(|| {
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

#[test]
fn a_round_completes_pays_by_rows_and_excludes_a_rejected_update() {
	new_test_ext().execute_with(|| {
		let round = create(2);
		assert_ok!(MosaicRounds::join_public(signed(ANN), round, dataset(ANN), 300));
		assert_ok!(MosaicRounds::join_public(signed(BEN), round, dataset(BEN), 100));
		assert_ok!(MosaicRounds::join_private(signed(CAL), round, update(CAL), 100));
		assert_ok!(MosaicRounds::join_private(signed(DIA), round, update(DIA), 500));

		System::set_block_number(JOIN_UNTIL + 1);
		assert_noop!(MosaicRounds::aggregate(signed(DIA), round), Error::<Test>::TrainingRunning);
		let (ann, ben) = (stored(ANN, 1), stored(BEN, 2));
		settle(0, ann, vec![]);
		assert_eq!(refs(ann), 1, "the round references a trained update");
		settle(1, ben, vec![]);
		assert!(events().contains(&Event::ShardTrained { round, shard: 0, update: ann }));
		MosaicRounds::job_ended(1, JobEnd::Failed);
		assert_eq!(Rounds::<Test>::get(round).unwrap().training, 0, "each job ends once");
		assert_noop!(MosaicRounds::finalize(signed(OWNER), round), Error::<Test>::NotAggregated);

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
				updates: vec![
					entry(ann, 300, false),
					entry(ben, 100, false),
					entry(update(CAL), 100, true),
					entry(update(DIA), 500, true)
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
	new_test_ext().execute_with(|| {
		let round = create(2);
		assert_ok!(MosaicRounds::join_public(signed(ANN), round, dataset(ANN), 100));
		assert_ok!(MosaicRounds::join_public(signed(BEN), round, dataset(BEN), 100));
		assert_ok!(MosaicRounds::join_private(signed(CAL), round, update(CAL), 100));
		MosaicRounds::job_ended(0, JobEnd::Failed);
		// Settled, but its parameters could not be stored: dropped too.
		MosaicRounds::job_ended(1, JobEnd::Settled { parameters: None, verdicts: vec![] });
		assert!(events().contains(&Event::ShardDropped { round, shard: 0 }));
		System::set_block_number(JOIN_UNTIL);
		assert_noop!(MosaicRounds::aggregate(signed(CAL), round), Error::<Test>::JoiningOpen);
		System::set_block_number(JOIN_UNTIL + 1);
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
		assert_ok!(MosaicRounds::join_private(signed(CAL), round, update(CAL), 100));
		MosaicRounds::job_ended(2, JobEnd::Failed);
		System::set_block_number(2 * JOIN_UNTIL + 1);
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

#[test]
fn rounds_fail_cleanly_when_aggregation_fails_or_accepts_too_little() {
	new_test_ext().execute_with(|| {
		let start = |min| {
			let round = create(min);
			assert_ok!(MosaicRounds::join_private(signed(ANN), round, update(ANN), 100));
			assert_ok!(MosaicRounds::join_private(signed(BEN), round, update(BEN), 100));
			round
		};
		let (a, b, c) = (start(1), start(2), start(1));
		System::set_block_number(JOIN_UNTIL + 1);
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

#[test]
fn a_sponsor_funds_a_round_on_an_opened_base_and_its_owner_is_paid() {
	new_test_ext().execute_with(|| {
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
		assert_ok!(MosaicRounds::join_private(signed(CAL), round, update(CAL), 300));
		assert_eq!(Jobs::get()[0].0, ANN, "the sponsor is the jobs' requester");

		let ben = stored(ANN, 1);
		settle(0, ben, vec![]);
		System::set_block_number(JOIN_UNTIL + 1);
		assert_ok!(MosaicRounds::aggregate(signed(BEN), round));
		assert_eq!(held(HoldReason::RoundBudget, ANN), 50);
		settle(aggregation_job(round), stored(ANN, 2), vec![true, true]);
		assert_ok!(MosaicRounds::finalize(signed(BEN), round));
		assert_eq!(Published::get().len(), 1, "the owner's model gets the version");
		// 50 left: the owner's 20%, then 40 by rows 100:300.
		assert_eq!([OWNER, BEN, CAL].map(|who| Owed::get()[&who]), [10, 10, 30]);
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
