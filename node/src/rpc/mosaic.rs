//! The `mosaic_` JSON-RPC methods: what a node knows that is not chain state.
//!
//! - `mosaic_blob(hash, offset?, length?)`: a blob's bytes from this node's off-chain
//!   database, in pieces of at most [`MAX_BLOB_PIECE`] bytes.
//! - `mosaic_workerStatus()`: the worker keys in this node's keystore, the workers they sign
//!   for, and the executor's queue. Unsafe: it tells which node hosts which worker.
//! - `mosaic_previewRun(model, version, input)`: runs a registered model on this node, with
//!   the workers' executor and limits, to preview an output before paying for a job. Unsafe
//!   (refused on public RPC interfaces unless `--rpc-methods unsafe`), one at a time (a run
//!   that outlives its budget keeps the slot until it ends), input at most
//!   [`MAX_PREVIEW_INPUT`] bytes, at most [`PREVIEW_BUDGET`] of wall time.

use std::{
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use jsonrpsee::{types::ErrorObjectOwned, RpcModule};
use mosaic_onnx_host::OnnxBackend;
use mosaic_primitives::onnx::{InputFormat, InputSource, RunRequest, RunStatus, RunTask};
use mosaic_runtime::{opaque::Block, AccountId};
use serde::Deserialize;
use serde_json::{json, Value};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{offchain::OffchainStorage, Bytes, H256};
use sp_keystore::KeystorePtr;

use crate::onnx::{BlobSource, NodeOnnx, OffchainBlobs};

/// Largest piece of a blob one `mosaic_blob` call returns.
pub const MAX_BLOB_PIECE: u64 = 4 << 20;
/// Largest input `mosaic_previewRun` accepts.
pub const MAX_PREVIEW_INPUT: usize = 1 << 20;
/// Longest a preview may take, queueing included.
pub const PREVIEW_BUDGET: Duration = Duration::from_secs(30);

/// Error codes of the `mosaic_` methods (JSON-RPC server-error range is free for us above
/// 4000, where Substrate's own modules do not go).
pub mod code {
	/// The blob is not in this node's off-chain database.
	pub const BLOB_NOT_FOUND: i32 = 4001;
	/// The requested byte range is outside the blob or too long.
	pub const BAD_RANGE: i32 = 4002;
	/// No such model version.
	pub const UNKNOWN_VERSION: i32 = 4010;
	/// The version was marked invalid by the workers' executor.
	pub const INVALID_VERSION: i32 = 4011;
	/// The input is larger than [`super::MAX_PREVIEW_INPUT`] or not in a known format.
	pub const BAD_INPUT: i32 = 4012;
	/// This node runs no executor (off-chain workers disabled).
	pub const NO_EXECUTOR: i32 = 4013;
	/// Another preview is running, or the executor queue is full.
	pub const BUSY: i32 = 4014;
	/// The run did not finish within [`super::PREVIEW_BUDGET`].
	pub const TIMEOUT: i32 = 4015;
	/// The executor rejected the model or the input; `data` has its code and message.
	pub const EXECUTOR_FAILED: i32 = 4016;
	/// The runtime could not be queried.
	pub const RUNTIME: i32 = 4020;
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// What the `mosaic_` methods need from the node.
pub struct MosaicDeps<C, S> {
	/// Client to call runtime APIs through.
	pub client: Arc<C>,
	/// The off-chain database, if the node has one.
	pub offchain_db: Option<S>,
	/// The node's keystore.
	pub keystore: KeystorePtr,
	/// The executor the off-chain workers use, if they run.
	pub onnx: Option<Arc<NodeOnnx>>,
}

struct Context<C, S> {
	deps: MosaicDeps<C, S>,
	previewing: Arc<AtomicBool>,
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

/// An input for `mosaic_previewRun`.
#[derive(Deserialize)]
struct PreviewInput {
	/// `"Json"`, `"Npy"`, `"TensorProto"` or `"Scale"`.
	format: String,
	/// The encoded input.
	data: Bytes,
}

fn input_format(name: &str) -> Option<InputFormat> {
	Some(match name {
		"Json" => InputFormat::Json,
		"Npy" => InputFormat::Npy,
		"TensorProto" => InputFormat::TensorProto,
		"Scale" => InputFormat::Scale,
		_ => return None,
	})
}

/// The `mosaic_` methods.
pub fn module<C, S>(
	deps: MosaicDeps<C, S>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: pallet_mosaic_jobs::JobsApi<
			Block,
			AccountId,
			pallet_mosaic_jobs::JobViewOf<mosaic_runtime::Runtime>,
			pallet_mosaic_jobs::WorkerInfoOf<mosaic_runtime::Runtime>,
		> + pallet_mosaic_models::ModelsApi<
			Block,
			pallet_mosaic_models::ModelViewOf<mosaic_runtime::Runtime>,
		>,
	S: OffchainStorage + 'static,
{
	let mut module = RpcModule::new(Context { deps, previewing: Arc::new(AtomicBool::new(false)) });

	// Blocking: a read checks the whole blob's hash (up to the blob store's 16 MiB).
	module.register_blocking_method("mosaic_blob", |params, ctx, _| {
		let mut params = params.sequence();
		let hash: H256 = params.next()?;
		let offset: Option<u64> = params.optional_next()?;
		let length: Option<u64> = params.optional_next()?;
		let db =
			ctx.deps.offchain_db.clone().ok_or_else(|| {
				error(code::BLOB_NOT_FOUND, "this node keeps no off-chain database")
			})?;
		let bytes = OffchainBlobs(db).blob(&hash.0).ok_or_else(|| {
			error(
				code::BLOB_NOT_FOUND,
				format!("blob {hash:?} is not in this node's off-chain database"),
			)
		})?;
		let size = bytes.len() as u64;
		let offset = offset.unwrap_or(0);
		let length = length.unwrap_or(MAX_BLOB_PIECE);
		if offset > size || length > MAX_BLOB_PIECE {
			return Err(error(
				code::BAD_RANGE,
				format!("offset {offset} of a {size}-byte blob, or length {length} over {MAX_BLOB_PIECE}"),
			));
		}
		let end = size.min(offset.saturating_add(length));
		Ok::<_, ErrorObjectOwned>(json!({
			"size": size,
			"offset": offset,
			"data": Bytes(bytes[offset as usize..end as usize].to_vec()),
		}))
	})?;

	module.register_method("mosaic_workerStatus", |_, ctx, ext| {
		use pallet_mosaic_jobs::JobsApi;
		sc_rpc_api::check_if_safe(ext)?;
		let api = ctx.deps.client.runtime_api();
		let best = ctx.deps.client.info().best_hash;
		let keys = ctx.deps.keystore.sr25519_public_keys(mosaic_primitives::worker::KEY_TYPE);
		let mut workers = Vec::new();
		for key in keys {
			let key_account = AccountId::from(key.0);
			let runtime = |e: sp_api::ApiError| error(code::RUNTIME, e.to_string());
			let worker = api.worker_of_key(best, key_account.clone()).map_err(runtime)?;
			let record = match &worker {
				Some(w) => api.worker(best, w.clone()).map_err(runtime)?,
				None => None,
			};
			workers.push(json!({
				"key": key_account.to_string(),
				"worker": worker.map(|w| w.to_string()),
				"status": record.as_ref().map(|r| format!("{:?}", r.status)),
				"stake": record.as_ref().map(|r| r.stake.to_string()),
				"assigned": record.as_ref().map(|r| r.assigned),
				"capacity": record.as_ref().map(|r| r.capacity),
			}));
		}
		Ok::<_, ErrorObjectOwned>(json!({
			"executor": ctx.deps.onnx.is_some(),
			"pendingRuns": ctx.deps.onnx.as_ref().map(|o| o.pending()),
			"keys": workers,
		}))
	})?;

	module.register_async_method("mosaic_previewRun", |params, ctx, ext| async move {
		sc_rpc_api::check_if_safe(&ext)?;
		let mut params = params.sequence();
		let model: u32 = params.next()?;
		let version: u32 = params.next()?;
		let input: PreviewInput = params.next()?;
		let format = input_format(&input.format).ok_or_else(|| {
			error(
				code::BAD_INPUT,
				format!("unknown input format {:?}: Json, Npy, TensorProto or Scale", input.format),
			)
		})?;
		if input.data.len() > MAX_PREVIEW_INPUT {
			return Err(error(
				code::BAD_INPUT,
				format!("input of {} bytes, over {MAX_PREVIEW_INPUT}", input.data.len()),
			));
		}
		let onnx = ctx.deps.onnx.clone().ok_or_else(|| {
			error(code::NO_EXECUTOR, "this node runs no executor (off-chain workers are off)")
		})?;
		let (blob, precision) = version_to_run(&*ctx.deps.client, model, version)?;
		let slot = PreviewSlot::take(&ctx.previewing)
			.ok_or_else(|| error(code::BUSY, "another preview is running on this node"))?;
		preview(onnx, slot, blob, precision, format, input.data.0).await
	})?;

	let mut outer = RpcModule::new(());
	outer.merge(module)?;
	Ok(outer)
}

/// The blob and precision of a version that may run.
fn version_to_run<C>(
	client: &C,
	model: u32,
	version: u32,
) -> Result<([u8; 32], u8), ErrorObjectOwned>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block>,
	C::Api: pallet_mosaic_models::ModelsApi<
		Block,
		pallet_mosaic_models::ModelViewOf<mosaic_runtime::Runtime>,
	>,
{
	use pallet_mosaic_models::{ModelsApi, VersionStatus};
	let view = client
		.runtime_api()
		.model(client.info().best_hash, model)
		.map_err(|e| error(code::RUNTIME, e.to_string()))?
		.ok_or_else(|| error(code::UNKNOWN_VERSION, format!("no model {model}")))?;
	let (_, info) =
		view.versions
			.into_iter()
			.find(|(number, _)| *number == version)
			.ok_or_else(|| {
				error(code::UNKNOWN_VERSION, format!("model {model} has no version {version}"))
			})?;
	if let VersionStatus::Invalid { code: executor_code } = info.status {
		return Err(error(
			code::INVALID_VERSION,
			format!("version {version} was marked invalid (executor code {executor_code})"),
		));
	}
	Ok((info.spec.blob, info.spec.precision))
}

/// Runs one preview through the workers' executor queue and waits for it, holding `slot`.
async fn preview(
	onnx: Arc<NodeOnnx>,
	slot: PreviewSlot,
	model: [u8; 32],
	precision: u8,
	format: InputFormat,
	input: Vec<u8>,
) -> Result<Value, ErrorObjectOwned> {
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
	onnx.start(request)
		.map_err(|e| error(code::BUSY, format!("the executor refused the run: {e:?}")))?;
	loop {
		match onnx.poll(ticket) {
			RunStatus::Pending => {},
			RunStatus::Done(result) => {
				let outputs: Vec<Value> = result
					.outputs
					.iter()
					.map(|t| json!({ "name": String::from_utf8_lossy(&t.name), "shape": t.shape, "values": t.values, "precision": precision }))
					.collect();
				return Ok(json!({
					"digest": Bytes(result.digest.to_vec()),
					"outputs": outputs,
					"millis": started.elapsed().as_millis() as u64,
				}));
			},
			RunStatus::Failed { code: executor_code, model_fault, message } => {
				return Err(ErrorObjectOwned::owned(
					code::EXECUTOR_FAILED,
					String::from_utf8_lossy(&message).into_owned(),
					Some(json!({ "code": executor_code, "modelFault": model_fault })),
				));
			},
			RunStatus::Unknown => {
				return Err(error(code::EXECUTOR_FAILED, "the executor lost the run"))
			},
		}
		if started.elapsed() > PREVIEW_BUDGET {
			// The run cannot be stopped; it keeps the slot until it ends, so previews never
			// pile up in the workers' queue.
			tokio::spawn(async move {
				while matches!(onnx.poll(ticket), RunStatus::Pending) {
					tokio::time::sleep(Duration::from_millis(100)).await;
				}
				drop(slot);
			});
			return Err(error(
				code::TIMEOUT,
				format!("no result within {} s", PREVIEW_BUDGET.as_secs()),
			));
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}
