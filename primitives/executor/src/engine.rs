//! The tract side: typing, checking, optimising and running a model that passed inspection.

use std::{collections::HashMap, sync::Arc};

use tract_onnx::{pb, prelude::*, tract_core::ops::konst::Const};

use crate::{
	error::{ExecutorError, Result},
	inspect::{Dim, ModelSummary},
	limits::Limits,
	tensor::{Tensor as OurTensor, Values},
};
use mosaic_primitives::digest::ElementType;

/// An optimised, runnable model specialised to one set of input shapes.
pub struct Plan {
	plan: Arc<TypedSimplePlan>,
	/// Positions (in graph order) of the inputs fed at run time; the others are baked in.
	fed: Vec<usize>,
	/// Graph output names, in the graph's order.
	output_names: Vec<String>,
	/// Bytes of weights plus the peak of live intermediate tensors.
	pub memory_bytes: u64,
}

fn engine(e: impl core::fmt::Display) -> ExecutorError {
	// `{:#}` keeps anyhow's whole context chain: "outer: inner: root cause".
	ExecutorError::Engine(format!("{e:#}"))
}

/// Small integer inputs are usually shapes, axes or indices that tract must know while
/// typing the model (Reshape, Slice, Pad, ...). They are baked into the plan as constants,
/// and the plan cache keys on their values.
pub const BAKED_INPUT_MAX_ELEMENTS: usize = 64;

/// Whether `input` is baked into the plan (see [`BAKED_INPUT_MAX_ELEMENTS`]).
pub fn is_baked(input: &OurTensor) -> bool {
	matches!(input.values, Values::I64(_) | Values::I32(_))
		&& input.values.len() <= BAKED_INPUT_MAX_ELEMENTS
}

fn datum_type(element_type: ElementType) -> Result<DatumType> {
	Ok(match element_type {
		ElementType::F32 => DatumType::F32,
		ElementType::F64 => DatumType::F64,
		ElementType::F16 => DatumType::F16,
		ElementType::I8 => DatumType::I8,
		ElementType::I16 => DatumType::I16,
		ElementType::I32 => DatumType::I32,
		ElementType::I64 => DatumType::I64,
		ElementType::U8 => DatumType::U8,
		ElementType::U16 => DatumType::U16,
		ElementType::U32 => DatumType::U32,
		ElementType::Bool => DatumType::Bool,
	})
}

/// Checks `inputs` against the model's declared inputs and returns them in graph order.
pub fn order_inputs<'a>(
	summary: &ModelSummary,
	inputs: &'a [OurTensor],
) -> Result<Vec<&'a OurTensor>> {
	if inputs.len() != summary.inputs.len() {
		return Err(ExecutorError::InputMismatch(format!(
			"model takes {} inputs ({}), got {}",
			summary.inputs.len(),
			summary.inputs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
			inputs.len()
		)));
	}
	let mut symbols: HashMap<&str, usize> = HashMap::new();
	summary
		.inputs
		.iter()
		.map(|spec| {
			let given = inputs.iter().find(|t| t.name == spec.name).ok_or_else(|| {
				ExecutorError::InputMismatch(format!("missing input {}", spec.name))
			})?;
			if given.element_type() != spec.element_type {
				return Err(ExecutorError::InputMismatch(format!(
					"{}: expected {:?}, got {:?}",
					spec.name,
					spec.element_type,
					given.element_type()
				)));
			}
			if !spec.shape.is_empty() || !given.shape.is_empty() {
				if spec.shape.len() != given.shape.len() {
					return Err(ExecutorError::InputMismatch(format!(
						"{}: expected rank {}, got shape {:?}",
						spec.name,
						spec.shape.len(),
						given.shape
					)));
				}
				for (dim, &size) in spec.shape.iter().zip(&given.shape) {
					match dim {
						Dim::Fixed(n) if *n as usize != size => {
							return Err(ExecutorError::InputMismatch(format!(
								"{}: expected shape {:?}, got {:?}",
								spec.name, spec.shape, given.shape
							)))
						},
						Dim::Symbolic(name) => {
							let bound = *symbols.entry(name.as_str()).or_insert(size);
							if bound != size {
								return Err(ExecutorError::InputMismatch(format!(
									"{}: dimension {name} is {bound} elsewhere, {size} here",
									spec.name,
								)));
							}
						},
						_ => {},
					}
				}
			}
			Ok(given)
		})
		.collect()
}

/// Types, checks and optimises the model for these input shapes.
pub fn build_plan(
	proto: &pb::ModelProto,
	summary: &ModelSummary,
	inputs: &[&OurTensor],
	limits: &Limits,
) -> Result<Plan> {
	let mut model = tract_onnx::onnx().model_for_proto_model(proto).map_err(engine)?;
	let outlets = model.input_outlets().map_err(engine)?.len();
	if outlets != inputs.len() {
		return Err(ExecutorError::InputMismatch(format!(
			"tract sees {outlets} inputs, the schema {}",
			inputs.len()
		)));
	}
	let outlets = model.input_outlets().map_err(engine)?.to_vec();
	let mut fed = Vec::new();
	for (ix, (input, outlet)) in inputs.iter().zip(&outlets).enumerate() {
		if is_baked(input) {
			let value = to_tract(input)?.into_arc_tensor();
			model.node_mut(outlet.node).op = Box::new(Const::new(value.clone()).map_err(engine)?);
			let fact = InferenceFact::try_from(value).map_err(engine)?;
			model.set_outlet_fact(*outlet, fact).map_err(engine)?;
		} else {
			let fact =
				InferenceFact::dt_shape(datum_type(input.element_type())?, input.shape.as_slice());
			model.set_input_fact(ix, fact).map_err(engine)?;
			fed.push(ix);
		}
	}
	let fed_outlets: Vec<_> = fed.iter().map(|ix| outlets[*ix]).collect();
	model.set_input_outlets(&fed_outlets).map_err(engine)?;
	let typed = model.into_typed().map_err(engine)?;
	check_typed(&typed, limits)?;
	let optimized = typed.into_optimized().map_err(engine)?;
	let memory_bytes = estimate_memory(&optimized)?;
	if memory_bytes > limits.max_memory_bytes {
		return Err(ExecutorError::MemoryLimitExceeded {
			bytes: memory_bytes,
			limit: limits.max_memory_bytes,
		});
	}
	let output_names = summary.outputs.iter().map(|o| o.name.clone()).collect();
	let plan = optimized.into_runnable().map_err(engine)?;
	Ok(Plan { plan, fed, output_names, memory_bytes })
}

/// Every tensor of the typed model must have a known size within the limit.
fn check_typed(model: &TypedModel, limits: &Limits) -> Result<()> {
	for node in model.nodes() {
		for output in &node.outputs {
			let elements = match output.fact.shape.as_concrete() {
				Some(shape) => shape.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d as u64)),
				// Data-dependent size (e.g. NonZero): bounded by the sandbox's memory limit.
				None => continue,
			};
			let elements = elements.unwrap_or(u64::MAX);
			if elements > limits.max_tensor_elements {
				return Err(ExecutorError::TensorTooLarge {
					name: node.name.clone(),
					elements,
					limit: limits.max_tensor_elements,
				});
			}
		}
	}
	Ok(())
}

/// Weights plus the peak of live intermediate tensors; excludes operators' scratch space.
fn estimate_memory(model: &TypedModel) -> Result<u64> {
	let symbols = SymbolValues::default();
	let to_bytes = |d: TDim| d.eval(&symbols).to_i64().map(|v| v.max(0) as u64).unwrap_or(0);
	let order = model.eval_order().map_err(engine)?;
	let peak = model
		.eval_tmp_memory_usage(&order, |n| !n.op_is::<Const>())
		.map_err(engine)?
		.into_iter()
		.map(|(_, bytes)| to_bytes(bytes))
		.max()
		.unwrap_or(0);
	let weights: u64 = model
		.nodes()
		.iter()
		.filter(|n| n.op_is::<Const>())
		.flat_map(|n| n.outputs.iter())
		.map(|o| o.fact.mem_size())
		.map(to_bytes)
		.sum();
	Ok(peak.saturating_add(weights))
}

fn to_tract(tensor: &OurTensor) -> Result<Tensor> {
	let shape = tensor.shape.as_slice();
	let built = match &tensor.values {
		Values::F32(v) => Tensor::from_shape(shape, v.as_slice()),
		Values::F64(v) => Tensor::from_shape(shape, v.as_slice()),
		Values::I8(v) => Tensor::from_shape(shape, v.as_slice()),
		Values::I32(v) => Tensor::from_shape(shape, v.as_slice()),
		Values::I64(v) => Tensor::from_shape(shape, v.as_slice()),
		Values::U8(v) => Tensor::from_shape(shape, v.as_slice()),
		Values::Bool(v) => Tensor::from_shape(shape, v.as_slice()),
	};
	built.map_err(|e| ExecutorError::MalformedInput(format!("{}: {e}", tensor.name)))
}

/// Converts a tract tensor to ours; types without a `Values` variant are widened.
pub fn from_tract(name: &str, tensor: &Tensor) -> Result<OurTensor> {
	fn plain<T: Datum + Copy>(t: &Tensor) -> Result<Vec<T>> {
		Ok(t.try_as_plain_ram().map_err(engine)?.as_slice::<T>().map_err(engine)?.to_vec())
	}
	fn cast<T: Datum + Copy>(t: &Tensor) -> Result<Vec<T>> {
		plain::<T>(&*t.cast_to::<T>().map_err(engine)?)
	}
	let values = match tensor.datum_type() {
		DatumType::F32 => Values::F32(plain(tensor)?),
		DatumType::F64 => Values::F64(plain(tensor)?),
		DatumType::F16 => Values::F32(cast(tensor)?),
		DatumType::I8 => Values::I8(plain(tensor)?),
		DatumType::I32 => Values::I32(plain(tensor)?),
		DatumType::I64 => Values::I64(plain(tensor)?),
		DatumType::I16 | DatumType::U16 | DatumType::U32 | DatumType::TDim => {
			Values::I64(cast(tensor)?)
		},
		DatumType::U8 => Values::U8(plain(tensor)?),
		DatumType::Bool => Values::Bool(plain(tensor)?),
		other => return Err(ExecutorError::UnsupportedElementType(format!("{other:?}"))),
	};
	OurTensor::new(name, tensor.shape().to_vec(), values)
}

impl Plan {
	/// Runs the plan on inputs already checked and ordered by [`order_inputs`].
	pub fn run(&self, inputs: &[&OurTensor]) -> Result<Vec<OurTensor>> {
		let values = self
			.fed
			.iter()
			.map(|ix| to_tract(inputs[*ix]).map(|t| t.into_tvalue()))
			.collect::<Result<TVec<TValue>>>()?;
		let outputs = self.plan.run(values).map_err(engine)?;
		if outputs.len() != self.output_names.len() {
			return Err(ExecutorError::Engine(format!(
				"model produced {} outputs, its graph declares {}",
				outputs.len(),
				self.output_names.len()
			)));
		}
		self.output_names
			.iter()
			.zip(outputs.iter())
			.map(|(name, t)| from_tract(name, t))
			.collect()
	}
}
