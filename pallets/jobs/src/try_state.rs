//! The pallet's invariants, checked by `try_state` and after every unit test.

use super::*;
use alloc::collections::{BTreeMap, BTreeSet};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants:
	/// - escrow: what is held from each account for [`HoldReason::JobEscrow`] is the sum of
	///   `held` over its open jobs; finished jobs hold nothing;
	/// - stake: what is held from each worker for [`HoldReason::WorkerStake`] is its stake plus
	///   unbonding;
	/// - workers: [`WorkerCount`] counts [`Workers`], each worker's key maps back to it,
	///   [`EligibleWorkers`] lists exactly the eligible workers with their stake, and each
	///   worker's `assigned` counts its [`Assignments`];
	/// - jobs: [`OpenJobs`] counts the open jobs per model, the [`Queue`] holds distinct queued
	///   jobs, and commitments, openings and reveals belong to open jobs' assignees, each
	///   opening and reveal after a commitment; open re-checks name open jobs of their version;
	/// - schedule: every job has exactly one entry in [`Deadlines`], for what its state waits
	///   for (latest start, commit end, open end, reveal end, or purge once finished), at its
	///   block, and
	///   nothing is left before the [`DeadlineCursor`].
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		Self::check_escrows()?;
		Self::check_workers()?;
		Self::check_jobs()
	}

	fn check_escrows() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (_, info) in Jobs::<T>::iter() {
			if !info.status.is_finished() {
				let total = escrow.entry(info.requester.clone()).or_insert_with(Zero::zero);
				*total = total.saturating_add(info.held);
			}
		}
		let reason = HoldReason::JobEscrow.into();
		for (who, total) in &escrow {
			ensure!(
				T::Currency::balance_on_hold(&reason, who) == *total,
				"an account's escrow hold differs from its open jobs' escrows"
			);
		}
		for (_, info) in Jobs::<T>::iter() {
			if !escrow.contains_key(&info.requester) {
				ensure!(
					T::Currency::balance_on_hold(&reason, &info.requester).is_zero(),
					"an account without open jobs has an escrow hold"
				);
			}
		}
		Ok(())
	}

	fn check_workers() -> Result<(), sp_runtime::TryRuntimeError> {
		let reason = HoldReason::WorkerStake.into();
		let mut count = 0u32;
		let mut eligible = BTreeMap::new();
		for (who, info) in Workers::<T>::iter() {
			count += 1;
			ensure!(
				T::Currency::balance_on_hold(&reason, &who) == info.held(),
				"a worker's stake hold differs from its stake and unbonding"
			);
			ensure!(
				WorkerKeys::<T>::get(&info.key).as_ref() == Some(&who),
				"a worker's key does not map back to it"
			);
			ensure!(
				Assignments::<T>::iter_prefix(&who).count() as u32 == info.assigned,
				"a worker's assigned count differs from its assignments"
			);
			if Self::eligible(&info) {
				eligible.insert(who.clone(), Self::draw_weight(&who, info.stake));
			}
		}
		ensure!(WorkerCount::<T>::get() == count, "WorkerCount differs from the workers");
		ensure!(WorkerKeys::<T>::iter().count() as u32 == count, "a key maps to no worker");
		let listed = EligibleWorkers::<T>::get();
		ensure!(
			listed.len() == eligible.len(),
			"EligibleWorkers differs from the eligible workers"
		);
		for (who, stake) in listed.iter() {
			ensure!(
				eligible.get(who) == Some(stake),
				"EligibleWorkers lists a worker that is not eligible, or a stale weight"
			);
		}
		for (who, n) in Abstentions::<T>::iter() {
			ensure!(n > 0, "a zero abstention count is stored");
			ensure!(Workers::<T>::contains_key(&who), "abstentions of a worker that left");
		}
		Ok(())
	}

	fn check_jobs() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut open: BTreeMap<ModelId, u32> = BTreeMap::new();
		for (_, info) in Jobs::<T>::iter() {
			if !info.status.is_finished() {
				*open.entry(info.model).or_default() += 1;
			}
		}
		for (model, n) in OpenJobs::<T>::iter() {
			ensure!(open.remove(&model) == Some(n), "OpenJobs differs from the open jobs");
		}
		ensure!(open.is_empty(), "a model with open jobs is missing from OpenJobs");

		let queue = Queue::<T>::get();
		let distinct: BTreeSet<_> = queue.iter().collect();
		ensure!(distinct.len() == queue.len(), "a job is queued twice");
		for job in queue.iter() {
			ensure!(
				Jobs::<T>::get(job).is_some_and(|info| info.status == JobStatus::Queued),
				"the queue holds a job that is not queued"
			);
		}

		for (job, worker, _) in Commitments::<T>::iter() {
			let info = Jobs::<T>::get(job).ok_or("a commitment of an unknown job")?;
			ensure!(!info.status.is_finished(), "a commitment of a finished job");
			ensure!(
				info.assignees.iter().any(|a| a.worker == worker),
				"a commitment by a worker not assigned to the job"
			);
		}
		for (job, worker, _) in Reveals::<T>::iter() {
			ensure!(Commitments::<T>::contains_key(job, &worker), "a reveal without a commitment");
		}
		for ((model, version), job) in Rechecks::<T>::iter() {
			let info = Jobs::<T>::get(job).ok_or("a re-check of an unknown job")?;
			ensure!(
				!info.status.is_finished() && (info.model, info.version) == (model, version),
				"a re-check entry of a finished job, or of another version"
			);
		}
		for (job, worker, _) in Openings::<T>::iter() {
			ensure!(
				Commitments::<T>::contains_key(job, &worker),
				"an opening without a commitment"
			);
		}

		// Every job has exactly the phase end its state waits for (and a finished one its
		// purge), and nothing is due before the cursor.
		let cursor = DeadlineCursor::<T>::get();
		let mut scheduled: BTreeMap<JobId, Vec<(BlockNumberFor<T>, DeadlineKind)>> =
			BTreeMap::new();
		for (block, (job, kind), ()) in Deadlines::<T>::iter() {
			ensure!(block >= cursor, "a phase end before the cursor was never handled");
			scheduled.entry(job).or_default().push((block, kind));
		}
		for (job, info) in Jobs::<T>::iter() {
			let entries = scheduled.remove(&job).unwrap_or_default();
			let expected = match info.status {
				JobStatus::Queued => DeadlineKind::LatestStart,
				JobStatus::Committing { .. } => DeadlineKind::CommitEnd,
				JobStatus::Revealing { .. } | JobStatus::Disclosing { .. } => {
					DeadlineKind::RevealEnd
				},
				JobStatus::Opening { .. } => DeadlineKind::OpenEnd,
				_ => DeadlineKind::Purge,
			};
			ensure!(
				entries.len() == 1 && entries[0].1 == expected,
				"a job lacks its phase end, or has stale ones"
			);
			let due = match info.status {
				JobStatus::Committing { until }
				| JobStatus::Revealing { until }
				| JobStatus::Opening { until }
				| JobStatus::Disclosing { until, .. } => Some(until),
				JobStatus::Queued => Some(info.deadline.saturating_sub(Self::attempt_length(0))),
				_ => None,
			};
			ensure!(due.is_none_or(|b| b == entries[0].0), "a phase end at the wrong block");
		}
		ensure!(scheduled.is_empty(), "a phase end of a purged job");
		Ok(())
	}
}
