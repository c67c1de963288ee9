//! Test runtime for the models pallet: `frame_system`, `pallet_balances`, the blobs pallet (the
//! real blob store, configured as in its own tests) and this pallet, with small limits so every
//! boundary is easy to reach.

use crate as pallet_mosaic_models;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use sp_runtime::{BuildStorage, Permill};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Blobs: pallet_mosaic_blobs,
		Models: pallet_mosaic_models,
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

/// Blob deposit held for every blob.
pub const BLOB_DEPOSIT_BASE: u64 = 10;
/// Blob deposit held per byte.
pub const BLOB_DEPOSIT_PER_BYTE: u64 = 2;
/// Largest inline blob.
pub const MAX_INLINE: u32 = 64;

impl pallet_mosaic_blobs::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositBase = ConstU64<BLOB_DEPOSIT_BASE>;
	type DepositPerByte = ConstU64<BLOB_DEPOSIT_PER_BYTE>;
	type UriBond = ConstU64<0>;
	type MaxInlineBlobSize = ConstU32<MAX_INLINE>;
	type MaxChunkSize = ConstU32<16>;
	type MaxBlobSize = ConstU64<100>;
	type MaxRemoteBlobSize = ConstU64<1000>;
	type MaxUriLength = ConstU32<64>;
	type UploadTimeout = ConstU64<10>;
	type WeightInfo = ();
}

/// Deposit held for a model entry and for each version.
pub const DEPOSIT_BASE: u64 = 10;
/// Deposit held per byte of metadata or of encoded spec.
pub const DEPOSIT_PER_BYTE: u64 = 1;
/// Longest model name.
pub const MAX_NAME: u32 = 16;
/// Longest description.
pub const MAX_DESCRIPTION: u32 = 32;
/// Longest licence.
pub const MAX_LICENSE: u32 = 8;
/// Longest tensor name.
pub const MAX_TENSOR_NAME: u32 = 8;
/// Most dimensions.
pub const MAX_RANK: u32 = 4;
/// Most inputs, and most outputs.
pub const MAX_IO: u32 = 3;
/// Most versions of a model.
pub const MAX_VERSIONS: u32 = 3;
/// Largest model blob: below the largest inline blob, so an inline blob can be too large.
pub const MAX_MODEL_BLOB: u64 = 48;
/// Opset range.
pub const MIN_OPSET: u32 = 7;
/// Opset range.
pub const MAX_OPSET: u32 = 21;

parameter_types! {
	/// Largest royalty: 20 %.
	pub const MaxRoyalty: Permill = Permill::from_percent(20);
}

parameter_types! {
	/// Open jobs per model, as the mock jobs pallet reports them.
	pub static OpenJobs: BTreeMap<u32, u32> = BTreeMap::new();
}

/// The jobs pallet's side of [`crate::ModelUsage`], read from [`OpenJobs`].
pub struct MockUsage;

impl crate::ModelUsage for MockUsage {
	fn open_jobs(model: u32) -> u32 {
		OpenJobs::get().get(&model).copied().unwrap_or(0)
	}
}

impl pallet_mosaic_models::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Blobs = Blobs;
	type JobsInUse = MockUsage;
	type OwnerGone = ();
	type DepositBase = ConstU64<DEPOSIT_BASE>;
	type DepositPerByte = ConstU64<DEPOSIT_PER_BYTE>;
	type MaxNameLength = ConstU32<MAX_NAME>;
	type MaxDescriptionLength = ConstU32<MAX_DESCRIPTION>;
	type MaxLicenseLength = ConstU32<MAX_LICENSE>;
	type MaxTensorNameLength = ConstU32<MAX_TENSOR_NAME>;
	type MaxRank = ConstU32<MAX_RANK>;
	type MaxIoTensors = ConstU32<MAX_IO>;
	type MaxVersions = ConstU32<MAX_VERSIONS>;
	type MaxModelBlobSize = ConstU64<MAX_MODEL_BLOB>;
	type MinOpset = ConstU32<MIN_OPSET>;
	type MaxOpset = ConstU32<MAX_OPSET>;
	type MaxRoyalty = MaxRoyalty;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BlobsHelper;
}

/// Stores benchmark blobs in the real blob store.
#[cfg(feature = "runtime-benchmarks")]
pub struct BlobsHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for BlobsHelper {
	fn sealed_blob(owner: &u64, seed: u32) -> Result<crate::BlobHash, sp_runtime::DispatchError> {
		Blobs::sealed_blob_for_benchmarks(owner, seed)
	}
}

pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
/// Has enough for a blob but too little for most model deposits.
pub const POOR: u64 = 4;
/// Starting balance of `ALICE`, `BOB` and `CHARLIE`.
pub const INITIAL_BALANCE: u64 = 10_000;
/// Starting balance of `POOR`.
pub const POOR_BALANCE: u64 = 100;

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

/// Runs `test` in fresh externalities, then checks the pallet's invariants. (The blobs
/// pallet's own check is compiled only for its tests and for `try-runtime`; under
/// `try-runtime` it runs here through its hook.)
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Models::do_try_state().expect("pallet invariants hold");
		// Under `try-runtime`, every pallet's `try_state` hook as well, as the runtime runs them.
		#[cfg(feature = "try-runtime")]
		<AllPalletsWithSystem as frame_support::traits::TryState<u64>>::try_state(
			System::block_number(),
			frame_support::traits::TryStateSelect::All,
		)
		.expect("every pallet's try_state hook passes");
	});
}
