//! One mock runtime with every Mosaic pallet, wired as `runtime/src/configs.rs` wires them:
//! the registry reads the blob store and asks jobs whether a model is in use; jobs read the
//! registry and the blob store, pay into the rewards pot, record in the attestation ledger and
//! report job ends to rounds; the ledger tells the rewards pallet of points and era ends;
//! rounds submit jobs and pay through the pot. Accounts and balances are `u64`; worker keys
//! are accounts (`UintAuthorityId`s), as in the jobs pallet's mock. Eras, phases and joining
//! periods are a few blocks long.

use codec::Encode;
use frame_support::{
	assert_ok, derive_impl,
	dispatch::{Pays, PostDispatchInfo},
	parameter_types,
	traits::{
		fungible::{Inspect, InspectHold},
		ConstU16, ConstU32, ConstU64, ConstU8, OnFinalize, OnIdle, OnInitialize,
	},
	weights::Weight,
	PalletId,
};
use mosaic_primitives::{
	blob::{BlobHash, BlobInspect},
	contribution::{Points, PointsByKind},
	digest::ElementType,
	model::Dim,
};
use pallet_mosaic_jobs::{
	commitment, Digest, JobInput, OutcomeOf, OutputTensor, Salt, WorkerStatus,
};
use sp_runtime::{
	generic::UncheckedExtrinsic,
	testing::{TestSignature, UintAuthorityId},
	traits::Dispatchable,
	BuildStorage, Permill,
};
use std::collections::BTreeMap;

pub use pallet_mosaic_attestations as attestations;
pub use pallet_mosaic_blobs as blobs;
pub use pallet_mosaic_jobs as jobs;
pub use pallet_mosaic_models as models;
pub use pallet_mosaic_rewards as rewards;
pub use pallet_mosaic_rounds as rounds;

pub type AccountId = u64;
pub type Balance = u64;
type Block = frame_system::mocking::MockBlock<Runtime>;
pub type Extrinsic = UncheckedExtrinsic<AccountId, RuntimeCall, (), ()>;

// In the runtime's order, so hooks run in the same order: jobs settle before the ledger ends
// an era, and the ledger ends it before the rewards pallet mints the block's emission.
frame_support::construct_runtime!(
	pub enum Runtime {
		System: frame_system,
		Balances: pallet_balances,
		Blobs: pallet_mosaic_blobs,
		Models: pallet_mosaic_models,
		Jobs: pallet_mosaic_jobs,
		Attestations: pallet_mosaic_attestations,
		Rewards: pallet_mosaic_rewards,
		Rounds: pallet_mosaic_rounds,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Runtime {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Every blob entry holds 10 plus 1 per byte.
pub const BLOB_DEPOSIT_BASE: Balance = 10;
pub const BLOB_DEPOSIT_PER_BYTE: Balance = 1;
/// Held from a URI's registrant on top of its deposit.
pub const URI_BOND: Balance = 600;
pub const MAX_BLOB: u64 = 4096;

impl pallet_mosaic_blobs::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositBase = ConstU64<BLOB_DEPOSIT_BASE>;
	type DepositPerByte = ConstU64<BLOB_DEPOSIT_PER_BYTE>;
	type UriBond = ConstU64<URI_BOND>;
	type MaxInlineBlobSize = ConstU32<1024>;
	type MaxChunkSize = ConstU32<256>;
	type MaxBlobSize = ConstU64<MAX_BLOB>;
	type MaxRemoteBlobSize = ConstU64<{ 1 << 30 }>;
	type MaxUriLength = ConstU32<64>;
	type UploadTimeout = ConstU64<10>;
	type WeightInfo = ();
}

/// Every model entry and version holds 20 plus 1 per byte of metadata or encoded spec.
pub const MODEL_DEPOSIT_BASE: Balance = 20;
pub const MODEL_DEPOSIT_PER_BYTE: Balance = 1;

parameter_types! {
	pub const MaxRoyalty: Permill = Permill::from_percent(50);
}

impl pallet_mosaic_models::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Blobs = Blobs;
	type JobsInUse = Jobs;
	type OwnerGone = Rounds;
	type DepositBase = ConstU64<MODEL_DEPOSIT_BASE>;
	type DepositPerByte = ConstU64<MODEL_DEPOSIT_PER_BYTE>;
	type MaxNameLength = ConstU32<32>;
	type MaxDescriptionLength = ConstU32<64>;
	type MaxLicenseLength = ConstU32<16>;
	type MaxTensorNameLength = ConstU32<16>;
	type MaxRank = ConstU32<4>;
	/// Room for an aggregation's outputs: parameters, verdicts, losses and norms.
	type MaxIoTensors = ConstU32<4>;
	type MaxVersions = ConstU32<8>;
	type MaxModelBlobSize = ConstU64<{ 1 << 30 }>;
	type MinOpset = ConstU32<{ mosaic_primitives::onnx::MIN_OPSET }>;
	type MaxOpset = ConstU32<{ mosaic_primitives::onnx::MAX_OPSET }>;
	type MaxRoyalty = MaxRoyalty;
	type WeightInfo = ();
}

impl frame_system::offchain::SigningTypes for Runtime {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		_public: UintAuthorityId,
		account: AccountId,
		_nonce: u32,
	) -> Option<Extrinsic> {
		Some(Extrinsic::new_signed(call, account, (), ()))
	}
}

/// Worker keys: `UintAuthorityId`s, whose account is their number.
pub struct TestAuthId;
impl frame_system::offchain::AppCrypto<UintAuthorityId, TestSignature> for TestAuthId {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

pub const MIN_STAKE: Balance = 1_000;
/// Kept from every job that reached workers. With `MOST_POINTS_PER_PROTOCOL_FEE` (178) it caps
/// an era's reward at 9 per point.
pub const PROTOCOL_FEE: Balance = 9 * MOST_POINTS_PER_PROTOCOL_FEE as Balance;
pub const MIN_FEE: Balance = 10;
pub const DISSENT_SLASH: Balance = 300;
pub const NO_REVEAL_SLASH: Balance = 100;
pub const COMMIT_PERIOD: u64 = 3;
pub const REVEAL_PERIOD: u64 = 3;
pub const RETENTION: u64 = 20;
/// The runtime's points: running a job, confirming another's result, the model it ran on.
pub const COMPUTE_POINTS: Points = 15;
pub const VALIDATION_POINTS: Points = 5;
pub const MODEL_POINTS: Points = 3;

/// Stands in for BABE's VRF output with the parent block's hash, whatever the subject, so a
/// test chooses a draw (and a tie-break) by setting the parent hash.
pub struct ParentHashRandomness;

impl frame_support::traits::Randomness<sp_core::H256, u64> for ParentHashRandomness {
	fn random(_subject: &[u8]) -> (sp_core::H256, u64) {
		(System::parent_hash(), System::block_number().saturating_sub(1))
	}
}

impl pallet_mosaic_jobs::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Blobs = Blobs;
	type Rewards = Rewards;
	type Contributions = Attestations;
	type ComputePoints = ConstU64<COMPUTE_POINTS>;
	type ValidationPoints = ConstU64<VALIDATION_POINTS>;
	type ModelPoints = ConstU64<MODEL_POINTS>;
	type AuthorityId = TestAuthId;
	type KeyProof = TestSignature;
	type MinStake = ConstU64<MIN_STAKE>;
	type UnbondDelay = ConstU64<5>;
	type MaxCapacity = ConstU32<4>;
	type MaxWorkers = ConstU32<8>;
	type MaxMissed = ConstU32<3>;
	type MaxReplication = ConstU8<5>;
	type MaxEscalations = ConstU8<1>;
	type EscalationWorkers = ConstU8<2>;
	type MaxAssignees = ConstU32<7>;
	type ProtocolFee = ConstU64<PROTOCOL_FEE>;
	type MinFeePerWorker = ConstU64<MIN_FEE>;
	type RevealFeePerValue = ConstU64<1>;
	type DissentSlash = ConstU64<DISSENT_SLASH>;
	type NoRevealSlash = ConstU64<NO_REVEAL_SLASH>;
	type CommitPeriod = ConstU64<COMMIT_PERIOD>;
	type RevealPeriod = ConstU64<REVEAL_PERIOD>;
	type MaxDeadline = ConstU64<100>;
	type Retention = ConstU64<RETENTION>;
	type MaxQueued = ConstU32<16>;
	type MaxAssignPerBlock = ConstU32<8>;
	type MaxDeadlinesPerBlock = ConstU32<16>;
	type MaxTrainingEpochs = ConstU16<50>;
	type MaxInlineInputBytes = ConstU32<256>;
	type MaxOutputValues = ConstU32<64>;
	type Observer = Rounds;
	type Randomness = ParentHashRandomness;
	type WeightInfo = ();
}

/// Eras of ten blocks: era 0 ends in block 10's `on_initialize`.
pub const ERA_LENGTH: u64 = 10;

/// The most points one protocol fee can buy: a job on `MaxReplication` (5) agreeing workers
/// (compute and validation each) and its model, plus a round's data and model points for the
/// shard it trains.
pub const MOST_POINTS_PER_PROTOCOL_FEE: Points = 5 * (COMPUTE_POINTS + VALIDATION_POINTS)
	+ MODEL_POINTS
	+ ROUND_DATA_POINTS
	+ ROUND_MODEL_POINTS;

parameter_types! {
	pub const RewardsPotId: PalletId = PalletId(*b"msc/rwrd");
	pub const PointPrice: (Balance, Points) = (PROTOCOL_FEE, MOST_POINTS_PER_PROTOCOL_FEE);
}

impl pallet_mosaic_attestations::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Listener = Rewards;
	type HistoryDepth = ConstU32<4>;
	type DefaultEraLength = ConstU64<ERA_LENGTH>;
	type MaxReasonLength = ConstU32<32>;
	type WeightInfo = ();
}

impl pallet_mosaic_rewards::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type PotId = RewardsPotId;
	type PointPrice = PointPrice;
	type WeightInfo = ();
}

pub const SHARD_DEPOSIT: Balance = 50;
/// The runtime's points for a completed round: data shared by rows, the improved model.
pub const ROUND_DATA_POINTS: Points = 60;
pub const ROUND_MODEL_POINTS: Points = 15;

impl pallet_mosaic_rounds::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Blobs = Blobs;
	type Jobs = Jobs;
	type Rewards = Rewards;
	type Contributions = Attestations;
	type MaxShards = ConstU32<4>;
	type ShardDeposit = ConstU64<SHARD_DEPOSIT>;
	type MaxJoinPeriod = ConstU64<50>;
	type RoundRetention = ConstU64<20>;
	type UpdateRevealPeriod = ConstU64<5>;
	type DataPoints = ConstU64<ROUND_DATA_POINTS>;
	type ModelPoints = ConstU64<ROUND_MODEL_POINTS>;
	type WeightInfo = ();
}

// ---------------------------------------------------------------- accounts and genesis

/// Owns the model (and opens rounds on it).
pub const OWNER: AccountId = 1;
/// Pays for jobs.
pub const ALICE: AccountId = 2;
/// Data owners.
pub const ANN: AccountId = 3;
pub const BEN: AccountId = 4;
pub const CAL: AccountId = 5;
/// Workers; worker `w` signs with key `w + 100`.
pub const WORKERS: [AccountId; 4] = [10, 11, 12, 13];
pub const INITIAL: Balance = 1_000_000;
pub const WORKER_INITIAL: Balance = 10_000;
/// Minted into the rewards pool in every block's `on_initialize`.
pub const EMISSION: Balance = 70;

pub fn key_of(worker: AccountId) -> AccountId {
	worker + 100
}

/// The rewards pot's account.
pub fn pot() -> AccountId {
	Rewards::pot_account()
}

/// Funded accounts, the pot (holding the existential deposit) and the emission, at block 1
/// (events are not recorded at block 0). No workers yet: tests register them.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Runtime>::default().build_storage().unwrap();
	let mut balances = vec![(OWNER, INITIAL), (ALICE, INITIAL), (ANN, INITIAL)];
	balances.extend([BEN, CAL].map(|who| (who, INITIAL)));
	balances.extend(WORKERS.map(|w| (w, WORKER_INITIAL)));
	pallet_balances::GenesisConfig::<Runtime> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_mosaic_jobs::GenesisConfig::<Runtime> { min_replication: 1, workers: vec![] }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_mosaic_attestations::GenesisConfig::<Runtime> { era_length: None }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_mosaic_rewards::GenesisConfig::<Runtime> { emission_per_block: EMISSION }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` in fresh externalities, then [`check_invariants`].
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		check_invariants();
	});
}

/// Every pallet's own invariants (`do_try_state`), then the invariants that span pallets
/// ([`check_cross_pallet_invariants`]). Run after every test and every block.
pub fn check_invariants() {
	Blobs::do_try_state().expect("blob store invariants hold");
	Models::do_try_state().expect("registry invariants hold");
	Jobs::do_try_state().expect("jobs invariants hold");
	Attestations::do_try_state().expect("ledger invariants hold");
	Rewards::do_try_state().expect("rewards invariants hold");
	Rounds::do_try_state().expect("rounds invariants hold");
	check_cross_pallet_invariants();
}

// ---------------------------------------------------------------- blocks and events

/// Finalizes the current block and initializes the following ones up to `n`, as the
/// executive would (with `on_idle`, where the ledger prunes); every block gets its own parent
/// hash, which seeds assignment. The invariants are checked after each block's hooks, as
/// try-runtime would.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let now = System::block_number();
		AllPalletsWithSystem::on_idle(now, Weight::MAX);
		AllPalletsWithSystem::on_finalize(now);
		let next = now + 1;
		System::set_block_number(next);
		System::set_parent_hash(sp_core::H256::from(sp_io::hashing::blake2_256(&next.encode())));
		AllPalletsWithSystem::on_initialize(next);
		check_invariants();
	}
}

/// The events since the last call (or the start), and forgets them.
pub fn take_events() -> Vec<RuntimeEvent> {
	let events = System::events().into_iter().map(|r| r.event).collect();
	System::reset_events();
	events
}

/// Dispatches `call` from `who` as an extrinsic would reach the pallet, and returns its
/// post-dispatch info (to check who pays).
pub fn dispatch(who: AccountId, call: impl Into<RuntimeCall>) -> PostDispatchInfo {
	let call: RuntimeCall = call.into();
	call.dispatch(RuntimeOrigin::signed(who)).expect("the call succeeds")
}

// ---------------------------------------------------------------- fixtures

/// Revealed values of one output tensor.
type Values = frame_support::BoundedVec<i64, ConstU32<64>>;

pub fn held(reason: impl Into<RuntimeHoldReason>, who: AccountId) -> Balance {
	Balances::balance_on_hold(&reason.into(), &who)
}

pub fn free(who: AccountId) -> Balance {
	Balances::free_balance(who)
}

/// Every hold of `who`, whatever its reason.
pub fn total_held(who: AccountId) -> Balance {
	Balances::total_balance_on_hold(&who)
}

pub fn total_issuance() -> Balance {
	Balances::total_issuance()
}

/// The blob deposit of `bytes` bytes.
pub fn blob_deposit(bytes: usize) -> Balance {
	BLOB_DEPOSIT_BASE + BLOB_DEPOSIT_PER_BYTE * bytes as Balance
}

/// Stores `bytes` as a blob of `who` with `Blobs::store`; returns its hash.
pub fn store_blob(who: AccountId, bytes: &[u8]) -> BlobHash {
	assert_ok!(Blobs::store(RuntimeOrigin::signed(who), bytes.to_vec().try_into().unwrap()));
	sp_io::hashing::blake2_256(bytes)
}

/// The references other pallets hold to a blob.
pub fn refs(hash: &BlobHash) -> u32 {
	Blobs::blob(hash).expect("the blob exists").refs
}

/// Bytes standing for an ONNX model: the chain checks hashes, sizes and owners, never the
/// graph (that is the executor's job).
pub const MODEL_BYTES: &[u8] = b"an onnx graph: y = 2 * x";

pub type VersionSpec = models::VersionSpecOf<Runtime>;

fn name<S: frame_support::traits::Get<u32>>(s: &str) -> frame_support::BoundedVec<u8, S> {
	s.as_bytes().to_vec().try_into().unwrap()
}

/// A tensor `name` of shape `[n]`.
pub fn tensor_schema(name_: &str, element_type: ElementType) -> models::TensorSchemaOf<Runtime> {
	models::TensorSchema {
		name: name(name_),
		element_type,
		shape: vec![Dim::Symbolic(name("n"))].try_into().unwrap(),
	}
}

/// Precision of the model's outputs: floats are revealed as `round(x * 1000)`.
pub const PRECISION: u8 = 3;
/// The model's royalty on a job's fees (and on what a round's budget has left).
pub const ROYALTY_PERCENT: u32 = 10;

/// A version of `blob` taking `x: f32[n]` and giving `y: f32[n]`, exact (no tolerance), with
/// a 10 % royalty, trained from `parameters` if given.
pub fn version_spec(blob: BlobHash, parameters: Option<BlobHash>) -> VersionSpec {
	models::VersionSpec {
		blob,
		opset: 17,
		inputs: vec![tensor_schema("x", ElementType::F32)].try_into().unwrap(),
		outputs: vec![tensor_schema("y", ElementType::F32)].try_into().unwrap(),
		precision: PRECISION,
		tolerance: None,
		royalty: Permill::from_percent(ROYALTY_PERCENT),
		parent: None,
		parameters,
	}
}

/// Registers model `model_name` owned by [`OWNER`] with `spec` as version 1; returns its id.
pub fn register_model(model_name: &str, spec: VersionSpec) -> u32 {
	let id = models::NextModelId::<Runtime>::get();
	assert_ok!(Models::register_model(
		RuntimeOrigin::signed(OWNER),
		name(model_name),
		name("doubles its input"),
		name("apache-2.0"),
		spec,
	));
	id
}

/// Worker key `key`'s proof for `worker` (the mock's signatures are the signer and the message).
pub fn key_proof(key: AccountId, worker: AccountId) -> TestSignature {
	TestSignature(key, jobs::key_proof_message(&worker))
}

/// Registers `worker` with twice the minimum stake, capacity 4, signing with [`key_of`].
pub fn register_worker(worker: AccountId) {
	assert_ok!(Jobs::register_worker(
		RuntimeOrigin::signed(worker),
		key_of(worker),
		2 * MIN_STAKE,
		4,
		key_proof(key_of(worker), worker),
	));
}

pub const WORKER_STAKE: Balance = 2 * MIN_STAKE;

/// Inline input `x: f32[values.len()]`.
pub fn inline_x(values: &[f32]) -> jobs::JobInputOf<Runtime> {
	JobInput::Inline(
		vec![jobs::InlineTensor {
			name: name("x"),
			element_type: ElementType::F32,
			shape: vec![values.len() as u64].try_into().unwrap(),
			data: values
				.iter()
				.flat_map(|v| v.to_le_bytes())
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
		}]
		.try_into()
		.unwrap(),
	)
}

/// A revealed output tensor of quantised `values`.
pub fn output(
	name_: &str,
	element_type: ElementType,
	values: &[i64],
) -> OutputTensor<jobs::NameOf<Runtime>, jobs::ShapeOf<Runtime>, Values> {
	OutputTensor {
		name: name(name_),
		element_type,
		shape: vec![values.len() as u64].try_into().unwrap(),
		elements: values.to_vec().try_into().unwrap(),
	}
}

/// Outputs `y` with quantised `values`.
pub fn outputs_y(values: &[i64]) -> OutcomeOf<Runtime> {
	jobs::Outcome::Outputs(vec![output("y", ElementType::F32, values)].try_into().unwrap())
}

/// A worker's salt.
pub fn salt(worker: AccountId) -> Salt {
	[worker as u8; 32]
}

/// The digest a worker commits to for `outcome`.
pub fn digest_of(outcome: &OutcomeOf<Runtime>) -> Digest {
	Jobs::outcome_digest(outcome, PRECISION).unwrap()
}

/// `worker` commits to `outcome` for `job` with the extrinsic its node would send, signed by
/// its worker key; successful commits are free.
pub fn commit(worker: AccountId, job: u64, outcome: &OutcomeOf<Runtime>) {
	let commitment = commitment(&digest_of(outcome), &salt(worker), &worker);
	let post = dispatch(key_of(worker), jobs::Call::<Runtime>::commit { job, commitment });
	assert_eq!(post.pays_fee, Pays::No);
}

/// `worker` reveals `outcome` for `job`, signed by its worker key; successful reveals are free.
pub fn reveal(worker: AccountId, job: u64, outcome: &OutcomeOf<Runtime>) {
	let call = jobs::Call::<Runtime>::reveal { job, salt: salt(worker), outcome: outcome.clone() };
	let post = dispatch(key_of(worker), call);
	assert_eq!(post.pays_fee, Pays::No);
}

/// `worker` opens its commitment to `outcome` for `job` in the opening phase of a job with more
/// than one worker, signed by its worker key: the outcome's digest, or the whole abstention
/// (which needs no reveal later); successful openings are free.
pub fn open(worker: AccountId, job: u64, outcome: &OutcomeOf<Runtime>) {
	let opening = match outcome {
		jobs::Outcome::CouldNotRun { code } => jobs::Opening::CouldNotRun { code: *code },
		_ => jobs::Opening::Digest(digest_of(outcome)),
	};
	let call = jobs::Call::<Runtime>::open { job, salt: salt(worker), opening };
	let post = dispatch(key_of(worker), call);
	assert_eq!(post.pays_fee, Pays::No);
}

/// The committed workers of one attempt of `job` open their commitments to their outcomes,
/// then reveal them in the disclosure that follows (the attempt must not escalate): what
/// [`reveal`] alone does for a job with one worker. Abstentions are whole once opened.
pub fn open_and_reveal(job: u64, outcomes: &[(AccountId, OutcomeOf<Runtime>)]) {
	outcomes.iter().for_each(|(w, outcome)| open(*w, job, outcome));
	end_deferred_opening(job);
	outcomes
		.iter()
		.filter(|(_, outcome)| !matches!(outcome, jobs::Outcome::CouldNotRun { .. }))
		.for_each(|(w, outcome)| reveal(*w, job, outcome));
}

/// Runs the next block when the last opening left the end of `job`'s opening phase to it (no
/// quorum of digests: the end may draw workers, which never happens inside an extrinsic).
pub fn end_deferred_opening(job: u64) {
	if matches!(job_info(job).status, jobs::JobStatus::Opening { .. }) {
		run_to_block(System::block_number() + 1);
	}
}

pub fn job_info(id: u64) -> jobs::JobInfoOf<Runtime> {
	jobs::Jobs::<Runtime>::get(id).expect("the job exists")
}

/// The workers assigned to a job, sorted.
pub fn assignees(id: u64) -> Vec<AccountId> {
	let mut workers: Vec<_> = job_info(id).assignees.iter().map(|a| a.worker).collect();
	workers.sort();
	workers
}

/// What the pot owes `who` now (fees and royalties at once, era shares once the era ended).
pub fn pending(who: AccountId) -> Balance {
	Rewards::pending(&who)
}

// ---------------------------------------------------------------- cross-pallet invariants

/// What no single pallet can check, because it spans several:
/// - every account's holds match the records that justify them: a requester's job escrow is
///   the sum of its unfinished jobs' `held`, a worker's stake hold its bonded plus unbonding
///   stake, a round creator's budget hold what its open rounds have not spent, a data owner's
///   shard hold its open shards' deposits;
/// - every blob's reference count is exactly the references the registry (each version's model
///   and parameters), the jobs pallet (unfinished jobs' blobs) and rounds (open rounds'
///   validation sets, trained updates and aggregated parameters) hold;
/// - the jobs pallet's bookkeeping: worker keys, counts, the assignment pool, open jobs per
///   model, the queue;
/// - the ledger's era totals are the sums of its accounts' points and of its records;
/// - the pot holds the existential deposit, the pool and everything owed, and owes at least
///   what its accounts can claim.
pub fn check_cross_pallet_invariants() {
	use jobs::HoldReason as JobsHold;
	use rounds::HoldReason as RoundsHold;

	// Holds.
	let mut escrows: BTreeMap<AccountId, Balance> = BTreeMap::new();
	let mut open_jobs: BTreeMap<u32, u32> = BTreeMap::new();
	let mut blob_refs: BTreeMap<BlobHash, u32> = BTreeMap::new();
	let mut add_ref = |hash: BlobHash| *blob_refs.entry(hash).or_default() += 1;
	for (_, info) in jobs::Jobs::<Runtime>::iter() {
		if !info.status.is_finished() {
			*escrows.entry(info.requester).or_default() += info.held;
			*open_jobs.entry(info.model).or_default() += 1;
			info.blob_refs.iter().for_each(|hash| add_ref(*hash));
		}
	}
	let mut budgets: BTreeMap<AccountId, Balance> = BTreeMap::new();
	let mut shard_deposits: BTreeMap<AccountId, Balance> = BTreeMap::new();
	for (id, info) in rounds::Rounds::<Runtime>::iter() {
		match info.status {
			rounds::RoundStatus::Completed { .. } | rounds::RoundStatus::Failed(_) => {
				assert!(
					rounds::Shards::<Runtime>::iter_prefix(id).next().is_none(),
					"an ended round keeps shards"
				);
				continue;
			},
			rounds::RoundStatus::Aggregated { parameters: Some(parameters), .. } => {
				add_ref(parameters)
			},
			_ => {},
		}
		*budgets.entry(info.creator).or_default() += info.budget - info.spent;
		add_ref(info.validation);
		for (_, shard) in rounds::Shards::<Runtime>::iter_prefix(id) {
			*shard_deposits.entry(shard.owner).or_default() += shard.deposit;
			if let rounds::ShardStatus::Trained { update } = shard.status {
				add_ref(update);
			}
		}
	}
	for who in frame_system::Account::<Runtime>::iter_keys() {
		let get = |map: &BTreeMap<AccountId, Balance>| map.get(&who).copied().unwrap_or(0);
		assert_eq!(held(JobsHold::JobEscrow, who), get(&escrows), "job escrow of {who}");
		assert_eq!(held(RoundsHold::RoundBudget, who), get(&budgets), "round budget of {who}");
		assert_eq!(held(RoundsHold::ShardDeposit, who), get(&shard_deposits), "shards of {who}");
		let stake = jobs::Workers::<Runtime>::get(who).map_or(0, |w| w.stake + w.unbonding);
		assert_eq!(held(JobsHold::WorkerStake, who), stake, "stake of {who}");
	}

	// Blob references.
	for (_, _, entry) in models::Versions::<Runtime>::iter() {
		add_ref(entry.spec.blob);
		entry.spec.parameters.into_iter().for_each(&mut add_ref);
	}
	for (hash, info) in blobs::Blobs::<Runtime>::iter() {
		assert_eq!(info.refs, blob_refs.remove(&hash).unwrap_or(0), "references of {hash:?}");
	}
	assert!(blob_refs.is_empty(), "references to missing blobs: {blob_refs:?}");

	// Jobs' bookkeeping.
	let workers: Vec<_> = jobs::Workers::<Runtime>::iter().collect();
	assert_eq!(jobs::WorkerCount::<Runtime>::get() as usize, workers.len());
	assert_eq!(jobs::WorkerKeys::<Runtime>::iter().count(), workers.len());
	let pool = jobs::EligibleWorkers::<Runtime>::get();
	for (worker, info) in &workers {
		assert_eq!(jobs::WorkerKeys::<Runtime>::get(info.key), Some(*worker));
		let assigned = jobs::Assignments::<Runtime>::iter_prefix(worker).count() as u32;
		assert_eq!(info.assigned, assigned, "assignments of worker {worker}");
		let eligible = info.status == WorkerStatus::Active
			&& info.assigned < info.capacity
			&& info.stake >= MIN_STAKE;
		let pooled = pool.iter().find(|(w, _)| w == worker).map(|(_, weight)| *weight);
		let abstentions = jobs::Abstentions::<Runtime>::get(worker).unwrap_or(0) as Balance;
		let weight = info.stake / (1 + abstentions);
		assert_eq!(pooled, eligible.then_some(weight), "pool entry of worker {worker}");
	}
	assert_eq!(
		pool.len(),
		workers.iter().filter(|(w, _)| pool.iter().any(|(p, _)| p == w)).count()
	);
	assert_eq!(jobs::OpenJobs::<Runtime>::iter().collect::<BTreeMap<_, _>>(), open_jobs);
	for id in jobs::Queue::<Runtime>::get() {
		assert_eq!(job_info(id).status, jobs::JobStatus::Queued, "queued job {id}");
	}
	for (id, _) in jobs::Commitments::<Runtime>::iter_keys() {
		assert!(!job_info(id).status.is_finished(), "a finished job keeps commitments");
	}

	// The ledger's totals.
	let (oldest, current) =
		(attestations::OldestEra::<Runtime>::get(), attestations::CurrentEra::<Runtime>::get());
	for era in oldest..=current {
		let mut by_accounts = PointsByKind::default();
		for (_, points) in attestations::AccountPoints::<Runtime>::iter_prefix(era) {
			by_accounts.compute += points.compute;
			by_accounts.data += points.data;
			by_accounts.model += points.model;
			by_accounts.validation += points.validation;
		}
		let mut by_records = PointsByKind::default();
		for (id, ()) in attestations::ByEra::<Runtime>::iter_prefix(era) {
			let record = attestations::Attestations::<Runtime>::get(id).expect("indexed record");
			assert_eq!(record.era, era);
			if record.revoked.is_none() {
				by_records.add(record.kind, record.points);
			}
		}
		let total = attestations::EraPoints::<Runtime>::get(era);
		assert_eq!(by_accounts, total, "era {era}: accounts' points");
		assert_eq!(by_records, total, "era {era}: records' points");
	}

	// The pot's backing.
	let pool = rewards::Pool::<Runtime>::get();
	let outstanding = rewards::Outstanding::<Runtime>::get();
	assert!(
		free(pot()) >= Balances::minimum_balance() + pool + outstanding,
		"the pot holds {} but backs {pool} pooled and {outstanding} owed",
		free(pot())
	);
	let claimable: Balance = rewards::Ledgers::<Runtime>::iter_keys().map(pending).sum();
	assert!(claimable <= outstanding, "{claimable} claimable but {outstanding} owed");
	assert_eq!(total_held(pot()), 0, "the pot holds nothing on hold");
}
