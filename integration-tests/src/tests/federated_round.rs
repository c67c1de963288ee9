//! A whole federated round through every pallet: the owner opens it on a version with
//! parameters; two data owners join with public shards, whose training jobs run, settle and
//! store their trained parameters; a third joins with a privately trained update; the
//! aggregation job combines them; finalizing publishes a new version with its lineage and
//! splits the rest of the budget between the owner (its royalty rate) and the data owners (by
//! rows), through the pot and the ledger. No hold is left when it ends.

use super::*;
use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use jobs::{HoldReason as JobsHold, JobStatus};
use mosaic_primitives::{
	contribution::{ContributionKind, RewardSource, Subject},
	digest::ElementType,
	rounds::{AggregationManifest, JobObserver, ManifestEntry},
};
use rounds::{HoldReason as RoundsHold, RoundSettings, RoundStatus, ShardStatus};
use sp_runtime::Permill;

/// Pays three jobs (two shards' training and the aggregation) and leaves 2,000 for the data.
pub(super) const BUDGET: Balance = 2_000 + 3 * PROTOCOL_FEE;
/// The least fee of a job whose result is parameters: `RevealFeePerValue` (1) for each of
/// `MaxOutputValues` (64).
pub(super) const ROUND_FEE: Balance = 64;
pub(super) const JOIN_UNTIL: u64 = 2;
const ANN_ROWS: u32 = 30;
const BEN_ROWS: u32 = 10;
const CAL_ROWS: u32 = 20;

pub(super) fn settings() -> rounds::RoundSettingsOf<Runtime> {
	RoundSettings {
		epochs: 2,
		batch_size: 4,
		clip_milli: 4_000,
		trim: 0,
		min_shards: 2,
		replication: 2,
		fee_per_worker: ROUND_FEE,
		job_period: 20,
	}
}

/// An aggregation's outcome: the combined `w`, every update accepted, and its reports.
pub(super) fn aggregated(w: [i64; 2]) -> jobs::OutcomeOf<Runtime> {
	judged(w, [1, 1, 1])
}

/// An aggregation's outcome: the combined `w`, the three updates accepted (1) or rejected (0)
/// as `verdicts` say, and its reports.
pub(super) fn judged(w: [i64; 2], verdicts: [i64; 3]) -> jobs::OutcomeOf<Runtime> {
	jobs::Outcome::Outputs(
		vec![
			output("w", ElementType::F32, &w),
			output(mosaic_primitives::rounds::VERDICTS, ElementType::I64, &verdicts),
			output(
				mosaic_primitives::rounds::VALIDATION_LOSS,
				ElementType::F32,
				&[900, 500, 520, 480],
			),
			output(mosaic_primitives::rounds::UPDATE_NORMS, ElementType::F32, &[100, 50, 120]),
		]
		.try_into()
		.unwrap(),
	)
}

/// The workers assigned to `job` commit to `outcome`; they open and reveal it in the next
/// block ([`open_and_reveal`]).
pub(super) fn run_job(job: u64, outcome: &jobs::OutcomeOf<Runtime>) -> Vec<AccountId> {
	let workers = assignees(job);
	assert_eq!(workers.len(), 2);
	workers.iter().for_each(|w| commit(*w, job, outcome));
	workers
}

pub(super) fn rounds_event(e: rounds::Event<Runtime>) -> RuntimeEvent {
	RuntimeEvent::Rounds(e)
}

#[test]
fn a_federated_round_trains_publishes_a_version_and_pays_its_data() {
	build_and_execute(|| {
		// The owner's training-step graph with its parameters, and a validation set.
		let model_blob = store_blob(OWNER, b"a training-step graph for w");
		let base_bytes = parameters([500, -250]);
		let base = store_blob(OWNER, &base_bytes);
		let validation = store_blob(OWNER, b"validation rows");
		assert_eq!(register_model("mlp", version_spec(model_blob, Some(base))), 0);
		WORKERS.iter().for_each(|w| register_worker(*w));
		// Data: two public shards, and an update Cal trained on private data.
		let ann_data = store_blob(ANN, b"ann's thirty rows");
		let ben_data = store_blob(BEN, b"ben's ten rows");
		let cal_update = store_blob(CAL, &parameters([580, -210]));
		let issuance = total_issuance();
		take_events();

		// Each round job holds the fees of two workers, the protocol fee, and the deposit of
		// a result blob the size of the base parameters.
		let escrow = 2 * ROUND_FEE + PROTOCOL_FEE + blob_deposit(base_bytes.len());
		// The version the round will publish is secured now: its deposit (that of the base's
		// spec with other parameters and the base as parent) is held from the owner.
		let reserved = Models::version_deposit(&models::VersionSpec {
			parent: Some((0, 1)),
			parameters: Some([0; 32]),
			..version_spec(model_blob, Some(base))
		});
		let model_deposit = models::Models::<Runtime>::get(0).unwrap().deposit;
		assert_ok!(Rounds::create_round(
			RuntimeOrigin::signed(OWNER),
			0,
			1,
			validation,
			settings(),
			BUDGET,
			JOIN_UNTIL
		));
		assert_eq!(held(RoundsHold::RoundBudget, OWNER), BUDGET);
		assert_eq!(refs(&validation), 1);
		assert_eq!(models::Models::<Runtime>::get(0).unwrap().deposit, model_deposit + reserved);

		// The public shards' training jobs are paid from the budget: their escrows move from
		// the budget hold to job escrows, in the owner's name.
		assert_ok!(Rounds::join_public(RuntimeOrigin::signed(ANN), 0, ann_data, ANN_ROWS));
		assert_ok!(Rounds::join_public(RuntimeOrigin::signed(BEN), 0, ben_data, BEN_ROWS));
		let commitment = rounds::update_commitment(0, &cal_update, &CAL);
		assert_ok!(Rounds::join_private(RuntimeOrigin::signed(CAL), 0, commitment, CAL_ROWS));
		assert_eq!(held(RoundsHold::RoundBudget, OWNER), BUDGET - 2 * escrow);
		assert_eq!(held(JobsHold::JobEscrow, OWNER), 2 * escrow);
		for who in [ANN, BEN, CAL] {
			assert_eq!(held(RoundsHold::ShardDeposit, who), SHARD_DEPOSIT);
		}
		assert_eq!((refs(&ann_data), refs(&ben_data), refs(&cal_update)), (1, 1, 0));
		assert_eq!(refs(&base), 3, "version 1 and both training jobs");
		let submitted = |job, requester| {
			RuntimeEvent::Jobs(jobs::Event::JobSubmitted {
				job,
				requester,
				model: 0,
				version: 1,
				replication: 2,
				held: escrow,
			})
		};
		let joined = |shard, owner, rows, job| {
			rounds_event(rounds::Event::ShardJoined { round: 0, shard, owner, rows, job })
		};
		assert_mosaic_events(vec![
			RuntimeEvent::Models(models::Event::VersionReserved {
				model: 0,
				round: 0,
				deposit: reserved,
			}),
			rounds_event(rounds::Event::RoundCreated {
				round: 0,
				creator: OWNER,
				model: 0,
				base: 1,
				budget: BUDGET,
				join_until: JOIN_UNTIL,
			}),
			submitted(0, OWNER),
			joined(0, ANN, ANN_ROWS, Some(0)),
			submitted(1, OWNER),
			joined(1, BEN, BEN_ROWS, Some(1)),
			joined(2, CAL, CAL_ROWS, None),
		]);
		// The round decides its jobs' fate: the requester cannot cancel them.
		for job in [0, 1] {
			assert!(<Rounds as JobObserver>::owns(job));
			assert_noop!(
				Jobs::cancel_job(RuntimeOrigin::signed(OWNER), job),
				jobs::Error::<Runtime>::PartOfRound
			);
		}

		// Workers train both shards; each settlement stores the agreed parameters as a blob of
		// the owner (paid by the result deposit) and tells the round.
		run_to_block(2);
		let training = [(0, [550, -230], ANN_ROWS), (1, [520, -240], BEN_ROWS)];
		for (job, w, rows) in training {
			run_job(job, &trained_on(w, rows.into()));
		}
		run_to_block(3);
		take_events();
		for (job, w, rows) in training {
			let outcome = trained_on(w, rows.into());
			let outcomes: Vec<_> =
				assignees(job).into_iter().map(|a| (a, outcome.clone())).collect();
			open_and_reveal(job, &outcomes);
		}
		let updates = training.map(|(_, w, _)| sp_io::hashing::blake2_256(&parameters(w)));
		let events = mosaic_events();
		for (shard, (job, _, rows)) in training.iter().enumerate() {
			let update = updates[shard];
			assert_eq!(job_info(*job).status, JobStatus::Settled);
			assert_eq!(job_info(*job).result.unwrap().parameters, Some(update));
			for e in [
				RuntimeEvent::Jobs(jobs::Event::TrainedParametersStored {
					job: *job,
					blob: update,
				}),
				rounds_event(rounds::Event::ShardTrained {
					round: 0,
					shard: shard as u32,
					update,
					rows: *rows,
				}),
			] {
				assert!(events.contains(&e), "missing {e:?}");
			}
			let shard = rounds::Shards::<Runtime>::get(0, shard as u32).unwrap();
			assert_eq!(shard.status, ShardStatus::Trained { update });
			let blob = blobs::Blobs::<Runtime>::get(update).unwrap();
			assert_eq!(
				(blob.owner, blob.refs),
				(OWNER, 1),
				"owned by the requester, kept by the round"
			);
		}
		assert_eq!(held(JobsHold::JobEscrow, OWNER), 0);
		assert_eq!((refs(&ann_data), refs(&ben_data), refs(&base)), (0, 0, 1));
		assert_eq!(rounds::Rounds::<Runtime>::get(0).unwrap().training, 0);

		// Joining has closed: Cal reveals the update she committed to, and anyone starts the
		// aggregation, whose manifest the owner stores.
		assert_ok!(Rounds::reveal_update(RuntimeOrigin::signed(CAL), 0, cal_update));
		assert_eq!(refs(&cal_update), 1);
		assert_ok!(Rounds::aggregate(RuntimeOrigin::signed(ALICE), 0));
		let manifest = AggregationManifest {
			updates: vec![
				ManifestEntry { parameters: updates[0], weight: ANN_ROWS.into(), checked: true },
				ManifestEntry { parameters: updates[1], weight: BEN_ROWS.into(), checked: true },
				ManifestEntry { parameters: cal_update, weight: CAL_ROWS.into(), checked: true },
			],
			clip_milli: 4_000,
			trim: 0,
		}
		.encode();
		let manifest_hash = sp_io::hashing::blake2_256(&manifest);
		assert!(mosaic_events().contains(&rounds_event(rounds::Event::AggregationStarted {
			round: 0,
			job: 2,
			manifest: manifest_hash,
			updates: 3,
		})));
		assert_eq!(
			rounds::Rounds::<Runtime>::get(0).unwrap().status,
			RoundStatus::Aggregating { job: 2 }
		);
		assert_eq!(blobs::Blobs::<Runtime>::get(manifest_hash).unwrap().owner, OWNER);
		assert_eq!((refs(&manifest_hash), refs(&validation)), (1, 2));
		assert_eq!(held(RoundsHold::RoundBudget, OWNER), BUDGET - 3 * escrow);

		run_to_block(4);
		let combined = aggregated([540, -235]);
		run_job(2, &combined);
		run_to_block(5);
		take_events();
		let outcomes: Vec<_> = assignees(2).into_iter().map(|a| (a, combined.clone())).collect();
		open_and_reveal(2, &outcomes);
		let new_parameters = sp_io::hashing::blake2_256(&parameters([540, -235]));
		let events = mosaic_events();
		assert!(events.contains(&rounds_event(rounds::Event::RoundAggregated {
			round: 0,
			parameters: Some(new_parameters),
		})));
		assert_eq!(
			rounds::Rounds::<Runtime>::get(0).unwrap().status,
			RoundStatus::Aggregated {
				parameters: Some(new_parameters),
				verdicts: vec![true, true, true].try_into().unwrap()
			}
		);

		// Finalizing publishes version 2: the same graph, the new parameters, version 1 as
		// parent, the round named; its deposit is the one secured when the round opened.
		let left = BUDGET - 3 * escrow;
		let owner_reward = Permill::from_percent(ROYALTY_PERCENT).mul_floor(left);
		let data_pool = left - owner_reward;
		let total_rows = (ANN_ROWS + BEN_ROWS + CAL_ROWS) as Balance;
		let shares =
			[ANN_ROWS, BEN_ROWS, CAL_ROWS].map(|rows| data_pool * rows as Balance / total_rows);
		let paid = owner_reward + shares.iter().sum::<Balance>();
		let v2_spec = models::VersionSpec {
			parent: Some((0, 1)),
			parameters: Some(new_parameters),
			..version_spec(model_blob, Some(base))
		};
		let v2_deposit = Models::version_deposit(&v2_spec);
		assert_eq!(v2_deposit, reserved);
		let model_deposit_before = models::Models::<Runtime>::get(0).unwrap().deposit;
		assert_ok!(Rounds::finalize(RuntimeOrigin::signed(ALICE), 0));

		let version = models::Versions::<Runtime>::get(0, 2).unwrap();
		assert_eq!(version.spec, v2_spec);
		assert_eq!((version.round, version.status), (Some(0), models::VersionStatus::Active));
		assert_eq!(models::Models::<Runtime>::get(0).unwrap().version_count, 2);
		assert_eq!(
			models::Models::<Runtime>::get(0).unwrap().deposit,
			model_deposit_before,
			"the version took the deposit held for it since the round opened"
		);
		assert_eq!(
			rounds::Rounds::<Runtime>::get(0).unwrap().status,
			RoundStatus::Completed { version: 2 }
		);
		let credit = |who, amount| {
			RuntimeEvent::Rewards(rewards::Event::Credited {
				who,
				amount,
				source: RewardSource::RoundBudget,
			})
		};
		// The round's attestations follow the fifteen of its three jobs.
		let recorded = |id, who, kind, points| {
			RuntimeEvent::Attestations(attestations::Event::Recorded {
				id,
				contributor: who,
				kind,
				subject: Subject::Round(0),
				points,
				era: 0,
			})
		};
		let data_points = |rows: u32| ROUND_DATA_POINTS * rows as u64 / total_rows;
		let mut expected = vec![
			RuntimeEvent::Models(models::Event::VersionPublished {
				model: 0,
				version: 2,
				blob: model_blob,
				parent: Some((0, 1)),
				deposit: v2_deposit,
			}),
			RuntimeEvent::Models(models::Event::VersionTrainedInRound {
				model: 0,
				version: 2,
				round: 0,
				parameters: new_parameters,
			}),
			credit(OWNER, owner_reward),
			rounds_event(rounds::Event::OwnerRewarded {
				round: 0,
				owner: OWNER,
				amount: owner_reward,
			}),
			recorded(15, OWNER, ContributionKind::Model, ROUND_MODEL_POINTS),
			rounds_event(rounds::Event::RoundCompleted {
				round: 0,
				version: 2,
				compute: 3 * escrow,
				paid,
				refunded: left - paid,
			}),
		];
		let owners =
			[(ANN, ANN_ROWS, updates[0]), (BEN, BEN_ROWS, updates[1]), (CAL, CAL_ROWS, cal_update)];
		for (shard, (who, rows, _)) in owners.iter().enumerate() {
			expected.push(credit(*who, shares[shard]));
			expected.push(rounds_event(rounds::Event::ShardRewarded {
				round: 0,
				shard: shard as u32,
				owner: *who,
				amount: shares[shard],
			}));
			expected.push(recorded(
				16 + shard as u64,
				*who,
				ContributionKind::Data,
				data_points(*rows),
			));
		}
		assert_mosaic_events(expected);
		for (who, rows, update) in owners {
			let record = Attestations::by_account(&who, 10);
			assert_eq!(record.len(), 1);
			assert_eq!((record[0].1.points, record[0].1.evidence), (data_points(rows), update));
		}

		// Nothing stays on hold for the round: no budget, no shard deposit, no escrow; the
		// round's references are gone, and the new version holds its own.
		for who in [OWNER, ANN, BEN, CAL] {
			assert_eq!(held(RoundsHold::RoundBudget, who), 0);
			assert_eq!(held(RoundsHold::ShardDeposit, who), 0);
			assert_eq!(held(JobsHold::JobEscrow, who), 0);
		}
		assert!(rounds::Shards::<Runtime>::iter_prefix(0).next().is_none());
		assert!(rounds::RoundOfJob::<Runtime>::iter().next().is_none());
		assert_eq!((refs(&model_blob), refs(&base), refs(&new_parameters)), (2, 1, 1));
		for hash in
			[validation, manifest_hash, updates[0], updates[1], cal_update, ann_data, ben_data]
		{
			assert_eq!(refs(&hash), 0);
		}
		// The owner paid the three jobs' fees and protocol fees and what the round paid out;
		// the rest of the budget came back, and its other holds are its blobs and versions.
		let owner_blobs: Balance = blobs::Blobs::<Runtime>::iter_values()
			.filter(|b| b.owner == OWNER)
			.map(|b| b.deposit)
			.sum();
		let model_deposit = models::Models::<Runtime>::get(0).unwrap().deposit;
		assert_eq!(total_held(OWNER), owner_blobs + model_deposit);
		assert_eq!(
			Balances::total_balance(&OWNER),
			INITIAL - 3 * (2 * ROUND_FEE + PROTOCOL_FEE) - paid
		);
		let emitted = 4 * EMISSION;
		assert_eq!(total_issuance(), issuance + emitted);
		for (shard, who) in [ANN, BEN, CAL].into_iter().enumerate() {
			assert_eq!(pending(who), shares[shard], "credited at once");
		}

		// The data owners remove their blobs and claim: they hold nothing and gained their
		// share (the era's emission share follows when era 0 ends).
		for (who, blob) in [(ANN, ann_data), (BEN, ben_data), (CAL, cal_update)] {
			assert_ok!(Blobs::remove(RuntimeOrigin::signed(who), blob));
		}
		for (shard, who) in [ANN, BEN, CAL].into_iter().enumerate() {
			assert_ok!(Rewards::claim(RuntimeOrigin::signed(who)));
			assert_nothing_held(who);
			assert_eq!(free(who), INITIAL + shares[shard]);
		}
	});
}

/// A round whose jobs could never be submitted is refused when it is created, not when its
/// first shard joins: the jobs pallet takes a deadline only if a whole first attempt (commit,
/// opening and disclosure) fits after the submission's block.
#[test]
fn a_round_whose_job_period_the_jobs_pallet_refuses_is_refused() {
	build_and_execute(|| {
		let model_blob = store_blob(OWNER, b"a training-step graph for w");
		let base = store_blob(OWNER, &parameters([500, -250]));
		let validation = store_blob(OWNER, b"validation rows");
		assert_eq!(register_model("mlp", version_spec(model_blob, Some(base))), 0);
		let least = COMMIT_PERIOD + 2 * REVEAL_PERIOD + 1;
		let create = |job_period| {
			Rounds::create_round(
				RuntimeOrigin::signed(OWNER),
				0,
				1,
				validation,
				RoundSettings { job_period, ..settings() },
				BUDGET,
				JOIN_UNTIL,
			)
		};
		assert_noop!(create(least - 1), rounds::Error::<Runtime>::BadSettings);
		assert_noop!(create(101), rounds::Error::<Runtime>::BadSettings);
		assert_ok!(create(least));
	});
}
