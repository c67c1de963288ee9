//! The randomness behind the jobs pallet's draws: the VRF output of the current block's BABE
//! author.
//!
//! pallet-babe offers the *parent* block's author VRF output ([`pallet_babe::ParentBlockRandomness`];
//! its `CurrentBlockRandomness` is deprecated and returns the same value): the output is only
//! stored in `on_finalize`. That value is known to the parent's author before it builds the
//! parent, and the parent fixes the state a draw in this block reads (eligible workers, their
//! weights, the queue), so the parent's author could grind that state against randomness it
//! already knows. The current block's output is in its header (the BABE pre-digest, whose VRF
//! proof the client checked before import), so it can be read at `on_initialize`: the draws of
//! block `n` then read state fixed by block `n - 1` and randomness chosen by nobody, known in
//! advance only to the author of block `n`, who can publish the block or withhold it. See
//! docs/decisions.md ("Who draws a job's workers") for what is left.

use frame_support::traits::Randomness;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_consensus_babe::{make_vrf_transcript, RANDOMNESS_LENGTH, RANDOMNESS_VRF_CONTEXT};
use sp_core::crypto::Wraps;
use sp_runtime::traits::{Hash, One, Saturating};

/// [`Randomness`] from the current block's BABE author VRF output; falls back to the parent
/// hash (and says so with the block number it returns) in a block without a BABE pre-digest,
/// which a live chain never has (benchmarks and tests build such blocks).
pub struct CurrentBlockVrf<T>(core::marker::PhantomData<T>);

impl<T: pallet_babe::Config> CurrentBlockVrf<T> {
	/// The current block's author VRF output, computed exactly as pallet-babe computes it in
	/// `on_finalize` (there it becomes `AuthorVrfRandomness`): the VRF pre-output of the BABE
	/// pre-digest, made into bytes with the author's public key over the epoch's transcript.
	/// `None` before pallet-babe's `on_initialize`, outside block execution, or in a block
	/// without a BABE pre-digest with a VRF output (plain secondary slots, which this runtime's
	/// epoch configuration does not allow).
	pub fn output() -> Option<[u8; RANDOMNESS_LENGTH]> {
		let pre_digest = pallet_babe::Initialized::<T>::get().flatten()?;
		let signature = pre_digest.vrf_signature()?;
		let authorities = pallet_babe::Authorities::<T>::get();
		let (author, _) = authorities.get(pre_digest.authority_index() as usize)?;
		// `Randomness`, `CurrentSlot` and `EpochIndex` are this block's: pallet-babe's
		// `on_initialize` set the slot and enacted any epoch change before the jobs pallet's
		// `on_initialize` runs, and no extrinsic changes them.
		let transcript = make_vrf_transcript(
			&pallet_babe::Randomness::<T>::get(),
			pallet_babe::CurrentSlot::<T>::get(),
			pallet_babe::EpochIndex::<T>::get(),
		);
		author
			.as_inner_ref()
			.make_bytes::<RANDOMNESS_LENGTH>(
				RANDOMNESS_VRF_CONTEXT,
				&transcript,
				&signature.pre_output,
			)
			.ok()
	}
}

impl<T: pallet_babe::Config> Randomness<T::Hash, BlockNumberFor<T>> for CurrentBlockVrf<T> {
	/// `hash(subject, output)` and the current block's number (chain observers learn the value
	/// with the block); without an output, `hash(subject, parent hash)` and the parent's number.
	fn random(subject: &[u8]) -> (T::Hash, BlockNumberFor<T>) {
		let now = frame_system::Pallet::<T>::block_number();
		match Self::output() {
			Some(output) => (T::Hashing::hash_of(&(subject, output)), now),
			None => {
				let parent = frame_system::Pallet::<T>::parent_hash();
				(T::Hashing::hash_of(&(subject, parent)), now.saturating_sub(One::one()))
			},
		}
	}
}
