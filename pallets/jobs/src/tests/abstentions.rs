//! Abstentions: workers that could not run a job say so, and are neither paid nor slashed
//! nor counted as missing, but drawn less until they agree with results again.

use super::*;
use mosaic_primitives::onnx::{
	ENGINE_PANIC, REMOTE_BLOB_REJECTED, REMOTE_BLOB_UNAVAILABLE, RUN_NOT_FINISHED_IN_TIME,
	SANDBOX_FAILURE,
};

fn could_not_run() -> OutcomeOf<Test> {
	Outcome::CouldNotRun { code: REMOTE_BLOB_UNAVAILABLE }
}

/// Runs `job` (assigned in this block) to its end with each worker opening, then revealing,
/// its outcome.
fn run_job(job: JobId, plan: &[(u64, OutcomeOf<Test>)]) {
	commit_and_open(job, plan);
	reveal_all(job, plan);
}

/// Each worker of the plan commits to its outcome, then opens it.
fn commit_and_open(job: JobId, plan: &[(u64, OutcomeOf<Test>)]) {
	for (w, outcome) in plan {
		assert_ok!(commit_as(*w, job, outcome));
	}
	for (w, outcome) in plan {
		assert_ok!(open_as(*w, job, outcome));
	}
	end_deferred_opening(job);
}

/// Each worker of the plan that did not abstain discloses its outcome.
fn reveal_all(job: JobId, plan: &[(u64, OutcomeOf<Test>)]) {
	for (w, outcome) in plan.iter().filter(|(_, o)| !matches!(o, Outcome::CouldNotRun { .. })) {
		assert_ok!(reveal_as(*w, job, outcome));
	}
}

#[test]
fn abstentions_are_recognised() {
	assert!(could_not_run().is_abstention());
	for code in [ENGINE_PANIC, SANDBOX_FAILURE, REMOTE_BLOB_UNAVAILABLE, RUN_NOT_FINISHED_IN_TIME] {
		assert!(OutcomeOf::<Test>::Error { code, model_fault: false }.is_abstention());
		assert!(OutcomeOf::<Test>::Error { code, model_fault: true }.is_abstention());
	}
	assert!(!OutcomeOf::<Test>::Error { code: 4, model_fault: true }.is_abstention());
	assert!(!outputs(&[1]).is_abstention());
	assert!(!digest_of(&outputs(&[1])).is_abstention());
}

#[test]
fn an_abstainer_is_neither_paid_nor_slashed_nor_counted_as_missing() {
	build_and_execute(|| {
		register_all(10..=12);
		let issuance = total_issuance();
		let out = outputs(&[5]);
		let job = submit(3);
		run_to(2);
		run_job(job, &[(10, out.clone()), (11, out.clone()), (12, could_not_run())]);
		assert!(events().contains(&Event::Revealed {
			job,
			worker: 12,
			digest: could_not_run_digest(REMOTE_BLOB_UNAVAILABLE)
		}));

		// Two of three agree: a quorum. The abstainer is no dissenter.
		assert_eq!(status(job), JobStatus::Settled);
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!((result.agreeing, result.outcome), (2, out.clone()));
		assert!(!anyone_slashed());
		// 300 in fees: 30 royalty, 135 to each agreeing worker, nothing to the abstainer.
		assert_eq!((owed(10), owed(11), owed(12), owed(OWNER)), (135, 135, 0, 30));
		assert!(!events().iter().any(|e| matches!(e, Event::WorkerPaid { worker: 12, .. })));
		assert!(Recorded::get().iter().all(|r| r.0 != 12));
		assert_eq!(Pooled::get(), vec![(PROTOCOL_FEE, RewardSource::ProtocolFee)]);
		assert_eq!(Balances::free_balance(ALICE), 100_000 - 3 * FEE - PROTOCOL_FEE);
		assert_eq!(total_issuance(), issuance);
		// It committed: no miss, still active, its stake whole.
		let info = Workers::<Test>::get(12).unwrap();
		assert_eq!(
			(info.missed, info.status, info.stake),
			(0, WorkerStatus::Active, 2 * MIN_STAKE)
		);
		// But it is drawn less: half its stake while one abstention is not made up for.
		assert_eq!(Abstentions::<Test>::get(12), Some(1));
		assert_eq!(Abstentions::<Test>::get(10), None);
		assert_eq!(weight_of(12), Some(2 * MIN_STAKE / 2));
		assert_eq!(weight_of(10), Some(2 * MIN_STAKE));
	});
}

#[test]
fn abstentions_lower_the_draw_weight_until_made_up_for() {
	build_and_execute(|| {
		register_all(10..=12);
		let out = outputs(&[5]);
		let run = |abstainer: Option<u64>| {
			let job = submit(3);
			run_to(System::block_number() + 1);
			let plan: Vec<(u64, OutcomeOf<Test>)> = (10..=12)
				.map(|w| (w, if Some(w) == abstainer { could_not_run() } else { out.clone() }))
				.collect();
			run_job(job, &plan);
			assert_eq!(status(job), JobStatus::Settled);
		};
		run(Some(12));
		run(Some(12));
		assert_eq!(Abstentions::<Test>::get(12), Some(2));
		assert_eq!(weight_of(12), Some(2 * MIN_STAKE / 3));
		// Its stake is untouched: only the draw weight is lowered.
		assert_eq!(Workers::<Test>::get(12).unwrap().stake, 2 * MIN_STAKE);
		assert_eq!(Workers::<Test>::get(12).unwrap().missed, 0);
		// Each result it agrees with makes up for one.
		run(None);
		assert_eq!(Abstentions::<Test>::get(12), Some(1));
		assert_eq!(weight_of(12), Some(2 * MIN_STAKE / 2));
		run(None);
		assert_eq!(Abstentions::<Test>::get(12), None);
		assert_eq!(weight_of(12), Some(2 * MIN_STAKE));
		// The others, which never abstained, have nothing stored.
		assert_eq!(Abstentions::<Test>::iter().count(), 0);
		assert!(!anyone_slashed());
		// Bonding more raises the weight in proportion.
		run(Some(10));
		assert_ok!(MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 1_000));
		assert_eq!(weight_of(10), Some((2 * MIN_STAKE + 1_000) / 2));
	});
}

#[test]
fn a_leaving_worker_takes_its_abstentions_with_it() {
	build_and_execute(|| {
		register_all(10..=12);
		let out = outputs(&[5]);
		let job = submit(3);
		run_to(2);
		run_job(job, &[(10, out.clone()), (11, out.clone()), (12, could_not_run())]);
		assert_eq!(Abstentions::<Test>::get(12), Some(1));
		assert_ok!(MosaicJobs::unbond(RuntimeOrigin::signed(12), 2 * MIN_STAKE));
		run_to(2 + UNBOND_DELAY);
		assert_ok!(MosaicJobs::withdraw_unbonded(RuntimeOrigin::signed(12)));
		assert!(Workers::<Test>::get(12).is_none());
		assert_eq!(Abstentions::<Test>::get(12), None);
	});
}

#[test]
fn an_abstention_never_joins_a_quorum() {
	build_and_execute(|| {
		register_all(10..=12);
		let job = submit(3);
		run_to(2);
		// Two identical abstentions and one answer: no two votes agree, so no quorum.
		run_job(job, &[(10, outputs(&[5])), (11, could_not_run()), (12, could_not_run())]);
		// Nobody is left to escalate to: the job fails, and nobody is slashed (the answer had
		// no quorum against it, the abstainers are no dissenters).
		assert_eq!(status(job), JobStatus::Failed(FailReason::NoQuorum));
		assert!(events().contains(&Event::JobFailed {
			job,
			reason: FailReason::NoQuorum,
			refunded: 3 * FEE
		}));
		assert!(!anyone_slashed());
		assert!(!events().iter().any(|e| matches!(e, Event::WorkerPaid { .. })));
		assert_eq!(Balances::free_balance(ALICE), 100_000 - PROTOCOL_FEE);
		for w in 10..=12 {
			assert_eq!(Workers::<Test>::get(w).unwrap().stake, 2 * MIN_STAKE);
			assert_eq!(Workers::<Test>::get(w).unwrap().missed, 0);
			assert_eq!(Workers::<Test>::get(w).unwrap().assigned, 0);
		}
		assert_eq!(Abstentions::<Test>::get(10), None);
		assert_eq!(Abstentions::<Test>::get(11), Some(1));
		assert_eq!(Abstentions::<Test>::get(12), Some(1));
	});
}

#[test]
fn machine_failures_revealed_as_errors_neither_decide_nor_invalidate() {
	build_and_execute(|| {
		register_all(10..=12);
		let job = submit(3);
		run_to(2);
		// Three agreeing "model faults" with machine-failure codes: an older node's way of
		// saying it could not run the job. No verdict, so no quorum, and the model stands.
		let plan: Vec<(u64, OutcomeOf<Test>)> =
			[(10, ENGINE_PANIC), (11, SANDBOX_FAILURE), (12, SANDBOX_FAILURE)]
				.into_iter()
				.map(|(w, code)| (w, Outcome::Error { code, model_fault: true }))
				.collect();
		run_job(job, &plan);
		assert_eq!(status(job), JobStatus::Failed(FailReason::NoQuorum));
		assert!(Invalidated::get().is_empty());
		assert!(!anyone_slashed());
		assert_eq!(Balances::free_balance(ALICE), 100_000 - PROTOCOL_FEE);
		for w in 10..=12 {
			assert_eq!(Abstentions::<Test>::get(w), Some(1));
			assert_eq!(weight_of(w), Some(2 * MIN_STAKE / 2));
		}
		submit(1);
	});
}

#[test]
fn abstentions_are_replaced_by_escalation() {
	build_and_execute(|| {
		register_all(10..=14);
		let job = submit(3);
		run_to(2);
		let first = workers_of(job);
		assert_eq!(first.len(), 3);
		let x = outputs(&[5]);
		let (answer, abstainers) = (first[0], [first[1], first[2]]);
		let answered = [(answer, x.clone())];
		commit_and_open(
			job,
			&[
				answered[0].clone(),
				(abstainers[0], could_not_run()),
				(abstainers[1], could_not_run()),
			],
		);
		// One vote of three assigned: no quorum. The two workers left join.
		assert!(events().contains(&Event::JobEscalated { job, attempt: 1 }));
		let added: Vec<u64> = workers_of(job)[3..].to_vec();
		assert_eq!(added.len(), 2);
		assert!(added.iter().all(|w| !first.contains(w)));
		let escalated = [(added[0], x.clone()), (added[1], x.clone())];
		commit_and_open(job, &escalated);
		// The later attempt discloses first.
		assert!(matches!(status(job), JobStatus::Disclosing { attempt: 1, .. }));
		reveal_all(job, &escalated);
		assert!(matches!(status(job), JobStatus::Disclosing { attempt: 0, .. }));
		reveal_all(job, &answered);
		// Three of five agree: a quorum of the five assigned, abstainers included.
		assert_eq!(status(job), JobStatus::Settled);
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!((result.agreeing, result.outcome), (3, x));
		// 300 in fees less 30 royalty, shared by the three that agreed.
		for w in [answer, added[0], added[1]] {
			assert_eq!(owed(w), 90);
			assert_eq!(Abstentions::<Test>::get(w), None);
		}
		for w in abstainers {
			assert_eq!(owed(w), 0);
			assert_eq!(Workers::<Test>::get(w).unwrap().stake, 2 * MIN_STAKE);
			assert_eq!(Abstentions::<Test>::get(w), Some(1));
		}
		assert!(!anyone_slashed());
		assert_eq!(Balances::free_balance(ALICE), 100_000 - 3 * FEE - PROTOCOL_FEE);
	});
}

/// Submits an inference job for three workers whose input is the remote blob `hash`.
fn submit_on_remote_input(hash: [u8; 32]) -> JobId {
	let job = NextJobId::<Test>::get();
	assert_ok!(MosaicJobs::submit_job(
		RuntimeOrigin::signed(ALICE),
		0,
		1,
		JobKind::Inference,
		JobInput::Blob { hash, format: InputFormat::Npy },
		3,
		FEE,
		30
	));
	job
}

/// A job on a remote input whose server gave one worker bytes that do not match the blob's
/// hash (and the others the right ones): that worker reports `REMOTE_BLOB_REJECTED`, a
/// verdict when a quorum agrees with it, but in the minority it was served, not lying. It is
/// neither paid nor slashed, and counts an abstention. On a job that names no remote blob
/// nobody can be served wrong bytes, so the same report is a dissent.
#[test]
fn a_worker_served_wrong_remote_bytes_alone_is_no_dissenter() {
	build_and_execute(|| {
		register_all(10..=12);
		let remote = [0xdd; 32];
		RemoteBlobs::mutate(|blobs| blobs.push(remote));
		let out = outputs(&[5]);
		let rejected = OutcomeOf::<Test>::Error { code: REMOTE_BLOB_REJECTED, model_fault: false };
		let job = submit_on_remote_input(remote);
		run_to(2);
		run_job(job, &[(10, out.clone()), (11, out.clone()), (12, rejected.clone())]);
		assert_eq!(status(job), JobStatus::Settled);
		assert!(!anyone_slashed(), "{:?}", events());
		assert_eq!((owed(10), owed(11), owed(12)), (135, 135, 0));
		assert_eq!(Abstentions::<Test>::get(12), Some(1));

		let job = submit(3);
		run_to(3);
		run_job(job, &[(10, out.clone()), (11, out), (12, rejected)]);
		assert_eq!(status(job), JobStatus::Settled);
		assert!(events().iter().any(|e| matches!(
			e,
			Event::WorkerSlashed { worker: 12, reason: SlashReason::Dissent, .. }
		)));
	});
}

/// A quorum of workers reports the job's remote blob unserved (no bytes came, or others did):
/// the blob's bond is shared among them, their abstentions are not counted, and the bond is
/// taken once. Fewer than a quorum reporting it takes nothing.
#[test]
fn a_quorum_finding_a_remote_blob_unserved_is_paid_its_bond() {
	build_and_execute(|| {
		register_all(10..=12);
		let remote = [0xde; 32];
		RemoteBlobs::mutate(|blobs| blobs.push(remote));
		let unavailable = OutcomeOf::<Test>::CouldNotRun { code: REMOTE_BLOB_UNAVAILABLE };
		let rejected = OutcomeOf::<Test>::Error { code: REMOTE_BLOB_REJECTED, model_fault: false };
		// One could not get the bytes, one got others: together a quorum of three.
		let job = submit_on_remote_input(remote);
		run_to(2);
		run_job(job, &[(10, unavailable.clone()), (11, rejected.clone()), (12, outputs(&[5]))]);
		assert_eq!(status(job), JobStatus::Failed(FailReason::NoQuorum));
		assert!(
			events().contains(&Event::UnservedBlobBondPaid {
				job,
				blob: remote,
				workers: vec![10, 11],
				each: URI_BOND / 2,
			}),
			"{:?}",
			events()
		);
		assert!(!anyone_slashed(), "{:?}", events());
		assert_eq!(ForfeitedBonds::get(), vec![remote]);
		assert_eq!((owed(10), owed(11), owed(12)), (URI_BOND / 2, URI_BOND / 2, 0));
		assert_eq!(Abstentions::<Test>::get(10), None);

		// The bond is gone: the next quorum is excused, unpaid. (Its owner cannot remove the
		// blob while a job references it, so the bond cannot be taken out from under one.)
		let job = submit_on_remote_input(remote);
		run_to(System::block_number() + 1);
		run_job(job, &[(10, unavailable.clone()), (11, unavailable.clone()), (12, unavailable)]);
		assert_eq!(status(job), JobStatus::Failed(FailReason::NoQuorum));
		assert_eq!((owed(10), owed(11), owed(12)), (URI_BOND / 2, URI_BOND / 2, 0));
		assert_eq!(Abstentions::<Test>::get(12), None);
	});
}
