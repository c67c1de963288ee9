//! Spending a round's budget: releasing a job's escrow from it, and paying from it into the
//! rewards pot.

use frame_support::{
	dispatch::DispatchResult,
	ensure,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use mosaic_primitives::contribution::{RewardPot, RewardSource};
use sp_runtime::traits::{Saturating, Zero};

use crate::{BalanceOf, Config, Error, HoldReason, Pallet, RoundInfoOf};

impl<T: Config> Pallet<T> {
	/// Releases `escrow` of the round's budget to its creator, for a job's escrow to take it
	/// at once (in the same transaction); the caller adds it to `spent`.
	pub(crate) fn release_for_job(info: &RoundInfoOf<T>, escrow: BalanceOf<T>) -> DispatchResult {
		ensure!(escrow <= info.budget.saturating_sub(info.spent), Error::<T>::BudgetExhausted);
		T::Currency::release(
			&HoldReason::RoundBudget.into(),
			&info.creator,
			escrow,
			Precision::Exact,
		)?;
		Ok(())
	}

	/// Moves `amount` of the round's budget into the rewards pot, owed to `who`; whether it
	/// was paid (nothing is for a zero amount).
	pub(crate) fn pay_from_budget(
		info: &RoundInfoOf<T>,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> bool {
		if amount.is_zero() {
			return false;
		}
		let moved = T::Currency::transfer_on_hold(
			&HoldReason::RoundBudget.into(),
			&info.creator,
			&T::Rewards::account(),
			amount,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Force,
		);
		if moved.is_ok() {
			T::Rewards::credit(who, amount, RewardSource::RoundBudget);
		}
		moved.is_ok()
	}
}
