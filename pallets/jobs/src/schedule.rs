//! The schedule of phase ends, and the work of `on_initialize`.

use super::*;

/// Blocks after its due block a phase end may slip to when that block's schedule is full.
/// Bounds how late a phase can end, and how many blocks unscheduling a job looks at.
pub const SCHEDULE_WINDOW: u32 = 8;

impl<T: Config> Pallet<T> {
	/// Blocks a whole attempt takes: a commit and a reveal phase.
	pub(crate) fn attempt_length() -> BlockNumberFor<T> {
		T::CommitPeriod::get().saturating_add(T::RevealPeriod::get())
	}

	/// Adds a phase end to the schedule at `at`, or the first block after it with room (at
	/// most [`SCHEDULE_WINDOW`] blocks later); returns the block it went in, which is when the
	/// phase ends.
	pub(crate) fn schedule(
		at: BlockNumberFor<T>,
		job: JobId,
		kind: DeadlineKind,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let mut block = at;
		for _ in 0..SCHEDULE_WINDOW {
			if Deadlines::<T>::try_append(block, (job, kind)).is_ok() {
				return Ok(block);
			}
			block = block.saturating_add(1u32.into());
		}
		Err(Error::<T>::ScheduleFull.into())
	}

	/// Removes a job's entry of `kind` at `at` from the schedule (a cancelled job's).
	pub(crate) fn unschedule(at: BlockNumberFor<T>, job: JobId, kind: DeadlineKind) {
		Deadlines::<T>::mutate_exists(at, |entries| {
			if let Some(list) = entries {
				list.retain(|entry| *entry != (job, kind));
				if list.is_empty() {
					*entries = None;
				}
			}
		});
	}

	/// Removes a job's latest-start entry, wherever in its window [`Self::schedule`] put it.
	pub(crate) fn unschedule_latest_start(job: JobId, deadline: BlockNumberFor<T>) {
		let latest_start = deadline.saturating_sub(Self::attempt_length());
		for offset in 0..SCHEDULE_WINDOW {
			Self::unschedule(
				latest_start.saturating_add(offset.into()),
				job,
				DeadlineKind::LatestStart,
			);
		}
	}

	/// The work of `on_initialize`: due phase ends, then the assignment queue.
	pub(crate) fn process_block(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::on_initialize_base();
		// The queue first: a job may still start in its latest start block.
		weight.saturating_accrue(Self::assign_queued(now));
		let due = Deadlines::<T>::take(now);
		for (job, kind) in due {
			weight.saturating_accrue(Self::handle_deadline(job, kind, now));
		}
		weight
	}

	pub(crate) fn handle_deadline(
		job: JobId,
		kind: DeadlineKind,
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
			(DeadlineKind::CommitEnd, JobStatus::Committing { until }) if until == now => {
				Self::end_commit_phase(job, &mut info, now);
				Self::store_or_finish(job, info);
				Self::commit_end_weight()
			},
			(DeadlineKind::RevealEnd, JobStatus::Revealing { until }) if until == now => {
				Self::settle(job, &mut info, now);
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
