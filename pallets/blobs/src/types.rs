//! Types of the blobs pallet: a blob's on-chain metadata, its status, and the summary other
//! pallets see through [`BlobInspect`](crate::BlobInspect). The hash, the kind and the summary
//! are shared vocabulary and live in [`mosaic_primitives::blob`].

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

pub use mosaic_primitives::blob::{BlobHash, BlobKind, BlobSummary};

/// URI schemes [`Pallet::register_uri`](crate::Pallet::register_uri) accepts, lower case only.
pub const URI_SCHEMES: [&[u8]; 3] = [b"https://", b"http://", b"ipfs://"];

/// Whether `uri` is acceptable for a remote blob: it starts with one of [`URI_SCHEMES`], has
/// something after the scheme, and consists only of visible ASCII characters (`0x21..=0x7e`; no
/// spaces or control characters, non-ASCII must be percent-encoded).
pub fn is_valid_uri(uri: &[u8]) -> bool {
	URI_SCHEMES.iter().any(|scheme| {
		uri.strip_prefix(*scheme)
			.is_some_and(|rest| !rest.is_empty() && rest.iter().all(|byte| byte.is_ascii_graphic()))
	})
}

/// Where a blob's bytes are. Uploads in progress are not blobs yet: they are kept apart, per
/// uploader, in [`Uploads`](crate::Uploads).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum BlobStatus<Uri> {
	/// The bytes were checked against the hash on-chain and indexed into every node's
	/// off-chain database. (Index 0 was an upload in progress, before uploads moved to
	/// [`Uploads`](crate::Uploads).)
	#[codec(index = 1)]
	Sealed,
	/// The bytes live at `uri` (IPFS or HTTP(S)); the hash and size are the registrant's claim,
	/// not checked on-chain.
	#[codec(index = 2)]
	Remote {
		/// Where the bytes can be fetched from.
		uri: Uri,
	},
}

impl<Uri> BlobStatus<Uri> {
	/// The status without its details.
	pub fn kind(&self) -> BlobKind {
		match self {
			Self::Sealed => BlobKind::Sealed,
			Self::Remote { .. } => BlobKind::Remote,
		}
	}
}

/// A chunked upload in progress, as kept in [`Uploads`](crate::Uploads) under its declared
/// hash and its uploader.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Upload<Balance, BlockNumber> {
	/// The declared size in bytes.
	pub byte_len: u64,
	/// Deposit held from the uploader for the blob's whole size; it becomes the blob's deposit
	/// when the upload is sealed.
	pub deposit: Balance,
	/// Bytes received so far.
	pub received: u64,
	/// Chunks received so far; the next chunk must have this index.
	pub chunks: u32,
	/// Last block in which the uploader may add chunks or seal. After it, anyone may abort the
	/// upload (the deposit goes back to the uploader).
	pub deadline: BlockNumber,
}

/// A blob's metadata, as kept in [`Blobs`](crate::Blobs). The bytes themselves are not in
/// chain state once the blob is sealed.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct BlobInfo<AccountId, Balance, BlockNumber, Uri> {
	/// Size in bytes (declared, for remote blobs).
	pub byte_len: u64,
	/// The account that stored, sealed or registered the blob; only it may remove it.
	pub owner: AccountId,
	/// Deposit held from `owner`; exactly this is released when the entry goes.
	pub deposit: Balance,
	/// Where the blob is in its life.
	pub status: BlobStatus<Uri>,
	/// How many references other pallets hold (see [`BlobReferences`](crate::BlobReferences)); the
	/// blob cannot be removed while this is non-zero.
	pub refs: u32,
	/// Block in which the entry was created (stored, sealed or registered).
	pub created_at: BlockNumber,
}

impl<AccountId: Clone, Balance, BlockNumber: Copy, Uri>
	BlobInfo<AccountId, Balance, BlockNumber, Uri>
{
	/// What other pallets see of this blob.
	pub fn summary(&self) -> BlobSummary<AccountId> {
		BlobSummary {
			owner: self.owner.clone(),
			byte_len: self.byte_len,
			kind: self.status.kind(),
			refs: self.refs,
		}
	}
}
