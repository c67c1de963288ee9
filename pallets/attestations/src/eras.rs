//! The era clock and the pruning of eras older than the history.

use frame_support::{traits::Get, weights::WeightMeter};
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::contribution::{EraIndex, PointsListener};
use sp_runtime::traits::One;

use crate::{
	AccountPoints, Attestations, ByAccount, ByEra, BySubject, Config, CurrentEra, EraPoints,
	EraStart, Event, OldestEra, Pallet, WeightInfo,
};

impl<T: Config> Pallet<T> {
	/// Ends the current era at block `now` and starts the next.
	pub(crate) fn end_era(now: BlockNumberFor<T>) {
		let era = CurrentEra::<T>::get();
		let points = EraPoints::<T>::get(era);
		T::Listener::era_ended(era, points.total());
		CurrentEra::<T>::put(era.saturating_add(1));
		EraStart::<T>::put(now);
		Self::deposit_event(Event::EraEnded { era, points });
	}

	/// The oldest era that is due for pruning, if any.
	pub(crate) fn era_to_prune() -> Option<EraIndex> {
		let oldest = OldestEra::<T>::get();
		(CurrentEra::<T>::get().saturating_sub(oldest) > T::HistoryDepth::get()).then_some(oldest)
	}

	/// Prunes records of eras older than the history, oldest first, while `meter` allows.
	pub(crate) fn prune(meter: &mut WeightMeter) {
		if meter.try_consume(T::WeightInfo::on_idle_base()).is_err() {
			return;
		}
		while let Some(era) = Self::era_to_prune() {
			if meter.try_consume(T::WeightInfo::prune_attestation()).is_err() {
				return;
			}
			if let Some((id, ())) = ByEra::<T>::drain_prefix(era).next() {
				if let Some(attestation) = Attestations::<T>::take(id) {
					ByAccount::<T>::remove(&attestation.contributor, id);
					BySubject::<T>::remove(attestation.subject, id);
				}
				continue;
			}
			// Every record is gone; now the era's per-account totals, then the era itself.
			if AccountPoints::<T>::drain_prefix(era).next().is_some() {
				continue;
			}
			EraPoints::<T>::remove(era);
			OldestEra::<T>::put(era.saturating_add(One::one()));
			Self::deposit_event(Event::EraPruned { era });
		}
	}
}
