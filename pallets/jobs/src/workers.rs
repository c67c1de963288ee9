//! Workers: registration, the eligible-worker list kept in line with each record, slashing.

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register(
		who: &T::AccountId,
		key: T::AccountId,
		stake: BalanceOf<T>,
		capacity: u32,
	) -> DispatchResult {
		ensure!(!Workers::<T>::contains_key(who), Error::<T>::AlreadyWorker);
		ensure!(!WorkerKeys::<T>::contains_key(&key), Error::<T>::KeyInUse);
		ensure!(stake >= T::MinStake::get(), Error::<T>::StakeTooLow);
		ensure!(capacity >= 1 && capacity <= T::MaxCapacity::get(), Error::<T>::BadCapacity);
		ensure!(WorkerCount::<T>::get() < T::MaxWorkers::get(), Error::<T>::TooManyWorkers);
		T::Currency::hold(&HoldReason::WorkerStake.into(), who, stake)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		WorkerCount::<T>::mutate(|n| *n = n.saturating_add(1));
		WorkerKeys::<T>::insert(&key, who);
		Self::store_worker(
			who,
			WorkerInfo {
				key: key.clone(),
				stake,
				unbonding: Zero::zero(),
				unlock_at: Zero::zero(),
				capacity,
				assigned: 0,
				status: WorkerStatus::Active,
				missed: 0,
			},
		);
		Self::deposit_event(Event::WorkerRegistered { worker: who.clone(), key, stake, capacity });
		Ok(())
	}

	/// A worker's weight in the draw: its stake, divided by one plus its [`Abstentions`].
	pub(crate) fn draw_weight(who: &T::AccountId, stake: BalanceOf<T>) -> BalanceOf<T> {
		let abstentions = Abstentions::<T>::get(who).unwrap_or(0);
		stake / BalanceOf::<T>::from(abstentions.saturating_add(1))
	}

	/// Whether a worker can be drawn for a new job.
	pub(crate) fn eligible(info: &WorkerInfoOf<T>) -> bool {
		info.status == WorkerStatus::Active
			&& info.assigned < info.capacity
			&& info.stake >= T::MinStake::get()
	}

	/// Stores a worker's record and keeps its [`EligibleWorkers`] entry (with its draw weight)
	/// in line with it, writing the list only when the entry changes (most updates, e.g. of
	/// `missed`, leave it as it is).
	pub(crate) fn store_worker(who: &T::AccountId, info: WorkerInfoOf<T>) {
		let eligible = Self::eligible(&info);
		let stake = Self::draw_weight(who, info.stake);
		Workers::<T>::insert(who, info);
		let mut pool = EligibleWorkers::<T>::get();
		let position = pool.iter().position(|(w, _)| w == who);
		match (position, eligible) {
			(Some(i), true) if pool[i].1 == stake => return,
			(Some(i), true) => pool[i].1 = stake,
			(Some(i), false) => {
				pool.swap_remove(i);
			},
			// Cannot overflow: the pool holds registered workers only, at most `MaxWorkers`.
			(None, true) => {
				let _ = pool.try_push((who.clone(), stake));
			},
			(None, false) => return,
		}
		EligibleWorkers::<T>::put(pool);
	}

	pub(crate) fn slash(
		worker: &T::AccountId,
		job: JobId,
		amount: BalanceOf<T>,
		reason: SlashReason,
	) {
		let Some(mut info) = Workers::<T>::get(worker) else { return };
		let slashed = T::Currency::transfer_on_hold(
			&HoldReason::WorkerStake.into(),
			worker,
			&T::Rewards::account(),
			amount.min(info.held()),
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_else(|_| Zero::zero());
		T::Rewards::fund(slashed, RewardSource::Slash);
		let from_stake = slashed.min(info.stake);
		info.stake = info.stake.saturating_sub(from_stake);
		info.unbonding = info.unbonding.saturating_sub(slashed.saturating_sub(from_stake));
		if info.stake < T::MinStake::get() && info.status == WorkerStatus::Active {
			info.status = WorkerStatus::Inactive;
			Self::deposit_event(Event::WorkerInactive {
				worker: worker.clone(),
				missed: info.missed,
			});
		}
		Self::store_worker(worker, info);
		Self::deposit_event(Event::WorkerSlashed {
			worker: worker.clone(),
			job,
			amount: slashed,
			reason,
		});
	}
}
