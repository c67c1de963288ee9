//! Messages between the runtime's off-chain worker and the node's ONNX executor, passed
//! through the `mosaic_onnx` host functions (crate `mosaic-onnx-host`).

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{
	blob::BlobHash,
	digest::{ElementType, QuantizedTensor},
};

/// Oldest default-domain ONNX opset the executor accepts, and so the registry too.
pub const MIN_OPSET: u32 = 7;
/// Newest default-domain ONNX opset the executor accepts, and so the registry too.
pub const MAX_OPSET: u32 = 21;

/// The error code a worker reports when a remote blob a job needs is not what it claims
/// (wrong size or hash): the run never starts. Next to the executor's own codes (1-15, see
/// `docs/executor.md`).
pub const REMOTE_BLOB_REJECTED: u16 = 16;

/// The code a worker abstains with when a blob a job needs cannot be had (a download that
/// keeps failing, or a blob its node never got, as after warp sync): no verdict on the job,
/// see the jobs pallet's `Outcome::CouldNotRun`.
pub const REMOTE_BLOB_UNAVAILABLE: u16 = 17;

/// The code a worker reports when a run's outputs exceed what a reveal carries although the
/// version declares fixed output shapes that fit one: the model does not produce what it
/// declares. Deterministic, so every honest worker reports it.
pub const OUTPUTS_EXCEED_DECLARED: u16 = 18;

/// The code a worker abstains with when its node's executor had not finished the run when
/// the commit phase was about to end (its queue was behind): no verdict on the job.
pub const RUN_NOT_FINISHED_IN_TIME: u16 = 19;

/// The code a worker abstains with when a model is larger than its node's executor takes:
/// a node's limit, not the model's fault, so no verdict on the job and nothing against the
/// version (a node with a higher limit may run it).
pub const MODEL_EXCEEDS_NODE: u16 = 20;

/// The executor's code for a panic inside the engine.
pub const ENGINE_PANIC: u16 = 14;
/// The executor's code for a sandbox child that crashed or could not be started.
pub const SANDBOX_FAILURE: u16 = 15;

/// Whether an executor error code says the worker's machine failed, not the model or the
/// input: another machine may run the same job. Such codes are no verdict on a job.
pub fn is_machine_failure(code: u16) -> bool {
	matches!(
		code,
		ENGINE_PANIC
			| SANDBOX_FAILURE
			| REMOTE_BLOB_UNAVAILABLE
			| RUN_NOT_FINISHED_IN_TIME
			| MODEL_EXCEEDS_NODE
	)
}

/// Identifies one run on one node; the off-chain worker derives it from the job and worker.
pub type Ticket = [u8; 32];

/// Where a run's input comes from.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum InputSource {
	/// A blob in the node's off-chain database, by its blake2-256 hash.
	Blob(BlobHash),
	/// The bytes themselves (small inputs carried on-chain).
	Inline(Vec<u8>),
}

/// How input bytes are encoded.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum InputFormat {
	/// ONNX `TensorProto`, one tensor, named by the proto.
	TensorProto,
	/// NumPy `.npy`, one tensor, for the model's first input.
	Npy,
	/// `{"inputs":[{"name","dtype","shape","data"}]}`.
	Json,
	/// SCALE-encoded `Vec<`[`InputTensor`]`>`: what jobs carry inline, checked on-chain
	/// against the model's input schema.
	Scale,
}

/// One named input tensor with its raw data, the on-chain form of an input
/// ([`InputFormat::Scale`]).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct InputTensor {
	/// The input's name in the model.
	pub name: Vec<u8>,
	/// Element type of `data`.
	pub element_type: ElementType,
	/// Dimensions, outermost first.
	pub shape: Vec<u64>,
	/// Row-major values, little-endian, each `element_type.size()` bytes (booleans one byte).
	pub data: Vec<u8>,
}

/// What a run does with its model and input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum RunTask {
	/// Run the model once on the input; the outputs are the result.
	Infer,
	/// The model is a training-step graph and the input its dataset: train the parameters
	/// in the blob `parameters` (SCALE `Vec<InputTensor>`) for `epochs` passes in batches of
	/// `batch_size`. The result is the trained parameters, then the per-epoch loss curve.
	Train {
		/// blake2-256 of the initial parameters' blob.
		parameters: BlobHash,
		/// Passes over the dataset.
		epochs: u32,
		/// Samples per step.
		batch_size: u32,
	},
	/// The model is a training-step graph and the input a validation set: check and combine
	/// the updates of the base `parameters` that the
	/// [`AggregationManifest`](crate::rounds::AggregationManifest) blob `manifest` names. The
	/// result is the combined parameters, then the per-update verdicts, validation losses and
	/// norms (see [`crate::rounds`]).
	Aggregate {
		/// blake2-256 of the base parameters' blob.
		parameters: BlobHash,
		/// blake2-256 of the manifest blob.
		manifest: BlobHash,
	},
}

/// A request to run a model.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct RunRequest {
	/// Caller's handle for polling.
	pub ticket: Ticket,
	/// blake2-256 of the ONNX model blob.
	pub model: BlobHash,
	/// The input.
	pub input: InputSource,
	/// Its encoding.
	pub format: InputFormat,
	/// Decimal digits kept when quantising floating-point outputs.
	pub precision: u8,
	/// Inference or training.
	pub task: RunTask,
}

/// Why `start` refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum StartError {
	/// No executor is registered here (not an off-chain worker, or the node has none).
	Unavailable,
	/// The node's queue is full; try again in a later block.
	Busy,
	/// A run with this ticket already exists on this node.
	DuplicateTicket,
}

/// The agreed result of a run: what a worker commits to and reveals.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct RunResult {
	/// Canonical digest of `outputs` (see [`crate::digest`]).
	pub digest: [u8; 32],
	/// Outputs quantised at the requested precision.
	pub outputs: Vec<QuantizedTensor>,
}

/// State of a run, as `poll` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub enum RunStatus {
	/// No run with this ticket is known (never started, or collected already).
	Unknown,
	/// Queued or running.
	Pending,
	/// Finished. Polling a finished run collects it: the next poll says `Unknown`.
	Done(RunResult),
	/// Failed with the executor's error code (stable, recorded on-chain) and a message.
	Failed { code: u16, model_fault: bool, message: Vec<u8> },
	/// Finished with more than [`MAX_VALUES_FROM_HOST`] output values: only their canonical
	/// digest crosses into the runtime (more than that is never revealed, and the values
	/// of a large output would not fit an off-chain worker's heap). Collected as `Done` is.
	DoneDigestOnly {
		/// Canonical digest of the outputs, as [`RunResult::digest`].
		digest: [u8; 32],
		/// How many values the outputs hold.
		values: u64,
	},
}

/// Most output values a finished run hands to the runtime; above it, `poll` reports
/// [`RunStatus::DoneDigestOnly`]. A chain's largest revealed output must stay within it.
pub const MAX_VALUES_FROM_HOST: u64 = 1 << 16;

/// Most output values a reveal carries on Mosaic's chain (its jobs pallet's
/// `MaxOutputValues`). Larger outputs are agreed by digest, so the nodes that ran them keep
/// them for their requesters.
pub const MAX_REVEALED_VALUES: u64 = 4096;
