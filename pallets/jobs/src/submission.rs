//! Submission: checking a job against its model version and holding its escrow.

use super::*;

impl<T: Config> Pallet<T> {
	/// Submits a job for `who` (see [`Pallet::submit_job`]); returns its id. The caller has
	/// checked that the version may run it: it is runnable, or the job is its re-check.
	#[allow(clippy::too_many_arguments)]
	pub(crate) fn do_submit(
		who: &T::AccountId,
		model: ModelId,
		version: VersionNumber,
		kind: JobKind,
		input: JobInputOf<T>,
		replication: u8,
		fee_per_worker: BalanceOf<T>,
		deadline: BlockNumberFor<T>,
	) -> Result<JobId, DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let view = T::Models::version(model, version).ok_or(Error::<T>::VersionNotRunnable)?;
		ensure!(
			replication >= MinReplication::<T>::get() && replication <= T::MaxReplication::get(),
			Error::<T>::BadReplication
		);
		let latest_start =
			deadline.checked_sub(&Self::attempt_length(0)).ok_or(Error::<T>::BadDeadline)?;
		ensure!(
			latest_start > now && deadline <= now.saturating_add(T::MaxDeadline::get()),
			Error::<T>::BadDeadline
		);
		let sizes = match (&input, kind) {
			(JobInput::Blob { hash, .. }, _) => {
				ensure!(Self::is_usable(hash), Error::<T>::InputBlobUnavailable);
				Vec::new()
			},
			(JobInput::Inline(_), JobKind::Training(_) | JobKind::Aggregation(_)) => {
				return Err(Error::<T>::TrainingNeedsDatasetBlob.into())
			},
			(JobInput::Inline(tensors), JobKind::Inference) => {
				Self::check_inline(tensors, &view.inputs)?
			},
		};
		let values = Self::declared_output_values(&kind, &view.outputs, &sizes)
			.unwrap_or(u64::MAX)
			.min(T::MaxOutputValues::get() as u64);
		ensure!(fee_per_worker >= Self::least_fee_per_worker(values), Error::<T>::FeeTooLow);
		if let JobKind::Aggregation(spec) = kind {
			ensure!(T::Blobs::is_sealed(&spec.manifest), Error::<T>::ManifestBlobUnavailable);
		}
		let (result_deposit, held) = Self::escrow_for(kind, replication, fee_per_worker)?;
		// A job that asks for more workers than are registered (the requester never runs its
		// own job) could never be assigned and would only hold a queue slot.
		let others = WorkerCount::<T>::get().saturating_sub(Workers::<T>::contains_key(who) as u32);
		ensure!(replication as u32 <= others, Error::<T>::NotEnoughWorkers);

		let job_id = NextJobId::<T>::get();
		Queue::<T>::try_append(job_id).map_err(|_| Error::<T>::QueueFull)?;
		T::Currency::hold(&HoldReason::JobEscrow.into(), who, held)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		// The blobs are referenced while the job is open: none can be removed, and a remote
		// registration cannot be replaced by another URI, so every worker fetches what the
		// requester named (bytes that are uploaded meanwhile take the reference over).
		let mut blob_refs = BlobRefs::default();
		let [parameters, manifest] = kind.blobs();
		for hash in [input.blob(), parameters, manifest].into_iter().flatten() {
			if Self::is_usable(&hash) && !blob_refs.contains(&hash) {
				T::Blobs::add_ref(&hash)?;
				blob_refs.try_push(hash).map_err(|_| Error::<T>::BadValue)?;
			}
		}
		Self::schedule(latest_start, job_id, DeadlineKind::LatestStart);
		NextJobId::<T>::put(job_id.saturating_add(1));
		OpenJobs::<T>::mutate(model, |n| *n = n.saturating_add(1));
		Jobs::<T>::insert(
			job_id,
			JobInfo {
				requester: who.clone(),
				model,
				version,
				kind,
				input,
				replication,
				fee_per_worker,
				protocol_fee: T::ProtocolFee::get(),
				result_deposit,
				blob_refs,
				held,
				deadline,
				submitted_at: now,
				status: JobStatus::Queued,
				attempt: 0,
				assignees: Default::default(),
				result: None,
			},
		);
		Self::deposit_event(Event::JobSubmitted {
			job: job_id,
			requester: who.clone(),
			model,
			version,
			replication,
			held,
		});
		Ok(job_id)
	}

	/// What a job of `kind` with `replication` workers at `fee_per_worker` holds from its
	/// requester (the fees, the protocol fee and the result's blob deposit), with that
	/// deposit; checks the kind's spec, the least fee of a result of parameters, and parameter
	/// blob (not an aggregation's manifest,
	/// which a round stores only when it submits).
	pub(crate) fn escrow_for(
		kind: JobKind,
		replication: u8,
		fee_per_worker: BalanceOf<T>,
	) -> Result<(BalanceOf<T>, BalanceOf<T>), DispatchError> {
		let result_deposit = match kind {
			JobKind::Training(spec) => {
				ensure!(
					spec.epochs >= 1
						&& spec.epochs <= T::MaxTrainingEpochs::get()
						&& spec.batch_size >= 1,
					Error::<T>::BadTrainingSpec
				);
				Self::parameters_deposit(&spec.parameters)?
			},
			JobKind::Aggregation(spec) => Self::parameters_deposit(&spec.parameters)?,
			JobKind::Inference => Zero::zero(),
		};
		// A result of parameters may fill a reveal: rounds learn this when they are created.
		if kind.yields_parameters() {
			let most = T::MaxOutputValues::get() as u64;
			ensure!(fee_per_worker >= Self::least_fee_per_worker(most), Error::<T>::FeeTooLow);
		}
		let fees = fee_per_worker
			.checked_mul(&BalanceOf::<T>::from(replication as u32))
			.ok_or(Error::<T>::BadValue)?;
		let held = fees
			.checked_add(&T::ProtocolFee::get())
			.and_then(|h| h.checked_add(&result_deposit))
			.ok_or(Error::<T>::BadValue)?;

		Ok((result_deposit, held))
	}

	/// The blob deposit a result the size of parameter blob `hash` takes; the blob must be
	/// usable.
	pub(crate) fn parameters_deposit(hash: &BlobHash) -> Result<BalanceOf<T>, DispatchError> {
		ensure!(Self::is_usable(hash), Error::<T>::ParametersBlobUnavailable);
		let size = T::Blobs::size(hash).unwrap_or_default();
		Ok(<T::Blobs as BlobStore<_, _>>::deposit_for(size))
	}

	/// The least fee per worker of a job whose reveal may carry `values` output values: the
	/// greater of `MinFeePerWorker` and `RevealFeePerValue` for each value, so that the free
	/// commit and reveal never cost the chain more than the job paid.
	pub fn least_fee_per_worker(values: u64) -> BalanceOf<T> {
		let values: u32 = values.min(u32::MAX as u64) as u32;
		T::MinFeePerWorker::get().max(T::RevealFeePerValue::get().saturating_mul(values.into()))
	}

	/// How many output values an inference's outputs declare, with symbolic dimensions sized
	/// by `sizes` (what the inline inputs bound them to); `None` if a dimension is unbound,
	/// or for a training or aggregation job (its result is parameters, not the declared
	/// outputs).
	pub(crate) fn declared_output_values<N, R, M>(
		kind: &JobKind,
		outputs: &mosaic_primitives::model::Tensors<N, R, M>,
		sizes: &[(Vec<u8>, u64)],
	) -> Option<u64>
	where
		N: Get<u32>,
	{
		if !matches!(kind, JobKind::Inference) {
			return None;
		}
		let mut total: u64 = 0;
		for tensor in outputs.iter() {
			let mut values: u64 = 1;
			for dim in tensor.shape.iter() {
				let size = match dim {
					Dim::Fixed(size) => *size,
					Dim::Symbolic(name) => {
						sizes.iter().find(|(n, _)| n.as_slice() == name.as_slice())?.1
					},
				};
				values = values.saturating_mul(size);
			}
			total = total.saturating_add(values);
		}
		Some(total)
	}

	/// Checks inline inputs against the version's input schema; returns the size each
	/// symbolic dimension took.
	pub(crate) fn check_inline<N, R, M>(
		tensors: &InlineInputOf<T>,
		schema: &mosaic_primitives::model::Tensors<N, R, M>,
	) -> Result<Vec<(Vec<u8>, u64)>, DispatchError> {
		let total: u64 = tensors.iter().map(|t| t.data.len() as u64).sum();
		ensure!(total <= T::MaxInlineInputBytes::get() as u64, Error::<T>::InputTooLarge);
		ensure!(tensors.len() == schema.len(), Error::<T>::MissingInput);
		let mut symbols: Vec<(&[u8], u64)> = Vec::new();
		for (i, tensor) in tensors.iter().enumerate() {
			ensure!(
				!tensors.iter().take(i).any(|other| other.name == tensor.name),
				Error::<T>::UnknownInput
			);
			let declared = schema
				.iter()
				.find(|s| s.name.as_slice() == tensor.name.as_slice())
				.ok_or(Error::<T>::UnknownInput)?;
			ensure!(declared.element_type == tensor.element_type, Error::<T>::InputTypeMismatch);
			ensure!(declared.shape.len() == tensor.shape.len(), Error::<T>::InputShapeMismatch);
			for (dim, size) in declared.shape.iter().zip(tensor.shape.iter()) {
				match dim {
					Dim::Fixed(fixed) => ensure!(fixed == size, Error::<T>::InputShapeMismatch),
					Dim::Symbolic(name) => {
						match symbols.iter().find(|(n, _)| *n == name.as_slice()) {
							Some((_, bound)) => {
								ensure!(bound == size, Error::<T>::InputShapeMismatch)
							},
							None => symbols.push((name.as_slice(), *size)),
						}
					},
				}
			}
			let elements = tensor
				.shape
				.iter()
				.try_fold(1u64, |acc, d| acc.checked_mul(*d))
				.ok_or(Error::<T>::InputDataLength)?;
			let bytes = elements
				.checked_mul(tensor.element_type.size() as u64)
				.ok_or(Error::<T>::InputDataLength)?;
			ensure!(bytes == tensor.data.len() as u64, Error::<T>::InputDataLength);
		}
		Ok(symbols.into_iter().map(|(name, size)| (name.to_vec(), size)).collect())
	}

	/// Whether a job's outputs surely fit a reveal: an inference whose declared outputs have
	/// fixed shapes, or symbolic ones that its inline input sizes (`sizes`, see
	/// [`Self::inline_sizes`]), with at most `MaxOutputValues` values in all.
	pub(crate) fn outputs_fit_a_reveal<N, R, M>(
		kind: &JobKind,
		outputs: &mosaic_primitives::model::Tensors<N, R, M>,
		sizes: &[(Vec<u8>, u64)],
	) -> bool
	where
		N: Get<u32>,
	{
		Self::declared_output_values(kind, outputs, sizes)
			.is_some_and(|values| values <= T::MaxOutputValues::get() as u64)
	}

	/// The sizes a job's inline input gives the version's symbolic dimensions (none for a
	/// blob input).
	pub(crate) fn inline_sizes<N, R, M>(
		input: &JobInputOf<T>,
		schema: &mosaic_primitives::model::Tensors<N, R, M>,
	) -> Vec<(Vec<u8>, u64)>
	where
		N: Get<u32>,
	{
		match input {
			JobInput::Inline(tensors) => Self::check_inline(tensors, schema).unwrap_or_default(),
			JobInput::Blob { .. } => Vec::new(),
		}
	}

	/// Whether a job may name blob `hash`: sealed, or remote (fetched and checked by the
	/// workers that need it).
	pub(crate) fn is_usable(hash: &BlobHash) -> bool {
		T::Blobs::blob(hash).is_some_and(|b| matches!(b.kind, BlobKind::Sealed | BlobKind::Remote))
	}
}
