//! Benchmarks of the rewards pallet (benchmarks v2). Claims take their longest path: a
//! ledger with credits and the points of an ended era still to work out.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;

/// Leaves `who` owed a credit plus a share of an ended era, all backed by the pot.
fn owed<T: Config>(who: &T::AccountId) -> BalanceOf<T> {
	Pallet::<T>::ensure_pot_exists();
	let amount = T::Currency::minimum_balance().saturating_mul(1_000u32.into());
	T::Currency::mint_into(&Pallet::<T>::pot_account(), amount.saturating_mul(2u32.into()))
		.expect("mints");
	<Pallet<T> as RewardPot<_, _>>::credit(who, amount, RewardSource::Fee);
	<Pallet<T> as RewardPot<_, _>>::fund(amount, RewardSource::Slash);
	let era = OpenEra::<T>::get();
	<Pallet<T> as PointsListener<_>>::points_added(era, who, 10);
	<Pallet<T> as PointsListener<_>>::era_ended(era, 10);
	Pallet::<T>::pending(who)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn claim() {
		let who: T::AccountId = whitelisted_caller();
		let amount = owed::<T>(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(T::Currency::balance(&who), amount);
		assert!(Ledgers::<T>::get(&who).is_none());
	}

	#[benchmark]
	fn claim_for() {
		let caller: T::AccountId = whitelisted_caller();
		let who: T::AccountId = account("wallet", 0, 0);
		let amount = owed::<T>(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), who.clone());

		assert_eq!(T::Currency::balance(&who), amount);
	}

	#[benchmark]
	fn set_emission() {
		let per_block = T::Currency::minimum_balance();

		#[extrinsic_call]
		_(RawOrigin::Root, per_block);

		assert_eq!(EmissionPerBlock::<T>::get(), per_block);
	}

	#[benchmark]
	fn on_initialize() {
		Pallet::<T>::ensure_pot_exists();
		let per_block = T::Currency::minimum_balance();
		EmissionPerBlock::<T>::put(per_block);
		let pool = Pool::<T>::get();

		#[block]
		{
			Pallet::<T>::on_initialize(frame_system::Pallet::<T>::block_number());
		}

		assert_eq!(Pool::<T>::get(), pool.saturating_add(per_block));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
