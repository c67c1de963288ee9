//! The pallet's invariants, checked after every test and by `try-runtime`.

use alloc::collections::BTreeMap;
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use mosaic_primitives::blob::BlobInspect;
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	BalanceOf, BlobHash, Config, HoldReason, Joined, NextRoundId, OpenBases, Pallet, PurgeQueue,
	PurgeQueueBounds, RevealedUpdates, RoundId, RoundOfJob, RoundStatus, Rounds, ShardKind,
	ShardStatus, Shards,
};
use mosaic_primitives::model::ModelRegistry;

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants:
	/// - every round's id is below [`NextRoundId`] and it has spent at most its budget;
	/// - a running round (open, aggregating or aggregated) has exactly the shards
	///   `0..shard_count`, as many [`Joined`] entries, each naming its shard's owner, and counts
	///   in `training` exactly its shards whose training job runs; its verdicts are at most
	///   `MaxShards`;
	/// - a finished round (completed or failed) has no shard and no [`Joined`] entry left;
	/// - every shard belongs to a round, and every job in [`RoundOfJob`] to a running round
	///   whose matching shard trains in it, or which aggregates in it;
	/// - what is held from each account for [`HoldReason::RoundBudget`] is what its running
	///   rounds have not spent, and for [`HoldReason::ShardDeposit`] the deposits of its shards;
	/// - every blob a running round references (its validation set, its shards' updates, its
	///   combined parameters) has at least that many references;
	/// - every finished round is in [`PurgeQueue`] once, every entry there is a finished round,
	///   and the entries lie between [`PurgeQueueBounds`];
	/// - every base in [`OpenBases`] was opened by its model's current owner;
	/// - [`RevealedUpdates`] lists exactly the updates of a running round's private shards
	///   that revealed, each with its shard.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let next = NextRoundId::<T>::get();
		let mut budgets: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut blob_refs: BTreeMap<BlobHash, u32> = BTreeMap::new();
		let mut count_ref = |blob: BlobHash| {
			let refs = blob_refs.entry(blob).or_insert(0);
			*refs = refs.saturating_add(1);
		};
		let (first, next_position) = PurgeQueueBounds::<T>::get();
		let mut queued: BTreeMap<RoundId, u32> = BTreeMap::new();
		for (position, (_, round)) in PurgeQueue::<T>::iter() {
			ensure!(
				(first..next_position).contains(&position),
				"a purge queue entry lies outside its bounds"
			);
			*queued.entry(round).or_insert(0) += 1;
		}

		for (round, info) in Rounds::<T>::iter() {
			ensure!(round < next, "a round id is not below NextRoundId");
			ensure!(info.spent <= info.budget, "a round spent more than its budget");

			let running = match &info.status {
				RoundStatus::Open | RoundStatus::Aggregating { .. } => true,
				RoundStatus::Aggregated { parameters, verdicts } => {
					ensure!(
						(verdicts.len() as u32) <= T::MaxShards::get(),
						"a round has more verdicts than MaxShards"
					);
					if let Some(parameters) = parameters {
						count_ref(*parameters);
					}
					true
				},
				RoundStatus::Completed { .. } | RoundStatus::Failed(_) => false,
			};
			if !running {
				ensure!(
					queued.remove(&round) == Some(1),
					"a finished round is not queued once to be purged"
				);
				ensure!(
					Shards::<T>::iter_prefix(round).next().is_none(),
					"a finished round has shards left"
				);
				ensure!(
					Joined::<T>::iter_prefix(round).next().is_none(),
					"a finished round has joined accounts left"
				);
				continue;
			}

			let left = info.budget.saturating_sub(info.spent);
			let budget = budgets.entry(info.creator.clone()).or_insert_with(Zero::zero);
			*budget = budget.saturating_add(left);
			count_ref(info.validation);

			let (mut shards, mut training) = (0u32, 0u32);
			for (index, shard) in Shards::<T>::iter_prefix(round) {
				ensure!(index < info.shard_count, "a shard lies beyond its round's count");
				ensure!(
					Joined::<T>::get(round, &shard.owner) == Some(index),
					"a shard's owner is not joined with it"
				);
				shards = shards.saturating_add(1);
				let revealed = match (shard.kind, shard.status) {
					(ShardKind::Private, ShardStatus::Trained { update }) => Some(update),
					_ => None,
				};
				if let Some(update) = revealed {
					ensure!(
						RevealedUpdates::<T>::get(round, update) == Some(index),
						"a revealed update is not recorded as its shard's"
					);
				}
				match shard.status {
					ShardStatus::Training { job } => {
						training = training.saturating_add(1);
						ensure!(
							RoundOfJob::<T>::get(job) == Some((round, Some(index))),
							"a training shard's job is not recorded as its"
						);
					},
					ShardStatus::Trained { update } => count_ref(update),
					ShardStatus::Dropped | ShardStatus::Committed { .. } => {},
				}
				let deposit = deposits.entry(shard.owner.clone()).or_insert_with(Zero::zero);
				*deposit = deposit.saturating_add(shard.deposit);
			}
			ensure!(shards == info.shard_count, "a round's shards are missing");
			ensure!(training == info.training, "a round's training count is wrong");
			ensure!(
				Joined::<T>::iter_prefix(round).count() as u32 == info.shard_count,
				"a round's joined accounts differ from its shards"
			);
		}

		ensure!(queued.is_empty(), "a round queued to be purged is not a finished round");
		for (round, update, index) in RevealedUpdates::<T>::iter() {
			ensure!(
				Shards::<T>::get(round, index)
					.is_some_and(|shard| shard.status == ShardStatus::Trained { update }),
				"a revealed update's shard does not hold it"
			);
		}
		for (model, version, owner) in OpenBases::<T>::iter() {
			ensure!(
				T::Models::version(model, version).is_some_and(|view| view.owner == owner),
				"an open base was opened by someone who is not its model's owner"
			);
		}

		for (round, _) in Shards::<T>::iter_keys() {
			ensure!(Rounds::<T>::contains_key(round), "a shard belongs to no round");
		}

		for (job, (round, shard)) in RoundOfJob::<T>::iter() {
			let info = Rounds::<T>::get(round).ok_or("a job belongs to no round")?;
			match shard {
				Some(index) => ensure!(
					Shards::<T>::get(round, index)
						.is_some_and(|s| s.status == ShardStatus::Training { job }),
					"a training job's shard is not training in it"
				),
				None => ensure!(
					info.status == RoundStatus::Aggregating { job },
					"an aggregation job's round is not aggregating in it"
				),
			}
		}

		for (creator, left) in budgets {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::RoundBudget.into(), &creator) == left,
				"a held budget differs from what the creator's running rounds have left"
			);
		}
		for (owner, total) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ShardDeposit.into(), &owner) == total,
				"held shard deposits differ from the sum of the owner's shards"
			);
		}
		for (blob, refs) in blob_refs {
			ensure!(
				T::Blobs::blob(&blob).is_some_and(|summary| summary.refs >= refs),
				"a blob a round uses has too few references"
			);
		}
		Ok(())
	}
}
