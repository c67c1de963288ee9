//! Joining a round with a shard: who may join, and the shard's deposit and record.

use frame_support::{
	ensure,
	pallet_prelude::DispatchError,
	traits::{fungible::MutateHold, Get},
};

use crate::{
	Config, Error, HoldReason, Joined, Pallet, RoundId, RoundInfoOf, RoundStatus, Rounds, Shard,
	ShardKind, ShardStatus, Shards,
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
