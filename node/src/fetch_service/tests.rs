//! The fetch service against a local HTTP server that misbehaves in each way a remote blob's
//! server can: fails, hangs, sends wrong, too many or too few bytes.

use std::{
	fs,
	io::{BufRead, BufReader, Write},
	net::{TcpListener, TcpStream},
	sync::atomic::{AtomicUsize, Ordering},
};

use mosaic_fetch_host::FetchBackend;
use sp_core::offchain::storage::InMemOffchainStorage;

use super::*;
use crate::{
	blob_sharing::PeerBlobs,
	blob_store::{tests::TempDir, BlobFileLimits},
};

/// How the test server answers a path.
#[derive(Clone)]
enum Answer {
	Bytes(Vec<u8>),
	Status(u16),
	/// Reads the request and never answers.
	Hang,
	/// A 200 whose body never ends.
	Endless,
}

/// A local HTTP/1.1 server: each path's answer, and how many requests it got.
struct Server {
	port: u16,
	requests: Arc<AtomicUsize>,
}

impl Server {
	fn start(routes: Vec<(&'static str, Answer)>) -> Server {
		let listener = TcpListener::bind("127.0.0.1:0").unwrap();
		let port = listener.local_addr().unwrap().port();
		let requests = Arc::new(AtomicUsize::new(0));
		let counted = requests.clone();
		std::thread::spawn(move || {
			for stream in listener.incoming().flatten() {
				counted.fetch_add(1, Ordering::SeqCst);
				let routes = routes.clone();
				std::thread::spawn(move || serve(stream, &routes));
			}
		});
		Server { port, requests }
	}

	fn request(&self, path: &str, claimed: &[u8]) -> FetchRequest {
		FetchRequest {
			hash: content_hash(claimed),
			url: format!("http://127.0.0.1:{}{path}", self.port).into_bytes(),
			size: claimed.len() as u64,
		}
	}

	fn requests(&self) -> usize {
		self.requests.load(Ordering::SeqCst)
	}
}

fn serve(mut stream: TcpStream, routes: &[(&str, Answer)]) {
	let mut line = String::new();
	let mut reader = BufReader::new(stream.try_clone().unwrap());
	if reader.read_line(&mut line).is_err() {
		return;
	}
	let path = line.split(' ').nth(1).unwrap_or("").to_string();
	loop {
		let mut header = String::new();
		if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
			break;
		}
	}
	let answer = routes.iter().find(|(p, _)| *p == path).map(|(_, a)| a.clone());
	let _ = match answer.unwrap_or(Answer::Status(404)) {
		Answer::Bytes(body) => stream
			.write_all(
				format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()).as_bytes(),
			)
			.and_then(|_| stream.write_all(&body)),
		Answer::Status(code) => stream
			.write_all(format!("HTTP/1.1 {code} Status\r\ncontent-length: 0\r\n\r\n").as_bytes()),
		Answer::Hang => {
			std::thread::sleep(Duration::from_secs(60));
			Ok(())
		},
		Answer::Endless => stream
			.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")
			.and_then(|_| loop {
				stream.write_all(&[7; 4096])?;
			}),
	};
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
	(0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// A service, its runtime and its blob files' directory (kept alive with it), with an
/// indexed blob in its database.
struct Running {
	service: FetchService<InMemOffchainStorage>,
	dir: TempDir,
	_runtime: tokio::runtime::Runtime,
}

impl std::ops::Deref for Running {
	type Target = FetchService<InMemOffchainStorage>;
	fn deref(&self) -> &Self::Target {
		&self.service
	}
}

fn service(limits: FetchLimits, indexed: &[u8]) -> Running {
	let mut db = InMemOffchainStorage::default();
	db.set(STORAGE_PREFIX, &offchain_key(&content_hash(indexed)), indexed);
	service_with(limits, BlobFileLimits::default(), db, None)
}

fn service_with(
	limits: FetchLimits,
	file_limits: BlobFileLimits,
	db: InMemOffchainStorage,
	peers: Option<PeerBlobs>,
) -> Running {
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.worker_threads(1)
		.enable_all()
		.build()
		.unwrap();
	let dir = TempDir::new("fetch");
	let files = FileBlobs::open(&dir.0, file_limits).unwrap();
	let peers = peers.map(Arc::new);
	let service = FetchService::new(db, files, peers, runtime.handle().clone(), limits).unwrap();
	Running { service, dir, _runtime: runtime }
}

fn limits() -> FetchLimits {
	FetchLimits { timeout: Duration::from_secs(2), ..FetchLimits::default() }
}

/// Asks as an off-chain worker does, a block after another, until the answer is not
/// `Pending`; each ask returns at once.
fn ask_until_done(service: &Running, request: &FetchRequest) -> Result<(), FetchError> {
	let started = Instant::now();
	loop {
		let asked = Instant::now();
		let answer = service.fetch(request.clone());
		assert!(asked.elapsed() < Duration::from_millis(200), "an ask never waits for a download");
		if answer != Err(FetchError::Pending) {
			return answer;
		}
		assert!(started.elapsed() < Duration::from_secs(20), "the download never ended");
		std::thread::sleep(Duration::from_millis(20));
	}
}

#[test]
fn a_remote_blob_is_downloaded_checked_and_kept_once() {
	let blob = bytes(5000, 1);
	let server = Server::start(vec![("/good", Answer::Bytes(blob.clone()))]);
	let service = service(limits(), b"indexed");
	let request = server.request("/good", &blob);
	assert_eq!(service.fetch(request.clone()), Err(FetchError::Pending), "started, not waited for");
	assert_eq!(ask_until_done(&service, &request), Ok(()));
	assert_eq!(fs::read(service.dir.0.join(hex(&request.hash))).unwrap(), blob);
	assert_eq!(service.kept(), vec![(request.hash, 5000)]);
	assert_eq!(service.fetch(request.clone()), Ok(()), "kept: no second download");
	assert_eq!(server.requests(), 1);
	// What the executor and `mosaic_blob` read.
	use crate::executor_service::{BlobSource, NodeBlobs};
	let blobs = NodeBlobs { files: service.0.files.clone(), db: lock(&service.0.db).clone() };
	assert_eq!(blobs.blob(&request.hash), Some(blob));
	// A blob the chain indexed is there already.
	let indexed = server.request("/nowhere", b"indexed");
	assert_eq!(service.fetch(indexed), Ok(()));
	assert_eq!(server.requests(), 1);
}

#[test]
fn a_failed_download_is_reported_once_then_tried_again() {
	let blob = bytes(100, 2);
	let server =
		Server::start(vec![("/gone", Answer::Status(404)), ("/down", Answer::Status(503))]);
	let service = service(limits(), b"");
	for (path, code) in [("/gone", 404), ("/down", 503)] {
		let request = server.request(path, &blob);
		assert_eq!(ask_until_done(&service, &request), Err(FetchError::Http(code)));
		assert_eq!(service.fetch(request.clone()), Err(FetchError::Pending), "tried again");
		assert_eq!(ask_until_done(&service, &request), Err(FetchError::Http(code)));
	}
	assert_eq!(server.requests(), 4);
	assert!(service.kept().is_empty());
}

#[test]
fn bytes_that_are_not_the_claimed_ones_are_refused_and_never_kept() {
	let claimed = bytes(1000, 3);
	let server = Server::start(vec![
		("/tampered", Answer::Bytes(bytes(1000, 4))),
		("/long", Answer::Bytes(bytes(1001, 3))),
		("/short", Answer::Bytes(bytes(999, 3))),
		("/endless", Answer::Endless),
	]);
	let service = service(limits(), b"");
	for (path, error) in [
		("/tampered", FetchError::HashMismatch),
		("/long", FetchError::TooLarge),
		("/short", FetchError::WrongSize),
		// Cut off at the claimed size, long before the time limit.
		("/endless", FetchError::TooLarge),
	] {
		let started = Instant::now();
		assert_eq!(ask_until_done(&service, &server.request(path, &claimed)), Err(error), "{path}");
		assert!(started.elapsed() < Duration::from_secs(1), "{path}: not cut off");
	}
	assert!(service.kept().is_empty());
	assert_eq!(fs::read_dir(service.dir.0.join("partial")).unwrap().count(), 0, "no file left");
}

/// A server that never answers holds one download until the time limit, nothing else: other
/// downloads go on meanwhile, and the worker is told it failed.
#[test]
fn a_server_that_hangs_holds_only_its_own_download_and_only_until_the_time_limit() {
	let (hung, good) = (bytes(100, 5), bytes(100, 6));
	let server =
		Server::start(vec![("/hang", Answer::Hang), ("/good", Answer::Bytes(good.clone()))]);
	let service = service(FetchLimits { timeout: Duration::from_secs(1), ..limits() }, b"");
	let hanging = server.request("/hang", &hung);
	let started = Instant::now();
	assert_eq!(service.fetch(hanging.clone()), Err(FetchError::Pending));
	assert_eq!(ask_until_done(&service, &server.request("/good", &good)), Ok(()));
	assert!(started.elapsed() < Duration::from_millis(900), "the good one waited for the hang");
	assert_eq!(ask_until_done(&service, &hanging), Err(FetchError::Http(0)));
	assert!(started.elapsed() < Duration::from_millis(1500), "held past its time limit");
}

/// Downloads at once, and downloads tracked, are bounded: a node asked for more than it tracks
/// answers `Busy`; more than it runs at once wait for a permit.
#[test]
fn downloads_are_bounded_in_number() {
	let blobs: Vec<_> = (0..3).map(|seed| bytes(100, 10 + seed)).collect();
	let server = Server::start(vec![
		("/0", Answer::Hang),
		("/1", Answer::Bytes(blobs[1].clone())),
		("/2", Answer::Bytes(blobs[2].clone())),
	]);
	let bounded =
		FetchLimits { concurrent: 1, tracked: 2, timeout: Duration::from_secs(1), ..limits() };
	let service = service(bounded, b"");
	let request = |i: usize| server.request(&format!("/{i}"), &blobs[i]);
	assert_eq!(service.fetch(request(0)), Err(FetchError::Pending));
	assert_eq!(service.fetch(request(1)), Err(FetchError::Pending));
	assert_eq!(service.fetch(request(2)), Err(FetchError::Busy));
	// One at a time: the second waits behind the hang until its time limit.
	std::thread::sleep(Duration::from_millis(300));
	assert_eq!(server.requests(), 1, "the second waits for a permit");
	assert_eq!(ask_until_done(&service, &request(1)), Ok(()));
	assert_eq!(ask_until_done(&service, &request(0)), Err(FetchError::Http(0)));
	assert_eq!(ask_until_done(&service, &request(2)), Ok(()));
}

/// Fetched blobs are kept within the blob files' bytes: storing one that would pass them
/// evicts the least recently used first; using a kept blob makes it the most recent. Indexed
/// blobs stay.
#[test]
fn kept_blobs_are_bounded_by_bytes_and_the_least_recently_used_go_first() {
	let blobs: Vec<_> = (0..3).map(|seed| bytes(50, 20 + seed)).collect();
	let server = Server::start(
		(0..3)
			.map(|i| (["/a", "/b", "/c"][i], Answer::Bytes(blobs[i].clone())))
			.collect(),
	);
	let mut db = InMemOffchainStorage::default();
	let indexed = b"indexed, never evicted";
	db.set(STORAGE_PREFIX, &offchain_key(&content_hash(indexed)), indexed);
	let service = service_with(limits(), BlobFileLimits { bytes: 120, blobs: 10 }, db, None);
	let [a, b, c] = [0, 1, 2].map(|i| server.request(["/a", "/b", "/c"][i], &blobs[i]));
	assert_eq!(ask_until_done(&service, &a), Ok(()));
	assert_eq!(ask_until_done(&service, &b), Ok(()));
	assert_eq!(service.fetch(a.clone()), Ok(()), "used again: now b is the least recent");
	assert_eq!(ask_until_done(&service, &c), Ok(()));
	assert_eq!(service.kept(), vec![(a.hash, 50), (c.hash, 50)], "150 bytes would pass 120");
	assert!(!service.dir.0.join(hex(&b.hash)).exists(), "its bytes are gone");
	assert!(service.stored(&offchain_key(&content_hash(indexed))).is_some());
	assert_eq!(service.fetch(b.clone()), Err(FetchError::Pending), "fetched again when asked");
}

/// A body much larger than any piece is streamed to disk as it arrives: the file is the blob,
/// and a server that stops sending half way leaves nothing.
#[test]
fn a_large_body_is_streamed_into_its_file() {
	let blob = bytes(24 << 20, 7);
	let half = blob[..12 << 20].to_vec();
	let server = Server::start(vec![
		("/large", Answer::Bytes(blob.clone())),
		("/half", Answer::Bytes(half)),
	]);
	let service = service(FetchLimits { timeout: Duration::from_secs(20), ..limits() }, b"");
	let request = server.request("/large", &blob);
	assert_eq!(ask_until_done(&service, &request), Ok(()));
	assert_eq!(service.kept(), vec![(request.hash, 24 << 20)]);
	assert!(fs::read(service.dir.0.join(hex(&request.hash))).unwrap() == blob);
	let cut = server.request("/half", &bytes(24 << 20, 8));
	assert_eq!(ask_until_done(&service, &cut), Err(FetchError::WrongSize));
	assert_eq!(fs::read_dir(service.dir.0.join("partial")).unwrap().count(), 0);
}

/// A claim larger than all this node keeps is not downloaded: `Busy`, which the runtime takes
/// as this node's limit (retry, then abstain), never as the blob's fault.
#[test]
fn a_claim_larger_than_the_node_keeps_is_busy() {
	let server = Server::start(vec![("/endless", Answer::Endless)]);
	let db = InMemOffchainStorage::default();
	let service = service_with(limits(), BlobFileLimits { bytes: 1 << 20, blobs: 10 }, db, None);
	let request = FetchRequest { size: 4 << 30, ..server.request("/endless", b"claimed at 4 GiB") };
	assert_eq!(ask_until_done(&service, &request), Err(FetchError::Busy));
	assert!(service.kept().is_empty());
	assert_eq!(server.requests(), 0, "not even asked for");
}

/// What nodes before session 17 fetched into the off-chain database moves into files when
/// the service starts; bytes that are not the listed blob's are dropped.
#[test]
fn blobs_fetched_into_the_database_move_into_files() {
	let (good, bad) = (bytes(300, 50), bytes(300, 51));
	let bad_hash = content_hash(b"what the list claims");
	let mut db = InMemOffchainStorage::default();
	db.set(STORAGE_PREFIX, &fetched_key(&content_hash(&good)), &good);
	db.set(STORAGE_PREFIX, &fetched_key(&bad_hash), &bad);
	let list = vec![(content_hash(&good), 300u64), (bad_hash, 300)];
	db.set(STORAGE_PREFIX, FETCHED_LIST_KEY, &codec::Encode::encode(&list));
	let service = service_with(limits(), BlobFileLimits::default(), db, None);
	assert_eq!(service.kept(), vec![(content_hash(&good), 300)]);
	for key in
		[fetched_key(&content_hash(&good)), fetched_key(&bad_hash), FETCHED_LIST_KEY.to_vec()]
	{
		assert_eq!(service.stored(&key), None);
	}
	let server = Server::start(vec![]);
	assert_eq!(service.fetch(server.request("/none", &good)), Ok(()), "held, not fetched");
	assert_eq!(server.requests(), 0);
}

/// Connected nodes are asked first: a blob a peer holds never reaches its server, and a blob
/// a peer lies about comes from its URL all the same.
#[test]
fn peers_are_asked_before_the_url() {
	use crate::blob_sharing::tests::{serving, FakeNetwork, Peer};
	let (held, lied_about) = (bytes(3000, 60), bytes(3000, 61));
	let server = Server::start(vec![
		("/held", Answer::Bytes(held.clone())),
		("/lied", Answer::Bytes(lied_about.clone())),
	]);
	let liar = Peer::Lying { size: 3000, piece: bytes(3000, 62) };
	let (network, ids) = FakeNetwork::new(vec![serving(&[&held], true), liar]);
	let service = service_with(
		limits(),
		BlobFileLimits::default(),
		InMemOffchainStorage::default(),
		Some(PeerBlobs::new(network.clone())),
	);
	assert_eq!(ask_until_done(&service, &server.request("/held", &held)), Ok(()));
	assert_eq!(server.requests(), 0, "the server was not asked");
	assert_eq!(ask_until_done(&service, &server.request("/lied", &lied_about)), Ok(()));
	assert_eq!(server.requests(), 1);
	assert_eq!(network.reported(), vec![ids[1]]);
	let kept: Vec<_> = service.kept().into_iter().map(|(hash, _)| hash).collect();
	assert_eq!(kept, vec![content_hash(&held), content_hash(&lied_about)]);
}

/// A large model has time to come: a fixed allowance plus its size at the slowest rate
/// accepted, without overflow for any claim.
#[test]
fn a_download_is_allowed_time_for_its_size() {
	let limits = FetchLimits::default();
	assert_eq!(limits.timeout_for(0), Duration::from_millis(FETCH_TIMEOUT_MS));
	let big_mlp = 116_638_361;
	assert_eq!(limits.timeout_for(big_mlp), Duration::from_millis(FETCH_TIMEOUT_MS + 27_000));
	assert!(limits.timeout_for(u64::MAX) > Duration::from_secs(1 << 40));
	let no_rate = FetchLimits { min_rate: 0, ..limits };
	assert_eq!(
		no_rate.timeout_for(1 << 20),
		Duration::from_millis(FETCH_TIMEOUT_MS + (1 << 20) * 1000)
	);
}
