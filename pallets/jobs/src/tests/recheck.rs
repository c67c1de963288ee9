//! The owner's re-check of an invalid version: the job that found it at fault runs again.

use super::*;
use frame_support::traits::fungible::Mutate as _;
use mosaic_primitives::model::VersionStatus;

fn fault() -> OutcomeOf<Test> {
	Outcome::Error { code: 4, model_fault: true }
}

fn version_status() -> VersionStatus {
	Versions::get()[&(0, 1)].status
}

/// Runs a job of three workers assigned in this block to its end, each with `outcome`.
fn run_three(job: JobId, outcome: &OutcomeOf<Test>) {
	let workers = workers_of(job);
	assert_eq!(workers.len(), 3);
	for w in &workers {
		assert_ok!(commit_as(*w, job, outcome));
	}
	open_and_reveal(job, workers.iter().map(|w| (*w, outcome)));
}

fn recheck(who: u64) -> DispatchResult {
	MosaicJobs::recheck_version(RuntimeOrigin::signed(who), 0, 1, FEE, 30)
}

#[test]
fn a_recheck_runs_the_faulted_job_again_and_a_quorum_of_outputs_revalidates() {
	build_and_execute(|| {
		register_all(10..=13);
		assert_ok!(Balances::mint_into(&OWNER, 10_000));
		assert_noop!(recheck(OWNER), Error::<Test>::NotInvalid);
		let job = submit(3);
		run_to(2);
		run_three(job, &fault());
		assert_eq!(version_status(), VersionStatus::Invalid { code: 4 });
		let (kind, input) = FaultedJobs::<Test>::get((0, 1)).expect("the faulted job is kept");
		assert_eq!((kind, input.clone()), (JobKind::Inference, inline_x(&[1.0, 2.0])));

		// Nobody can use it, and only its owner may ask for a re-check.
		assert_noop!(
			MosaicJobs::submit_job(
				RuntimeOrigin::signed(ALICE),
				0,
				1,
				JobKind::Inference,
				input,
				3,
				FEE,
				30
			),
			Error::<Test>::VersionNotRunnable
		);
		assert_noop!(recheck(ALICE), Error::<Test>::NotModelOwner);
		let owner_before = Balances::free_balance(OWNER);
		let recheck_job = NextJobId::<Test>::get();
		assert_ok!(recheck(OWNER));
		assert!(events().contains(&Event::RecheckRequested {
			model: 0,
			version: 1,
			job: recheck_job
		}));
		assert_noop!(recheck(OWNER), Error::<Test>::RecheckPending);
		let info = MosaicJobs::job_view(recheck_job).unwrap().job;
		assert_eq!((info.requester, info.replication), (OWNER, MODEL_FAULT_QUORUM as u8));
		assert_eq!(info.input, inline_x(&[1.0, 2.0]));

		// Three workers run it, and it runs.
		run_to(3);
		run_three(recheck_job, &outputs(&[2000, 4000]));
		assert_eq!(status(recheck_job), JobStatus::Settled);
		assert_eq!(version_status(), VersionStatus::Active);
		assert!(FaultedJobs::<Test>::get((0, 1)).is_none());
		assert!(Rechecks::<Test>::get((0, 1)).is_none());
		// The owner paid for it like any requester (its royalty comes back to it as owed).
		assert_eq!(Balances::free_balance(OWNER), owner_before - 3 * FEE - PROTOCOL_FEE);
		submit(1);
	});
}

#[test]
fn a_recheck_that_finds_the_fault_again_keeps_the_version_invalid() {
	build_and_execute(|| {
		register_all(10..=13);
		assert_ok!(Balances::mint_into(&OWNER, 10_000));
		let job = submit(3);
		run_to(2);
		run_three(job, &fault());
		let recheck_job = NextJobId::<Test>::get();
		assert_ok!(recheck(OWNER));
		run_to(3);
		run_three(recheck_job, &fault());
		assert_eq!(
			status(recheck_job),
			JobStatus::Failed(FailReason::Executor { code: 4, model_fault: true })
		);
		assert_eq!(version_status(), VersionStatus::Invalid { code: 4 });
		// The faulted job stays for another re-check; this one is over.
		assert!(FaultedJobs::<Test>::get((0, 1)).is_some());
		assert!(Rechecks::<Test>::get((0, 1)).is_none());
		assert_ok!(recheck(OWNER));
	});
}
