//! Test runtime for the rounds pallet: `frame_system`, `pallet_balances` and this pallet,
//! with the jobs pallet, registry, blob store, pot and ledger kept in thread-local maps. A
//! test plays the jobs pallet's part by calling the observer with each job's end.

use crate as pallet_mosaic_rounds;
use crate::*;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use mosaic_primitives::{
	blob::{BlobKind, BlobReferences, BlobSummary},
	model::{Tensors, VersionStatus, VersionView},
};
use mosaic_primitives::{
	contribution::{Points, RewardPot, RewardSource},
	rounds::RoundJob,
};
use mosaic_test_utils::{RecordingLedger, RecordingPot};
use sp_runtime::{BuildStorage, DispatchError, Permill};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		MosaicRounds: pallet_mosaic_rounds,
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
	type RuntimeHoldReason = RuntimeHoldReason;
}

pub type MockTensors = Tensors<ConstU32<8>, ConstU32<2>, ConstU32<2>>;

/// A submitted job: requester, model, version, job, replication, fee, deadline.
pub type Submitted = (u64, u32, u32, RoundJob, u8, u64, u64);

parameter_types! {
	/// Versions by `(model, version)`.
	pub static Versions: BTreeMap<(u32, u32), VersionView<u64, MockTensors>> = BTreeMap::new();
	/// Versions published by rounds: `(model, base, parameters, round)`.
	pub static Published: Vec<(u32, u32, [u8; 32], u64)> = Vec::new();
	/// Sealed blobs with their owners and reference counts.
	pub static SealedBlobs: BTreeMap<[u8; 32], (u64, u32)> = BTreeMap::new();
	/// Blobs stored through `BlobStore`, with their owners and bytes.
	pub static StoredBlobs: Vec<(u64, Vec<u8>)> = Vec::new();
	/// Jobs submitted, in order; a job's id is its index.
	pub static Jobs: Vec<Submitted> = Vec::new();
	/// Whether the jobs pallet refuses submissions.
	pub static JobsRefuse: bool = false;
	/// Whether the registry refuses to publish rounds' versions.
	pub static PublishRefused: bool = false;
}

/// What the rewards pot owes each account.
pub type Owed = mosaic_test_utils::Owed<u64, u64>;
/// Contributions recorded in the ledger.
pub type Recorded = mosaic_test_utils::Recorded<u64>;

pub const POT: u64 = 999;
/// Where the mock jobs pallet keeps job escrows.
pub const ESCROWS: u64 = 998;
pub const PROTOCOL_FEE: u64 = 5;
/// The blob deposit of a result the size of the base parameters (every mock blob is 40
/// bytes, a byte a unit).
pub const RESULT_DEPOSIT: u64 = 40;
pub const SHARD_DEPOSIT: u64 = 50;
pub const MAX_SHARDS: u32 = 5;
pub const DATA_POINTS: Points = 100;
pub const MODEL_POINTS: Points = 7;
pub const MAX_JOIN: u64 = 50;

/// A jobs pallet that writes submissions down and moves each job's escrow to [`ESCROWS`].
pub struct MockJobs;
impl RoundJobs<u64, u64, u64> for MockJobs {
	fn submit(
		requester: &u64,
		model: u32,
		version: u32,
		job: RoundJob,
		replication: u8,
		fee_per_worker: u64,
		deadline: u64,
	) -> Result<JobId, DispatchError> {
		if JobsRefuse::get() {
			return Err(DispatchError::Other("jobs refuse"));
		}
		let escrow = Self::escrow(job, replication, fee_per_worker)?;
		<Balances as frame_support::traits::fungible::Mutate<u64>>::transfer(
			requester,
			&ESCROWS,
			escrow,
			frame_support::traits::tokens::Preservation::Expendable,
		)?;
		Jobs::mutate(|j| {
			j.push((*requester, model, version, job, replication, fee_per_worker, deadline));
			Ok(j.len() as u64 - 1)
		})
	}
	fn escrow(_: RoundJob, replication: u8, fee_per_worker: u64) -> Result<u64, DispatchError> {
		Ok(replication as u64 * fee_per_worker + PROTOCOL_FEE + RESULT_DEPOSIT)
	}
	fn job_periods() -> (u64, u64) {
		JOB_PERIODS
	}
	fn max_result_values() -> u32 {
		MAX_RESULT_VALUES
	}
}

/// Blocks after joining closes in which private shards reveal.
pub const UPDATE_REVEAL_PERIOD: u64 = 5;

/// Blocks a finished round's record stays.
pub const RETENTION: u64 = 30;

/// Most values [`MockJobs`] reveals: the runtime's bound.
pub const MAX_RESULT_VALUES: u32 = 4096;

/// The job periods [`MockJobs`] accepts.
pub const JOB_PERIODS: (u64, u64) = (10, 1_000);

pub struct MockRegistry;
impl ModelRegistry<u64, u64> for MockRegistry {
	type MaxTensorNameLength = ConstU32<8>;
	type MaxRank = ConstU32<2>;
	type MaxIoTensors = ConstU32<2>;

	fn version(model: u32, version: u32) -> Option<VersionView<u64, MockTensors>> {
		Versions::get().get(&(model, version)).cloned()
	}
	fn is_runnable(model: u32, version: u32) -> bool {
		Self::version(model, version).is_some_and(|v| v.status.is_active())
	}
	fn royalty(_: u32, _: u32, _: u64) -> Option<(u64, u64)> {
		None
	}
	fn mark_invalid(_: u32, _: u32, _: u16) -> DispatchResult {
		Ok(())
	}
	fn revalidate(_: u32, _: u32) -> DispatchResult {
		Ok(())
	}
	fn publish_derived(
		model: u32,
		base: u32,
		parameters: [u8; 32],
		round: u64,
	) -> Result<u32, DispatchError> {
		if PublishRefused::get() {
			return Err(DispatchError::Other("the registry refuses"));
		}
		let mut versions = Versions::get();
		let next = versions
			.keys()
			.filter(|(m, _)| *m == model)
			.map(|(_, v)| *v)
			.max()
			.ok_or(DispatchError::CannotLookup)?
			+ 1;
		let mut view = versions.get(&(model, base)).cloned().ok_or(DispatchError::CannotLookup)?;
		view.parameters = Some(parameters);
		versions.insert((model, next), view);
		Versions::set(versions);
		Published::mutate(|p| p.push((model, base, parameters, round)));
		Ok(next)
	}
}

pub struct MockBlobs;
impl BlobInspect<u64> for MockBlobs {
	fn blob(hash: &[u8; 32]) -> Option<BlobSummary<u64>> {
		SealedBlobs::get().get(hash).map(|(owner, refs)| BlobSummary {
			owner: *owner,
			byte_len: 40,
			kind: BlobKind::Sealed,
			refs: *refs,
		})
	}
	fn is_sealed(hash: &[u8; 32]) -> bool {
		SealedBlobs::get().contains_key(hash)
	}
	fn size(hash: &[u8; 32]) -> Option<u64> {
		Self::is_sealed(hash).then_some(40)
	}
}
impl BlobReferences for MockBlobs {
	fn add_ref(hash: &[u8; 32]) -> DispatchResult {
		SealedBlobs::mutate(|b| b.get_mut(hash).map(|(_, n)| *n += 1))
			.ok_or(DispatchError::CannotLookup)
	}
	fn remove_ref(hash: &[u8; 32]) -> DispatchResult {
		SealedBlobs::mutate(|b| b.get_mut(hash).filter(|(_, n)| *n > 0).map(|(_, n)| *n -= 1))
			.ok_or(DispatchError::CannotLookup)
	}
}

impl BlobStore<u64, u64> for MockBlobs {
	fn deposit_for(bytes: u64) -> u64 {
		bytes
	}
	fn store(owner: &u64, bytes: Vec<u8>) -> Result<[u8; 32], DispatchError> {
		let hash = sp_io::hashing::blake2_256(&bytes);
		SealedBlobs::mutate(|b| b.insert(hash, (*owner, 0)));
		StoredBlobs::mutate(|s| s.push((*owner, bytes)));
		Ok(hash)
	}
	fn discard(hash: &[u8; 32], owner: &u64) {
		SealedBlobs::mutate(|b| {
			if b.get(hash) == Some(&(*owner, 0)) {
				b.remove(hash);
			}
		});
	}
}

/// The shared recording pot, funded in [`POT`], which also checks that a round credits only
/// from its budget.
pub struct MockPot;
impl RewardPot<u64, u64> for MockPot {
	fn account() -> u64 {
		RecordingPot::<u64, u64, ConstU64<POT>>::account()
	}
	fn credit(who: &u64, amount: u64, source: RewardSource) {
		assert_eq!(source, RewardSource::RoundBudget);
		RecordingPot::<u64, u64, ConstU64<POT>>::credit(who, amount, source)
	}
	fn fund(amount: u64, source: RewardSource) {
		RecordingPot::<u64, u64, ConstU64<POT>>::fund(amount, source)
	}
}

pub type MockLedger = RecordingLedger<u64>;

impl pallet_mosaic_rounds::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = MockRegistry;
	type Blobs = MockBlobs;
	type Jobs = MockJobs;
	type Rewards = MockPot;
	type Contributions = MockLedger;
	type MaxShards = ConstU32<MAX_SHARDS>;
	type ShardDeposit = ConstU64<SHARD_DEPOSIT>;
	type MaxJoinPeriod = ConstU64<MAX_JOIN>;
	type RoundRetention = ConstU64<RETENTION>;
	type UpdateRevealPeriod = ConstU64<UPDATE_REVEAL_PERIOD>;
	type DataPoints = ConstU64<DATA_POINTS>;
	type ModelPoints = ConstU64<MODEL_POINTS>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockHelper;
}

/// The model owner, who opens rounds.
pub const OWNER: u64 = 1;
/// Data owners.
pub const ANN: u64 = 2;
pub const BEN: u64 = 3;
pub const CAL: u64 = 4;
pub const DIA: u64 = 5;
/// An account with almost nothing.
pub const POOR: u64 = 6;
pub const INITIAL: u64 = 10_000;
/// The base version's royalty.
pub const ROYALTY_PERCENT: u32 = 20;

pub const BASE_PARAMS: [u8; 32] = [1; 32];
pub const VALIDATION: [u8; 32] = [2; 32];

/// Model 0 version 1 (owned by [`OWNER`], with [`BASE_PARAMS`]), the validation set, and a
/// sealed dataset `[10 + who; 32]` and update `[20 + who; 32]` for each data owner.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(OWNER, INITIAL),
			(ANN, INITIAL),
			(BEN, INITIAL),
			(CAL, INITIAL),
			(DIA, INITIAL),
			(POOR, 10),
			(POT, 1),
			(ESCROWS, 1),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Versions::set(BTreeMap::from([(
			(0, 1),
			VersionView {
				owner: OWNER,
				blob: [9; 32],
				opset: 17,
				inputs: Default::default(),
				outputs: Default::default(),
				precision: 4,
				tolerance: None,
				royalty: Permill::from_percent(ROYALTY_PERCENT),
				status: VersionStatus::Active,
				parameters: Some(BASE_PARAMS),
			},
		)]));
		let mut blobs = BTreeMap::from([(BASE_PARAMS, (OWNER, 1)), (VALIDATION, (OWNER, 0))]);
		for who in [ANN, BEN, CAL, DIA, POOR] {
			blobs.insert(dataset(who), (who, 0));
			blobs.insert(update(who), (who, 0));
		}
		SealedBlobs::set(blobs);
		Published::set(Vec::new());
		StoredBlobs::set(Vec::new());
		Jobs::set(Vec::new());
		JobsRefuse::set(false);
		PublishRefused::set(false);
		mosaic_test_utils::reset();
	});
	ext
}

pub fn dataset(who: u64) -> [u8; 32] {
	[10 + who as u8; 32]
}

pub fn update(who: u64) -> [u8; 32] {
	[20 + who as u8; 32]
}

/// Benchmarks under the mock: the fixtures above.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockHelper;
#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper<u64> for MockHelper {
	fn version_with_parameters(owner: &u64) -> (u32, u32) {
		Versions::mutate(|v| v.get_mut(&(0, 1)).map(|view| view.owner = *owner));
		(0, 1)
	}
	fn sealed_blob(owner: &u64, seed: u32) -> [u8; 32] {
		let hash = sp_io::hashing::blake2_256(&seed.to_le_bytes());
		SealedBlobs::mutate(|b| b.insert(hash, (*owner, 0)));
		hash
	}
}

/// Runs `test` in fresh externalities, then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		MosaicRounds::do_try_state().expect("pallet invariants hold");
		// Under `try-runtime`, every pallet's `try_state` hook as well, as the runtime runs them.
		#[cfg(feature = "try-runtime")]
		<AllPalletsWithSystem as frame_support::traits::TryState<u64>>::try_state(
			System::block_number(),
			frame_support::traits::TryStateSelect::All,
		)
		.expect("every pallet's try_state hook passes");
	});
}
