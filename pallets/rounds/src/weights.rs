//! Weights for `pallet_mosaic_rounds`: placeholder until `scripts/bench.sh` generates them.

#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::weights::Weight;

/// Weight functions of `pallet_mosaic_rounds`.
pub trait WeightInfo {
	fn create_round() -> Weight;
	fn join_public() -> Weight;
	fn join_private() -> Weight;
	fn aggregate(s: u32, ) -> Weight;
	fn finalize(s: u32, ) -> Weight;
}

/// Measured weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_round() -> Weight { Weight::from_parts(1_000_000_000, 10_000) }
	fn join_public() -> Weight { Weight::from_parts(1_000_000_000, 10_000) }
	fn join_private() -> Weight { Weight::from_parts(1_000_000_000, 10_000) }
	fn aggregate(_s: u32, ) -> Weight { Weight::from_parts(1_000_000_000, 10_000) }
	fn finalize(_s: u32, ) -> Weight { Weight::from_parts(1_000_000_000, 10_000) }
}

impl WeightInfo for () {
	fn create_round() -> Weight { Weight::zero() }
	fn join_public() -> Weight { Weight::zero() }
	fn join_private() -> Weight { Weight::zero() }
	fn aggregate(_s: u32, ) -> Weight { Weight::zero() }
	fn finalize(_s: u32, ) -> Weight { Weight::zero() }
}
