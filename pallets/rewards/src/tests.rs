//! Tests of the rewards pallet.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use sp_runtime::{DispatchError, TokenError};

fn add_points(era: EraIndex, who: u64, points: Points) {
	<Rewards as PointsListener<u64>>::points_added(era, &who, points);
}
fn remove_points(era: EraIndex, who: u64, points: Points) {
	<Rewards as PointsListener<u64>>::points_removed(era, &who, points);
}
fn end_era(era: EraIndex, total: Points) {
	<Rewards as PointsListener<u64>>::era_ended(era, total);
}
fn balance(who: u64) -> u64 {
	Balances::balance(&who)
}
fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

#[test]
fn genesis_gives_the_pot_its_existential_deposit_and_sets_emission() {
	build_and_execute_with_emission(7, || {
		assert_eq!(balance(pot()), ED);
		assert_eq!(EmissionPerBlock::<Test>::get(), 7);
		assert_eq!(<Rewards as RewardPot<u64, u64>>::account(), pot());
	});
}

#[test]
fn credits_are_claimable_at_once_and_claiming_twice_pays_once() {
	build_and_execute(|| {
		pay(1, 40, RewardSource::Fee);
		pay(1, 2, RewardSource::Royalty);
		assert_eq!(
			last_event(),
			Event::Credited { who: 1, amount: 2, source: RewardSource::Royalty }.into()
		);
		assert_eq!(Rewards::pending(&1), 42);
		assert_eq!(Outstanding::<Test>::get(), 42);

		assert_ok!(Rewards::claim(RuntimeOrigin::signed(1)));
		assert_eq!(balance(1), 42);
		assert_eq!(balance(pot()), ED);
		assert_eq!(Outstanding::<Test>::get(), 0);
		assert!(!Ledgers::<Test>::contains_key(1));
		assert_eq!(last_event(), Event::Claimed { who: 1, amount: 42, by: 1 }.into());

		assert_noop!(Rewards::claim(RuntimeOrigin::signed(1)), Error::<Test>::NothingToClaim);
		assert_eq!(balance(1), 42);
	});
}

#[test]
fn anyone_can_claim_for_another_account() {
	build_and_execute(|| {
		pay(2, 30, RewardSource::Fee);
		assert_noop!(
			Rewards::claim_for(RuntimeOrigin::signed(9), 3),
			Error::<Test>::NothingToClaim
		);
		assert_noop!(Rewards::claim_for(RuntimeOrigin::none(), 2), DispatchError::BadOrigin);
		assert_ok!(Rewards::claim_for(RuntimeOrigin::signed(9), 2));
		assert_eq!(balance(2), 30);
		assert_eq!(balance(9), 0);
		assert_eq!(last_event(), Event::Claimed { who: 2, amount: 30, by: 9 }.into());
	});
}

#[test]
fn a_claim_below_the_existential_deposit_of_a_new_account_fails_and_keeps_the_debt() {
	build_and_execute(|| {
		pay(4, ED - 1, RewardSource::Fee);
		assert_noop!(Rewards::claim(RuntimeOrigin::signed(4)), TokenError::BelowMinimum);
		assert_eq!(Rewards::pending(&4), ED - 1);
		// Once it is owed enough, it is paid all of it.
		pay(4, 1, RewardSource::Fee);
		assert_ok!(Rewards::claim(RuntimeOrigin::signed(4)));
		assert_eq!(balance(4), ED);
	});
}

#[test]
fn emission_is_minted_into_the_pool_every_block_and_governance_sets_it() {
	build_and_execute_with_emission(10, || {
		let issuance = Balances::total_issuance();
		run_blocks(3);
		assert_eq!(Pool::<Test>::get(), 30);
		assert_eq!(balance(pot()), ED + 30);
		assert_eq!(Balances::total_issuance(), issuance + 30);

		assert_noop!(Rewards::set_emission(RuntimeOrigin::signed(1), 0), DispatchError::BadOrigin);
		assert_ok!(Rewards::set_emission(RuntimeOrigin::root(), 0));
		assert_eq!(last_event(), Event::EmissionSet { per_block: 0 }.into());
		run_blocks(3);
		assert_eq!(Pool::<Test>::get(), 30);
		assert_eq!(Balances::total_issuance(), issuance + 30);
	});
}

#[test]
fn an_era_gives_at_most_the_point_price_per_point_and_keeps_the_rest() {
	build_and_execute(|| {
		// The cheapest points cost 10 for 4: at most 2.5 a point.
		PointPrice::set(&(10, 4));
		fund(300, RewardSource::ProtocolFee);
		add_points(0, 1, 2);
		add_points(0, 2, 4);
		end_era(0, 6);
		assert_eq!(
			last_event(),
			Event::EraRewarded { era: 0, points: 6, pool: 300, allocated: 15 }.into()
		);
		assert_eq!((Rewards::pending(&1), Rewards::pending(&2)), (5, 10));
		assert_eq!(Pool::<Test>::get(), 285, "what the cap kept stays for later eras");
		assert_eq!(Outstanding::<Test>::get(), 15);
		// A pool smaller than the cap allows is split whole.
		add_points(1, 1, 100);
		end_era(1, 100);
		assert_eq!(Rewards::pending(&1), 5 + 250);
		assert_eq!(Pool::<Test>::get(), 35);
	});
}

#[test]
fn an_eras_pool_is_split_by_points_when_it_ends() {
	build_and_execute(|| {
		fund(200, RewardSource::Slash);
		fund(100, RewardSource::ProtocolFee);
		assert_eq!(
			last_event(),
			Event::Funded { amount: 100, source: RewardSource::ProtocolFee }.into()
		);
		add_points(0, 1, 1);
		add_points(0, 2, 2);
		// Points of an open era pay nothing yet.
		assert_eq!(Rewards::pending(&1), 0);
		assert_noop!(Rewards::claim(RuntimeOrigin::signed(1)), Error::<Test>::NothingToClaim);

		end_era(0, 3);
		assert_eq!(
			last_event(),
			Event::EraRewarded { era: 0, points: 3, pool: 300, allocated: 300 }.into()
		);
		assert_eq!(Rewards::pending(&1), 100);
		assert_eq!(Rewards::pending(&2), 200);
		assert_eq!(Pool::<Test>::get(), 0);
		assert_eq!(Outstanding::<Test>::get(), 300);
		assert_ok!(Rewards::claim(RuntimeOrigin::signed(2)));
		assert_eq!(balance(2), 200);
	});
}

#[test]
fn rounding_leaves_dust_in_the_pool_never_more_than_was_put_in() {
	build_and_execute(|| {
		fund(100, RewardSource::Slash);
		for who in 1..=3 {
			add_points(0, who, 1);
		}
		end_era(0, 3);
		for who in 1..=3 {
			assert_eq!(Rewards::pending(&who), 33);
			assert_ok!(Rewards::claim(RuntimeOrigin::signed(who)));
		}
		assert_eq!(Pool::<Test>::get(), 1);
		assert_eq!(Outstanding::<Test>::get(), 0);
		assert_eq!(balance(pot()), ED + 1);
	});
}

#[test]
fn an_era_without_points_carries_its_pool_to_the_next() {
	build_and_execute_with_emission(5, || {
		run_blocks(2);
		end_era(0, 0);
		assert_eq!(Pool::<Test>::get(), 10);
		assert!(EraRewardPerPoint::<Test>::get(0).is_none());
		run_blocks(2);
		add_points(1, 7, 4);
		end_era(1, 4);
		assert_eq!(Rewards::pending(&7), 20);
	});
}

#[test]
fn earlier_era_shares_are_worked_out_when_new_points_arrive() {
	build_and_execute(|| {
		fund(60, RewardSource::Slash);
		add_points(0, 1, 3);
		add_points(0, 2, 3);
		end_era(0, 6);
		fund(40, RewardSource::Slash);
		add_points(1, 1, 1);
		// Account 1's era-0 share is now in its ledger; its era-1 points wait.
		assert_eq!(Ledgers::<Test>::get(1), Some(Ledger { accrued: 30, era: 1, points: 1 }));
		assert_eq!(Rewards::pending(&1), 30);
		end_era(1, 1);
		assert_eq!(Rewards::pending(&1), 70);
		assert_eq!(Rewards::pending(&2), 30);
		assert_ok!(Rewards::claim(RuntimeOrigin::signed(1)));
		assert_eq!(balance(1), 70);
		assert!(!Ledgers::<Test>::contains_key(1));
	});
}

#[test]
fn revoked_points_in_an_open_era_just_stop_counting() {
	build_and_execute(|| {
		fund(90, RewardSource::Slash);
		add_points(0, 1, 2);
		add_points(0, 2, 1);
		remove_points(0, 1, 1);
		end_era(0, 2);
		assert_eq!(Rewards::pending(&1), 45);
		assert_eq!(Rewards::pending(&2), 45);
	});
}

#[test]
fn revoked_points_of_an_ended_era_give_their_share_back_to_the_pool() {
	build_and_execute(|| {
		fund(90, RewardSource::Slash);
		add_points(0, 1, 2);
		add_points(0, 2, 1);
		add_points(0, 3, 3);
		end_era(0, 6);
		// Not worked out yet.
		remove_points(0, 1, 2);
		assert_eq!(last_event(), Event::Forfeited { who: 1, era: 0, amount: 30 }.into());
		assert_eq!(Rewards::pending(&1), 0);
		// Worked out (new points arrived): the share is the account's, mixed with its other
		// earnings; it stays.
		add_points(1, 3, 1);
		assert_eq!(Rewards::pending(&3), 45);
		remove_points(0, 3, 3);
		assert_eq!(Rewards::pending(&3), 45);
		// Already claimed: it stays paid, and later credits are not touched.
		assert_ok!(Rewards::claim(RuntimeOrigin::signed(2)));
		pay(2, 7, RewardSource::Fee);
		remove_points(0, 2, 1);
		assert_eq!(balance(2), 15);
		assert_eq!(Rewards::pending(&2), 7);
		assert_eq!(Pool::<Test>::get(), 30);
		assert_eq!(Outstanding::<Test>::get(), 45 + 7);
	});
}

#[test]
fn debts_the_pot_cannot_cover_are_caught() {
	build_and_execute(|| {
		pay(1, 40, RewardSource::Fee);
		fund(10, RewardSource::Slash);
		assert_ok!(Rewards::do_try_state());

		// Owing more than the pot holds.
		Outstanding::<Test>::mutate(|owed| *owed += 1);
		assert!(Rewards::do_try_state().is_err());
		Outstanding::<Test>::mutate(|owed| *owed -= 1);

		// An account that can claim more than is outstanding.
		Ledgers::<Test>::mutate(1, |ledger| ledger.as_mut().unwrap().accrued += 1);
		assert!(Rewards::do_try_state().is_err());
		Ledgers::<Test>::mutate(1, |ledger| ledger.as_mut().unwrap().accrued -= 1);
		assert_ok!(Rewards::do_try_state());
	});
}

mod conservation {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Credit(u64, u64),
		Fund(u64),
		Points(u64, Points),
		Revoke(usize),
		EndEra,
		Blocks(u64),
		Claim(u64),
		SetEmission(u64),
	}

	fn op() -> impl Strategy<Value = Op> {
		let who = 1u64..6;
		prop_oneof![
			1 => (who.clone(), 1u64..10_000).prop_map(|(w, a)| Op::Credit(w, a)),
			1 => (1u64..100_000).prop_map(Op::Fund),
			3 => (who.clone(), 1u64..1_000).prop_map(|(w, p)| Op::Points(w, p)),
			1 => (0usize..64).prop_map(Op::Revoke),
			2 => Just(Op::EndEra),
			1 => (1u64..4).prop_map(Op::Blocks),
			2 => who.prop_map(Op::Claim),
			1 => (0u64..2_000).prop_map(Op::SetEmission),
		]
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(128))]

		/// Random histories of credits, pool funding, emission, points, revocations, era ends
		/// and claims: the pot always backs what it owes, claims pay exactly what was pending,
		/// and nothing paid out ever exceeds what entered the pot.
		#[test]
		fn the_pot_never_pays_out_more_than_entered(ops in prop::collection::vec(op(), 1..80), emission in 0u64..500) {
			build_and_execute_with_emission(emission, || {
				let issuance = Balances::total_issuance();
				let mut era: EraIndex = 0;
				let mut era_points: Points = 0;
				let mut recorded: Vec<(EraIndex, u64, Points, bool)> = Vec::new();
				let (mut entered, mut paid, mut minted) = (0u64, 0u64, 0u64);
				for op in ops {
					match op {
						Op::Credit(who, amount) => { pay(who, amount, RewardSource::Fee); entered += amount; },
						Op::Fund(amount) => { fund(amount, RewardSource::Slash); entered += amount; },
						Op::Points(who, points) => {
							add_points(era, who, points);
							era_points += points;
							recorded.push((era, who, points, false));
						},
						Op::Revoke(i) => if let Some(entry) = recorded.get_mut(i).filter(|e| !e.3) {
							entry.3 = true;
							remove_points(entry.0, entry.1, entry.2);
							if entry.0 == era { era_points -= entry.2; }
						},
						Op::EndEra => { end_era(era, era_points); era += 1; era_points = 0; },
						Op::Blocks(n) => {
							let before = Pool::<Test>::get();
							run_blocks(n);
							let e = EmissionPerBlock::<Test>::get() * n;
							prop_assert_eq!(Pool::<Test>::get(), before + e);
							minted += e;
							entered += e;
						},
						Op::Claim(who) => {
							let pending = Rewards::pending(&who);
							let before = balance(who);
							match Rewards::claim(RuntimeOrigin::signed(who)) {
								Ok(()) => {
									prop_assert_eq!(balance(who), before + pending);
									paid += pending;
									prop_assert_eq!(Rewards::pending(&who), 0);
									prop_assert!(Rewards::claim(RuntimeOrigin::signed(who)).is_err());
								},
								Err(_) => prop_assert!(pending == 0 || before + pending < ED),
							}
						},
						Op::SetEmission(e) => { assert_ok!(Rewards::set_emission(RuntimeOrigin::root(), e)); },
					}
					let owed: u64 = (1..6).map(|w| Rewards::pending(&w)).sum();
					prop_assert!(owed <= Outstanding::<Test>::get());
					prop_assert!(balance(pot()) >= ED + Pool::<Test>::get() + Outstanding::<Test>::get());
					prop_assert!(paid <= entered);
					prop_assert_eq!(balance(pot()), ED + entered - paid);
					prop_assert_eq!(Balances::total_issuance(), issuance + minted);
					prop_assert_eq!(Rewards::do_try_state(), Ok(()));
				}
				// End the era and pay everyone: what is left is the pool and rounding dust.
				end_era(era, era_points);
				for who in 1..6u64 {
					let pending = Rewards::pending(&who);
					if pending > 0 && Rewards::claim(RuntimeOrigin::signed(who)).is_ok() {
						paid += pending;
					}
				}
				prop_assert!(paid <= entered);
				prop_assert!(balance(pot()) >= ED + Pool::<Test>::get());
				prop_assert_eq!(balance(pot()), ED + entered - paid);
				Ok(())
			})?;
		}
	}
}
