//! Node-level tests: each one runs a JavaScript test file from `tests/node/` under Node's
//! test runner. Those files start this crate's real `mosaic-node` binary and talk to it
//! through @polkadot/api. Running them from here puts them in the nextest summary.

use std::{path::PathBuf, process::Command};

fn repo_root() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run_js_test(file: &str) {
	let tests_dir = repo_root().join("tests");
	assert!(
		tests_dir.join("node_modules/@polkadot/api").is_dir(),
		"@polkadot/api is not installed in tests/: run scripts/setup.sh"
	);
	let logs = std::env::temp_dir().join(format!("mosaic-node-logs-{}-{file}", std::process::id()));
	std::fs::create_dir_all(&logs).expect("a directory for the nodes' logs");
	let output = Command::new("node")
		.args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
		.arg(format!("node/{file}"))
		.current_dir(&tests_dir)
		.env("MOSAIC_NODE_BIN", env!("CARGO_BIN_EXE_mosaic-node"))
		.env("MOSAIC_NODE_LOG_DIR", &logs)
		// The off-chain worker's every step, for the logs printed on a failure.
		.env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "runtime::jobs=debug".into()))
		.output()
		.expect("`node` (Node.js) must be installed: run scripts/setup.sh");
	print!("{}", String::from_utf8_lossy(&output.stdout));
	eprint!("{}", String::from_utf8_lossy(&output.stderr));
	if !output.status.success() {
		print_node_logs(&logs);
	}
	let _ = std::fs::remove_dir_all(&logs);
	assert!(output.status.success(), "{file} failed: {}", output.status);
}

/// Lines of a node's log that explain a failed test: Mosaic's own (the off-chain worker's
/// steps, fetches, runs), warnings and errors, and the blocks imported, so that a failure seen
/// only in CI can be read from CI's output.
const TELLING: &[&str] = &["runtime::jobs", "mosaic", " WARN ", " ERROR ", "Imported #", "Reorg"];
/// The last this many telling lines of each node's log.
const LINES_PER_LOG: usize = 400;

fn print_node_logs(dir: &std::path::Path) {
	let Ok(entries) = std::fs::read_dir(dir) else { return };
	let mut logs: Vec<_> = entries.flatten().map(|e| e.path()).collect();
	logs.sort();
	for log in logs {
		let text = std::fs::read_to_string(&log).unwrap_or_default();
		let telling: Vec<&str> =
			text.lines().filter(|line| TELLING.iter().any(|t| line.contains(t))).collect();
		let skip = telling.len().saturating_sub(LINES_PER_LOG);
		println!("──── {} (last {} telling lines)", log.display(), telling.len() - skip);
		for line in &telling[skip..] {
			println!("{line}");
		}
	}
}

#[test]
fn dev_chain() {
	run_js_test("dev-chain.test.mjs");
}

#[test]
fn two_validators() {
	run_js_test("two-validators.test.mjs");
}

#[test]
fn blobs() {
	run_js_test("blobs.test.mjs");
}

/// Blobs registered by URI: fetched and checked by the worker whose job needs them.
#[test]
fn remote_blobs() {
	run_js_test("remote-blobs.test.mjs");
}

#[test]
fn jobs_dev() {
	run_js_test("jobs-dev.test.mjs");
}

/// Real-size models: a 117 MB model registered by URI runs on three validators; a fourth,
/// warp-synced, gets it and a sealed input from its peers only.
#[test]
fn big_models() {
	run_js_test("big-models.test.mjs");
}

#[test]
fn jobs_three_workers() {
	run_js_test("jobs-three-workers.test.mjs");
}

#[test]
fn rewards_dev() {
	run_js_test("rewards-dev.test.mjs");
}

/// A training job on `--dev`: trained in the off-chain worker, parameters stored as a blob.
#[test]
fn training_dev() {
	run_js_test("training-dev.test.mjs");
}

/// Federated rounds on `--dev`: public and private shards, aggregation, a new version, rewards.
#[test]
fn rounds_dev() {
	run_js_test("rounds-dev.test.mjs");
}

/// The zombienet tests (`zombienet/*.zndsl`): four validators through `scripts/test-network.sh`.
#[test]
fn zombienet_local_testnet() {
	let output = Command::new(repo_root().join("scripts/test-network.sh"))
		.arg("zombienet/local-testnet.zndsl")
		.current_dir(repo_root())
		.env("MOSAIC_NODE_BIN", env!("CARGO_BIN_EXE_mosaic-node"))
		.output()
		.expect("scripts/test-network.sh runs");
	print!("{}", String::from_utf8_lossy(&output.stdout));
	eprint!("{}", String::from_utf8_lossy(&output.stderr));
	assert!(output.status.success(), "zombienet tests failed: {}", output.status);
}

#[test]
fn mosaic_rpc() {
	run_js_test("mosaic-rpc.test.mjs");
}

#[test]
fn walkthrough() {
	run_js_test("walkthrough.test.mjs");
}
