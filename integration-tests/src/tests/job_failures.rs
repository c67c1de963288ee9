//! Jobs that end without a result: nobody to run them, no quorum, silent workers. The
//! requester's escrow comes back (all of it when no worker ran the job, all but the protocol
//! fee when workers did), its blob references are dropped, and nothing stays on hold.

use super::*;
use frame_support::assert_ok;
use jobs::{FailReason, HoldReason as JobsHold, JobStatus, SlashReason};
use mosaic_primitives::{contribution::RewardSource, onnx::InputFormat};

fn failed(job: u64, reason: FailReason, refunded: Balance) -> RuntimeEvent {
	RuntimeEvent::Jobs(jobs::Event::JobFailed { job, reason, refunded })
}

#[test]
fn a_job_nobody_can_take_fails_at_its_latest_start_with_everything_refunded() {
	build_and_execute(|| {
		let model_blob = doubler();
		// Three workers are registered (a job asking for more than exist is refused), but all
		// have paused: nobody takes new work.
		for w in [10, 11, 12] {
			register_worker(w);
			assert_ok!(Jobs::pause(RuntimeOrigin::signed(w)));
		}
		// Alice's input is a blob, referenced while the job is open.
		let input_bytes = b"x = [1, 2] as npy";
		let input = store_blob(ALICE, input_bytes);
		let input_deposit = blob_deposit(input_bytes.len());
		let escrow = 3 * FEE + PROTOCOL_FEE;
		let deadline = 13;
		assert_ok!(Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			jobs::JobKind::Inference,
			jobs::JobInput::Blob { hash: input, format: InputFormat::Npy },
			3,
			FEE,
			deadline,
		));
		assert_eq!(refs(&input), 1);
		assert_eq!(held(JobsHold::JobEscrow, ALICE), escrow);
		assert_eq!(free(ALICE), INITIAL - input_deposit - escrow);

		// No workers: it waits in the queue until the last block a round still fits (a commit
		// phase, an opening and a disclosure).
		let latest_start = deadline - COMMIT_PERIOD - 2 * REVEAL_PERIOD;
		run_to_block(latest_start - 1);
		assert_eq!(job_info(0).status, JobStatus::Queued);
		take_events();
		run_to_block(latest_start);
		assert_mosaic_events(vec![failed(0, FailReason::NoWorkers, escrow)]);
		assert_eq!(job_info(0).status, JobStatus::Failed(FailReason::NoWorkers));
		assert!(jobs::Queue::<Runtime>::get().is_empty());

		// Every unit comes back: no worker ran it, so not even the protocol fee is kept.
		assert_eq!(held(JobsHold::JobEscrow, ALICE), 0);
		assert_eq!(free(ALICE), INITIAL - input_deposit);
		assert_eq!(refs(&input), 0);
		assert_eq!(refs(&model_blob), 1);
		assert_eq!(jobs::OpenJobs::<Runtime>::get(0), 0);
		assert_eq!(rewards::Pool::<Runtime>::get(), (latest_start - 1) * EMISSION);
		assert_eq!(rewards::Outstanding::<Runtime>::get(), 0);
		assert_eq!(attestations::NextAttestationId::<Runtime>::get(), 0, "nothing attested");

		// With the input blob removed, Alice has nothing on hold and all her funds.
		assert_ok!(Blobs::remove(RuntimeOrigin::signed(ALICE), input));
		assert_nothing_held(ALICE);
		assert_eq!(free(ALICE), INITIAL);
	});
}

#[test]
fn a_job_without_a_quorum_fails_and_refunds_all_but_the_protocol_fee() {
	build_and_execute(|| {
		doubler();
		// Exactly three workers: when they disagree, nobody is left to escalate to.
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let job = submit_inference(3, 30);
		run_to_block(2);
		let answers =
			[outputs_y(&[2000, 4000]), outputs_y(&[2000, 4001]), outputs_y(&[2001, 4000])];
		for (w, answer) in workers.iter().zip(&answers) {
			commit(*w, job, answer);
		}
		run_to_block(3);
		for (w, answer) in workers.iter().zip(&answers) {
			open(*w, job, answer);
		}
		// No digest has a quorum: the end of the phase, which could escalate, waits for the
		// next block's hooks. Nobody is left to escalate to: the outcomes are disclosed for
		// settlement.
		assert_eq!(job_info(job).status, JobStatus::Opening { until: 4 });
		run_to_block(4);
		assert_eq!(
			job_info(job).status,
			JobStatus::Disclosing { until: 4 + REVEAL_PERIOD, attempt: 0 }
		);
		take_events();
		for (w, answer) in workers.iter().zip(&answers) {
			reveal(*w, job, answer);
		}

		let mut expected: Vec<_> = workers
			.iter()
			.zip(&answers)
			.map(|(w, a)| {
				RuntimeEvent::Jobs(jobs::Event::Revealed { job, worker: *w, digest: digest_of(a) })
			})
			.collect();
		expected.push(RuntimeEvent::Rewards(rewards::Event::Funded {
			amount: PROTOCOL_FEE,
			source: RewardSource::ProtocolFee,
		}));
		expected.push(failed(job, FailReason::NoQuorum, 3 * FEE));
		// Nobody can be called a dissenter without a quorum, and all revealed: no slash.
		assert_mosaic_events(expected);
		assert_eq!(job_info(job).status, JobStatus::Failed(FailReason::NoQuorum));

		// The requester gets the fees back; the protocol fee pays for the workers' time.
		assert_nothing_held(ALICE);
		assert_eq!(free(ALICE), INITIAL - PROTOCOL_FEE);
		for w in workers {
			assert_eq!(held(JobsHold::WorkerStake, w), WORKER_STAKE);
			assert_eq!(pending(w), 0);
			assert_eq!(jobs::Workers::<Runtime>::get(w).unwrap().assigned, 0);
		}
		assert_eq!(pending(OWNER), 0, "no royalty without a result");
		assert_eq!(rewards::Pool::<Runtime>::get(), PROTOCOL_FEE + 3 * EMISSION);
		assert_eq!(attestations::NextAttestationId::<Runtime>::get(), 0, "nothing attested");
	});
}

#[test]
fn silent_workers_are_slashed_and_the_job_fails_at_its_deadline() {
	build_and_execute(|| {
		doubler();
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		// The tightest deadline: one round (a commit phase, an opening and a disclosure), no
		// room to escalate.
		let deadline = 2 + COMMIT_PERIOD + 2 * REVEAL_PERIOD;
		let job = submit_inference(3, deadline);
		run_to_block(2);
		assert_eq!(assignees(job), workers.to_vec());
		take_events();

		// Nobody commits; the commit phase ends in block 5 and nothing is left to reveal.
		run_to_block(2 + COMMIT_PERIOD);
		let mut expected = vec![
			RuntimeEvent::Rewards(rewards::Event::Funded {
				amount: PROTOCOL_FEE,
				source: RewardSource::ProtocolFee,
			}),
			failed(job, FailReason::NoQuorum, 3 * FEE),
		];
		for worker in workers {
			expected.push(RuntimeEvent::Jobs(jobs::Event::WorkerSlashed {
				worker,
				job,
				amount: NO_REVEAL_SLASH,
				reason: SlashReason::NoReveal,
			}));
			expected.push(RuntimeEvent::Rewards(rewards::Event::Funded {
				amount: NO_REVEAL_SLASH,
				source: RewardSource::Slash,
			}));
		}
		assert_mosaic_events(expected);
		assert_eq!(job_info(job).status, JobStatus::Failed(FailReason::NoQuorum));

		assert_nothing_held(ALICE);
		assert_eq!(free(ALICE), INITIAL - PROTOCOL_FEE);
		for w in workers {
			let info = jobs::Workers::<Runtime>::get(w).unwrap();
			assert_eq!(
				(info.stake, info.missed, info.assigned),
				(WORKER_STAKE - NO_REVEAL_SLASH, 1, 0)
			);
			assert_eq!(held(JobsHold::WorkerStake, w), WORKER_STAKE - NO_REVEAL_SLASH);
		}
		assert_eq!(
			rewards::Pool::<Runtime>::get(),
			PROTOCOL_FEE + 3 * NO_REVEAL_SLASH + 4 * EMISSION
		);
	});
}
