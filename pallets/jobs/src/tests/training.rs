//! Training jobs: their spec, stored parameters, remote blobs.

use super::*;

#[test]
fn training_jobs_check_their_spec() {
	build_and_execute(|| {
		register(10);
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
	build_and_execute(|| {
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
		open_and_reveal(job, [(10, &out), (11, &out), (12, &odd)]);
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
	build_and_execute(|| {
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
fn remote_blobs_are_usable_and_referenced_while_the_job_is_open() {
	build_and_execute(|| {
		register(10);
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
		// A reference keeps the registration (its URI) what the workers are asked to fetch.
		let refs = MosaicJobs::job_view(job).unwrap().job.blob_refs.into_inner();
		assert_eq!(refs, vec![remote, PARAMS]);
		assert_eq!((SealedBlobs::get()[&PARAMS], RemoteRefs::get()[&remote]), (1, 1));
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), job));
		assert_eq!(
			(SealedBlobs::get()[&PARAMS], RemoteRefs::get()[&remote]),
			(0, 0),
			"exactly the references taken are dropped"
		);
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
fn a_cancelled_training_job_returns_all_but_the_protocol_fee() {
	build_and_execute(|| {
		SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
		register(10);
		let job = submit_training(1);
		let deposit = BLOB_SIZE + 5;
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), FEE + PROTOCOL_FEE + deposit);
		assert_ok!(MosaicJobs::cancel_job(RuntimeOrigin::signed(ALICE), job));
		// The fees and the result deposit come back; the protocol fee is kept.
		assert!(events().contains(&Event::JobCancelled { job, refunded: FEE + deposit }));
		assert_eq!(Balances::free_balance(ALICE), 100_000 - PROTOCOL_FEE);
		assert_eq!(Balances::balance_on_hold(&escrow(), &ALICE), 0);
		assert_eq!(Pooled::get(), vec![(PROTOCOL_FEE, RewardSource::ProtocolFee)]);
		assert_eq!(SealedBlobs::get()[&PARAMS], 0);
		assert_eq!(SealedBlobs::get()[&DATASET], 0);
		assert!(StoredBlobs::get().is_empty());
	});
}

#[test]
fn a_digest_only_reveal_never_strips_a_training_jobs_parameters() {
	// Whichever reveals first, and whatever the parent hash, the reveal carrying the outputs
	// leads over the digest of the same outputs, so the parameters are stored.
	for (digest_first, parent) in [(true, 1u8), (false, 1), (true, 2), (false, 2)] {
		build_and_execute(|| {
			SealedBlobs::mutate(|b| b.insert(PARAMS, 0));
			register_all(10..=11);
			let job = submit_training(2);
			run_to(2);
			let full = trained(&[1500, -250]);
			let digest = digest_of(&full);
			let (a, b) = if digest_first { (10, 11) } else { (11, 10) };
			assert_ok!(commit_as(a, job, &digest));
			assert_ok!(commit_as(b, job, &full));
			System::set_parent_hash(sp_core::H256::repeat_byte(parent));
			open_and_reveal(job, [(a, &digest), (b, &full)]);
			assert_eq!(status(job), JobStatus::Settled);
			let result = MosaicJobs::job_view(job).unwrap().job.result.unwrap();
			assert_eq!(result.agreeing, 2);
			assert_eq!(result.outcome, full);
			let Outcome::Outputs(revealed) = &full else { unreachable!() };
			let bytes =
				mosaic_primitives::training::parameters_blob(&to_quantized(revealed), 3).unwrap();
			assert_eq!(result.parameters, Some(sp_io::hashing::blake2_256(&bytes)));
			assert_eq!(StoredBlobs::get(), vec![(ALICE, bytes)]);
			// Both agreed: both are paid, nobody is slashed.
			assert_eq!((owed(10), owed(11)), (90, 90));
			assert!(!anyone_slashed());
		});
	}
}
