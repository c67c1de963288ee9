//! Test runtime for the jobs pallet: `frame_system`, `pallet_balances` and this pallet, with a
//! model registry and a blob store kept in thread-local maps, so each test sets up exactly the
//! versions and blobs it needs. Accounts are `u64`; worker keys are `UintAuthorityId`s.

use crate as pallet_mosaic_jobs;
use crate::*;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU16, ConstU32, ConstU64, ConstU8},
};
use mosaic_primitives::{
	blob::{BlobFetch, BlobKind, BlobReferences, BlobSummary, RemoteBlobBond},
	model::{TensorSchema, Tensors, VersionStatus, VersionView},
};
use mosaic_primitives::{contribution::Points, digest::ElementType};
use mosaic_test_utils::{RecordingLedger, RecordingPot};
use sp_runtime::{
	generic::UncheckedExtrinsic,
	testing::{TestSignature, UintAuthorityId},
	BuildStorage, DispatchError, Permill,
};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;
pub type Extrinsic = UncheckedExtrinsic<u64, RuntimeCall, (), ()>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		MosaicJobs: pallet_mosaic_jobs,
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

impl frame_system::offchain::SigningTypes for Test {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		_public: UintAuthorityId,
		account: u64,
		nonce: u32,
	) -> Option<Extrinsic> {
		SignedNonces::mutate(|nonces| nonces.push(nonce));
		Some(Extrinsic::new_signed(call, account, (), ()))
	}
}

/// Worker keys in tests: `UintAuthorityId`s, whose account is their number.
pub struct TestAuthId;
impl frame_system::offchain::AppCrypto<UintAuthorityId, TestSignature> for TestAuthId {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

/// Longest tensor name.
pub type NameLen = ConstU32<16>;
/// Most dimensions.
pub type Rank = ConstU32<4>;
/// Most inputs and outputs.
pub type Io = ConstU32<3>;
/// A version's tensor list.
pub type MockTensors = Tensors<NameLen, Rank, Io>;

parameter_types! {
	/// Versions by `(model, version)`.
	pub static Versions: BTreeMap<(u32, u32), VersionView<u64, MockTensors>> = BTreeMap::new();
	/// Versions marked invalid, with their code.
	pub static Invalidated: Vec<((u32, u32), u16)> = Vec::new();
	/// Sealed blobs with their reference counts.
	pub static SealedBlobs: BTreeMap<[u8; 32], u32> = BTreeMap::new();
	/// Remote blobs whose bond was forfeited.
	pub static ForfeitedBonds: Vec<[u8; 32]> = Vec::new();
	/// What the mock node answers every fetch of a remote blob with (`None`: it has it).
	pub static NotFetched: Option<mosaic_primitives::blob::FetchError> = None;
	/// Every blob the off-chain worker asked the mock node for, in order.
	pub static FetchAsked: Vec<[u8; 32]> = Vec::new();
	/// The nonce of every transaction the off-chain worker signed, in order.
	pub static SignedNonces: Vec<u32> = Vec::new();
	/// Remote blobs (registered by URI).
	pub static RemoteBlobs: Vec<[u8; 32]> = Vec::new();
	/// References to remote blobs, by blob.
	pub static RemoteRefs: BTreeMap<[u8; 32], u32> = BTreeMap::new();
	/// Blobs stored through `BlobStore`, with their owners and bytes.
	pub static StoredBlobs: Vec<(u64, Vec<u8>)> = Vec::new();
}

/// The rewards pot's account in tests.
pub const POT: u64 = 999;

/// A rewards pot that writes down what it is told; the funds sit in [`POT`].
pub type MockPot = RecordingPot<u64, u64, ConstU64<POT>>;
/// What the rewards pot owes each account.
pub type Owed = mosaic_test_utils::Owed<u64, u64>;
/// What entered the rewards pool, by source.
pub type Pooled = mosaic_test_utils::Pooled<u64>;

/// What the pot owes `who`.
pub fn owed(who: u64) -> u64 {
	Owed::get().get(&who).copied().unwrap_or(0)
}

/// Everything that entered the pool.
pub fn pooled() -> u64 {
	Pooled::get().iter().map(|(a, _)| a).sum()
}

/// An attestation ledger that writes down what it is asked to record.
pub type MockLedger = RecordingLedger<u64>;
/// Contributions recorded in the ledger.
pub type Recorded = mosaic_test_utils::Recorded<u64>;

/// The registry, read from [`Versions`].
pub struct MockRegistry;
impl ModelRegistry<u64, u64> for MockRegistry {
	type MaxTensorNameLength = NameLen;
	type MaxRank = Rank;
	type MaxIoTensors = Io;

	fn version(model: u32, version: u32) -> Option<VersionView<u64, MockTensors>> {
		Versions::get().get(&(model, version)).cloned()
	}

	fn is_runnable(model: u32, version: u32) -> bool {
		Self::version(model, version).is_some_and(|v| v.status.is_active())
	}

	fn royalty(model: u32, version: u32, fee: u64) -> Option<(u64, u64)> {
		Self::version(model, version).map(|v| (v.owner, v.royalty * fee))
	}

	fn mark_invalid(model: u32, version: u32, code: u16) -> DispatchResult {
		let mut versions = Versions::get();
		let view = versions.get_mut(&(model, version)).ok_or(DispatchError::CannotLookup)?;
		if view.status.is_active() || view.status == VersionStatus::Deprecated {
			view.status = VersionStatus::Invalid { code };
			Invalidated::mutate(|v| v.push(((model, version), code)));
		}
		Versions::set(versions);
		Ok(())
	}

	fn revalidate(model: u32, version: u32) -> DispatchResult {
		let mut versions = Versions::get();
		let view = versions.get_mut(&(model, version)).ok_or(DispatchError::CannotLookup)?;
		let VersionStatus::Invalid { .. } = view.status else {
			return Err(DispatchError::Other("not invalid"));
		};
		view.status = VersionStatus::Active;
		Versions::set(versions);
		Ok(())
	}

	fn publish_derived(_: u32, _: u32, _: [u8; 32], _: u64) -> Result<u32, DispatchError> {
		Err(DispatchError::Other("the jobs pallet never publishes versions"))
	}
}

/// The blob store, read from [`SealedBlobs`].
pub struct MockBlobs;
impl BlobInspect<u64> for MockBlobs {
	fn blob(hash: &[u8; 32]) -> Option<BlobSummary<u64>> {
		let summary = |kind, refs| BlobSummary { owner: 0, byte_len: BLOB_SIZE, kind, refs };
		match SealedBlobs::get().get(hash) {
			Some(refs) => Some(summary(BlobKind::Sealed, *refs)),
			None => RemoteBlobs::get().contains(hash).then(|| {
				summary(BlobKind::Remote, RemoteRefs::get().get(hash).copied().unwrap_or(0))
			}),
		}
	}
	fn is_sealed(hash: &[u8; 32]) -> bool {
		SealedBlobs::get().contains_key(hash)
	}
	fn size(hash: &[u8; 32]) -> Option<u64> {
		SealedBlobs::get().contains_key(hash).then_some(BLOB_SIZE)
	}
}
impl BlobReferences for MockBlobs {
	fn add_ref(hash: &[u8; 32]) -> DispatchResult {
		if RemoteBlobs::get().contains(hash) {
			RemoteRefs::mutate(|r| *r.entry(*hash).or_default() += 1);
			return Ok(());
		}
		SealedBlobs::mutate(|b| b.get_mut(hash).map(|n| *n += 1)).ok_or(DispatchError::CannotLookup)
	}
	fn remove_ref(hash: &[u8; 32]) -> DispatchResult {
		if RemoteBlobs::get().contains(hash) {
			return RemoteRefs::mutate(|r| r.get_mut(hash).filter(|n| **n > 0).map(|n| *n -= 1))
				.ok_or(DispatchError::CannotLookup);
		}
		SealedBlobs::mutate(|b| b.get_mut(hash).filter(|n| **n > 0).map(|n| *n -= 1))
			.ok_or(DispatchError::CannotLookup)
	}
}
/// Every blob is local, unless a test makes the mock node answer [`NotFetched`].
impl BlobFetch for MockBlobs {
	fn ensure_local(hash: &[u8; 32]) -> Result<(), mosaic_primitives::blob::FetchError> {
		FetchAsked::mutate(|asked| asked.push(*hash));
		NotFetched::get().map_or(Ok(()), Err)
	}
}

/// Every remote blob's bond in tests.
pub const URI_BOND: u64 = 61;

/// A remote blob's bond is minted into `to` the first time it is forfeited (the mock keeps no
/// holds); later forfeits of it pay nothing.
impl RemoteBlobBond<u64, u64> for MockBlobs {
	fn forfeit_bond(hash: &[u8; 32], to: &u64) -> u64 {
		use frame_support::traits::fungible::Mutate;
		if !RemoteBlobs::get().contains(hash) || ForfeitedBonds::get().contains(hash) {
			return 0;
		}
		ForfeitedBonds::mutate(|f| f.push(*hash));
		Balances::mint_into(to, URI_BOND).expect("minting a bond")
	}
}

/// Every sealed blob's size in tests.
pub const BLOB_SIZE: u64 = 40;
/// Where stored blobs' deposits go in tests.
pub const BLOB_DEPOSITS: u64 = 998;

/// Deposits are one per byte plus five; storing moves the deposit to [`BLOB_DEPOSITS`].
impl BlobStore<u64, u64> for MockBlobs {
	fn deposit_for(bytes: u64) -> u64 {
		bytes + 5
	}
	fn store(owner: &u64, bytes: Vec<u8>) -> Result<[u8; 32], DispatchError> {
		use frame_support::traits::{fungible::Mutate, tokens::Preservation};
		let hash = sp_io::hashing::blake2_256(&bytes);
		let deposit = Self::deposit_for(bytes.len() as u64);
		Balances::transfer(owner, &BLOB_DEPOSITS, deposit, Preservation::Preserve)?;
		SealedBlobs::mutate(|b| b.insert(hash, 0));
		StoredBlobs::mutate(|s| s.push((*owner, bytes)));
		Ok(hash)
	}
	/// Owners are not tracked here: drops `hash` if unreferenced (the jobs pallet never
	/// discards).
	fn discard(hash: &[u8; 32], _owner: &u64) {
		SealedBlobs::mutate(|b| {
			if b.get(hash) == Some(&0) {
				b.remove(hash);
			}
		});
	}
}

/// What the mock observer knows: the jobs it owns, and the ends it heard of.
pub type Observed = (Vec<u64>, Vec<(u64, mosaic_primitives::rounds::JobEnd)>);

std::thread_local! {
	/// Jobs the mock observer owns, and the ends it heard of.
	pub static OBSERVED: core::cell::RefCell<Observed> = Default::default();
}

/// An observer that owns the jobs in `OBSERVED.0` and records every job end.
pub struct MockObserver;
impl mosaic_primitives::rounds::JobObserver for MockObserver {
	fn owns(job: u64) -> bool {
		OBSERVED.with(|o| o.borrow().0.contains(&job))
	}
	fn job_ended(job: u64, end: mosaic_primitives::rounds::JobEnd) {
		OBSERVED.with(|o| o.borrow_mut().1.push((job, end)));
	}
	const MAX_END_ACCESSES: (u64, u64) = (0, 0);
}

pub const MIN_STAKE: u64 = 1_000;
pub const PROTOCOL_FEE: u64 = 7;
pub const MIN_FEE: u64 = 10;
/// Per value a reveal may carry: with `MaxOutputValues`, a full reveal needs more than `MIN_FEE`.
pub const REVEAL_FEE_PER_VALUE: u64 = 1;
pub const DISSENT_SLASH: u64 = 300;
pub const NO_REVEAL_SLASH: u64 = 100;
pub const COMMIT_PERIOD: u64 = 3;
pub const REVEAL_PERIOD: u64 = 3;
pub const UNBOND_DELAY: u64 = 5;
pub const RETENTION: u64 = 20;
pub const MAX_MISSED: u32 = 2;
pub const MAX_WORKERS: u32 = 8;
pub const MAX_OUTPUT_VALUES: u32 = 16;
pub const MAX_EPOCHS: u16 = 50;
pub const COMPUTE_POINTS: Points = 10;
pub const VALIDATION_POINTS: Points = 3;
pub const MODEL_POINTS: Points = 2;

/// Stands in for BABE's VRF output with the parent block's hash, whatever the subject, so a
/// test chooses a draw (and a tie-break) by setting the parent hash.
pub struct ParentHashRandomness;

impl frame_support::traits::Randomness<sp_core::H256, u64> for ParentHashRandomness {
	fn random(_subject: &[u8]) -> (sp_core::H256, u64) {
		(System::parent_hash(), System::block_number().saturating_sub(1))
	}
}

impl pallet_mosaic_jobs::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = MockRegistry;
	type Blobs = MockBlobs;
	type Rewards = MockPot;
	type Contributions = MockLedger;
	type ComputePoints = ConstU64<COMPUTE_POINTS>;
	type ValidationPoints = ConstU64<VALIDATION_POINTS>;
	type ModelPoints = ConstU64<MODEL_POINTS>;
	type AuthorityId = TestAuthId;
	type KeyProof = TestSignature;
	type MinStake = ConstU64<MIN_STAKE>;
	type UnbondDelay = ConstU64<UNBOND_DELAY>;
	type MaxCapacity = ConstU32<4>;
	type MaxWorkers = ConstU32<MAX_WORKERS>;
	type MaxMissed = ConstU32<MAX_MISSED>;
	type MaxReplication = ConstU8<5>;
	type MaxEscalations = ConstU8<1>;
	type EscalationWorkers = ConstU8<2>;
	type MaxAssignees = ConstU32<7>;
	type ProtocolFee = ConstU64<PROTOCOL_FEE>;
	type MinFeePerWorker = ConstU64<MIN_FEE>;
	type RevealFeePerValue = ConstU64<REVEAL_FEE_PER_VALUE>;
	type DissentSlash = ConstU64<DISSENT_SLASH>;
	type NoRevealSlash = ConstU64<NO_REVEAL_SLASH>;
	type CommitPeriod = ConstU64<COMMIT_PERIOD>;
	type RevealPeriod = ConstU64<REVEAL_PERIOD>;
	type MaxDeadline = ConstU64<100>;
	type Retention = ConstU64<RETENTION>;
	type MaxQueued = ConstU32<8>;
	type MaxAssignPerBlock = ConstU32<4>;
	type MaxDeadlinesPerBlock = ConstU32<8>;
	type MaxTrainingEpochs = ConstU16<MAX_EPOCHS>;
	type MaxInlineInputBytes = ConstU32<64>;
	type MaxOutputValues = ConstU32<MAX_OUTPUT_VALUES>;
	type Observer = MockObserver;
	type Randomness = ParentHashRandomness;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockHelper;
}

/// Registers versions in the mock registry for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockHelper;
#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper<u64, TestSignature> for MockHelper {
	fn runnable_version(owner: &u64) -> (u32, u32) {
		add_version(0, 1, *owner, Some(1));
		(0, 1)
	}

	fn sealed_blob(_owner: &u64, seed: u32) -> [u8; 32] {
		let hash = sp_io::hashing::blake2_256(&seed.to_le_bytes());
		SealedBlobs::mutate(|b| b.insert(hash, 0));
		hash
	}
	fn worker_key(worker: &u64) -> (u64, TestSignature) {
		let key = 1_000_000 + *worker;
		(key, key_proof(key, *worker))
	}
}

/// Worker key `key`'s proof for `worker`: the mock's signatures are the signer and the message.
pub fn key_proof(key: u64, worker: u64) -> TestSignature {
	TestSignature(key, crate::key_proof_message(&worker))
}

/// One tensor of a version's schema, with the mock registry's bounds.
pub type Schema =
	TensorSchema<BoundedVec<u8, NameLen>, BoundedVec<Dim<BoundedVec<u8, NameLen>>, Rank>>;

/// A schema tensor.
pub fn schema(
	name: &str,
	element_type: ElementType,
	shape: Vec<Dim<BoundedVec<u8, NameLen>>>,
) -> Schema {
	TensorSchema {
		name: name.as_bytes().to_vec().try_into().unwrap(),
		element_type,
		shape: shape.try_into().unwrap(),
	}
}

/// Adds an active version whose input is `x: f32[n]` and output `y`, owned by `owner`, with a
/// 10 % royalty, precision 3 and the given tolerance.
pub fn add_version(model: u32, version: u32, owner: u64, tolerance: Option<u64>) {
	let n = Dim::Symbolic(b"n".to_vec().try_into().unwrap());
	let view = VersionView {
		owner,
		blob: [model as u8; 32],
		opset: 13,
		inputs: vec![schema("x", ElementType::F32, vec![n.clone()])].try_into().unwrap(),
		outputs: vec![schema("y", ElementType::F32, vec![n])].try_into().unwrap(),
		precision: 3,
		tolerance,
		royalty: Permill::from_percent(10),
		status: VersionStatus::Active,
		parameters: None,
	};
	Versions::mutate(|v| v.insert((model, version), view));
}

/// The model owner in tests.
pub const OWNER: u64 = 50;
/// The requester in tests.
pub const ALICE: u64 = 1;
/// Workers 10..=14 sign with keys 110..=114.
pub fn key_of(worker: u64) -> u64 {
	worker + 100
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	Versions::take();
	Invalidated::take();
	SealedBlobs::take();
	NotFetched::set(None);
	ForfeitedBonds::take();
	StoredBlobs::take();
	RemoteBlobs::take();
	mosaic_test_utils::reset();
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(u64, u64)> =
		vec![(ALICE, 100_000), (2, 100_000), (OWNER, 10), (POT, 1), (BLOB_DEPOSITS, 1)];
	balances.extend((10..=17).map(|w| (w, 10_000)));
	balances.extend((110..=117).map(|k| (k, 10)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_mosaic_jobs::GenesisConfig::<Test> { min_replication: 1, workers: vec![] }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		add_version(0, 1, OWNER, None);
		SealedBlobs::mutate(|b| b.insert([0xbb; 32], 0));
	});
	ext
}

/// Runs `test` in fresh externalities, then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	execute_and_check(&mut new_test_ext(), test)
}

/// Runs `test` in `ext` (with extensions registered by the caller), then checks the pallet's
/// invariants.
pub fn execute_and_check<R>(ext: &mut sp_io::TestExternalities, test: impl FnOnce() -> R) -> R {
	ext.execute_with(|| {
		let result = test();
		MosaicJobs::do_try_state().expect("pallet invariants hold");
		result
	})
}
