//! The canonical output digest: how independent workers agree on a model's output.
//!
//! Floating-point outputs differ in their last bits between engines and CPU kernels, so
//! workers never compare raw floats. Each output is quantised to the model version's
//! declared precision (`precision` decimal digits, fixed point, round half to even), laid
//! out in a defined order with its name, element type and shape, and hashed with blake2-256.
//! The executor (node side) and the runtime use this same code, so a reveal of quantised
//! values can be checked against its digest on-chain.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Domain separator, so a digest can never be confused with another blake2-256 hash.
const DOMAIN: &[u8] = b"mosaic/output-digest/v1";

/// Largest supported precision: 10^12 still leaves f32/f64 outputs up to about 9.2e6 in range.
pub const MAX_PRECISION: u8 = 12;

/// Element type of an output tensor, as declared in a model's schema.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ElementType {
	/// IEEE 754 single precision.
	F32,
	/// IEEE 754 double precision.
	F64,
	/// IEEE 754 half precision.
	F16,
	/// Signed 8-bit integer.
	I8,
	/// Signed 16-bit integer.
	I16,
	/// Signed 32-bit integer.
	I32,
	/// Signed 64-bit integer.
	I64,
	/// Unsigned 8-bit integer.
	U8,
	/// Unsigned 16-bit integer.
	U16,
	/// Unsigned 32-bit integer.
	U32,
	/// Boolean.
	Bool,
}

impl ElementType {
	/// Bytes one element takes in a raw little-endian buffer (booleans: one byte).
	pub fn size(self) -> usize {
		match self {
			ElementType::F64 | ElementType::I64 => 8,
			ElementType::F32 | ElementType::I32 | ElementType::U32 => 4,
			ElementType::F16 | ElementType::I16 | ElementType::U16 => 2,
			ElementType::I8 | ElementType::U8 | ElementType::Bool => 1,
		}
	}

	/// Whether values of this type are quantised (floats) or taken as they are (integers).
	pub fn is_float(self) -> bool {
		matches!(self, ElementType::F32 | ElementType::F64 | ElementType::F16)
	}

	/// The type's tag in the digest layout. Fixed forever: changing one changes every digest.
	fn tag(self) -> u8 {
		match self {
			ElementType::F32 => 1,
			ElementType::F64 => 2,
			ElementType::F16 => 3,
			ElementType::I8 => 4,
			ElementType::I16 => 5,
			ElementType::I32 => 6,
			ElementType::I64 => 7,
			ElementType::U8 => 8,
			ElementType::U16 => 9,
			ElementType::U32 => 10,
			ElementType::Bool => 11,
		}
	}
}

/// Why an output cannot be given a canonical digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DigestError {
	/// An output value is NaN or infinite.
	NonFinite,
	/// A value times 10^precision does not fit in an `i64`.
	OutOfRange,
	/// The precision is above [`MAX_PRECISION`].
	PrecisionTooHigh,
	/// Two outputs have the same name.
	DuplicateName,
	/// The number of values does not match the product of the shape.
	ShapeMismatch,
}

/// One output, quantised: what the digest covers and what a worker reveals.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct QuantizedTensor {
	/// Output name, as in the model's schema.
	pub name: Vec<u8>,
	/// Element type of the output before quantisation.
	pub element_type: ElementType,
	/// Dimensions.
	pub shape: Vec<u64>,
	/// Row-major values: floats as round(x * 10^precision), integers and booleans as they are.
	pub values: Vec<i64>,
}

impl QuantizedTensor {
	fn element_count(&self) -> Option<u64> {
		self.shape.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d))
	}
}

/// Quantises `x` to `precision` decimal digits in fixed point, rounding half to even.
pub fn quantize(x: f64, precision: u8) -> Result<i64, DigestError> {
	if precision > MAX_PRECISION {
		return Err(DigestError::PrecisionTooHigh);
	}
	if !x.is_finite() {
		return Err(DigestError::NonFinite);
	}
	let scaled = x * pow10(precision);
	// 2^63 is exactly representable; anything at or beyond it does not fit.
	const LIMIT: f64 = 9_223_372_036_854_775_808.0;
	let rounded = round_half_even(scaled);
	if !(-LIMIT..LIMIT).contains(&rounded) {
		return Err(DigestError::OutOfRange);
	}
	Ok(rounded as i64)
}

fn pow10(precision: u8) -> f64 {
	let mut factor = 1.0f64;
	for _ in 0..precision {
		factor *= 10.0;
	}
	factor
}

/// Round half to even. `f64::round_ties_even` is only in `std`, and this runs in the runtime.
fn round_half_even(x: f64) -> f64 {
	let truncated = trunc(x);
	let fraction = x - truncated;
	if fraction.abs() == 0.5 {
		// Ties go to the even neighbour.
		let even_up = (truncated / 2.0) != trunc(truncated / 2.0);
		if even_up {
			truncated + fraction.signum()
		} else {
			truncated
		}
	} else if fraction.abs() > 0.5 {
		truncated + fraction.signum()
	} else {
		truncated
	}
}

fn trunc(x: f64) -> f64 {
	// Values of 2^52 and above have no fractional part.
	if x.abs() >= 4_503_599_627_370_496.0 {
		x
	} else {
		(x as i64) as f64
	}
}

/// The canonical digest of a set of quantised outputs: the blake2-256 hash of their
/// [`canonical_bytes`].
pub fn canonical_digest(
	outputs: &[QuantizedTensor],
	precision: u8,
) -> Result<[u8; 32], DigestError> {
	Ok(sp_crypto_hashing::blake2_256(&canonical_bytes(outputs, precision)?))
}

/// The canonical encoding of a set of quantised outputs, which [`canonical_digest`] hashes
/// and a node keeps of a result agreed by digest only.
///
/// Layout: the domain separator, the precision, the number of outputs, then the outputs
/// sorted by name, each as: name length (u32 LE), name bytes, element type tag (u8), rank
/// (u32 LE), each dimension (u64 LE), and each value (i64 LE).
pub fn canonical_bytes(outputs: &[QuantizedTensor], precision: u8) -> Result<Vec<u8>, DigestError> {
	if precision > MAX_PRECISION {
		return Err(DigestError::PrecisionTooHigh);
	}
	let mut order: Vec<&QuantizedTensor> = outputs.iter().collect();
	order.sort_by(|a, b| a.name.cmp(&b.name));
	if order.windows(2).any(|pair| pair[0].name == pair[1].name) {
		return Err(DigestError::DuplicateName);
	}

	let mut bytes = Vec::with_capacity(
		DOMAIN.len()
			+ 5 + outputs.iter().map(|o| 16 + o.name.len() + o.values.len() * 8).sum::<usize>(),
	);
	bytes.extend_from_slice(DOMAIN);
	bytes.push(precision);
	bytes.extend_from_slice(&(order.len() as u32).to_le_bytes());
	for output in order {
		if output.element_count() != Some(output.values.len() as u64) {
			return Err(DigestError::ShapeMismatch);
		}
		bytes.extend_from_slice(&(output.name.len() as u32).to_le_bytes());
		bytes.extend_from_slice(&output.name);
		bytes.push(output.element_type.tag());
		bytes.extend_from_slice(&(output.shape.len() as u32).to_le_bytes());
		for dim in &output.shape {
			bytes.extend_from_slice(&dim.to_le_bytes());
		}
		for value in &output.values {
			bytes.extend_from_slice(&value.to_le_bytes());
		}
	}
	Ok(bytes)
}

/// Whether two quantised output sets agree element-wise within `tolerance` quantisation
/// steps: same names, types and shapes, and every floating-point value at most `tolerance`
/// apart. Integers and booleans (class ids, token ids, verdicts) must be equal: a tolerance
/// of one there would let a different class count as the same answer.
pub fn within_tolerance(a: &[QuantizedTensor], b: &[QuantizedTensor], tolerance: u64) -> bool {
	if a.len() != b.len() {
		return false;
	}
	let mut a: Vec<&QuantizedTensor> = a.iter().collect();
	let mut b: Vec<&QuantizedTensor> = b.iter().collect();
	a.sort_by(|x, y| x.name.cmp(&y.name));
	b.sort_by(|x, y| x.name.cmp(&y.name));
	a.iter().zip(b.iter()).all(|(x, y)| {
		x.name == y.name
			&& x.element_type == y.element_type
			&& x.shape == y.shape
			&& x.values.len() == y.values.len()
			&& if x.element_type.is_float() {
				x.values.iter().zip(y.values.iter()).all(|(p, q)| p.abs_diff(*q) <= tolerance)
			} else {
				x.values == y.values
			}
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	fn tensor(name: &str, values: Vec<i64>) -> QuantizedTensor {
		QuantizedTensor {
			name: name.as_bytes().to_vec(),
			element_type: ElementType::F32,
			shape: vec![values.len() as u64],
			values,
		}
	}

	#[test]
	fn tolerance_applies_to_floats_only() {
		let floats = tensor("y", vec![3, 7]);
		let near = tensor("y", vec![4, 7]);
		assert!(within_tolerance(core::slice::from_ref(&floats), core::slice::from_ref(&near), 1));
		let ints = QuantizedTensor { element_type: ElementType::I64, ..floats };
		let other_class = QuantizedTensor { element_type: ElementType::I64, ..near };
		assert!(!within_tolerance(core::slice::from_ref(&ints), &[other_class], 5));
		assert!(within_tolerance(core::slice::from_ref(&ints), core::slice::from_ref(&ints), 5));
	}

	#[test]
	fn quantize_rounds_half_to_even() {
		assert_eq!(quantize(0.5, 0), Ok(0));
		assert_eq!(quantize(1.5, 0), Ok(2));
		assert_eq!(quantize(2.5, 0), Ok(2));
		assert_eq!(quantize(-0.5, 0), Ok(0));
		assert_eq!(quantize(-1.5, 0), Ok(-2));
		assert_eq!(quantize(-2.6, 0), Ok(-3));
		assert_eq!(quantize(1.23456, 3), Ok(1235));
		assert_eq!(quantize(-1.23449, 3), Ok(-1234));
	}

	#[test]
	fn quantize_absorbs_last_bit_differences() {
		// tract and onnxruntime disagree in the last bits of f32 outputs.
		let tract = -9.704614f32 as f64;
		// Written as onnxruntime printed it.
		#[allow(clippy::excessive_precision)]
		let ort = -9.7046127f32 as f64;
		assert_ne!(tract, ort);
		assert_eq!(quantize(tract, 5), quantize(ort, 5));
	}

	#[test]
	fn quantize_rejects_what_it_cannot_represent() {
		assert_eq!(quantize(f64::NAN, 3), Err(DigestError::NonFinite));
		assert_eq!(quantize(f64::INFINITY, 3), Err(DigestError::NonFinite));
		assert_eq!(quantize(1e7, 12), Err(DigestError::OutOfRange));
		assert_eq!(quantize(1.0, 13), Err(DigestError::PrecisionTooHigh));
		assert_eq!(quantize(9.2e6, 12), Ok(9_200_000_000_000_000_000));
	}

	#[test]
	fn digest_ignores_output_order() {
		let a = tensor("a", vec![1, 2]);
		let b = tensor("b", vec![3]);
		assert_eq!(canonical_digest(&[a.clone(), b.clone()], 4), canonical_digest(&[b, a], 4));
	}

	#[test]
	fn digest_covers_every_field() {
		let base = tensor("out", vec![1, 2, 3, 4]);
		let digest = canonical_digest(core::slice::from_ref(&base), 4).unwrap();

		let mut renamed = base.clone();
		renamed.name = b"other".to_vec();
		let mut retyped = base.clone();
		retyped.element_type = ElementType::F64;
		let mut reshaped = base.clone();
		reshaped.shape = vec![2, 2];
		let mut changed = base.clone();
		changed.values[3] = 5;

		for variant in [renamed, retyped, reshaped, changed] {
			assert_ne!(canonical_digest(&[variant], 4).unwrap(), digest);
		}
		assert_ne!(canonical_digest(&[base], 5).unwrap(), digest, "precision is covered");
	}

	#[test]
	fn digest_rejects_inconsistent_outputs() {
		let mut bad_shape = tensor("x", vec![1, 2]);
		bad_shape.shape = vec![3];
		assert_eq!(canonical_digest(&[bad_shape], 2), Err(DigestError::ShapeMismatch));
		let dup = tensor("x", vec![1]);
		assert_eq!(canonical_digest(&[dup.clone(), dup], 2), Err(DigestError::DuplicateName));
		assert_eq!(canonical_digest(&[], 13), Err(DigestError::PrecisionTooHigh));
	}

	#[test]
	fn digest_of_known_input_is_stable() {
		// Pins the layout: if this changes, every stored digest on every chain changes.
		let digest = canonical_digest(&[tensor("y", vec![-1, 0, 7])], 3).unwrap();
		let mut expected = Vec::new();
		expected.extend_from_slice(b"mosaic/output-digest/v1");
		expected.push(3);
		expected.extend_from_slice(&1u32.to_le_bytes());
		expected.extend_from_slice(&1u32.to_le_bytes());
		expected.push(b'y');
		expected.push(1);
		expected.extend_from_slice(&1u32.to_le_bytes());
		expected.extend_from_slice(&3u64.to_le_bytes());
		for v in [-1i64, 0, 7] {
			expected.extend_from_slice(&v.to_le_bytes());
		}
		assert_eq!(digest, sp_crypto_hashing::blake2_256(&expected));
	}

	#[test]
	fn tolerance_compares_element_wise() {
		let a = [tensor("o", vec![100, 200])];
		let b = [tensor("o", vec![101, 199])];
		assert!(within_tolerance(&a, &b, 1));
		assert!(!within_tolerance(&a, &b, 0));
		let c = [tensor("p", vec![100, 200])];
		assert!(!within_tolerance(&a, &c, 10));
	}
}
