//! What the pot owes each account: working out era shares, claims and forfeits.

use frame_support::{
	dispatch::DispatchResult,
	ensure,
	traits::{fungible::Mutate, tokens::Preservation},
};
use mosaic_primitives::contribution::{EraIndex, Points};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Saturating, UniqueSaturatedFrom, Zero},
	Rounding,
};

use crate::{
	BalanceOf, Config, EraRewardPerPoint, Error, Event, Ledger, Ledgers, OpenEra, Outstanding,
	Pallet, Pool, REWARD_PER_POINT_SCALE,
};

impl<T: Config> Pallet<T> {
	/// `points` times `era`'s reward per point, rounded down.
	pub(crate) fn share(era: EraIndex, points: Points) -> BalanceOf<T> {
		let Some(rate) = EraRewardPerPoint::<T>::get(era) else { return Zero::zero() };
		let share = multiply_by_rational_with_rounding(
			points.into(),
			rate,
			REWARD_PER_POINT_SCALE,
			Rounding::Down,
		)
		.unwrap_or(0);
		BalanceOf::<T>::unique_saturated_from(share)
	}

	/// Works out the ledger's points if their era has ended.
	pub(crate) fn settle(ledger: &mut Ledger<BalanceOf<T>>) {
		if ledger.points > 0 && ledger.era < OpenEra::<T>::get() {
			ledger.accrued = ledger.accrued.saturating_add(Self::share(ledger.era, ledger.points));
			ledger.points = 0;
		}
	}

	pub(crate) fn store(who: &T::AccountId, ledger: Ledger<BalanceOf<T>>) {
		if ledger.accrued.is_zero() && ledger.points == 0 {
			Ledgers::<T>::remove(who);
		} else {
			Ledgers::<T>::insert(who, ledger);
		}
	}

	/// What a claim would pay `who` now.
	pub fn pending(who: &T::AccountId) -> BalanceOf<T> {
		let mut ledger = Ledgers::<T>::get(who).unwrap_or_default();
		Self::settle(&mut ledger);
		ledger.accrued
	}

	pub(crate) fn do_claim(who: &T::AccountId, by: &T::AccountId) -> DispatchResult {
		let mut ledger = Ledgers::<T>::get(who).ok_or(Error::<T>::NothingToClaim)?;
		Self::settle(&mut ledger);
		let amount = ledger.accrued;
		ensure!(!amount.is_zero(), Error::<T>::NothingToClaim);
		T::Currency::transfer(&Self::pot_account(), who, amount, Preservation::Preserve)?;
		ledger.accrued = Zero::zero();
		Outstanding::<T>::mutate(|owed| *owed = owed.saturating_sub(amount));
		Self::store(who, ledger);
		Self::deposit_event(Event::Claimed { who: who.clone(), amount, by: by.clone() });
		Ok(())
	}

	/// Moves `amount` owed to `who` for `era` back to the pool.
	pub(crate) fn forfeit(who: &T::AccountId, era: EraIndex, amount: BalanceOf<T>) {
		if amount.is_zero() {
			return;
		}
		Outstanding::<T>::mutate(|owed| *owed = owed.saturating_sub(amount));
		Pool::<T>::mutate(|pool| *pool = pool.saturating_add(amount));
		Self::deposit_event(Event::Forfeited { who: who.clone(), era, amount });
	}
}
