//! The ledger as other pallets see it: this pallet's implementation of
//! [`RecordContribution`].

use frame_support::pallet_prelude::DispatchError;
use mosaic_primitives::contribution::{
	AttestationId, ContributionKind, Points, RecordContribution, Subject,
};

use crate::{Config, Pallet};

impl<T: Config> RecordContribution<T::AccountId> for Pallet<T> {
	fn record(
		who: &T::AccountId,
		kind: ContributionKind,
		subject: Subject,
		points: Points,
		evidence: [u8; 32],
	) -> Result<AttestationId, DispatchError> {
		Self::do_record(who, kind, subject, points, evidence)
	}
}
