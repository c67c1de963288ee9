//! Test runtime for the blobs pallet: `frame_system`, `pallet_balances` and this pallet, with
//! small limits so every boundary is easy to reach.

use crate as pallet_mosaic_blobs;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Blobs: pallet_mosaic_blobs,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

/// Deposit held for every entry.
pub const DEPOSIT_BASE: u64 = 10;
/// Deposit held per byte (of blob, or of URI for remote blobs).
pub const DEPOSIT_PER_BYTE: u64 = 2;
/// Held from a URI's registrant on top of its deposit.
pub const URI_BOND: u64 = 50;
/// Largest inline blob.
pub const MAX_INLINE: u32 = 64;
/// Chunk size of uploads.
pub const CHUNK: u32 = 16;
/// Largest blob: not a multiple of `CHUNK`, so the last chunk of the largest upload is short.
pub const MAX_BLOB: u64 = 100;
/// Largest remote blob.
pub const MAX_REMOTE_BLOB: u64 = 10 * MAX_BLOB;
/// Longest URI.
pub const MAX_URI: u32 = 64;
/// Blocks an upload may take.
pub const TIMEOUT: u64 = 10;

impl pallet_mosaic_blobs::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositBase = ConstU64<DEPOSIT_BASE>;
	type DepositPerByte = ConstU64<DEPOSIT_PER_BYTE>;
	type UriBond = ConstU64<URI_BOND>;
	type MaxInlineBlobSize = ConstU32<MAX_INLINE>;
	type MaxChunkSize = ConstU32<CHUNK>;
	type MaxBlobSize = ConstU64<MAX_BLOB>;
	type MaxRemoteBlobSize = ConstU64<MAX_REMOTE_BLOB>;
	type MaxUriLength = ConstU32<MAX_URI>;
	type UploadTimeout = ConstU64<TIMEOUT>;
	type WeightInfo = ();
}

pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
/// Has too little to pay most deposits.
pub const POOR: u64 = 4;
/// Starting balance of `ALICE`, `BOB` and `CHARLIE`.
pub const INITIAL_BALANCE: u64 = 1_000;
/// Starting balance of `POOR`.
pub const POOR_BALANCE: u64 = 20;

/// Externalities with funded accounts, at block 1 (events are not recorded at block 0).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("system genesis builds");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(ALICE, INITIAL_BALANCE),
			(BOB, INITIAL_BALANCE),
			(CHARLIE, INITIAL_BALANCE),
			(POOR, POOR_BALANCE),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis builds");

	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` in `ext`, then checks the pallet's invariants. For tests that keep their
/// externalities, to look into the off-chain database between steps or to register
/// extensions first.
pub fn execute_and_check<R>(ext: &mut sp_io::TestExternalities, test: impl FnOnce() -> R) -> R {
	ext.execute_with(|| {
		let result = test();
		Blobs::do_try_state().expect("pallet invariants hold");
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

/// Runs `test` in fresh externalities, then checks the pallet's invariants.
pub fn build_and_execute<R>(test: impl FnOnce() -> R) -> R {
	execute_and_check(&mut new_test_ext(), test)
}
