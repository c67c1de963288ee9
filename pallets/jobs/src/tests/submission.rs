//! Submission: escrow, checks of inputs against the schema, blob references.

use super::*;

#[test]
fn submit_holds_fees_and_queues() {
	build_and_execute(|| {
		register_all(10..=12);
		let before = Balances::free_balance(ALICE);
		let job = submit(3);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 3 * 100 + PROTOCOL_FEE);
		assert_eq!(Balances::free_balance(ALICE), before - 3 * 100 - PROTOCOL_FEE);
		assert_eq!(Queue::<Test>::get().into_inner(), vec![job]);
		assert_eq!(status(job), JobStatus::Queued);
		assert_eq!(OpenJobs::<Test>::get(0), 1);
		assert_eq!(<MosaicJobs as ModelUsage>::open_jobs(0), 1);
		// Its one phase end: the latest start, an attempt before the deadline.
		assert_eq!(
			Deadlines::<Test>::iter_keys().collect::<Vec<_>>(),
			vec![(30 - COMMIT_PERIOD - 2 * REVEAL_PERIOD, (job, DeadlineKind::LatestStart))]
		);
		assert!(events().contains(&Event::JobSubmitted {
			job,
			requester: ALICE,
			model: 0,
			version: 1,
			replication: 3,
			held: 3 * FEE + PROTOCOL_FEE
		}));
	});
}

#[test]
fn submit_errors() {
	build_and_execute(|| {
		register_all(10..=14);
		let o = || RuntimeOrigin::signed(ALICE);
		let x = inline_x(&[1.0]);
		let submit_with = |model, k, fee, deadline, input: JobInputOf<Test>| {
			MosaicJobs::submit_job(o(), model, 1, JobKind::Inference, input, k, fee, deadline)
		};
		assert_noop!(submit_with(9, 1, 100, 30, x.clone()), Error::<Test>::VersionNotRunnable);
		assert_noop!(submit_with(0, 0, 100, 30, x.clone()), Error::<Test>::BadReplication);
		assert_noop!(submit_with(0, 6, 100, 30, x.clone()), Error::<Test>::BadReplication);
		assert_noop!(submit_with(0, 1, MIN_FEE - 1, 30, x.clone()), Error::<Test>::FeeTooLow);
		// Now is 1; an attempt is 9 blocks (commit, open, disclose) and must start after this
		// block.
		assert_noop!(submit_with(0, 1, 100, 10, x.clone()), Error::<Test>::BadDeadline);
		assert_ok!(submit_with(0, 1, 100, 11, x.clone()));
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
	build_and_execute(|| {
		register(10);
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
	build_and_execute(|| {
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
		assert_eq!(Balances::free_balance(ALICE), 100_000 - PROTOCOL_FEE);
	});
}

#[test]
fn submission_needs_enough_workers_besides_the_requester() {
	build_and_execute(|| {
		let submit_k = |who: u64, k: u8| {
			MosaicJobs::submit_job(
				RuntimeOrigin::signed(who),
				0,
				1,
				JobKind::Inference,
				inline_x(&[1.0]),
				k,
				FEE,
				30,
			)
		};
		// No workers: nothing can be submitted, and nothing is held.
		assert_noop!(submit_k(ALICE, 1), Error::<Test>::NotEnoughWorkers);
		// The other argument checks come first.
		assert_noop!(submit_k(ALICE, 6), Error::<Test>::BadReplication);
		assert_noop!(
			MosaicJobs::submit_job(
				RuntimeOrigin::signed(ALICE),
				0,
				1,
				JobKind::Inference,
				inline_x(&[1.0]),
				1,
				MIN_FEE - 1,
				30
			),
			Error::<Test>::FeeTooLow
		);
		assert_noop!(
			MosaicJobs::submit_job(
				RuntimeOrigin::signed(ALICE),
				0,
				1,
				JobKind::Inference,
				inline_x(&[1.0]),
				1,
				FEE,
				7
			),
			Error::<Test>::BadDeadline
		);
		// And holding comes after: a job that could never run fails on its workers, not on
		// the requester's balance.
		assert_noop!(
			MosaicJobs::submit_job(
				RuntimeOrigin::signed(ALICE),
				0,
				1,
				JobKind::Inference,
				inline_x(&[1.0]),
				1,
				1_000_000,
				30
			),
			Error::<Test>::NotEnoughWorkers
		);

		// Two workers, one of them the requester: one besides it.
		assert_ok!(MosaicJobs::register_worker(
			RuntimeOrigin::signed(ALICE),
			101,
			MIN_STAKE,
			4,
			key_proof(101, ALICE)
		));
		register(10);
		assert_noop!(submit_k(ALICE, 2), Error::<Test>::NotEnoughWorkers);
		assert_ok!(submit_k(ALICE, 1));
		// For another requester both count.
		assert_ok!(submit_k(2, 2));
		assert_noop!(submit_k(2, 3), Error::<Test>::NotEnoughWorkers);

		// Registered workers count whatever their state: a paused one may resume.
		register(11);
		assert_ok!(MosaicJobs::pause(RuntimeOrigin::signed(11)));
		assert_ok!(submit_k(ALICE, 2));
		assert_noop!(submit_k(ALICE, 3), Error::<Test>::NotEnoughWorkers);
		assert_eq!(Queue::<Test>::get().len(), 3);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 3 * FEE + 2 * PROTOCOL_FEE);
	});
}

#[test]
fn the_least_fee_covers_the_reveal_a_job_can_make() {
	build_and_execute(|| {
		(10..13).for_each(register);
		let submit = |input: JobInputOf<Test>, kind: JobKind, fee: u64| {
			MosaicJobs::submit_job(RuntimeOrigin::signed(ALICE), 0, 1, kind, input, 1, fee, 30)
		};
		// An inline input sizes the symbolic output: two values fit in the least fee.
		assert_eq!(MosaicJobs::least_fee_per_worker(2), MIN_FEE);
		assert_ok!(submit(inline_x(&[1.0, 2.0]), JobKind::Inference, MIN_FEE));
		// A blob input leaves it unsized: the reveal may carry `MaxOutputValues`.
		let most = MAX_OUTPUT_VALUES as u64;
		let least = MosaicJobs::least_fee_per_worker(most);
		assert_eq!(least, most * REVEAL_FEE_PER_VALUE);
		assert!(least > MIN_FEE);
		let blob = JobInput::Blob { hash: DATASET, format: InputFormat::Npy };
		assert_noop!(submit(blob.clone(), JobKind::Inference, least - 1), Error::<Test>::FeeTooLow);
		assert_ok!(submit(blob, JobKind::Inference, least));
		// So may a training job's parameters.
		SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
		assert_noop!(submit(dataset(), training(1, 8), least - 1), Error::<Test>::FeeTooLow);
		assert_ok!(submit(dataset(), training(1, 8), least));
	});
}
