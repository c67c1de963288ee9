//! Test runtime for the rewards pallet: `frame_system`, `pallet_balances` and this pallet. The
//! tests play the attestation ledger and the jobs pallet themselves, through the traits.

use crate as pallet_mosaic_rewards;
use crate::*;
use frame_support::{derive_impl, parameter_types, traits::Hooks};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Rewards: pallet_mosaic_rewards,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

/// Existential deposit in tests: large enough that preserving it matters.
pub const ED: u64 = 5;

parameter_types! {
	pub const ExistentialDeposit: u64 = ED;
	pub const PotId: PalletId = PalletId(*b"msc/rwrd");
	/// No cap unless a test sets one: a unit a point.
	pub storage PointPrice: (u64, mosaic_primitives::contribution::Points) = (u64::MAX, 1);
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type ExistentialDeposit = ExistentialDeposit;
}

impl Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type PotId = PotId;
	type PointPrice = PointPrice;
	type WeightInfo = ();
}

/// Account that pays fees and slashes into the pot in tests.
pub const PAYER: u64 = 100;
/// What [`PAYER`] starts with.
pub const PAYER_FUNDS: u64 = 1_000_000_000;

pub fn new_test_ext_with_emission(emission: u64) -> sp_io::TestExternalities {
	let storage = RuntimeGenesisConfig {
		balances: pallet_balances::GenesisConfig {
			balances: vec![(PAYER, PAYER_FUNDS)],
			..Default::default()
		},
		rewards: crate::GenesisConfig { emission_per_block: emission },
		..Default::default()
	}
	.build_storage()
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	new_test_ext_with_emission(0)
}

/// Runs `test` in `ext`, then checks the pallet's invariants.
fn execute_and_check<R>(mut ext: sp_io::TestExternalities, test: impl FnOnce() -> R) -> R {
	ext.execute_with(|| {
		let result = test();
		Rewards::do_try_state().expect("pallet invariants hold");
		// Under `try-runtime`, every pallet's `try_state` hook as well, as the runtime runs them.
		#[cfg(feature = "try-runtime")]
		<AllPalletsWithSystem as frame_support::traits::TryState<u64>>::try_state(
			System::block_number(),
			frame_support::traits::TryStateSelect::All,
		)
		.expect("every pallet's try_state hook passes");
		result
	})
}

/// Runs `test` in fresh externalities with `emission` per block, then checks the pallet's
/// invariants.
pub fn build_and_execute_with_emission<R>(emission: u64, test: impl FnOnce() -> R) -> R {
	execute_and_check(new_test_ext_with_emission(emission), test)
}

/// Runs `test` in fresh externalities without emission, then checks the pallet's invariants.
pub fn build_and_execute<R>(test: impl FnOnce() -> R) -> R {
	execute_and_check(new_test_ext(), test)
}

pub fn pot() -> u64 {
	Rewards::pot_account()
}

/// Runs `on_initialize` for the next `n` blocks.
pub fn run_blocks(n: u64) {
	for _ in 0..n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Rewards::on_initialize(next);
	}
}

/// What the jobs pallet does to pay `amount` to `who`: move it into the pot, then credit.
pub fn pay(who: u64, amount: u64, source: RewardSource) {
	use frame_support::traits::{fungible::Mutate, tokens::Preservation};
	Balances::transfer(&PAYER, &pot(), amount, Preservation::Preserve).expect("payer is funded");
	<Rewards as RewardPot<u64, u64>>::credit(&who, amount, source);
}

/// What the jobs pallet does with a slash or a protocol fee: into the pot, then the pool.
pub fn fund(amount: u64, source: RewardSource) {
	use frame_support::traits::{fungible::Mutate, tokens::Preservation};
	Balances::transfer(&PAYER, &pot(), amount, Preservation::Preserve).expect("payer is funded");
	<Rewards as RewardPot<u64, u64>>::fund(amount, source);
}
