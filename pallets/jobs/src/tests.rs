//! Unit tests of the jobs pallet: every call and error, every transition, the off-chain
//! worker, and property tests of conservation over random job histories.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect as _, InspectHold as _},
		Hooks,
	},
};
use mosaic_primitives::onnx::InputFormat;
use mosaic_primitives::{
	contribution::{ContributionKind, RewardSource, Subject},
	digest::ElementType,
};
use sp_runtime::{traits::Dispatchable, BuildStorage};

fn escrow() -> RuntimeHoldReason {
	HoldReason::JobEscrow.into()
}

fn stake_reason() -> RuntimeHoldReason {
	HoldReason::WorkerStake.into()
}

fn register(worker: u64) {
	assert_ok!(MosaicJobs::register_worker(
		RuntimeOrigin::signed(worker),
		key_of(worker),
		2 * MIN_STAKE,
		2
	));
}

fn inline_x(values: &[f32]) -> JobInputOf<Test> {
	JobInput::Inline(
		vec![InlineTensor {
			name: b"x".to_vec().try_into().unwrap(),
			element_type: ElementType::F32,
			shape: vec![values.len() as u64].try_into().unwrap(),
			data: values
				.iter()
				.flat_map(|v| v.to_le_bytes())
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
		}]
		.try_into()
		.unwrap(),
	)
}

/// Submits a job on model 0 version 1 from ALICE with fee 100 per worker, deadline 30.
fn submit(k: u8) -> JobId {
	let id = NextJobId::<Test>::get();
	assert_ok!(MosaicJobs::submit_job(
		RuntimeOrigin::signed(ALICE),
		0,
		1,
		JobKind::Inference,
		inline_x(&[1.0, 2.0]),
		k,
		100,
		30
	));
	id
}

fn outputs(values: &[i64]) -> OutcomeOf<Test> {
	Outcome::Outputs(
		vec![OutputTensor {
			name: b"y".to_vec().try_into().unwrap(),
			element_type: ElementType::F32,
			shape: vec![values.len() as u64].try_into().unwrap(),
			elements: values.to_vec().try_into().unwrap(),
		}]
		.try_into()
		.unwrap(),
	)
}

fn salt(worker: u64) -> Salt {
	[worker as u8; 32]
}

fn commit_as(worker: u64, job: JobId, outcome: &OutcomeOf<Test>) -> DispatchResultWithPostInfo {
	let digest = MosaicJobs::outcome_digest(outcome, 3).unwrap();
	MosaicJobs::commit(
		RuntimeOrigin::signed(key_of(worker)),
		job,
		commitment(&digest, &salt(worker), &worker),
	)
}

fn reveal_as(worker: u64, job: JobId, outcome: &OutcomeOf<Test>) -> DispatchResultWithPostInfo {
	MosaicJobs::reveal(RuntimeOrigin::signed(key_of(worker)), job, salt(worker), outcome.clone())
}

fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		System::set_parent_hash(sp_core::H256::repeat_byte(next as u8));
		MosaicJobs::on_initialize(next);
	}
}

fn workers_of(job: JobId) -> Vec<u64> {
	MosaicJobs::job_view(job)
		.unwrap()
		.job
		.assignees
		.iter()
		.map(|a| a.worker)
		.collect()
}

fn status(job: JobId) -> JobStatus<u64> {
	MosaicJobs::job_view(job).unwrap().job.status
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::MosaicJobs(e) = r.event { Some(e) } else { None })
		.collect()
}

fn total_issuance() -> u64 {
	<Balances as frame_support::traits::fungible::Inspect<u64>>::total_issuance()
}

// ---------------------------------------------------------------- workers

#[test]
fn register_worker_holds_stake_and_joins_the_pool() {
	new_test_ext().execute_with(|| {
		register(10);
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 2 * MIN_STAKE);
		assert_eq!(WorkerKeys::<Test>::get(key_of(10)), Some(10));
		assert_eq!(Pool::<Test>::get().into_inner(), vec![(10, 2 * MIN_STAKE)]);
		assert_eq!(WorkerCount::<Test>::get(), 1);
		let info = Workers::<Test>::get(10).unwrap();
		assert_eq!((info.status, info.capacity, info.assigned), (WorkerStatus::Active, 2, 0));
		assert!(events().contains(&Event::WorkerRegistered {
			worker: 10,
			key: key_of(10),
			stake: 2 * MIN_STAKE,
			capacity: 2
		}));
	});
}

#[test]
fn register_worker_errors() {
	new_test_ext().execute_with(|| {
		register(10);
		let o = |w| RuntimeOrigin::signed(w);
		assert_noop!(
			MosaicJobs::register_worker(o(10), 999, MIN_STAKE, 1),
			Error::<Test>::AlreadyWorker
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), key_of(10), MIN_STAKE, 1),
			Error::<Test>::KeyInUse
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, MIN_STAKE - 1, 1),
			Error::<Test>::StakeTooLow
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, MIN_STAKE, 0),
			Error::<Test>::BadCapacity
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, MIN_STAKE, 5),
			Error::<Test>::BadCapacity
		);
		assert_noop!(
			MosaicJobs::register_worker(o(11), 211, 20_000, 1),
			Error::<Test>::InsufficientBalance
		);
		for w in 11..=17 {
			register(w);
		}
		assert_noop!(
			MosaicJobs::register_worker(o(2), 202, MIN_STAKE, 1),
			Error::<Test>::TooManyWorkers
		);
	});
}

#[test]
fn bond_pause_resume() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 5),
			Error::<Test>::NotWorker
		);
		register(10);
		assert_noop!(MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 0), Error::<Test>::BadValue);
		assert_noop!(
			MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 9_000),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(MosaicJobs::bond_extra(RuntimeOrigin::signed(10), 500));
		assert_eq!(Pool::<Test>::get().into_inner(), vec![(10, 2 * MIN_STAKE + 500)]);
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 2 * MIN_STAKE + 500);

		assert_noop!(MosaicJobs::resume(RuntimeOrigin::signed(10)), Error::<Test>::BadWorkerStatus);
		assert_ok!(MosaicJobs::pause(RuntimeOrigin::signed(10)));
		assert!(Pool::<Test>::get().is_empty());
		assert_noop!(MosaicJobs::pause(RuntimeOrigin::signed(10)), Error::<Test>::BadWorkerStatus);
		assert_ok!(MosaicJobs::resume(RuntimeOrigin::signed(10)));
		assert_eq!(Pool::<Test>::get().len(), 1);
		assert!(events().contains(&Event::WorkerPaused { worker: 10 }));
		assert!(events().contains(&Event::WorkerResumed { worker: 10 }));
	});
}

#[test]
fn unbond_and_withdraw() {
	new_test_ext().execute_with(|| {
		register(10);
		let o = RuntimeOrigin::signed(10);
		assert_noop!(
			MosaicJobs::unbond(o.clone(), 2 * MIN_STAKE + 1),
			Error::<Test>::UnbondTooMuch
		);
		assert_noop!(MosaicJobs::unbond(o.clone(), MIN_STAKE + 1), Error::<Test>::StakeTooLow);
		assert_ok!(MosaicJobs::unbond(o.clone(), 400));
		let info = Workers::<Test>::get(10).unwrap();
		assert_eq!(
			(info.stake, info.unbonding, info.unlock_at),
			(2 * MIN_STAKE - 400, 400, 1 + UNBOND_DELAY)
		);
		// Still held while unbonding.
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 2 * MIN_STAKE);
		assert_noop!(MosaicJobs::withdraw_unbonded(o.clone()), Error::<Test>::NothingToWithdraw);
		run_to(1 + UNBOND_DELAY);
		assert_ok!(MosaicJobs::withdraw_unbonded(o.clone()));
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 2 * MIN_STAKE - 400);
		assert_eq!(Balances::free_balance(10), 10_000 - 2 * MIN_STAKE + 400);

		// Leaving: everything, then withdraw, and the worker is gone with its key.
		assert_ok!(MosaicJobs::unbond(o.clone(), 2 * MIN_STAKE - 400));
		assert_eq!(Workers::<Test>::get(10).unwrap().status, WorkerStatus::Leaving);
		assert!(Pool::<Test>::get().is_empty());
		assert_noop!(MosaicJobs::bond_extra(o.clone(), 10), Error::<Test>::BadWorkerStatus);
		run_to(1 + 2 * UNBOND_DELAY);
		assert_ok!(MosaicJobs::withdraw_unbonded(o.clone()));
		assert!(Workers::<Test>::get(10).is_none());
		assert!(WorkerKeys::<Test>::get(key_of(10)).is_none());
		assert_eq!(WorkerCount::<Test>::get(), 0);
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 0);
		assert_eq!(Balances::free_balance(10), 10_000);
		assert!(events().contains(&Event::WorkerRemoved { worker: 10 }));
	});
}

#[test]
fn no_exit_while_holding_work() {
	new_test_ext().execute_with(|| {
		register(10);
		submit(1);
		run_to(2);
		assert_eq!(workers_of(0), vec![10]);
		assert_noop!(
			MosaicJobs::unbond(RuntimeOrigin::signed(10), 2 * MIN_STAKE),
			Error::<Test>::HoldsAssignedWork
		);
		// A partial unbond is fine.
		assert_ok!(MosaicJobs::unbond(RuntimeOrigin::signed(10), 100));
	});
}

// ---------------------------------------------------------------- submission

#[test]
fn submit_holds_fees_and_queues() {
	new_test_ext().execute_with(|| {
		let before = Balances::free_balance(ALICE);
		let job = submit(3);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 3 * 100 + PROTOCOL_FEE);
		assert_eq!(Balances::free_balance(ALICE), before - 3 * 100 - PROTOCOL_FEE);
		assert_eq!(Queue::<Test>::get().into_inner(), vec![job]);
		assert_eq!(status(job), JobStatus::Queued);
		assert_eq!(OpenJobs::<Test>::get(0), 1);
		assert_eq!(<MosaicJobs as ModelUsage>::open_jobs(0), 1);
	});
}

#[test]
fn submit_errors() {
	new_test_ext().execute_with(|| {
		let o = || RuntimeOrigin::signed(ALICE);
		let x = inline_x(&[1.0]);
		let submit_with = |model, k, fee, deadline, input: JobInputOf<Test>| {
			MosaicJobs::submit_job(o(), model, 1, JobKind::Inference, input, k, fee, deadline)
		};
		assert_noop!(submit_with(9, 1, 100, 30, x.clone()), Error::<Test>::VersionNotRunnable);
		assert_noop!(submit_with(0, 0, 100, 30, x.clone()), Error::<Test>::BadReplication);
		assert_noop!(submit_with(0, 6, 100, 30, x.clone()), Error::<Test>::BadReplication);
		assert_noop!(submit_with(0, 1, MIN_FEE - 1, 30, x.clone()), Error::<Test>::FeeTooLow);
		// Now is 1; a round is 6 blocks and must start after this block.
		assert_noop!(submit_with(0, 1, 100, 7, x.clone()), Error::<Test>::BadDeadline);
		assert_ok!(submit_with(0, 1, 100, 8, x.clone()));
		assert_noop!(submit_with(0, 1, 100, 102, x.clone()), Error::<Test>::BadDeadline);
		assert_noop!(
			submit_with(0, 1, 1_000_000, 30, x.clone()),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			submit_with(
				0,
				1,
				100,
				30,
				JobInput::Blob { hash: [0xcc; 32], format: InputFormat::Npy }
			),
			Error::<Test>::InputBlobUnavailable
		);
		assert_ok!(MosaicJobs::set_min_replication(RuntimeOrigin::root(), 2));
		assert_noop!(submit_with(0, 1, 100, 30, x), Error::<Test>::BadReplication);

		// Deprecated versions take no new jobs.
		Versions::mutate(|v| {
			v.get_mut(&(0, 1)).unwrap().status = mosaic_primitives::model::VersionStatus::Deprecated
		});
		assert_noop!(
			submit_with(0, 2, 100, 30, inline_x(&[1.0])),
			Error::<Test>::VersionNotRunnable
		);
	});
}

#[test]
fn inline_inputs_are_checked_against_the_schema() {
	new_test_ext().execute_with(|| {
		let tensor = |name: &str, ty, shape: Vec<u64>, bytes: usize| InlineTensor {
			name: name.as_bytes().to_vec().try_into().unwrap(),
			element_type: ty,
			shape: shape.try_into().unwrap(),
			data: vec![0u8; bytes].try_into().unwrap(),
		};
		let go = |tensors: Vec<_>| {
			MosaicJobs::submit_job(
				RuntimeOrigin::signed(ALICE),
				0,
				1,
				JobKind::Inference,
				JobInput::Inline(tensors.try_into().unwrap()),
				1,
				100,
				30,
			)
		};
		assert_noop!(go(vec![]), Error::<Test>::MissingInput);
		assert_noop!(
			go(vec![tensor("z", ElementType::F32, vec![2], 8)]),
			Error::<Test>::UnknownInput
		);
		assert_noop!(
			go(vec![tensor("x", ElementType::F64, vec![2], 16)]),
			Error::<Test>::InputTypeMismatch
		);
		assert_noop!(
			go(vec![tensor("x", ElementType::F32, vec![2, 1], 8)]),
			Error::<Test>::InputShapeMismatch
		);
		assert_noop!(
			go(vec![tensor("x", ElementType::F32, vec![2], 7)]),
			Error::<Test>::InputDataLength
		);
		assert_noop!(
			go(vec![
				tensor("x", ElementType::F32, vec![2], 8),
				tensor("x", ElementType::F32, vec![2], 8)
			]),
			Error::<Test>::MissingInput
		);

		// A version with two inputs sharing a symbolic dimension and one fixed dimension.
		let n = || Dim::Symbolic(b"n".to_vec().try_into().unwrap());
		Versions::mutate(|v| {
			let view = v.get_mut(&(0, 1)).unwrap();
			view.inputs = vec![
				schema("a", ElementType::F32, vec![n(), Dim::Fixed(2)]),
				schema("b", ElementType::I64, vec![n()]),
			]
			.try_into()
			.unwrap();
		});
		assert_noop!(
			go(vec![
				tensor("a", ElementType::F32, vec![3, 2], 24),
				tensor("b", ElementType::I64, vec![2], 16)
			]),
			Error::<Test>::InputShapeMismatch
		);
		assert_noop!(
			go(vec![
				tensor("a", ElementType::F32, vec![3, 3], 36),
				tensor("b", ElementType::I64, vec![3], 24)
			]),
			Error::<Test>::InputShapeMismatch
		);
		assert_noop!(
			go(vec![
				tensor("a", ElementType::F32, vec![3, 2], 24),
				tensor("a", ElementType::F32, vec![3, 2], 24)
			]),
			Error::<Test>::UnknownInput
		);
		assert_noop!(
			go(vec![
				tensor("a", ElementType::F32, vec![5, 2], 40),
				tensor("b", ElementType::I64, vec![5], 40)
			]),
			Error::<Test>::InputTooLarge
		);
		assert_ok!(go(vec![
			tensor("b", ElementType::I64, vec![3], 24),
			tensor("a", ElementType::F32, vec![3, 2], 24)
		]));
	});
}

#[test]
fn blob_inputs_are_referenced_while_open() {
	new_test_ext().execute_with(|| {
		register(10);
		assert_ok!(MosaicJobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			JobKind::Inference,
			JobInput::Blob { hash: [0xbb; 32], format: InputFormat::Npy },
			1,
			100,
			30
		));
		assert_eq!(SealedBlobs::get()[&[0xbb; 32]], 1);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), 0));
		assert_eq!(SealedBlobs::get()[&[0xbb; 32]], 0);
	});
}

// ---------------------------------------------------------------- the whole life

#[test]
fn honest_workers_settle_and_are_paid() {
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
		register(10);
		register(11);
		register(12);
		let out = outputs(&[5]);
		for round in 0..MAX_MISSED as u64 {
			let job = submit(3);
			run_to(System::block_number() + 1);
			// 12 never commits.
			assert_ok!(commit_as(10, job, &out));
			assert_ok!(commit_as(11, job, &out));
			let commit_end = System::block_number() + COMMIT_PERIOD;
			run_to(commit_end);
			assert!(matches!(status(job), JobStatus::Revealing { .. }), "round {round}");
			assert_ok!(reveal_as(10, job, &out));
			assert_ok!(reveal_as(11, job, &out));
			assert_eq!(status(job), JobStatus::Settled);
			assert_eq!(Workers::<Test>::get(12).unwrap().missed, round as u32 + 1);
		}
		let info = Workers::<Test>::get(12).unwrap();
		assert_eq!(info.status, WorkerStatus::Inactive);
		assert_eq!(info.stake, 2 * MIN_STAKE - 2 * NO_REVEAL_SLASH);
		assert!(!Pool::<Test>::get().iter().any(|(w, _)| *w == 12));
		assert!(events().contains(&Event::WorkerInactive { worker: 12, missed: MAX_MISSED }));
		// It comes back by resuming.
		assert_ok!(MosaicJobs::resume(RuntimeOrigin::signed(12)));
		assert!(Pool::<Test>::get().iter().any(|(w, _)| *w == 12));
		assert_eq!(Workers::<Test>::get(12).unwrap().missed, 0);
	});
}

#[test]
fn no_quorum_escalates_then_settles() {
	new_test_ext().execute_with(|| {
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
		assert!(events().contains(&Event::JobEscalated { job, round: 1 }));
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
		register(10); // capacity 2
		let jobs: Vec<JobId> = (0..3).map(|_| submit(1)).collect();
		run_to(2);
		assert_eq!(Workers::<Test>::get(10).unwrap().assigned, 2);
		assert!(Pool::<Test>::get().is_empty());
		assert_eq!(status(jobs[2]), JobStatus::Queued);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), jobs[0]));
		run_to(3);
		assert!(matches!(status(jobs[2]), JobStatus::Committing { .. }));
	});
}

#[test]
fn commit_and_reveal_errors() {
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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

#[test]
fn genesis_registers_workers() {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(10, 5_000)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	crate::GenesisConfig::<Test> { min_replication: 2, workers: vec![(10, 110, 3_000, 3)] }
		.assimilate_storage(&mut storage)
		.unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(MinReplication::<Test>::get(), 2);
		assert_eq!(Workers::<Test>::get(10).unwrap().stake, 3_000);
		assert_eq!(WorkerKeys::<Test>::get(110), Some(10));
		assert_eq!(Balances::balance_on_hold(&stake_reason(), &10), 3_000);
	});
}

// ---------------------------------------------------------------- training

const DATASET: BlobHash = [0xbb; 32];
const PARAMS: BlobHash = [0xcc; 32];

fn training(epochs: u16, batch_size: u32) -> JobKind {
	JobKind::Training(TrainingSpec { parameters: PARAMS, epochs, batch_size })
}

fn dataset() -> JobInputOf<Test> {
	JobInput::Blob { hash: DATASET, format: InputFormat::Scale }
}

fn submit_training(k: u8) -> JobId {
	let id = NextJobId::<Test>::get();
	assert_ok!(MosaicJobs::submit_job(
		RuntimeOrigin::signed(ALICE),
		0,
		1,
		training(3, 8),
		dataset(),
		k,
		100,
		30
	));
	id
}

/// A training outcome: parameter `w` and a two-epoch loss curve, quantised at precision 3.
fn trained(w: &[i64]) -> OutcomeOf<Test> {
	let tensor = |name: &[u8], values: &[i64]| OutputTensor {
		name: name.to_vec().try_into().unwrap(),
		element_type: ElementType::F32,
		shape: vec![values.len() as u64].try_into().unwrap(),
		elements: values.to_vec().try_into().unwrap(),
	};
	Outcome::Outputs(vec![tensor(b"w", w), tensor(b"loss_curve", &[690, 310])].try_into().unwrap())
}

#[test]
fn training_jobs_check_their_spec() {
	new_test_ext().execute_with(|| {
		let submit = |kind, input| {
			MosaicJobs::submit_job(RuntimeOrigin::signed(ALICE), 0, 1, kind, input, 1, 100, 30)
		};
		assert_noop!(
			submit(training(3, 8), inline_x(&[1.0])),
			Error::<Test>::TrainingNeedsDatasetBlob
		);
		assert_noop!(submit(training(3, 8), dataset()), Error::<Test>::ParametersBlobUnavailable);
		SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
		assert_noop!(submit(training(0, 8), dataset()), Error::<Test>::BadTrainingSpec);
		assert_noop!(
			submit(training(MAX_EPOCHS + 1, 8), dataset()),
			Error::<Test>::BadTrainingSpec
		);
		assert_noop!(submit(training(3, 0), dataset()), Error::<Test>::BadTrainingSpec);
		let dataset_unsealed = JobInput::Blob { hash: [0xdd; 32], format: InputFormat::Scale };
		assert_noop!(submit(training(3, 8), dataset_unsealed), Error::<Test>::InputBlobUnavailable);
		assert_ok!(submit(training(MAX_EPOCHS, 8), dataset()));
	});
}

#[test]
fn a_settled_training_job_stores_the_agreed_parameters() {
	new_test_ext().execute_with(|| {
		SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
		for w in 10..=12 {
			register(w);
		}
		let issuance = total_issuance();
		let job = submit_training(3);
		// The escrow also covers storing a parameter blob the size of the initial one.
		let deposit = BLOB_SIZE + 5;
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 300 + PROTOCOL_FEE + deposit);
		assert_eq!(SealedBlobs::get()[&PARAMS], 1, "the initial parameters are referenced");
		assert_eq!(SealedBlobs::get()[&DATASET], 1, "the dataset is referenced");
		run_to(2);
		let out = trained(&[1500, -250]);
		let odd = trained(&[1500, -251]);
		for w in 10..=11 {
			assert_ok!(commit_as(w, job, &out));
		}
		assert_ok!(commit_as(12, job, &odd));
		for w in 10..=11 {
			assert_ok!(reveal_as(w, job, &out));
		}
		assert_ok!(reveal_as(12, job, &odd));
		assert_eq!(status(job), JobStatus::Settled);

		let Outcome::Outputs(revealed) = &out else { unreachable!() };
		let bytes =
			mosaic_primitives::training::parameters_blob(&to_quantized(revealed), 3).unwrap();
		let blob = sp_io::hashing::blake2_256(&bytes);
		assert_eq!(StoredBlobs::get(), vec![(ALICE, bytes.clone())]);
		let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
		assert_eq!(result.parameters, Some(blob));
		assert_eq!(result.agreeing, 2);
		assert!(events().contains(&Event::TrainedParametersStored { job, blob }));
		// References dropped; nothing left in escrow; the requester paid the fees, the
		// protocol fee and the stored blob's deposit, and the dissenter was slashed.
		assert_eq!(SealedBlobs::get()[&PARAMS], 0);
		assert_eq!(SealedBlobs::get()[&DATASET], 0);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
		let stored_deposit = bytes.len() as u64 + 5;
		assert_eq!(Balances::free_balance(ALICE), 100_000 - 300 - PROTOCOL_FEE - stored_deposit);
		assert_eq!(Balances::free_balance(BLOB_DEPOSITS), 1 + stored_deposit);
		assert!(events().iter().any(|e| matches!(
			e,
			Event::WorkerSlashed { worker: 12, reason: SlashReason::Dissent, .. }
		)));
		assert_eq!(total_issuance(), issuance);
	});
}

#[test]
fn training_results_revealed_by_digest_store_nothing_and_refund_the_deposit() {
	new_test_ext().execute_with(|| {
		SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
		register(10);
		let job = submit_training(1);
		run_to(2);
		let out = Outcome::Digest([7; 32]);
		assert_ok!(commit_as(10, job, &out));
		assert_ok!(reveal_as(10, job, &out));
		assert_eq!(status(job), JobStatus::Settled);
		assert_eq!(MosaicJobs::job_view(job).unwrap().job.result.unwrap().parameters, None);
		assert!(StoredBlobs::get().is_empty());
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), 100_000 - 100 - PROTOCOL_FEE);
	});
}

#[test]
fn remote_blobs_are_usable_but_not_referenced() {
	new_test_ext().execute_with(|| {
		let remote = [0xee; 32];
		RemoteBlobs::mutate(|r| r.push(remote));
		SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
		let input = JobInput::Blob { hash: remote, format: InputFormat::Scale };
		let job = NextJobId::<Test>::get();
		assert_ok!(MosaicJobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			training(2, 4),
			input,
			1,
			100,
			30
		));
		assert_eq!(MosaicJobs::job_view(job).unwrap().job.blob_refs.into_inner(), vec![PARAMS]);
		assert_eq!(SealedBlobs::get()[&PARAMS], 1);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), job));
		assert_eq!(SealedBlobs::get()[&PARAMS], 0, "exactly the references taken are dropped");
		// A remote blob of initial parameters is usable too.
		let kind = JobKind::Training(TrainingSpec { parameters: remote, epochs: 1, batch_size: 1 });
		assert_ok!(MosaicJobs::submit_job(
			RuntimeOrigin::signed(ALICE),
			0,
			1,
			kind,
			dataset(),
			1,
			100,
			30
		));
	});
}

#[test]
fn a_cancelled_training_job_returns_everything() {
	new_test_ext().execute_with(|| {
		SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
		let job = submit_training(1);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), job));
		assert_eq!(Balances::free_balance(ALICE), 100_000);
		assert_eq!(SealedBlobs::get()[&PARAMS], 0);
		assert_eq!(SealedBlobs::get()[&DATASET], 0);
	});
}

// ---------------------------------------------------------------- rounds

const MANIFEST: BlobHash = [0xaa; 32];

#[test]
fn jobs_submitted_for_a_round_report_their_end_and_cannot_be_cancelled() {
	use mosaic_primitives::rounds::{JobEnd, RoundJob, RoundJobs};
	new_test_ext().execute_with(|| {
		SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
		for w in 10..=11 {
			register(w);
		}
		let aggregation =
			RoundJob::Aggregation { parameters: PARAMS, manifest: MANIFEST, validation: DATASET };
		let submit =
			|job| <MosaicJobs as RoundJobs<_, _, _>>::submit(&ALICE, 0, 1, job, 2, 100, 30);
		assert_noop!(submit(aggregation), Error::<Test>::ManifestBlobUnavailable);
		// The escrow can be known before the manifest is stored.
		let escrow = <MosaicJobs as RoundJobs<_, _, _>>::escrow(aggregation, 2, 100).unwrap();
		SealedBlobs::mutate(|b| b.insert(MANIFEST, 0));
		let job = submit(aggregation).unwrap();
		let info = MosaicJobs::job_view(job).unwrap().job;
		assert_eq!(info.held, escrow, "submit holds what escrow said");
		assert_eq!(escrow, 2 * 100 + info.protocol_fee + info.result_deposit);
		assert!(!info.result_deposit.is_zero());
		let bad =
			RoundJob::Training { dataset: DATASET, parameters: PARAMS, epochs: 0, batch_size: 4 };
		assert_noop!(
			<MosaicJobs as RoundJobs<_, _, _>>::escrow(bad, 2, 100),
			Error::<Test>::BadTrainingSpec
		);
		assert_eq!(
			info.kind,
			JobKind::Aggregation(AggregationSpec { parameters: PARAMS, manifest: MANIFEST })
		);
		assert_eq!(info.blob_refs.into_inner(), vec![DATASET, PARAMS, MANIFEST]);
		OBSERVED.with(|o| o.borrow_mut().0.push(job));
		assert_noop!(
			MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), job),
			Error::<Test>::PartOfRound
		);

		run_to(2);
		let tensor = |name: &[u8], element_type, values: &[i64]| OutputTensor {
			name: name.to_vec().try_into().unwrap(),
			element_type,
			shape: vec![values.len() as u64].try_into().unwrap(),
			elements: values.to_vec().try_into().unwrap(),
		};
		let out = Outcome::Outputs(
			vec![
				tensor(b"w", ElementType::F32, &[1500, -250]),
				tensor(b"update_verdicts", ElementType::I64, &[1, 0, 1]),
				tensor(b"validation_loss", ElementType::F32, &[700, 600, 900, 650]),
			]
			.try_into()
			.unwrap(),
		);
		for w in 10..=11 {
			assert_ok!(commit_as(w, job, &out));
		}
		for w in 10..=11 {
			assert_ok!(reveal_as(w, job, &out));
		}
		assert_eq!(status(job), JobStatus::Settled);
		// Only the parameters are stored, not the reports.
		let w = tensor(b"w", ElementType::F32, &[1500, -250]);
		let bytes = mosaic_primitives::training::parameters_blob(&to_quantized(&[w]), 3).unwrap();
		let blob = sp_io::hashing::blake2_256(&bytes);
		assert_eq!(StoredBlobs::get(), vec![(ALICE, bytes)]);
		let ends = OBSERVED.with(|o| o.borrow().1.clone());
		assert_eq!(
			ends,
			vec![(
				job,
				JobEnd::Settled { parameters: Some(blob), verdicts: vec![true, false, true] }
			)]
		);
		assert_eq!(SealedBlobs::get()[&MANIFEST], 0, "the manifest reference is dropped");

		// A training job that finds no workers ends as failed for the observer too.
		let training =
			RoundJob::Training { dataset: DATASET, parameters: PARAMS, epochs: 1, batch_size: 4 };
		let job =
			<MosaicJobs as RoundJobs<_, _, _>>::submit(&ALICE, 0, 1, training, 5, 100, 20).unwrap();
		run_to(20);
		assert!(matches!(status(job), JobStatus::Failed(FailReason::NoWorkers)));
		assert_eq!(OBSERVED.with(|o| o.borrow().1.last().cloned()), Some((job, JobEnd::Failed)));
	});
}

// ---------------------------------------------------------------- off-chain worker

mod ocw {
	use super::*;
	use codec::Decode;
	use mosaic_onnx_host::{OnnxBackend, OnnxExt};
	use mosaic_primitives::{
		digest::QuantizedTensor,
		onnx::{RunRequest, RunResult, RunStatus, StartError, Ticket},
	};
	use sp_core::offchain::{testing, OffchainDbExt, OffchainWorkerExt, TransactionPoolExt};
	use sp_runtime::testing::UintAuthorityId;
	use std::sync::{Arc, Mutex};

	/// An executor that finishes every run at once with `y = [values]`, recording requests.
	/// With `hold` set, runs stay pending; `forget` drops them, as a node restart would.
	#[derive(Default)]
	struct Instant {
		requests: Mutex<Vec<RunRequest>>,
		done: Mutex<Vec<Ticket>>,
		hold: std::sync::atomic::AtomicBool,
	}

	impl Instant {
		fn forget(&self) {
			self.done.lock().unwrap().clear();
		}
	}

	impl OnnxBackend for Instant {
		fn start(&self, request: RunRequest) -> Result<(), StartError> {
			self.done.lock().unwrap().push(request.ticket);
			self.requests.lock().unwrap().push(request);
			Ok(())
		}
		fn poll(&self, ticket: Ticket) -> RunStatus {
			let mut done = self.done.lock().unwrap();
			if self.hold.load(std::sync::atomic::Ordering::SeqCst) && done.contains(&ticket) {
				return RunStatus::Pending;
			}
			match done.iter().position(|t| *t == ticket) {
				Some(i) => {
					done.remove(i);
					let outputs = vec![QuantizedTensor {
						name: b"y".to_vec(),
						element_type: ElementType::F32,
						shape: vec![2],
						values: vec![1000, 2000],
					}];
					let digest = mosaic_primitives::digest::canonical_digest(&outputs, 3).unwrap();
					RunStatus::Done(RunResult { digest, outputs })
				},
				None => RunStatus::Unknown,
			}
		}
	}

	#[test]
	fn the_off_chain_worker_runs_commits_and_reveals_once() {
		let mut ext = new_test_ext();
		let (offchain, _state) = testing::TestOffchainExt::new();
		let (pool, pool_state) = testing::TestTransactionPoolExt::new();
		let backend = Arc::new(Instant::default());
		ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
		ext.register_extension(OffchainDbExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		ext.register_extension(OnnxExt(backend.clone()));
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key_of(10), 999]);
			register(10);
			let job = submit(1);
			run_to(2);

			MosaicJobs::offchain_worker(2);
			let requests = backend.requests.lock().unwrap().clone();
			assert_eq!(requests.len(), 1);
			assert_eq!(requests[0].model, [0; 32]);
			assert_eq!(requests[0].format, InputFormat::Scale);
			assert_eq!(requests[0].precision, 3);
			let txs = std::mem::take(&mut pool_state.write().transactions);
			assert_eq!(txs.len(), 1, "one commitment");
			let tx = Extrinsic::decode(&mut &txs[0][..]).unwrap();
			let sp_runtime::generic::Preamble::Signed(signer, _, _) = tx.preamble else {
				panic!("signed")
			};
			assert_eq!(signer, key_of(10));
			assert!(matches!(tx.function, RuntimeCall::MosaicJobs(Call::commit { job: 0, .. })));

			// Nothing twice: another run in the same phase sends nothing and starts nothing.
			MosaicJobs::offchain_worker(2);
			assert!(pool_state.read().transactions.is_empty());
			assert_eq!(backend.requests.lock().unwrap().len(), 1);

			// The commitment lands; the reveal follows in the next run.
			assert_ok!(tx.function.clone().dispatch(RuntimeOrigin::signed(signer)));
			assert!(matches!(status(job), JobStatus::Revealing { .. }));
			MosaicJobs::offchain_worker(3);
			let txs = std::mem::take(&mut pool_state.write().transactions);
			assert_eq!(txs.len(), 1, "one reveal");
			let tx = Extrinsic::decode(&mut &txs[0][..]).unwrap();
			assert_ok!(tx.function.dispatch(RuntimeOrigin::signed(key_of(10))));
			assert_eq!(status(job), JobStatus::Settled);
			let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
			assert_eq!(result.outcome, outputs(&[1000, 2000]));
			MosaicJobs::offchain_worker(4);
			assert!(pool_state.read().transactions.is_empty());
		});
	}

	/// Runs `test` with an off-chain worker environment: the executor, and a function that
	/// takes the transactions submitted so far.
	fn with_ocw(test: impl FnOnce(&Instant, &dyn Fn() -> Vec<Vec<u8>>)) {
		let mut ext = new_test_ext();
		let (offchain, _state) = testing::TestOffchainExt::new();
		let (pool, pool_state) = testing::TestTransactionPoolExt::new();
		let backend = Arc::new(Instant::default());
		ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
		ext.register_extension(OffchainDbExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		ext.register_extension(OnnxExt(backend.clone()));
		let take = move || std::mem::take(&mut pool_state.write().transactions);
		ext.execute_with(|| test(&backend, &take));
	}

	#[test]
	fn a_run_lost_in_a_restart_is_started_again_under_the_same_ticket() {
		with_ocw(|backend, take| {
			UintAuthorityId::set_all_keys(vec![key_of(10)]);
			register(10);
			submit(1);
			run_to(2);
			backend.hold.store(true, std::sync::atomic::Ordering::SeqCst);
			MosaicJobs::offchain_worker(2);
			assert!(take().is_empty(), "still running");
			// The node restarts: its executor has no record of the run.
			backend.forget();
			backend.hold.store(false, std::sync::atomic::Ordering::SeqCst);
			MosaicJobs::offchain_worker(3);
			let requests = backend.requests.lock().unwrap().clone();
			assert_eq!(requests.len(), 2, "started again");
			assert_eq!(requests[0].ticket, requests[1].ticket);
			// The next run collects it and commits.
			MosaicJobs::offchain_worker(3);
			assert_eq!(take().len(), 1);
		});
	}

	#[test]
	fn a_commitment_that_never_lands_is_sent_again_once_with_the_kept_salt() {
		with_ocw(|_backend, take| {
			UintAuthorityId::set_all_keys(vec![key_of(10)]);
			register(10);
			let job = submit(1);
			run_to(2);
			MosaicJobs::offchain_worker(2);
			let first = take();
			assert_eq!(first.len(), 1);
			// The pool dropped it. Not sent again before RESEND_AFTER blocks...
			run_to(1 + offchain::RESEND_AFTER as u64);
			MosaicJobs::offchain_worker(System::block_number());
			assert!(take().is_empty());
			// ...then once, with the same commitment (the salt was kept).
			run_to(2 + offchain::RESEND_AFTER as u64);
			MosaicJobs::offchain_worker(System::block_number());
			let second = take();
			assert_eq!(second.len(), 1);
			let call = |raw: &Vec<u8>| Extrinsic::decode(&mut &raw[..]).unwrap().function;
			assert_eq!(call(&first[0]), call(&second[0]));
			MosaicJobs::offchain_worker(System::block_number());
			assert!(take().is_empty());
			// It lands; the reveal uses the kept salt and settles the job.
			assert_ok!(call(&second[0]).dispatch(RuntimeOrigin::signed(key_of(10))));
			MosaicJobs::offchain_worker(System::block_number());
			let reveal = take();
			assert_ok!(call(&reveal[0]).dispatch(RuntimeOrigin::signed(key_of(10))));
			assert_eq!(status(job), JobStatus::Settled);
		});
	}

	#[test]
	fn without_an_executor_the_off_chain_worker_does_nothing() {
		let mut ext = new_test_ext();
		let (pool, pool_state) = testing::TestTransactionPoolExt::new();
		ext.register_extension(TransactionPoolExt::new(pool));
		ext.execute_with(|| {
			UintAuthorityId::set_all_keys(vec![key_of(10)]);
			register(10);
			submit(1);
			run_to(2);
			MosaicJobs::offchain_worker(2);
			assert!(pool_state.read().transactions.is_empty());
		});
	}
}

// ---------------------------------------------------------------- properties

mod properties {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Copy, Debug)]
	enum Behaviour {
		Honest,
		Liar,
		Silent,
		CommitOnly,
	}

	fn behaviour() -> impl Strategy<Value = Behaviour> {
		prop_oneof![
			4 => Just(Behaviour::Honest),
			1 => Just(Behaviour::Liar),
			1 => Just(Behaviour::Silent),
			1 => Just(Behaviour::CommitOnly),
		]
	}

	#[derive(Clone, Debug)]
	struct JobPlan {
		k: u8,
		fee: u64,
		cancel: bool,
		submit_at: u64,
		training: bool,
	}

	fn job_plan() -> impl Strategy<Value = JobPlan> {
		(1u8..=4, MIN_FEE..500, prop::bool::weighted(0.15), 0u64..6, prop::bool::weighted(0.4))
			.prop_map(|(k, fee, cancel, submit_at, training)| JobPlan {
				k,
				fee,
				cancel,
				submit_at,
				training,
			})
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		#[test]
		fn funds_are_conserved_and_no_hold_survives(
			plans in prop::collection::vec(job_plan(), 1..6),
			behaviours in prop::collection::vec(behaviour(), 6),
			tolerance in prop::option::of(0u64..2),
		) {
			new_test_ext().execute_with(|| {
				add_version(0, 1, OWNER, tolerance);
				SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
				let workers: Vec<u64> = (10..16).collect();
				for w in &workers {
					register(*w);
				}
				let accounts: Vec<u64> = [ALICE, 2, OWNER, POT, BLOB_DEPOSITS].into_iter().chain(10..=17).chain(110..=117).collect();
				let issuance = total_issuance();
				let mut submitted = Vec::new();
				let mut block = 1;
				for (i, plan) in plans.iter().enumerate() {
					run_to(block + plan.submit_at);
					block = System::block_number();
					let requester = if i % 2 == 0 { ALICE } else { 2 };
					let id = NextJobId::<Test>::get();
					let (kind, input) =
						if plan.training { (training(2, 4), dataset()) } else { (JobKind::Inference, inline_x(&[1.0])) };
					if MosaicJobs::submit_job(RuntimeOrigin::signed(requester), 0, 1, kind,
						input, plan.k, plan.fee, block + 20).is_ok() {
						submitted.push((id, plan.clone(), requester));
					}
				}
				// Drive every job to its end, each worker behaving as drawn.
				for _ in 0..60 {
					run_to(System::block_number() + 1);
					for (id, plan, requester) in &submitted {
						let Some(view) = MosaicJobs::job_view(*id) else { continue };
						let info = view.job;
						if plan.cancel {
							let _ = MosaicJobs::cancel_job(RuntimeOrigin::signed(*requester), *id);
						}
						for a in info.assignees.iter() {
							let w = a.worker;
							let b = behaviours[(w - 10) as usize];
							let out = match b {
								Behaviour::Liar => outputs(&[7 + w as i64]),
								_ => outputs(&[7]),
							};
							match (info.status, b) {
								(_, Behaviour::Silent) => {},
								(JobStatus::Committing { .. }, _) => { let _ = commit_as(w, *id, &out); },
								(JobStatus::Revealing { .. }, Behaviour::CommitOnly) => {},
								(JobStatus::Revealing { .. }, _) => { let _ = reveal_as(w, *id, &out); },
								_ => {},
							}
						}
					}
				}
				let mut slashed = 0u64;
				let mut fees = 0u64;
				for e in events() {
					match e {
						Event::WorkerSlashed { amount, .. } => slashed += amount,
						Event::JobSettled { job, .. } => fees += MosaicJobs::job_view(job).map_or(PROTOCOL_FEE, |v| v.job.protocol_fee),
						Event::JobFailed { job, reason, .. } if reason != FailReason::NoWorkers =>
							fees += MosaicJobs::job_view(job).map_or(PROTOCOL_FEE, |v| v.job.protocol_fee),
						_ => {},
					}
				}
				for (id, _, _) in &submitted {
					// Purged jobs were finished.
					if let Some(view) = MosaicJobs::job_view(*id) {
						prop_assert!(view.job.status.is_finished(), "job {} ended as {:?}", id, view.job.status);
					}
				}
				// Nothing is minted or burned: slashes and protocol fees went to the pool, worker
				// fees and royalties are owed in the pot, and the pot holds exactly that.
				prop_assert_eq!(total_issuance(), issuance);
				prop_assert_eq!(pooled(), slashed + fees);
				let owed_total: u64 = Owed::get().values().sum();
				prop_assert_eq!(Balances::free_balance(POT), 1 + pooled() + owed_total);
				let sum: u64 = accounts.iter().map(|a| Balances::total_balance(a)).sum();
				prop_assert_eq!(sum, total_issuance());
				for a in &accounts {
					prop_assert_eq!(Balances::balance_on_hold(&escrow(), a), 0);
				}
				for w in &workers {
					let info = Workers::<Test>::get(w).unwrap();
					prop_assert_eq!(info.assigned, 0);
					prop_assert_eq!(Balances::balance_on_hold(&stake_reason(), w), info.held());
					prop_assert!(Assignments::<Test>::iter_prefix(w).next().is_none());
				}
				prop_assert_eq!(OpenJobs::<Test>::get(0), 0);
				// Every reference a job took was dropped; stored results paid their deposits.
				prop_assert_eq!(SealedBlobs::get().get(&PARAMS).copied(), Some(0));
				prop_assert_eq!(SealedBlobs::get().get(&DATASET).copied(), Some(0));
				let deposits: u64 = StoredBlobs::get().iter().map(|(_, b)| b.len() as u64 + 5).sum();
				prop_assert_eq!(Balances::free_balance(BLOB_DEPOSITS), 1 + deposits);
				Ok(())
			})?;
		}
	}
}
