use super::*;
use frame_support::traits::fungible::Inspect;
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

fn genesis_from_preset(name: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&name.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	let patch: serde_json::Value = serde_json::from_slice(&patch).unwrap();
	merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).unwrap();
	config.build_storage().unwrap().into()
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

#[test]
fn runtime_offers_both_presets() {
	assert_eq!(
		genesis_config_presets::preset_names(),
		vec![
			sp_genesis_builder::PresetId::from("development"),
			sp_genesis_builder::PresetId::from("local_testnet")
		]
	);
	assert!(genesis_config_presets::get_preset(&"no-such-preset".into()).is_none());
}

#[test]
fn development_preset_has_alice_alone() {
	genesis_from_preset("development").execute_with(|| {
		let babe = pallet_babe::Authorities::<Runtime>::get();
		assert_eq!(babe.len(), 1);
		assert_eq!(babe[0], (Sr25519Keyring::Alice.public().into(), 1));
		assert_eq!(pallet_babe::EpochConfig::<Runtime>::get(), Some(BABE_GENESIS_EPOCH_CONFIG));
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		assert_eq!(
			Balances::balance(&Sr25519Keyring::Bob.to_account_id()),
			genesis_config_presets::DEV_ENDOWMENT
		);
	});
}

#[test]
fn local_testnet_preset_has_four_authorities() {
	genesis_from_preset("local_testnet").execute_with(|| {
		let expected: Vec<(sp_consensus_babe::AuthorityId, u64)> = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		]
		.into_iter()
		.map(|k| (k.public().into(), 1))
		.collect();
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().into_inner(), expected);
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(grandpa.len(), 4);
		assert!(grandpa.iter().all(|(_, weight)| *weight == 1));
	});
}

#[test]
fn metadata_hash_token_matches_primitives() {
	let expected =
		format!("{}:{}", mosaic_primitives::token::SYMBOL, mosaic_primitives::token::DECIMALS);
	assert_eq!(env!("MOSAIC_METADATA_HASH_TOKEN"), expected);
}

#[test]
fn ss58_prefix_comes_from_primitives() {
	assert_eq!(
		<Runtime as frame_system::Config>::SS58Prefix::get(),
		mosaic_primitives::token::SS58_PREFIX
	);
}

#[test]
fn runtime_version_names_mosaic() {
	assert_eq!(VERSION.spec_name, "mosaic");
	assert!(VERSION.apis.iter().any(|(id, _)| *id == sp_api::runtime_decl_for_core::ID));
}

#[test]
fn development_preset_makes_alice_a_worker() {
	genesis_from_preset("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let worker =
			pallet_mosaic_jobs::Workers::<Runtime>::get(&alice).expect("Alice is a worker");
		assert_eq!(worker.key, alice);
		assert_eq!(worker.stake, genesis_config_presets::GENESIS_WORKER_STAKE);
		assert_eq!(pallet_mosaic_jobs::MinReplication::<Runtime>::get(), 1);
		assert_eq!(pallet_mosaic_jobs::EligibleWorkers::<Runtime>::get().len(), 1);
	});
	genesis_from_preset("local_testnet").execute_with(|| {
		assert_eq!(pallet_mosaic_jobs::WorkerCount::<Runtime>::get(), 4);
		assert_eq!(pallet_mosaic_jobs::MinReplication::<Runtime>::get(), 2);
	});
}

/// The jobs pallet's randomness is the VRF output of the block's BABE author, readable from
/// `on_initialize` on and equal to what pallet-babe itself derives at `on_finalize`; a block
/// without a BABE pre-digest falls back to the parent hash and says it was known a block early.
#[test]
fn jobs_randomness_is_the_babe_author_vrf_output() {
	use codec::Encode;
	use frame_support::traits::{Hooks, Randomness};
	use sp_consensus_babe::digests::{PreDigest, PrimaryPreDigest};
	use sp_core::crypto::VrfSecret;
	use sp_runtime::{traits::Hash as _, Digest, DigestItem};
	type Vrf = randomness::CurrentBlockVrf<Runtime>;
	let parent = sp_core::H256::repeat_byte(7);

	genesis_from_preset("development").execute_with(|| {
		System::initialize(&1, &parent, &Digest::default());
		<Babe as Hooks<BlockNumber>>::on_initialize(1);
		assert_eq!(Vrf::output(), None);
		let expected =
			<Runtime as frame_system::Config>::Hashing::hash_of(&(&b"subject"[..], parent));
		assert_eq!(<Vrf as Randomness<_, _>>::random(b"subject"), (expected, 0));
	});

	genesis_from_preset("development").execute_with(|| {
		let slot = sp_consensus_babe::Slot::from(100);
		let data = sp_consensus_babe::make_vrf_sign_data(
			&pallet_babe::Randomness::<Runtime>::get(),
			slot,
			0,
		);
		let vrf_signature = Sr25519Keyring::Alice.pair().vrf_sign(&data);
		let pre_digest =
			PreDigest::Primary(PrimaryPreDigest { authority_index: 0, slot, vrf_signature });
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(
				sp_consensus_babe::BABE_ENGINE_ID,
				pre_digest.encode(),
			)],
		};
		System::initialize(&1, &parent, &digest);
		<Babe as Hooks<BlockNumber>>::on_initialize(1);
		let output = Vrf::output().expect("a primary pre-digest carries a VRF output");
		let (random, known_since) = <Vrf as Randomness<_, _>>::random(b"subject");
		assert_eq!(known_since, 1);
		assert_eq!(
			random,
			<Runtime as frame_system::Config>::Hashing::hash_of(&(&b"subject"[..], output))
		);
		// Different subjects, independent values.
		assert_ne!(<Vrf as Randomness<_, _>>::random(b"other").0, random);
		<Babe as Hooks<BlockNumber>>::on_finalize(1);
		assert_eq!(pallet_babe::AuthorVrfRandomness::<Runtime>::get(), Some(output));
	});
}

/// The benchmarks' BABE pre-digest is `//Alice`'s real claim: her key, and the pre-output her
/// VRF gives for that slot, so the benchmarks derive randomness as a live block does.
#[test]
fn the_benchmarks_pre_digest_is_alices_real_vrf_claim() {
	use randomness::benchmark_pre_digest as bench;
	use sp_core::{crypto::VrfSecret, Pair};
	let alice = Sr25519Keyring::Alice.pair();
	assert_eq!(alice.public().0, bench::AUTHORITY);
	let data = sp_consensus_babe::make_vrf_sign_data(&[0u8; 32], bench::SLOT.into(), 0);
	let pre_output = codec::Encode::encode(&alice.vrf_sign(&data).pre_output);
	assert_eq!(
		pre_output,
		bench::PRE_OUTPUT.to_vec(),
		"{}",
		sp_core::hexdisplay::HexDisplay::from(&pre_output)
	);
	genesis_from_preset("development").execute_with(|| {
		System::initialize(&1, &Default::default(), &Default::default());
		bench::install::<Runtime>();
		assert!(randomness::CurrentBlockVrf::<Runtime>::output().is_some());
	});
}

/// The worst `on_initialize` of the jobs pallet (every scheduled phase end charged what its
/// handler charges at worst, every queue slot assigning the largest replication from a full
/// pool) fits in half a block, so hooks never crowd out transactions entirely.
#[test]
fn jobs_hook_worst_case_fits_in_half_a_block() {
	use frame_support::traits::Get;
	use pallet_mosaic_jobs::WeightInfo as _;
	type W = <Runtime as pallet_mosaic_jobs::Config>::WeightInfo;
	type C = Runtime;
	type Jobs = pallet_mosaic_jobs::Pallet<Runtime>;
	let max_workers = <<C as pallet_mosaic_jobs::Config>::MaxWorkers as Get<u32>>::get();
	let replication: u32 =
		<<C as pallet_mosaic_jobs::Config>::MaxReplication as Get<u8>>::get().into();
	let per_deadline = Jobs::commit_end_weight()
		.max(Jobs::open_end_weight())
		.max(Jobs::reveal_end_weight())
		.max(Jobs::expire_queued_weight())
		.max(W::purge());
	let deadlines = <<C as pallet_mosaic_jobs::Config>::MaxDeadlinesPerBlock as Get<u32>>::get();
	let assignments = <<C as pallet_mosaic_jobs::Config>::MaxAssignPerBlock as Get<u32>>::get();
	let worst = W::on_initialize_base()
		.saturating_add(per_deadline.saturating_mul(deadlines.into()))
		.saturating_add(W::assign(max_workers, replication).saturating_mul(assignments.into()));
	let block = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	assert!(
		worst.ref_time() <= block.ref_time() / 2,
		"worst hook {} ps > half a block {} ps",
		worst.ref_time(),
		block.ref_time() / 2
	);
}

#[test]
fn presets_fund_the_rewards_pot_and_set_eras() {
	genesis_from_preset("development").execute_with(|| {
		assert_eq!(pallet_mosaic_attestations::EraLength::<Runtime>::get(), 10);
		assert_eq!(
			pallet_mosaic_rewards::EmissionPerBlock::<Runtime>::get(),
			genesis_config_presets::TESTNET_EMISSION_PER_BLOCK
		);
		// The pot exists from genesis, holding exactly its existential deposit.
		assert_eq!(Balances::balance(&Rewards::pot_account()), EXISTENTIAL_DEPOSIT);
	});
	genesis_from_preset("local_testnet").execute_with(|| {
		assert_eq!(
			pallet_mosaic_attestations::EraLength::<Runtime>::get(),
			<Runtime as pallet_mosaic_attestations::Config>::DefaultEraLength::get()
		);
	});
}

/// Emission cannot be farmed: the most points one protocol fee can buy (a job on
/// `MaxReplication` of one's own workers, on one's own model, training a shard of one's own
/// round) earn at most that protocol fee, on both presets, although an era's emission alone
/// is far more than a protocol fee (so without the cap one farmed job would take it all).
#[test]
fn farmed_points_earn_at_most_what_they_cost() {
	use frame_support::traits::Get;
	use pallet_mosaic_rewards::REWARD_PER_POINT_SCALE;
	let protocol_fee = configs::JobProtocolFee::get();
	let max_replication: u8 = <Runtime as pallet_mosaic_jobs::Config>::MaxReplication::get();
	assert_eq!(
		configs::MOST_POINTS_PER_PROTOCOL_FEE,
		max_replication as u64
			* (configs::JobComputePoints::get() + configs::JobValidationPoints::get())
			+ configs::JobModelPoints::get()
			+ configs::RoundDataPoints::get()
			+ configs::RoundModelPoints::get(),
		"the bound counts every way one protocol fee earns points"
	);
	for preset in ["development", "local_testnet"] {
		genesis_from_preset(preset).execute_with(|| {
			let rate = Rewards::max_reward_per_point();
			let earned = |points: u64| points as u128 * rate / REWARD_PER_POINT_SCALE;
			assert!(earned(configs::MOST_POINTS_PER_PROTOCOL_FEE) <= protocol_fee, "{preset}");
			// A `k = 1` job to one's own worker on one's own model: compute and model points.
			let k1 = configs::JobComputePoints::get() + configs::JobModelPoints::get();
			assert!(earned(k1) < protocol_fee, "{preset}");
			let era_length = pallet_mosaic_attestations::EraLength::<Runtime>::get() as u128;
			let emission = pallet_mosaic_rewards::EmissionPerBlock::<Runtime>::get();
			assert!(emission * era_length > 100 * protocol_fee, "{preset}: the cap is what binds");
		});
	}
}

/// A reveal's bytes are paid for: `RevealFeePerValue` covers a value's 8 bytes at the length
/// fee and its share of the reveal's benchmarked weight at the weight fee.
#[test]
fn the_reveal_fee_per_value_covers_its_bytes_and_weight() {
	use frame_support::weights::{Weight, WeightToFee};
	use pallet_mosaic_jobs::WeightInfo as _;
	type W = <Runtime as pallet_mosaic_jobs::Config>::WeightInfo;
	type Length = <Runtime as pallet_transaction_payment::Config>::LengthToFee;
	type ByWeight = <Runtime as pallet_transaction_payment::Config>::WeightToFee;
	let per_value = W::reveal(2, 1).saturating_sub(W::reveal(1, 1));
	let cost = Length::weight_to_fee(&Weight::from_parts(8, 0))
		+ ByWeight::weight_to_fee(&Weight::from_parts(per_value.ref_time(), 0));
	assert!(configs::JobRevealFeePerValue::get() >= cost, "{cost} per value");
}

// ------------------------------------------------ block authors and the draw (issue 18, 4)

mod author_grinding {
	use super::*;
	use frame_support::traits::{fungible::Mutate, Hooks};
	use pallet_mosaic_jobs::{JobInfo, JobInput, JobKind, JobStatus};
	use sp_core::{Pair, H256};
	use sp_runtime::{traits::IdentifyAccount, Digest, MultiSigner};

	type JobsPallet = pallet_mosaic_jobs::Pallet<Runtime>;

	/// The author's workers: three of the ten (Alice, the development preset's worker, is the
	/// eleventh, and the requester, so never drawn).
	const COLLUDERS: [u8; 3] = [1, 2, 3];

	fn account(seed: u8) -> AccountId {
		let pair = sp_core::sr25519::Pair::from_seed(&[seed; 32]);
		MultiSigner::from(pair.public()).into_account()
	}

	/// Development genesis with ten more workers of equal stake, numbered 1 to 10.
	fn ten_workers() -> sp_io::TestExternalities {
		let mut ext = genesis_from_preset("development");
		ext.execute_with(|| {
			System::set_block_number(1);
			for n in 1..=10u8 {
				let operator = account(n);
				let key = sp_core::sr25519::Pair::from_seed(&[n + 100; 32]);
				let _ = Balances::set_balance(&operator, 10_000 * UNIT);
				let proof = key.sign(&pallet_mosaic_jobs::key_proof_message(&operator));
				frame_support::assert_ok!(JobsPallet::register_worker(
					RuntimeOrigin::signed(operator),
					MultiSigner::from(key.public()).into_account(),
					1_000 * UNIT,
					1,
					proof.into(),
				));
			}
		});
		ext
	}

	/// Queues job `id`, of three workers, as submitted by Alice in block 1.
	fn queue_job(id: u64) {
		let info = JobInfo {
			requester: Sr25519Keyring::Alice.to_account_id(),
			model: 0,
			version: 1,
			kind: JobKind::Inference,
			input: JobInput::Blob {
				hash: [7; 32],
				format: mosaic_primitives::onnx::InputFormat::Npy,
			},
			replication: 3,
			fee_per_worker: UNIT,
			protocol_fee: 0,
			result_deposit: 0,
			blob_refs: Default::default(),
			held: 0,
			deadline: 1_000,
			submitted_at: 1,
			status: JobStatus::Queued,
			attempt: 0,
			assignees: Default::default(),
			result: None,
		};
		pallet_mosaic_jobs::Jobs::<Runtime>::insert(id, info);
		pallet_mosaic_jobs::Queue::<Runtime>::mutate(|q| q.try_push(id).unwrap());
	}

	/// Builds block 2 on `parent` with Alice's BABE claim on its slot, runs the jobs pallet's
	/// `on_initialize` (which draws job `id`'s workers) and returns them, numbered, sorted.
	fn drawn_in_block_2(parent: H256, id: u64) -> Vec<u8> {
		System::initialize(&2, &parent, &Digest::default());
		randomness::benchmark_pre_digest::install::<Runtime>();
		JobsPallet::on_initialize(2);
		let info = pallet_mosaic_jobs::Jobs::<Runtime>::get(id).expect("queued");
		let mut drawn: Vec<u8> = info
			.assignees
			.iter()
			.map(|a| (1..=10u8).find(|n| account(*n) == a.worker).expect("one of the ten"))
			.collect();
		drawn.sort();
		drawn
	}

	/// How many different draws an author could choose among, and how many give its workers
	/// every seat.
	fn choice(draws: &[Vec<u8>]) -> (usize, usize) {
		let captured = draws.iter().filter(|d| **d == COLLUDERS.to_vec()).count();
		let mut distinct = draws.to_vec();
		distinct.sort();
		distinct.dedup();
		(distinct.len(), captured)
	}

	/// Runs `f` and rolls back what it wrote.
	fn rolled_back<R>(f: impl FnOnce() -> R) -> R {
		frame_support::storage::with_transaction_unchecked(|| {
			frame_support::storage::TransactionOutcome::Rollback(f())
		})
	}

	/// **Attacker**: the author of the block that fixes the draw's seed (under Aura, the block
	/// that includes the submission: the draw's seed was its hash).
	///
	/// **Attack**: it builds its block many ways (any change of content or extrinsic order is
	/// a new hash) and publishes the one that draws its three workers for a `k = 3` job among
	/// ten equal workers (probability 1/120 per try).
	///
	/// **Defence**: the draw's randomness is the VRF output of the drawing block's BABE author,
	/// fixed by its key and slot: every block that author could build draws the same workers.
	#[test]
	fn attack_author_grinds_the_parent_hash_to_draw_its_workers() {
		ten_workers().execute_with(|| {
			queue_job(0);
			let draws: Vec<Vec<u8>> = (0..400u32)
				.map(|n| {
					let parent = H256::from(sp_io::hashing::blake2_256(&n.to_le_bytes()));
					rolled_back(|| drawn_in_block_2(parent, 0))
				})
				.collect();
			let (distinct, captured) = choice(&draws);
			assert_eq!(
				distinct, 1,
				"the author chose among {distinct} draws; {captured} of 400 blocks gave it all three seats"
			);
		});
	}

	/// **Attacker**: an author that knows the drawing block's randomness in advance (a BABE
	/// author knows its VRF outputs for its slots an epoch ahead) and builds the block before,
	/// which fixes the state the draw reads.
	///
	/// **Attack**: its workers' stake changes (a planck of `bond_extra` is a new state) and its
	/// own submissions before the target job (a new job id) re-roll the draw until its three
	/// workers hold the seats.
	///
	/// **Defence**: each candidate's ticket depends on the seed and itself only, so a stake
	/// change moves its own clock and nothing else; the draw hashes the job as its requester
	/// signed it, not its id.
	#[test]
	fn attack_author_re_rolls_a_known_draw_with_its_workers_stakes_and_job_ids() {
		ten_workers().execute_with(|| {
			let parent = H256::repeat_byte(9);
			let mut draws: Vec<Vec<u8>> = Vec::new();
			for extra in 0..200u128 {
				draws.push(rolled_back(|| {
					for n in COLLUDERS {
						frame_support::assert_ok!(JobsPallet::bond_extra(
							RuntimeOrigin::signed(account(n)),
							(extra + 1) * (n as u128),
						));
					}
					queue_job(0);
					drawn_in_block_2(parent, 0)
				}));
			}
			for id in 1..200u64 {
				draws.push(rolled_back(|| {
					queue_job(id);
					drawn_in_block_2(parent, id)
				}));
			}
			let (distinct, captured) = choice(&draws);
			assert_eq!(
				distinct,
				1,
				"the author re-rolled among {distinct} draws; {captured} of {} gave it all three seats",
				draws.len()
			);
		});
	}
}
