//! Benchmarks of the attestations pallet (benchmarks v2). They run with the runtime's own
//! [`Config::Listener`], so its cost (the rewards pallet's accounting) is part of each weight.

use super::*;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

fn longest_reason<T: Config>() -> ReasonOf<T> {
	BoundedVec::truncate_from(alloc::vec![b'r'; T::MaxReasonLength::get() as usize])
}

/// Records an attestation for `who` in the current era.
fn recorded<T: Config>(who: &T::AccountId, job: u64) -> AttestationId {
	Pallet::<T>::do_record(who, ContributionKind::Compute, Subject::Job(job), 10, [1; 32])
		.expect("records")
}

/// Ends the current era.
fn end_era<T: Config>() {
	let now = frame_system::Pallet::<T>::block_number();
	Pallet::<T>::end_era(now);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn record() {
		let who: T::AccountId = account("contributor", 0, 0);
		// The account already has points in this era: its ledger entry is read and written.
		recorded::<T>(&who, 0);
		let reason = longest_reason::<T>();

		#[extrinsic_call]
		_(
			RawOrigin::Root,
			who.clone(),
			ContributionKind::Data,
			Subject::Round(1),
			100,
			[2; 32],
			reason,
		);

		assert_eq!(AccountPoints::<T>::get(0, &who).data, 100);
	}

	#[benchmark]
	fn revoke() {
		let who: T::AccountId = account("contributor", 0, 0);
		let id = recorded::<T>(&who, 0);
		// Other points in the era keep the totals alive; the era has ended.
		recorded::<T>(&account("other", 0, 0), 1);
		end_era::<T>();
		let reason = longest_reason::<T>();

		#[extrinsic_call]
		_(RawOrigin::Root, id, reason);

		assert!(Attestations::<T>::get(id).and_then(|a| a.revoked).is_some());
	}

	#[benchmark]
	fn set_era_length() {
		let blocks: BlockNumberFor<T> = 100u32.into();

		#[extrinsic_call]
		_(RawOrigin::Root, blocks);

		assert_eq!(EraLength::<T>::get(), blocks);
	}

	#[benchmark]
	fn on_initialize_within_era() {
		let now = EraStart::<T>::get();

		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}

		assert_eq!(CurrentEra::<T>::get(), 0);
	}

	#[benchmark]
	fn on_initialize_era_end() {
		recorded::<T>(&account("contributor", 0, 0), 0);
		let now = EraStart::<T>::get().saturating_add(EraLength::<T>::get());

		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}

		assert_eq!(CurrentEra::<T>::get(), 1);
	}

	#[benchmark]
	fn on_idle_base() {
		let mut meter = WeightMeter::new();

		#[block]
		{
			Pallet::<T>::prune(&mut meter);
		}

		assert_eq!(OldestEra::<T>::get(), 0);
	}

	#[benchmark]
	fn prune_attestation() {
		let who: T::AccountId = account("contributor", 0, 0);
		recorded::<T>(&who, 0);
		let id = recorded::<T>(&who, 1);
		for _ in 0..=T::HistoryDepth::get() {
			end_era::<T>();
		}
		let mut meter = WeightMeter::with_limit(
			T::WeightInfo::on_idle_base().saturating_add(T::WeightInfo::prune_attestation()),
		);

		#[block]
		{
			Pallet::<T>::prune(&mut meter);
		}

		assert_eq!(Attestations::<T>::iter().count(), 1);
		assert!(Attestations::<T>::get(id).is_none() || Attestations::<T>::get(id - 1).is_none());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
