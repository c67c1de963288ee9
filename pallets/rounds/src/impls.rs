//! The rounds pallet as the jobs pallet sees it: its [`JobObserver`], told when a job this
//! pallet submitted ends.

use alloc::vec::Vec;
use frame_support::BoundedVec;
use mosaic_primitives::{
	blob::BlobReferences,
	rounds::{JobEnd, JobObserver},
};

use crate::{Config, Event, JobId, Pallet, RoundOfJob, RoundStatus, Rounds, ShardStatus, Shards};

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
					let update = match end {
						JobEnd::Settled { parameters: Some(update), .. } => {
							T::Blobs::add_ref(&update).ok().map(|_| update)
						},
						_ => None,
					};
					entry.status = match update {
						Some(update) => {
							Self::deposit_event(Event::ShardTrained {
								round,
								shard: index,
								update,
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
					JobEnd::Settled { parameters: Some(p), verdicts } => {
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
