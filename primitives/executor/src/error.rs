//! Typed errors. Every failure a model or input can cause maps to one of these; the
//! executor never panics, aborts or hangs on bad input.

use mosaic_primitives::digest::DigestError;

/// Why a model could not be accepted or run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ExecutorError {
	/// The bytes are not a valid ONNX model (truncated, not protobuf, no graph, ...).
	MalformedModel(String),
	/// The model is larger than this executor's size limit: the node's limit, not the model's
	/// fault (code [`MODEL_EXCEEDS_NODE`](mosaic_primitives::onnx::MODEL_EXCEEDS_NODE), an
	/// abstention).
	ModelTooLarge { bytes: u64, limit: u64 },
	/// The model's ONNX opset is outside the supported range.
	OpsetOutOfRange { opset: i64, min: i64, max: i64 },
	/// The model uses an operator that is not on the allow-list.
	UnsupportedOperator(String),
	/// A tensor (input, weight or intermediate) has more elements than allowed, or a
	/// shape the executor cannot bound.
	TensorTooLarge { name: String, elements: u64, limit: u64 },
	/// The model's tensors together need more memory than allowed.
	MemoryLimitExceeded { bytes: u64, limit: u64 },
	/// Inference did not finish within the wall-time budget.
	Timeout { millis: u64 },
	/// An input is missing, unexpected, or does not match the model's schema.
	InputMismatch(String),
	/// An input could not be decoded (.pb, .npy or JSON).
	MalformedInput(String),
	/// An output contains NaN or an infinity.
	NonFiniteOutput { name: String },
	/// An element type the executor does not support.
	UnsupportedElementType(String),
	/// The outputs cannot be given a canonical digest.
	Digest(DigestError),
	/// tract refused the model or failed while running it.
	Engine(String),
	/// tract panicked; the panic was contained.
	EnginePanic(String),
	/// The sandbox process died (for example it hit its memory limit) or broke protocol.
	SandboxFailure(String),
	/// A blob the run needs is not on this node (a sealed blob it never indexed, as after
	/// warp sync): this node's failure, not the job's, so the worker abstains.
	BlobUnavailable(String),
}

impl ExecutorError {
	/// A stable numeric code, recorded on-chain when a job fails.
	pub fn code(&self) -> u16 {
		match self {
			ExecutorError::MalformedModel(_) => 1,
			ExecutorError::ModelTooLarge { .. } => mosaic_primitives::onnx::MODEL_EXCEEDS_NODE,
			ExecutorError::OpsetOutOfRange { .. } => 3,
			ExecutorError::UnsupportedOperator(_) => 4,
			ExecutorError::TensorTooLarge { .. } => 5,
			ExecutorError::MemoryLimitExceeded { .. } => 6,
			ExecutorError::Timeout { .. } => 7,
			ExecutorError::InputMismatch(_) => 8,
			ExecutorError::MalformedInput(_) => 9,
			ExecutorError::NonFiniteOutput { .. } => 10,
			ExecutorError::UnsupportedElementType(_) => 11,
			ExecutorError::Digest(_) => 12,
			ExecutorError::Engine(_) => 13,
			ExecutorError::EnginePanic(_) => 14,
			ExecutorError::SandboxFailure(_) => 15,
			ExecutorError::BlobUnavailable(_) => mosaic_primitives::onnx::REMOTE_BLOB_UNAVAILABLE,
		}
	}

	/// Whether the failure is the model's fault (any input would fail the same way) rather
	/// than this input's: such a model is marked invalid in the registry.
	pub fn is_model_fault(&self) -> bool {
		matches!(
			self,
			ExecutorError::MalformedModel(_)
				| ExecutorError::OpsetOutOfRange { .. }
				| ExecutorError::UnsupportedOperator(_)
		)
	}
}

impl core::fmt::Display for ExecutorError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			ExecutorError::MalformedModel(why) => write!(f, "malformed ONNX model: {why}"),
			ExecutorError::ModelTooLarge { bytes, limit } => {
				write!(f, "model is {bytes} bytes, the limit is {limit}")
			},
			ExecutorError::OpsetOutOfRange { opset, min, max } => {
				write!(f, "ONNX opset {opset} is outside the supported range {min}..={max}")
			},
			ExecutorError::UnsupportedOperator(op) => write!(f, "operator {op} is not supported"),
			ExecutorError::TensorTooLarge { name, elements, limit } => write!(
				f,
				"tensor {name} has {elements} elements, the limit is {limit} \
				 (u64::MAX means its size cannot be bounded)"
			),
			ExecutorError::MemoryLimitExceeded { bytes, limit } => {
				write!(f, "model needs {bytes} bytes of tensors, the limit is {limit}")
			},
			ExecutorError::Timeout { millis } => {
				write!(f, "inference did not finish within {millis} ms")
			},
			ExecutorError::InputMismatch(why) => write!(f, "input does not match the model: {why}"),
			ExecutorError::MalformedInput(why) => write!(f, "malformed input: {why}"),
			ExecutorError::NonFiniteOutput { name } => {
				write!(f, "output {name} contains NaN or infinity")
			},
			ExecutorError::UnsupportedElementType(t) => {
				write!(f, "element type {t} is not supported")
			},
			ExecutorError::Digest(e) => write!(f, "cannot digest outputs: {e:?}"),
			ExecutorError::Engine(why) => write!(f, "tract: {why}"),
			ExecutorError::EnginePanic(why) => write!(f, "tract panicked (contained): {why}"),
			ExecutorError::SandboxFailure(why) => write!(f, "sandbox: {why}"),
			ExecutorError::BlobUnavailable(why) => write!(f, "{why}"),
		}
	}
}

impl std::error::Error for ExecutorError {}

impl From<DigestError> for ExecutorError {
	fn from(e: DigestError) -> Self {
		ExecutorError::Digest(e)
	}
}

/// Result of executor operations.
pub type Result<T> = core::result::Result<T, ExecutorError>;
