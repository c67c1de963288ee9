//! Checks on the raw ONNX protobuf, before tract sees the model.
//!
//! tract only warns about unknown opsets, loads unknown operators as placeholders, and
//! evaluates constant subgraphs eagerly while typing a model, so a hostile model must be
//! stopped here: by opset, operator allow-list, graph consistency, and bounds on shapes
//! that constants feed into shape-producing operators.

use std::collections::{HashMap, HashSet};

use mosaic_primitives::digest::ElementType;
use prost::Message;
use tract_onnx::pb::{self, tensor_proto::DataType, tensor_shape_proto::dimension, type_proto};

use crate::{
	error::{ExecutorError, Result},
	limits::Limits,
};

/// A dimension of an input or output in a model's schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Dim {
	/// A fixed size.
	Fixed(u64),
	/// A named size chosen by the caller (e.g. the batch size `N`).
	Symbolic(String),
}

/// An input or output of a model, as its graph declares it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TensorSpec {
	/// Name in the graph.
	pub name: String,
	/// Element type.
	pub element_type: ElementType,
	/// Dimensions.
	pub shape: Vec<Dim>,
}

/// What inspection learned about an acceptable model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelSummary {
	/// Default-domain opset.
	pub opset: i64,
	/// Inputs the caller must provide (initializers excluded).
	pub inputs: Vec<TensorSpec>,
	/// Outputs the model produces.
	pub outputs: Vec<TensorSpec>,
	/// Distinct operators used.
	pub operators: Vec<String>,
	/// Number of nodes.
	pub node_count: usize,
	/// Total elements in initializers (weights).
	pub parameter_count: u64,
}

/// Decodes and checks a model. On success, the returned protobuf is safe to hand to tract.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<(pb::ModelProto, ModelSummary)> {
	if bytes.len() as u64 > limits.max_model_bytes {
		return Err(ExecutorError::ModelTooLarge {
			bytes: bytes.len() as u64,
			limit: limits.max_model_bytes,
		});
	}
	let mut proto = pb::ModelProto::decode(bytes)
		.map_err(|e| ExecutorError::MalformedModel(format!("not an ONNX protobuf: {e}")))?;
	clear_dynamic_dims(&mut proto);
	let graph = proto
		.graph
		.as_ref()
		.ok_or_else(|| ExecutorError::MalformedModel("no graph".into()))?;

	let opset = default_opset(&proto)?;
	if opset < limits.min_opset || opset > limits.max_opset {
		return Err(ExecutorError::OpsetOutOfRange {
			opset,
			min: limits.min_opset,
			max: limits.max_opset,
		});
	}
	if graph.node.is_empty() {
		return Err(ExecutorError::MalformedModel("graph has no nodes".into()));
	}
	if graph.node.len() > limits.max_nodes {
		return Err(ExecutorError::MalformedModel(format!(
			"graph has {} nodes, the limit is {}",
			graph.node.len(),
			limits.max_nodes
		)));
	}

	let mut operators = Vec::new();
	for node in &graph.node {
		if !(node.domain.is_empty() || node.domain == "ai.onnx") {
			return Err(ExecutorError::UnsupportedOperator(format!(
				"{}:{}",
				node.domain, node.op_type
			)));
		}
		if !limits.allowed_ops.contains(&node.op_type) {
			return Err(ExecutorError::UnsupportedOperator(node.op_type.clone()));
		}
		if node.attribute.iter().any(|a| a.g.is_some() || !a.graphs.is_empty()) {
			return Err(ExecutorError::UnsupportedOperator(format!(
				"{} with a subgraph attribute",
				node.op_type
			)));
		}
		if !operators.contains(&node.op_type) {
			operators.push(node.op_type.clone());
		}
	}
	operators.sort();

	let parameter_count = check_initializers(graph, limits)?;
	check_wiring(graph)?;
	check_constant_shapes(graph, limits)?;

	let initializer_names: HashSet<&str> =
		graph.initializer.iter().map(|t| t.name.as_str()).collect();
	let inputs = graph
		.input
		.iter()
		.filter(|vi| !initializer_names.contains(vi.name.as_str()))
		.map(tensor_spec)
		.collect::<Result<Vec<_>>>()?;
	let outputs = graph.output.iter().map(tensor_spec).collect::<Result<Vec<_>>>()?;
	for spec in &inputs {
		let fixed: u64 = spec
			.shape
			.iter()
			.map(|d| if let Dim::Fixed(n) = d { *n } else { 1 })
			.try_fold(1u64, |acc, d| acc.checked_mul(d))
			.unwrap_or(u64::MAX);
		if fixed > limits.max_tensor_elements {
			return Err(ExecutorError::TensorTooLarge {
				name: spec.name.clone(),
				elements: fixed,
				limit: limits.max_tensor_elements,
			});
		}
	}

	let summary = ModelSummary {
		opset,
		inputs,
		outputs,
		operators,
		node_count: graph.node.len(),
		parameter_count,
	};
	// The schema keeps the names; tract gets only what it needs (see `clear_named_dims`).
	clear_named_dims(&mut proto);
	Ok((proto, summary))
}

/// Exporters write a dimension chosen at run time in several ways: a name (PyTorch, skl2onnx),
/// an empty name, 0 or -1 (PaddlePaddle's and TensorFlow's converters), or nothing at all.
/// onnxruntime runs them all, and so does Mosaic: every form but a non-empty name becomes
/// "unknown" before tract or the schema sees it, so no two such dimensions are taken as one
/// and tract never reads -1 as a size.
fn clear_dynamic_dims(proto: &mut pb::ModelProto) {
	let Some(graph) = proto.graph.as_mut() else { return };
	let declared = graph.input.iter_mut().chain(&mut graph.output).chain(&mut graph.value_info);
	for value in declared {
		let Some(pb::TypeProto { value: Some(type_proto::Value::TensorType(tensor)), .. }) =
			&mut value.r#type
		else {
			continue;
		};
		for dim in tensor.shape.iter_mut().flat_map(|shape| shape.dim.iter_mut()) {
			let dynamic = match &dim.value {
				Some(dimension::Value::DimValue(v)) => *v <= 0,
				Some(dimension::Value::DimParam(name)) => name.is_empty(),
				None => false,
			};
			if dynamic {
				dim.value = None;
			}
		}
	}
}

/// Named dimensions of outputs and intermediate values are hints tract would take as symbols
/// to unify with the sizes it computes, and a converter may name one dimension differently
/// in two places (paddle2onnx writes `DynamicDimension.0` on an intermediate value whose
/// size comes from the input's `DynamicDimension.0`, but also `DynamicDimension.1` on an
/// output): once the inputs are given concrete shapes these hints can only conflict. Fixed
/// sizes stay, to be checked.
fn clear_named_dims(proto: &mut pb::ModelProto) {
	let Some(graph) = proto.graph.as_mut() else { return };
	for value in graph.output.iter_mut().chain(&mut graph.value_info) {
		let Some(pb::TypeProto { value: Some(type_proto::Value::TensorType(tensor)), .. }) =
			&mut value.r#type
		else {
			continue;
		};
		for dim in tensor.shape.iter_mut().flat_map(|shape| shape.dim.iter_mut()) {
			if matches!(dim.value, Some(dimension::Value::DimParam(_))) {
				dim.value = None;
			}
		}
	}
}

fn default_opset(proto: &pb::ModelProto) -> Result<i64> {
	// Imports of other domains are harmless by themselves; nodes using them are refused.
	let default = proto
		.opset_import
		.iter()
		.filter(|import| import.domain.is_empty() || import.domain == "ai.onnx")
		.map(|import| import.version)
		.next_back();
	default.ok_or_else(|| ExecutorError::MalformedModel("no default-domain opset import".into()))
}

/// Element type code of the ONNX protobuf to ours.
pub fn element_type_of(code: i32) -> Result<ElementType> {
	let data_type = DataType::try_from(code)
		.map_err(|_| ExecutorError::UnsupportedElementType(format!("ONNX type code {code}")))?;
	Ok(match data_type {
		DataType::Float => ElementType::F32,
		DataType::Double => ElementType::F64,
		DataType::Float16 => ElementType::F16,
		DataType::Int8 => ElementType::I8,
		DataType::Int16 => ElementType::I16,
		DataType::Int32 => ElementType::I32,
		DataType::Int64 => ElementType::I64,
		DataType::Uint8 => ElementType::U8,
		DataType::Uint16 => ElementType::U16,
		DataType::Uint32 => ElementType::U32,
		DataType::Bool => ElementType::Bool,
		other => return Err(ExecutorError::UnsupportedElementType(format!("{other:?}"))),
	})
}

fn tensor_spec(vi: &pb::ValueInfoProto) -> Result<TensorSpec> {
	let Some(pb::TypeProto { value: Some(type_proto::Value::TensorType(tensor)), .. }) = &vi.r#type
	else {
		return Err(ExecutorError::MalformedModel(format!("{} is not a tensor", vi.name)));
	};
	let element_type = element_type_of(tensor.elem_type)?;
	let shape = match &tensor.shape {
		None => Vec::new(),
		Some(shape) => shape
			.dim
			.iter()
			.enumerate()
			.map(|(i, d)| match &d.value {
				Some(dimension::Value::DimValue(v)) if *v > 0 => Dim::Fixed(*v as u64),
				Some(dimension::Value::DimParam(name)) if !name.is_empty() => {
					Dim::Symbolic(name.clone())
				},
				// Dynamic, unnamed (see `clear_dynamic_dims`): its own name, bound to nothing else.
				_ => Dim::Symbolic(format!("{}_{i}", vi.name)),
			})
			.collect(),
	};
	Ok(TensorSpec { name: vi.name.clone(), element_type, shape })
}

fn element_count(dims: &[i64]) -> Option<u64> {
	dims.iter()
		.try_fold(1u64, |acc, &d| if d < 0 { None } else { acc.checked_mul(d as u64) })
}

fn check_initializers(graph: &pb::GraphProto, limits: &Limits) -> Result<u64> {
	let mut total = 0u64;
	for t in graph.initializer.iter() {
		if t.data_location == Some(1) || !t.external_data.is_empty() {
			return Err(ExecutorError::MalformedModel(format!("{} uses external data", t.name)));
		}
		if t.data_type == DataType::String as i32 {
			// tract panics on raw string tensors; no supported operator needs them.
			return Err(ExecutorError::UnsupportedElementType(format!("string tensor {}", t.name)));
		}
		let elements = element_count(&t.dims).ok_or_else(|| ExecutorError::TensorTooLarge {
			name: t.name.clone(),
			elements: u64::MAX,
			limit: limits.max_tensor_elements,
		})?;
		if elements > limits.max_tensor_elements {
			return Err(ExecutorError::TensorTooLarge {
				name: t.name.clone(),
				elements,
				limit: limits.max_tensor_elements,
			});
		}
		total = total.saturating_add(elements);
	}
	Ok(total)
}

/// Every node input and graph output must be produced by something: tract panics otherwise.
fn check_wiring(graph: &pb::GraphProto) -> Result<()> {
	let mut known: HashSet<&str> = graph.input.iter().map(|vi| vi.name.as_str()).collect();
	known.extend(graph.initializer.iter().map(|t| t.name.as_str()));
	for node in &graph.node {
		for output in &node.output {
			known.insert(output.as_str());
		}
	}
	for node in &graph.node {
		for input in node.input.iter().filter(|i| !i.is_empty()) {
			if !known.contains(input.as_str()) {
				return Err(ExecutorError::MalformedModel(format!(
					"node {} reads {input}, which nothing produces",
					node.op_type
				)));
			}
		}
	}
	if graph.output.is_empty() {
		return Err(ExecutorError::MalformedModel("graph has no outputs".into()));
	}
	for output in &graph.output {
		if !known.contains(output.name.as_str()) {
			return Err(ExecutorError::MalformedModel(format!(
				"graph output {} is produced by nothing",
				output.name
			)));
		}
	}
	Ok(())
}

/// Integer constants known before running: initializers and `Constant` nodes.
fn integer_constants(graph: &pb::GraphProto) -> HashMap<&str, Vec<i64>> {
	let mut constants = HashMap::new();
	let decode = |t: &pb::TensorProto| -> Option<Vec<i64>> {
		if t.data_type == DataType::Int64 as i32 {
			if !t.int64_data.is_empty() {
				return Some(t.int64_data.clone());
			}
			if t.raw_data.len().is_multiple_of(8) {
				return Some(
					t.raw_data
						.chunks_exact(8)
						.map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
						.collect(),
				);
			}
		}
		if t.data_type == DataType::Int32 as i32 {
			return Some(t.int32_data.iter().map(|v| *v as i64).collect());
		}
		None
	};
	for t in &graph.initializer {
		if let Some(values) = decode(t) {
			constants.insert(t.name.as_str(), values);
		}
	}
	for node in graph.node.iter().filter(|n| n.op_type == "Constant") {
		let value = node.attribute.iter().find(|a| a.name == "value").and_then(|a| a.t.as_ref());
		if let (Some(t), Some(out)) = (value, node.output.first()) {
			if let Some(values) = decode(t) {
				constants.insert(out.as_str(), values);
			}
		}
	}
	constants
}

/// Bounds the output size of shape-producing operators whose shape comes from a constant.
/// tract evaluates such nodes while typing the model, before any other limit applies.
fn check_constant_shapes(graph: &pb::GraphProto, limits: &Limits) -> Result<()> {
	let constants = integer_constants(graph);
	let too_large = |node: &pb::NodeProto, elements: u64| ExecutorError::TensorTooLarge {
		name: node.output.first().cloned().unwrap_or_else(|| node.op_type.clone()),
		elements,
		limit: limits.max_tensor_elements,
	};
	for node in &graph.node {
		let input = |i: usize| node.input.get(i).and_then(|name| constants.get(name.as_str()));
		let bound = match node.op_type.as_str() {
			// Output element count is the product of the shape / repeats input.
			"ConstantOfShape" | "Expand" => input(if node.op_type == "Expand" { 1 } else { 0 })
				.map(|shape| element_count(shape).unwrap_or(u64::MAX)),
			"Tile" => input(1).map(|repeats| element_count(repeats).unwrap_or(u64::MAX)),
			"Range" => match (input(0), input(1), input(2)) {
				(Some(start), Some(limit), Some(delta))
					if start.len() == 1 && limit.len() == 1 && delta.len() == 1 =>
				{
					let (start, limit, delta) =
						(start[0] as i128, limit[0] as i128, delta[0] as i128);
					if delta == 0 {
						Some(u64::MAX)
					} else {
						Some(((limit - start) / delta).max(0).min(u64::MAX as i128) as u64)
					}
				},
				_ => None,
			},
			"OneHot" => input(1).and_then(|depth| depth.first()).map(|d| (*d).max(0) as u64),
			_ => None,
		};
		if let Some(elements) = bound {
			if elements > limits.max_tensor_elements {
				return Err(too_large(node, elements));
			}
		}
	}
	Ok(())
}
