//! Command-line interface: Substrate's standard node flags plus Mosaic's subcommands.

/// Subcommands of `mosaic-node`. Without one, the node runs.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: `generate`, `insert`, `inspect`, ...
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (`--raw` for the storage form).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a chain (preset or file).
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmarks (pallet benchmarks need the `runtime-benchmarks` feature).
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Run or check ONNX models with the same executor and limits as the off-chain worker.
	#[command(subcommand)]
	Onnx(crate::onnx_cli::OnnxCmd),
}

/// The node's command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Flags of a running node.
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// How this node's off-chain worker runs jobs.
	#[clap(flatten)]
	pub worker: WorkerFlags,

	/// Flags for tests of misbehaviour. Refused on any chain that is not a development or
	/// local chain.
	#[clap(flatten)]
	pub test_only: TestOnlyFlags,
}

/// How the node's executor runs the jobs its off-chain worker takes.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerFlags {
	/// Threads one job's run may use, 1 or 2. Outputs are the same bits either way; two
	/// threads halve a large model's run time but take the core that imports and authors
	/// blocks on a two-core validator (docs/decisions.md).
	#[arg(long = "executor-threads", default_value_t = 1,
		value_parser = clap::value_parser!(u8).range(1..=mosaic_executor::MAX_THREADS as i64))]
	pub executor_threads: u8,
}

/// Flags that make a node misbehave, for tests. Each is named `--test-only-…`, and the node
/// refuses to start with one unless its chain spec's type is `Development` or `Local`, so
/// none can be switched on by accident on a live network.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TestOnlyFlags {
	/// TEST ONLY: this node's worker reports every output value one quantisation step off,
	/// so the quorum must outvote and slash it.
	#[arg(long = "test-only-dishonest-worker")]
	pub dishonest_worker: bool,
}

impl TestOnlyFlags {
	/// Whether any test-only flag is set.
	pub fn any(&self) -> bool {
		self.dishonest_worker
	}
}
