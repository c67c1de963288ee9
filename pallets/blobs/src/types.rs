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

/// Where a blob is in its life.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum BlobStatus<BlockNumber, Uri> {
	/// A chunked upload is under way; the chunks received so far are in
	/// [`UploadChunks`](crate::UploadChunks).
	#[codec(index = 0)]
	Uploading {
		/// Bytes received so far.
		received: u64,
		/// Chunks received so far; the next chunk must have this index.
		chunks: u32,
		/// Last block in which the uploader may add chunks or seal. After it, anyone may abort
		/// the upload (the deposit goes back to the uploader).
		deadline: BlockNumber,
	},
	/// The bytes were checked against the hash on-chain and indexed into every node's
	/// off-chain database.
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

impl<BlockNumber: Copy, Uri> BlobStatus<BlockNumber, Uri> {
	/// `(received, chunks, deadline)` of an upload in progress, `None` otherwise.
	pub fn upload_progress(&self) -> Option<(u64, u32, BlockNumber)> {
		match self {
			Self::Uploading { received, chunks, deadline } => Some((*received, *chunks, *deadline)),
			_ => None,
		}
	}

	/// The status without its details.
	pub fn kind(&self) -> BlobKind {
		match self {
			Self::Uploading { .. } => BlobKind::Uploading,
			Self::Sealed => BlobKind::Sealed,
			Self::Remote { .. } => BlobKind::Remote,
		}
	}
}

/// A blob's metadata, as kept in [`Blobs`](crate::Blobs). The bytes themselves are not in
/// chain state once the blob is sealed.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct BlobInfo<AccountId, Balance, BlockNumber, Uri> {
	/// Size in bytes (declared for uploads in progress and remote blobs).
	pub byte_len: u64,
	/// The account that stored, uploaded or registered the blob; only it may remove it.
	pub owner: AccountId,
	/// Deposit held from `owner`; exactly this is released when the entry goes.
	pub deposit: Balance,
	/// Where the blob is in its life.
	pub status: BlobStatus<BlockNumber, Uri>,
	/// How many references other pallets hold (see [`BlobReferences`](crate::BlobReferences)); the
	/// blob cannot be removed while this is non-zero.
	pub refs: u32,
	/// Block in which the entry was created.
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
