//! The pallet's invariants, checked after every test and by `try-runtime`.

use alloc::collections::BTreeMap;
use frame_support::ensure;
use mosaic_primitives::contribution::{EraIndex, PointsByKind};
use sp_runtime::traits::Zero;

use crate::{
	AccountPoints, Attestations, ByAccount, ByEra, BySubject, Config, CurrentEra, EraLength,
	EraPoints, NextAttestationId, OldestEra, Pallet,
};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants:
	/// - the era length is positive, and no era is older than [`OldestEra`] or newer than
	///   [`CurrentEra`];
	/// - every attestation's id is below [`NextAttestationId`], and it is indexed by account,
	///   subject and era; every index entry names a kept attestation with that key;
	/// - each era's totals in [`EraPoints`] equal the sum of its accounts' points in
	///   [`AccountPoints`], and no account has an entry without points;
	/// - in every era not being pruned, each account's points are the sum of its unrevoked
	///   attestations' points, by kind.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(!EraLength::<T>::get().is_zero(), "the era length is zero");
		let (oldest, current) = (OldestEra::<T>::get(), CurrentEra::<T>::get());
		let kept = |era: EraIndex| oldest <= era && era <= current;
		// The oldest era may be half pruned: its records go before its totals.
		let whole = |era: EraIndex| era > oldest || Self::era_to_prune().is_none();

		let next = NextAttestationId::<T>::get();
		let mut recorded: BTreeMap<(EraIndex, T::AccountId), PointsByKind> = BTreeMap::new();
		for (id, attestation) in Attestations::<T>::iter() {
			ensure!(id < next, "an attestation id is not below NextAttestationId");
			ensure!(kept(attestation.era), "an attestation's era is not kept");
			ensure!(
				ByAccount::<T>::contains_key(&attestation.contributor, id)
					&& BySubject::<T>::contains_key(attestation.subject, id)
					&& ByEra::<T>::contains_key(attestation.era, id),
				"an attestation is missing from an index"
			);
			if attestation.revoked.is_none() {
				recorded
					.entry((attestation.era, attestation.contributor))
					.or_default()
					.add(attestation.kind, attestation.points);
			}
		}
		for (who, id) in ByAccount::<T>::iter_keys() {
			ensure!(
				Attestations::<T>::get(id).is_some_and(|a| a.contributor == who),
				"an account index entry names no attestation of that account"
			);
		}
		for (subject, id) in BySubject::<T>::iter_keys() {
			ensure!(
				Attestations::<T>::get(id).is_some_and(|a| a.subject == subject),
				"a subject index entry names no attestation of that subject"
			);
		}
		for (era, id) in ByEra::<T>::iter_keys() {
			ensure!(
				Attestations::<T>::get(id).is_some_and(|a| a.era == era),
				"an era index entry names no attestation of that era"
			);
		}

		let mut sums: BTreeMap<EraIndex, PointsByKind> = BTreeMap::new();
		for (era, who, points) in AccountPoints::<T>::iter() {
			ensure!(kept(era), "an account's points are in an era not kept");
			ensure!(!points.is_zero(), "an account has an entry without points");
			if whole(era) {
				ensure!(
					recorded.remove(&(era, who)) == Some(points),
					"an account's points differ from its attestations'"
				);
			}
			// Era totals fit in a `u64` (recording checks it), so these sums are exact.
			let sum = sums.entry(era).or_default();
			sum.compute = sum.compute.saturating_add(points.compute);
			sum.data = sum.data.saturating_add(points.data);
			sum.model = sum.model.saturating_add(points.model);
			sum.validation = sum.validation.saturating_add(points.validation);
		}
		ensure!(
			recorded.iter().all(|((era, _), points)| !whole(*era) || points.is_zero()),
			"an account's attestations have points its totals lack"
		);

		for (era, total) in EraPoints::<T>::iter() {
			ensure!(kept(era), "an era's totals are kept past pruning");
			let sum = sums.remove(&era).unwrap_or_default();
			ensure!(
				!whole(era) || sum == total,
				"an era's totals differ from the sum of its accounts' points"
			);
		}
		ensure!(sums.is_empty(), "an era has account points but no totals");
		Ok(())
	}
}
