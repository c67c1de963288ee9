//! What other pallets and the runtime API see of jobs: views, [`RoundJobs`], [`ModelUsage`].

use super::*;

impl<T: Config> Pallet<T> {
	/// A job with its commitments and reveals, for the runtime API.
	pub fn job_view(job: JobId) -> Option<JobViewOf<T>> {
		let info = Jobs::<T>::get(job)?;
		Some(JobView {
			job: info,
			commitments: Commitments::<T>::iter_prefix(job).collect(),
			reveals: Reveals::<T>::iter_prefix(job).collect(),
		})
	}

	/// The jobs a worker holds, for the runtime API.
	pub fn worker_jobs(worker: &T::AccountId) -> Vec<JobId> {
		Assignments::<T>::iter_key_prefix(worker).collect()
	}
}

impl<T: Config> RoundJobs<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> for Pallet<T> {
	fn submit(
		requester: &T::AccountId,
		model: ModelId,
		version: VersionNumber,
		job: RoundJob,
		replication: u8,
		fee_per_worker: BalanceOf<T>,
		deadline: BlockNumberFor<T>,
	) -> Result<JobId, DispatchError> {
		// A round's jobs run on its base even after its owner deprecated it (the round opened
		// while it was active, and the owner must not be able to stop it), but not on a model
		// found at fault.
		let usable = T::Models::version(model, version).is_some_and(|view| {
			!matches!(view.status, mosaic_primitives::model::VersionStatus::Invalid { .. })
		});
		ensure!(usable, Error::<T>::VersionNotRunnable);
		let (kind, dataset) = round_job_kind(job);
		let input =
			JobInput::Blob { hash: dataset, format: mosaic_primitives::onnx::InputFormat::Scale };
		Self::do_submit(
			requester,
			model,
			version,
			kind,
			input,
			replication,
			fee_per_worker,
			deadline,
		)
	}

	fn escrow(
		job: RoundJob,
		replication: u8,
		fee_per_worker: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		Self::escrow_for(round_job_kind(job).0, replication, fee_per_worker).map(|(_, held)| held)
	}

	/// A whole first attempt must fit before the deadline, with a block to start it in.
	fn job_periods() -> (BlockNumberFor<T>, BlockNumberFor<T>) {
		(Self::attempt_length(0).saturating_add(One::one()), T::MaxDeadline::get())
	}

	fn max_result_values() -> u32 {
		T::MaxOutputValues::get()
	}
}

/// A round's job as a job kind, with its dataset blob (the validation set, for aggregation).
fn round_job_kind(job: RoundJob) -> (JobKind, BlobHash) {
	match job {
		RoundJob::Training { dataset, parameters, epochs, batch_size } => {
			(JobKind::Training(TrainingSpec { parameters, epochs, batch_size }), dataset)
		},
		RoundJob::Aggregation { parameters, manifest, validation } => {
			(JobKind::Aggregation(AggregationSpec { parameters, manifest }), validation)
		},
	}
}

impl<T: Config> ModelUsage for Pallet<T> {
	fn open_jobs(model: ModelId) -> u32 {
		OpenJobs::<T>::get(model)
	}
}

impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
	type Public = mosaic_primitives::worker::Public;
}
