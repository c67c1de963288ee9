//! Weights for `pallet_mosaic_attestations`: provisional, replaced by `scripts/bench.sh pallet_mosaic_attestations`.
#![allow(missing_docs)]
use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions of `pallet_mosaic_attestations`.
pub trait WeightInfo {
	fn record() -> Weight;
	fn revoke() -> Weight;
	fn set_era_length() -> Weight;
	fn on_initialize_within_era() -> Weight;
	fn on_initialize_era_end() -> Weight;
	fn on_idle_base() -> Weight;
	fn prune_attestation() -> Weight;
}

/// Measured weights, with the runtime's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn record() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn revoke() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn set_era_length() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn on_initialize_within_era() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn on_initialize_era_end() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn on_idle_base() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
	fn prune_attestation() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(5, 5)) }
}

impl WeightInfo for () {
	fn record() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn revoke() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn set_era_length() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn on_initialize_within_era() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn on_initialize_era_end() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn on_idle_base() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
	fn prune_attestation() -> Weight { Weight::from_parts(50_000_000, 10_000).saturating_add(ParityDbWeight::get().reads_writes(5, 5)) }
}
