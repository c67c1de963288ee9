//! Tensors as the executor's callers see them, independent of tract.

use mosaic_primitives::digest::ElementType;

use crate::error::{ExecutorError, Result};

/// Element values of a tensor, row-major.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
	F32(Vec<f32>),
	F64(Vec<f64>),
	I8(Vec<i8>),
	I32(Vec<i32>),
	I64(Vec<i64>),
	U8(Vec<u8>),
	Bool(Vec<bool>),
}

impl Values {
	/// Number of elements.
	pub fn len(&self) -> usize {
		match self {
			Values::F32(v) => v.len(),
			Values::F64(v) => v.len(),
			Values::I8(v) => v.len(),
			Values::I32(v) => v.len(),
			Values::I64(v) => v.len(),
			Values::U8(v) => v.len(),
			Values::Bool(v) => v.len(),
		}
	}

	/// Whether there are no elements.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}

	/// The element type.
	pub fn element_type(&self) -> ElementType {
		match self {
			Values::F32(_) => ElementType::F32,
			Values::F64(_) => ElementType::F64,
			Values::I8(_) => ElementType::I8,
			Values::I32(_) => ElementType::I32,
			Values::I64(_) => ElementType::I64,
			Values::U8(_) => ElementType::U8,
			Values::Bool(_) => ElementType::Bool,
		}
	}

	/// Size in bytes of one element.
	pub fn element_size(&self) -> usize {
		element_size(self.element_type())
	}
}

/// Size in bytes of one element of `element_type`.
pub fn element_size(element_type: ElementType) -> usize {
	element_type.size()
}

/// Lower-case name of an element type, as in NumPy and the JSON form (`"float32"`, ...).
pub fn element_type_name(element_type: ElementType) -> &'static str {
	match element_type {
		ElementType::F32 => "float32",
		ElementType::F64 => "float64",
		ElementType::F16 => "float16",
		ElementType::I8 => "int8",
		ElementType::I16 => "int16",
		ElementType::I32 => "int32",
		ElementType::I64 => "int64",
		ElementType::U8 => "uint8",
		ElementType::U16 => "uint16",
		ElementType::U32 => "uint32",
		ElementType::Bool => "bool",
	}
}

/// The element type named `name` (see [`element_type_name`]).
pub fn element_type_from_name(name: &str) -> Option<ElementType> {
	Some(match name {
		"float32" => ElementType::F32,
		"float64" => ElementType::F64,
		"float16" => ElementType::F16,
		"int8" => ElementType::I8,
		"int16" => ElementType::I16,
		"int32" => ElementType::I32,
		"int64" => ElementType::I64,
		"uint8" => ElementType::U8,
		"uint16" => ElementType::U16,
		"uint32" => ElementType::U32,
		"bool" => ElementType::Bool,
		_ => return None,
	})
}

/// A named tensor: a model input or output.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
	/// Name, as in the model's graph.
	pub name: String,
	/// Dimensions.
	pub shape: Vec<usize>,
	/// Row-major values; their count is the product of `shape`.
	pub values: Values,
}

impl Tensor {
	/// A tensor, checked: the number of values must match the shape.
	pub fn new(name: impl Into<String>, shape: Vec<usize>, values: Values) -> Result<Self> {
		let name = name.into();
		let expected = shape
			.iter()
			.try_fold(1usize, |acc, d| acc.checked_mul(*d))
			.ok_or_else(|| ExecutorError::MalformedInput(format!("{name}: shape overflows")))?;
		if expected != values.len() {
			return Err(ExecutorError::MalformedInput(format!(
				"{name}: shape {shape:?} needs {expected} values, got {}",
				values.len()
			)));
		}
		Ok(Tensor { name, shape, values })
	}

	/// The element type.
	pub fn element_type(&self) -> ElementType {
		self.values.element_type()
	}

	/// Bytes the values occupy.
	pub fn byte_size(&self) -> usize {
		self.values.len() * self.values.element_size()
	}
}
