//! Deposits: what an entry holds from its owner under [`HoldReason::BlobDeposit`].

use frame_support::{
	dispatch::DispatchResult,
	pallet_prelude::DispatchError,
	traits::{fungible::MutateHold, tokens::Precision, Get},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

use crate::{BalanceOf, Config, HoldReason, Pallet};

impl<T: Config> Pallet<T> {
	/// The deposit for an entry of `bytes` bytes (of blob or URI):
	/// `DepositBase + DepositPerByte * bytes`, saturating.
	pub fn deposit_for(bytes: u64) -> BalanceOf<T> {
		T::DepositBase::get()
			.saturating_add(T::DepositPerByte::get().saturating_mul(bytes.saturated_into()))
	}

	/// Holds `amount` from `who` as a blob deposit (nothing if it is zero).
	pub(crate) fn hold_deposit(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&HoldReason::BlobDeposit.into(), who, amount)
	}

	/// Releases a blob deposit of `amount` to `who`; returns the amount released, which is
	/// `amount` unless the hold was somehow reduced behind the pallet's back.
	pub(crate) fn release_deposit(
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		if amount.is_zero() {
			return Ok(amount);
		}
		T::Currency::release(&HoldReason::BlobDeposit.into(), who, amount, Precision::BestEffort)
	}
}
