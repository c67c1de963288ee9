//! Weights for `pallet_mosaic_rewards`: provisional, replaced by `scripts/bench.sh pallet_mosaic_rewards`.
#![allow(missing_docs)]
use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions of `pallet_mosaic_rewards`.
pub trait WeightInfo {
	fn claim() -> Weight;
	fn claim_for() -> Weight;
	fn set_emission() -> Weight;
	fn on_initialize() -> Weight;
}

/// Measured weights, with the runtime's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn claim() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn claim_for() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn set_emission() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn on_initialize() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
}

impl WeightInfo for () {
	fn claim() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn claim_for() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn set_emission() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn on_initialize() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
}
