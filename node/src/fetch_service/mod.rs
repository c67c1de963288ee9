//! The node's fetch service: what off-chain workers reach through the `mosaic_fetch` host
//! function. It downloads remote blobs on the node's own tasks, so that a server that hangs
//! or trickles holds a download, never an off-chain worker: the worker asks, and asks again
//! in a later block, as it polls for runs.
//!
//! Every download is bounded: at most [`FetchLimits::concurrent`] at once and
//! [`FetchLimits::tracked`] waiting or unread; [`FetchLimits::timeout`] from request to last
//! byte; never more bytes than the claimed size (the body is cut off there). Bytes are kept only
//! if they are the claimed size and hash to the claimed hash, under
//! [`fetched_key`]`(hash)` in the off-chain database, apart from the blobs the chain
//! indexed. The fetched blobs are listed under [`FETCHED_LIST_KEY`], least recently used first,
//! and kept within [`FetchLimits::kept_bytes`] and [`FetchLimits::kept_blobs`]: storing one
//! evicts from the front.

#[cfg(test)]
mod tests;

use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex, MutexGuard},
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use mosaic_executor::content_hash;
use mosaic_fetch_host::FetchBackend;
use mosaic_primitives::blob::{
	fetched_key, offchain_key, BlobHash, FetchError, FetchRequest, FETCH_TIMEOUT_MS,
};
use sp_core::offchain::{OffchainStorage, STORAGE_PREFIX};
use tokio::sync::Semaphore;

use crate::executor_service::hex;

/// Off-chain database key (under the `PERSISTENT` prefix) of the node's list of fetched blobs:
/// SCALE `Vec<(BlobHash, u64)>`, each blob's hash and size, least recently used first.
pub const FETCHED_LIST_KEY: &[u8] = b"mosaic/fetched-list";

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
	/// From request to last byte.
	pub timeout: Duration,
	/// Bytes of fetched blobs kept in the off-chain database.
	pub kept_bytes: u64,
	/// Fetched blobs kept, whatever their sizes.
	pub kept_blobs: usize,
}

impl Default for FetchLimits {
	fn default() -> Self {
		FetchLimits {
			concurrent: 4,
			tracked: 64,
			timeout: Duration::from_millis(FETCH_TIMEOUT_MS),
			kept_bytes: 4 << 30,
			kept_blobs: 4096,
		}
	}
}

enum Download {
	Running,
	Failed(FetchError, Instant),
}

type Https = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Downloads remote blobs into the off-chain database (see the module documentation). A
/// handle: clones share one service.
pub struct FetchService<S>(Arc<Shared<S>>);

impl<S> Clone for FetchService<S> {
	fn clone(&self) -> Self {
		FetchService(self.0.clone())
	}
}

struct Shared<S> {
	db: Mutex<S>,
	downloads: Mutex<HashMap<BlobHash, Download>>,
	/// Blobs whose bytes were checked against their hash since the node started.
	checked: Mutex<HashSet<BlobHash>>,
	permits: Arc<Semaphore>,
	client: Https,
	runtime: tokio::runtime::Handle,
	limits: FetchLimits,
}

impl<S: OffchainStorage + 'static> FetchService<S> {
	/// A service that keeps blobs in `db` and downloads on `runtime`.
	pub fn new(
		db: S,
		runtime: tokio::runtime::Handle,
		limits: FetchLimits,
	) -> std::io::Result<Self> {
		let connector = HttpsConnectorBuilder::new()
			.with_provider_and_native_roots(rustls::crypto::ring::default_provider())?
			.https_or_http()
			.enable_http1()
			.build();
		Ok(FetchService(Arc::new(Shared {
			db: Mutex::new(db),
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
	/// Whether the node holds the bytes of `hash` (indexed or fetched), checked once.
	fn holds(&self, hash: &BlobHash) -> bool {
		if lock(&self.checked).contains(hash) {
			return true;
		}
		let db = lock(&self.db);
		let found = [offchain_key(hash), fetched_key(hash)].iter().any(|key| {
			db.get(STORAGE_PREFIX, key).is_some_and(|bytes| content_hash(&bytes) == *hash)
		});
		drop(db);
		if found {
			lock(&self.checked).insert(*hash);
		}
		found
	}

	/// Keeps checked `bytes` of `hash`, evicting the least recently used fetched blobs first.
	fn keep(&self, hash: BlobHash, bytes: &[u8]) {
		let mut db = lock(&self.db);
		let mut list = fetched_list(&*db);
		list.retain(|(h, _)| *h != hash);
		let mut total: u64 = list.iter().map(|(_, n)| n).sum();
		let len = bytes.len() as u64;
		let mut checked = lock(&self.checked);
		while !list.is_empty()
			&& (total.saturating_add(len) > self.limits.kept_bytes
				|| list.len() >= self.limits.kept_blobs)
		{
			let (old, n) = list.remove(0);
			total = total.saturating_sub(n);
			db.remove(STORAGE_PREFIX, &fetched_key(&old));
			checked.remove(&old);
		}
		list.push((hash, len));
		db.set(STORAGE_PREFIX, &fetched_key(&hash), bytes);
		db.set(STORAGE_PREFIX, FETCHED_LIST_KEY, &list.encode());
		checked.insert(hash);
	}

	/// Marks a fetched blob as just used (nothing for an indexed one, which is not listed).
	fn touch(&self, hash: &BlobHash) {
		let mut db = lock(&self.db);
		let mut list = fetched_list(&*db);
		if let Some(at) = list.iter().position(|(h, _)| h == hash) {
			if at + 1 < list.len() {
				let entry = list.remove(at);
				list.push(entry);
				db.set(STORAGE_PREFIX, FETCHED_LIST_KEY, &list.encode());
			}
		}
	}

	async fn download(&self, request: &FetchRequest) -> Result<Vec<u8>, FetchError> {
		let no_answer = |_| FetchError::Http(NO_ANSWER);
		let url = std::str::from_utf8(&request.url).map_err(no_answer)?;
		let uri: hyper::Uri = url.parse().map_err(|_| FetchError::Http(NO_ANSWER))?;
		let response = self.client.get(uri).await.map_err(|_| FetchError::Http(NO_ANSWER))?;
		if response.status() != hyper::StatusCode::OK {
			return Err(FetchError::Http(response.status().as_u16()));
		}
		let mut body = response.into_body();
		let mut bytes = Vec::new();
		while let Some(frame) = body.frame().await {
			let frame = frame.map_err(|_| FetchError::Http(NO_ANSWER))?;
			let Ok(data) = frame.into_data() else { continue };
			if bytes.len() as u64 + data.len() as u64 > request.size {
				return Err(FetchError::TooLarge);
			}
			bytes.extend_from_slice(&data);
		}
		if bytes.len() as u64 != request.size {
			return Err(FetchError::WrongSize);
		}
		if content_hash(&bytes) != request.hash {
			return Err(FetchError::HashMismatch);
		}
		Ok(bytes)
	}

	/// Waits for a permit, downloads within the time limit, keeps the bytes or the error.
	async fn fetch_now(self: Arc<Self>, request: FetchRequest) {
		let hash = request.hash;
		let outcome = match self.permits.clone().acquire_owned().await {
			Ok(_permit) => {
				let started = Instant::now();
				let outcome = tokio::time::timeout(self.limits.timeout, self.download(&request))
					.await
					.unwrap_or(Err(FetchError::Http(NO_ANSWER)));
				log::info!(
					target: "mosaic-fetch",
					"blob 0x{}: {} after {:.1} s",
					hex(&hash[..4]),
					match &outcome {
						Ok(bytes) => format!("fetched {} bytes", bytes.len()),
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
			Ok(bytes) => {
				self.keep(hash, &bytes);
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
			service.touch(&hash);
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
		fetched_list(&*lock(&self.0.db))
	}
}

fn fetched_list(db: &impl OffchainStorage) -> Vec<(BlobHash, u64)> {
	db.get(STORAGE_PREFIX, FETCHED_LIST_KEY)
		.and_then(|bytes| Decode::decode(&mut &bytes[..]).ok())
		.unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
	m.lock().unwrap_or_else(|p| p.into_inner())
}
