//! The pot's account.

use frame_support::traits::{
	fungible::{Inspect, Mutate},
	Get,
};
use sp_runtime::traits::{AccountIdConversion, Saturating, Zero};

use crate::{Config, Pallet};

impl<T: Config> Pallet<T> {
	/// The pot's account.
	pub fn pot_account() -> T::AccountId {
		T::PotId::get().into_account_truncating()
	}

	/// Gives the pot its existential deposit, which is never owed, so that it can receive
	/// any amount and pay out everything owed with `Preserve`.
	pub(crate) fn ensure_pot_exists() {
		let pot = Self::pot_account();
		let missing = T::Currency::minimum_balance().saturating_sub(T::Currency::balance(&pot));
		if !missing.is_zero() {
			let _ = T::Currency::mint_into(&pot, missing);
		}
	}
}
