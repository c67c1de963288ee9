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

/// A real BABE pre-digest for the benchmarks, whose blocks have none: `//Alice`'s primary claim
/// on slot 1 of epoch 0 under the genesis randomness (all zeros). Only the VRF pre-output is
/// read by [`CurrentBlockVrf::output`]; the proof is not checked in the runtime.
#[cfg(any(test, feature = "runtime-benchmarks"))]
pub mod benchmark_pre_digest {
	use codec::Decode;
	use sp_consensus_babe::{
		digests::{PreDigest, PrimaryPreDigest},
		AuthorityId, Slot, VrfSignature,
	};

	/// `//Alice`'s sr25519 public key.
	pub const AUTHORITY: [u8; 32] = [
		0xd4, 0x35, 0x93, 0xc7, 0x15, 0xfd, 0xd3, 0x1c, 0x61, 0x14, 0x1a, 0xbd, 0x04, 0xa9, 0x9f,
		0xd6, 0x82, 0x2c, 0x85, 0x58, 0x85, 0x4c, 0xcd, 0xe3, 0x9a, 0x56, 0x84, 0xe7, 0xa5, 0x6d,
		0xa2, 0x7d,
	];
	/// Her VRF pre-output over `make_vrf_transcript([0; 32], slot 1, epoch 0)` (checked by a
	/// runtime test against signing it again).
	pub const PRE_OUTPUT: [u8; 32] = [
		0xf8, 0x45, 0xaf, 0xce, 0x3d, 0xc5, 0x3c, 0xc3, 0x4d, 0xc4, 0x4e, 0x1e, 0x6b, 0x6f, 0xcb,
		0x46, 0xa0, 0x59, 0x9f, 0x50, 0x61, 0xba, 0xad, 0x6d, 0x03, 0x4a, 0x13, 0x5e, 0x62, 0xf4,
		0x38, 0x25,
	];
	/// The claim's slot.
	pub const SLOT: u64 = 1;

	/// Makes the current block look as if `//Alice` had authored it with that claim: the
	/// epoch's authorities, randomness, index and slot, and the pre-digest pallet-babe keeps
	/// from `on_initialize` to `on_finalize`.
	pub fn install<T: pallet_babe::Config>() {
		let author = AuthorityId::from(sp_core::sr25519::Public::from_raw(AUTHORITY));
		pallet_babe::Authorities::<T>::put(frame_support::WeakBoundedVec::force_from(
			alloc::vec![(author, 1)],
			None,
		));
		pallet_babe::Randomness::<T>::put([0u8; 32]);
		pallet_babe::EpochIndex::<T>::put(0);
		pallet_babe::CurrentSlot::<T>::put(Slot::from(SLOT));
		let mut signature = [0u8; 96];
		signature[..32].copy_from_slice(&PRE_OUTPUT);
		let vrf_signature = VrfSignature::decode(&mut &signature[..])
			.expect("a valid pre-output and an all-zero proof decode");
		let pre_digest = PreDigest::Primary(PrimaryPreDigest {
			authority_index: 0,
			slot: Slot::from(SLOT),
			vrf_signature,
		});
		pallet_babe::Initialized::<T>::put(Some(pre_digest));
	}
}
