//! Jobs submitted for a federated round: the observer, no cancelling, aggregation results.

use super::*;

const MANIFEST: BlobHash = [0xaa; 32];

#[test]
fn jobs_submitted_for_a_round_report_their_end_and_cannot_be_cancelled() {
	use mosaic_primitives::rounds::{JobEnd, RoundJob, RoundJobs};
	build_and_execute(|| {
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
		open_and_reveal(job, (10..=11).map(|w| (w, &out)));
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
				JobEnd::Settled {
					parameters: Some(blob),
					verdicts: vec![true, false, true],
					rows: None
				}
			)]
		);
		assert_eq!(SealedBlobs::get()[&MANIFEST], 0, "the manifest reference is dropped");

		// A training job that finds no workers ends as failed for the observer too: five
		// workers are registered, but all paused.
		register_all(12..=14);
		for w in 10..=14 {
			assert_ok!(MosaicJobs::pause(RuntimeOrigin::signed(w)));
		}
		let training =
			RoundJob::Training { dataset: DATASET, parameters: PARAMS, epochs: 1, batch_size: 4 };
		let job =
			<MosaicJobs as RoundJobs<_, _, _>>::submit(&ALICE, 0, 1, training, 5, 100, 20).unwrap();
		run_to(20);
		assert!(matches!(status(job), JobStatus::Failed(FailReason::NoWorkers)));
		assert_eq!(OBSERVED.with(|o| o.borrow().1.last().cloned()), Some((job, JobEnd::Failed)));
	});
}
