//! Types of the attestations pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use mosaic_primitives::contribution::{ContributionKind, EraIndex, Points, Subject};
use scale_info::TypeInfo;

/// One contribution in the ledger.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Attestation<AccountId, BlockNumber, Reason> {
	/// Who contributed.
	pub contributor: AccountId,
	/// What was contributed.
	pub kind: ContributionKind,
	/// The job or round it belongs to.
	pub subject: Subject,
	/// Its weight in contribution points.
	pub points: Points,
	/// A digest that backs it: the agreed result's digest, a blob hash, a governance document.
	pub evidence: [u8; 32],
	/// The era whose points it counts in.
	pub era: EraIndex,
	/// The block it was recorded in.
	pub recorded_at: BlockNumber,
	/// Governance's reason, once revoked; its points then count no more.
	pub revoked: Option<Reason>,
}
