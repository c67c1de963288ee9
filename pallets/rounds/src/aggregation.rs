//! The aggregation job: what it escrows, which updates it combines, and submitting it.

use alloc::vec::Vec;
use codec::Encode;
use frame_support::traits::Get;
use frame_support::{
	pallet_prelude::DispatchError,
	storage::{with_transaction, TransactionOutcome},
};
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{
	blob::{BlobInspect, BlobStore},
	rounds::{AggregationManifest, RoundJob, RoundJobs},
};
use sp_runtime::traits::Saturating;

use crate::{
	BalanceOf, BlobHash, Config, JobId, Pallet, RoundId, RoundInfoOf, RoundSettingsOf, ShardOf,
	ShardStatus, Shards,
};

/// Stands in for the manifest's hash when the aggregation escrow is worked out before the
/// manifest is stored: the hash does not change the escrow.
const MANIFEST_PLACEHOLDER: BlobHash = [0; 32];

impl<T: Config> Pallet<T> {
	/// What the round's aggregation job will hold in escrow.
	pub(crate) fn aggregation_escrow(
		parameters: BlobHash,
		validation: BlobHash,
		settings: &RoundSettingsOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let job = RoundJob::Aggregation { parameters, manifest: MANIFEST_PLACEHOLDER, validation };
		T::Jobs::escrow(job, settings.replication, settings.fee_per_worker)
	}

	/// Whether every result of a round on `parameters` can be revealed value by value, and so
	/// stored: a training job's parameters with its `epochs`-long loss curve (and one value to
	/// spare), and an aggregation's parameters with its reports on up to `MaxShards` updates
	/// (a verdict and a norm each, and a loss each and the base's). A result agreed by digest
	/// only is not stored, and its shard or round would be lost. A parameter blob holds
	/// `f32` or `f64` values of four or eight bytes, so its size over four bounds its values.
	pub(crate) fn results_fit_a_reveal(parameters: &BlobHash, epochs: u16) -> bool {
		let Some(size) = T::Blobs::size(parameters) else { return false };
		let reports = u64::from(epochs.saturating_add(1))
			.max(3u64.saturating_mul(T::MaxShards::get().into()).saturating_add(1));
		(size / 4).saturating_add(reports) <= u64::from(T::Jobs::max_result_values())
	}

	/// The shards with an update, in shard order: what the manifest lists, and the order of
	/// the verdicts.
	pub(crate) fn trained_shards(round: RoundId, count: u32) -> Vec<(u32, ShardOf<T>, BlobHash)> {
		(0..count)
			.filter_map(|index| {
				let shard = Shards::<T>::get(round, index)?;
				match shard.status {
					ShardStatus::Trained { update } => Some((index, shard, update)),
					_ => None,
				}
			})
			.collect()
	}

	/// Stores `manifest` as a blob of the round's creator and submits the aggregation job
	/// over it, its escrow released from the budget: all of it or, on any error, none of it.
	/// Returns the manifest's hash, the job and its escrow (the caller adds it to `spent`).
	pub(crate) fn submit_aggregation(
		info: &RoundInfoOf<T>,
		manifest: &AggregationManifest,
		now: BlockNumberFor<T>,
	) -> Result<(BlobHash, JobId, BalanceOf<T>), DispatchError> {
		with_transaction(|| {
			let result = (|| -> Result<(BlobHash, JobId, BalanceOf<T>), DispatchError> {
				let manifest = T::Blobs::store(&info.creator, manifest.encode())?;
				let aggregation = RoundJob::Aggregation {
					parameters: info.base_parameters,
					manifest,
					validation: info.validation,
				};
				let escrow = T::Jobs::escrow(
					aggregation,
					info.settings.replication,
					info.settings.fee_per_worker,
				)?;
				Self::release_for_job(info, escrow)?;
				let job = T::Jobs::submit(
					&info.creator,
					info.model,
					info.base,
					aggregation,
					info.settings.replication,
					info.settings.fee_per_worker,
					now.saturating_add(info.settings.job_period),
				)?;
				Ok((manifest, job, escrow))
			})();
			match result {
				Ok(done) => TransactionOutcome::Commit(Ok(done)),
				Err(e) => TransactionOutcome::Rollback(Err(e)),
			}
		})
	}
}
