//! `mosaic-node`: the Mosaic chain's node.
#![warn(missing_docs)]

mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod executor_service;
mod onnx_cli;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
