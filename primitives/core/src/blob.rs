//! Blobs as the other pallets see them: the hash that names a blob, what they may read of it,
//! the references they take on it, how a node fetches a remote blob's bytes, and how a pallet
//! stores bytes on an account's behalf.
//!
//! The traits are split as `frame_support`'s `fungible::{Inspect, Mutate}` are: a pallet asks
//! only for what it uses. [`BlobInspect`] reads, [`BlobReferences`] changes the reference count
//! that keeps a blob from being removed, [`BlobFetch`] is for off-chain code only, and
//! [`BlobStore`] creates blobs. The blobs pallet implements all four.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, DispatchResult};

/// A blob's address: the blake2-256 hash of its bytes.
///
/// A plain byte array, so polkadot.js shows it as a hex string without custom type definitions.
pub type BlobHash = [u8; 32];

/// Prefix of a blob's key in a node's off-chain database (written by off-chain indexing, under
/// the `PERSISTENT` storage prefix); the key is this followed by the blob's hash.
pub const KEY_PREFIX: &[u8] = b"mosaic/blob/";

/// The off-chain database key of the blob with `hash`.
pub fn offchain_key(hash: &BlobHash) -> Vec<u8> {
	prefixed(KEY_PREFIX, hash)
}

fn prefixed(prefix: &[u8], hash: &BlobHash) -> Vec<u8> {
	let mut key = Vec::with_capacity(prefix.len() + 32);
	key.extend_from_slice(prefix);
	key.extend_from_slice(hash);
	key
}

/// A blob's status without its details.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum BlobKind {
	/// Verified on-chain and indexed into every node's off-chain database.
	#[codec(index = 1)]
	Sealed,
	/// Registered by URI; not verified on-chain.
	#[codec(index = 2)]
	Remote,
}

/// What other pallets see of a blob through [`BlobInspect::blob`].
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct BlobSummary<AccountId> {
	/// The blob's owner.
	pub owner: AccountId,
	/// Size in bytes (declared, unless `kind` is [`BlobKind::Sealed`]).
	pub byte_len: u64,
	/// Where the blob is in its life.
	pub kind: BlobKind,
	/// References other pallets hold.
	pub refs: u32,
}

/// Reading blobs' metadata.
pub trait BlobInspect<AccountId> {
	/// The blob's summary, whatever its status; `None` if there is no such blob.
	fn blob(hash: &BlobHash) -> Option<BlobSummary<AccountId>>;

	/// Whether the blob exists and is sealed: its bytes were checked against the hash on-chain
	/// and are in every indexing node's off-chain database.
	fn is_sealed(hash: &BlobHash) -> bool;

	/// The blob's size in bytes (declared, for blobs not sealed); `None` if there is no such
	/// blob.
	fn size(hash: &BlobHash) -> Option<u64>;
}

/// Referring to blobs.
///
/// A pallet that refers to a blob (a model version, a job's input) calls
/// [`add_ref`](Self::add_ref) when it starts referring to it and
/// [`remove_ref`](Self::remove_ref) when it stops; the owner cannot remove a blob while it is
/// referenced.
pub trait BlobReferences {
	/// Adds a reference to a sealed or remote blob (a referenced remote registration cannot be
	/// replaced by another registration). Fails for unknown blobs.
	fn add_ref(hash: &BlobHash) -> DispatchResult;

	/// Drops a reference. Fails for unknown blobs and, leaving the count at zero, for blobs
	/// with no references.
	fn remove_ref(hash: &BlobHash) -> DispatchResult;
}

/// Time a node allows one download of a remote blob, from request to last byte, in
/// milliseconds.
pub const FETCH_TIMEOUT_MS: u64 = 20_000;

/// What an off-chain worker asks its node to fetch: a remote blob's URL (resolved from its
/// URI) and the size and hash it claims.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct FetchRequest {
	/// The claimed blake2-256 hash of the bytes.
	pub hash: BlobHash,
	/// An `http://` or `https://` URL.
	pub url: Vec<u8>,
	/// The claimed size in bytes: a body longer than this is cut off and refused.
	pub size: u64,
}

/// Why a node does not have a blob's bytes (yet).
#[derive(Encode, Decode, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
	/// No such blob.
	#[codec(index = 0)]
	Unknown,
	/// The blob is neither remote nor on this node (an upload in progress, or a sealed blob
	/// this node has not indexed).
	#[codec(index = 1)]
	NotRemote,
	/// The request failed, timed out, or the server answered with this status code (0 when
	/// there was no answer).
	#[codec(index = 2)]
	Http(u16),
	/// The server sent more bytes than the claimed size.
	#[codec(index = 3)]
	TooLarge,
	/// The bytes are not the claimed size.
	#[codec(index = 4)]
	WrongSize,
	/// The bytes do not hash to the claimed hash.
	#[codec(index = 5)]
	HashMismatch,
	/// The node is downloading the blob: ask again later.
	#[codec(index = 6)]
	Pending,
	/// The node runs as many downloads as it allows: ask again later.
	#[codec(index = 7)]
	Busy,
	/// This context cannot fetch (no fetch service: not an off-chain worker of a full node).
	#[codec(index = 8)]
	Unavailable,
}

impl FetchError {
	/// Whether the bytes the server gave are not what the blob claims: every honest node that
	/// gets them finds the same, so asking again will not help.
	pub fn is_rejection(&self) -> bool {
		matches!(self, FetchError::TooLarge | FetchError::WrongSize | FetchError::HashMismatch)
	}
}

/// Getting a blob's bytes onto this node. Off-chain context only: it asks this node's fetch
/// service, which on-chain code must never depend on.
pub trait BlobFetch {
	/// Makes sure this node has the bytes of `hash`: `Ok` once it has them (checked against
	/// the hash). For a remote blob it has not, the node's fetch service starts a download and
	/// this answers [`FetchError::Pending`] until it ends; a failed download is reported once,
	/// then the next call tries again. A sealed blob the node lacks (it warp-synced past the
	/// block that indexed it) is asked of its peers the same way.
	fn ensure_local(hash: &BlobHash) -> Result<(), FetchError>;
}

/// Taking a blob over: whoever builds on bytes (registers a model on them) pays for keeping
/// them. Owning a blob grants nothing but its deposit, so the first to store bytes (perhaps by
/// front-running their uploader) gains nothing, and nobody's use keeps another account's
/// deposit held.
pub trait BlobAdoption<AccountId> {
	/// `who` is about to reference blob `hash`. If the blob (sealed or remote) has no references and
	/// belongs to another account, it passes to `who`, who holds its deposit from then on;
	/// the previous owner's is released. Otherwise nothing changes. Fails only if `who`
	/// cannot cover the deposit.
	fn adopt(hash: &BlobHash, who: &AccountId) -> DispatchResult;
}

/// Storing blobs on behalf of an account from another pallet: a job's agreed result, for
/// example, which its requester owns.
pub trait BlobStore<AccountId, Balance> {
	/// The deposit a blob of `bytes` bytes takes.
	fn deposit_for(bytes: u64) -> Balance;

	/// Stores `bytes` as a sealed blob owned by `owner`, holding its deposit from `owner` and
	/// indexing the bytes into every node's off-chain database; returns the hash. A blob that
	/// is already sealed under that hash is kept as it is (no second deposit).
	fn store(owner: &AccountId, bytes: Vec<u8>) -> Result<BlobHash, DispatchError>;

	/// Removes blob `hash` if `owner` owns it and nothing references it, releasing its
	/// deposit to `owner`; otherwise changes nothing. For what a pallet stored for an
	/// account that must not keep it (a failed round's combined parameters).
	fn discard(hash: &BlobHash, owner: &AccountId);
}

/// A remote blob's bond: what its registrant holds as a promise that its URI serves the claimed
/// bytes.
pub trait RemoteBlobBond<AccountId, Balance> {
	/// A quorum of a job's workers could not get the claimed bytes of remote blob `hash`
	/// (none came, or others did): moves its bond to `to` and returns the amount moved (zero
	/// if `hash` is not a remote blob or its bond was taken before). The blob stays registered,
	/// without a bond, until its owner removes it.
	fn forfeit_bond(hash: &BlobHash, to: &AccountId) -> Balance;
}

/// No blob store: there are no blobs. For mocks of pallets that use [`BlobInspect`].
impl<AccountId> BlobInspect<AccountId> for () {
	fn blob(_hash: &BlobHash) -> Option<BlobSummary<AccountId>> {
		None
	}

	fn is_sealed(_hash: &BlobHash) -> bool {
		false
	}

	fn size(_hash: &BlobHash) -> Option<u64> {
		None
	}
}

/// No blob store: references cannot be taken.
impl BlobReferences for () {
	fn add_ref(_hash: &BlobHash) -> DispatchResult {
		Err(DispatchError::CannotLookup)
	}

	fn remove_ref(_hash: &BlobHash) -> DispatchResult {
		Err(DispatchError::CannotLookup)
	}
}

/// No blob store: nothing to take over.
impl<AccountId> BlobAdoption<AccountId> for () {
	fn adopt(_hash: &BlobHash, _who: &AccountId) -> DispatchResult {
		Ok(())
	}
}

/// No blob store: there is nothing remote, so nothing to fetch.
impl BlobFetch for () {
	fn ensure_local(_hash: &BlobHash) -> Result<(), FetchError> {
		Ok(())
	}
}
