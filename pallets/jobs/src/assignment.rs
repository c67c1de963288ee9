//! Assignment: drawing a job's workers by stake from the eligible workers.

use super::*;

impl<T: Config> Pallet<T> {
	/// Assigns workers to queued jobs, oldest first, looking at most at `MaxAssignPerBlock`.
	pub(crate) fn assign_queued(now: BlockNumberFor<T>) -> Weight {
		let mut weight = Weight::zero();
		if Queue::<T>::decode_len().unwrap_or(0) == 0 {
			return weight;
		}
		let pool_size = EligibleWorkers::<T>::decode_len().unwrap_or(0) as u32;
		let per_job = T::WeightInfo::assign(pool_size, T::MaxReplication::get().into());
		let mut queue = Queue::<T>::get();
		let mut waiting = Vec::new();
		let mut looked = 0;
		while looked < T::MaxAssignPerBlock::get() && !queue.is_empty() {
			looked += 1;
			let job = queue.remove(0);
			weight.saturating_accrue(per_job);
			let Some(mut info) = Jobs::<T>::get(job) else { continue };
			if info.status != JobStatus::Queued {
				continue;
			}
			if now.saturating_add(Self::attempt_length(0)) > info.deadline {
				Self::unschedule_latest_start(job, info.deadline);
				Self::fail(job, &mut info, FailReason::NoWorkers, false);
				Self::store_or_finish(job, info);
				continue;
			}
			let replication = info.replication;
			if Self::assign_attempt(job, &mut info, replication, now) {
				Jobs::<T>::insert(job, info);
			} else {
				waiting.push(job);
			}
		}
		for job in waiting {
			// Room is certain: these were just taken out.
			let _ = queue.try_push(job);
		}
		if looked > 0 {
			Queue::<T>::put(queue);
		}
		weight
	}

	/// Draws `count` eligible workers for `job`'s next attempt, by stake, never the requester
	/// nor a worker already on the job. Nothing changes if there are not enough.
	pub(crate) fn assign_attempt(
		job: JobId,
		info: &mut JobInfoOf<T>,
		count: u8,
		now: BlockNumberFor<T>,
	) -> bool {
		let attempt = if info.assignees.is_empty() { 0 } else { info.attempt.saturating_add(1) };
		let candidates: Vec<(T::AccountId, u128)> = EligibleWorkers::<T>::get()
			.into_iter()
			.filter(|(w, _)| *w != info.requester && !info.assignees.iter().any(|a| a.worker == *w))
			.map(|(w, stake)| (w, stake.unique_saturated_into()))
			.collect();
		if candidates.len() < count as usize
			|| info.assignees.len() + count as usize > T::MaxAssignees::get() as usize
		{
			return false;
		}
		let seed = (frame_system::Pallet::<T>::parent_hash(), job, attempt)
			.using_encoded(sp_io::hashing::blake2_256);
		let chosen = draw_by_stake(candidates, count, &seed);

		let until = now.saturating_add(T::CommitPeriod::get());
		Self::schedule(until, job, DeadlineKind::CommitEnd);
		if attempt == 0 {
			Self::unschedule_latest_start(job, info.deadline);
		}
		for worker in &chosen {
			if let Some(mut w) = Workers::<T>::get(worker) {
				w.assigned = w.assigned.saturating_add(1);
				Self::store_worker(worker, w);
			}
			Assignments::<T>::insert(worker, job, ());
			// Room was checked above.
			let _ = info.assignees.try_push(Assignee { worker: worker.clone(), attempt });
		}
		info.attempt = attempt;
		info.status = JobStatus::Committing { until };
		Self::deposit_event(Event::JobAssigned {
			job,
			attempt,
			workers: chosen,
			commit_until: until,
		});
		true
	}
}

/// Draws `count` distinct candidates, each pick with probability proportional to its weight
/// among those not yet drawn, from `seed`. Pick `i` takes a point in `0..total` from
/// `blake2_256(seed, i)` and walks the candidates in order. Fewer candidates than `count`
/// yield them all; zero weights are drawn only when nothing else is left.
pub fn draw_by_stake<A>(mut candidates: Vec<(A, u128)>, count: u8, seed: &[u8; 32]) -> Vec<A> {
	let mut chosen = Vec::with_capacity(count as usize);
	for pick in 0..count {
		if candidates.is_empty() {
			break;
		}
		let total: u128 = candidates.iter().fold(0u128, |acc, (_, s)| acc.saturating_add(*s));
		let draw = (seed, pick).using_encoded(sp_io::hashing::blake2_256);
		let mut point =
			u128::from_le_bytes(draw[..16].try_into().unwrap_or_default()) % total.max(1);
		let mut index = candidates.len() - 1;
		for (i, (_, stake)) in candidates.iter().enumerate() {
			if point < *stake {
				index = i;
				break;
			}
			point -= *stake;
		}
		chosen.push(candidates.swap_remove(index).0);
	}
	chosen
}
