//! Assignment: drawing a job's workers by stake from the eligible workers.

use super::*;
use frame_support::traits::Randomness as _;
use sp_core::U256;

impl<T: Config> Pallet<T> {
	/// Assigns workers to queued jobs, oldest first, looking at most at `MaxAssignPerBlock`.
	pub(crate) fn assign_queued(now: BlockNumberFor<T>) -> Weight {
		let mut weight = Weight::zero();
		if Queue::<T>::decode_len().unwrap_or(0) == 0 {
			return weight;
		}
		let pool_size = EligibleWorkers::<T>::decode_len().unwrap_or(0) as u32;
		let per_job = T::WeightInfo::assign(pool_size, T::MaxReplication::get().into());
		// One value for every draw of the block: the randomness is the block's.
		let random = Self::assignment_randomness();
		weight.saturating_accrue(T::WeightInfo::randomness());
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
			if Self::assign_attempt(job, &mut info, replication, now, random) {
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

	/// This block's randomness for draws ([`ASSIGNMENT_SUBJECT`]).
	pub(crate) fn assignment_randomness() -> T::Hash {
		T::Randomness::random(ASSIGNMENT_SUBJECT).0
	}

	/// Draws `count` eligible workers for `job`'s next attempt, by stake, never the requester
	/// nor a worker already on the job, from this block's `random`ness. Nothing changes if
	/// there are not enough.
	pub(crate) fn assign_attempt(
		job: JobId,
		info: &mut JobInfoOf<T>,
		count: u8,
		now: BlockNumberFor<T>,
		random: T::Hash,
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
		let seed = (random, draw_key::<T>(info), attempt).using_encoded(sp_io::hashing::blake2_256);
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

/// What a draw of `info`'s workers hashes besides the randomness: the job as its requester
/// signed it. Not the job id, which follows the order of submissions in a block (an author
/// inserting submissions before a job would re-roll its draw), nor the block of submission.
pub(crate) fn draw_key<T: Config>(info: &JobInfoOf<T>) -> [u8; 32] {
	(
		&info.requester,
		info.model,
		info.version,
		&info.kind,
		&info.input,
		info.replication,
		info.fee_per_worker,
		info.deadline,
	)
		.using_encoded(sp_io::hashing::blake2_256)
}

/// Draws `count` distinct candidates, each pick with probability proportional to its weight
/// among those not yet drawn (successive sampling without replacement), from `seed`.
///
/// Each candidate gets its own ticket, `blake2_256(seed, candidate)` read as `u` in `(0, 1)`,
/// and an exponential clock `-ln(u) / weight`; the `count` earliest clocks win, earliest first
/// (Efraimidis and Spirakis). A candidate's ticket depends on nothing but the seed and itself,
/// so joining, leaving or changing weight moves only its own clock: nobody can re-roll the
/// others' draws by changing their own stake or workers. Fewer candidates than `count` yield
/// them all; zero weights are drawn only when nothing else is left.
pub fn draw_by_stake<A: Encode>(candidates: Vec<(A, u128)>, count: u8, seed: &[u8; 32]) -> Vec<A> {
	let mut clocks: Vec<(A, u128, u64, [u8; 32])> = candidates
		.into_iter()
		.map(|(candidate, weight)| {
			let ticket = (seed, &candidate).using_encoded(sp_io::hashing::blake2_256);
			let draw = u64::from_le_bytes(ticket[..8].try_into().unwrap_or_default()).max(1);
			(candidate, weight, neg_log2(draw), ticket)
		})
		.collect();
	// Clock a = la / wa is earlier than b = lb / wb when la * wb < lb * wa; a zero weight never
	// rings. Equal clocks (probability about 2^-32) fall back to the tickets.
	clocks.sort_by(|(_, wa, la, ta), (_, wb, lb, tb)| {
		let ordering = match (*wa, *wb) {
			(0, 0) => la.cmp(lb),
			(0, _) => core::cmp::Ordering::Greater,
			(_, 0) => core::cmp::Ordering::Less,
			_ => (U256::from(*la) * U256::from(*wb)).cmp(&(U256::from(*lb) * U256::from(*wa))),
		};
		ordering.then_with(|| ta.cmp(tb))
	});
	clocks
		.into_iter()
		.take(count as usize)
		.map(|(candidate, ..)| candidate)
		.collect()
}

/// `-log2(x / 2^64)` for `x` in `1..2^64`, in fixed point with 32 fractional bits: the integer
/// part from the leading zeros, the fraction bit by bit by squaring the mantissa. Exact to
/// within 2^-31 and monotonic (a larger `x` never gets a larger value).
pub(crate) fn neg_log2(x: u64) -> u64 {
	let x = x.max(1);
	let exponent = 63 - x.leading_zeros();
	// The mantissa x / 2^exponent in [1, 2), with 62 fractional bits.
	let mut mantissa: u128 =
		if exponent <= 62 { (x as u128) << (62 - exponent) } else { (x as u128) >> 1 };
	let mut fraction: u64 = 0;
	for _ in 0..32 {
		mantissa = (mantissa * mantissa) >> 62;
		fraction <<= 1;
		if mantissa >= 1 << 63 {
			fraction |= 1;
			mantissa >>= 1;
		}
	}
	let log2 = ((exponent as u64) << 32) | fraction;
	(64u64 << 32) - log2
}
