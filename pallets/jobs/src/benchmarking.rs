//! Benchmarks of the jobs pallet (benchmarks v2).
//!
//! Each takes its most expensive path: a pool of `MaxWorkers` entries to scan, a full
//! assignment queue to search, jobs with the most workers, reveals with the most values and a
//! tolerance (so settlement compares every pair of reveals element-wise), payouts to every
//! worker and the royalty, and training jobs, which settle by storing the agreed parameters
//! as a blob. Model versions and blobs come from [`Config::BenchmarkHelper`].

use super::*;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_system::RawOrigin;
use mosaic_primitives::{digest::ElementType, onnx::InputFormat};

fn assert_last_event<T: Config>(generic_event: Event<T>) {
	let event: <T as Config>::RuntimeEvent = generic_event.into();
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

fn fund<T: Config>(who: &T::AccountId) {
	let amount = T::MinStake::get()
		.saturating_mul(100u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000_000u32.into()));
	let _ = T::Currency::set_balance(who, amount);
}

/// A registered, funded worker with key account `("key", i)`.
fn worker<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("worker", i, 0);
	fund::<T>(&who);
	Pallet::<T>::do_register(&who, account("key", i, 0), T::MinStake::get(), T::MaxCapacity::get())
		.expect("funded workers register");
	who
}

/// Fills the pool with entries for accounts that are not workers, up to `MaxWorkers - keep`:
/// what keeping one worker's entry current scans.
fn crowd_pool<T: Config>(keep: u32) {
	let mut pool = EligibleWorkers::<T>::get();
	let mut i = 0;
	while (pool.len() as u32) < T::MaxWorkers::get().saturating_sub(keep) {
		let _ = pool.try_push((account("crowd", i, 0), T::MinStake::get()));
		i += 1;
	}
	EligibleWorkers::<T>::put(pool);
}

/// Registers spare workers until at least `k` are registered, so a job asking for `k` is
/// accepted.
fn enough_workers<T: Config>(k: u8) {
	let mut i = 0;
	while WorkerCount::<T>::get() < k as u32 {
		let who: T::AccountId = account("spare", i, 0);
		fund::<T>(&who);
		Pallet::<T>::do_register(&who, account("spare key", i, 0), T::MinStake::get(), 1)
			.expect("funded workers register");
		i += 1;
	}
}

fn requester<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("requester", 0, 0);
	fund::<T>(&who);
	who
}

fn inline<T: Config>(bytes: u32) -> JobInputOf<T> {
	let elements = bytes / 4;
	JobInput::Inline(BoundedVec::truncate_from(vec![InlineTensor {
		name: BoundedVec::truncate_from(b"x".to_vec()),
		element_type: ElementType::F32,
		shape: BoundedVec::truncate_from(vec![elements as u64]),
		data: BoundedVec::truncate_from(vec![0u8; (elements * 4) as usize]),
	}]))
}

fn outputs<T: Config>(values: u32, offset: i64) -> OutcomeOf<T> {
	Outcome::Outputs(BoundedVec::truncate_from(vec![OutputTensor {
		name: BoundedVec::truncate_from(b"y".to_vec()),
		element_type: ElementType::F32,
		shape: BoundedVec::truncate_from(vec![values as u64]),
		elements: BoundedVec::truncate_from(
			(0..values as i64).map(|v| v + offset).collect::<Vec<_>>(),
		),
	}]))
}

fn fill_queue<T: Config>(keep: u32) {
	let mut queue = Queue::<T>::get();
	while (queue.len() as u32) < T::MaxQueued::get().saturating_sub(keep) {
		let _ = queue.try_push(JobId::MAX - queue.len() as JobId);
	}
	Queue::<T>::put(queue);
}

/// The costliest kind of job: an aggregation, which references three blobs (its validation
/// set, base parameters and manifest) and stores the agreed parameters at settlement (a
/// training job references two).
fn costliest<T: Config>(who: &T::AccountId) -> (JobKind, JobInputOf<T>) {
	let dataset = T::BenchmarkHelper::sealed_blob(who, 1_000_001);
	let parameters = T::BenchmarkHelper::sealed_blob(who, 1_000_002);
	let manifest = T::BenchmarkHelper::sealed_blob(who, 1_000_003);
	(
		JobKind::Aggregation(AggregationSpec { parameters, manifest }),
		JobInput::Blob { hash: dataset, format: InputFormat::Scale },
	)
}

/// Submits the costliest kind of job ([`costliest`]) with replication `k` on a fresh
/// version; returns its id.
fn submitted<T: Config>(k: u8) -> JobId {
	let owner: T::AccountId = account("owner", 0, 0);
	let (model, version) = T::BenchmarkHelper::runnable_version(&owner);
	let who = requester::<T>();
	let (kind, input) = costliest::<T>(&who);
	let job = NextJobId::<T>::get();
	let now = frame_system::Pallet::<T>::block_number();
	MinReplication::<T>::put(1);
	enough_workers::<T>(k);
	// As the rounds pallet submits it: a signed submission cannot be an aggregation.
	Pallet::<T>::do_submit(
		&who,
		model,
		version,
		kind,
		input,
		k,
		T::MinFeePerWorker::get().saturating_mul(1_000u32.into()),
		now.saturating_add(T::MaxDeadline::get()),
	)
	.expect("a valid job submits");
	job
}

/// A training job's kind and dataset input, with fresh sealed blobs of `who`'s: the costliest
/// kind a signed submission may have (it references two blobs).
fn training<T: Config>(who: &T::AccountId) -> (JobKind, JobInputOf<T>) {
	let dataset = T::BenchmarkHelper::sealed_blob(who, 1_000_001);
	let parameters = T::BenchmarkHelper::sealed_blob(who, 1_000_002);
	(
		JobKind::Training(TrainingSpec { parameters, epochs: 1, batch_size: 1 }),
		JobInput::Blob { hash: dataset, format: InputFormat::Scale },
	)
}

/// A job whose `n` workers (all assigned in attempt 0) are set up directly in storage, in the
/// given status; returns the job and its workers.
fn job_with_workers<T: Config>(n: u32) -> (JobId, Vec<T::AccountId>) {
	let k = n.min(T::MaxReplication::get() as u32) as u8;
	// Registered first: they are the workers the submission needs.
	let workers: Vec<T::AccountId> = (0..n).map(worker::<T>).collect();
	let job = submitted::<T>(k);
	Queue::<T>::kill();
	Pallet::<T>::unschedule_latest_start(job, Jobs::<T>::get(job).expect("submitted").deadline);
	let mut info = Jobs::<T>::get(job).expect("submitted");
	for w in &workers {
		let mut record = Workers::<T>::get(w).expect("registered");
		record.assigned += 1;
		Pallet::<T>::store_worker(w, record);
		Assignments::<T>::insert(w, job, ());
		let _ = info.assignees.try_push(Assignee { worker: w.clone(), attempt: 0 });
	}
	info.status = JobStatus::Committing {
		until: frame_system::Pallet::<T>::block_number().saturating_add(T::CommitPeriod::get()),
	};
	Jobs::<T>::insert(job, &info);
	// Keeping each worker's pool entry current scans a full pool.
	crowd_pool::<T>(0);
	(job, workers)
}

/// Commits every worker to outputs of `values` values, all agreeing within tolerance
/// (alternating offsets of 0 and 1), opens every digest, discloses all but the last, and
/// starts the first attempt's disclosure. Returns the last worker's salt and outcome.
fn revealing<T: Config>(job: JobId, workers: &[T::AccountId], values: u32) -> (Salt, OutcomeOf<T>) {
	let mut info = Jobs::<T>::get(job).expect("exists");
	let precision = T::Models::version(info.model, info.version).expect("exists").precision;
	let mut last = None;
	for (i, w) in workers.iter().enumerate() {
		// An abstention to make up for: agreeing changes every worker's draw weight.
		Abstentions::<T>::insert(w, 1);
		let outcome = outputs::<T>(values, (i % 2) as i64);
		let salt = [i as u8; 32];
		let digest = Pallet::<T>::outcome_digest(&outcome, precision).expect("well formed");
		Commitments::<T>::insert(job, w, commitment(&digest, &salt, w));
		Openings::<T>::insert(job, w, digest);
		if i + 1 < workers.len() {
			Reveals::<T>::insert(job, w, Reveal { digest, outcome });
		} else {
			last = Some((salt, outcome));
		}
	}
	let until = frame_system::Pallet::<T>::block_number().saturating_add(T::RevealPeriod::get());
	info.status = JobStatus::Disclosing { until, attempt: 0 };
	Jobs::<T>::insert(job, info);
	last.expect("at least one worker")
}

/// Commits every worker to a different digest, opens all but the last, and starts the
/// opening phase: its end finds no quorum. Returns the last worker's salt and digest.
fn opening<T: Config>(job: JobId, workers: &[T::AccountId], agree: bool) -> (Salt, Digest) {
	let mut info = Jobs::<T>::get(job).expect("exists");
	let mut last = None;
	for (i, w) in workers.iter().enumerate() {
		let digest = if agree { [0u8; 32] } else { [i as u8; 32] };
		let salt = [i as u8; 32];
		Commitments::<T>::insert(job, w, commitment(&digest, &salt, w));
		if i + 1 < workers.len() {
			Openings::<T>::insert(job, w, digest);
		} else {
			last = Some((salt, digest));
		}
	}
	let until = frame_system::Pallet::<T>::block_number().saturating_add(T::RevealPeriod::get());
	info.status = JobStatus::Opening { until };
	Jobs::<T>::insert(job, info);
	last.expect("at least one worker")
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_worker() {
		crowd_pool::<T>(1);
		let who: T::AccountId = account("new", 0, 0);
		fund::<T>(&who);
		let (key, proof) = T::BenchmarkHelper::worker_key(&who);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			key.clone(),
			T::MinStake::get(),
			T::MaxCapacity::get(),
			proof,
		);
		assert!(Workers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn bond_extra() {
		let who = worker::<T>(0);
		crowd_pool::<T>(0);
		let amount = T::MinStake::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), amount);
		assert_last_event::<T>(Event::StakeBonded { worker: who, amount });
	}

	#[benchmark]
	fn pause() {
		let who = worker::<T>(0);
		crowd_pool::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_last_event::<T>(Event::WorkerPaused { worker: who });
	}

	#[benchmark]
	fn resume() {
		let who = worker::<T>(0);
		crowd_pool::<T>(1);
		Pallet::<T>::pause(RawOrigin::Signed(who.clone()).into()).expect("active");
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_last_event::<T>(Event::WorkerResumed { worker: who });
	}

	#[benchmark]
	fn unbond() {
		let who = worker::<T>(0);
		crowd_pool::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), T::MinStake::get());
		assert_eq!(Workers::<T>::get(&who).map(|w| w.status), Some(WorkerStatus::Leaving));
	}

	#[benchmark]
	fn withdraw_unbonded() {
		let who = worker::<T>(0);
		crowd_pool::<T>(0);
		Pallet::<T>::unbond(RawOrigin::Signed(who.clone()).into(), T::MinStake::get())
			.expect("bonded");
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondDelay::get()),
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_last_event::<T>(Event::WorkerRemoved { worker: who });
	}

	#[benchmark]
	fn submit_job(i: Linear<0, { T::MaxInlineInputBytes::get() }>) {
		let owner: T::AccountId = account("owner", 0, 0);
		let (model, version) = T::BenchmarkHelper::runnable_version(&owner);
		let who = requester::<T>();
		fill_queue::<T>(1);
		let deadline =
			frame_system::Pallet::<T>::block_number().saturating_add(T::MaxDeadline::get());
		let input = inline::<T>(i);
		let k = T::MaxReplication::get();
		enough_workers::<T>(k);
		let fee = Pallet::<T>::least_fee_per_worker(T::MaxOutputValues::get().into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who), model, version, JobKind::Inference, input, k, fee, deadline);
		assert_eq!(Queue::<T>::decode_len(), Some(T::MaxQueued::get() as usize));
	}

	// A training job (signed submissions cannot be aggregations).
	#[benchmark]
	fn submit_training_job() {
		let owner: T::AccountId = account("owner", 0, 0);
		let (model, version) = T::BenchmarkHelper::runnable_version(&owner);
		let who = requester::<T>();
		let (kind, input) = training::<T>(&who);
		fill_queue::<T>(1);
		let deadline =
			frame_system::Pallet::<T>::block_number().saturating_add(T::MaxDeadline::get());
		let k = T::MaxReplication::get();
		enough_workers::<T>(k);
		let fee = Pallet::<T>::least_fee_per_worker(T::MaxOutputValues::get().into());
		#[extrinsic_call]
		submit_job(RawOrigin::Signed(who), model, version, kind, input, k, fee, deadline);
		assert_eq!(Queue::<T>::decode_len(), Some(T::MaxQueued::get() as usize));
	}

	// A re-check of the costliest kind of job, by the owner (who needs the funds).
	#[benchmark]
	fn recheck_version() {
		let owner = requester::<T>();
		let (model, version) = T::BenchmarkHelper::runnable_version(&owner);
		T::Models::mark_invalid(model, version, 3).expect("the version exists");
		FaultedJobs::<T>::insert((model, version), costliest::<T>(&owner));
		fill_queue::<T>(1);
		let deadline =
			frame_system::Pallet::<T>::block_number().saturating_add(T::MaxDeadline::get());
		enough_workers::<T>(MODEL_FAULT_QUORUM as u8);
		let fee = Pallet::<T>::least_fee_per_worker(T::MaxOutputValues::get().into());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, version, fee, deadline);
		assert!(Rechecks::<T>::contains_key((model, version)));
	}

	// A queued job (the only kind that can be cancelled) at the end of a full queue.
	#[benchmark]
	fn cancel_job() {
		let job = submitted::<T>(T::MaxReplication::get());
		Queue::<T>::kill();
		fill_queue::<T>(1);
		Queue::<T>::mutate(|queue| queue.try_push(job).expect("room was kept"));
		let who = Jobs::<T>::get(job).expect("exists").requester;
		#[extrinsic_call]
		_(RawOrigin::Signed(who), job);
		assert_eq!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Cancelled));
	}

	#[benchmark]
	fn commit() {
		let n = T::MaxReplication::get() as u32;
		let (job, workers) = job_with_workers::<T>(n);
		for w in workers.iter().take(n as usize - 1) {
			Commitments::<T>::insert(job, w, [1u8; 32]);
		}
		let key: T::AccountId = account("key", n - 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(key), job, [2u8; 32]);
		let status = Jobs::<T>::get(job).map(|j| j.status);
		assert!(matches!(status, Some(JobStatus::Opening { .. } | JobStatus::Revealing { .. })));
	}

	#[benchmark]
	fn reveal(
		v: Linear<1, { T::MaxOutputValues::get() }>,
		n: Linear<1, { T::MaxAssignees::get() }>,
	) {
		let (job, workers) = job_with_workers::<T>(n);
		let (salt, outcome) = revealing::<T>(job, &workers, v);
		let key: T::AccountId = account("key", n - 1, 0);
		T::BenchmarkHelper::prepare_randomness();
		#[extrinsic_call]
		_(RawOrigin::Signed(key), job, salt, outcome);
		let info = Jobs::<T>::get(job).expect("kept until purged");
		assert_eq!(info.status, JobStatus::Settled);
		assert!(info.result.and_then(|r| r.parameters).is_some(), "the parameters were stored");
	}

	#[benchmark]
	fn set_min_replication() {
		#[extrinsic_call]
		_(RawOrigin::Root, 1);
		assert_last_event::<T>(Event::MinReplicationSet { value: 1 });
	}

	#[benchmark]
	fn on_initialize_base() {
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::process_block(now);
		}
	}

	#[benchmark]
	fn assign(
		w: Linear<1, { T::MaxWorkers::get() }>,
		k: Linear<1, { T::MaxReplication::get() as u32 }>,
	) {
		let job = submitted::<T>(1);
		// Genesis may have registered workers already; fill the pool up to `w`.
		let room = T::MaxWorkers::get().saturating_sub(WorkerCount::<T>::get());
		let workers: Vec<T::AccountId> = (0..w.max(k).min(room)).map(worker::<T>).collect();
		Jobs::<T>::mutate(job, |j| {
			if let Some(j) = j {
				j.replication = k as u8;
			}
		});
		let now = frame_system::Pallet::<T>::block_number().saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(now);
		// The block's randomness is charged on its own (`randomness`).
		#[block]
		{
			Pallet::<T>::process_block(now);
		}
		assert_eq!(Jobs::<T>::get(job).map(|j| j.assignees.len()), Some(k as usize));
		let _ = workers;
	}

	/// Deriving the block's randomness for draws from its author's VRF output.
	#[benchmark]
	fn randomness() {
		T::BenchmarkHelper::prepare_randomness();
		let random;
		#[block]
		{
			random = Pallet::<T>::assignment_randomness();
		}
		assert_ne!(random, T::Hash::default());
	}

	#[benchmark]
	fn expire_queued() {
		let job = submitted::<T>(1);
		fill_queue::<T>(0);
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::handle_deadline(job, DeadlineKind::LatestStart, now, now);
		}
		assert_eq!(
			Jobs::<T>::get(job).map(|j| j.status),
			Some(JobStatus::Failed(FailReason::NoWorkers))
		);
	}

	#[benchmark]
	fn expire_commit(n: Linear<1, { T::MaxAssignees::get() }>) -> Result<(), BenchmarkError> {
		let (job, _) = job_with_workers::<T>(n);
		let JobStatus::Committing { until } = Jobs::<T>::get(job).expect("exists").status else {
			return Err(BenchmarkError::Stop("not committing"));
		};
		frame_system::Pallet::<T>::set_block_number(until);
		#[block]
		{
			Pallet::<T>::handle_deadline(job, DeadlineKind::CommitEnd, until, until);
		}
		// Nobody committed: no quorum, so the job escalates (drawing from the full pool) or fails.
		assert!(
			!matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Committing { until: u }) if u == until)
		);
		Ok(())
	}

	#[benchmark]
	fn expire_reveal(
		v: Linear<1, { T::MaxOutputValues::get() }>,
		n: Linear<1, { T::MaxAssignees::get() }>,
	) -> Result<(), BenchmarkError> {
		let (job, workers) = job_with_workers::<T>(n);
		revealing::<T>(job, &workers, v);
		let JobStatus::Disclosing { until, .. } = Jobs::<T>::get(job).expect("exists").status
		else {
			return Err(BenchmarkError::Stop("not disclosing"));
		};
		frame_system::Pallet::<T>::set_block_number(until);
		T::BenchmarkHelper::prepare_randomness();
		#[block]
		{
			Pallet::<T>::handle_deadline(job, DeadlineKind::RevealEnd, until, until);
		}
		assert!(!matches!(
			Jobs::<T>::get(job).map(|j| j.status),
			Some(JobStatus::Disclosing { .. })
		));
		Ok(())
	}

	#[benchmark]
	fn open(n: Linear<1, { T::MaxAssignees::get() }>) {
		let (job, workers) = job_with_workers::<T>(n);
		// Every digest agrees: the last opening starts the disclosure, the most an opening
		// does itself (without a quorum it leaves the phase's end, which may escalate, to the
		// next block's hooks).
		let (salt, digest) = opening::<T>(job, &workers, true);
		let key: T::AccountId = account("key", n - 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(key), job, salt, Opening::Digest(digest));
		let status = Jobs::<T>::get(job).map(|j| j.status);
		assert!(matches!(status, Some(JobStatus::Disclosing { .. })));
	}

	#[benchmark]
	fn expire_open(n: Linear<1, { T::MaxAssignees::get() }>) -> Result<(), BenchmarkError> {
		let (job, workers) = job_with_workers::<T>(n);
		// No two digests agree: the phase's end escalates (or discloses when it cannot).
		opening::<T>(job, &workers, false);
		let JobStatus::Opening { until } = Jobs::<T>::get(job).expect("exists").status else {
			return Err(BenchmarkError::Stop("not opening"));
		};
		frame_system::Pallet::<T>::set_block_number(until);
		#[block]
		{
			Pallet::<T>::handle_deadline(job, DeadlineKind::OpenEnd, until, until);
		}
		assert!(!matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Opening { .. })));
		Ok(())
	}

	#[benchmark]
	fn purge() {
		let (job, workers) = job_with_workers::<T>(1);
		let (salt, outcome) = revealing::<T>(job, &workers, T::MaxOutputValues::get());
		Pallet::<T>::reveal(RawOrigin::Signed(account("key", 0, 0)).into(), job, salt, outcome)
			.expect("the reveal matches");
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::handle_deadline(job, DeadlineKind::Purge, now, now);
		}
		assert!(Jobs::<T>::get(job).is_none());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
