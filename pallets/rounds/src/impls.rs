//! The rounds pallet as the other pallets see it: the jobs pallet's [`JobObserver`], told when
//! a job this pallet submitted ends, and the registry's [`ModelObserver`], told when a model's
//! owner is gone.

use alloc::vec::Vec;
use frame_support::BoundedVec;
use frame_support::{traits::Get, weights::Weight};
use mosaic_primitives::{
	blob::BlobReferences,
	model::{ModelId, ModelObserver},
	rounds::{JobEnd, JobObserver},
};

use crate::{
	Config, Event, JobId, OpenBases, Pallet, RoundOfJob, RoundStatus, Rounds, ShardStatus, Shards,
};

/// The consents a model's owner gave (its bases opened to rounds) end with its ownership: a
/// new owner must open them again, and a removed model leaves nothing behind.
impl<T: Config> ModelObserver for Pallet<T> {
	fn owner_gone(model: ModelId) {
		let _ = OpenBases::<T>::clear_prefix(model, u32::MAX, None);
	}

	/// One entry per version at most, each read and removed, and the prefix's end read.
	fn owner_gone_weight(versions: u32) -> Weight {
		let entries = u64::from(versions);
		T::DbWeight::get().reads_writes(entries.saturating_add(1), entries)
	}
}

impl<T: Config> JobObserver for Pallet<T> {
	fn owns(job: JobId) -> bool {
		RoundOfJob::<T>::contains_key(job)
	}

	fn job_ended(job: JobId, end: JobEnd) {
		let Some((round, shard)) = RoundOfJob::<T>::take(job) else { return };
		let Some(mut info) = Rounds::<T>::get(round) else { return };
		match shard {
			Some(index) => {
				info.training = info.training.saturating_sub(1);
				if let Some(mut entry) = Shards::<T>::get(round, index) {
					// A shard weighs what its job's quorum measured, not what its owner
					// declared; a result without its rows is no result.
					let update =
						match end {
							JobEnd::Settled {
								parameters: Some(update), rows: Some(rows), ..
							} if rows >= 1 => T::Blobs::add_ref(&update).ok().map(|_| (update, rows)),
							_ => None,
						};
					entry.status = match update {
						Some((update, rows)) => {
							entry.rows = u32::try_from(rows).unwrap_or(u32::MAX);
							Self::deposit_event(Event::ShardTrained {
								round,
								shard: index,
								update,
								rows: entry.rows,
							});
							ShardStatus::Trained { update }
						},
						None => {
							Self::deposit_event(Event::ShardDropped { round, shard: index });
							ShardStatus::Dropped
						},
					};
					Shards::<T>::insert(round, index, entry);
				}
			},
			None => {
				let (parameters, verdicts) = match end {
					JobEnd::Settled { parameters: Some(p), verdicts, .. } => {
						(T::Blobs::add_ref(&p).ok().map(|_| p), verdicts)
					},
					_ => (None, Vec::new()),
				};
				info.status = RoundStatus::Aggregated {
					parameters,
					verdicts: BoundedVec::truncate_from(verdicts),
				};
				Self::deposit_event(Event::RoundAggregated { round, parameters });
			},
		}
		Rounds::<T>::insert(round, info);
	}

	/// `RoundOfJob`, the round, a shard and a blob reference: read and written once each.
	const MAX_END_ACCESSES: (u64, u64) = (4, 4);
}
