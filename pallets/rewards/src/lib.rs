//! # Rewards pallet
//!
//! The rewards pot and what it owes. Money enters the pot ([`Pallet::pot_account`]) from:
//! - job fees and royalties the jobs pallet settles, owed to one account at once
//!   ([`RewardPot::credit`]);
//! - protocol fees and slashes ([`RewardPot::fund`]) and a per-block emission
//!   ([`EmissionPerBlock`], minted in `on_initialize`, zero allowed), which go to the
//!   [`Pool`] of the current era.
//!
//! When an era ends, the attestation ledger tells this pallet its total contribution points
//! ([`PointsListener::era_ended`]) and the pool is split by them: the era's reward per point
//! ([`EraRewardPerPoint`], scaled by [`REWARD_PER_POINT_SCALE`]) is fixed once, and each
//! account's share is its points times that, rounded down, worked out the next time the
//! account is touched. An account has unworked points in at most one era (see [`Ledger`]),
//! so every operation is O(1) in the number of accounts; nothing loops over them.
//!
//! Wallets call [`Pallet::claim`] (or anyone [`Pallet::claim_for`]) to move everything owed
//! into their free balance. [`RewardsApi::pending`] tells what a claim would pay now.
//!
//! ## Conservation
//!
//! Every amount owed is backed: the pot holds at least the existential deposit, plus the
//! [`Pool`], plus [`Outstanding`] (everything owed, which is at least the sum of what the
//! accounts can claim). Rounding only ever rounds shares down; the difference stays in the
//! pot. Revoked points give their share back to the pool if it was not worked out yet.
//!
//! ## Dispatchable functions
//!
//! * [`Pallet::claim`]: signed — pays the caller everything it is owed.
//! * [`Pallet::claim_for`]: signed, anyone — pays another account everything it is owed.
//! * [`Pallet::set_emission`]: root — sets the emission minted into the pool every block.
//!
//! ## Where the code lives
//!
//! `lib.rs` holds the pallet (configuration, storage, genesis, events, errors, hooks, calls);
//! `pot.rs` the pot's account, `ledger.rs` what each account is owed and claims, `impls.rs`
//! [`PointsListener`] and [`RewardPot`], `try_state.rs` the invariants.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod impls;
mod ledger;
pub mod migrations;
#[cfg(test)]
mod mock;
mod pot;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-state", test))]
mod try_state;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate},
	PalletId,
};
use frame_system::pallet_prelude::*;
pub use mosaic_primitives::contribution::{
	EraIndex, Points, PointsListener, RewardPot, RewardSource,
};
use sp_runtime::traits::{Saturating, Zero};

/// [`EraRewardPerPoint`] is in units of `1 / REWARD_PER_POINT_SCALE` of the smallest balance
/// unit per point. 10^12 keeps the rounding loss under one unit per account and era for any
/// realistic point count, and leaves room for pools up to 10^26 units before it overflows.
pub const REWARD_PER_POINT_SCALE: u128 = 1_000_000_000_000;

/// Storage reads and writes of making sure the pot exists on a runtime upgrade: the pot's
/// account and the total issuance, each read and, when the existential deposit is minted,
/// written.
const ENSURE_POT_ACCESSES: (u64, u64) = (2, 2);

sp_api::decl_runtime_apis! {
	/// What wallets read of their rewards.
	pub trait RewardsApi<AccountId, Balance> where
		AccountId: codec::Codec,
		Balance: codec::Codec,
	{
		/// What [`Pallet::claim`] would pay `who` now.
		fn pending(who: AccountId) -> Balance;
		/// What the current era's points will share when it ends, so far.
		fn pool() -> Balance;
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// Balance of the currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// The in-code storage version. 0 is the layout every Mosaic chain started with; each
	/// change of layout bumps it and comes with a migration in [`crate::migrations`].
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Configuration of the rewards pallet.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency rewards are paid and emission is minted in.
		type Currency: Mutate<Self::AccountId>;

		/// Derives the pot's account, which holds everything the pallet owes or will share.
		#[pallet::constant]
		type PotId: Get<PalletId>;

		/// The least any way of earning contribution points pays for them, as `(amount,
		/// points)`: e.g. a protocol fee for the most points one job can earn. An era never
		/// gives more than `amount / points` per point, so points farmed with one's own jobs
		/// (whose fees come back to oneself) never earn more emission than they cost; what an
		/// era cannot give stays in the pool. `points` must be positive.
		#[pallet::constant]
		type PointPrice: Get<(BalanceOf<Self>, Points)>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Minted into the pool at the start of every block.
	#[pallet::storage]
	pub type EmissionPerBlock<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// In the pot for the current era's points: emission, protocol fees, slashes, forfeited
	/// shares, and what earlier eras could not give out.
	#[pallet::storage]
	pub type Pool<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// Everything the pot owes accounts: credits and ended eras' shares not yet claimed.
	#[pallet::storage]
	pub type Outstanding<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// The era whose points are being gathered: every era before it has ended.
	#[pallet::storage]
	pub type OpenEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

	/// An ended era's reward per point, scaled by [`REWARD_PER_POINT_SCALE`]; absent for eras
	/// that gave out nothing. One entry per era, kept so late claims can be worked out. Eras
	/// are counted by the chain, so they are not hashed again (`Twox64Concat`).
	#[pallet::storage]
	pub type EraRewardPerPoint<T: Config> =
		StorageMap<_, Twox64Concat, EraIndex, u128, OptionQuery>;

	/// What the pot owes each account; absent once everything is claimed. Accounts are chosen
	/// by users, so they are hashed (`Blake2_128Concat`).
	#[pallet::storage]
	pub type Ledgers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Ledger<BalanceOf<T>>, OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Minted into the pool every block.
		pub emission_per_block: BalanceOf<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			EmissionPerBlock::<T>::put(self.emission_per_block);
			Pallet::<T>::ensure_pot_exists();
		}
	}

	/// Events of the rewards pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `amount` entered the pot, owed to `who`.
		Credited {
			/// The account the amount is owed to.
			who: T::AccountId,
			/// The amount credited, now claimable by `who`.
			amount: BalanceOf<T>,
			/// Where the amount came from.
			source: RewardSource,
		},
		/// `amount` entered the pot for the current era's pool.
		Funded {
			/// The amount added to the pool.
			amount: BalanceOf<T>,
			/// Where the amount came from.
			source: RewardSource,
		},
		/// An era ended: `allocated` of `pool` was shared by `points`; the rest stays in the pool.
		EraRewarded {
			/// The era that ended.
			era: EraIndex,
			/// The era's total contribution points, which the pool was split by.
			points: Points,
			/// The pool when the era ended, before the split.
			pool: BalanceOf<T>,
			/// The part of the pool set aside for the era's shares (the reward per point times
			/// `points`, rounded down), now owed.
			allocated: BalanceOf<T>,
		},
		/// `who`'s share of `era` went back to the pool: its points there were revoked before
		/// the share was worked out.
		Forfeited {
			/// The account whose share was forfeited.
			who: T::AccountId,
			/// The ended era the revoked points were earned in.
			era: EraIndex,
			/// The share of the revoked points, moved back to the pool.
			amount: BalanceOf<T>,
		},
		/// `amount` was paid to `who`, at the request of `by`.
		Claimed {
			/// The account paid.
			who: T::AccountId,
			/// Everything `who` was owed, paid into its free balance.
			amount: BalanceOf<T>,
			/// Who requested the claim: `who` itself, or the caller of [`Pallet::claim_for`].
			by: T::AccountId,
		},
		/// Governance set the emission per block.
		EmissionSet {
			/// The new emission minted into the pool every block; zero stops it.
			per_block: BalanceOf<T>,
		},
	}

	/// Errors of the rewards pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The account is owed nothing now (an open era's points pay once it ends).
		NothingToClaim,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// A runtime that gains this pallet by upgrade gets a pot that exists, as genesis
		/// gives one: without it, payments into the pot below the existential deposit fail.
		fn on_runtime_upgrade() -> Weight {
			Self::ensure_pot_exists();
			let (reads, writes) = ENSURE_POT_ACCESSES;
			T::DbWeight::get().reads_writes(reads, writes)
		}

		fn on_initialize(_now: BlockNumberFor<T>) -> Weight {
			let emission = EmissionPerBlock::<T>::get();
			if !emission.is_zero() && T::Currency::mint_into(&Self::pot_account(), emission).is_ok()
			{
				Pool::<T>::mutate(|pool| *pool = pool.saturating_add(emission));
			}
			T::WeightInfo::on_initialize()
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Pays the caller everything it is owed into its free balance.
		///
		/// Fails with [`Error::NothingToClaim`] when nothing is owed now, and with the
		/// currency's error if the payment cannot be made (e.g. below the existential deposit
		/// for a new account). Emits [`Event::Claimed`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::claim())]
		pub fn claim(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim(&who, &who)
		}

		/// Pays `who` everything it is owed, on anyone's behalf (the caller pays the fee).
		///
		/// Fails like [`Pallet::claim`]. Emits [`Event::Claimed`] with `by` the caller.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::claim_for())]
		pub fn claim_for(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			let by = ensure_signed(origin)?;
			Self::do_claim(&who, &by)
		}

		/// Sets the emission minted into the pool every block; zero stops it.
		///
		/// Root only. Emits [`Event::EmissionSet`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_emission())]
		pub fn set_emission(origin: OriginFor<T>, per_block: BalanceOf<T>) -> DispatchResult {
			ensure_root(origin)?;
			EmissionPerBlock::<T>::put(per_block);
			Self::deposit_event(Event::EmissionSet { per_block });
			Ok(())
		}
	}
}
