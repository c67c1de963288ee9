//! Storage migrations.

use super::*;
use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

#[test]
fn v1_moves_the_eligible_workers_out_of_pool() {
	build_and_execute(|| {
		register(10);
		register(11);
		let listed = EligibleWorkers::<Test>::take();
		assert_eq!(listed.len(), 2);
		// The layout of version 0: the same list under the name `Pool`.
		frame_support::storage::migration::put_storage_value(
			b"MosaicJobs",
			b"Pool",
			&[],
			listed.clone(),
		);
		StorageVersion::new(0).put::<MosaicJobs>();

		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();

		assert_eq!(EligibleWorkers::<Test>::get(), listed);
		assert!(frame_support::storage::migration::get_storage_value::<Vec<(u64, u64)>>(
			b"MosaicJobs",
			b"Pool",
			&[]
		)
		.is_none());
		assert_eq!(MosaicJobs::on_chain_storage_version(), 1);

		// At version 1 it does nothing.
		EligibleWorkers::<Test>::kill();
		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert!(EligibleWorkers::<Test>::get().is_empty());
		EligibleWorkers::<Test>::put(listed);
	});
}

#[test]
fn the_invariants_catch_a_broken_escrow() {
	new_test_ext().execute_with(|| {
		register(10);
		let job = submit(1);
		assert_eq!(MosaicJobs::do_try_state(), Ok(()));
		Jobs::<Test>::mutate(job, |info| info.as_mut().unwrap().held += 1);
		assert!(MosaicJobs::do_try_state().is_err());
	});
}

#[test]
fn v2_rebuilds_the_schedule_from_the_jobs() {
	use crate::migrations::v2;
	build_and_execute(|| {
		register_all(10..=13);
		let out = outputs(&[1]);
		let settled = submit(1);
		let committing = submit(2);
		let revealing = submit(2);
		let cancelled = submit(1);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), cancelled));
		run_to(2);
		let w = workers_of(settled)[0];
		assert_ok!(commit_as(w, settled, &out));
		assert_ok!(reveal_as(w, settled, &out));
		assert_eq!(status(settled), JobStatus::Settled);
		assert_ok!(commit_as(workers_of(committing)[0], committing, &out));
		for w in workers_of(revealing) {
			assert_ok!(commit_as(w, revealing, &out));
		}
		// Too few eligible workers for a job of four: it waits in the queue.
		assert_ok!(MosaicJobs::pause(RuntimeOrigin::signed(13)));
		let queued = submit(4);
		run_to(3);
		let until = 2 + COMMIT_PERIOD;
		assert_eq!(status(committing), JobStatus::Committing { until });
		assert_eq!(status(revealing), JobStatus::Opening { until: 2 + REVEAL_PERIOD });
		assert_eq!(status(queued), JobStatus::Queued);
		let latest_start = 30 - COMMIT_PERIOD - 2 * REVEAL_PERIOD;

		// The schedule as version 1 kept it: a list per block, with the stale entries it left
		// behind (phase ends of jobs that moved on, or are gone). The cancelled job's purge is
		// missing, as when version 1 found the purge block full.
		let _ = Deadlines::<Test>::clear(u32::MAX, None);
		DeadlineCursor::<Test>::kill();
		v2::old::Deadlines::<Test>::insert(2 + RETENTION, vec![(settled, DeadlineKind::Purge)]);
		v2::old::Deadlines::<Test>::insert(
			until,
			vec![
				(committing, DeadlineKind::CommitEnd),
				(revealing, DeadlineKind::CommitEnd),
				(revealing, DeadlineKind::RevealEnd),
			],
		);
		v2::old::Deadlines::<Test>::insert(
			latest_start,
			vec![
				(settled, DeadlineKind::LatestStart),
				(queued, DeadlineKind::LatestStart),
				(committing, DeadlineKind::LatestStart),
			],
		);
		v2::old::Deadlines::<Test>::insert(9, vec![(99, DeadlineKind::Purge)]);
		StorageVersion::new(1).put::<MosaicJobs>();
		assert!(MosaicJobs::do_try_state().is_err());

		v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();

		assert_eq!(MosaicJobs::on_chain_storage_version(), 2);
		assert_eq!(MosaicJobs::do_try_state(), Ok(()));
		// In a fixed order (`DeadlineKind` has none of its own).
		let sorted = |mut entries: Vec<(u64, (JobId, DeadlineKind))>| {
			entries.sort_by_key(|(block, (job, kind))| (*block, *job, kind.encode()));
			entries
		};
		let entries = sorted(Deadlines::<Test>::iter_keys().collect());
		let expected = sorted(vec![
			// The finished job keeps its purge block; the one without gets a retention from
			// now.
			(2 + RETENTION, (settled, DeadlineKind::Purge)),
			(3 + RETENTION, (cancelled, DeadlineKind::Purge)),
			(until, (committing, DeadlineKind::CommitEnd)),
			(2 + REVEAL_PERIOD, (revealing, DeadlineKind::OpenEnd)),
			(latest_start, (queued, DeadlineKind::LatestStart)),
		]);
		assert_eq!(entries, expected);
		assert_eq!(DeadlineCursor::<Test>::get(), 3);

		// At version 2 it does nothing.
		v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(sorted(Deadlines::<Test>::iter_keys().collect()), expected);

		// The chain goes on from the rebuilt schedule.
		open_and_reveal(revealing, workers_of(revealing).iter().map(|w| (*w, &out)));
		assert_eq!(status(revealing), JobStatus::Settled);
		let pair = workers_of(committing);
		assert_ok!(commit_as(pair[1], committing, &out));
		assert_eq!(status(committing), JobStatus::Opening { until: 3 + REVEAL_PERIOD });
		open_and_reveal(committing, pair.iter().map(|w| (*w, &out)));
		assert_eq!(status(committing), JobStatus::Settled);
		assert!(!anyone_slashed());
		assert_eq!(MosaicJobs::do_try_state(), Ok(()));
		run_to(2 + RETENTION);
		assert!(MosaicJobs::job_view(settled).is_none());
		assert!(MosaicJobs::job_view(cancelled).is_some());
		run_to(3 + RETENTION);
		assert!(MosaicJobs::job_view(cancelled).is_none());
		// Nobody took the queued job by its latest start.
		assert!(latest_start < 2 + RETENTION);
		assert_eq!(status(queued), JobStatus::Failed(FailReason::NoWorkers));
	});
}
