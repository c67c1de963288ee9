//! The node's fetch service: what off-chain workers reach through the `mosaic_fetch` host
//! function. It downloads remote blobs on the node's own tasks, so that a server that hangs
//! or trickles holds a download, never an off-chain worker: the worker asks, and asks again
//! in a later block, as it polls for runs.
//!
//! Every download is bounded: at most [`FetchLimits::concurrent`] at once and
//! [`FetchLimits::tracked`] waiting or unread; [`FetchLimits::timeout_for`] the blob's size
//! from request to last byte; never more bytes than the claimed size (the body is cut off there). Connected nodes
//! are asked first ([`PeerBlobs`]): a blob another node holds needs no server, and the
//! server is spared. The bytes are streamed into the node's blob files ([`FileBlobs`]) as
//! they arrive, hashed on the way, and kept only if they are the claimed size and hash to the
//! claimed hash: a download's memory does not grow with the blob. The files are bounded and
//! evicted by [`FileBlobs`]; blobs the chain indexed stay in the off-chain database.

#[cfg(test)]
mod tests;

use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use codec::Decode;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use mosaic_executor::content_hash;
use mosaic_fetch_host::FetchBackend;
use mosaic_primitives::blob::{offchain_key, BlobHash, FetchError, FetchRequest, FETCH_TIMEOUT_MS};
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};
use tokio::sync::Semaphore;

use crate::{
	blob_sharing::PeerBlobs,
	blob_store::FileBlobs,
	executor_service::{hex, lock},
};

/// Off-chain database key (under the `PERSISTENT` prefix) of the list of blobs nodes before
/// session 17 fetched into the database, each under [`fetched_key`]: SCALE
/// `Vec<(BlobHash, u64)>`. Moved into the blob files when the service starts.
pub const FETCHED_LIST_KEY: &[u8] = b"mosaic/fetched-list";

/// Where nodes before session 17 kept the fetched remote blob `hash` in the off-chain
/// database (`PERSISTENT` prefix).
pub fn fetched_key(hash: &BlobHash) -> Vec<u8> {
	[&b"mosaic/fetched/"[..], hash].concat()
}

/// The status code [`FetchError::Http`] reports when there was no usable answer.
const NO_ANSWER: u16 = 0;
/// How long a failed download's error waits to be read before it is forgotten.
const FAILURE_KEPT_FOR: Duration = Duration::from_secs(120);

/// What the fetch service allows itself.
#[derive(Clone, Copy, Debug)]
pub struct FetchLimits {
	/// Downloads in progress at once.
	pub concurrent: usize,
	/// Downloads waiting or in progress, and failures not yet read, at most; more are
	/// answered [`FetchError::Busy`].
	pub tracked: usize,
	/// From request to last byte, for a blob of no size; see [`FetchLimits::min_rate`].
	pub timeout: Duration,
	/// Bytes a second a download is allowed at least: a blob of `n` bytes has
	/// `timeout + n / min_rate`, so that a large model has time to come.
	pub min_rate: u64,
}

impl FetchLimits {
	/// The time a download of `size` bytes is allowed, request to last byte.
	pub fn timeout_for(&self, size: u64) -> Duration {
		self.timeout.saturating_add(Duration::from_secs(size / self.min_rate.max(1)))
	}
}

impl Default for FetchLimits {
	fn default() -> Self {
		FetchLimits {
			concurrent: 4,
			tracked: 64,
			timeout: Duration::from_millis(FETCH_TIMEOUT_MS),
			min_rate: 4 << 20,
		}
	}
}

enum Download {
	Running,
	Failed(FetchError, Instant),
}

type Https = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Downloads remote blobs into the node's blob files (see the module documentation). A
/// handle: clones share one service.
pub struct FetchService<S>(Arc<Shared<S>>);

impl<S> Clone for FetchService<S> {
	fn clone(&self) -> Self {
		FetchService(self.0.clone())
	}
}

struct Shared<S> {
	/// Where the chain's indexed blobs are.
	db: Mutex<S>,
	files: Arc<FileBlobs>,
	/// Other nodes, asked before the blob's URL.
	peers: Option<Arc<PeerBlobs>>,
	downloads: Mutex<HashMap<BlobHash, Download>>,
	/// Indexed blobs whose bytes were checked against their hash since the node started.
	checked: Mutex<HashSet<BlobHash>>,
	permits: Arc<Semaphore>,
	client: Https,
	runtime: tokio::runtime::Handle,
	limits: FetchLimits,
}

impl<S: OffchainStorage + 'static> FetchService<S> {
	/// A service that finds indexed blobs in `db`, keeps the blobs it downloads (on
	/// `runtime`, from `peers` if they hold them, else from their URLs) in `files`, and moves
	/// there what older nodes fetched into `db`.
	pub fn new(
		mut db: S,
		files: Arc<FileBlobs>,
		peers: Option<Arc<PeerBlobs>>,
		runtime: tokio::runtime::Handle,
		limits: FetchLimits,
	) -> std::io::Result<Self> {
		move_fetched_into_files(&mut db, &files);
		let connector = HttpsConnectorBuilder::new()
			.with_provider_and_native_roots(rustls::crypto::ring::default_provider())?
			.https_or_http()
			.enable_http1()
			.build();
		Ok(FetchService(Arc::new(Shared {
			db: Mutex::new(db),
			files,
			peers,
			downloads: Mutex::new(HashMap::new()),
			checked: Mutex::new(HashSet::new()),
			permits: Arc::new(Semaphore::new(limits.concurrent)),
			client: Client::builder(TokioExecutor::new()).build(connector),
			runtime,
			limits,
		})))
	}
}

impl<S: OffchainStorage + 'static> Shared<S> {
	/// Whether the node holds the bytes of `hash`: in a file, or indexed (checked once).
	fn holds(&self, hash: &BlobHash) -> bool {
		if self.files.holds(hash) || lock(&self.checked).contains(hash) {
			return true;
		}
		let found = lock(&self.db)
			.get(STORAGE_PREFIX, &offchain_key(hash))
			.is_some_and(|bytes| content_hash(&bytes) == *hash);
		if found {
			lock(&self.checked).insert(*hash);
		}
		found
	}

	/// Gets the blob from a peer, else from its URL; returns where it came from.
	async fn download(&self, request: &FetchRequest) -> Result<&'static str, FetchError> {
		if let Some(peers) = &self.peers {
			match peers.fetch(&self.files, request.hash, request.size).await {
				Ok(()) => return Ok("a peer"),
				Err(FetchError::Busy) => return Err(FetchError::Busy),
				Err(_) => {},
			}
		}
		self.download_from_url(request).await.map(|()| "its URL")
	}

	/// Streams the body into a blob file.
	async fn download_from_url(&self, request: &FetchRequest) -> Result<(), FetchError> {
		let no_answer = |_| FetchError::Http(NO_ANSWER);
		let url = std::str::from_utf8(&request.url).map_err(no_answer)?;
		let uri: hyper::Uri = url.parse().map_err(|_| FetchError::Http(NO_ANSWER))?;
		// First: a claim larger than this node keeps is not even asked for.
		let mut partial = self.files.begin(request.hash, request.size)?;
		let response = self.client.get(uri).await.map_err(|_| FetchError::Http(NO_ANSWER))?;
		if response.status() != hyper::StatusCode::OK {
			return Err(FetchError::Http(response.status().as_u16()));
		}
		let mut body = response.into_body();
		while let Some(frame) = body.frame().await {
			let frame = frame.map_err(|_| FetchError::Http(NO_ANSWER))?;
			let Ok(data) = frame.into_data() else { continue };
			partial.write(&data)?;
		}
		partial.finish()
	}

	/// Waits for a permit, downloads within the time limit, keeps the bytes or the error.
	async fn fetch_now(self: Arc<Self>, request: FetchRequest) {
		let hash = request.hash;
		let outcome = match self.permits.clone().acquire_owned().await {
			Ok(_permit) => {
				let started = Instant::now();
				let outcome = tokio::time::timeout(
					self.limits.timeout_for(request.size),
					self.download(&request),
				)
				.await
				.unwrap_or(Err(FetchError::Http(NO_ANSWER)));
				log::info!(
					target: "mosaic-fetch",
					"blob 0x{}: {} after {:.1} s",
					hex(&hash[..4]),
					match &outcome {
						Ok(from) => format!("{} bytes fetched from {from}", request.size),
						Err(e) => format!("not fetched ({e:?})"),
					},
					started.elapsed().as_secs_f64(),
				);
				outcome
			},
			Err(_) => Err(FetchError::Unavailable),
		};
		let mut downloads = lock(&self.downloads);
		match outcome {
			Ok(_) => {
				downloads.remove(&hash);
			},
			Err(e) => {
				downloads.insert(hash, Download::Failed(e, Instant::now()));
			},
		}
	}
}

impl<S: OffchainStorage + 'static> FetchBackend for FetchService<S> {
	fn fetch(&self, request: FetchRequest) -> Result<(), FetchError> {
		let service = &self.0;
		let hash = request.hash;
		let mut downloads = lock(&service.downloads);
		match downloads.get(&hash) {
			Some(Download::Running) => return Err(FetchError::Pending),
			Some(Download::Failed(e, _)) => {
				let e = *e;
				downloads.remove(&hash);
				return Err(e);
			},
			None => {},
		}
		if service.holds(&hash) {
			drop(downloads);
			service.files.touch(&hash);
			return Ok(());
		}
		downloads.retain(
			|_, d| !matches!(d, Download::Failed(_, at) if at.elapsed() > FAILURE_KEPT_FOR),
		);
		if downloads.len() >= service.limits.tracked {
			return Err(FetchError::Busy);
		}
		downloads.insert(hash, Download::Running);
		service.runtime.spawn(service.clone().fetch_now(request));
		Err(FetchError::Pending)
	}
}

#[cfg(test)]
impl<S: OffchainStorage> FetchService<S> {
	/// What the service's database holds under `key` (`PERSISTENT` prefix).
	fn stored(&self, key: &[u8]) -> Option<Vec<u8>> {
		lock(&self.0.db).get(STORAGE_PREFIX, key)
	}

	/// The fetched blobs, least recently used first.
	fn kept(&self) -> Vec<(BlobHash, u64)> {
		self.0.files.held()
	}
}

/// Moves the blobs older nodes fetched into the off-chain database (under [`fetched_key`],
/// listed under [`FETCHED_LIST_KEY`]) into `files`, checked, and removes them from `db`.
fn move_fetched_into_files(db: &mut impl OffchainStorage, files: &Arc<FileBlobs>) {
	let Some(list) = db.get(STORAGE_PREFIX, FETCHED_LIST_KEY) else { return };
	let list: Vec<(BlobHash, u64)> = Decode::decode(&mut &list[..]).unwrap_or_default();
	let mut moved = 0;
	for (hash, _) in list {
		let key = fetched_key(&hash);
		if let Some(bytes) = db.get(STORAGE_PREFIX, &key) {
			let kept = files.begin(hash, bytes.len() as u64).and_then(|mut partial| {
				partial.write(&bytes)?;
				partial.finish()
			});
			moved += usize::from(kept.is_ok());
			db.remove(STORAGE_PREFIX, &key);
		}
	}
	db.remove(STORAGE_PREFIX, FETCHED_LIST_KEY);
	log::info!(target: "mosaic-fetch", "{moved} fetched blob(s) moved from the off-chain database into files");
}
