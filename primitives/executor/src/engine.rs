//! The tract side: typing, checking, optimising and running a model that passed inspection.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
};

use tract_onnx::{
	pb,
	prelude::*,
	tract_core::ops::{
		binary::OptBinByScalar, change_axes::IntoShape, konst::Const, matmul::optimized::OptMatMul,
	},
};

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
	/// A run's state, kept for the next run when no operator has state of its own (nothing
	/// of one run can reach the next: `run` clears every value). What it saves is the state's
	/// setup and the caches of scratch space and output layouts the matrix products build.
	/// `None` for plans whose operators keep state: they get a fresh one per run.
	spare: Option<Mutex<Option<TypedSimpleState>>>,
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
/// A tensor without a name (as in ONNX's own test data) feeds the first graph input that no
/// named tensor feeds, in order.
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
	let mut unnamed = inputs.iter().filter(|t| t.name.is_empty());
	summary
		.inputs
		.iter()
		.map(|spec| {
			let given = inputs
				.iter()
				.find(|t| t.name == spec.name)
				.or_else(|| unnamed.next())
				.ok_or_else(|| {
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
	let optimized = fuse_activations_over_reshapes(typed.into_optimized().map_err(engine)?);
	let memory_bytes = estimate_memory(&optimized)?;
	if memory_bytes > limits.max_memory_bytes {
		return Err(ExecutorError::MemoryLimitExceeded {
			bytes: memory_bytes,
			limit: limits.max_memory_bytes,
		});
	}
	let output_names = summary.outputs.iter().map(|o| o.name.clone()).collect();
	let plan = optimized.into_runnable().map_err(engine)?;
	let state = plan.spawn().map_err(engine)?;
	let spare = state.op_states.iter().all(Option::is_none).then(|| Mutex::new(Some(state)));
	Ok(Plan { plan, spare, fed, output_names, memory_bytes })
}

/// tract lowers a convolution to a matrix product whose output it reshapes (`IntoShape`) to
/// the image's shape, and the activation after it (ReLU's `max(x, 0)`) then sits behind the
/// reshape, where the matrix product cannot fuse it into its store: a whole extra pass over
/// every convolution's output. An operation with one scalar operand is the same before and
/// after a reshape, so it is moved in front of it, and the optimiser runs again to fuse it.
/// The result is bit for bit the same (the same operation on the same values); only the
/// pass over memory goes. Any failure leaves the model as tract optimised it.
fn fuse_activations_over_reshapes(model: TypedModel) -> TypedModel {
	let mut moved = model.clone();
	let mut changed = false;
	loop {
		let Ok(found) = move_one_scalar_op_before_reshape(&moved) else { return model };
		let Some(patch) = found else { break };
		// Compacted, the nodes the patch left unused are gone: the matrix product has one
		// successor again, which the optimiser needs to fuse.
		if patch.apply(&mut moved).and_then(|()| moved.compact()).is_err() {
			return model;
		}
		changed = true;
	}
	if !changed {
		return model;
	}
	match moved.optimize() {
		Ok(()) => moved,
		Err(_) => model,
	}
}

/// A patch moving one `OptBinByScalar` (a constant of volume 1 as the other operand) from
/// after an `IntoShape` fed by an `OptMatMul` to before it, if the model has such a chain
/// whose intermediate values feed nothing else.
fn move_one_scalar_op_before_reshape(model: &TypedModel) -> TractResult<Option<TypedModelPatch>> {
	for reshape in model.nodes().iter().filter(|n| n.op_is::<IntoShape>()) {
		let producer = model.node(reshape.inputs[0].node);
		if !producer.op_is::<OptMatMul>() || producer.outputs[0].successors.len() != 1 {
			continue;
		}
		let Some(scalar_op) = model.single_succ(reshape.id)? else { continue };
		if !scalar_op.op_is::<OptBinByScalar>() || scalar_op.inputs.len() != 2 {
			continue;
		}
		let data_slot = scalar_op.inputs.iter().position(|i| i.node == reshape.id);
		let Some(data_slot) = data_slot else { continue };
		let other = scalar_op.inputs[1 - data_slot];
		let Some(value) = model.outlet_fact(other)?.konst.clone() else { continue };
		if value.len() != 1 || model.output_outlets()?.contains(&reshape.id.into()) {
			continue;
		}
		let mut patch = TypedModelPatch::new("move a scalar operation before a reshape");
		let data = patch.tap_model(model, reshape.inputs[0])?;
		let rank = model.outlet_fact(reshape.inputs[0])?.rank();
		let scalar = patch.add_const(
			format!("{}.scalar", scalar_op.name),
			value.clone().into_tensor().into_shape(&vec![1; rank])?,
		)?;
		let operands = if data_slot == 0 { [data, scalar] } else { [scalar, data] };
		let applied = patch.wire_node(&scalar_op.name, scalar_op.op.clone(), &operands)?;
		let reshaped = patch.wire_node(&reshape.name, reshape.op.clone(), &applied)?;
		patch.shunt_outside(model, scalar_op.id.into(), reshaped[0])?;
		return Ok(Some(patch));
	}
	Ok(None)
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
		let spare = self.spare.as_ref().and_then(|spare| take(spare));
		let mut state = match spare {
			Some(state) => state,
			None => self.plan.spawn().map_err(engine)?,
		};
		let outputs = state.run(values).map_err(engine)?;
		// A run that failed may have left values behind: its state is dropped above.
		if let Some(spare) = &self.spare {
			*spare.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(state);
		}
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

/// The kept state, if no other run holds it.
fn take(spare: &Mutex<Option<TypedSimpleState>>) -> Option<TypedSimpleState> {
	spare.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The fixture models generated by scripts/onnx/gen_fixtures.sh (scripts/setup.sh).
	fn fixture(name: &str) -> (TypedModel, Tensor) {
		let home = std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME"));
		let dir = std::env::var_os("MOSAIC_FIXTURES")
			.map(std::path::PathBuf::from)
			.unwrap_or_else(|| home.join(".cache/mosaic/onnx-fixtures"))
			.join("models")
			.join(name);
		let model = tract_onnx::onnx().model_for_path(dir.join("model.onnx")).unwrap();
		let input = std::fs::read(dir.join("input_0.pb")).unwrap();
		let input = to_tract(&crate::formats::pb::decode(&input, "x").unwrap()).unwrap();
		(model.into_typed().unwrap().into_optimized().unwrap(), input)
	}

	fn run(model: TypedModel, input: &Tensor) -> Vec<u32> {
		let plan = model.into_runnable().unwrap();
		let outputs = plan.run(tvec!(input.clone().into_tvalue())).unwrap();
		outputs
			.iter()
			.flat_map(|t| t.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec())
			.map(f32::to_bits)
			.collect()
	}

	#[test]
	fn fused_activations_give_the_same_bits_and_leave_no_separate_pass() {
		for name in ["cnn", "big_cnn"] {
			crate::select_kernels(crate::Kernels::Native);
			let (model, input) = fixture(name);
			let separate = |m: &TypedModel| {
				let after_reshape =
					|n: &TypedNode| n.inputs.iter().any(|i| m.node(i.node).op_is::<IntoShape>());
				m.nodes()
					.iter()
					.filter(|n| n.op_is::<OptBinByScalar>() && after_reshape(n))
					.count()
			};
			assert!(separate(&model) > 0, "{name}: tract left no activation after a reshape");
			let fused = fuse_activations_over_reshapes(model.clone());
			assert_eq!(separate(&fused), 0, "{name}: an activation was not fused");
			assert_eq!(run(fused, &input), run(model, &input), "{name}: other bits");
		}
	}
}
