//! Blobs shared between nodes: a request-response protocol on the node's own p2p network
//! (`/<genesis hash>/mosaic/blob/1`), as the block and state request handlers are.
//!
//! A node that needs a blob it lacks asks its connected full nodes whether they hold it
//! ([`BlobRequest::Have`]), then downloads it from one holder piece by piece
//! ([`BlobRequest::Piece`], [`PIECE`] bytes each, in order) into a blob file, which hashes
//! it as it goes and keeps it only if the whole blob has the hash asked for. A holder that
//! sends a wrong piece costs one download: it is reported (its reputation drops) and the next
//! holder is tried. Nothing a peer says is trusted but what the final hash confirms.
//!
//! A node serves every blob it holds, indexed by the chain or in its blob files, within
//! bounds: one request answered at a time, at most [`INBOUND_QUEUE`] waiting (more are
//! dropped by the network), [`PEER_BYTES_PER_SECOND`] sent to one peer and
//! [`PEER_READ_BYTES_PER_SECOND`] read from the database for it (an indexed blob is read
//! whole; more is answered [`BlobResponse::Busy`]). A request that does not decode costs its
//! sender reputation.

#[cfg(test)]
pub(crate) mod tests;

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use codec::{Decode, DecodeAll, Encode};
use futures::{future::BoxFuture, StreamExt};
use mosaic_primitives::blob::{offchain_key, BlobHash, FetchError};
use sc_network::{
	config::{IncomingRequest, OutgoingResponse},
	PeerId, ProtocolName, ReputationChange,
};
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};

use crate::{
	blob_store::FileBlobs,
	executor_service::{hex, lock},
};

/// Bytes in one piece (the last may be shorter).
pub const PIECE: u64 = 1 << 20;
/// Largest request: a hash and a number, with room to spare.
pub const MAX_REQUEST: u64 = 1024;
/// Largest response: one piece and its encoding.
pub const MAX_RESPONSE: u64 = PIECE + 1024;
/// Requests waiting to be answered; the network drops more.
pub const INBOUND_QUEUE: usize = 32;
/// Bytes served to one peer per second; more is answered [`BlobResponse::Busy`].
pub const PEER_BYTES_PER_SECOND: u64 = 32 << 20;
/// Bytes of indexed blobs read from the database per second for one peer's requests (the
/// database reads a value whole, so each question about a blob not read recently costs the
/// whole blob); past it, requests that need a read are answered [`BlobResponse::Busy`].
pub const PEER_READ_BYTES_PER_SECOND: u64 = 64 << 20;
/// Indexed blobs kept in memory after a read: downloads of this many at once (the fetch
/// service runs four) each read their blob once.
const INDEXED_KEPT: usize = 4;
/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a download waits before asking again a holder that answered a piece `Busy` (it
/// served its second's allowance), and how many times in a row: its allowance comes back
/// within a second, so a holder still busy after that is serving others, and another is tried.
const BUSY_WAIT: Duration = Duration::from_millis(250);
const BUSY_WAITS: u32 = 12;
/// How long holders have to say whether they hold a blob.
const HAVE_TIMEOUT: Duration = Duration::from_secs(3);
/// Peers asked whether they hold a blob.
const PEERS_ASKED: usize = 8;
/// Reputation lost for a request that does not decode.
const MALFORMED: ReputationChange =
	ReputationChange::new(-(1 << 12), "mosaic blob: malformed request");
/// Reputation lost for bytes that are not the blob asked for.
const WRONG_BYTES: ReputationChange = ReputationChange::new(-(1 << 28), "mosaic blob: wrong bytes");

/// What one node asks another.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub enum BlobRequest {
	/// Whether the peer holds blob `hash`, and its size.
	#[codec(index = 0)]
	Have {
		/// The blob's hash.
		hash: BlobHash,
	},
	/// Bytes `index × PIECE ..` of blob `hash`, up to [`PIECE`].
	#[codec(index = 1)]
	Piece {
		/// The blob's hash.
		hash: BlobHash,
		/// The piece's number.
		index: u32,
	},
}

/// What a node answers.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub enum BlobResponse {
	/// The node holds the blob, this size.
	#[codec(index = 0)]
	Have {
		/// The blob's size in bytes.
		size: u64,
	},
	/// One piece's bytes.
	#[codec(index = 1)]
	Piece {
		/// The bytes.
		data: Vec<u8>,
	},
	/// The node does not hold the blob (or the piece is past its end).
	#[codec(index = 2)]
	NotHere,
	/// The node serves this peer as much as it allows: ask again later, or another node.
	#[codec(index = 3)]
	Busy,
}

/// The protocol's name on the chain whose genesis block is `genesis`.
pub fn protocol_name(genesis: &[u8], fork_id: Option<&str>) -> ProtocolName {
	match fork_id {
		Some(fork) => format!("/{}/{fork}/mosaic/blob/1", hex(genesis)),
		None => format!("/{}/mosaic/blob/1", hex(genesis)),
	}
	.into()
}

/// The blobs a node holds, for serving them.
pub struct HeldBlobs<S> {
	files: Arc<FileBlobs>,
	db: Mutex<S>,
	/// The indexed blobs last read, most recent last: their pieces are asked for in a row,
	/// and the database reads a value whole.
	recent_indexed: Mutex<Vec<(BlobHash, Arc<Vec<u8>>)>>,
}

impl<S: OffchainStorage> HeldBlobs<S> {
	/// The blobs in `files` and, indexed by the chain, in `db`.
	pub fn new(files: Arc<FileBlobs>, db: S) -> Self {
		HeldBlobs { files, db: Mutex::new(db), recent_indexed: Mutex::new(Vec::new()) }
	}

	/// Whether answering about `hash` reads the database (it is neither a file nor an indexed
	/// blob read recently).
	fn needs_read(&self, hash: &BlobHash) -> bool {
		!self.files.holds(hash) && !lock(&self.recent_indexed).iter().any(|(h, _)| h == hash)
	}

	/// Indexed blob `hash`, and the bytes read from the database for it.
	fn indexed(&self, hash: &BlobHash) -> (Option<Arc<Vec<u8>>>, u64) {
		let mut recent = lock(&self.recent_indexed);
		if let Some(at) = recent.iter().position(|(h, _)| h == hash) {
			let entry = recent.remove(at);
			let bytes = entry.1.clone();
			recent.push(entry);
			return (Some(bytes), 0);
		}
		let Some(bytes) = lock(&self.db).get(STORAGE_PREFIX, &offchain_key(hash)) else {
			return (None, 0);
		};
		let read = bytes.len() as u64;
		let bytes = Arc::new(bytes);
		if recent.len() >= INDEXED_KEPT {
			recent.remove(0);
		}
		recent.push((*hash, bytes.clone()));
		(Some(bytes), read)
	}

	/// The size of blob `hash`, and the bytes read from the database to learn it.
	fn size(&self, hash: &BlobHash) -> (Option<u64>, u64) {
		match self.files.size(hash) {
			Some(size) => (Some(size), 0),
			None => {
				let (bytes, read) = self.indexed(hash);
				(bytes.map(|b| b.len() as u64), read)
			},
		}
	}

	/// Piece `index` of blob `hash`, and the bytes read from the database for it.
	fn piece(&self, hash: &BlobHash, index: u32) -> (Option<Vec<u8>>, u64) {
		let (size, read) = self.size(hash);
		(size.and_then(|size| self.piece_of(hash, size, index)), read)
	}

	fn piece_of(&self, hash: &BlobHash, size: u64, index: u32) -> Option<Vec<u8>> {
		let offset = u64::from(index) * PIECE;
		if offset >= size {
			return None;
		}
		if self.files.size(hash).is_some() {
			return self.files.read_at(hash, offset, PIECE);
		}
		let bytes = self.indexed(hash).0?;
		let end = size.min(offset + PIECE);
		Some(bytes.get(offset as usize..end as usize)?.to_vec())
	}
}

/// Answers other nodes' requests (see the module documentation).
pub struct BlobServer<S> {
	blobs: Arc<HeldBlobs<S>>,
	/// What each peer was given in the current second.
	served: Mutex<HashMap<PeerId, Allowance>>,
}

/// What one peer's requests cost this node in one second.
struct Allowance {
	/// When the second began.
	since: Instant,
	/// Bytes sent.
	sent: u64,
	/// Bytes read from the database.
	read: u64,
}

impl<S: OffchainStorage + 'static> BlobServer<S> {
	/// A server of `blobs`.
	pub fn new(blobs: Arc<HeldBlobs<S>>) -> Self {
		BlobServer { blobs, served: Mutex::new(HashMap::new()) }
	}

	/// The answer to `payload` from `peer`: `Err` (with the reputation it costs) if it does
	/// not decode.
	pub fn answer(&self, peer: PeerId, payload: &[u8]) -> Result<BlobResponse, ReputationChange> {
		let request = BlobRequest::decode_all(&mut &payload[..]).map_err(|_| MALFORMED)?;
		let hash = match &request {
			BlobRequest::Have { hash } | BlobRequest::Piece { hash, .. } => *hash,
		};
		let sending = if matches!(request, BlobRequest::Piece { .. }) { PIECE } else { 0 };
		if !self.allow(peer, sending, self.blobs.needs_read(&hash)) {
			return Ok(BlobResponse::Busy);
		}
		let (response, read) = match request {
			BlobRequest::Have { hash } => {
				let (size, read) = self.blobs.size(&hash);
				(size.map_or(BlobResponse::NotHere, |size| BlobResponse::Have { size }), read)
			},
			BlobRequest::Piece { hash, index } => {
				let (piece, read) = self.blobs.piece(&hash, index);
				(piece.map_or(BlobResponse::NotHere, |data| BlobResponse::Piece { data }), read)
			},
		};
		self.with_allowance(peer, |allowance| allowance.read += read);
		Ok(response)
	}

	/// Whether `peer` may be sent `bytes` more this second, and, if the answer `reads` the
	/// database, whether its reads are within their bound; counts the bytes if so.
	fn allow(&self, peer: PeerId, bytes: u64, reads: bool) -> bool {
		self.with_allowance(peer, |allowance| {
			if allowance.sent + bytes > PEER_BYTES_PER_SECOND
				|| (reads && allowance.read >= PEER_READ_BYTES_PER_SECOND)
			{
				return false;
			}
			allowance.sent += bytes;
			true
		})
	}

	/// Applies `f` to `peer`'s allowance for the current second.
	fn with_allowance<R>(&self, peer: PeerId, f: impl FnOnce(&mut Allowance) -> R) -> R {
		let mut served = lock(&self.served);
		let now = Instant::now();
		let fresh = |since: &Instant| now.duration_since(*since) < Duration::from_secs(1);
		if served.len() > 1024 {
			served.retain(|_, allowance| fresh(&allowance.since));
		}
		let allowance = served.entry(peer).or_insert(Allowance { since: now, sent: 0, read: 0 });
		if !fresh(&allowance.since) {
			*allowance = Allowance { since: now, sent: 0, read: 0 };
		}
		f(allowance)
	}

	/// Answers the requests the network passes on, one at a time (reads on a blocking
	/// thread), until the network stops.
	pub async fn run(self, mut requests: async_channel::Receiver<IncomingRequest>) {
		let server = Arc::new(self);
		while let Some(IncomingRequest { peer, payload, pending_response }) = requests.next().await
		{
			let answering = server.clone();
			let answer =
				tokio::task::spawn_blocking(move || answering.answer(peer, &payload)).await;
			let response = match answer {
				Ok(Ok(response)) => OutgoingResponse {
					result: Ok(response.encode()),
					reputation_changes: Vec::new(),
					sent_feedback: None,
				},
				Ok(Err(cost)) => OutgoingResponse {
					result: Err(()),
					reputation_changes: vec![cost],
					sent_feedback: None,
				},
				Err(_) => continue,
			};
			let _ = pending_response.send(response);
		}
	}
}

/// What [`PeerBlobs`] needs of the network: who is connected, a request, a report.
pub trait PeerNetwork: Send + Sync + 'static {
	/// The full nodes connected now.
	fn peers(&self) -> BoxFuture<'static, Vec<PeerId>>;
	/// Sends `request` to `peer` on the blob protocol; its response's bytes.
	fn request(&self, peer: PeerId, request: Vec<u8>) -> BoxFuture<'static, Result<Vec<u8>, ()>>;
	/// Lowers `peer`'s reputation for bytes that were not the blob asked for.
	fn report_wrong_bytes(&self, peer: PeerId);
}

/// The node's network, as [`PeerNetwork`].
pub struct SubstrateNetwork {
	/// The network service `build_network` returned.
	pub network: Arc<dyn sc_network::service::traits::NetworkService>,
	/// The blob protocol's name.
	pub protocol: ProtocolName,
	/// The full nodes the syncing service is connected to.
	pub full_peers: Arc<dyn Fn() -> BoxFuture<'static, Vec<PeerId>> + Send + Sync>,
}

impl PeerNetwork for SubstrateNetwork {
	fn peers(&self) -> BoxFuture<'static, Vec<PeerId>> {
		(self.full_peers)()
	}

	fn request(&self, peer: PeerId, request: Vec<u8>) -> BoxFuture<'static, Result<Vec<u8>, ()>> {
		let (network, protocol) = (self.network.clone(), self.protocol.clone());
		Box::pin(async move {
			network
				.request(peer, protocol, request, None, sc_network::IfDisconnected::ImmediateError)
				.await
				.map(|(bytes, _)| bytes)
				.map_err(|_| ())
		})
	}

	fn report_wrong_bytes(&self, peer: PeerId) {
		self.network.report_peer(peer, WRONG_BYTES);
	}
}

/// Gets blobs from other nodes (see the module documentation).
pub struct PeerBlobs {
	network: Box<dyn PeerNetwork>,
}

impl PeerBlobs {
	/// Gets blobs through `network`.
	pub fn new(network: impl PeerNetwork) -> Self {
		PeerBlobs { network: Box::new(network) }
	}

	/// Downloads blob `hash` of `size` bytes from a peer that holds it into `files`.
	/// [`FetchError::Http`]`(0)` if no peer could give it (none holds it, or every holder
	/// failed); [`FetchError::Busy`] if this node keeps no blob that large.
	pub async fn fetch(
		&self,
		files: &Arc<FileBlobs>,
		hash: BlobHash,
		size: u64,
	) -> Result<(), FetchError> {
		for holder in self.holders(hash, size).await {
			let mut partial = files.begin(hash, size)?;
			match self.download(holder, hash, size, &mut partial).await {
				Ok(()) => {},
				Err(Failure::Peer) => continue,
				Err(Failure::WrongBytes) => {
					self.network.report_wrong_bytes(holder);
					continue;
				},
			}
			match partial.finish() {
				Ok(()) => {
					log::info!(target: "mosaic-blobs", "blob 0x{}: {size} bytes from peer {holder}", hex(&hash[..4]));
					return Ok(());
				},
				Err(FetchError::Busy) => return Err(FetchError::Busy),
				Err(_) => self.network.report_wrong_bytes(holder),
			}
		}
		Err(FetchError::Http(0))
	}

	/// The peers (of the first [`PEERS_ASKED`]) that hold blob `hash` at `size` bytes.
	async fn holders(&self, hash: BlobHash, size: u64) -> Vec<PeerId> {
		let peers = self.network.peers().await;
		let request = BlobRequest::Have { hash }.encode();
		let asks = peers.into_iter().take(PEERS_ASKED).map(|peer| {
			let answer = self.network.request(peer, request.clone());
			async move {
				let bytes = tokio::time::timeout(HAVE_TIMEOUT, answer).await.ok()?.ok()?;
				match BlobResponse::decode_all(&mut &bytes[..]).ok()? {
					BlobResponse::Have { size: held } if held == size => Some(peer),
					_ => None,
				}
			}
		});
		futures::future::join_all(asks).await.into_iter().flatten().collect()
	}

	async fn download(
		&self,
		holder: PeerId,
		hash: BlobHash,
		size: u64,
		partial: &mut crate::blob_store::Partial,
	) -> Result<(), Failure> {
		let mut busy = 0;
		let mut index = 0;
		while index < size.div_ceil(PIECE) {
			let request = BlobRequest::Piece { hash, index: index as u32 }.encode();
			let answer =
				tokio::time::timeout(REQUEST_TIMEOUT, self.network.request(holder, request))
					.await
					.map_err(|_| Failure::Peer)?
					.map_err(|_| Failure::Peer)?;
			let expected = PIECE.min(size - index * PIECE);
			match BlobResponse::decode_all(&mut &answer[..]).map_err(|_| Failure::WrongBytes)? {
				BlobResponse::Piece { data } if data.len() as u64 == expected => {
					// Lengths are checked above: only this node's disk can fail here.
					partial.write(&data).map_err(|_| Failure::Peer)?;
					busy = 0;
					index += 1;
				},
				BlobResponse::Piece { .. } => return Err(Failure::WrongBytes),
				BlobResponse::Busy if busy < BUSY_WAITS => {
					busy += 1;
					tokio::time::sleep(BUSY_WAIT).await;
				},
				BlobResponse::Busy | BlobResponse::NotHere | BlobResponse::Have { .. } => {
					return Err(Failure::Peer)
				},
			}
		}
		Ok(())
	}
}

/// Why a download from one holder stopped.
enum Failure {
	/// It failed, timed out, was busy or no longer holds the blob: try another.
	Peer,
	/// It sent what is not the blob: report it, try another.
	WrongBytes,
}
