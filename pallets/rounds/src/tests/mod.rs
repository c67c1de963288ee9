//! Tests of the round state machine against mocks of the jobs pallet, the registry, the
//! blob store, the pot and the ledger.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect as _, InspectHold as _, Mutate as _},
};
use mosaic_primitives::{
	contribution::{ContributionKind, Subject},
	rounds::{AggregationManifest, JobEnd, JobObserver, ManifestEntry, RoundJob},
};
use sp_runtime::DispatchError;

const BUDGET: u64 = 1_000;
/// What each job of [`settings`] holds in escrow: 2 workers at 20, the protocol fee and the
/// result's deposit.
const ESCROW: u64 = 2 * 20 + PROTOCOL_FEE + RESULT_DEPOSIT;
const JOIN_UNTIL: u64 = 10;

fn settings(min_shards: u32) -> RoundSettingsOf<Test> {
	RoundSettings {
		epochs: 5,
		batch_size: 32,
		clip_milli: 4_000,
		trim: 1,
		min_shards,
		replication: 2,
		fee_per_worker: 20,
		job_period: 30,
	}
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn create(min_shards: u32) -> RoundId {
	let round = NextRoundId::<Test>::get();
	assert_ok!(MosaicRounds::create_round(
		signed(OWNER),
		0,
		1,
		VALIDATION,
		settings(min_shards),
		BUDGET,
		JOIN_UNTIL
	));
	round
}

/// `who` joins `round` with a private shard of `rows` rows, committing to `update(who)`.
fn join_private(who: u64, round: RoundId, rows: u32) -> frame_support::dispatch::DispatchResult {
	let commitment = update_commitment(round, &update(who), &who);
	MosaicRounds::join_private(signed(who), round, commitment, rows)
}

/// Every private shard of `round` that committed reveals its update (`update(owner)`); call
/// once joining has closed.
fn reveal_all(round: RoundId) {
	let shards: Vec<_> = Shards::<Test>::iter_prefix(round).collect();
	for (_, shard) in shards {
		if let ShardStatus::Committed { .. } = shard.status {
			assert_ok!(MosaicRounds::reveal_update(
				signed(shard.owner),
				round,
				update(shard.owner)
			));
		}
	}
}

fn held(reason: HoldReason, who: u64) -> u64 {
	Balances::balance_on_hold(&reason.into(), &who)
}

fn refs(hash: [u8; 32]) -> u32 {
	SealedBlobs::get()[&hash].1
}

fn status(round: RoundId) -> RoundStatus<VerdictsOf<Test>> {
	Rounds::<Test>::get(round).unwrap().status
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::MosaicRounds(e) => Some(e),
			_ => None,
		})
		.collect()
}

/// A trained parameter blob, as the jobs pallet stores it (owned by the job's requester).
fn stored(owner: u64, seed: u8) -> [u8; 32] {
	let hash = [100 + seed; 32];
	SealedBlobs::mutate(|b| b.insert(hash, (owner, 0)));
	hash
}

/// `job` settles on `parameters` (and `verdicts`, for an aggregation); a training job
/// measures its shard's declared rows.
fn settle(job: JobId, parameters: [u8; 32], verdicts: Vec<bool>) {
	let rows = RoundOfJob::<Test>::get(job)
		.and_then(|(round, shard)| Shards::<Test>::get(round, shard?))
		.map(|shard| u64::from(shard.rows));
	MosaicRounds::job_ended(job, JobEnd::Settled { parameters: Some(parameters), verdicts, rows });
}

/// The round's aggregation job, once started.
fn aggregation_job(round: RoundId) -> JobId {
	match status(round) {
		RoundStatus::Aggregating { job } => job,
		other => panic!("not aggregating: {other:?}"),
	}
}

/// Every hold and reference a round takes is gone.
fn assert_all_released(accounts: &[u64]) {
	for who in accounts.iter().copied().chain([OWNER]) {
		assert_eq!(held(HoldReason::RoundBudget, who), 0, "budget of {who}");
		assert_eq!(held(HoldReason::ShardDeposit, who), 0, "deposit of {who}");
	}
	assert_eq!(refs(VALIDATION), 0);
	for who in accounts {
		assert_eq!(refs(update(*who)), 0, "update of {who}");
	}
}

mod completion;
mod create;
mod failure;
mod invariants;
mod joining;
mod sponsors;
