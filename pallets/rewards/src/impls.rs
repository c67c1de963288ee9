//! The pot as other pallets see it: this pallet's [`PointsListener`] (told of points by the
//! attestation ledger) and [`RewardPot`] (paid into by the jobs and rounds pallets).

use mosaic_primitives::contribution::{EraIndex, Points, PointsListener, RewardPot, RewardSource};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{Get, Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
	Rounding,
};

use crate::{
	BalanceOf, Config, EraRewardPerPoint, Event, Ledgers, OpenEra, Outstanding, Pallet, Pool,
	REWARD_PER_POINT_SCALE,
};

impl<T: Config> PointsListener<T::AccountId> for Pallet<T> {
	fn points_added(era: EraIndex, who: &T::AccountId, points: Points) {
		let mut ledger = Ledgers::<T>::get(who).unwrap_or_default();
		Self::settle(&mut ledger);
		if ledger.points == 0 {
			ledger.era = era;
		}
		debug_assert_eq!(ledger.era, era, "points are only added in the open era");
		ledger.points = ledger.points.saturating_add(points);
		Self::store(who, ledger);
	}

	fn points_removed(era: EraIndex, who: &T::AccountId, points: Points) {
		let Some(mut ledger) = Ledgers::<T>::get(who) else { return };
		// Only points not worked out yet can go: once a share is in `accrued` it is mixed with
		// fees and other eras' shares, and taking it back could take money that is not a share.
		if ledger.era != era || ledger.points == 0 {
			return;
		}
		let removed = points.min(ledger.points);
		ledger.points -= removed;
		if era < OpenEra::<T>::get() {
			// The era ended: the share of these points was counted in `Outstanding`.
			Self::forfeit(who, era, Self::share(era, removed));
		}
		Self::store(who, ledger);
	}

	fn era_ended(era: EraIndex, total: Points) {
		OpenEra::<T>::put(era.saturating_add(1));
		let pool = Pool::<T>::get();
		let pool_units: u128 = pool.unique_saturated_into();
		let rate = (total > 0)
			.then(|| {
				multiply_by_rational_with_rounding(
					pool_units,
					REWARD_PER_POINT_SCALE,
					total.into(),
					Rounding::Down,
				)
			})
			.flatten()
			.unwrap_or(0)
			.min(Self::max_reward_per_point());
		let allocated = multiply_by_rational_with_rounding(
			total.into(),
			rate,
			REWARD_PER_POINT_SCALE,
			Rounding::Down,
		)
		.map(BalanceOf::<T>::unique_saturated_from)
		.unwrap_or_else(Zero::zero)
		.min(pool);
		if !allocated.is_zero() {
			EraRewardPerPoint::<T>::insert(era, rate);
			Pool::<T>::put(pool.saturating_sub(allocated));
			Outstanding::<T>::mutate(|owed| *owed = owed.saturating_add(allocated));
		}
		Self::deposit_event(Event::EraRewarded { era, points: total, pool, allocated });
	}
}

impl<T: Config> Pallet<T> {
	/// The most an era gives per point, scaled by [`REWARD_PER_POINT_SCALE`]: what the cheapest
	/// points cost ([`Config::PointPrice`]).
	pub fn max_reward_per_point() -> u128 {
		let (amount, points) = T::PointPrice::get();
		multiply_by_rational_with_rounding(
			amount.unique_saturated_into(),
			REWARD_PER_POINT_SCALE,
			points.max(1).into(),
			Rounding::Down,
		)
		.unwrap_or(u128::MAX)
	}
}

impl<T: Config> RewardPot<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn account() -> T::AccountId {
		Self::pot_account()
	}

	fn credit(who: &T::AccountId, amount: BalanceOf<T>, source: RewardSource) {
		if amount.is_zero() {
			return;
		}
		let mut ledger = Ledgers::<T>::get(who).unwrap_or_default();
		ledger.accrued = ledger.accrued.saturating_add(amount);
		Self::store(who, ledger);
		Outstanding::<T>::mutate(|owed| *owed = owed.saturating_add(amount));
		Self::deposit_event(Event::Credited { who: who.clone(), amount, source });
	}

	fn fund(amount: BalanceOf<T>, source: RewardSource) {
		if amount.is_zero() {
			return;
		}
		Pool::<T>::mutate(|pool| *pool = pool.saturating_add(amount));
		Self::deposit_event(Event::Funded { amount, source });
	}
}
