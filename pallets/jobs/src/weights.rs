//! Weights for `pallet_mosaic_jobs`. Replaced by `scripts/bench.sh` with the figures of its
//! benchmark runs; do not edit by hand.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions of `pallet_mosaic_jobs`.
pub trait WeightInfo {
	fn register_worker() -> Weight;
	fn bond_extra() -> Weight;
	fn pause() -> Weight;
	fn resume() -> Weight;
	fn unbond() -> Weight;
	fn withdraw_unbonded() -> Weight;
	fn submit_job(i: u32, ) -> Weight;
	fn cancel_job() -> Weight;
	fn commit() -> Weight;
	fn reveal(v: u32, n: u32, ) -> Weight;
	fn set_min_replication() -> Weight;
	fn on_initialize_base() -> Weight;
	fn assign(w: u32, k: u32, ) -> Weight;
	fn expire_queued() -> Weight;
	fn expire_commit(n: u32, ) -> Weight;
	fn expire_reveal(v: u32, n: u32, ) -> Weight;
	fn purge() -> Weight;
}

/// Measured weights, with the runtime's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_worker() -> Weight { Weight::from_parts(100_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(6, 6)) }
	fn bond_extra() -> Weight { Weight::from_parts(100_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(4, 4)) }
	fn pause() -> Weight { Weight::from_parts(50_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(2, 2)) }
	fn resume() -> Weight { Weight::from_parts(50_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(2, 2)) }
	fn unbond() -> Weight { Weight::from_parts(50_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(2, 2)) }
	fn withdraw_unbonded() -> Weight { Weight::from_parts(100_000_000, 6000).saturating_add(T::DbWeight::get().reads_writes(6, 6)) }
	fn submit_job(i: u32, ) -> Weight { Weight::from_parts(200_000_000, 20000).saturating_add(Weight::from_parts(2_000, 1).saturating_mul(i.into())).saturating_add(T::DbWeight::get().reads_writes(10, 8)) }
	fn cancel_job() -> Weight { Weight::from_parts(200_000_000, 20000).saturating_add(T::DbWeight::get().reads_writes(20, 20)) }
	fn commit() -> Weight { Weight::from_parts(200_000_000, 20000).saturating_add(T::DbWeight::get().reads_writes(20, 20)) }
	fn reveal(v: u32, n: u32, ) -> Weight { Weight::from_parts(500_000_000, 200000).saturating_add(Weight::from_parts(50_000, 10).saturating_mul(v.into())).saturating_add(Weight::from_parts(50_000_000, 3000).saturating_mul(n.into())).saturating_add(T::DbWeight::get().reads_writes(40, 40)) }
	fn set_min_replication() -> Weight { Weight::from_parts(20_000_000, 0).saturating_add(T::DbWeight::get().writes(1)) }
	fn on_initialize_base() -> Weight { Weight::from_parts(20_000_000, 3000).saturating_add(T::DbWeight::get().reads_writes(2, 1)) }
	fn assign(w: u32, k: u32, ) -> Weight { Weight::from_parts(200_000_000, 20000).saturating_add(Weight::from_parts(200_000, 50).saturating_mul(w.into())).saturating_add(Weight::from_parts(30_000_000, 3000).saturating_mul(k.into())).saturating_add(T::DbWeight::get().reads_writes(20, 20)) }
	fn expire_queued() -> Weight { Weight::from_parts(200_000_000, 20000).saturating_add(T::DbWeight::get().reads_writes(10, 10)) }
	fn expire_commit(n: u32, ) -> Weight { Weight::from_parts(200_000_000, 20000).saturating_add(Weight::from_parts(50_000_000, 3000).saturating_mul(n.into())).saturating_add(T::DbWeight::get().reads_writes(20, 20)) }
	fn expire_reveal(v: u32, n: u32, ) -> Weight { Weight::from_parts(500_000_000, 200000).saturating_add(Weight::from_parts(50_000, 10).saturating_mul(v.into())).saturating_add(Weight::from_parts(50_000_000, 3000).saturating_mul(n.into())).saturating_add(T::DbWeight::get().reads_writes(40, 40)) }
	fn purge() -> Weight { Weight::from_parts(50_000_000, 200000).saturating_add(T::DbWeight::get().reads_writes(1, 1)) }
}

/// For tests: nothing weighs anything.
impl WeightInfo for () {
	fn register_worker() -> Weight { Weight::zero() }
	fn bond_extra() -> Weight { Weight::zero() }
	fn pause() -> Weight { Weight::zero() }
	fn resume() -> Weight { Weight::zero() }
	fn unbond() -> Weight { Weight::zero() }
	fn withdraw_unbonded() -> Weight { Weight::zero() }
	fn submit_job(_i: u32, ) -> Weight { Weight::zero() }
	fn cancel_job() -> Weight { Weight::zero() }
	fn commit() -> Weight { Weight::zero() }
	fn reveal(_v: u32, _n: u32, ) -> Weight { Weight::zero() }
	fn set_min_replication() -> Weight { Weight::zero() }
	fn on_initialize_base() -> Weight { Weight::zero() }
	fn assign(_w: u32, _k: u32, ) -> Weight { Weight::zero() }
	fn expire_queued() -> Weight { Weight::zero() }
	fn expire_commit(_n: u32, ) -> Weight { Weight::zero() }
	fn expire_reveal(_v: u32, _n: u32, ) -> Weight { Weight::zero() }
	fn purge() -> Weight { Weight::zero() }
}
