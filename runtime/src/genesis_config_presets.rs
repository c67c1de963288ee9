//! Genesis presets served through `sp-genesis-builder`: `development` and `local_testnet`.
//!
//! The node builds its chain specs from these, so `--dev`, `--chain local_testnet` and
//! `build-spec` all start from the same genesis the runtime defines.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use crate::{
	AccountId, AttestationsConfig, Balance, BalancesConfig, BlockNumber, JobsConfig, RewardsConfig,
	RuntimeGenesisConfig, SudoConfig, BABE_GENESIS_EPOCH_CONFIG, UNIT,
};
use crate::{BabeConfig, GrandpaConfig};

/// Balance given to every well-known dev account: about 1.15 million MSC.
pub const DEV_ENDOWMENT: Balance = 1 << 60;

/// Stake each genesis worker bonds.
pub const GENESIS_WORKER_STAKE: Balance = 1_000 * UNIT;
/// Jobs each genesis worker runs at once.
pub const GENESIS_WORKER_CAPACITY: u32 = 8;

/// Rewards minted every block on the dev and test networks.
pub const TESTNET_EMISSION_PER_BLOCK: Balance = UNIT;

/// Genesis with the given consensus authorities, endowed accounts, sudo key, workers (each
/// signing with its own account's key, as the node's `--alice`-style dev keys do), least
/// replication and era length (`None`: the runtime's default).
fn testnet_genesis(
	authorities: Vec<(BabeId, GrandpaId)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
	workers: Vec<AccountId>,
	min_replication: u8,
	era_length: Option<BlockNumber>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|account| (account, DEV_ENDOWMENT))
				.collect::<Vec<_>>(),
		},
		// Equal BABE weights: each authority wins a primary slot equally often, and secondary
		// slots go round the authorities.
		babe: BabeConfig {
			authorities: authorities.iter().map(|(babe, _)| (babe.clone(), 1)).collect::<Vec<_>>(),
			epoch_config: BABE_GENESIS_EPOCH_CONFIG,
		},
		grandpa: GrandpaConfig {
			authorities: authorities
				.iter()
				.map(|(_, grandpa)| (grandpa.clone(), 1))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		jobs: JobsConfig {
			min_replication,
			workers: workers
				.into_iter()
				.map(|w| (w.clone(), w, GENESIS_WORKER_STAKE, GENESIS_WORKER_CAPACITY))
				.collect::<Vec<_>>(),
		},
		attestations: AttestationsConfig { era_length },
		rewards: RewardsConfig { emission_per_block: TESTNET_EMISSION_PER_BLOCK },
	})
}

fn authority_keys(babe: Sr25519Keyring, grandpa: Ed25519Keyring) -> (BabeId, GrandpaId) {
	(babe.public().into(), grandpa.public().into())
}

fn well_known_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// `development`: Alice is the only authority, the sudo key and the only worker, and jobs
/// may run on one worker, so a job submitted to a fresh `--dev` chain runs at once. Eras
/// last a minute, so rewards can be claimed soon after a job.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		well_known_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		vec![Sr25519Keyring::Alice.to_account_id()],
		1,
		Some(10),
	)
}

/// `local_testnet`: Alice, Bob, Charlie and Dave are authorities and workers. GRANDPA needs
/// more than two thirds of them, so any one can be down and the chain still finalizes; jobs
/// need at least two workers.
pub fn local_testnet_genesis() -> Value {
	testnet_genesis(
		vec![
			authority_keys(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority_keys(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			authority_keys(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			authority_keys(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		well_known_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		vec![
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::Charlie.to_account_id(),
			Sr25519Keyring::Dave.to_account_id(),
		],
		2,
		None,
	)
}

/// The JSON patch of a named preset, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		_ => return None,
	};
	serde_json::to_vec(&patch).ok()
}

/// Names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
