//! The `mosaic_` JSON-RPC methods: what a node knows that is not chain state.
//!
//! - `mosaic_blob(hash, offset?, length?)`: a blob's bytes from this node's off-chain
//!   database, in pieces of at most [`MAX_BLOB_PIECE`] bytes. A blob is read and its hash
//!   checked once, by one call at a time, and then kept in memory (at most
//!   [`VERIFIED_BLOBS_BYTES`], least recently used first out) for the calls for its other
//!   pieces.
//! - `mosaic_workerStatus()`: the worker keys in this node's keystore, the workers they sign
//!   for, and the executor's queue. Unsafe: it tells which node hosts which worker.
//! - `mosaic_previewRun(model, version, input)`: runs a registered model on this node, with
//!   the workers' executor and limits, to preview an output before paying for a job. Unsafe
//!   (refused on public RPC interfaces unless `--rpc-methods unsafe`), one at a time (a run
//!   that outlives its budget keeps the slot until it ends), at most
//!   [`PREVIEWS_PER_CONNECTION`] per connection and [`PREVIEW_WINDOW`], input at most
//!   [`MAX_PREVIEW_INPUT`] bytes, at most [`PREVIEW_BUDGET`] of wall time.
//!
//! Errors are JSON-RPC errors with the codes in [`code`].

use std::{
	collections::{HashMap, VecDeque},
	fmt,
	marker::PhantomData,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Mutex, MutexGuard,
	},
	time::{Duration, Instant},
};

use jsonrpsee::{
	core::async_trait, proc_macros::rpc, types::ErrorObjectOwned, ConnectionId, Extensions,
};
use mosaic_executor::cache::LruCache;
use mosaic_onnx_host::OnnxBackend;
use mosaic_primitives::onnx::{
	InputFormat, InputSource, RunRequest, RunStatus, RunTask, StartError,
};
use mosaic_runtime::{AccountId, Runtime};
use pallet_mosaic_jobs::{JobViewOf, JobsApi, WorkerInfoOf};
use pallet_mosaic_models::{ModelViewOf, ModelsApi, VersionStatus};
use sc_rpc_api::{check_if_safe, UnsafeRpcError};
use serde::{Deserialize, Serialize};
use sp_api::{ApiError, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::{Bytes, H256};
use sp_keystore::KeystorePtr;
use sp_runtime::traits::Block as BlockT;

use crate::executor_service::{BlobSource, ExecutorService, ResultStore, RESULT_PIECE};

/// Largest piece of a blob one `mosaic_blob` call returns.
pub const MAX_BLOB_PIECE: u64 = 4 << 20;
/// Largest input `mosaic_previewRun` accepts.
pub const MAX_PREVIEW_INPUT: usize = 1 << 20;
/// Longest a preview may take, queueing included.
pub const PREVIEW_BUDGET: Duration = Duration::from_secs(30);
/// Previews one connection may start per [`PREVIEW_WINDOW`].
pub const PREVIEWS_PER_CONNECTION: usize = 8;
/// The window [`PREVIEWS_PER_CONNECTION`] counts in.
pub const PREVIEW_WINDOW: Duration = Duration::from_secs(60);
/// Bytes of checked blobs `mosaic_blob` keeps in memory: four blobs of the store's largest.
pub const VERIFIED_BLOBS_BYTES: usize = 64 << 20;

/// The `mosaic_` methods.
#[rpc(client, server)]
pub trait MosaicApi {
	/// A piece of a job's result this node keeps: the canonical encoding of outputs agreed on
	/// by `digest` only (too many values for a reveal), whose blake2-256 hash is `digest`.
	/// `length` bytes (at most [`RESULT_PIECE`], the default) from `offset` (default 0).
	#[method(name = "mosaic_result", blocking)]
	fn result(
		&self,
		digest: H256,
		offset: Option<u64>,
		length: Option<u64>,
	) -> Result<BlobPiece, Error>;

	/// A piece of a blob in this node's off-chain database: `length` bytes (at most
	/// [`MAX_BLOB_PIECE`], the default) from `offset` (default 0).
	// Blocking: the first read of a blob checks its whole hash (up to the store's 16 MiB).
	#[method(name = "mosaic_blob", blocking)]
	fn blob(
		&self,
		hash: H256,
		offset: Option<u64>,
		length: Option<u64>,
	) -> Result<BlobPiece, Error>;

	/// This node's worker keys, the workers they sign for and the executor's queue. Unsafe.
	#[method(name = "mosaic_workerStatus", with_extensions)]
	fn worker_status(&self) -> Result<WorkerStatus, Error>;

	/// Runs `version` of `model` on `input` with the workers' executor. Unsafe.
	#[method(name = "mosaic_previewRun", with_extensions)]
	async fn preview_run(
		&self,
		model: u32,
		version: u32,
		input: PreviewInput,
	) -> Result<Preview, Error>;
}

/// What `mosaic_blob` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobPiece {
	/// The whole blob's size in bytes.
	pub size: u64,
	/// Where the piece starts.
	pub offset: u64,
	/// The piece.
	pub data: Bytes,
}

/// What `mosaic_workerStatus` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
	/// Whether this node runs an executor (off-chain workers on).
	pub executor: bool,
	/// Runs waiting for or in the executor, if it runs.
	pub pending_runs: Option<usize>,
	/// The worker keys in this node's keystore.
	pub keys: Vec<WorkerKey>,
}

/// One worker key in the keystore and the worker it signs for, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerKey {
	/// The key, as an SS58 address.
	pub key: String,
	/// The worker that registered this key, as an SS58 address.
	pub worker: Option<String>,
	/// The worker's status (`Active`, ...).
	pub status: Option<String>,
	/// Its stake, in the smallest unit, as a decimal string.
	pub stake: Option<String>,
	/// Jobs it holds now.
	pub assigned: Option<u32>,
	/// Jobs it may hold at once.
	pub capacity: Option<u32>,
}

/// An input for `mosaic_previewRun`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewInput {
	/// `"Json"`, `"Npy"`, `"TensorProto"` or `"Scale"`; another name is refused with
	/// [`code::BAD_INPUT`], so it is kept as a string.
	pub format: String,
	/// The encoded input.
	pub data: Bytes,
}

impl PreviewInput {
	fn input_format(&self) -> Result<InputFormat, Error> {
		Ok(match self.format.as_str() {
			"Json" => InputFormat::Json,
			"Npy" => InputFormat::Npy,
			"TensorProto" => InputFormat::TensorProto,
			"Scale" => InputFormat::Scale,
			_ => return Err(Error::UnknownInputFormat(self.format.clone())),
		})
	}
}

/// What `mosaic_previewRun` returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
	/// The outputs' canonical digest, as a worker would commit to it.
	pub digest: Bytes,
	/// The quantised outputs; none when they hold more than
	/// [`MAX_VALUES_FROM_HOST`](mosaic_primitives::onnx::MAX_VALUES_FROM_HOST) values, which
	/// a job would settle by digest.
	pub outputs: Vec<PreviewOutput>,
	/// Milliseconds from request to result.
	pub millis: u64,
}

/// One output of a preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewOutput {
	/// The output's name in the model.
	pub name: String,
	/// Dimensions.
	pub shape: Vec<u64>,
	/// Row-major values: floats as round(x * 10^precision).
	pub values: Vec<i64>,
	/// Decimal digits kept: the version's precision.
	pub precision: u8,
}

/// Error codes of the `mosaic_` methods (JSON-RPC server-error range is free for us above
/// 4000, where Substrate's own modules do not go).
pub mod code {
	/// The blob is not in this node's off-chain database.
	pub const BLOB_NOT_FOUND: i32 = 4001;
	/// The requested byte range is outside the blob or result, or too long.
	pub const BAD_RANGE: i32 = 4002;
	/// This node keeps no result with the digest (it did not run the job, or evicted it).
	pub const RESULT_NOT_FOUND: i32 = 4003;
	/// No such model version.
	pub const UNKNOWN_VERSION: i32 = 4010;
	/// The version was marked invalid by the workers' executor.
	pub const INVALID_VERSION: i32 = 4011;
	/// The input is larger than [`super::MAX_PREVIEW_INPUT`] or not in a known format.
	pub const BAD_INPUT: i32 = 4012;
	/// This node runs no executor (off-chain workers disabled).
	pub const NO_EXECUTOR: i32 = 4013;
	/// Another preview is running, the executor queue is full, or the connection started
	/// [`super::PREVIEWS_PER_CONNECTION`] previews within [`super::PREVIEW_WINDOW`].
	pub const BUSY: i32 = 4014;
	/// The run did not finish within [`super::PREVIEW_BUDGET`].
	pub const TIMEOUT: i32 = 4015;
	/// The executor rejected the model or the input; `data` has its code and message.
	pub const EXECUTOR_FAILED: i32 = 4016;
	/// The runtime could not be queried.
	pub const RUNTIME: i32 = 4020;
}

/// Why a `mosaic_` call failed.
#[derive(Debug)]
pub enum Error {
	/// An unsafe method called on an interface that serves only safe ones.
	Unsafe(UnsafeRpcError),
	/// This node keeps no off-chain database, so no blobs.
	NoOffchainDatabase,
	/// The blob is not in this node's off-chain database.
	BlobNotFound(H256),
	/// This node keeps no result with this digest.
	ResultNotFound(H256),
	/// `offset` is past the blob's end, or `length` over [`MAX_BLOB_PIECE`].
	BadRange { offset: u64, size: u64, length: u64 },
	/// No model with this id.
	UnknownModel(u32),
	/// The model has no such version.
	UnknownVersion { model: u32, version: u32 },
	/// The workers' executor marked the version invalid.
	InvalidVersion { version: u32, executor_code: u16 },
	/// The input's format is none of the known ones.
	UnknownInputFormat(String),
	/// The input is over [`MAX_PREVIEW_INPUT`] bytes.
	InputTooLarge(usize),
	/// This node runs no executor.
	NoExecutor,
	/// Another preview holds the slot.
	PreviewRunning,
	/// This connection started [`PREVIEWS_PER_CONNECTION`] previews within
	/// [`PREVIEW_WINDOW`].
	TooManyPreviews,
	/// The executor's queue refused the run.
	ExecutorRefused(StartError),
	/// No result within [`PREVIEW_BUDGET`].
	Timeout,
	/// The executor failed the run.
	ExecutorFailed {
		/// The executor's message.
		message: String,
		/// Its code, the error's `data`.
		failure: ExecutorFailure,
	},
	/// The executor no longer knows the run.
	RunLost,
	/// A runtime API call failed.
	Runtime(ApiError),
}

/// The `data` of an [`code::EXECUTOR_FAILED`] error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorFailure {
	/// The executor's stable error code (see `docs/executor.md`).
	pub code: u16,
	/// Whether any input would fail the same way.
	pub model_fault: bool,
}

impl Error {
	/// The JSON-RPC error code.
	pub fn code(&self) -> i32 {
		match self {
			Error::Unsafe(_) => ErrorObjectOwned::from(UnsafeRpcError).code(),
			Error::NoOffchainDatabase | Error::BlobNotFound(_) => code::BLOB_NOT_FOUND,
			Error::ResultNotFound(_) => code::RESULT_NOT_FOUND,
			Error::BadRange { .. } => code::BAD_RANGE,
			Error::UnknownModel(_) | Error::UnknownVersion { .. } => code::UNKNOWN_VERSION,
			Error::InvalidVersion { .. } => code::INVALID_VERSION,
			Error::UnknownInputFormat(_) | Error::InputTooLarge(_) => code::BAD_INPUT,
			Error::NoExecutor => code::NO_EXECUTOR,
			Error::PreviewRunning | Error::TooManyPreviews | Error::ExecutorRefused(_) => {
				code::BUSY
			},
			Error::Timeout => code::TIMEOUT,
			Error::ExecutorFailed { .. } | Error::RunLost => code::EXECUTOR_FAILED,
			Error::Runtime(_) => code::RUNTIME,
		}
	}
}

impl fmt::Display for Error {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Error::Unsafe(e) => write!(f, "{e}"),
			Error::NoOffchainDatabase => write!(f, "this node keeps no off-chain database"),
			Error::BlobNotFound(hash) => {
				write!(f, "blob {hash:?} is not in this node's off-chain database")
			},
			Error::ResultNotFound(digest) => write!(f, "this node keeps no result {digest:?}"),
			Error::BadRange { offset, size, length } => write!(
				f,
				"offset {offset} of a {size}-byte blob, or length {length} over {MAX_BLOB_PIECE}"
			),
			Error::UnknownModel(model) => write!(f, "no model {model}"),
			Error::UnknownVersion { model, version } => {
				write!(f, "model {model} has no version {version}")
			},
			Error::InvalidVersion { version, executor_code } => {
				write!(f, "version {version} was marked invalid (executor code {executor_code})")
			},
			Error::UnknownInputFormat(format) => {
				write!(f, "unknown input format {format:?}: Json, Npy, TensorProto or Scale")
			},
			Error::InputTooLarge(bytes) => {
				write!(f, "input of {bytes} bytes, over {MAX_PREVIEW_INPUT}")
			},
			Error::NoExecutor => {
				write!(f, "this node runs no executor (off-chain workers are off)")
			},
			Error::PreviewRunning => write!(f, "another preview is running on this node"),
			Error::TooManyPreviews => write!(
				f,
				"this connection started {PREVIEWS_PER_CONNECTION} previews in the last {} s",
				PREVIEW_WINDOW.as_secs()
			),
			Error::ExecutorRefused(e) => write!(f, "the executor refused the run: {e:?}"),
			Error::Timeout => write!(f, "no result within {} s", PREVIEW_BUDGET.as_secs()),
			Error::ExecutorFailed { message, .. } => write!(f, "{message}"),
			Error::RunLost => write!(f, "the executor lost the run"),
			Error::Runtime(e) => write!(f, "{e}"),
		}
	}
}

impl std::error::Error for Error {}

impl From<UnsafeRpcError> for Error {
	fn from(e: UnsafeRpcError) -> Self {
		Error::Unsafe(e)
	}
}

impl From<ApiError> for Error {
	fn from(e: ApiError) -> Self {
		Error::Runtime(e)
	}
}

impl From<Error> for ErrorObjectOwned {
	fn from(e: Error) -> Self {
		match e {
			Error::Unsafe(e) => e.into(),
			Error::ExecutorFailed { message, failure } => {
				ErrorObjectOwned::owned(code::EXECUTOR_FAILED, message, Some(failure))
			},
			e => ErrorObjectOwned::owned(e.code(), e.to_string(), None::<()>),
		}
	}
}

/// The `mosaic_` methods over a client, the node's blobs, keystore and executor.
pub struct Mosaic<C, Block> {
	client: Arc<C>,
	blobs: Option<Arc<dyn BlobSource>>,
	keystore: KeystorePtr,
	executor: Option<Arc<ExecutorService>>,
	results: Option<Arc<dyn ResultStore>>,
	/// Taken while a preview runs: one at a time.
	previewing: Arc<AtomicBool>,
	/// When each connection started its recent previews.
	previews_started: Mutex<HashMap<ConnectionId, VecDeque<Instant>>>,
	/// Blobs whose hash `mosaic_blob` checked, by hash.
	verified_blobs: Mutex<LruCache<Arc<Vec<u8>>>>,
	/// Held while a blob is read from the database: one read at a time.
	reading_blob: Mutex<()>,
	_block: PhantomData<Block>,
}

impl<C, Block> Mosaic<C, Block> {
	/// `blobs` is `None` on a node without an off-chain database, `executor` and `results` on
	/// one whose off-chain workers are off.
	pub fn new(
		client: Arc<C>,
		blobs: Option<Arc<dyn BlobSource>>,
		keystore: KeystorePtr,
		executor: Option<Arc<ExecutorService>>,
		results: Option<Arc<dyn ResultStore>>,
	) -> Self {
		Mosaic {
			client,
			blobs,
			keystore,
			executor,
			results,
			previewing: Arc::new(AtomicBool::new(false)),
			previews_started: Mutex::new(HashMap::new()),
			verified_blobs: Mutex::new(LruCache::new(VERIFIED_BLOBS_BYTES)),
			reading_blob: Mutex::new(()),
			_block: PhantomData,
		}
	}
}

/// Holds the one preview slot; frees it when dropped, however the call ends (including a
/// client that goes away mid-call).
struct PreviewSlot(Arc<AtomicBool>);

impl PreviewSlot {
	fn take(flag: &Arc<AtomicBool>) -> Option<Self> {
		(!flag.swap(true, Ordering::AcqRel)).then(|| PreviewSlot(flag.clone()))
	}
}

impl Drop for PreviewSlot {
	fn drop(&mut self) {
		self.0.store(false, Ordering::Release);
	}
}

#[async_trait]
impl<C, Block> MosaicApiServer for Mosaic<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: JobsApi<Block, AccountId, JobViewOf<Runtime>, WorkerInfoOf<Runtime>>
		+ ModelsApi<Block, ModelViewOf<Runtime>>,
{
	fn blob(
		&self,
		hash: H256,
		offset: Option<u64>,
		length: Option<u64>,
	) -> Result<BlobPiece, Error> {
		let bytes = self.verified_blob(hash)?;
		let size = bytes.len() as u64;
		let offset = offset.unwrap_or(0);
		let length = length.unwrap_or(MAX_BLOB_PIECE);
		if offset > size || length > MAX_BLOB_PIECE {
			return Err(Error::BadRange { offset, size, length });
		}
		let end = size.min(offset.saturating_add(length));
		Ok(BlobPiece { size, offset, data: Bytes(bytes[offset as usize..end as usize].to_vec()) })
	}

	fn result(
		&self,
		digest: H256,
		offset: Option<u64>,
		length: Option<u64>,
	) -> Result<BlobPiece, Error> {
		let results = self.results.as_ref().ok_or(Error::ResultNotFound(digest))?;
		let offset = offset.unwrap_or(0);
		let length = length.unwrap_or(RESULT_PIECE as u64);
		if length > RESULT_PIECE as u64 {
			return Err(Error::BadRange { offset, size: 0, length });
		}
		let (size, data) =
			results.piece(&digest.0, offset, length).ok_or(Error::ResultNotFound(digest))?;
		if offset > size {
			return Err(Error::BadRange { offset, size, length });
		}
		Ok(BlobPiece { size, offset, data: Bytes(data) })
	}

	fn worker_status(&self, ext: &Extensions) -> Result<WorkerStatus, Error> {
		check_if_safe(ext)?;
		let api = self.client.runtime_api();
		let best = self.client.info().best_hash;
		let mut keys = Vec::new();
		for key in self.keystore.sr25519_public_keys(mosaic_primitives::worker::KEY_TYPE) {
			let key = AccountId::from(key.0);
			let worker = api.worker_of_key(best, key.clone())?;
			let record = match &worker {
				Some(worker) => api.worker(best, worker.clone())?,
				None => None,
			};
			keys.push(WorkerKey {
				key: key.to_string(),
				worker: worker.map(|w| w.to_string()),
				status: record.as_ref().map(|r| format!("{:?}", r.status)),
				stake: record.as_ref().map(|r| r.stake.to_string()),
				assigned: record.as_ref().map(|r| r.assigned),
				capacity: record.as_ref().map(|r| r.capacity),
			});
		}
		Ok(WorkerStatus {
			executor: self.executor.is_some(),
			pending_runs: self.executor.as_ref().map(|e| e.pending()),
			keys,
		})
	}

	async fn preview_run(
		&self,
		ext: &Extensions,
		model: u32,
		version: u32,
		input: PreviewInput,
	) -> Result<Preview, Error> {
		check_if_safe(ext)?;
		let format = input.input_format()?;
		if input.data.len() > MAX_PREVIEW_INPUT {
			return Err(Error::InputTooLarge(input.data.len()));
		}
		let executor = self.executor.clone().ok_or(Error::NoExecutor)?;
		let (blob, precision) = self.version_to_run(model, version)?;
		let slot = PreviewSlot::take(&self.previewing).ok_or(Error::PreviewRunning)?;
		self.count_preview(ext.get::<ConnectionId>().copied())?;
		preview(executor, slot, blob, precision, format, input.data.0).await
	}
}

impl<C, Block> Mosaic<C, Block>
where
	Block: BlockT,
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block>,
	C::Api: ModelsApi<Block, ModelViewOf<Runtime>>,
{
	/// The blob and precision of a version that may run.
	fn version_to_run(&self, model: u32, version: u32) -> Result<([u8; 32], u8), Error> {
		let view = self
			.client
			.runtime_api()
			.model(self.client.info().best_hash, model)?
			.ok_or(Error::UnknownModel(model))?;
		let (_, info) = view
			.versions
			.into_iter()
			.find(|(number, _)| *number == version)
			.ok_or(Error::UnknownVersion { model, version })?;
		if let VersionStatus::Invalid { code: executor_code } = info.status {
			return Err(Error::InvalidVersion { version, executor_code });
		}
		Ok((info.spec.blob, info.spec.precision))
	}
}

impl<C, Block> Mosaic<C, Block> {
	/// A blob's bytes, its hash checked: from memory, or read by one call at a time (whoever
	/// waited for that read finds the blob in memory).
	fn verified_blob(&self, hash: H256) -> Result<Arc<Vec<u8>>, Error> {
		let blobs = self.blobs.as_ref().ok_or(Error::NoOffchainDatabase)?;
		if let Some(bytes) = lock(&self.verified_blobs).get(&hash.0) {
			return Ok(bytes);
		}
		let _reading = lock(&self.reading_blob);
		if let Some(bytes) = lock(&self.verified_blobs).get(&hash.0) {
			return Ok(bytes);
		}
		let bytes = Arc::new(blobs.blob(&hash.0).ok_or(Error::BlobNotFound(hash))?);
		lock(&self.verified_blobs).insert(hash.0, bytes.clone(), bytes.len());
		Ok(bytes)
	}

	/// Counts a preview against its connection's budget, forgetting what left the window.
	/// Calls that name no connection share one budget.
	fn count_preview(&self, connection: Option<ConnectionId>) -> Result<(), Error> {
		let now = Instant::now();
		let mut started = lock(&self.previews_started);
		started.retain(|_, times| {
			while times.front().is_some_and(|t| now.duration_since(*t) >= PREVIEW_WINDOW) {
				times.pop_front();
			}
			!times.is_empty()
		});
		let times = started.entry(connection.unwrap_or(ConnectionId(usize::MAX))).or_default();
		if times.len() >= PREVIEWS_PER_CONNECTION {
			return Err(Error::TooManyPreviews);
		}
		times.push_back(now);
		Ok(())
	}
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
	// Every update under these locks is one call: a panic leaves them consistent.
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs one preview through the workers' executor queue and waits for it, holding `slot`.
async fn preview(
	executor: Arc<ExecutorService>,
	slot: PreviewSlot,
	model: [u8; 32],
	precision: u8,
	format: InputFormat,
	input: Vec<u8>,
) -> Result<Preview, Error> {
	static NEXT_PREVIEW: AtomicU64 = AtomicU64::new(0);
	let started = Instant::now();
	// Worker tickets are blake2 hashes; this prefix keeps previews apart from them.
	let mut ticket = [0u8; 32];
	ticket[..8].copy_from_slice(b"preview/");
	ticket[8..16].copy_from_slice(&NEXT_PREVIEW.fetch_add(1, Ordering::Relaxed).to_le_bytes());
	let request = RunRequest {
		ticket,
		model,
		input: InputSource::Inline(input),
		format,
		precision,
		task: RunTask::Infer,
	};
	executor.start_preview(request).map_err(Error::ExecutorRefused)?;
	loop {
		match executor.poll(ticket) {
			RunStatus::Pending => {},
			RunStatus::Done(result) => {
				let outputs = result
					.outputs
					.into_iter()
					.map(|t| PreviewOutput {
						name: String::from_utf8_lossy(&t.name).into_owned(),
						shape: t.shape,
						values: t.values,
						precision,
					})
					.collect();
				return Ok(Preview {
					digest: Bytes(result.digest.to_vec()),
					outputs,
					millis: started.elapsed().as_millis() as u64,
				});
			},
			RunStatus::DoneDigestOnly { digest, .. } => {
				return Ok(Preview {
					digest: Bytes(digest.to_vec()),
					outputs: Vec::new(),
					millis: started.elapsed().as_millis() as u64,
				});
			},
			RunStatus::Failed { code, model_fault, message } => {
				return Err(Error::ExecutorFailed {
					message: String::from_utf8_lossy(&message).into_owned(),
					failure: ExecutorFailure { code, model_fault },
				});
			},
			RunStatus::Unknown => return Err(Error::RunLost),
		}
		if started.elapsed() > PREVIEW_BUDGET {
			// The run cannot be stopped; it keeps the slot until it ends, so previews never
			// pile up in the workers' queue.
			tokio::spawn(async move {
				while matches!(executor.poll(ticket), RunStatus::Pending) {
					tokio::time::sleep(Duration::from_millis(100)).await;
				}
				drop(slot);
			});
			return Err(Error::Timeout);
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn object(e: Error) -> ErrorObjectOwned {
		e.into()
	}

	#[test]
	fn errors_carry_the_documented_codes_and_messages() {
		let unsafe_call = object(Error::Unsafe(UnsafeRpcError));
		assert_eq!(unsafe_call, ErrorObjectOwned::from(UnsafeRpcError), "as Substrate's own");
		assert!(unsafe_call.message().contains("unsafe"));

		let range = object(Error::BadRange { offset: 9, size: 8, length: 1 });
		assert_eq!(range.code(), code::BAD_RANGE);
		assert_eq!(range.message(), "offset 9 of a 8-byte blob, or length 1 over 4194304");
		assert_eq!(object(Error::UnknownModel(42)).code(), code::UNKNOWN_VERSION);
		assert_eq!(object(Error::PreviewRunning).code(), code::BUSY);
		assert_eq!(object(Error::ExecutorRefused(StartError::Busy)).code(), code::BUSY);
		assert_eq!(object(Error::RunLost).code(), code::EXECUTOR_FAILED);

		let failed = object(Error::ExecutorFailed {
			message: "input mismatch: no input x".into(),
			failure: ExecutorFailure { code: 8, model_fault: false },
		});
		assert_eq!(failed.code(), code::EXECUTOR_FAILED);
		assert_eq!(failed.message(), "input mismatch: no input x");
		assert_eq!(failed.data().unwrap().get(), r#"{"code":8,"modelFault":false}"#);
	}

	#[test]
	fn an_unknown_input_format_is_a_bad_input_not_a_bad_request() {
		let input = |format: &str| PreviewInput { format: format.into(), data: Bytes(Vec::new()) };
		assert_eq!(input("Npy").input_format().unwrap(), InputFormat::Npy);
		let refused = object(input("Csv").input_format().unwrap_err());
		assert_eq!(refused.code(), code::BAD_INPUT);
		assert_eq!(
			refused.message(),
			r#"unknown input format "Csv": Json, Npy, TensorProto or Scale"#
		);
	}

	#[test]
	fn responses_have_the_documented_json_shape() {
		let status = WorkerStatus { executor: true, pending_runs: None, keys: Vec::new() };
		assert_eq!(
			serde_json::to_value(&status).unwrap(),
			serde_json::json!({ "executor": true, "pendingRuns": null, "keys": [] })
		);
		let piece = BlobPiece { size: 3, offset: 1, data: Bytes(vec![0xab]) };
		assert_eq!(
			serde_json::to_value(&piece).unwrap(),
			serde_json::json!({ "size": 3, "offset": 1, "data": "0xab" })
		);
	}
}
