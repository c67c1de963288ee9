//! `mosaic-node`: the Mosaic chain's node.
#![warn(missing_docs)]
// The node returns Substrate's own `sc_cli::Error` and `sc_service::Error` (176 bytes) as the
// solochain template does; boxing them at every call would only obscure the template's shape.
#![allow(clippy::result_large_err)]

mod benchmarking;
mod blob_sharing;
mod blob_store;
mod chain_spec;
mod cli;
mod command;
mod executor_service;
mod fetch_service;
mod onnx_cli;
mod rpc;
mod service;
mod worker_locks;

fn main() -> sc_cli::Result<()> {
	command::run()
}
