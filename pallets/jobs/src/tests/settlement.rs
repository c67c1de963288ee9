//! A job's whole life: assignment, commit, reveal, settlement, slashing, escalation, failure, cancellation.

use super::*;

#[test]
fn honest_workers_settle_and_are_paid() {
	build_and_execute(|| {
		for w in 10..=12 {
			register(w);
		}
		let issuance = total_issuance();
		let job = submit(3);
		assert_eq!(status(job), JobStatus::Queued);
		run_to(2);
		let mut assigned = workers_of(job);
		assigned.sort();
		assert_eq!(assigned, vec![10, 11, 12]);
		assert_eq!(status(job), JobStatus::Committing { until: 2 + COMMIT_PERIOD });
		assert_eq!(MosaicJobs::worker_jobs(&10), vec![job]);

		let out = outputs(&[1000, 2000]);
		for w in 10..=12 {
			assert_ok!(commit_as(w, job, &out));
		}
		assert_eq!(status(job), JobStatus::Revealing { until: 2 + REVEAL_PERIOD });
		for w in 10..=11 {
			assert_ok!(reveal_as(w, job, &out));
		}
		assert_eq!(MosaicJobs::job_view(job).unwrap().reveals.len(), 2);
		assert_ok!(reveal_as(12, job, &out));
		assert_eq!(status(job), JobStatus::Settled);

		let view = MosaicJobs::job_view(job).unwrap();
		let result = view.job.result.unwrap();
		assert_eq!(result.agreeing, 3);
		assert_eq!(result.outcome, out);
		assert_eq!(result.digest, MosaicJobs::outcome_digest(&out, 3).unwrap());
		assert!(view.commitments.is_empty() && view.reveals.is_empty());

		// 300 in fees: 30 royalty, 90 per worker, owed in the rewards pot; the protocol fee
		// goes to its pool. Nothing is minted or burned.
		assert_eq!(Balances::free_balance(OWNER), 10);
		assert_eq!(owed(OWNER), 30);
		assert_eq!(Pooled::get(), vec![(PROTOCOL_FEE, RewardSource::ProtocolFee)]);
		assert_eq!(Balances::free_balance(POT), 1 + 300 + PROTOCOL_FEE);
		for w in 10..=12 {
			assert_eq!(owed(w), 90);
			assert_eq!(Balances::free_balance(w), 10_000 - 2 * MIN_STAKE);
			assert_eq!(Workers::<Test>::get(w).unwrap().assigned, 0);
			assert!(Assignments::<Test>::iter_prefix(w).next().is_none());
		}
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), 100_000 - 300 - PROTOCOL_FEE);
		assert_eq!(total_issuance(), issuance);
		assert_eq!(OpenJobs::<Test>::get(0), 0);
		// Each worker computed and confirmed the others; the owner's model ran.
		let mut recorded = Recorded::get();
		recorded.sort_by_key(|r| (r.0, r.1));
		let d = result.digest;
		assert_eq!(
			recorded,
			vec![
				(10, ContributionKind::Compute, Subject::Job(job), COMPUTE_POINTS, d),
				(10, ContributionKind::Validation, Subject::Job(job), VALIDATION_POINTS, d),
				(11, ContributionKind::Compute, Subject::Job(job), COMPUTE_POINTS, d),
				(11, ContributionKind::Validation, Subject::Job(job), VALIDATION_POINTS, d),
				(12, ContributionKind::Compute, Subject::Job(job), COMPUTE_POINTS, d),
				(12, ContributionKind::Validation, Subject::Job(job), VALIDATION_POINTS, d),
				(OWNER, ContributionKind::Model, Subject::Job(job), MODEL_POINTS, [0; 32]),
			]
		);
		assert!(events().contains(&Event::JobSettled {
			job,
			digest: result.digest,
			agreeing: 3,
			refunded: 0
		}));

		// Purged after the retention period.
		run_to(1 + RETENTION);
		assert!(MosaicJobs::job_view(job).is_some());
		run_to(2 + RETENTION);
		assert!(MosaicJobs::job_view(job).is_none());
		assert!(events().contains(&Event::JobPurged { job }));
	});
}

#[test]
fn a_lying_worker_is_slashed_and_the_honest_are_paid() {
	build_and_execute(|| {
		for w in 10..=12 {
			register(w);
		}
		let issuance = total_issuance();
		let job = submit(3);
		run_to(2);
		let honest = outputs(&[1000, 2000]);
		let lie = outputs(&[1000, 2001]);
		for (w, out) in [(10, &honest), (11, &lie), (12, &honest)] {
			assert_ok!(commit_as(w, job, out));
		}
		for (w, out) in [(10, &honest), (11, &lie), (12, &honest)] {
			assert_ok!(reveal_as(w, job, out));
		}
		assert_eq!(status(job), JobStatus::Settled);
		// 270 shared by the two honest workers.
		assert_eq!((owed(10), owed(12), owed(11)), (135, 135, 0));
		assert_eq!(Balances::free_balance(11), 10_000 - 2 * MIN_STAKE);
		// The liar gets no record.
		assert!(Recorded::get().iter().all(|r| r.0 != 11));
		assert_eq!(Workers::<Test>::get(11).unwrap().stake, 2 * MIN_STAKE - DISSENT_SLASH);
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &11), 2 * MIN_STAKE - DISSENT_SLASH);
		assert_eq!(total_issuance(), issuance);
		assert_eq!(
			Pooled::get(),
			vec![(DISSENT_SLASH, RewardSource::Slash), (PROTOCOL_FEE, RewardSource::ProtocolFee)]
		);
		assert!(events().contains(&Event::WorkerSlashed {
			worker: 11,
			job,
			amount: DISSENT_SLASH,
			reason: SlashReason::Dissent
		}));
	});
}

#[test]
fn values_within_tolerance_agree() {
	build_and_execute(|| {
		add_version(0, 1, OWNER, Some(1));
		for w in 10..=12 {
			register(w);
		}
		let job = submit(3);
		run_to(2);
		let outs = [outputs(&[1000, 2000]), outputs(&[1001, 2000]), outputs(&[999, 1999])];
		for (i, w) in (10..=12).enumerate() {
			assert_ok!(commit_as(w, job, &outs[i]));
		}
		for (i, w) in (10..=12).enumerate() {
			assert_ok!(reveal_as(w, job, &outs[i]));
		}
		// 1001 and 999 are 2 apart, but both are within 1 of 1000: three agree with it.
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!((result.agreeing, result.outcome), (3, outs[0].clone()));
		assert!(!events().iter().any(|e| matches!(e, Event::WorkerSlashed { .. })));
	});
}

#[test]
fn silent_workers_miss_are_slashed_and_go_inactive() {
	build_and_execute(|| {
		register(10);
		register(11);
		register(12);
		let out = outputs(&[5]);
		for attempt in 0..MAX_MISSED as u64 {
			let job = submit(3);
			run_to(System::block_number() + 1);
			// 12 never commits.
			assert_ok!(commit_as(10, job, &out));
			assert_ok!(commit_as(11, job, &out));
			let commit_end = System::block_number() + COMMIT_PERIOD;
			run_to(commit_end);
			assert!(matches!(status(job), JobStatus::Revealing { .. }), "attempt {attempt}");
			assert_ok!(reveal_as(10, job, &out));
			assert_ok!(reveal_as(11, job, &out));
			assert_eq!(status(job), JobStatus::Settled);
			assert_eq!(Workers::<Test>::get(12).unwrap().missed, attempt as u32 + 1);
		}
		let info = Workers::<Test>::get(12).unwrap();
		assert_eq!(info.status, WorkerStatus::Inactive);
		assert_eq!(info.stake, 2 * MIN_STAKE - 2 * NO_REVEAL_SLASH);
		assert!(!EligibleWorkers::<Test>::get().iter().any(|(w, _)| *w == 12));
		assert!(events().contains(&Event::WorkerInactive { worker: 12, missed: MAX_MISSED }));
		// It comes back by resuming.
		assert_ok!(MosaicJobs::resume(RuntimeOrigin::signed(12)));
		assert!(EligibleWorkers::<Test>::get().iter().any(|(w, _)| *w == 12));
		assert_eq!(Workers::<Test>::get(12).unwrap().missed, 0);
	});
}

#[test]
fn no_quorum_escalates_then_settles() {
	build_and_execute(|| {
		for w in 10..=13 {
			register(w);
		}
		let job = submit(2);
		run_to(2);
		let first = workers_of(job);
		let (a, b) = (first[0], first[1]);
		let (x, y) = (outputs(&[1]), outputs(&[2]));
		assert_ok!(commit_as(a, job, &x));
		assert_ok!(commit_as(b, job, &y));
		assert_ok!(reveal_as(a, job, &x));
		assert_ok!(reveal_as(b, job, &y));
		// One against one: no majority of two. Two more join.
		assert!(events().contains(&Event::JobEscalated { job, attempt: 1 }));
		let all = workers_of(job);
		assert_eq!(all.len(), 4);
		let added: Vec<u64> = all[2..].to_vec();
		assert!(!added.contains(&a) && !added.contains(&b));
		for w in &added {
			assert_ok!(commit_as(*w, job, &x));
		}
		for w in &added {
			assert_ok!(reveal_as(*w, job, &x));
		}
		// Three of four agree on x.
		assert_eq!(status(job), JobStatus::Settled);
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!((result.agreeing, result.outcome), (3, x));
		assert_eq!(Workers::<Test>::get(b).unwrap().stake, 2 * MIN_STAKE - DISSENT_SLASH);
		// 200 in fees less 20 royalty, shared by three: 60 each.
		assert_eq!(owed(a), 60);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
	});
}

#[test]
fn no_quorum_without_escalation_fails_and_refunds() {
	build_and_execute(|| {
		register(10);
		register(11);
		let job = submit(2);
		run_to(2);
		assert_ok!(commit_as(10, job, &outputs(&[1])));
		assert_ok!(commit_as(11, job, &outputs(&[2])));
		assert_ok!(reveal_as(10, job, &outputs(&[1])));
		assert_ok!(reveal_as(11, job, &outputs(&[2])));
		// Nobody else to escalate to.
		assert_eq!(status(job), JobStatus::Failed(FailReason::NoQuorum));
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), 100_000 - PROTOCOL_FEE);
		// Without a quorum nobody is called a liar.
		assert!(!events().iter().any(|e| matches!(e, Event::WorkerSlashed { .. })));
		assert_eq!(Workers::<Test>::get(10).unwrap().assigned, 0);
	});
}

#[test]
fn nobody_commits_fails_at_commit_end() {
	build_and_execute(|| {
		register(10);
		let job = submit(1);
		run_to(2);
		run_to(2 + COMMIT_PERIOD);
		assert_eq!(status(job), JobStatus::Failed(FailReason::NoQuorum));
		assert_eq!(Workers::<Test>::get(10).unwrap().stake, 2 * MIN_STAKE - NO_REVEAL_SLASH);
		assert_eq!(Balances::free_balance(ALICE), 100_000 - PROTOCOL_FEE);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
	});
}

#[test]
fn committed_but_silent_at_reveal_end() {
	build_and_execute(|| {
		for w in 10..=12 {
			register(w);
		}
		let job = submit(3);
		run_to(2);
		let out = outputs(&[7]);
		for w in 10..=12 {
			assert_ok!(commit_as(w, job, &out));
		}
		assert_ok!(reveal_as(10, job, &out));
		assert_ok!(reveal_as(11, job, &out));
		run_to(2 + REVEAL_PERIOD);
		assert_eq!(status(job), JobStatus::Settled);
		assert_eq!(Workers::<Test>::get(12).unwrap().stake, 2 * MIN_STAKE - NO_REVEAL_SLASH);
		assert_eq!(owed(10), 135);
		assert_eq!(pooled(), NO_REVEAL_SLASH + PROTOCOL_FEE);
	});
}

#[test]
fn executor_model_fault_fails_the_job_and_invalidates_the_version() {
	build_and_execute(|| {
		register(10);
		let job = submit(1);
		run_to(2);
		let fault = Outcome::Error { code: 4, model_fault: true };
		assert_ok!(commit_as(10, job, &fault));
		assert_ok!(reveal_as(10, job, &fault));
		assert_eq!(
			status(job),
			JobStatus::Failed(FailReason::Executor { code: 4, model_fault: true })
		);
		assert_eq!(Invalidated::get(), vec![((0, 1), 4)]);
		assert_eq!(Balances::free_balance(ALICE), 100_000 - PROTOCOL_FEE);
		assert_eq!(Balances::free_balance(10), 10_000 - 2 * MIN_STAKE);
		assert_noop!(
			MosaicJobs::submit_job(
				RuntimeOrigin::signed(ALICE),
				0,
				1,
				JobKind::Inference,
				inline_x(&[1.0]),
				1,
				100,
				30
			),
			Error::<Test>::VersionNotRunnable
		);
	});
}

#[test]
fn cancel_before_commit_refunds_everything() {
	build_and_execute(|| {
		register(10);
		let queued = submit(1);
		assert_noop!(
			MosaicJobs::cancel_job(RuntimeOrigin::signed(2), queued),
			Error::<Test>::NotRequester
		);
		assert_noop!(
			MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), 99),
			Error::<Test>::UnknownJob
		);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), queued));
		assert_eq!(status(queued), JobStatus::Cancelled);
		assert!(Queue::<Test>::get().is_empty());
		assert_eq!(Balances::free_balance(ALICE), 100_000);

		let assigned = submit(1);
		run_to(2);
		assert_eq!(Workers::<Test>::get(10).unwrap().assigned, 1);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), assigned));
		assert_eq!(Workers::<Test>::get(10).unwrap().assigned, 0);
		assert_eq!(Balances::free_balance(ALICE), 100_000);
		assert!(
			events().contains(&Event::JobCancelled { job: assigned, refunded: 100 + PROTOCOL_FEE })
		);
		// Committing phase end for the cancelled job is ignored.
		run_to(2 + COMMIT_PERIOD);
		assert_eq!(status(assigned), JobStatus::Cancelled);

		let committed = submit(1);
		run_to(System::block_number() + 1);
		assert_ok!(commit_as(10, committed, &outputs(&[1])));
		assert_noop!(
			MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), committed),
			Error::<Test>::CannotCancel
		);
	});
}

#[test]
fn queued_job_without_workers_fails_with_full_refund() {
	build_and_execute(|| {
		let job = submit(1);
		// Latest start: 30 - 6 = 24.
		run_to(23);
		assert_eq!(status(job), JobStatus::Queued);
		run_to(24);
		assert_eq!(status(job), JobStatus::Failed(FailReason::NoWorkers));
		assert!(Queue::<Test>::get().is_empty());
		assert_eq!(Balances::free_balance(ALICE), 100_000);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
	});
}

#[test]
fn the_requester_is_never_assigned() {
	build_and_execute(|| {
		assert_ok!(MosaicJobs::register_worker(RuntimeOrigin::signed(ALICE), 101, MIN_STAKE, 4));
		let job = submit(1);
		run_to(5);
		assert_eq!(status(job), JobStatus::Queued);
		register(10);
		run_to(6);
		assert_eq!(workers_of(job), vec![10]);
	});
}

#[test]
fn capacity_bounds_assignments() {
	build_and_execute(|| {
		register(10); // capacity 2
		let jobs: Vec<JobId> = (0..3).map(|_| submit(1)).collect();
		run_to(2);
		assert_eq!(Workers::<Test>::get(10).unwrap().assigned, 2);
		assert!(EligibleWorkers::<Test>::get().is_empty());
		assert_eq!(status(jobs[2]), JobStatus::Queued);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), jobs[0]));
		run_to(3);
		assert!(matches!(status(jobs[2]), JobStatus::Committing { .. }));
	});
}

#[test]
fn commit_and_reveal_errors() {
	build_and_execute(|| {
		register(10);
		register(11);
		let job = submit(1);
		let out = outputs(&[3]);
		assert_noop!(commit_as(10, 9, &out), Error::<Test>::UnknownJob);
		assert_noop!(
			MosaicJobs::commit(RuntimeOrigin::signed(10), job, [0; 32]),
			Error::<Test>::NotWorkerKey
		);
		assert_noop!(commit_as(10, job, &out), Error::<Test>::NotCommitting);
		run_to(2);
		let assigned = workers_of(job)[0];
		let other = if assigned == 10 { 11 } else { 10 };
		assert_noop!(commit_as(other, job, &out), Error::<Test>::NotAssigned);
		assert_noop!(reveal_as(assigned, job, &out), Error::<Test>::NotRevealing);

		// Two workers on a second job, so the first commit does not close the phase.
		let job2 = submit(2);
		run_to(3);
		assert_ok!(commit_as(10, job2, &out));
		assert_noop!(commit_as(10, job2, &out), Error::<Test>::AlreadyCommitted);

		assert_ok!(commit_as(assigned, job, &out));
		assert_noop!(reveal_as(other, job, &out), Error::<Test>::NotCommitted);
		assert_noop!(reveal_as(assigned, job, &outputs(&[4])), Error::<Test>::CommitmentMismatch);
		let too_big = Outcome::Outputs(
			vec![
				OutputTensor {
					name: b"y".to_vec().try_into().unwrap(),
					element_type: ElementType::F32,
					shape: vec![MAX_OUTPUT_VALUES as u64].try_into().unwrap(),
					elements: vec![0; MAX_OUTPUT_VALUES as usize].try_into().unwrap(),
				},
				OutputTensor {
					name: b"z".to_vec().try_into().unwrap(),
					element_type: ElementType::F32,
					shape: vec![1].try_into().unwrap(),
					elements: vec![0].try_into().unwrap(),
				},
			]
			.try_into()
			.unwrap(),
		);
		assert_noop!(reveal_as(assigned, job, &too_big), Error::<Test>::OutputsTooLarge);
		let malformed = Outcome::Outputs(
			vec![OutputTensor {
				name: b"y".to_vec().try_into().unwrap(),
				element_type: ElementType::F32,
				shape: vec![3].try_into().unwrap(),
				elements: vec![0].try_into().unwrap(),
			}]
			.try_into()
			.unwrap(),
		);
		assert_noop!(reveal_as(assigned, job, &malformed), Error::<Test>::MalformedOutputs);
		assert_ok!(reveal_as(assigned, job, &out));
		assert_noop!(reveal_as(assigned, job, &out), Error::<Test>::NotRevealing);
		assert_noop!(
			MosaicJobs::set_min_replication(RuntimeOrigin::signed(ALICE), 2),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			MosaicJobs::set_min_replication(RuntimeOrigin::root(), 0),
			Error::<Test>::BadReplication
		);
	});
}

#[test]
fn successful_commits_and_reveals_are_free() {
	build_and_execute(|| {
		register(10);
		let job = submit(1);
		run_to(2);
		let out = outputs(&[3]);
		assert_eq!(commit_as(10, job, &out).unwrap().pays_fee, Pays::No);
		assert_eq!(reveal_as(10, job, &out).unwrap().pays_fee, Pays::No);
	});
}

#[test]
fn digest_only_reveals_agree_by_digest() {
	build_and_execute(|| {
		register(10);
		register(11);
		let job = submit(2);
		run_to(2);
		let full = outputs(&[1, 2]);
		let digest = Outcome::Digest(MosaicJobs::outcome_digest(&full, 3).unwrap());
		assert_ok!(commit_as(10, job, &full));
		assert_ok!(commit_as(11, job, &digest));
		assert_ok!(reveal_as(10, job, &full));
		assert_ok!(reveal_as(11, job, &digest));
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!(result.agreeing, 2);
		assert_eq!(status(job), JobStatus::Settled);
	});
}
