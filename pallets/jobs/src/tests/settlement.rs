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
		assert_eq!(status(job), JobStatus::Opening { until: 2 + REVEAL_PERIOD });
		for w in 10..=12 {
			assert_ok!(open_as(w, job, &out));
		}
		assert_eq!(status(job), JobStatus::Disclosing { until: 2 + REVEAL_PERIOD, attempt: 0 });
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
		open_and_reveal(job, [(10, &honest), (11, &lie), (12, &honest)]);
		assert_eq!(status(job), JobStatus::Settled);
		// 270 shared by the two honest workers.
		assert_eq!((owed(10), owed(12), owed(11)), (135, 135, 0));
		assert_eq!(Balances::free_balance(11), 10_000 - 2 * MIN_STAKE);
		// The liar gets no record.
		assert!(Recorded::get().iter().all(|r| r.0 != 11));
		// It loses the dissent slash and the fee it tried to earn.
		assert_eq!(DISSENT, 400);
		assert_eq!(Workers::<Test>::get(11).unwrap().stake, 2 * MIN_STAKE - DISSENT);
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &11), 2 * MIN_STAKE - DISSENT);
		assert_eq!(total_issuance(), issuance);
		assert_eq!(
			Pooled::get(),
			vec![(DISSENT, RewardSource::Slash), (PROTOCOL_FEE, RewardSource::ProtocolFee)]
		);
		assert_eq!(Balances::free_balance(POT), 1 + 270 + DISSENT + PROTOCOL_FEE + 30);
		let slashes: Vec<_> = events()
			.into_iter()
			.filter(|e| matches!(e, Event::WorkerSlashed { .. }))
			.collect();
		assert_eq!(
			slashes,
			vec![Event::WorkerSlashed {
				worker: 11,
				job,
				amount: DISSENT,
				reason: SlashReason::Dissent
			}]
		);
	});
}

#[test]
fn a_dissent_slash_is_bounded_by_what_the_worker_holds() {
	build_and_execute(|| {
		register_all(10..=12);
		// Part of the liar's stake is unbonding: still held, still slashable.
		assert_ok!(MosaicJobs::unbond(RuntimeOrigin::signed(11), 500));
		let issuance = total_issuance();
		let job = NextJobId::<Test>::get();
		// A fee of 2,000 makes a dissent cost 2,300, more than the 2,000 the liar holds.
		assert_ok!(MosaicJobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			inline_x(&[1.0]),
			3,
			2_000,
			30
		));
		run_to(2);
		let honest = outputs(&[1000]);
		let lie = outputs(&[1001]);
		for (w, out) in [(10, &honest), (11, &lie), (12, &honest)] {
			assert_ok!(commit_as(w, job, out));
		}
		open_and_reveal(job, [(10, &honest), (11, &lie), (12, &honest)]);
		assert_eq!(status(job), JobStatus::Settled);
		assert!(events().contains(&Event::WorkerSlashed {
			worker: 11,
			job,
			amount: 2 * MIN_STAKE,
			reason: SlashReason::Dissent
		}));
		let info = Workers::<Test>::get(11).unwrap();
		assert_eq!((info.stake, info.unbonding), (0, 0));
		assert_eq!(info.status, WorkerStatus::Inactive);
		assert!(events().contains(&Event::WorkerInactive { worker: 11, missed: 0 }));
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &11), 0);
		assert_eq!(Balances::free_balance(11), 10_000 - 2 * MIN_STAKE);
		assert_eq!(weight_of(11), None);
		// 6,000 in fees: 600 royalty, 2,700 to each honest worker.
		assert_eq!((owed(10), owed(12), owed(OWNER)), (2_700, 2_700, 600));
		assert_eq!(
			Pooled::get(),
			vec![(2 * MIN_STAKE, RewardSource::Slash), (PROTOCOL_FEE, RewardSource::ProtocolFee)]
		);
		assert_eq!(total_issuance(), issuance);
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
		// Identical digests: none. With nobody to escalate to, every outcome is disclosed.
		open_and_reveal(job, (10..=12).zip(outs.iter()));
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
			assert!(matches!(status(job), JobStatus::Opening { .. }), "attempt {attempt}");
			open_and_reveal(job, [(10, &out), (11, &out)]);
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
		assert_ok!(open_as(a, job, &x));
		assert_ok!(open_as(b, job, &y));
		// One digest against another: no majority of two. The phase ends in the next block,
		// never inside the extrinsic (an escalation draws workers).
		assert!(matches!(status(job), JobStatus::Opening { .. }));
		assert!(!events().contains(&Event::JobEscalated { job, attempt: 1 }));
		run_to(System::block_number() + 1);
		// Two more join, while only the digests are public.
		assert!(events().contains(&Event::JobEscalated { job, attempt: 1 }));
		let all = workers_of(job);
		assert_eq!(all.len(), 4);
		let added: Vec<u64> = all[2..].to_vec();
		assert!(!added.contains(&a) && !added.contains(&b));
		for w in &added {
			assert_ok!(commit_as(*w, job, &x));
		}
		for w in &added {
			assert_ok!(open_as(*w, job, &x));
		}
		// Three of four opened x's digest: the later attempt discloses first, then the first.
		assert!(matches!(status(job), JobStatus::Disclosing { attempt: 1, .. }));
		assert_noop!(reveal_as(a, job, &x), Error::<Test>::NotRevealing);
		for w in &added {
			assert_ok!(reveal_as(*w, job, &x));
		}
		assert!(matches!(status(job), JobStatus::Disclosing { attempt: 0, .. }));
		assert_ok!(reveal_as(a, job, &x));
		assert_ok!(reveal_as(b, job, &y));
		// Three of four agree on x.
		assert_eq!(status(job), JobStatus::Settled);
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!((result.agreeing, result.outcome), (3, x));
		assert_eq!(Workers::<Test>::get(b).unwrap().stake, 2 * MIN_STAKE - DISSENT);
		assert!(events().contains(&Event::WorkerSlashed {
			worker: b,
			job,
			amount: DISSENT,
			reason: SlashReason::Dissent
		}));
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
		// Nobody else to escalate to: both outcomes are disclosed, and agree no more than
		// their digests.
		open_and_reveal(job, [(10, &outputs(&[1])), (11, &outputs(&[2]))]);
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
		// Assigned, and neither committed nor revealed: the no-reveal slash.
		assert_eq!(Workers::<Test>::get(10).unwrap().stake, 2 * MIN_STAKE - NO_REVEAL_SLASH);
		assert!(events().contains(&Event::WorkerSlashed {
			worker: 10,
			job,
			amount: NO_REVEAL_SLASH,
			reason: SlashReason::NoReveal
		}));
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
		for w in 10..=12 {
			assert_ok!(open_as(w, job, &out));
		}
		assert_ok!(reveal_as(10, job, &out));
		assert_ok!(reveal_as(11, job, &out));
		run_to(2 + REVEAL_PERIOD);
		assert_eq!(status(job), JobStatus::Settled);
		// It committed and withheld its reveal: slashed as much as a dissenter.
		assert_eq!(Workers::<Test>::get(12).unwrap().stake, 2 * MIN_STAKE - DISSENT);
		assert!(events().contains(&Event::WorkerSlashed {
			worker: 12,
			job,
			amount: DISSENT,
			reason: SlashReason::Withheld
		}));
		assert_eq!(owed(10), 135);
		assert_eq!(owed(12), 0);
		assert_eq!(
			Pooled::get(),
			vec![(DISSENT, RewardSource::Slash), (PROTOCOL_FEE, RewardSource::ProtocolFee)]
		);
		// It committed, so it missed nothing.
		assert_eq!(Workers::<Test>::get(12).unwrap().missed, 0);
	});
}

#[test]
fn executor_model_fault_fails_the_job_and_invalidates_the_version() {
	build_and_execute(|| {
		register_all(10..=12);
		let issuance = total_issuance();
		let job = submit(3);
		run_to(2);
		let fault = Outcome::Error { code: 4, model_fault: true };
		for w in 10..=12 {
			assert_ok!(commit_as(w, job, &fault));
		}
		open_and_reveal(job, (10..=12).map(|w| (w, &fault)));
		let reason = FailReason::Executor { code: 4, model_fault: true };
		assert_eq!(status(job), JobStatus::Failed(reason));
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!((result.outcome, result.agreeing), (fault.clone(), 3));
		// Three agreeing workers find the model at fault: the version is invalid.
		assert_eq!(Invalidated::get(), vec![((0, 1), 4)]);
		// The workers are paid their share of the fees, without royalty; the protocol fee is
		// kept and the rest (nothing here) refunded.
		for w in 10..=12 {
			assert_eq!(owed(w), FEE);
			assert!(events().contains(&Event::WorkerPaid { job, worker: w, amount: FEE }));
			assert_eq!(Workers::<Test>::get(w).unwrap().stake, 2 * MIN_STAKE);
		}
		assert_eq!(owed(OWNER), 0);
		assert!(!events().iter().any(|e| matches!(e, Event::RoyaltyPaid { .. })));
		assert!(!anyone_slashed());
		// A failure is no model use: no contribution is recorded.
		assert!(Recorded::get().is_empty());
		assert_eq!(Pooled::get(), vec![(PROTOCOL_FEE, RewardSource::ProtocolFee)]);
		assert!(events().contains(&Event::JobFailed { job, reason, refunded: 0 }));
		assert_eq!(Balances::free_balance(ALICE), 100_000 - 3 * FEE - PROTOCOL_FEE);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
		assert_eq!(Balances::free_balance(POT), 1 + 3 * FEE + PROTOCOL_FEE);
		assert_eq!(total_issuance(), issuance);
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
fn fewer_than_three_agreeing_on_a_model_fault_do_not_invalidate_the_version() {
	build_and_execute(|| {
		register_all(10..=12);
		let fault = Outcome::Error { code: 4, model_fault: true };
		let reason = FailReason::Executor { code: 4, model_fault: true };
		let mut spent = 0;

		// One worker: its verdict fails the job and earns its fee, but ends no model.
		let job = submit(1);
		run_to(System::block_number() + 1);
		let w = workers_of(job)[0];
		assert_ok!(commit_as(w, job, &fault));
		assert_ok!(reveal_as(w, job, &fault));
		assert_eq!(status(job), JobStatus::Failed(reason));
		assert!(events().contains(&Event::JobFailed { job, reason, refunded: 0 }));
		assert_eq!(owed(w), FEE);
		spent += FEE + PROTOCOL_FEE;
		assert_eq!(Balances::free_balance(ALICE), 100_000 - spent);

		// Two workers, both agreeing: still fewer than `MODEL_FAULT_QUORUM`.
		let job = submit(2);
		run_to(System::block_number() + 1);
		let pair = workers_of(job);
		for w in &pair {
			assert_ok!(commit_as(*w, job, &fault));
		}
		let before: Vec<u64> = pair.iter().map(|w| owed(*w)).collect();
		open_and_reveal(job, pair.iter().map(|w| (*w, &fault)));
		assert_eq!(status(job), JobStatus::Failed(reason));
		assert_eq!(MosaicJobs::job_view(job).unwrap().job.result.unwrap().agreeing, 2);
		for (w, owed_before) in pair.iter().zip(before) {
			assert_eq!(owed(*w), owed_before + FEE);
		}
		spent += 2 * FEE + PROTOCOL_FEE;
		assert_eq!(Balances::free_balance(ALICE), 100_000 - spent);

		// Three workers, two of them agreeing on the fault and one revealing outputs: the
		// fault is the quorum's, the third a dissenter, and two still end no model. A fee of
		// 101 leaves 303 to share among two: 151 each and 1 refunded.
		let job = NextJobId::<Test>::get();
		assert_ok!(MosaicJobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			inline_x(&[1.0]),
			3,
			101,
			30
		));
		run_to(System::block_number() + 1);
		let owed_before: Vec<u64> = (10..=12).map(owed).collect();
		let out = outputs(&[1]);
		for (w, o) in [(10, &fault), (11, &fault), (12, &out)] {
			assert_ok!(commit_as(w, job, o));
		}
		open_and_reveal(job, [(10, &fault), (11, &fault), (12, &out)]);
		assert_eq!(status(job), JobStatus::Failed(reason));
		assert!(events().contains(&Event::JobFailed { job, reason, refunded: 1 }));
		assert_eq!(owed(10), owed_before[0] + 151);
		assert_eq!(owed(11), owed_before[1] + 151);
		assert_eq!(owed(12), owed_before[2]);
		assert!(events().contains(&Event::WorkerSlashed {
			worker: 12,
			job,
			amount: DISSENT_SLASH + 101,
			reason: SlashReason::Dissent
		}));
		spent += 302 + PROTOCOL_FEE;
		assert_eq!(Balances::free_balance(ALICE), 100_000 - spent);

		assert!(Invalidated::get().is_empty());
		assert!(<MockRegistry as ModelRegistry<u64, u64>>::is_runnable(0, 1));
		assert!(Recorded::get().is_empty());
		submit(1);
	});
}

#[test]
fn cancel_refunds_a_queued_job_but_the_protocol_fee() {
	build_and_execute(|| {
		register(10);
		let issuance = total_issuance();
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
		// Everything but the protocol fee comes back; the fee goes to the pool.
		assert_eq!(Balances::free_balance(ALICE), 100_000 - PROTOCOL_FEE);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
		assert_eq!(Pooled::get(), vec![(PROTOCOL_FEE, RewardSource::ProtocolFee)]);
		assert_eq!(Balances::free_balance(POT), 1 + PROTOCOL_FEE);
		assert!(events().contains(&Event::JobCancelled { job: queued, refunded: FEE }));
		assert_eq!(OpenJobs::<Test>::get(0), 0);
		assert_eq!(total_issuance(), issuance);
		// Only its purge is left in the schedule; the latest start is gone.
		assert_eq!(
			Deadlines::<Test>::iter_keys().collect::<Vec<_>>(),
			vec![(1 + RETENTION, (queued, DeadlineKind::Purge))]
		);
		assert_noop!(
			MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), queued),
			Error::<Test>::CannotCancel
		);

		// Assigned, before anybody committed: its workers are running it.
		let assigned = submit(1);
		run_to(2);
		assert_eq!(Workers::<Test>::get(10).unwrap().assigned, 1);
		assert_noop!(
			MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), assigned),
			Error::<Test>::CannotCancel
		);
		// Committed, and settled.
		let out = outputs(&[1]);
		assert_ok!(commit_as(10, assigned, &out));
		assert_noop!(
			MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), assigned),
			Error::<Test>::CannotCancel
		);
		assert_ok!(reveal_as(10, assigned, &out));
		assert_eq!(status(assigned), JobStatus::Settled);
		assert_noop!(
			MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), assigned),
			Error::<Test>::CannotCancel
		);
	});
}

#[test]
fn queued_job_without_workers_fails_with_full_refund() {
	build_and_execute(|| {
		// A worker is registered, so the job is accepted, but paused: nobody takes it.
		register(10);
		assert_ok!(MosaicJobs::pause(RuntimeOrigin::signed(10)));
		let job = submit(1);
		// Latest start: 30 - (3 + 2 * 3) = 21.
		run_to(20);
		assert_eq!(status(job), JobStatus::Queued);
		run_to(21);
		assert_eq!(status(job), JobStatus::Failed(FailReason::NoWorkers));
		assert!(events().contains(&Event::JobFailed {
			job,
			reason: FailReason::NoWorkers,
			refunded: FEE + PROTOCOL_FEE
		}));
		assert!(Queue::<Test>::get().is_empty());
		assert_eq!(Balances::free_balance(ALICE), 100_000);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
		assert!(Pooled::get().is_empty());
	});
}

#[test]
fn the_requester_is_never_assigned() {
	build_and_execute(|| {
		assert_ok!(MosaicJobs::register_worker(
			RuntimeOrigin::signed(ALICE),
			101,
			MIN_STAKE,
			4,
			key_proof(101, ALICE)
		));
		// The requester does not count among the workers a job can have.
		assert_noop!(
			MosaicJobs::submit_job(
				RuntimeOrigin::signed(ALICE),
				0,
				1,
				JobKind::Inference,
				inline_x(&[1.0]),
				1,
				FEE,
				30
			),
			Error::<Test>::NotEnoughWorkers
		);
		register(10);
		assert_ok!(MosaicJobs::pause(RuntimeOrigin::signed(10)));
		let job = submit(1);
		run_to(5);
		// The requester is the only eligible worker, and is not drawn.
		assert_eq!(EligibleWorkers::<Test>::get().into_inner(), vec![(ALICE, MIN_STAKE)]);
		assert_eq!(status(job), JobStatus::Queued);
		assert_ok!(MosaicJobs::resume(RuntimeOrigin::signed(10)));
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
		run_to(3);
		assert_eq!(status(jobs[2]), JobStatus::Queued);
		// Finishing one job frees a slot for the next.
		let out = outputs(&[1]);
		assert_ok!(commit_as(10, jobs[0], &out));
		assert_ok!(reveal_as(10, jobs[0], &out));
		assert_eq!(status(jobs[0]), JobStatus::Settled);
		assert_eq!(Workers::<Test>::get(10).unwrap().assigned, 1);
		run_to(4);
		assert_eq!(status(jobs[2]), JobStatus::Committing { until: 4 + COMMIT_PERIOD });
		assert_eq!(Workers::<Test>::get(10).unwrap().assigned, 2);
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
		assert_noop!(open_as(assigned, job, &out), Error::<Test>::NotOpening);

		// The second job opens: 10 and its partner committed.
		let partner = *workers_of(job2).iter().find(|w| **w != 10).unwrap();
		assert_noop!(open_as(partner, job2, &out), Error::<Test>::NotOpening);
		assert_ok!(commit_as(partner, job2, &out));
		assert!(matches!(status(job2), JobStatus::Opening { .. }));
		assert_noop!(reveal_as(10, job2, &out), Error::<Test>::NotRevealing);
		assert_noop!(open_as(10, job2, &outputs(&[4])), Error::<Test>::CommitmentMismatch);
		assert_ok!(open_as(10, job2, &out));
		assert_noop!(open_as(10, job2, &out), Error::<Test>::AlreadyOpened);
		run_to(System::block_number() + REVEAL_PERIOD);
		// The partner never opened: it has nothing to disclose.
		assert!(matches!(status(job2), JobStatus::Disclosing { attempt: 0, .. }));
		assert_noop!(reveal_as(partner, job2, &out), Error::<Test>::NotOpened);
		assert_ok!(reveal_as(10, job2, &out));
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
		unbounded_outputs();
		register(10);
		register(11);
		let job = submit(2);
		run_to(2);
		let full = outputs(&[1, 2]);
		let digest = Outcome::Digest(MosaicJobs::outcome_digest(&full, 3).unwrap());
		assert_ok!(commit_as(10, job, &full));
		assert_ok!(commit_as(11, job, &digest));
		open_and_reveal(job, [(10, &full), (11, &digest)]);
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!(result.agreeing, 2);
		// The reveal carrying the outputs leads, so the result records them.
		assert_eq!(result.outcome, full);
		assert_eq!(status(job), JobStatus::Settled);
	});
}
