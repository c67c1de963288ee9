//! Types of the rewards pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use mosaic_primitives::contribution::{EraIndex, Points};
use scale_info::TypeInfo;

/// What the pot owes one account. O(1) to bring up to date: an account has points in at
/// most one era that has not been worked out yet, because points are only ever added in the
/// current era and adding them works out the previous ones first.
#[derive(
	Clone,
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
pub struct Ledger<Balance> {
	/// Owed and not yet claimed: credited fees and royalties, and the worked-out shares of
	/// ended eras.
	pub accrued: Balance,
	/// The era `points` were earned in.
	pub era: EraIndex,
	/// Points in `era` whose share is not in `accrued` yet: worked out once `era` has ended,
	/// the next time the account is touched.
	pub points: Points,
}
