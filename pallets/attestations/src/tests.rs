//! Tests of the attestations pallet.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_runtime::DispatchError;

fn reason(text: &str) -> ReasonOf<Test> {
	BoundedVec::truncate_from(text.as_bytes().to_vec())
}

fn record(who: u64, kind: ContributionKind, job: u64, points: Points) -> AttestationId {
	<Contributions as RecordContribution<u64>>::record(
		&who,
		kind,
		Subject::Job(job),
		points,
		[job as u8; 32],
	)
	.expect("records")
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

#[test]
fn recording_through_the_trait_indexes_counts_and_tells_the_listener() {
	build_and_execute(|| {
		let a = record(1, ContributionKind::Compute, 7, 10);
		let b = record(1, ContributionKind::Validation, 7, 3);
		let c = record(2, ContributionKind::Model, 8, 5);
		assert_eq!((a, b, c), (0, 1, 2));
		assert_eq!(NextAttestationId::<Test>::get(), 3);

		let stored = Attestations::<Test>::get(a).unwrap();
		assert_eq!(stored.contributor, 1);
		assert_eq!(stored.kind, ContributionKind::Compute);
		assert_eq!(stored.subject, Subject::Job(7));
		assert_eq!(stored.points, 10);
		assert_eq!(stored.evidence, [7; 32]);
		assert_eq!(stored.era, 0);
		assert_eq!(stored.recorded_at, 1);
		assert_eq!(stored.revoked, None);

		assert_eq!(
			AccountPoints::<Test>::get(0, 1),
			PointsByKind { compute: 10, validation: 3, ..Default::default() }
		);
		assert_eq!(EraPoints::<Test>::get(0).total(), 18);
		assert_eq!(EraPoints::<Test>::get(0).model, 5);

		let ids = |v: Vec<(AttestationId, AttestationOf<Test>)>| {
			let mut ids: Vec<_> = v.into_iter().map(|(id, _)| id).collect();
			ids.sort();
			ids
		};
		assert_eq!(ids(Contributions::by_subject(Subject::Job(7))), vec![0, 1]);
		assert_eq!(ids(Contributions::by_account(&1, 10)), vec![0, 1]);
		assert_eq!(ids(Contributions::by_account(&1, 1)).len(), 1);
		assert_eq!(ids(Contributions::by_era(0, 10)), vec![0, 1, 2]);
		assert_eq!(
			Contributions::points_of(&2),
			vec![(0, PointsByKind { model: 5, ..Default::default() })]
		);

		assert_eq!(
			heard(),
			vec![Heard::Added(0, 1, 10), Heard::Added(0, 1, 3), Heard::Added(0, 2, 5)]
		);
		assert_eq!(
			last_event(),
			Event::Recorded {
				id: 2,
				contributor: 2,
				kind: ContributionKind::Model,
				subject: Subject::Job(8),
				points: 5,
				era: 0
			}
			.into()
		);
	});
}

#[test]
fn zero_points_are_refused_and_leave_nothing() {
	build_and_execute(|| {
		assert_noop!(
			<Contributions as RecordContribution<u64>>::record(
				&1,
				ContributionKind::Data,
				Subject::Round(1),
				0,
				[0; 32]
			),
			Error::<Test>::ZeroPoints
		);
		assert!(heard().is_empty());
	});
}

#[test]
fn governance_records_with_a_reason_and_only_governance() {
	build_and_execute(|| {
		let call = |origin| {
			Contributions::record(
				origin,
				4,
				ContributionKind::Data,
				Subject::Round(3),
				12,
				[9; 32],
				reason("shard 3 audit"),
			)
		};
		assert_noop!(call(RuntimeOrigin::signed(1)), DispatchError::BadOrigin);
		assert_ok!(call(RuntimeOrigin::root()));
		assert_eq!(Attestations::<Test>::get(0).unwrap().subject, Subject::Round(3));
		assert_eq!(AccountPoints::<Test>::get(0, 4).data, 12);
		assert_eq!(
			last_event(),
			Event::RecordedByGovernance { id: 0, reason: reason("shard 3 audit") }.into()
		);
		assert_noop!(
			Contributions::record(
				RuntimeOrigin::root(),
				4,
				ContributionKind::Data,
				Subject::Round(3),
				0,
				[0; 32],
				reason("")
			),
			Error::<Test>::ZeroPoints
		);
	});
}

#[test]
fn revoking_removes_the_points_once_and_keeps_the_record() {
	build_and_execute(|| {
		let id = record(1, ContributionKind::Compute, 1, 10);
		record(1, ContributionKind::Validation, 1, 4);
		heard();
		assert_noop!(
			Contributions::revoke(RuntimeOrigin::signed(1), id, reason("x")),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Contributions::revoke(RuntimeOrigin::root(), 99, reason("x")),
			Error::<Test>::UnknownAttestation
		);

		assert_ok!(Contributions::revoke(RuntimeOrigin::root(), id, reason("forged")));
		assert_eq!(
			AccountPoints::<Test>::get(0, 1),
			PointsByKind { validation: 4, ..Default::default() }
		);
		assert_eq!(EraPoints::<Test>::get(0).total(), 4);
		assert_eq!(Attestations::<Test>::get(id).unwrap().revoked, Some(reason("forged")));
		assert_eq!(heard(), vec![Heard::Removed(0, 1, 10)]);
		assert_eq!(
			last_event(),
			Event::Revoked { id, contributor: 1, points: 10, era: 0, reason: reason("forged") }
				.into()
		);
		assert_noop!(
			Contributions::revoke(RuntimeOrigin::root(), id, reason("again")),
			Error::<Test>::AlreadyRevoked
		);
	});
}

#[test]
fn revoking_an_accounts_last_points_removes_its_entry() {
	build_and_execute(|| {
		let id = record(3, ContributionKind::Model, 1, 2);
		assert_ok!(Contributions::revoke(RuntimeOrigin::root(), id, reason("dup")));
		assert!(!AccountPoints::<Test>::contains_key(0, 3));
		assert!(Contributions::points_of(&3).is_empty());
	});
}

#[test]
fn revoking_in_an_ended_era_tells_the_listener_that_era() {
	build_and_execute(|| {
		let id = record(1, ContributionKind::Compute, 1, 10);
		run_to_block(ERA);
		assert_eq!(CurrentEra::<Test>::get(), 1);
		heard();
		assert_ok!(Contributions::revoke(RuntimeOrigin::root(), id, reason("late")));
		assert_eq!(heard(), vec![Heard::Removed(0, 1, 10)]);
		assert_eq!(EraPoints::<Test>::get(0).total(), 0);
	});
}

#[test]
fn eras_end_every_era_length_blocks_with_their_totals() {
	build_and_execute(|| {
		record(1, ContributionKind::Compute, 1, 10);
		record(2, ContributionKind::Data, 2, 6);
		run_to_block(ERA - 1);
		assert_eq!(CurrentEra::<Test>::get(), 0);
		heard();
		run_to_block(ERA);
		assert_eq!(CurrentEra::<Test>::get(), 1);
		assert_eq!(EraStart::<Test>::get(), ERA);
		assert_eq!(heard(), vec![Heard::EraEnded(0, 16)]);
		assert_eq!(
			last_event(),
			Event::EraEnded {
				era: 0,
				points: PointsByKind { compute: 10, data: 6, ..Default::default() }
			}
			.into()
		);
		// New points count in the new era.
		record(1, ContributionKind::Compute, 3, 1);
		assert_eq!(AccountPoints::<Test>::get(1, 1).compute, 1);
		assert_eq!(Contributions::points_of(&1).len(), 2);
		// An era without points ends too, with zero.
		run_to_block(3 * ERA);
		assert_eq!(CurrentEra::<Test>::get(), 3);
		assert_eq!(
			heard(),
			vec![Heard::Added(1, 1, 1), Heard::EraEnded(1, 1), Heard::EraEnded(2, 0)]
		);
	});
}

#[test]
fn era_length_is_set_by_governance_and_applies_to_the_current_era() {
	build_and_execute(|| {
		assert_noop!(
			Contributions::set_era_length(RuntimeOrigin::signed(1), 5),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Contributions::set_era_length(RuntimeOrigin::root(), 0),
			Error::<Test>::ZeroEraLength
		);
		assert_ok!(Contributions::set_era_length(RuntimeOrigin::root(), 3));
		assert_eq!(last_event(), Event::EraLengthSet { blocks: 3 }.into());
		run_to_block(3);
		assert_eq!(CurrentEra::<Test>::get(), 1);
		run_to_block(6);
		assert_eq!(CurrentEra::<Test>::get(), 2);
	});
}

#[test]
fn genesis_sets_the_era_length() {
	let genesis = RuntimeGenesisConfig {
		contributions: crate::GenesisConfig { era_length: Some(4) },
		..Default::default()
	};
	build_and_execute_with(genesis, || {
		assert_eq!(EraLength::<Test>::get(), 4);
	});
	build_and_execute(|| assert_eq!(EraLength::<Test>::get(), ERA));
}

#[test]
fn old_eras_are_pruned_in_idle_time_oldest_first() {
	build_and_execute(|| {
		for i in 0..5 {
			record(i, ContributionKind::Compute, i, 1);
		}
		record(1, ContributionKind::Data, 100, 2);
		// Eras 0, 1, 2 end; with 2 ended eras kept, era 0 becomes due when era 3 starts.
		run_to_block(3 * ERA);
		assert_eq!(CurrentEra::<Test>::get(), 3);
		let before_new = NextAttestationId::<Test>::get();
		record(9, ContributionKind::Compute, 200, 1);

		// Too little weight: nothing happens.
		let step = <() as WeightInfo>::prune_attestation();
		let base = <() as WeightInfo>::on_idle_base();
		let mut meter = WeightMeter::with_limit(base);
		Contributions::prune(&mut meter);
		assert_eq!(Attestations::<Test>::iter().count(), 7);

		// Room for three steps: three records go.
		let mut meter = WeightMeter::with_limit(base + step * 3);
		Contributions::prune(&mut meter);
		assert_eq!(Attestations::<Test>::iter().count(), 4);
		assert_eq!(OldestEra::<Test>::get(), 0);

		// Plenty: era 0 goes entirely (records, indexes, totals); era 3 is untouched.
		let mut meter = WeightMeter::with_limit(Weight::MAX);
		Contributions::prune(&mut meter);
		assert_eq!(OldestEra::<Test>::get(), 1);
		assert_eq!(
			Attestations::<Test>::iter().map(|(id, _)| id).collect::<Vec<_>>(),
			vec![before_new]
		);
		assert_eq!(ByEra::<Test>::iter().count(), 1);
		assert_eq!(ByAccount::<Test>::iter().count(), 1);
		assert_eq!(BySubject::<Test>::iter().count(), 1);
		assert_eq!(AccountPoints::<Test>::iter_prefix(0).count(), 0);
		assert!(!EraPoints::<Test>::contains_key(0));
		assert!(System::events().iter().any(|r| r.event == Event::EraPruned { era: 0 }.into()));
		assert_noop!(
			Contributions::revoke(RuntimeOrigin::root(), 0, reason("gone")),
			Error::<Test>::UnknownAttestation
		);
	});
}

#[test]
fn pruning_keeps_up_through_on_idle_and_keeps_the_history_depth() {
	build_and_execute(|| {
		for era in 0..6u64 {
			for i in 0..3 {
				record(i, ContributionKind::Compute, era, 1);
			}
			run_to_block_with_idle((era + 1) * ERA, Weight::MAX);
		}
		// Era 6 is current; eras 4 and 5 are the kept history; 0 to 3 are gone.
		assert_eq!(CurrentEra::<Test>::get(), 6);
		assert_eq!(OldestEra::<Test>::get(), 4);
		let mut eras: Vec<EraIndex> = Attestations::<Test>::iter().map(|(_, a)| a.era).collect();
		eras.sort();
		assert_eq!(eras, vec![4, 4, 4, 5, 5, 5]);
		assert_eq!(
			Contributions::points_of(&0),
			vec![
				(4, PointsByKind { compute: 1, ..Default::default() }),
				(5, PointsByKind { compute: 1, ..Default::default() })
			]
		);
	});
}

#[test]
fn an_eras_points_cannot_overflow() {
	build_and_execute(|| {
		record(1, ContributionKind::Compute, 1, u64::MAX - 5);
		assert_noop!(
			<Contributions as RecordContribution<u64>>::record(
				&2,
				ContributionKind::Data,
				Subject::Job(2),
				6,
				[0; 32]
			),
			Error::<Test>::TooManyPoints
		);
		record(2, ContributionKind::Data, 2, 5);
		assert_eq!(EraPoints::<Test>::get(0).total(), u64::MAX);
	});
}

#[test]
fn totals_and_indexes_changed_behind_the_pallets_back_are_caught() {
	build_and_execute(|| {
		let id = record(1, ContributionKind::Compute, 7, 10);
		record(2, ContributionKind::Data, 8, 5);
		assert_ok!(Contributions::do_try_state());

		// An era total that is not the sum of its accounts' points.
		EraPoints::<Test>::mutate(0, |p| p.add(ContributionKind::Model, 1));
		assert!(Contributions::do_try_state().is_err());
		EraPoints::<Test>::mutate(0, |p| p.remove(ContributionKind::Model, 1));
		assert_ok!(Contributions::do_try_state());

		// An account's points that are not the sum of its attestations'.
		AccountPoints::<Test>::mutate(0, 2, |p| p.add(ContributionKind::Data, 1));
		EraPoints::<Test>::mutate(0, |p| p.add(ContributionKind::Data, 1));
		assert!(Contributions::do_try_state().is_err());
		AccountPoints::<Test>::mutate(0, 2, |p| p.remove(ContributionKind::Data, 1));
		EraPoints::<Test>::mutate(0, |p| p.remove(ContributionKind::Data, 1));
		assert_ok!(Contributions::do_try_state());

		// An attestation missing from its account's index.
		ByAccount::<Test>::remove(1, id);
		assert!(Contributions::do_try_state().is_err());
		ByAccount::<Test>::insert(1, id, ());
	});
}
