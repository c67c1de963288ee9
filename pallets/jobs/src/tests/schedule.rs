//! The schedule of phase ends: each job's one entry, and crowded blocks handled late, never
//! early.

use super::*;
use frame_support::traits::Get;

#[test]
fn a_crowded_block_is_handled_over_the_next_blocks_never_early() {
	build_and_execute(|| {
		let max = <<Test as Config>::MaxDeadlinesPerBlock as Get<u32>>::get() as usize;
		assert_eq!(max, 8);
		let crowded = 1 + RETENTION;
		register_all(10..=12);

		// Six jobs cancelled now: their purges are due in the crowded block.
		let cancelled: Vec<JobId> = (0..6)
			.map(|_| {
				let job = submit(1);
				assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), job));
				job
			})
			.collect();

		// Six jobs of one worker each, assigned over two blocks and all committed in a third:
		// their reveal phases end in the crowded block.
		run_to(crowded - 6);
		let revealing: Vec<JobId> = (0..6).map(|_| submit(1)).collect();
		run_to(crowded - 4);
		assert!(revealing.iter().all(|j| matches!(status(*j), JobStatus::Committing { .. })));
		run_to(crowded - 3);
		let out = outputs(&[3]);
		for job in &revealing {
			assert_ok!(commit_as(workers_of(*job)[0], *job, &out));
			assert_eq!(status(*job), JobStatus::Revealing { until: crowded });
		}

		// Nobody takes new work, and the queue fills with jobs whose latest start is the
		// crowded block.
		for w in 10..=12 {
			assert_ok!(MosaicJobs::pause(RuntimeOrigin::signed(w)));
		}
		let queued: Vec<JobId> = (0..8)
			.map(|_| {
				let job = NextJobId::<Test>::get();
				assert_ok!(MosaicJobs::submit_job(
					RuntimeOrigin::signed(ALICE),
					0,
					1,
					JobKind::Inference,
					inline_x(&[1.0]),
					1,
					FEE,
					crowded + COMMIT_PERIOD + 2 * REVEAL_PERIOD
				));
				job
			})
			.collect();
		assert_eq!(Deadlines::<Test>::iter_key_prefix(crowded).count(), 20);

		// Up to the block before, nothing due in the crowded block is touched.
		run_to(crowded - 1);
		assert!(cancelled.iter().all(|j| status(*j) == JobStatus::Cancelled));
		assert!(queued.iter().all(|j| status(*j) == JobStatus::Queued));
		assert!(revealing.iter().all(|j| status(*j) == JobStatus::Revealing { until: crowded }));
		assert_eq!(Deadlines::<Test>::iter_key_prefix(crowded).count(), 20);

		// The workers whose reveal phase ends among the first `max` handled reveal in time;
		// the others take their time (which of them depends on the order of the keys).
		let mut on_time = Vec::new();
		while let Some((job, _)) = Deadlines::<Test>::iter_key_prefix(crowded)
			.take(max)
			.find(|(_, kind)| *kind == DeadlineKind::RevealEnd)
		{
			assert_ok!(reveal_as(workers_of(job)[0], job, &out));
			assert_eq!(status(job), JobStatus::Settled);
			on_time.push(job);
		}
		let late: Vec<JobId> = revealing.iter().filter(|j| !on_time.contains(j)).copied().collect();
		assert!(!late.is_empty(), "some reveal phase end is among those that wait");
		let due = Deadlines::<Test>::iter_key_prefix(crowded).count();
		assert_eq!(due, 20 - on_time.len());
		assert!(due > max);

		// The crowded block handles `max` of them; the rest wait, and the cursor with them.
		run_to(crowded);
		assert_eq!(Deadlines::<Test>::iter_key_prefix(crowded).count(), due - max);
		assert_eq!(DeadlineCursor::<Test>::get(), crowded);
		let purged = cancelled.iter().filter(|j| MosaicJobs::job_view(**j).is_none()).count();
		let expired = queued
			.iter()
			.filter(|j| status(**j) == JobStatus::Failed(FailReason::NoWorkers))
			.count();
		assert_eq!(purged + expired, max);
		// A reveal phase that waits has not ended: its worker may still reveal, and is paid.
		for job in &late {
			assert_eq!(status(*job), JobStatus::Revealing { until: crowded });
			assert_ok!(reveal_as(workers_of(*job)[0], *job, &out));
			assert_eq!(status(*job), JobStatus::Settled);
		}

		// The next block handles the rest.
		run_to(crowded + 1);
		assert_eq!(Deadlines::<Test>::iter_key_prefix(crowded).count(), 0);
		assert_eq!(DeadlineCursor::<Test>::get(), crowded + 2);
		for job in &cancelled {
			assert!(MosaicJobs::job_view(*job).is_none());
			assert!(events().contains(&Event::JobPurged { job: *job }));
		}
		for job in &queued {
			assert_eq!(status(*job), JobStatus::Failed(FailReason::NoWorkers));
			assert!(events().contains(&Event::JobFailed {
				job: *job,
				reason: FailReason::NoWorkers,
				refunded: FEE + PROTOCOL_FEE
			}));
		}
		// Nobody was slashed or missed anything for the crowding: every worker was paid for
		// both its jobs.
		assert!(!anyone_slashed());
		for w in 10..=12 {
			assert_eq!(owed(w), 2 * 90);
			let info = Workers::<Test>::get(w).unwrap();
			assert_eq!((info.missed, info.stake, info.assigned), (0, 2 * MIN_STAKE, 0));
		}
		// The requester paid the protocol fee of each cancelled job, and the fees of the
		// settled ones; the expired ones cost nothing.
		assert_eq!(
			Balances::free_balance(ALICE),
			100_000 - 6 * PROTOCOL_FEE - 6 * (FEE + PROTOCOL_FEE)
		);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
	});
}

#[test]
fn each_job_has_exactly_one_phase_end() {
	build_and_execute(|| {
		register_all(10..=11);
		let entries = || Deadlines::<Test>::iter().map(|(b, e, ())| (b, e)).collect::<Vec<_>>();
		let job = submit(2);
		assert_eq!(entries(), vec![(21, (job, DeadlineKind::LatestStart))]);
		run_to(2);
		assert_eq!(entries(), vec![(2 + COMMIT_PERIOD, (job, DeadlineKind::CommitEnd))]);
		let out = outputs(&[1]);
		assert_ok!(commit_as(10, job, &out));
		assert_ok!(commit_as(11, job, &out));
		assert_eq!(entries(), vec![(2 + REVEAL_PERIOD, (job, DeadlineKind::OpenEnd))]);
		assert_ok!(open_as(10, job, &out));
		assert_ok!(open_as(11, job, &out));
		assert_eq!(entries(), vec![(2 + REVEAL_PERIOD, (job, DeadlineKind::RevealEnd))]);
		assert_ok!(reveal_as(10, job, &out));
		assert_ok!(reveal_as(11, job, &out));
		assert_eq!(entries(), vec![(2 + RETENTION, (job, DeadlineKind::Purge))]);
		assert_eq!(MosaicJobs::do_try_state(), Ok(()));
		// A second entry for the job breaks the invariant, as a missing one does.
		Deadlines::<Test>::insert(30, (job, DeadlineKind::CommitEnd), ());
		assert!(MosaicJobs::do_try_state().is_err());
		Deadlines::<Test>::remove(30, (job, DeadlineKind::CommitEnd));
		Deadlines::<Test>::remove(2 + RETENTION, (job, DeadlineKind::Purge));
		assert!(MosaicJobs::do_try_state().is_err());
		Deadlines::<Test>::insert(2 + RETENTION, (job, DeadlineKind::Purge), ());
		run_to(2 + RETENTION);
		assert!(entries().is_empty());
		assert!(MosaicJobs::job_view(job).is_none());
	});
}
