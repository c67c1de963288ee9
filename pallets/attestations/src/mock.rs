//! Test runtime for the attestations pallet: `frame_system` and this pallet, with a listener
//! that writes down every call it gets, so tests see what the rewards pallet would be told.

use crate as pallet_mosaic_attestations;
use crate::*;
use core::cell::RefCell;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64, Hooks},
};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Contributions: pallet_mosaic_attestations,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// What the listener was told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
	Added(EraIndex, u64, Points),
	Removed(EraIndex, u64, Points),
	EraEnded(EraIndex, Points),
}

thread_local! {
	static HEARD: RefCell<Vec<Heard>> = const { RefCell::new(Vec::new()) };
}

/// Everything the listener heard so far, emptied.
pub fn heard() -> Vec<Heard> {
	HEARD.with(|h| core::mem::take(&mut *h.borrow_mut()))
}

pub struct RecordingListener;
impl PointsListener<u64> for RecordingListener {
	fn points_added(era: EraIndex, who: &u64, points: Points) {
		HEARD.with(|h| h.borrow_mut().push(Heard::Added(era, *who, points)));
	}
	fn points_removed(era: EraIndex, who: &u64, points: Points) {
		HEARD.with(|h| h.borrow_mut().push(Heard::Removed(era, *who, points)));
	}
	fn era_ended(era: EraIndex, total: Points) {
		HEARD.with(|h| h.borrow_mut().push(Heard::EraEnded(era, total)));
	}
}

/// Blocks per era in tests.
pub const ERA: u64 = 10;
/// Ended eras kept.
pub const DEPTH: u32 = 2;

impl Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Listener = RecordingListener;
	type HistoryDepth = ConstU32<DEPTH>;
	type DefaultEraLength = ConstU64<ERA>;
	type MaxReasonLength = ConstU32<32>;
	type WeightInfo = ();
}

/// Externalities built from `genesis`, at block 1, with nothing heard yet.
pub fn new_test_ext_with(genesis: RuntimeGenesisConfig) -> sp_io::TestExternalities {
	let storage = genesis.build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		heard();
	});
	ext
}

/// Externalities from the default genesis (eras of [`ERA`] blocks).
pub fn new_test_ext() -> sp_io::TestExternalities {
	new_test_ext_with(RuntimeGenesisConfig::default())
}

/// Runs `test` in `ext`, then checks the pallet's invariants.
fn execute_and_check(mut ext: sp_io::TestExternalities, test: impl FnOnce()) {
	ext.execute_with(|| {
		test();
		Contributions::do_try_state().expect("pallet invariants hold");
		// Under `try-runtime`, every pallet's `try_state` hook as well, as the runtime runs them.
		#[cfg(feature = "try-runtime")]
		<AllPalletsWithSystem as frame_support::traits::TryState<u64>>::try_state(
			System::block_number(),
			frame_support::traits::TryStateSelect::All,
		)
		.expect("every pallet's try_state hook passes");
	});
}

/// Runs `test` in externalities built from `genesis`, then checks the pallet's invariants.
pub fn build_and_execute_with(genesis: RuntimeGenesisConfig, test: impl FnOnce()) {
	execute_and_check(new_test_ext_with(genesis), test)
}

/// Runs `test` in fresh externalities, then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	execute_and_check(new_test_ext(), test)
}

/// Runs blocks up to `n`, with each block's `on_initialize` and an `on_idle` with `idle`
/// weight.
pub fn run_to_block_with_idle(n: u64, idle: Weight) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Contributions::on_initialize(next);
		Contributions::on_idle(next, idle);
	}
}

/// Runs blocks up to `n` with no weight left for pruning.
pub fn run_to_block(n: u64) {
	run_to_block_with_idle(n, Weight::zero())
}
