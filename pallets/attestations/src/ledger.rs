//! Recording contributions in the current era.

use frame_support::{ensure, pallet_prelude::DispatchError};
use mosaic_primitives::contribution::{
	AttestationId, ContributionKind, Points, PointsListener, Subject,
};

use crate::{
	AccountPoints, Attestation, Attestations, ByAccount, ByEra, BySubject, Config, CurrentEra,
	EraPoints, Error, Event, NextAttestationId, Pallet,
};

impl<T: Config> Pallet<T> {
	/// Records a contribution in the current era and tells the listener.
	pub fn do_record(
		who: &T::AccountId,
		kind: ContributionKind,
		subject: Subject,
		points: Points,
		evidence: [u8; 32],
	) -> Result<AttestationId, DispatchError> {
		ensure!(points > 0, Error::<T>::ZeroPoints);
		let era = CurrentEra::<T>::get();
		// Per-account and per-kind points never exceed the era's total, so bounding the
		// total keeps every sum exact.
		ensure!(
			EraPoints::<T>::get(era).total().checked_add(points).is_some(),
			Error::<T>::TooManyPoints
		);
		let id = NextAttestationId::<T>::get();
		NextAttestationId::<T>::put(id.checked_add(1).ok_or(Error::<T>::IdsExhausted)?);
		Attestations::<T>::insert(
			id,
			Attestation {
				contributor: who.clone(),
				kind,
				subject,
				points,
				evidence,
				era,
				recorded_at: frame_system::Pallet::<T>::block_number(),
				revoked: None,
			},
		);
		ByAccount::<T>::insert(who, id, ());
		BySubject::<T>::insert(subject, id, ());
		ByEra::<T>::insert(era, id, ());
		AccountPoints::<T>::mutate(era, who, |p| p.add(kind, points));
		EraPoints::<T>::mutate(era, |p| p.add(kind, points));
		T::Listener::points_added(era, who, points);
		Self::deposit_event(Event::Recorded {
			id,
			contributor: who.clone(),
			kind,
			subject,
			points,
			era,
		});
		Ok(id)
	}
}
