//! Contributions and rewards: the vocabulary the attestation ledger, the rewards pallet and
//! the pallets that record work (jobs, later training rounds) share, and the small traits
//! through which they talk without depending on each other.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::DispatchError;

/// Contribution points: the unit an era's emission is split by.
pub type Points = u64;

/// Number of an era; eras are counted from 0 at genesis.
pub type EraIndex = u32;

/// Identifier of an attestation in the ledger.
pub type AttestationId = u64;

/// What was contributed.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ContributionKind {
	/// A worker's result that the quorum agreed with.
	#[codec(index = 0)]
	Compute,
	/// A dataset shard used by a training job.
	#[codec(index = 1)]
	Data,
	/// A model version whose jobs ran, or from which another version was trained.
	#[codec(index = 2)]
	Model,
	/// A worker's reveal that confirmed another worker's result.
	#[codec(index = 3)]
	Validation,
}

/// What a contribution belongs to.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Subject {
	/// A compute job, by id.
	#[codec(index = 0)]
	Job(u64),
	/// A training round, by id.
	#[codec(index = 1)]
	Round(u64),
}

/// Points of one account (or of everyone) in one era, by kind.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct PointsByKind {
	/// Points for agreed results.
	pub compute: Points,
	/// Points for dataset shards.
	pub data: Points,
	/// Points for models.
	pub model: Points,
	/// Points for confirming others' results.
	pub validation: Points,
}

impl PointsByKind {
	/// All points, whatever their kind.
	pub fn total(&self) -> Points {
		self.compute
			.saturating_add(self.data)
			.saturating_add(self.model)
			.saturating_add(self.validation)
	}

	/// Whether there are no points at all.
	pub fn is_zero(&self) -> bool {
		self.total() == 0
	}

	fn slot(&mut self, kind: ContributionKind) -> &mut Points {
		match kind {
			ContributionKind::Compute => &mut self.compute,
			ContributionKind::Data => &mut self.data,
			ContributionKind::Model => &mut self.model,
			ContributionKind::Validation => &mut self.validation,
		}
	}

	/// Adds `points` of `kind`.
	pub fn add(&mut self, kind: ContributionKind, points: Points) {
		let slot = self.slot(kind);
		*slot = slot.saturating_add(points);
	}

	/// Removes `points` of `kind`, down to zero.
	pub fn remove(&mut self, kind: ContributionKind, points: Points) {
		let slot = self.slot(kind);
		*slot = slot.saturating_sub(points);
	}
}

/// Records contributions in the attestation ledger. Implemented by the attestations pallet;
/// called by the pallets that see work done.
pub trait RecordContribution<AccountId> {
	/// Records that `who` contributed `points` of `kind` to `subject`, with `evidence` (e.g.
	/// the agreed result's digest or a blob hash). Zero points record nothing and fail.
	fn record(
		who: &AccountId,
		kind: ContributionKind,
		subject: Subject,
		points: Points,
		evidence: [u8; 32],
	) -> Result<AttestationId, DispatchError>;
}

/// Told of every change of contribution points. Implemented by the rewards pallet; called by
/// the attestation ledger, which owns the era clock. Its cost is part of the ledger's
/// benchmarked weights, which run with the runtime's own listener.
pub trait PointsListener<AccountId> {
	/// `who` gained `points` in the current era `era`.
	fn points_added(era: EraIndex, who: &AccountId, points: Points);
	/// `who` lost `points` it had gained in `era` (which may have ended).
	fn points_removed(era: EraIndex, who: &AccountId, points: Points);
	/// `era` ended with `total` points over all accounts.
	fn era_ended(era: EraIndex, total: Points);
}

impl<AccountId> PointsListener<AccountId> for () {
	fn points_added(_: EraIndex, _: &AccountId, _: Points) {}
	fn points_removed(_: EraIndex, _: &AccountId, _: Points) {}
	fn era_ended(_: EraIndex, _: Points) {}
}

/// Where money that becomes a reward comes from.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum RewardSource {
	/// A worker's share of a job's fee.
	#[codec(index = 0)]
	Fee,
	/// A model owner's royalty on a job.
	#[codec(index = 1)]
	Royalty,
	/// The protocol fee of a job.
	#[codec(index = 2)]
	ProtocolFee,
	/// Stake slashed from a worker.
	#[codec(index = 3)]
	Slash,
	/// Tokens minted by the per-block emission.
	#[codec(index = 4)]
	Emission,
	/// A training round's budget, paid to the owners of the data it accepted.
	#[codec(index = 5)]
	RoundBudget,
	/// A remote blob's bond, paid to the workers it did not serve its claimed bytes.
	#[codec(index = 6)]
	RemoteBlobBond,
}

/// The rewards pot, as the pallets that pay into it see it. A payer first moves the funds
/// into [`RewardPot::account`], then tells the pot what they are for; the pot never moves
/// funds it was not told about.
pub trait RewardPot<AccountId, Balance> {
	/// The account that holds every unclaimed reward.
	fn account() -> AccountId;
	/// `amount`, just moved into the pot, is owed to `who` (claimable at once).
	fn credit(who: &AccountId, amount: Balance, source: RewardSource);
	/// `amount`, just moved into the pot, is shared by contribution points in the current era.
	fn fund(amount: Balance, source: RewardSource);
}
