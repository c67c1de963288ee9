//! The pallet's invariants, checked after every test and by `try-runtime`.

use frame_support::{ensure, traits::fungible::Inspect};
use sp_runtime::traits::{Saturating, Zero};

use crate::{BalanceOf, Config, EraRewardPerPoint, Ledgers, OpenEra, Outstanding, Pallet, Pool};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants:
	/// - the pot's balance covers its existential deposit, the [`Pool`] and everything
	///   [`Outstanding`];
	/// - what every account could claim now adds up to at most [`Outstanding`];
	/// - no ledger is stored empty, and a ledger's unworked points are in the open era or an
	///   ended one;
	/// - only ended eras have a reward per point.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let open = OpenEra::<T>::get();
		let outstanding = Outstanding::<T>::get();
		let backing = T::Currency::minimum_balance()
			.saturating_add(Pool::<T>::get())
			.saturating_add(outstanding);
		ensure!(
			T::Currency::balance(&Self::pot_account()) >= backing,
			"the pot holds less than its existential deposit, the pool and what it owes"
		);

		let mut pending = BalanceOf::<T>::zero();
		for (who, ledger) in Ledgers::<T>::iter() {
			ensure!(!ledger.accrued.is_zero() || ledger.points > 0, "an empty ledger is stored");
			ensure!(
				ledger.points == 0 || ledger.era <= open,
				"a ledger has points of a future era"
			);
			pending = pending.saturating_add(Self::pending(&who));
		}
		ensure!(pending <= outstanding, "accounts can claim more than is outstanding");

		for era in EraRewardPerPoint::<T>::iter_keys() {
			ensure!(era < open, "an era that has not ended has a reward per point");
		}
		Ok(())
	}
}
