//! The schedule of phase ends, and the work of `on_initialize`.
//!
//! Every phase end goes into [`Deadlines`] at the block it is due, with no bound per block:
//! each entry belongs to a job whose escrow pays for it, so crowding a block costs what the
//! jobs cost. `on_initialize` handles at most [`Config::MaxDeadlinesPerBlock`] entries a
//! block, oldest block first, from [`DeadlineCursor`]. When more are due, the rest wait for
//! the next block: a phase may end late (its workers get longer), never early, so a crowded
//! schedule can neither settle a job before its workers revealed nor slash them for it.

use super::*;

impl<T: Config> Pallet<T> {
	/// Blocks attempt `attempt` (0 first) takes to the job's end at most: a commit phase, an
	/// opening, and a disclosure for it and each attempt before it (each as long as a reveal
	/// phase).
	pub(crate) fn attempt_length(attempt: u8) -> BlockNumberFor<T> {
		let reveals = BlockNumberFor::<T>::from(u32::from(attempt) + 2);
		T::CommitPeriod::get().saturating_add(T::RevealPeriod::get().saturating_mul(reveals))
	}

	/// Schedules a phase end of `kind` for `job` at block `at`.
	pub(crate) fn schedule(at: BlockNumberFor<T>, job: JobId, kind: DeadlineKind) {
		Deadlines::<T>::insert(at, (job, kind), ());
	}

	/// Removes a job's phase end of `kind` at `at`, if it is still there.
	pub(crate) fn unschedule(at: BlockNumberFor<T>, job: JobId, kind: DeadlineKind) {
		Deadlines::<T>::remove(at, (job, kind));
	}

	/// Removes a job's latest-start entry (once it is assigned or cancelled).
	pub(crate) fn unschedule_latest_start(job: JobId, deadline: BlockNumberFor<T>) {
		Self::unschedule(
			deadline.saturating_sub(Self::attempt_length(0)),
			job,
			DeadlineKind::LatestStart,
		);
	}

	/// The work of `on_initialize`: the assignment queue, then the due phase ends, oldest
	/// first, at most `MaxDeadlinesPerBlock` of them.
	pub(crate) fn process_block(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::on_initialize_base();
		// The queue first: a job may still start in its latest start block.
		weight.saturating_accrue(Self::assign_queued(now));
		let mut budget = T::MaxDeadlinesPerBlock::get();
		let mut block = DeadlineCursor::<T>::get();
		// Empty blocks between the cursor and now cost a read each; a lag only builds up
		// behind full blocks, so this bound is never what stops the loop on a live chain.
		let mut scans = T::MaxDeadlinesPerBlock::get();
		while block <= now && budget > 0 && scans > 0 {
			scans -= 1;
			weight.saturating_accrue(T::DbWeight::get().reads(1));
			let due: Vec<(JobId, DeadlineKind)> =
				Deadlines::<T>::iter_key_prefix(block).take(budget as usize).collect();
			for (job, kind) in due {
				budget -= 1;
				Deadlines::<T>::remove(block, (job, kind));
				weight.saturating_accrue(Self::handle_deadline(job, kind, block, now));
			}
			if Deadlines::<T>::iter_key_prefix(block).next().is_some() {
				break;
			}
			block = block.saturating_add(One::one());
		}
		DeadlineCursor::<T>::put(block);
		weight
	}

	/// Handles `job`'s phase end of `kind`, due at block `due`, in block `now` (`due` or
	/// later).
	pub(crate) fn handle_deadline(
		job: JobId,
		kind: DeadlineKind,
		due: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) -> Weight {
		let Some(mut info) = Jobs::<T>::get(job) else {
			return T::WeightInfo::on_initialize_base();
		};
		match (kind, info.status) {
			(DeadlineKind::LatestStart, JobStatus::Queued) => {
				Queue::<T>::mutate(|queue| queue.retain(|id| *id != job));
				Self::fail(job, &mut info, FailReason::NoWorkers, false);
				Self::store_or_finish(job, info);
				Self::expire_queued_weight()
			},
			(DeadlineKind::CommitEnd, JobStatus::Committing { until }) if until == due => {
				Self::end_commit_phase(job, &mut info, now);
				Self::store_or_finish(job, info);
				Self::commit_end_weight()
			},
			(DeadlineKind::RevealEnd, JobStatus::Revealing { until }) if until == due => {
				Self::settle(job, &mut info, now);
				Self::store_or_finish(job, info);
				Self::reveal_end_weight()
			},
			(DeadlineKind::OpenEnd, JobStatus::Opening { until }) if until == due => {
				Self::end_opening(job, &mut info, now);
				Self::store_or_finish(job, info);
				Self::open_end_weight()
			},
			(DeadlineKind::RevealEnd, JobStatus::Disclosing { until, attempt }) if until == due => {
				Self::end_disclosure(job, &mut info, attempt, now);
				Self::store_or_finish(job, info);
				Self::reveal_end_weight()
			},
			(DeadlineKind::Purge, status) if status.is_finished() => {
				Jobs::<T>::remove(job);
				Self::deposit_event(Event::JobPurged { job });
				T::WeightInfo::purge()
			},
			// Stale: the job moved on before this phase end.
			_ => T::WeightInfo::on_initialize_base(),
		}
	}
}
