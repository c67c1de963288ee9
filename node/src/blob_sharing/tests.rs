//! The blob protocol between nodes that serve honestly, lie, are busy or hold another size,
//! over an in-process network (the real one is exercised by the three-node test).

use std::sync::atomic::{AtomicUsize, Ordering};

use mosaic_executor::content_hash;
use sp_core::offchain::storage::InMemOffchainStorage;

use super::*;
use crate::blob_store::{tests::TempDir, BlobFileLimits};

fn bytes(n: usize, seed: u8) -> Vec<u8> {
	(0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// How a fake peer answers.
pub(crate) enum Peer {
	/// A real server over its own files and database.
	Serving(BlobServer<InMemOffchainStorage>, TempDir),
	/// Says it holds the blob at `size` and answers every piece with `piece`.
	Lying { size: u64, piece: Vec<u8> },
	/// Answers every request `Busy`.
	Busy,
	/// Never answers.
	Silent,
}

/// A network of fake peers, counting requests and reports.
#[derive(Clone)]
pub(crate) struct FakeNetwork(Arc<FakeState>);

pub(crate) struct FakeState {
	/// This node, as the fake peers see it.
	me: PeerId,
	peers: Vec<(PeerId, Peer)>,
	requests: AtomicUsize,
	reported: Mutex<Vec<PeerId>>,
}

impl FakeNetwork {
	pub(crate) fn new(peers: Vec<Peer>) -> (FakeNetwork, Vec<PeerId>) {
		let peers: Vec<_> = peers.into_iter().map(|p| (PeerId::random(), p)).collect();
		let ids = peers.iter().map(|(id, _)| *id).collect();
		let state = FakeState {
			me: PeerId::random(),
			peers,
			requests: AtomicUsize::new(0),
			reported: Mutex::default(),
		};
		(FakeNetwork(Arc::new(state)), ids)
	}

	pub(crate) fn reported(&self) -> Vec<PeerId> {
		lock(&self.0.reported).clone()
	}
}

impl PeerNetwork for FakeNetwork {
	fn peers(&self) -> BoxFuture<'static, Vec<PeerId>> {
		let ids = self.0.peers.iter().map(|(id, _)| *id).collect();
		Box::pin(async move { ids })
	}

	fn request(&self, peer: PeerId, request: Vec<u8>) -> BoxFuture<'static, Result<Vec<u8>, ()>> {
		self.0.requests.fetch_add(1, Ordering::SeqCst);
		let me = self.0.me;
		let answer = match self.0.peers.iter().find(|(id, _)| *id == peer).map(|(_, p)| p) {
			Some(Peer::Serving(server, _)) => {
				server.answer(me, &request).map(|r| r.encode()).map_err(|_| ())
			},
			Some(Peer::Lying { size, piece }) => {
				Ok(match BlobRequest::decode_all(&mut &request[..]) {
					Ok(BlobRequest::Have { .. }) => BlobResponse::Have { size: *size },
					_ => BlobResponse::Piece { data: piece.clone() },
				}
				.encode())
			},
			Some(Peer::Busy) => Ok(BlobResponse::Busy.encode()),
			Some(Peer::Silent) => return Box::pin(futures::future::pending()),
			None => Err(()),
		};
		Box::pin(async move { answer })
	}

	fn report_wrong_bytes(&self, peer: PeerId) {
		lock(&self.0.reported).push(peer);
	}
}

/// A peer serving `blobs` from its files (`in_files`) or as if indexed by the chain.
pub(crate) fn serving(blobs: &[&[u8]], in_files: bool) -> Peer {
	let dir = TempDir::new("peer");
	let files = FileBlobs::open(&dir.0, BlobFileLimits::default()).unwrap();
	let mut db = InMemOffchainStorage::default();
	for blob in blobs {
		let hash = content_hash(blob);
		if in_files {
			let mut partial = files.begin(hash, blob.len() as u64).unwrap();
			partial.write(blob).unwrap();
			partial.finish().unwrap();
		} else {
			db.set(STORAGE_PREFIX, &offchain_key(&hash), blob);
		}
	}
	Peer::Serving(BlobServer::new(Arc::new(HeldBlobs::new(files, db))), dir)
}

/// This node's blob files, in their own directory.
fn local() -> (Arc<FileBlobs>, TempDir) {
	let dir = TempDir::new("local");
	(FileBlobs::open(&dir.0, BlobFileLimits::default()).unwrap(), dir)
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
	tokio::runtime::Builder::new_current_thread()
		.enable_all()
		.build()
		.unwrap()
		.block_on(future)
}

#[test]
fn a_blob_of_several_pieces_comes_from_a_peer_that_holds_it_in_a_file_or_indexed() {
	for in_files in [true, false] {
		let blob = bytes(2 * PIECE as usize + 1234, 1);
		let hash = content_hash(&blob);
		let (network, _) = FakeNetwork::new(vec![serving(&[&blob], in_files)]);
		let (files, _dir) = local();
		let peers = PeerBlobs::new(network.clone());
		assert_eq!(run(peers.fetch(&files, hash, blob.len() as u64)), Ok(()));
		assert_eq!(files.read(&hash), Some(blob));
		// One `Have`, three pieces.
		assert_eq!(network.0.requests.load(Ordering::SeqCst), 4, "in files: {in_files}");
		assert!(network.reported().is_empty());
	}
}

/// A blob larger than what one holder serves a peer in a second (a 117 MB model): the holder
/// answers `Busy` past its allowance, and the download waits for the next second's instead
/// of giving the holder up. Until session 19 a `Busy` piece ended the download from that
/// holder, so no blob above `PEER_BYTES_PER_SECOND` ever came from peers.
#[test]
fn a_blob_larger_than_a_seconds_allowance_waits_for_the_next_second() {
	let blob = bytes((PEER_BYTES_PER_SECOND + 3 * PIECE) as usize, 6);
	let (hash, size) = (content_hash(&blob), blob.len() as u64);
	let (network, _) = FakeNetwork::new(vec![serving(&[&blob], true)]);
	let (files, _dir) = local();
	let started = Instant::now();
	assert_eq!(run(PeerBlobs::new(network.clone()).fetch(&files, hash, size)), Ok(()));
	assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
	assert!(files.read(&hash) == Some(blob));
	assert!(network.reported().is_empty());
}

/// A liar first, then an honest holder: the blob comes from the honest one, the liar is
/// reported, nothing of its bytes is kept. A busy peer, a silent one and one that holds
/// another size are passed over.
#[test]
fn lying_busy_silent_and_other_size_peers_are_passed_over() {
	let blob = bytes(PIECE as usize + 10, 2);
	let (hash, size) = (content_hash(&blob), blob.len() as u64);
	let other = bytes(99, 3);
	let (network, ids) = FakeNetwork::new(vec![
		Peer::Lying { size, piece: bytes(PIECE as usize, 4) },
		Peer::Busy,
		Peer::Lying { size: size + 1, piece: Vec::new() },
		Peer::Silent,
		serving(&[&blob, &other], true),
	]);
	let (files, dir) = local();
	let started = Instant::now();
	assert_eq!(run(PeerBlobs::new(network.clone()).fetch(&files, hash, size)), Ok(()));
	assert!(started.elapsed() < HAVE_TIMEOUT + Duration::from_secs(2), "the silent one held it up");
	assert_eq!(files.read(&hash), Some(blob));
	assert_eq!(network.reported(), vec![ids[0]]);
	assert_eq!(fs_entries(&dir.0.join("partial")), 0);
}

/// A liar whose pieces have the right lengths but not the blob's bytes is found out by the
/// hash, at the end: reported, its bytes dropped.
#[test]
fn a_liar_with_right_sized_pieces_is_found_out_by_the_hash() {
	let blob = bytes(1000, 5);
	let (hash, size) = (content_hash(&blob), blob.len() as u64);
	let (network, ids) = FakeNetwork::new(vec![Peer::Lying { size, piece: bytes(1000, 6) }]);
	let (files, dir) = local();
	assert_eq!(
		run(PeerBlobs::new(network.clone()).fetch(&files, hash, size)),
		Err(FetchError::Http(0))
	);
	assert_eq!(network.reported(), ids);
	assert!(files.held().is_empty());
	assert_eq!(fs_entries(&dir.0.join("partial")), 0);
}

#[test]
fn no_holder_is_an_http_failure_and_no_peers_ask_nothing() {
	let blob = bytes(100, 7);
	let (network, _) = FakeNetwork::new(vec![serving(&[b"something else"], true)]);
	let (files, _dir) = local();
	let fetched = run(PeerBlobs::new(network).fetch(&files, content_hash(&blob), 100));
	assert_eq!(fetched, Err(FetchError::Http(0)));
	let (alone, _) = FakeNetwork::new(Vec::new());
	let fetched = run(PeerBlobs::new(alone.clone()).fetch(&files, content_hash(&blob), 100));
	assert_eq!(fetched, Err(FetchError::Http(0)));
	assert_eq!(alone.0.requests.load(Ordering::SeqCst), 0);
}

/// The server: sizes and pieces of what it holds, `NotHere` past the end or for what it does
/// not hold, reputation for garbage, and `Busy` past a peer's bytes per second.
#[test]
fn the_server_answers_within_its_bounds() {
	let blob = bytes(PIECE as usize + 5, 8);
	let hash = content_hash(&blob);
	let Peer::Serving(server, _dir) = serving(&[&blob], false) else { unreachable!() };
	let (peer, other) = (PeerId::random(), PeerId::random());
	let ask = |who, request: BlobRequest| server.answer(who, &request.encode());
	assert_eq!(ask(peer, BlobRequest::Have { hash }), Ok(BlobResponse::Have { size: PIECE + 5 }));
	assert_eq!(ask(peer, BlobRequest::Have { hash: [0; 32] }), Ok(BlobResponse::NotHere));
	assert_eq!(
		ask(peer, BlobRequest::Piece { hash, index: 1 }),
		Ok(BlobResponse::Piece { data: blob[PIECE as usize..].to_vec() })
	);
	assert_eq!(ask(peer, BlobRequest::Piece { hash, index: 2 }), Ok(BlobResponse::NotHere));
	assert_eq!(server.answer(peer, b"\x07garbage"), Err(MALFORMED));
	let mut trailing = BlobRequest::Have { hash }.encode();
	trailing.push(0);
	assert_eq!(server.answer(peer, &trailing), Err(MALFORMED));
	// Two pieces so far; the rest of the second's allowance, then `Busy`.
	let allowance = PEER_BYTES_PER_SECOND / PIECE;
	for _ in 2..allowance {
		assert!(matches!(
			ask(peer, BlobRequest::Piece { hash, index: 0 }),
			Ok(BlobResponse::Piece { .. })
		));
	}
	assert_eq!(ask(peer, BlobRequest::Piece { hash, index: 0 }), Ok(BlobResponse::Busy));
	assert!(
		matches!(ask(other, BlobRequest::Piece { hash, index: 0 }), Ok(BlobResponse::Piece { .. })),
		"another peer is served"
	);
}

/// An off-chain database that counts the bytes read from it.
#[derive(Clone, Default)]
struct CountingDb(InMemOffchainStorage, Arc<std::sync::atomic::AtomicU64>);

impl OffchainStorage for CountingDb {
	fn set(&mut self, prefix: &[u8], key: &[u8], value: &[u8]) {
		self.0.set(prefix, key, value)
	}
	fn remove(&mut self, prefix: &[u8], key: &[u8]) {
		self.0.remove(prefix, key)
	}
	fn get(&self, prefix: &[u8], key: &[u8]) -> Option<Vec<u8>> {
		let value = self.0.get(prefix, key);
		let read = value.as_ref().map_or(0, |v| v.len() as u64);
		self.1.fetch_add(read, Ordering::SeqCst);
		value
	}
	fn compare_and_set(
		&mut self,
		prefix: &[u8],
		key: &[u8],
		old: Option<&[u8]>,
		new: &[u8],
	) -> bool {
		self.0.compare_and_set(prefix, key, old, new)
	}
}

/// Attack: a peer asks in turn about blobs the chain indexed. The database reads a value whole,
/// so each question about a blob not read recently costs a read of the whole blob (up to the
/// chain's 16 MiB); `Have` cost nothing against the peer's allowance, so one peer could keep
/// this node's disk busy (red run: 200 of 200 answered, 800 MiB read). Now what a peer's
/// questions make the node read is bounded per second, and `Busy` past it; another peer is
/// still answered.
#[test]
fn a_peer_cannot_make_the_node_read_indexed_blobs_without_bound() {
	let mut db = CountingDb::default();
	let dir = TempDir::new("peer");
	let files = FileBlobs::open(&dir.0, BlobFileLimits::default()).unwrap();
	let hashes: Vec<_> = (0..8)
		.map(|i| {
			let blob = bytes(4 << 20, i);
			let hash = content_hash(&blob);
			db.set(STORAGE_PREFIX, &offchain_key(&hash), &blob);
			hash
		})
		.collect();
	let read = db.1.clone();
	let server = BlobServer::new(Arc::new(HeldBlobs::new(files, db)));
	let (attacker, other) = (PeerId::random(), PeerId::random());
	let have = |who, hash| server.answer(who, &BlobRequest::Have { hash }.encode());
	let busy = (0..200)
		.filter(|i| have(attacker, hashes[i % 8]) == Ok(BlobResponse::Busy))
		.count();
	// 200 questions: 800 MiB of reads if each were answered by a read. Within a second (two,
	// should the loop cross one), one blob past the bound at most.
	let read_mib = read.load(Ordering::SeqCst) >> 20;
	assert!(read_mib <= 2 * (PEER_READ_BYTES_PER_SECOND >> 20) + 4, "{read_mib} MiB read");
	assert!(busy > 0, "the attacker is told to wait");
	assert_eq!(have(other, hashes[1]), Ok(BlobResponse::Have { size: 4 << 20 }));
}

#[test]
fn the_protocol_is_named_by_genesis_and_fork() {
	assert_eq!(protocol_name(&[0xab, 0x01], None).to_string(), "/ab01/mosaic/blob/1");
	assert_eq!(protocol_name(&[0xab], Some("f")).to_string(), "/ab/f/mosaic/blob/1");
}

fn fs_entries(dir: &std::path::Path) -> usize {
	std::fs::read_dir(dir).unwrap().count()
}
