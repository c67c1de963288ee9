//! Hard limits a model and a run must respect. Checked before tract sees a model, again on
//! the typed model, and enforced by the sandbox process while it runs.

use std::{collections::BTreeSet, time::Duration};

/// Limits for loading and running a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
	/// Largest model file accepted, in bytes.
	pub max_model_bytes: u64,
	/// Oldest default-domain ONNX opset accepted.
	pub min_opset: i64,
	/// Newest default-domain ONNX opset accepted.
	pub max_opset: i64,
	/// Operators a model may use (default ONNX domain).
	pub allowed_ops: BTreeSet<String>,
	/// Most elements any one tensor may have.
	pub max_tensor_elements: u64,
	/// Most bytes of tensors (weights plus the largest set of live intermediates).
	pub max_memory_bytes: u64,
	/// Most nodes a graph may have.
	pub max_nodes: usize,
	/// Wall-time budget of one inference, or of a whole training run.
	pub max_wall_time: Duration,
	/// Most steps (batches over all epochs) of one training run.
	pub max_train_steps: u64,
}

/// Operators allowed by default: tract's deterministic ONNX operators. Left out on purpose:
/// `Scan` and `If` (control flow, whose subgraphs escape these checks), `Random*` and
/// `Multinomial` (non-deterministic, so workers could never agree), and the attention
/// operators (tract runs them on a thread pool, breaking the single-thread profile).
pub const DEFAULT_ALLOWED_OPS: &[&str] = &[
	"Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh",
	"AveragePool", "BatchNormalization", "BitShift", "BitwiseAnd", "BitwiseNot", "BitwiseOr",
	"BitwiseXor", "Cast", "CastLike", "Ceil", "Celu", "Clip", "Compress", "Concat", "Constant",
	"ConstantOfShape", "Conv", "ConvInteger", "ConvTranspose", "Cos", "Cosh", "CumSum",
	"DepthToSpace", "DequantizeLinear", "Div", "Dropout", "DynamicQuantizeLinear", "Einsum", "Elu",
	"Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "GRU", "Gather",
	"GatherElements", "GatherND", "Gelu", "Gemm", "GlobalAveragePool", "GlobalLpPool",
	"GlobalMaxPool", "Greater", "GreaterOrEqual", "GroupNormalization", "HardSigmoid", "HardSwish",
	"Hardmax", "Identity", "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LSTM",
	"LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax",
	"LpNormalization", "MatMul", "MatMulInteger", "Max", "MaxPool", "Mean",
	"MeanVarianceNormalization", "Min", "Mish", "Mod", "Mul", "Neg", "NonZero", "Not", "OneHot",
	"Or", "PRelu", "Pad", "Pow", "QLinearConv", "QLinearMatMul", "QuantizeLinear", "RNN", "Range",
	"Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
	"ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Reshape",
	"Resize", "Round", "Scatter", "ScatterElements", "ScatterND", "Selu", "Shape", "Shrink",
	"Sigmoid", "Sign", "Sin", "Sinh", "Size", "Slice", "Softmax", "Softplus", "Softsign",
	"SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu",
	"Tile", "TopK", "Transpose", "Trilu", "Unsqueeze", "Where", "Xor",
];

impl Default for Limits {
	fn default() -> Self {
		Limits {
			max_model_bytes: 32 * 1024 * 1024,
			min_opset: mosaic_primitives::onnx::MIN_OPSET as i64,
			max_opset: mosaic_primitives::onnx::MAX_OPSET as i64,
			allowed_ops: DEFAULT_ALLOWED_OPS.iter().map(|s| s.to_string()).collect(),
			max_tensor_elements: 16 * 1024 * 1024,
			max_memory_bytes: 512 * 1024 * 1024,
			max_nodes: 10_000,
			max_wall_time: Duration::from_secs(10),
			max_train_steps: 100_000,
		}
	}
}
