//! Attack-first tests: each one plays an adversary against today's protocol and asserts the
//! safe behaviour the protocol should have. They fail today because the attack succeeds;
//! each turns green when the pallet is fixed against it.
//!
//! Settlement's leader is the first reveal, in storage order, among those the most others
//! agree with. Reveals are keyed by `Blake2_128Concat(worker)`, so that order is the order of
//! the workers' key hashes, which [`storage_order`] computes: the attacker is whichever
//! worker sorts where the attack needs it (a real attacker grinds an account for that).

use super::*;
use frame_support::{
	assert_ok,
	dispatch::{DispatchResultWithPostInfo, Pays},
};
use jobs::{HoldReason as JobsHold, JobKind, JobStatus, Outcome, SlashReason, TrainingSpec};
use mosaic_primitives::{
	digest::ElementType,
	model::{Dim, ModelRegistry, VersionStatus},
	onnx::InputFormat,
};
use sp_runtime::traits::Dispatchable;

// ---------------------------------------------------------------- helpers

/// Registers model 0 (the doubler's blob and schema, as [`doubler`] does) with its spec
/// changed by `change`: a tolerance, other output types or shapes.
fn doubler_with(change: impl FnOnce(&mut VersionSpec)) {
	let blob = store_blob(OWNER, MODEL_BYTES);
	let mut spec = version_spec(blob, None);
	change(&mut spec);
	assert_eq!(register_model("doubler", spec), 0);
}

/// `workers` in the storage order of `job`'s reveals: the order settlement sees them in.
fn storage_order(job: u64, workers: &[AccountId]) -> Vec<AccountId> {
	let mut sorted = workers.to_vec();
	sorted.sort_by_key(|w| jobs::Reveals::<Runtime>::hashed_key_for(job, w));
	sorted
}

/// `worker` reveals `outcome` for `job`, signed by its worker key; the dispatch's result.
fn try_reveal(
	worker: AccountId,
	job: u64,
	outcome: &jobs::OutcomeOf<Runtime>,
) -> DispatchResultWithPostInfo {
	let call = jobs::Call::<Runtime>::reveal { job, salt: salt(worker), outcome: outcome.clone() };
	RuntimeCall::from(call).dispatch(RuntimeOrigin::signed(key_of(worker)))
}

/// Whether `events` slash `worker` for `reason`.
fn slashed_for(events: &[RuntimeEvent], worker: AccountId, reason: SlashReason) -> bool {
	events.iter().any(|e| {
		matches!(
			e,
			RuntimeEvent::Jobs(jobs::Event::WorkerSlashed { worker: w, reason: r, .. })
				if *w == worker && *r == reason
		)
	})
}

/// Stake `worker` lost so far, out of `bonded`.
fn stake_lost(worker: AccountId, bonded: Balance) -> Balance {
	bonded - held(JobsHold::WorkerStake, worker)
}

/// Runs blocks until `job` is finished, at most to `until`.
fn run_until_finished(job: u64, until: u64) {
	while !job_info(job).status.is_finished() && System::block_number() < until {
		run_to_block(System::block_number() + 1);
	}
}

// ---------------------------------------------------------------- 1. digest reveals

/// **Attacker**: one of a training job's three workers, whose account sorts first among them.
///
/// **Attack**: it computes the trained parameters like the others and commits to their
/// digest, then reveals `Outcome::Digest(digest)` instead of the outputs. Every reveal has the
/// same digest, so all three agree; the leader is the first in storage order, the attacker,
/// and its outcome becomes the job's result.
///
/// **Gain today**: the job settles and every worker is paid, but the chain never saw the
/// parameters, so none are stored (`result.parameters` is `None`): the requester paid for a
/// training run and got nothing usable. In a federated round this drops a data owner's shard
/// (or leaves an aggregation without parameters), at no cost to the attacker.
#[test]
fn attack_digest_reveal_strips_trained_parameters() {
	build_and_execute(|| {
		let model_blob = store_blob(OWNER, b"a training-step graph for w");
		let base = store_blob(OWNER, &parameters([500, -250]));
		assert_eq!(register_model("mlp", version_spec(model_blob, Some(base))), 0);
		let dataset = store_blob(ALICE, b"alice's rows");
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let job = jobs::NextJobId::<Runtime>::get();
		assert_ok!(Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Training(TrainingSpec { parameters: base, epochs: 2, batch_size: 4 }),
			jobs::JobInput::Blob { hash: dataset, format: InputFormat::Scale },
			3,
			FEE,
			30,
		));
		run_to_block(2);
		assert_eq!(assignees(job), workers.to_vec());

		let answer = trained([550, -230]);
		let attacker = storage_order(job, &workers)[0];
		workers.iter().for_each(|w| commit(*w, job, &answer));
		run_to_block(3);
		workers.iter().for_each(|w| open(*w, job, &answer));
		// A fixed pallet may refuse the digest-only reveal; the others reveal the outputs.
		let _ = try_reveal(attacker, job, &Outcome::Digest(digest_of(&answer)));
		for w in workers.iter().filter(|w| **w != attacker) {
			reveal(*w, job, &answer);
		}
		run_until_finished(job, 2 + COMMIT_PERIOD + 2 * REVEAL_PERIOD);

		let info = job_info(job);
		assert_eq!(info.status, JobStatus::Settled);
		let result = info.result.unwrap();
		assert!(
			matches!(result.outcome, Outcome::Outputs(_)),
			"the stored result is the attacker's digest-only reveal: {:?}",
			result.outcome
		);
		assert!(result.parameters.is_some(), "the trained parameters were not stored");
	});
}

/// **Attacker**: a worker on an inference job whose version's outputs have a fixed, small
/// shape (`y: f32[2]`, two values, far under `MaxOutputValues`).
///
/// **Attack**: it reveals `Outcome::Digest` of the (correct) outputs instead of the outputs.
/// Digest-only reveals exist for outputs too large to reveal; these are known to be small.
///
/// **Gain today**: the reveal is accepted; whoever sorts first among the agreeing workers
/// can hide the result from the chain (and from everything reading it) while being paid.
#[test]
fn attack_digest_reveal_of_small_outputs_is_refused() {
	build_and_execute(|| {
		doubler_with(|spec| {
			spec.outputs = vec![models::TensorSchema {
				name: b"y".to_vec().try_into().unwrap(),
				element_type: ElementType::F32,
				shape: vec![Dim::Fixed(2)].try_into().unwrap(),
			}]
			.try_into()
			.unwrap();
		});
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let job = submit_inference(3, 30);
		run_to_block(2);
		let answer = doubled();
		workers.iter().for_each(|w| commit(*w, job, &answer));
		run_to_block(3);
		workers.iter().for_each(|w| open(*w, job, &answer));
		assert!(
			matches!(job_info(job).status, JobStatus::Disclosing { attempt: 0, .. }),
			"setup: the outcomes are being disclosed"
		);

		let revealed = try_reveal(10, job, &Outcome::Digest(digest_of(&answer)));
		assert!(
			revealed.is_err(),
			"a digest-only reveal of two values of a fixed-shape output was accepted"
		);
	});
}

// ---------------------------------------------------------------- 2. tolerance

/// **Attacker**: a worker on a job whose version has a tolerance (5 steps) and an integer
/// output (class ids, `y: i64[n]`).
///
/// **Attack**: honest workers 10 and 12 reveal the classes `[3, 7]`; the liar 11 reveals
/// `[4, 7]`, a different class. Tolerance is meant for float rounding, but settlement applies
/// it to every value, so `4` "agrees" with `3`.
///
/// **Gain today**: the liar is counted as agreeing: paid a full share and never slashed (and
/// if it sorts first, its wrong class becomes the job's result).
#[test]
fn attack_tolerance_does_not_apply_to_integer_outputs() {
	build_and_execute(|| {
		doubler_with(|spec| {
			spec.outputs = vec![tensor_schema("y", ElementType::I64)].try_into().unwrap();
			spec.tolerance = Some(5);
		});
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let job = submit_inference(3, 30);
		run_to_block(2);
		let classes = |values: &[i64]| -> jobs::OutcomeOf<Runtime> {
			Outcome::Outputs(vec![output("y", ElementType::I64, values)].try_into().unwrap())
		};
		let liar = 11;
		let outcome = |w: AccountId| if w == liar { classes(&[4, 7]) } else { classes(&[3, 7]) };
		workers.iter().for_each(|w| commit(*w, job, &outcome(*w)));
		run_to_block(3);
		take_events();
		open_and_reveal(job, &workers.map(|w| (w, outcome(w))));

		let events = mosaic_events();
		assert_eq!(job_info(job).status, JobStatus::Settled);
		assert!(
			slashed_for(&events, liar, SlashReason::Dissent),
			"the liar's wrong class id was counted as agreeing"
		);
		assert_eq!(pending(liar), 0, "the liar was paid for a wrong class id");
		assert_eq!(job_info(job).result.unwrap().outcome, classes(&[3, 7]));
	});
}

// ---------------------------------------------------------------- 3. model faults

/// **Attacker**: a competitor of a model's owner, with one worker account.
///
/// **Attack**: it pays for a `k = 1` job on the model (the least replication is 1) and,
/// assigned to it, reveals `Outcome::Error { code: 3 (OpsetOutOfRange), model_fault: true }`.
/// A quorum of one is itself.
///
/// **Gain today**: the version is marked invalid for good: no new jobs, no more royalties
/// for its owner, for the price of one minimal job. A model fault should need at least three
/// agreeing workers.
#[test]
fn attack_one_worker_invalidates_a_model_version() {
	build_and_execute(|| {
		doubler();
		register_worker(10);
		let job = submit_inference(1, 30);
		run_to_block(2);
		assert_eq!(assignees(job), vec![10]);
		let fault = Outcome::Error { code: 3, model_fault: true };
		commit(10, job, &fault);
		run_to_block(3);
		let _ = try_reveal(10, job, &fault);
		run_until_finished(job, 2 + COMMIT_PERIOD + REVEAL_PERIOD);
		assert!(job_info(job).status.is_finished());

		let status = models::Versions::<Runtime>::get(0, 1).unwrap().status;
		assert!(
			!matches!(status, VersionStatus::Invalid { .. }),
			"a single worker marked the version invalid: {status:?}"
		);
		assert!(<Models as ModelRegistry<_, _>>::is_runnable(0, 1));
	});
}

/// Guards the fix of [`attack_one_worker_invalidates_a_model_version`]: three workers that
/// all find the model at fault still mark the version invalid. Passes today.
#[test]
fn attack_guard_three_agreeing_workers_invalidate_a_model_version_and_its_owner_rechecks_it() {
	build_and_execute(|| {
		doubler();
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let job = submit_inference(3, 30);
		run_to_block(2);
		let fault = Outcome::Error { code: 3, model_fault: true };
		workers.iter().for_each(|w| commit(*w, job, &fault));
		run_to_block(3);
		open_and_reveal(job, &workers.map(|w| (w, fault.clone())));

		assert_eq!(
			job_info(job).status,
			JobStatus::Failed(jobs::FailReason::Executor { code: 3, model_fault: true })
		);
		assert_eq!(
			models::Versions::<Runtime>::get(0, 1).unwrap().status,
			VersionStatus::Invalid { code: 3 }
		);
		assert!(!<Models as ModelRegistry<_, _>>::is_runnable(0, 1));

		// The owner asks for a re-check: the same job runs again, paid by the owner, and a
		// quorum of outputs makes the version active again.
		assert!(Jobs::recheck_version(RuntimeOrigin::signed(ALICE), 0, 1, FEE, 40).is_err());
		let recheck = jobs::NextJobId::<Runtime>::get();
		assert_ok!(Jobs::recheck_version(RuntimeOrigin::signed(OWNER), 0, 1, FEE, 40));
		assert_eq!(job_info(recheck).input, job_info(job).input);
		run_to_block(4);
		workers.iter().for_each(|w| commit(*w, recheck, &doubled()));
		run_to_block(5);
		open_and_reveal(recheck, &workers.map(|w| (w, doubled())));
		assert_eq!(job_info(recheck).status, JobStatus::Settled);
		assert_eq!(models::Versions::<Runtime>::get(0, 1).unwrap().status, VersionStatus::Active);
		assert!(mosaic_events().iter().any(|e| matches!(
			e,
			RuntimeEvent::Models(models::Event::VersionRevalidated { model: 0, version: 1 })
		)));
		assert!(<Models as ModelRegistry<_, _>>::is_runnable(0, 1));
	});
}

// ---------------------------------------------------------------- 4. cancelling

/// **Attacker**: a requester.
///
/// **Attack**: it submits a `k = 3` job; in block 2 three workers are assigned (their stake
/// reserved, their nodes start running the model). In block 3, before any of them could
/// commit, it cancels.
///
/// **Gain today**: everything is refunded, the protocol fee included; the workers ran the
/// model for nothing. Repeated, it keeps workers busy (capacity taken) for free.
#[test]
fn attack_cancel_after_assignment_leaves_workers_unpaid() {
	build_and_execute(|| {
		doubler();
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let job = submit_inference(3, 30);
		run_to_block(2);
		assert_eq!(assignees(job), workers.to_vec());
		run_to_block(3);

		let cancelled = Jobs::cancel_job(RuntimeOrigin::signed(ALICE), job);
		assert!(
			cancelled.is_err() || workers.iter().all(|w| pending(*w) > 0),
			"the job was cancelled after assignment ({cancelled:?}) and the workers got \
			 nothing: {:?}; Alice got back {} of {}",
			workers.map(pending),
			free(ALICE),
			INITIAL
		);
	});
}

/// **Attacker**: anyone.
///
/// **Attack**: it submits jobs asking for more workers (`k = 5`) than are registered (3):
/// they can never be assigned. Sixteen of them fill the assignment queue (`MaxQueued`).
///
/// **Gain today**: submission is accepted; the jobs squat the queue until their latest
/// start (up to `MaxDeadline` later), blocking everyone else's submissions (`QueueFull`), and
/// then fail with `NoWorkers`, refunding everything: a free denial of service.
#[test]
fn attack_queue_squatting_is_free() {
	build_and_execute(|| {
		doubler();
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let submitted = Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			inline_x(&[1.0, 2.0]),
			5,
			FEE,
			100,
		);
		assert!(
			submitted.is_err(),
			"a job needing 5 workers was accepted with only {} registered",
			jobs::WorkerCount::<Runtime>::get()
		);
	});
}

/// **Attacker**: anyone.
///
/// **Attack**: it submits a job (it waits in the queue: no workers yet), then cancels it
/// while it is still queued.
///
/// **Gain today**: every unit comes back, the protocol fee included: holding a queue slot
/// and a schedule entry costs nothing, so the queue can be squatted and released at will.
#[test]
fn attack_cancelling_a_queued_job_is_free() {
	build_and_execute(|| {
		doubler();
		// Three workers, all paused: the job waits in the queue.
		for w in [10, 11, 12] {
			register_worker(w);
			assert_ok!(Jobs::pause(RuntimeOrigin::signed(w)));
		}
		let job = submit_inference(3, 30);
		run_to_block(3);
		assert_eq!(job_info(job).status, JobStatus::Queued);
		assert_ok!(Jobs::cancel_job(RuntimeOrigin::signed(ALICE), job));
		assert_nothing_held(ALICE);
		assert!(
			free(ALICE) <= INITIAL - PROTOCOL_FEE,
			"cancelling a queued job cost nothing: Alice has {} of {}",
			free(ALICE),
			INITIAL
		);
	});
}

// ---------------------------------------------------------------- 5. the schedule

/// **Attacker**: anyone with a little balance (here [`BEN`]), against honest workers.
///
/// **Attack** (against spec 108): phase ends went in `Deadlines`, at most 16 per block; a
/// phase end due in a full block slipped to the next, at most `SCHEDULE_WINDOW` (8) blocks,
/// and one that found no room was dropped. A job submitted and cancelled in the same block
/// was refunded in full but left a `Purge` entry at `now + RETENTION`. In blocks 1 to 8 the
/// attacker does 16 such pairs (15 in block 8): blocks 21 to 28 hold 127 entries, one short
/// of full. An honest `k = 3` job submitted in block 17 is assigned in block 18; its commit
/// end (due 21) took the last free entry, in block 28. All three workers commit in block 18;
/// the reveal end (due 21) found its whole window (21 to 28) full.
///
/// **Gain then**: without a reveal end the job "settled on what is revealed" at once:
/// nothing, so the three honest workers were slashed `NoReveal` and the job failed. The
/// attack cost nothing (every cancel was refunded) and hit whichever job landed there.
/// Safe (spec 109): the schedule has no bound per block, so every phase end is scheduled
/// where it is due and handled then or later, never early; cancelling keeps the protocol
/// fee. No honest worker is slashed, they open and reveal in block 19 and are paid, and every
/// attacker job's record is still purged.
#[test]
fn attack_crowded_schedule_settles_early_and_slashes_honest_workers() {
	const ATTACKER: AccountId = BEN;
	build_and_execute(|| {
		doubler();
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));

		// Blocks 1 to 8: submit and cancel, 127 times in all.
		let mut attacker_jobs = Vec::new();
		for block in 1..=8u64 {
			run_to_block(block);
			let pairs = if block == 8 { 15 } else { 16 };
			for _ in 0..pairs {
				let id = jobs::NextJobId::<Runtime>::get();
				assert_ok!(Jobs::submit_job(
					RuntimeOrigin::signed(ATTACKER),
					0,
					1,
					JobKind::Inference,
					inline_x(&[1.0]),
					1,
					MIN_FEE,
					block + 10,
				));
				assert_ok!(Jobs::cancel_job(RuntimeOrigin::signed(ATTACKER), id));
				attacker_jobs.push(id);
			}
		}
		assert_eq!(attacker_jobs.len(), 127);
		// Each pair now costs the protocol fee.
		assert_eq!(free(ATTACKER), INITIAL - 127 * PROTOCOL_FEE);
		assert_nothing_held(ATTACKER);

		// The honest job: submitted in block 17, assigned in block 18.
		run_to_block(17);
		let job = submit_inference(3, 17 + 40);
		run_to_block(18);
		assert_eq!(assignees(job), workers.to_vec());
		// The setup: the attacker's purge entries landed in blocks 21 to 28, 16 a block (15
		// in the last), where the honest job's phase ends are due.
		const ATTACKED_BLOCKS: u64 = 8;
		let due = 18 + REVEAL_PERIOD;
		let attacker_entries: usize = (due..due + ATTACKED_BLOCKS)
			.map(|b| {
				jobs::Deadlines::<Runtime>::iter_key_prefix(b)
					.filter(|(j, _)| attacker_jobs.contains(j))
					.count()
			})
			.sum();
		assert_eq!(attacker_entries, attacker_jobs.len());
		assert_eq!(job_info(job).status, JobStatus::Committing { until: due });

		// The honest workers commit at once.
		take_events();
		workers.iter().for_each(|w| commit(*w, job, &doubled()));
		let events = mosaic_events();
		let slashed: Vec<_> = events
			.iter()
			.filter(|e| matches!(e, RuntimeEvent::Jobs(jobs::Event::WorkerSlashed { .. })))
			.collect();
		assert!(
			slashed.is_empty(),
			"honest workers were slashed in the block they committed: {slashed:#?}\njob: {:?}",
			job_info(job).status
		);
		assert!(matches!(job_info(job).status, JobStatus::Opening { .. }));

		// They open and reveal in the next block and are paid.
		run_to_block(19);
		open_and_reveal(job, &workers.map(|w| (w, doubled())));
		assert_eq!(job_info(job).status, JobStatus::Settled);
		for w in workers {
			assert!(pending(w) > 0, "worker {w} unpaid");
			assert_eq!(held(JobsHold::WorkerStake, w), WORKER_STAKE);
		}

		// Every attacker job's record goes in the end.
		run_to_block(19 + 2 * RETENTION);
		for id in attacker_jobs {
			assert!(jobs::Jobs::<Runtime>::get(id).is_none(), "attacker job {id} never purged");
		}
	});
}

// ---------------------------------------------------------------- 6. slashes

/// What worker 11, which committed to a wrong answer on a `k = 3` job where 10 and 12 are
/// honest, loses: by withholding its reveal once it sees it will lose, or by revealing.
fn liar_loss(withhold: bool) -> Balance {
	let mut lost = 0;
	build_and_execute(|| {
		doubler();
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let job = submit_inference(3, 30);
		run_to_block(2);
		let (liar, lie) = (11, outputs_y(&[2000, 4001]));
		let outcome = |w: AccountId| if w == liar { lie.clone() } else { doubled() };
		workers.iter().for_each(|w| commit(*w, job, &outcome(*w)));
		run_to_block(3);
		workers.iter().for_each(|w| open(*w, job, &outcome(*w)));
		// The honest reveals come first: the liar sees it is outvoted.
		reveal(10, job, &doubled());
		reveal(12, job, &doubled());
		if !withhold {
			reveal(liar, job, &lie);
		}
		run_until_finished(job, 2 + COMMIT_PERIOD + 2 * REVEAL_PERIOD);
		assert_eq!(job_info(job).status, JobStatus::Settled);
		assert_eq!(job_info(job).result.unwrap().digest, digest_of(&doubled()));
		lost = stake_lost(liar, WORKER_STAKE);
	});
	lost
}

/// **Attacker**: a worker that committed to a wrong answer (lazy or malicious).
///
/// **Attack**: when the outcomes are disclosed it sees the honest reveals outvote it, so it
/// never reveals its own.
///
/// **Gain today**: a worker that never revealed loses `NoRevealSlash` (100), a third of
/// what revealing the lie costs (`DissentSlash`, 300): a liar's best move is always to go
/// silent, and silence also delays the honest workers' pay to the end of the reveal phase.
/// Safe: withholding a committed reveal costs at least as much as dissent.
#[test]
fn attack_withholding_costs_less_than_dissent() {
	let revealing = liar_loss(false);
	let withholding = liar_loss(true);
	// A dissent costs the base slash plus the fee the liar tried to earn.
	assert_eq!(revealing, DISSENT_SLASH + FEE);
	assert!(
		withholding >= revealing && withholding >= DISSENT_SLASH,
		"withholding a committed lie cost {withholding}, revealing it {revealing}"
	);
}

/// **Attacker**: a worker on a high-value job (5 000 per worker, 15 000 in all).
///
/// **Attack**: it reveals a wrong answer (bribed by whoever profits from a wrong result, or
/// betting its two colleagues collude with it).
///
/// **Gain today**: if outvoted it loses only `DissentSlash` (300) of its 8 000 stake, far
/// less than the 5 000 it tried to earn; had it won, it would have taken the fees. The risk
/// does not grow with the value at stake. Safe: a dissenter loses at least its fee per
/// worker (all its stake, if it has less).
#[test]
fn attack_slash_does_not_scale_with_value_at_stake() {
	const BIG_FEE: Balance = 5_000;
	const STAKE: Balance = 8_000;
	build_and_execute(|| {
		doubler();
		let workers = [10, 11, 12];
		for w in workers {
			assert_ok!(Jobs::register_worker(
				RuntimeOrigin::signed(w),
				key_of(w),
				STAKE,
				4,
				key_proof(key_of(w), w),
			));
		}
		let job = jobs::NextJobId::<Runtime>::get();
		assert_ok!(Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			inline_x(&[1.0, 2.0]),
			3,
			BIG_FEE,
			30,
		));
		run_to_block(2);
		assert_eq!(assignees(job), workers.to_vec());
		let (liar, lie) = (11, outputs_y(&[2000, 4001]));
		let outcome = |w: AccountId| if w == liar { lie.clone() } else { doubled() };
		workers.iter().for_each(|w| commit(*w, job, &outcome(*w)));
		run_to_block(3);
		take_events();
		open_and_reveal(job, &workers.map(|w| (w, outcome(w))));
		assert_eq!(job_info(job).status, JobStatus::Settled);
		assert!(slashed_for(&mosaic_events(), liar, SlashReason::Dissent));

		let lost = stake_lost(liar, STAKE);
		assert!(
			lost >= BIG_FEE.min(STAKE),
			"the liar risked {lost} of its {STAKE} stake to take a {BIG_FEE} fee"
		);
	});
}

// ---------------------------------------------------------------- 7. ties

/// Runs a `k = 4` job on a version with a tolerance of one step, where the workers, in
/// their reveals' storage order, reveal `y = [2.000 + offsets[i], 4.000]`; returns the
/// stored result's digest and the digests of the two answers `[offset 0, offset 1]`.
fn tie_result(offsets: [i64; 4]) -> (jobs::Digest, [jobs::Digest; 2]) {
	new_test_ext().execute_with(|| {
		doubler_with(|spec| spec.tolerance = Some(1));
		WORKERS.iter().for_each(|w| register_worker(*w));
		let job = submit_inference(4, 30);
		run_to_block(2);
		assert_eq!(assignees(job), WORKERS.to_vec());
		let order = storage_order(job, &WORKERS);
		let answer = |offset: i64| outputs_y(&[2000 + offset, 4000]);
		for (w, offset) in order.iter().zip(offsets) {
			commit(*w, job, &answer(offset));
		}
		run_to_block(3);
		let outcomes: Vec<_> =
			order.iter().zip(offsets).map(|(w, offset)| (*w, answer(offset))).collect();
		open_and_reveal(job, &outcomes);
		let info = job_info(job);
		assert_eq!(info.status, JobStatus::Settled);
		let result = info.result.unwrap();
		assert_eq!(result.agreeing, 4, "all four agree within the tolerance");
		check_invariants();
		(result.digest, [digest_of(&answer(0)), digest_of(&answer(1))])
	})
}

/// **Attacker**: any worker that can choose its account (it grinds one whose hash sorts
/// first).
///
/// **Attack**: on a `k = 4` job with a tolerance of one step, two workers reveal `2.000` and
/// two `2.001`. Every reveal agrees with all four: two different results tie at the highest
/// count, and settlement takes the first in storage order.
///
/// **Gain today**: which answer becomes the job's result depends only on which account's
/// hash sorts first, so the worker that sorts first decides it. Safe: the stored result does
/// not depend on the accounts: the same reveals with the roles swapped between accounts store
/// the same result.
#[test]
fn attack_settlement_tie_goes_to_storage_order() {
	let (first, [low, high]) = tie_result([0, 0, 1, 1]);
	let (second, _) = tie_result([1, 1, 0, 0]);
	assert!((first == low && second == high) || first == second, "setup: an unexpected result");
	assert_eq!(
		first, second,
		"the same reveals stored different results when the accounts sorted differently"
	);
}

/// **Attacker**: one worker among four, on a version with a tolerance of one step, whose
/// account sorts first among the job's workers.
///
/// **Attack**: the three honest workers reveal `2.000`; the attacker reveals `2.001`, within
/// the tolerance. All four agree with each other (count 4 each), and the tie goes to the
/// first in storage order.
///
/// **Gain today**: the attacker's value, not the three honest workers', becomes the job's
/// result: one worker can shift every result by up to the tolerance, and is paid for it.
/// Safe: the result is the honest majority's whichever account the attacker has.
#[test]
fn attack_one_worker_within_tolerance_picks_the_result() {
	let (attacker_first, [honest, _]) = tie_result([1, 0, 0, 0]);
	let (attacker_last, _) = tie_result([0, 0, 0, 1]);
	assert_eq!(attacker_last, honest, "setup: the attacker sorting last does not win");
	assert_eq!(attacker_first, honest, "the attacker sorting first picked the job's result");
}

// ---------------------------------------------------------------- 8. emission farming

/// **Attacker**: a model owner ([`OWNER`]) that also runs a worker (13) and submits jobs from a
/// third account ([`ANN`]), all its own.
///
/// **Attack**: one `k = 1` job on its own model, assigned to its own worker (the only one).
/// The fee comes back to it (the worker's share and the owner's royalty); only the protocol
/// fee is spent. The job earns compute and model points, and when the era ends those points
/// are alone in claiming the era's whole pool: ten blocks of emission.
///
/// **Gain today**: the era's emission (700) for a protocol fee (7). Safe: what the farmer's
/// three accounts hold, claims included, never grows from farming: the reward per point is
/// capped at what the cheapest way of earning points pays per point (`PointPrice`).
#[test]
fn attack_emission_farming_with_own_jobs() {
	build_and_execute(|| {
		doubler();
		let farmer_worker = 13;
		register_worker(farmer_worker);
		let accounts = [OWNER, ANN, farmer_worker];
		let wealth = || -> Balance { accounts.iter().map(|a| free(*a) + total_held(*a)).sum() };
		let before = wealth();

		let job = jobs::NextJobId::<Runtime>::get();
		assert_ok!(Jobs::submit_job(
			RuntimeOrigin::signed(ANN),
			0,
			1,
			JobKind::Inference,
			inline_x(&[1.0, 2.0]),
			1,
			MIN_FEE,
			30,
		));
		run_to_block(2);
		assert_eq!(assignees(job), vec![farmer_worker]);
		commit(farmer_worker, job, &doubled());
		run_to_block(3);
		reveal(farmer_worker, job, &doubled());
		assert_eq!(job_info(job).status, JobStatus::Settled);

		// The era ends at block 10; everything owed is claimed.
		run_to_block(ERA_LENGTH + 1);
		for who in accounts {
			if pending(who) > 0 {
				assert_ok!(Rewards::claim(RuntimeOrigin::signed(who)));
			}
		}
		let after = wealth();
		assert!(
			after <= before,
			"farming one k = 1 job paid the farmer {} (it spent the protocol fee {PROTOCOL_FEE})",
			after as i128 - before as i128
		);
	});
}

// ---------------------------------------------------------------- 9. worker keys

/// **Attacker**: anyone (here [`ANN`]) who sees an operator's worker key account, e.g. in a
/// registration waiting in the transaction pool, or the key of a worker that left.
///
/// **Attack** (against spec 108): registers that key as her own worker key first
/// (front-running), with the minimum stake.
///
/// **Gain then**: the operator's registration failed (`KeyInUse`), and the operator's node
/// still signs with that key: its commitments and reveals counted for the attacker's worker.
/// Safe (spec 109): registering a key needs the key's signature over the registering account,
/// which only its holder can make; a proof made for another account does not carry over.
#[test]
fn attack_registering_another_operators_key() {
	build_and_execute(|| {
		let operator = 10;
		let stolen = key_of(operator);
		// Without the key she can only sign with her own, or replay the operator's proof.
		for proof in [key_proof(ANN, ANN), key_proof(stolen, operator)] {
			let taken =
				Jobs::register_worker(RuntimeOrigin::signed(ANN), stolen, MIN_STAKE, 1, proof);
			assert!(taken.is_err(), "Ann registered worker 10's key as hers");
		}
		register_worker(operator);
		assert_eq!(jobs::WorkerKeys::<Runtime>::get(stolen), Some(operator));
	});
}

// ---------------------------------------------------------------- 10. reveal bytes

/// **Attacker**: a requester that wants block space for less than it costs.
///
/// **Attack**: a `k = 4` job at the least fee per worker, on a model whose output has a
/// symbolic shape, with a blob input, so nothing on chain bounds the outputs: each worker's
/// reveal may carry `MaxOutputValues` (64) values. Commits and reveals are free to the
/// workers, so the chain carries four full reveals for four least fees.
///
/// **Gain today**: block space (and the workers' free transactions) at the price of the least
/// fee, whatever the outputs weigh. Safe: the least fee per worker covers the reveal the job
/// can make: at least `RevealFeePerValue` for each value it may carry.
#[test]
fn attack_reveals_cost_more_than_the_least_fee_pays() {
	build_and_execute(|| {
		doubler();
		WORKERS.iter().for_each(|w| register_worker(*w));
		let input = store_blob(ALICE, b"x as npy, of any length");
		let cheap = Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			jobs::JobInput::Blob { hash: input, format: InputFormat::Npy },
			4,
			MIN_FEE,
			30,
		);
		assert!(cheap.is_err(), "four reveals of up to 64 values each for the least fee");
	});
}

// ---------------------------------------------------------------- 11. escalation copying

/// A `k = 2` job of [`submit_inference`] with the four [`WORKERS`] registered: the first
/// attempt's honest worker opens the right answer, its liar `lie`; the digests differ, so the
/// job escalates to the other two. Returns the job, the honest worker, the liar and the two
/// escalated workers.
fn escalated_after_a_lie(
	lie: &jobs::OutcomeOf<Runtime>,
) -> (u64, AccountId, AccountId, Vec<AccountId>) {
	doubler();
	WORKERS.iter().for_each(|w| register_worker(*w));
	escalated_job_after_a_lie(submit_inference(2, 40), lie)
}

/// As [`escalated_after_a_lie`], for `job` (of two workers, submitted in block 1).
fn escalated_job_after_a_lie(
	job: u64,
	lie: &jobs::OutcomeOf<Runtime>,
) -> (u64, AccountId, AccountId, Vec<AccountId>) {
	run_to_block(2);
	let first = assignees(job);
	let (honest, liar) = (first[0], first[1]);
	commit(honest, job, &doubled());
	commit(liar, job, lie);
	run_to_block(3);
	open(honest, job, &doubled());
	open(liar, job, lie);
	end_deferred_opening(job);
	assert_eq!(job_info(job).attempt, 1, "setup: the job escalates");
	let escalated: Vec<AccountId> =
		assignees(job).into_iter().filter(|w| !first.contains(w)).collect();
	assert_eq!(escalated.len(), 2, "setup: the escalation adds two workers");
	(job, honest, liar, escalated)
}

/// **Attackers**: a liar and the two workers an escalation adds, who compute nothing and copy
/// what the liar made public.
///
/// **Attack**: a `k = 2` job draws an honest worker and the liar. Their results differ, so the
/// job escalates to the two other workers. They commit to the liar's result (all they have of
/// it is what the liar made public: its digest, and its outcome once revealed), open that
/// digest, and reveal the liar's outcome if it is public when they must disclose theirs.
///
/// **Gain today** (spec 109): the liar's first-attempt reveal is public before the escalated
/// workers commit, so the copiers reproduce it exactly: three of four agree, the liar's result
/// is the job's, all three are paid, and the honest worker is slashed as a dissenter.
/// Safe: a job with more than one worker opens only its commitments' digests, and escalates
/// while nothing but digests is public. The copiers can commit to and open the liar's digest,
/// but the outcomes are disclosed latest attempt first: theirs must be revealed before the
/// liar's is public, so they cannot, and are slashed for withholding. Without them no result
/// has a quorum, and nobody is a dissenter.
#[test]
fn attack_escalated_copiers_overturn_an_honest_worker() {
	build_and_execute(|| {
		let lie = outputs_y(&[2000, 4001]);
		let (job, honest, liar, copiers) = escalated_after_a_lie(&lie);

		// What the liar made public is all the copiers use: its opened digest, and its
		// outcome once revealed.
		let digest = jobs::Openings::<Runtime>::get(job, liar).expect("the liar opened");
		let public_lie = || jobs::Reveals::<Runtime>::get(job, liar).map(|r| r.outcome);
		for copier in &copiers {
			let commitment = jobs::commitment(&digest, &salt(*copier), copier);
			let post = dispatch(key_of(*copier), jobs::Call::<Runtime>::commit { job, commitment });
			assert_eq!(post.pays_fee, Pays::No);
		}
		run_to_block(System::block_number() + 1);
		for copier in &copiers {
			let opening = jobs::Opening::Digest(digest);
			let call = jobs::Call::<Runtime>::open { job, salt: salt(*copier), opening };
			assert_eq!(dispatch(key_of(*copier), call).pays_fee, Pays::No);
		}
		// The copiers' disclosure: the liar would publish its outcome for them now if it could.
		let _ = try_reveal(liar, job, &lie);
		for copier in &copiers {
			if let Some(outcome) = public_lie() {
				let _ = try_reveal(*copier, job, &outcome);
			}
			// The digest alone is refused: the inline input sizes the outputs to two values.
			assert!(try_reveal(*copier, job, &Outcome::Digest(digest)).is_err());
		}

		// The rest: the first attempt's workers disclose when their turn comes.
		while !matches!(job_info(job).status, JobStatus::Disclosing { attempt: 0, .. })
			&& !job_info(job).status.is_finished()
			&& System::block_number() < 40
		{
			run_to_block(System::block_number() + 1);
		}
		if matches!(job_info(job).status, JobStatus::Disclosing { attempt: 0, .. }) {
			// The liar reveals first; the copiers try once more with its outcome public.
			reveal(liar, job, &lie);
			for copier in &copiers {
				if let Some(outcome) = public_lie() {
					let _ = try_reveal(*copier, job, &outcome);
				}
			}
			reveal(honest, job, &doubled());
		}
		let events = mosaic_events();
		run_until_finished(job, 40);

		let info = job_info(job);
		let events = [events, mosaic_events()].concat();
		assert!(
			info.result.as_ref().is_none_or(|r| r.outcome != lie),
			"the copiers made the liar's result the job's: {:?}",
			info.status
		);
		assert!(
			!slashed_for(&events, honest, SlashReason::Dissent),
			"the honest worker was slashed as a dissenter"
		);
		for copier in &copiers {
			assert!(
				slashed_for(&events, *copier, SlashReason::Withheld),
				"copier {copier} was not slashed for withholding its reveal"
			);
		}
	});
}

/// **Attackers**: a liar that claims the model fails, and the two workers an escalation adds,
/// who compute nothing.
///
/// **Attack**: a `k = 2` job draws an honest worker and the liar, who opens the digest of a
/// model-fault error. The digests differ, so the job escalates. An error's digest is easily
/// inverted (a code and a flag), so the copiers find the liar's error from its opened digest,
/// commit to it, open it and disclose it: they need nothing the liar has not made public.
///
/// **Gain against the first fix**: three of four agree on the error: the job fails with the
/// liar's verdict, the three are paid from the requester's escrow, and the honest worker is
/// slashed as a dissenter; three agreeing on a model fault also invalidate the version. Safe:
/// an escalated worker's error that an earlier attempt had already made public is no vote (it
/// may be copied), so it counts towards no quorum, `MODEL_FAULT_QUORUM` included; without
/// those the job has no quorum, and nobody is paid or called a dissenter.
#[test]
fn attack_escalated_copiers_of_an_error_overturn_an_honest_worker() {
	build_and_execute(|| {
		let fault: jobs::OutcomeOf<Runtime> = Outcome::Error { code: 4, model_fault: true };
		let (job, honest, liar, copiers) = escalated_after_a_lie(&fault);

		// The copiers invert the liar's opened digest: every error code, with and without
		// the fault flag.
		let opened = jobs::Openings::<Runtime>::get(job, liar).expect("the liar opened");
		let inverted = (0..=u16::MAX)
			.flat_map(|code| [true, false].map(|model_fault| Outcome::Error { code, model_fault }))
			.find(|o| digest_of(o) == opened)
			.expect("an error's digest is inverted by trying every code");
		for copier in &copiers {
			commit(*copier, job, &inverted);
		}
		run_to_block(System::block_number() + 1);
		for copier in &copiers {
			open(*copier, job, &inverted);
		}
		assert!(matches!(job_info(job).status, JobStatus::Disclosing { attempt: 1, .. }));
		for copier in &copiers {
			reveal(*copier, job, &inverted);
		}
		reveal(liar, job, &fault);
		reveal(honest, job, &doubled());
		let events = mosaic_events();
		run_until_finished(job, 40);
		let events = [events, mosaic_events()].concat();

		let info = job_info(job);
		assert!(
			info.result.as_ref().is_none_or(|r| r.outcome != fault),
			"the copiers made the liar's error the job's: {:?}",
			info.status
		);
		assert!(
			!slashed_for(&events, honest, SlashReason::Dissent),
			"the honest worker was slashed as a dissenter"
		);
		assert!(!copiers.iter().any(|c| events.iter().any(|e| matches!(
			e,
			RuntimeEvent::Jobs(jobs::Event::WorkerPaid { worker, .. }) if worker == c
		))));
		assert!(
			<Models as ModelRegistry<_, _>>::is_runnable(0, 1),
			"copied verdicts invalidated the version"
		);
	});
}

/// **Attackers**: a liar and the two workers an escalation adds, on a job whose outputs nothing
/// on chain bounds (a blob input), so digest-only reveals are allowed.
///
/// **Attack**: as in [`attack_escalated_copiers_overturn_an_honest_worker`], but in their
/// disclosure the copiers reveal the liar's digest alone (`Outcome::Digest`), which is all a
/// digest-only reveal is: they need no outputs.
///
/// **Gain against the first fix**: the digest-only reveals agree with the liar's outputs: three
/// of four, the liar's result is the job's, the copiers are paid and the honest worker is
/// slashed as a dissenter. Safe: a digest-only reveal of a digest an earlier attempt had made
/// public is no vote (it shows nothing the worker computed); the job has no quorum, nobody is
/// a dissenter, and the copiers are paid nothing and count an abstention.
#[test]
fn attack_escalated_copiers_reveal_only_the_copied_digest() {
	build_and_execute(|| {
		doubler();
		WORKERS.iter().for_each(|w| register_worker(*w));
		let input = store_blob(ALICE, b"x as npy, of any length");
		let job = jobs::NextJobId::<Runtime>::get();
		assert_ok!(Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			jobs::JobInput::Blob { hash: input, format: InputFormat::Npy },
			2,
			10 * FEE,
			40,
		));
		let lie = outputs_y(&[2000, 4001]);
		let (job, honest, liar, copiers) = escalated_job_after_a_lie(job, &lie);
		let digest = jobs::Openings::<Runtime>::get(job, liar).expect("the liar opened");
		for copier in &copiers {
			commit(*copier, job, &Outcome::Digest(digest));
		}
		run_to_block(System::block_number() + 1);
		for copier in &copiers {
			open(*copier, job, &Outcome::Digest(digest));
		}
		assert!(matches!(job_info(job).status, JobStatus::Disclosing { attempt: 1, .. }));
		for copier in &copiers {
			reveal(*copier, job, &Outcome::Digest(digest));
		}
		reveal(liar, job, &lie);
		reveal(honest, job, &doubled());
		let events = mosaic_events();
		run_until_finished(job, 40);
		let events = [events, mosaic_events()].concat();

		let info = job_info(job);
		assert!(
			info.result.as_ref().is_none_or(|r| r.outcome != lie),
			"the copiers made the liar's result the job's: {:?}",
			info.status
		);
		assert!(
			!slashed_for(&events, honest, SlashReason::Dissent),
			"the honest worker was slashed as a dissenter"
		);
		for copier in &copiers {
			assert!(!events.iter().any(|e| matches!(
				e,
				RuntimeEvent::Jobs(jobs::Event::WorkerPaid { worker, .. }) if worker == copier
			)));
			assert_eq!(jobs::Abstentions::<Runtime>::get(copier), Some(1));
		}
	});
}

// ---------------------------------------------------------------- aggregation manifests

/// **Attacker**: any account with a model and the funds for one job.
///
/// **Attack**: it stores a manifest that names one blob over and over and submits an
/// aggregation job on it with a plain signed `submit_job`. Every worker drawn loads and
/// decodes each entry's parameter blob. Here the manifest has 24 entries, more than any round
/// has shards, because the mock's blobs are at most 1 KiB inline; under the runtime's 16 MiB
/// blobs the same manifest names a 16 MiB blob some 400,000 times.
///
/// **Gain today**: the job is accepted and drawn; the workers' nodes spend memory and time
/// without bound on a manifest no round wrote. Aggregations exist only for rounds, whose
/// manifests hold at most `MaxShards` entries of joined updates.
#[test]
fn attack_signed_aggregation_with_a_manifest_no_round_wrote() {
	use codec::Encode;
	use mosaic_primitives::rounds::{AggregationManifest, ManifestEntry};
	build_and_execute(|| {
		let model_blob = store_blob(OWNER, b"an aggregation-step graph for w");
		let base = store_blob(OWNER, &parameters([500, -250]));
		assert_eq!(register_model("mlp", version_spec(model_blob, Some(base))), 0);
		let update = store_blob(ALICE, &[7u8; 256]);
		let entry = ManifestEntry { parameters: update, weight: 1, checked: false };
		let manifest = AggregationManifest { updates: vec![entry; 24], clip_milli: 1_000, trim: 0 };
		let manifest = store_blob(ALICE, &manifest.encode());
		let validation = store_blob(ALICE, b"alice's validation rows");
		[10, 11, 12].iter().for_each(|w| register_worker(*w));
		let submitted = Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Aggregation(jobs::AggregationSpec { parameters: base, manifest }),
			jobs::JobInput::Blob { hash: validation, format: InputFormat::Scale },
			3,
			FEE,
			30,
		);
		assert_eq!(
			submitted,
			Err(jobs::Error::<Runtime>::AggregationOnlyFromRounds.into()),
			"a signed aggregation job was accepted"
		);
	});
}

/// **Attacker**: whoever registers a blob by URI (typically a requester) whose URI never
/// serves the claimed bytes, and submits jobs on it.
///
/// **Attack**: every worker drawn asks its node for the bytes, gets none, and abstains
/// (`REMOTE_BLOB_UNAVAILABLE`): each abstention lowers its draw weight, and nobody pays it for
/// the draw it spent.
///
/// **Gain without the bond**: honest workers drawn less (and paid less) for the price of a
/// protocol fee per job. Safe: the registrant's bond ([`URI_BOND`]) is shared among the
/// workers that reported the blob unserved, and their abstentions are not counted.
#[test]
fn attack_a_uri_that_never_serves_costs_the_workers_drawn_for_it() {
	use mosaic_primitives::onnx::REMOTE_BLOB_UNAVAILABLE;
	build_and_execute(|| {
		doubler();
		let workers = [10, 11, 12];
		workers.iter().for_each(|w| register_worker(*w));
		let claimed = sp_io::hashing::blake2_256(b"bytes this server will never serve");
		let uri = b"https://example.org/never".to_vec();
		assert_ok!(Blobs::register_uri(
			RuntimeOrigin::signed(ANN),
			claimed,
			64,
			uri.clone().try_into().unwrap()
		));
		assert_eq!(held(blobs::HoldReason::BlobDeposit, ANN), blob_deposit(uri.len()) + URI_BOND);
		let job = jobs::NextJobId::<Runtime>::get();
		assert_ok!(Jobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			jobs::JobInput::Blob { hash: claimed, format: InputFormat::Npy },
			3,
			FEE,
			30,
		));
		run_to_block(2);
		assert_eq!(assignees(job), workers.to_vec());
		let unserved = Outcome::CouldNotRun { code: REMOTE_BLOB_UNAVAILABLE };
		workers.iter().for_each(|w| commit(*w, job, &unserved));
		run_to_block(3);
		open_and_reveal(job, &workers.map(|w| (w, unserved.clone())));
		assert_eq!(job_info(job).status, JobStatus::Failed(jobs::FailReason::NoQuorum));
		for w in workers {
			assert_eq!(jobs::Abstentions::<Runtime>::get(w), None, "worker {w}'s draw weight fell");
			assert_eq!(pending(w), URI_BOND / 3, "worker {w} was not paid for its draw");
		}
		// The registrant keeps the URI's deposit until it removes the blob; the bond is gone.
		assert_eq!(held(blobs::HoldReason::BlobDeposit, ANN), blob_deposit(uri.len()));
		assert_ok!(Blobs::remove(RuntimeOrigin::signed(ANN), claimed));
		assert_nothing_held(ANN);
	});
}
