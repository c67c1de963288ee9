//! NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), little-endian, C order.

use crate::{
	error::{ExecutorError, Result},
	tensor::{Tensor, Values},
};

const MAGIC: &[u8] = b"\x93NUMPY";

fn bad(why: impl Into<String>) -> ExecutorError {
	ExecutorError::MalformedInput(format!(".npy: {}", why.into()))
}

/// Decodes a `.npy` file into a tensor called `name`.
pub fn decode(name: &str, bytes: &[u8]) -> Result<Tensor> {
	if bytes.len() < 10 || &bytes[..6] != MAGIC {
		return Err(bad("not a .npy file (bad magic)"));
	}
	let major = bytes[6];
	let (header_len, header_start) = match major {
		1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
		2 | 3 => {
			if bytes.len() < 12 {
				return Err(bad("truncated header"));
			}
			(u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
		},
		v => return Err(bad(format!("unsupported format version {v}"))),
	};
	let header_end = header_start
		.checked_add(header_len)
		.filter(|end| *end <= bytes.len())
		.ok_or_else(|| bad("truncated header"))?;
	let header = std::str::from_utf8(&bytes[header_start..header_end])
		.map_err(|_| bad("header is not text"))?;
	let descr = dict_value(header, "descr").ok_or_else(|| bad("header has no descr"))?;
	let fortran = dict_value(header, "fortran_order").ok_or_else(|| bad("no fortran_order"))?;
	let shape = dict_value(header, "shape").ok_or_else(|| bad("header has no shape"))?;
	if fortran.trim() != "False" {
		return Err(bad("Fortran-order arrays are not supported"));
	}
	let shape = parse_shape(shape)?;
	let count = shape
		.iter()
		.try_fold(1usize, |acc, d| acc.checked_mul(*d))
		.ok_or_else(|| bad("shape overflows"))?;
	let data = &bytes[header_end..];
	let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');

	let values = match descr {
		"<f4" => Values::F32(read_le(data, count, f32::from_le_bytes)?),
		"<f8" => Values::F64(read_le(data, count, f64::from_le_bytes)?),
		"<i8" => Values::I64(read_le(data, count, i64::from_le_bytes)?),
		"<i4" => Values::I32(read_le(data, count, i32::from_le_bytes)?),
		"|i1" => Values::I8(read_le(data, count, i8::from_le_bytes)?),
		"|u1" => Values::U8(read_le(data, count, u8::from_le_bytes)?),
		"|b1" => Values::Bool(read_le(data, count, |b: [u8; 1]| b[0] != 0)?),
		other => return Err(bad(format!("unsupported dtype {other}"))),
	};
	Tensor::new(name, shape, values)
}

fn read_le<const N: usize, T>(data: &[u8], count: usize, from: fn([u8; N]) -> T) -> Result<Vec<T>> {
	let needed = count.checked_mul(N).ok_or_else(|| bad("data size overflows"))?;
	if data.len() != needed {
		return Err(bad(format!("expected {needed} data bytes, found {}", data.len())));
	}
	Ok(data
		.chunks_exact(N)
		.map(|c| from(c.try_into().expect("chunks_exact gives N bytes")))
		.collect())
}

/// The text of `key`'s value in a NumPy header dict such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
	let start = header
		.find(&format!("'{key}'"))
		.or_else(|| header.find(&format!("\"{key}\"")))?;
	let rest = &header[start + key.len() + 2..];
	let rest = rest.trim_start().strip_prefix(':')?.trim_start();
	let end = if rest.starts_with('(') {
		rest.find(')')? + 1
	} else {
		rest.find(',').unwrap_or(rest.len())
	};
	Some(&rest[..end])
}

fn parse_shape(text: &str) -> Result<Vec<usize>> {
	let inner = text
		.trim()
		.strip_prefix('(')
		.and_then(|t| t.strip_suffix(')'))
		.ok_or_else(|| bad("shape is not a tuple"))?;
	inner
		.split(',')
		.map(str::trim)
		.filter(|s| !s.is_empty())
		.map(|s| s.parse::<usize>().map_err(|_| bad(format!("bad dimension {s}"))))
		.collect()
}

/// Encodes a tensor as a version 1.0 `.npy` file.
pub fn encode(tensor: &Tensor) -> Vec<u8> {
	let descr = match &tensor.values {
		Values::F32(_) => "<f4",
		Values::F64(_) => "<f8",
		Values::I64(_) => "<i8",
		Values::I32(_) => "<i4",
		Values::I8(_) => "|i1",
		Values::U8(_) => "|u1",
		Values::Bool(_) => "|b1",
	};
	let shape = match tensor.shape.len() {
		1 => format!("({},)", tensor.shape[0]),
		_ => format!(
			"({})",
			tensor.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
		),
	};
	let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
	// Pad with spaces so the data starts on a 64-byte boundary, ending with a newline.
	let unpadded = MAGIC.len() + 4 + header.len() + 1;
	header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
	header.push('\n');

	let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + tensor.byte_size());
	out.extend_from_slice(MAGIC);
	out.extend_from_slice(&[1, 0]);
	out.extend_from_slice(&(header.len() as u16).to_le_bytes());
	out.extend_from_slice(header.as_bytes());
	match &tensor.values {
		Values::F32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
		Values::F64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
		Values::I64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
		Values::I32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
		Values::I8(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
		Values::U8(v) => out.extend_from_slice(v),
		Values::Bool(v) => v.iter().for_each(|x| out.push(*x as u8)),
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn round_trips_every_type() {
		let cases = vec![
			Tensor::new("a", vec![2, 3], Values::F32(vec![1.0, -2.5, 3.25, 0.0, 1e-7, 7.0]))
				.unwrap(),
			Tensor::new("b", vec![2], Values::F64(vec![1.5, -0.25])).unwrap(),
			Tensor::new("c", vec![1, 1, 2], Values::I64(vec![i64::MIN, i64::MAX])).unwrap(),
			Tensor::new("d", vec![3], Values::I32(vec![-1, 0, 1])).unwrap(),
			Tensor::new("e", vec![2], Values::I8(vec![-128, 127])).unwrap(),
			Tensor::new("f", vec![2], Values::U8(vec![0, 255])).unwrap(),
			Tensor::new("g", vec![3], Values::Bool(vec![true, false, true])).unwrap(),
			Tensor::new("h", vec![], Values::F32(vec![42.0])).unwrap(),
		];
		for tensor in cases {
			let bytes = encode(&tensor);
			assert_eq!(
				(MAGIC.len() + 4 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize) % 64,
				0
			);
			assert_eq!(decode(&tensor.name, &bytes).unwrap(), tensor);
		}
	}

	#[test]
	fn rejects_malformed_files() {
		let good = encode(&Tensor::new("x", vec![2], Values::F32(vec![1.0, 2.0])).unwrap());
		assert!(decode("x", &good[..good.len() - 1]).is_err(), "short data");
		assert!(decode("x", &good[..20]).is_err(), "truncated header");
		assert!(decode("x", b"not numpy at all").is_err(), "bad magic");
		let fortran = String::from_utf8_lossy(&good).replace("False", "True ");
		assert!(decode("x", fortran.as_bytes()).is_err(), "Fortran order");
		let big_endian = String::from_utf8_lossy(&good[..good.len() - 8]).replace("<f4", ">f4");
		let mut big_endian = big_endian.into_bytes();
		big_endian.extend_from_slice(&good[good.len() - 8..]);
		assert!(decode("x", &big_endian).is_err(), "big-endian dtype");
	}

	#[test]
	fn huge_declared_shape_is_an_error_not_an_allocation() {
		let mut bytes = encode(&Tensor::new("x", vec![1], Values::F32(vec![1.0])).unwrap());
		let text = String::from_utf8_lossy(&bytes).into_owned();
		let header_end = bytes.len() - 4;
		let patched = text[..header_end].replace("(1,)", "(99999999999,)");
		bytes = patched.into_bytes();
		bytes.extend_from_slice(&1.0f32.to_le_bytes());
		assert!(matches!(decode("x", &bytes), Err(ExecutorError::MalformedInput(_))));
	}
}
