//! Ending a round: paying out and attesting a completed round, failing a round, releasing
//! what its shards hold, and purging the round's record once its retention is over.

use frame_support::{
	traits::{fungible::MutateHold, tokens::Precision, Get},
	weights::WeightMeter,
};
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{
	blob::{BlobReferences, BlobStore},
	contribution::{ContributionKind, Points, RecordContribution, Subject},
	model::ModelRegistry,
};
use sp_runtime::traits::{Saturating, Zero};

use crate::{
	share, BalanceOf, BlobHash, Config, Event, HoldReason, Joined, Pallet, PurgeQueue,
	PurgeQueueBounds, RevealedUpdates, RoundFailure, RoundId, RoundInfo, RoundInfoOf, RoundStatus,
	Rounds, ShardOf, ShardStatus, Shards, VersionNumber, WeightInfo, LOG_TARGET,
};

impl<T: Config> Pallet<T> {
	/// Records a contribution; a record the ledger refuses is logged and skipped.
	pub(crate) fn record(
		round: RoundId,
		who: &T::AccountId,
		kind: ContributionKind,
		subject: Subject,
		points: Points,
		evidence: [u8; 32],
	) {
		if let Err(e) = T::Contributions::record(who, kind, subject, points, evidence) {
			log::warn!(target: LOG_TARGET, "round {round}: {kind:?} contribution not recorded: {e:?}");
		}
	}

	/// Ends a round as failed: what is left of the budget goes back, shards are released.
	pub(crate) fn end_failed(round: RoundId, info: RoundInfoOf<T>, reason: RoundFailure) {
		let left = info.budget.saturating_sub(info.spent);
		let refunded = T::Currency::release(
			&HoldReason::RoundBudget.into(),
			&info.creator,
			left,
			Precision::BestEffort,
		)
		.unwrap_or_else(|_| Zero::zero());
		if let RoundStatus::Aggregated { parameters: Some(parameters), .. } = info.status {
			// Stored for the creator by the aggregation job; left with it, they would be a
			// model trained on the data owners' work it could publish without the round.
			let _ = T::Blobs::remove_ref(&parameters);
			T::Blobs::discard(&parameters, &info.creator);
		}
		T::Models::release_version(info.model, round);
		Self::close(round, &info);
		Rounds::<T>::insert(round, RoundInfo { status: RoundStatus::Failed(reason), ..info });
		Self::queue_purge(round);
		Self::deposit_event(Event::RoundFailed { round, reason, refunded });
	}

	/// Queues finished round `round` to be purged `RoundRetention` blocks from now.
	pub(crate) fn queue_purge(round: RoundId) {
		let at = frame_system::Pallet::<T>::block_number().saturating_add(T::RoundRetention::get());
		PurgeQueueBounds::<T>::mutate(|(_, next)| {
			PurgeQueue::<T>::insert(*next, (at, round));
			*next = next.saturating_add(1);
		});
	}

	/// Purges the finished rounds whose retention is over at `now`, oldest first, while
	/// `meter` allows.
	pub(crate) fn purge_finished(now: BlockNumberFor<T>, meter: &mut WeightMeter) {
		if meter.try_consume(T::WeightInfo::on_idle_base()).is_err() {
			return;
		}
		let (mut first, next) = PurgeQueueBounds::<T>::get();
		while first < next {
			let Some((at, round)) = PurgeQueue::<T>::get(first) else {
				// A hole cannot happen; skip it rather than stall the queue.
				first = first.saturating_add(1);
				continue;
			};
			if at > now || meter.try_consume(T::WeightInfo::purge_round()).is_err() {
				break;
			}
			PurgeQueue::<T>::remove(first);
			Rounds::<T>::remove(round);
			first = first.saturating_add(1);
			Self::deposit_event(Event::RoundPurged { round });
		}
		PurgeQueueBounds::<T>::put((first, next));
	}

	/// Releases everything a round's shards hold (deposits, update references) and the
	/// validation set's reference, and removes the shards.
	pub(crate) fn close(round: RoundId, info: &RoundInfoOf<T>) {
		for index in 0..info.shard_count {
			let Some(shard) = Shards::<T>::take(round, index) else { continue };
			let _ = T::Currency::release(
				&HoldReason::ShardDeposit.into(),
				&shard.owner,
				shard.deposit,
				Precision::BestEffort,
			);
			if let ShardStatus::Trained { update } = shard.status {
				let _ = T::Blobs::remove_ref(&update);
			}
			Joined::<T>::remove(round, &shard.owner);
		}
		let _ = RevealedUpdates::<T>::clear_prefix(round, u32::MAX, None);
		let _ = T::Blobs::remove_ref(&info.validation);
	}

	/// Pays `pool` of the budget to the `accepted` shards' owners by rows, through the rewards
	/// pot, and attests their data; returns what was paid.
	fn pay_data_owners(
		round: RoundId,
		info: &RoundInfoOf<T>,
		pool: BalanceOf<T>,
		accepted: &[(u32, ShardOf<T>, BlobHash)],
	) -> BalanceOf<T> {
		let mut paid = BalanceOf::<T>::zero();
		let total_rows: u64 = accepted.iter().map(|(_, s, _)| u64::from(s.rows)).sum();
		for (shard_index, shard, update) in accepted {
			let amount = share(pool, shard.rows, total_rows);
			if Self::pay_from_budget(info, &shard.owner, amount) {
				paid = paid.saturating_add(amount);
				Self::deposit_event(Event::ShardRewarded {
					round,
					shard: *shard_index,
					owner: shard.owner.clone(),
					amount,
				});
			}
			let points =
				(T::DataPoints::get().saturating_mul(shard.rows.into()) / total_rows.max(1)).max(1);
			Self::record(
				round,
				&shard.owner,
				ContributionKind::Data,
				Subject::Round(round),
				points,
				*update,
			);
		}
		paid
	}

	/// Ends a round whose combined parameters publish no version (too few accepted, or the
	/// registry refused them): the accepted shards' owners get all that is left of the budget
	/// (the model's owner, who could have caused the failure, gets no royalty), the version
	/// secured for the round is given back, and the round fails for `reason` with any
	/// rounding rest returned.
	pub(crate) fn end_paying_data_owners(
		round: RoundId,
		info: RoundInfoOf<T>,
		accepted: &[(u32, ShardOf<T>, BlobHash)],
		reason: RoundFailure,
	) {
		let left = info.budget.saturating_sub(info.spent);
		let paid = Self::pay_data_owners(round, &info, left, accepted);
		// What was paid out no longer comes back to the creator; `end_failed` drops the
		// round's reference to the combined parameters.
		let info = RoundInfo { spent: info.spent.saturating_add(paid), ..info };
		Self::end_failed(round, info, reason);
	}

	/// Ends a round as completed with `version` published from `parameters`: pays the base
	/// version's owner its royalty rate of the budget left after the jobs and the `accepted`
	/// shards' owners the rest by rows, through the rewards pot, attests their contributions,
	/// gives back any rounding rest and releases what the shards hold.
	pub(crate) fn end_completed(
		round: RoundId,
		info: RoundInfoOf<T>,
		version: VersionNumber,
		parameters: BlobHash,
		accepted: &[(u32, ShardOf<T>, BlobHash)],
	) {
		let subject = Subject::Round(round);
		let left = info.budget.saturating_sub(info.spent);
		let mut paid = BalanceOf::<T>::zero();
		if let Some(base) = T::Models::version(info.model, info.base) {
			let amount = base.royalty.mul_floor(left);
			if Self::pay_from_budget(&info, &base.owner, amount) {
				paid = paid.saturating_add(amount);
				Self::deposit_event(Event::OwnerRewarded {
					round,
					owner: base.owner.clone(),
					amount,
				});
			}
			Self::record(
				round,
				&base.owner,
				ContributionKind::Model,
				subject,
				T::ModelPoints::get(),
				parameters,
			);
		}
		paid = paid.saturating_add(Self::pay_data_owners(
			round,
			&info,
			left.saturating_sub(paid),
			accepted,
		));
		let refunded = T::Currency::release(
			&HoldReason::RoundBudget.into(),
			&info.creator,
			left.saturating_sub(paid),
			Precision::BestEffort,
		)
		.unwrap_or_else(|_| Zero::zero());
		let _ = T::Blobs::remove_ref(&parameters);
		Self::close(round, &info);
		Rounds::<T>::insert(
			round,
			RoundInfo { status: RoundStatus::Completed { version }, ..info },
		);
		Self::queue_purge(round);
		Self::deposit_event(Event::RoundCompleted {
			round,
			version,
			compute: info.spent,
			paid,
			refunded,
		});
	}
}
