//! Joining a round with a shard: who may join, the shard's deposit and record, revealing a
//! private update, and what a private shard may weigh.

use frame_support::{
	ensure,
	pallet_prelude::DispatchError,
	traits::{fungible::MutateHold, Get},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

use alloc::vec::Vec;

use crate::{
	Config, Error, Event, HoldReason, Joined, Pallet, RoundId, RoundInfoOf, RoundStatus, Rounds,
	Shard, ShardKind, ShardOf, ShardStatus, Shards,
};

impl<T: Config> Pallet<T> {
	/// The open round `round`, if `who` may join it with a shard of `rows` rows.
	pub(crate) fn joinable(
		round: RoundId,
		who: &T::AccountId,
		rows: u32,
	) -> Result<RoundInfoOf<T>, DispatchError> {
		let info = Rounds::<T>::get(round).ok_or(Error::<T>::UnknownRound)?;
		ensure!(info.status == RoundStatus::Open, Error::<T>::NotOpen);
		ensure!(
			frame_system::Pallet::<T>::block_number() <= info.join_until,
			Error::<T>::JoiningClosed
		);
		ensure!(!Joined::<T>::contains_key(round, who), Error::<T>::AlreadyJoined);
		ensure!(info.shard_count < T::MaxShards::get(), Error::<T>::TooManyShards);
		ensure!(rows >= 1, Error::<T>::NoRows);
		Ok(info)
	}

	/// The last block in which the private shards of the round `info` may reveal.
	pub(crate) fn reveal_end(info: &RoundInfoOf<T>) -> BlockNumberFor<T> {
		info.join_until.saturating_add(T::UpdateRevealPeriod::get())
	}

	/// Whether a private shard of round `round` (of `count` shards) has yet to reveal.
	pub(crate) fn reveals_pending(round: RoundId, count: u32) -> bool {
		(0..count).any(|index| {
			Shards::<T>::get(round, index)
				.is_some_and(|shard| matches!(shard.status, ShardStatus::Committed { .. }))
		})
	}

	/// Cuts each private shard's declared rows of round `round` (of `count` shards) to what the
	/// round can vouch for: the most rows a public shard's job measured, or 1 if no public
	/// shard trained. Nobody can count a private shard's rows, so a declared `u32::MAX` must
	/// not take the pool and the average.
	pub(crate) fn cap_private_rows(round: RoundId, count: u32) {
		let shards: Vec<(u32, ShardOf<T>)> =
			(0..count).filter_map(|i| Shards::<T>::get(round, i).map(|s| (i, s))).collect();
		let trained = |shard: &ShardOf<T>| matches!(shard.status, ShardStatus::Trained { .. });
		let cap = shards
			.iter()
			.filter(|(_, s)| matches!(s.kind, ShardKind::Public { .. }) && trained(s))
			.map(|(_, s)| s.rows)
			.max()
			.unwrap_or(1);
		for (index, mut shard) in shards {
			if shard.kind == ShardKind::Private && trained(&shard) && shard.rows > cap {
				shard.rows = cap;
				Shards::<T>::insert(round, index, shard);
				Self::deposit_event(Event::ShardRowsCapped { round, shard: index, rows: cap });
			}
		}
	}

	/// Holds the shard deposit and records a new shard; returns its number.
	pub(crate) fn add_shard(
		round: RoundId,
		info: &mut RoundInfoOf<T>,
		who: &T::AccountId,
		rows: u32,
		kind: ShardKind,
		status: ShardStatus,
	) -> Result<u32, DispatchError> {
		let deposit = T::ShardDeposit::get();
		T::Currency::hold(&HoldReason::ShardDeposit.into(), who, deposit)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let shard = info.shard_count;
		info.shard_count = shard.saturating_add(1);
		Shards::<T>::insert(
			round,
			shard,
			Shard { owner: who.clone(), rows, kind, status, deposit },
		);
		Joined::<T>::insert(round, who, shard);
		Ok(shard)
	}
}
