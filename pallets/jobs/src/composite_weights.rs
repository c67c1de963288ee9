//! Weights of calls and hooks that may do more than their own benchmark measures, named so
//! each sum says why it is there (as pallet-scheduler's `MarginalWeightInfo`).
//!
//! A reveal or a phase end may settle a job; settling may escalate (assigning more workers
//! from the whole eligible list) or end it (telling the observer). The benchmarks measure
//! each step on its own, in its worst case; these add up the steps one call can take.

use super::*;

impl<T: Config> Pallet<T> {
	/// An escalation: `EscalationWorkers` drawn from at most `MaxWorkers` eligible workers,
	/// with the block's randomness.
	pub fn escalation_weight() -> Weight {
		T::WeightInfo::assign(T::MaxWorkers::get(), T::EscalationWorkers::get().into())
			.saturating_add(T::WeightInfo::randomness())
	}

	/// What telling the observer of a job's end may cost, with the look-up of the job's
	/// blobs a settlement makes when a worker outside the quorum rejected a remote one
	/// ([`Self::remote_rejection_weight`]) and the taking of an unserved remote blob's bond
	/// ([`Self::unserved_blob_weight`]).
	pub fn end_weight() -> Weight {
		let (reads, writes) = T::Observer::MAX_END_ACCESSES;
		T::DbWeight::get()
			.reads_writes(reads.saturating_add(1), writes)
			.saturating_add(Self::remote_rejection_weight())
			.saturating_add(Self::unserved_blob_weight())
	}

	/// Taking an unserved remote blob's bond: finding it (the version and the summaries of
	/// four blobs, [`Self::remote_rejection_weight`]), the blob's record read and written, the
	/// hold moved (the owner's hold and account, the pot's account) and the event. The credits
	/// to the workers are a payout's, which the settlement benchmarks cover.
	pub fn unserved_blob_weight() -> Weight {
		T::DbWeight::get()
			.reads_writes(4, 4)
			.saturating_add(Self::remote_rejection_weight())
	}

	/// Reading the job's version and the summaries of its input, parameter, manifest and model
	/// blobs, to tell whether a rejection of wrong remote bytes may excuse a worker outside the
	/// quorum.
	pub fn remote_rejection_weight() -> Weight {
		T::DbWeight::get().reads(5)
	}

	/// A reveal of `values` output values that may be the last: it then settles over every
	/// assignee and may end the job. A settlement that would escalate (a lone worker's
	/// abstention) is left to the next block, whose hook is charged [`Self::reveal_end_weight`].
	pub fn reveal_weight(values: u32) -> Weight {
		T::WeightInfo::reveal(values, T::MaxAssignees::get()).saturating_add(Self::end_weight())
	}

	/// An opening that may be the last: with a quorum of digests it starts the disclosure
	/// (what the benchmark measures); without one it moves the phase's end, which may
	/// escalate or settle, to the next block, whose hook is charged [`Self::open_end_weight`].
	pub fn open_weight() -> Weight {
		T::WeightInfo::open(T::MaxAssignees::get())
	}

	/// An opening phase's end: as the last opening's.
	pub fn open_end_weight() -> Weight {
		T::WeightInfo::expire_open(T::MaxAssignees::get())
			.saturating_add(Self::escalation_weight())
			.saturating_add(T::WeightInfo::expire_reveal(0, T::MaxAssignees::get()))
			.saturating_add(Self::end_weight())
	}

	/// A cancellation, which ends the job.
	pub fn cancel_weight() -> Weight {
		T::WeightInfo::cancel_job().saturating_add(Self::end_weight())
	}

	/// A commit phase's end: liveness of every assignee, then, if nothing is left to reveal
	/// or open, what an opening phase's end may do.
	pub fn commit_end_weight() -> Weight {
		T::WeightInfo::expire_commit(T::MaxAssignees::get()).saturating_add(Self::open_end_weight())
	}

	/// A reveal phase's end: a settlement of the largest reveals by every assignee, which may
	/// escalate or end the job.
	pub fn reveal_end_weight() -> Weight {
		T::WeightInfo::expire_reveal(T::MaxOutputValues::get(), T::MaxAssignees::get())
			.saturating_add(Self::escalation_weight())
			.saturating_add(Self::end_weight())
	}

	/// A queued job that can no longer start, failed at its latest start.
	pub fn expire_queued_weight() -> Weight {
		T::WeightInfo::expire_queued().saturating_add(Self::end_weight())
	}
}
