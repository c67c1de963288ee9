//! Stand-alone sandbox child for tests and tools: `mosaic-executor-sandbox [--key=value ...]`.
//! The node serves the same protocol as `mosaic-node onnx serve`.

fn main() {
	let args: Vec<String> = std::env::args().skip(1).collect();
	let options = match mosaic_executor::sandbox::parse_child_args(&args) {
		Ok(options) => options,
		Err(e) => {
			eprintln!("mosaic-executor-sandbox: {e}");
			std::process::exit(2);
		},
	};
	if let Err(e) = mosaic_executor::sandbox::child_main(options) {
		eprintln!("mosaic-executor-sandbox: {e}");
		std::process::exit(1);
	}
}
