//! Tests of the invariants `do_try_state` checks.

use super::*;
use frame_support::traits::{fungible::MutateHold as _, tokens::Precision};

#[test]
fn holds_and_shards_changed_behind_the_pallets_back_are_caught() {
	build_and_execute(|| {
		let round = create(1);
		assert_ok!(join_private(ANN, round, 10));
		assert_ok!(MosaicRounds::do_try_state());

		// A budget hold the round does not account for.
		assert_ok!(Balances::hold(&HoldReason::RoundBudget.into(), &OWNER, 5));
		assert!(MosaicRounds::do_try_state().is_err());
		assert_ok!(Balances::release(&HoldReason::RoundBudget.into(), &OWNER, 5, Precision::Exact));
		assert_ok!(MosaicRounds::do_try_state());

		// A shard whose owner is no longer recorded as joined.
		Joined::<Test>::remove(round, ANN);
		assert!(MosaicRounds::do_try_state().is_err());
		Joined::<Test>::insert(round, ANN, 0);
		assert_ok!(MosaicRounds::do_try_state());

		// A round that spent more than its budget.
		Rounds::<Test>::mutate(round, |info| info.as_mut().unwrap().spent = BUDGET + 1);
		assert!(MosaicRounds::do_try_state().is_err());
		Rounds::<Test>::mutate(round, |info| info.as_mut().unwrap().spent = 0);
	});
}
