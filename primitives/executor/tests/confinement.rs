//! The sandbox child as the kernel sees it: its limits, its seccomp filter and its
//! environment, read from `/proc` while it serves.

mod common;

use common::{fixtures, pb_tensors, read};
use mosaic_executor::{sandbox, Kernels, Limits};

const MEMORY_LIMIT: u64 = 2 << 30;

fn sandbox(args: &[&str]) -> sandbox::Sandbox {
	sandbox::Sandbox::new(sandbox::SandboxConfig {
		program: env!("CARGO_BIN_EXE_mosaic-executor-sandbox").into(),
		args: args.iter().map(|a| a.to_string()).collect(),
		memory_limit_bytes: MEMORY_LIMIT,
		limits: Limits::default(),
		kernels: Kernels::Native,
		threads: 1,
	})
}

/// The pid of this process's only child.
fn child_pid() -> u32 {
	let me = std::process::id().to_string();
	let children: Vec<u32> = std::fs::read_dir("/proc")
		.unwrap()
		.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
		.filter(|pid| {
			let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
			// `pid (comm) state ppid ...`; comm may hold spaces, so split after its `)`.
			stat.rsplit_once(')')
				.and_then(|(_, rest)| rest.split_whitespace().nth(1).map(|ppid| ppid == me))
				.unwrap_or(false)
		})
		.collect();
	assert_eq!(children.len(), 1, "children: {children:?}");
	children[0]
}

/// `(soft, hard)` of the line of `/proc/<pid>/limits` that starts with `name`.
fn limit(limits: &str, name: &str) -> (String, String) {
	let line = limits.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}"));
	let mut words = line[name.len()..].split_whitespace();
	(words.next().unwrap().to_string(), words.next().unwrap().to_string())
}

fn serve_one_model(sandbox: &sandbox::Sandbox) {
	let root = fixtures();
	let model = read(root.join("models/mlp/model.onnx"));
	let inputs = pb_tensors(&root.join("models/mlp"), "input");
	sandbox.run(&model, &inputs, 3).expect("a confined child still runs models");
}

#[test]
fn the_child_runs_under_limits_a_seccomp_filter_and_an_empty_environment() {
	let sandbox = sandbox(&[]);
	serve_one_model(&sandbox);
	let pid = child_pid();
	let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
	let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
	let field = |name: &str| {
		status
			.lines()
			.find_map(|l| l.strip_prefix(name))
			.map(|v| v.trim().to_string())
			.unwrap_or_else(|| panic!("{name} in {status}"))
	};
	assert_eq!(field("NoNewPrivs:"), "1");
	assert_eq!(field("Seccomp:"), "2", "2 is a seccomp filter");
	assert_eq!(
		limit(&limits, "Max address space"),
		(MEMORY_LIMIT.to_string(), MEMORY_LIMIT.to_string())
	);
	assert_eq!(limit(&limits, "Max file size"), ("0".into(), "0".into()));
	assert_eq!(limit(&limits, "Max core file size"), ("0".into(), "0".into()));
	let (open_files, _) = limit(&limits, "Max open files");
	assert!(open_files.parse::<u64>().unwrap() <= 64, "{open_files}");
	// The CPU budget of the request being served (a wall-time budget and the plan's slack),
	// counted from what the child had used before it.
	let (cpu, _) = limit(&limits, "Max cpu time");
	let cpu: u64 = cpu.parse().unwrap_or_else(|_| panic!("no CPU limit: {cpu}"));
	let budget = (Limits::default().max_wall_time + sandbox::PLAN_SLACK).as_secs();
	assert!((budget..budget + 10).contains(&cpu), "{cpu} s for a {budget} s budget");
	let environment = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
	assert!(environment.is_empty(), "{}", String::from_utf8_lossy(&environment));
}

#[test]
fn a_child_on_a_kernel_without_landlock_or_seccomp_warns_and_still_serves() {
	let sandbox = sandbox(&[sandbox::PRETEND_UNCONFINABLE]);
	serve_one_model(&sandbox);
	let status = std::fs::read_to_string(format!("/proc/{}/status", child_pid())).unwrap();
	assert!(status.lines().any(|l| l == "Seccomp:\t0"), "{status}");
	let messages = sandbox.child_messages();
	for layer in ["Landlock", "seccomp"] {
		assert!(
			messages
				.iter()
				.any(|m| m.starts_with(&format!("warning: sandbox without {layer}"))),
			"{messages:?}"
		);
	}
}

/// Set in a copy of this test binary that confines itself and reports what it can do.
const PROBE: &str = "MOSAIC_CONFINEMENT_PROBE";

fn errno_of(result: libc::c_long) -> String {
	if result >= 0 {
		"ok".into()
	} else {
		std::io::Error::last_os_error()
			.raw_os_error()
			.map_or("?".into(), |e| e.to_string())
	}
}

/// In the probe copy: confines itself as the sandbox child does, then tries what a child
/// must not do and prints `probe <what>=<ok|errno>` lines.
fn probe() {
	let pretend = std::env::var(PROBE).unwrap() == "unconfinable";
	mosaic_executor::confine::limit_resources(MEMORY_LIMIT).unwrap();
	let confinement = mosaic_executor::confine::confine(pretend);
	println!("probe landlock={:?} seccomp={}", confinement.landlock_abi, confinement.seccomp);
	// SAFETY: plain system calls on constant arguments; a forked child exits at once.
	unsafe {
		let socket = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
		println!("probe socket={}", errno_of(socket as libc::c_long));
		let path =
			std::ffi::CString::new(format!("/tmp/mosaic-probe-{}", std::process::id())).unwrap();
		let created = libc::open(path.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o600);
		println!("probe create={}", errno_of(created as libc::c_long));
		libc::unlink(path.as_ptr());
		let passwd = std::ffi::CString::new("/etc/passwd").unwrap();
		let read = libc::open(passwd.as_ptr(), libc::O_RDONLY);
		println!("probe read={}", errno_of(read as libc::c_long));
		let forked = libc::fork();
		if forked == 0 {
			libc::_exit(0);
		}
		println!("probe fork={}", errno_of(forked as libc::c_long));
	}
	let thread = std::thread::spawn(|| 7).join().map(|v| v == 7).unwrap_or(false);
	println!("probe thread={}", if thread { "ok" } else { "failed" });
}

/// Runs this very test in a copy of the binary with [`PROBE`] set to `mode`; its
/// `probe` lines as `what=result` pairs.
fn run_probe(test: &str, mode: &str) -> (Vec<(String, String)>, String) {
	let output = std::process::Command::new(std::env::current_exe().unwrap())
		.args(["--exact", test, "--nocapture", "--test-threads=1"])
		.env(PROBE, mode)
		.output()
		.unwrap();
	let stdout = String::from_utf8_lossy(&output.stdout);
	let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
	assert!(output.status.success(), "{stdout}\n{stderr}");
	let results = stdout
		.lines()
		// libtest starts its `test ... ` line before the test prints.
		.filter_map(|l| l.split_once("probe ").map(|(_, rest)| rest))
		.flat_map(|l| l.split(' '))
		.filter_map(|pair| pair.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
		.collect();
	(results, stderr)
}

fn result_of<'a>(results: &'a [(String, String)], what: &str) -> &'a str {
	results
		.iter()
		.find(|(k, _)| k == what)
		.map(|(_, v)| v.as_str())
		.unwrap_or_else(|| panic!("{what} in {results:?}"))
}

#[test]
fn a_confined_process_has_no_network_no_files_and_no_new_processes_but_threads() {
	const TEST: &str =
		"a_confined_process_has_no_network_no_files_and_no_new_processes_but_threads";
	if std::env::var_os(PROBE).is_some() {
		return probe();
	}
	let (eperm, eacces) = (libc::EPERM.to_string(), libc::EACCES.to_string());
	let (confined, _) = run_probe(TEST, "confined");
	assert_ne!(result_of(&confined, "landlock"), "None", "{confined:?}");
	assert_eq!(result_of(&confined, "seccomp"), "true");
	assert_eq!(result_of(&confined, "socket"), eperm);
	assert_eq!(result_of(&confined, "create"), eacces);
	assert_eq!(result_of(&confined, "read"), eacces);
	assert_eq!(result_of(&confined, "fork"), eperm);
	assert_eq!(result_of(&confined, "thread"), "ok");

	// The fallback: the same process on a kernel without either layer runs on, and says so.
	let (unconfined, stderr) = run_probe(TEST, "unconfinable");
	for what in ["socket", "create", "read", "fork", "thread"] {
		assert_eq!(result_of(&unconfined, what), "ok", "{what}");
	}
	assert!(stderr.contains("warning: sandbox without Landlock"), "{stderr}");
	assert!(stderr.contains("warning: sandbox without seccomp"), "{stderr}");
}
