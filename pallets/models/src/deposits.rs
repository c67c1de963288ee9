//! Deposits: what a model entry and a version hold from their owner, and holding and
//! releasing them under [`HoldReason::ModelDeposit`].

use codec::Encode;
use frame_support::{
	dispatch::DispatchResult,
	pallet_prelude::DispatchError,
	traits::{fungible::MutateHold, tokens::Precision, Get},
};
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

use crate::{BalanceOf, Config, HoldReason, Pallet, VersionSpecOf};

impl<T: Config> Pallet<T> {
	/// `DepositBase + DepositPerByte * bytes`, saturating.
	pub fn deposit_for(bytes: u64) -> BalanceOf<T> {
		T::DepositBase::get()
			.saturating_add(T::DepositPerByte::get().saturating_mul(bytes.saturated_into()))
	}

	/// The deposit of a model entry with this name, description and licence.
	pub fn metadata_deposit(name: &[u8], description: &[u8], license: &[u8]) -> BalanceOf<T> {
		let bytes = (name.len() as u64)
			.saturating_add(description.len() as u64)
			.saturating_add(license.len() as u64);
		Self::deposit_for(bytes)
	}

	/// The deposit of a version with this spec.
	pub fn version_deposit(spec: &VersionSpecOf<T>) -> BalanceOf<T> {
		Self::deposit_for(spec.encoded_size() as u64)
	}

	/// Holds `amount` from `who` as a model deposit (nothing if it is zero).
	pub(crate) fn hold_deposit(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&HoldReason::ModelDeposit.into(), who, amount)
	}

	/// Releases a model deposit of `amount` to `who`; returns the amount released, which is
	/// `amount` unless the hold was somehow reduced behind the pallet's back.
	pub(crate) fn release_deposit(
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		if amount.is_zero() {
			return Ok(amount);
		}
		T::Currency::release(&HoldReason::ModelDeposit.into(), who, amount, Precision::BestEffort)
	}
}
