//! Test doubles for the pallets' mock runtimes: a rewards pot ([`RecordingPot`]) and a
//! contribution ledger ([`RecordingLedger`]) that write down what they are told, so a test can
//! assert on it without the rewards and attestations pallets in its runtime.
//!
//! What they record is kept per thread (each test runs on its own thread) and per type
//! parameters, and read through [`Credited`], [`Owed`], [`Pooled`] and [`Recorded`]. A mock's
//! `new_test_ext` calls [`reset`] so tests that share a thread (property tests) start clean.

use core::{
	any::{Any, TypeId},
	cell::RefCell,
	marker::PhantomData,
};
use mosaic_primitives::contribution::{
	AttestationId, ContributionKind, Points, RecordContribution, RewardPot, RewardSource, Subject,
};
use sp_core::Get;
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError,
};
use std::collections::BTreeMap;

std::thread_local! {
	/// Every record list, by the type of its entries.
	static RECORDS: RefCell<BTreeMap<TypeId, Box<dyn Any>>> = RefCell::new(BTreeMap::new());
}

/// Runs `f` on this thread's list of `E` entries.
fn with_records<E: 'static, R>(f: impl FnOnce(&mut Vec<E>) -> R) -> R {
	RECORDS.with(|records| {
		let mut records = records.borrow_mut();
		let list = records.entry(TypeId::of::<E>()).or_insert_with(|| Box::new(Vec::<E>::new()));
		f(list.downcast_mut::<Vec<E>>().expect("each list is stored under its entry type"))
	})
}

/// Forgets everything recorded on this thread.
pub fn reset() {
	RECORDS.with(|records| records.borrow_mut().clear());
}

/// One credit: `(who, amount, source)`.
type Credit<AccountId, Balance> = (AccountId, Balance, RewardSource);
/// One payment into the pool: `(amount, source)`.
type Funding<Balance> = (Balance, RewardSource);
/// One recorded contribution: `(who, kind, subject, points, evidence)`.
pub type Contribution<AccountId> = (AccountId, ContributionKind, Subject, Points, [u8; 32]);

/// A rewards pot whose funds sit in the account `PotAccount` gives, and which writes down every
/// credit ([`Credited`], summed per account in [`Owed`]) and every non-zero payment into its
/// pool ([`Pooled`]).
pub struct RecordingPot<AccountId, Balance, PotAccount>(
	PhantomData<(AccountId, Balance, PotAccount)>,
);

impl<AccountId, Balance, PotAccount> RewardPot<AccountId, Balance>
	for RecordingPot<AccountId, Balance, PotAccount>
where
	AccountId: Clone + 'static,
	Balance: Zero + 'static,
	PotAccount: Get<AccountId>,
{
	fn account() -> AccountId {
		PotAccount::get()
	}

	fn credit(who: &AccountId, amount: Balance, source: RewardSource) {
		with_records(|credits: &mut Vec<Credit<AccountId, Balance>>| {
			credits.push((who.clone(), amount, source))
		});
	}

	fn fund(amount: Balance, source: RewardSource) {
		if !amount.is_zero() {
			with_records(|funds: &mut Vec<Funding<Balance>>| funds.push((amount, source)));
		}
	}
}

/// Every credit of a [`RecordingPot`], in order: `(who, amount, source)`.
pub struct Credited<AccountId, Balance>(PhantomData<(AccountId, Balance)>);
impl<AccountId: Clone + 'static, Balance: Clone + 'static> Credited<AccountId, Balance> {
	/// The credits so far.
	pub fn get() -> Vec<Credit<AccountId, Balance>> {
		with_records(|credits: &mut Vec<Credit<AccountId, Balance>>| credits.clone())
	}
}

/// What a [`RecordingPot`] owes each account: its credits summed.
pub struct Owed<AccountId, Balance>(PhantomData<(AccountId, Balance)>);
impl<AccountId, Balance> Owed<AccountId, Balance>
where
	AccountId: Ord + Clone + 'static,
	Balance: Saturating + Zero + Copy + 'static,
{
	/// Each credited account with the sum of its credits.
	pub fn get() -> BTreeMap<AccountId, Balance> {
		let mut owed = BTreeMap::new();
		for (who, amount, _) in Credited::<AccountId, Balance>::get() {
			let total: &mut Balance = owed.entry(who).or_insert_with(Zero::zero);
			*total = total.saturating_add(amount);
		}
		owed
	}
}

/// What entered a [`RecordingPot`]'s pool, in order: `(amount, source)`.
pub struct Pooled<Balance>(PhantomData<Balance>);
impl<Balance: Clone + 'static> Pooled<Balance> {
	/// The payments into the pool so far.
	pub fn get() -> Vec<Funding<Balance>> {
		with_records(|funds: &mut Vec<Funding<Balance>>| funds.clone())
	}
}

/// A contribution ledger that writes down what it is asked to record ([`Recorded`]); an
/// attestation's id is its position.
pub struct RecordingLedger<AccountId>(PhantomData<AccountId>);

impl<AccountId: Clone + 'static> RecordContribution<AccountId> for RecordingLedger<AccountId> {
	fn record(
		who: &AccountId,
		kind: ContributionKind,
		subject: Subject,
		points: Points,
		evidence: [u8; 32],
	) -> Result<AttestationId, DispatchError> {
		with_records(|recorded: &mut Vec<Contribution<AccountId>>| {
			recorded.push((who.clone(), kind, subject, points, evidence));
			Ok(recorded.len() as AttestationId - 1)
		})
	}
}

/// Every contribution a [`RecordingLedger`] recorded, in order.
pub struct Recorded<AccountId>(PhantomData<AccountId>);
impl<AccountId: Clone + 'static> Recorded<AccountId> {
	/// The contributions so far.
	pub fn get() -> Vec<Contribution<AccountId>> {
		with_records(|recorded: &mut Vec<Contribution<AccountId>>| recorded.clone())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::ConstU64;

	type Pot = RecordingPot<u64, u64, ConstU64<9>>;

	#[test]
	fn the_pot_records_credits_and_funds() {
		reset();
		assert_eq!(Pot::account(), 9);
		Pot::credit(&1, 5, RewardSource::Fee);
		Pot::credit(&1, 2, RewardSource::Royalty);
		Pot::credit(&2, 3, RewardSource::Fee);
		Pot::fund(0, RewardSource::Slash);
		Pot::fund(4, RewardSource::ProtocolFee);
		assert_eq!(Owed::<u64, u64>::get(), BTreeMap::from([(1, 7), (2, 3)]));
		assert_eq!(Credited::<u64, u64>::get()[1], (1, 2, RewardSource::Royalty));
		assert_eq!(Pooled::<u64>::get(), vec![(4, RewardSource::ProtocolFee)]);
		// Other type parameters keep their own records.
		assert!(Owed::<u32, u64>::get().is_empty());
		reset();
		assert!(Owed::<u64, u64>::get().is_empty() && Pooled::<u64>::get().is_empty());
	}

	#[test]
	fn the_ledger_records_in_order() {
		reset();
		let record = |who| {
			RecordingLedger::<u64>::record(
				&who,
				ContributionKind::Compute,
				Subject::Job(3),
				10,
				[who as u8; 32],
			)
		};
		assert_eq!(record(1), Ok(0));
		assert_eq!(record(2), Ok(1));
		assert_eq!(
			Recorded::<u64>::get(),
			vec![
				(1, ContributionKind::Compute, Subject::Job(3), 10, [1; 32]),
				(2, ContributionKind::Compute, Subject::Job(3), 10, [2; 32]),
			]
		);
	}
}
