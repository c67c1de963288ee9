//! What the runtime API reads of the ledger.

use alloc::vec::Vec;
use mosaic_primitives::contribution::{AttestationId, EraIndex, PointsByKind, Subject};

use crate::{
	AccountPoints, AttestationOf, Attestations, ByAccount, ByEra, BySubject, Config, CurrentEra,
	OldestEra, Pallet,
};

impl<T: Config> Pallet<T> {
	/// An account's points per era kept, for the runtime API.
	pub fn points_of(who: &T::AccountId) -> Vec<(EraIndex, PointsByKind)> {
		(OldestEra::<T>::get()..=CurrentEra::<T>::get())
			.filter_map(|era| AccountPoints::<T>::try_get(era, who).ok().map(|p| (era, p)))
			.collect()
	}

	/// Attestations of a subject, for the runtime API.
	pub fn by_subject(subject: Subject) -> Vec<(AttestationId, AttestationOf<T>)> {
		BySubject::<T>::iter_key_prefix(subject)
			.filter_map(|id| Attestations::<T>::get(id).map(|a| (id, a)))
			.collect()
	}

	/// Up to `limit` attestations of an account, for the runtime API.
	pub fn by_account(who: &T::AccountId, limit: u32) -> Vec<(AttestationId, AttestationOf<T>)> {
		ByAccount::<T>::iter_key_prefix(who)
			.filter_map(|id| Attestations::<T>::get(id).map(|a| (id, a)))
			.take(limit as usize)
			.collect()
	}

	/// Up to `limit` attestations of an era, for the runtime API.
	pub fn by_era(era: EraIndex, limit: u32) -> Vec<(AttestationId, AttestationOf<T>)> {
		ByEra::<T>::iter_key_prefix(era)
			.filter_map(|id| Attestations::<T>::get(id).map(|a| (id, a)))
			.take(limit as usize)
			.collect()
	}
}
