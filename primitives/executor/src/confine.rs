//! What the sandbox child may do besides computing: nothing the kernel can take away.
//!
//! Applied by the child to itself before it reads its first request, in this order:
//! - resource limits: address space (the node's memory), file size 0 (no disk), no core
//!   dumps, a handful of open files, and per request a CPU-time budget ([`limit_cpu`]);
//! - `no_new_privs`, then Landlock with every filesystem right handled and none granted (no
//!   file may be opened, read or written; ABI 4 adds TCP bind and connect, ABI 6 signals and
//!   abstract sockets outside the child);
//! - a seccomp filter that refuses sockets, `exec`, new processes (threads stay allowed),
//!   `ptrace` and the calls that change namespaces, mounts, keys or the kernel.
//!
//! A kernel without Landlock or seccomp leaves the child with its resource limits and a
//! warning on its stderr (which the parent logs); the model still runs. Threads started
//! later inherit everything.

use std::io;

/// The Landlock and seccomp layers that are in force in this process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Confinement {
	/// Landlock ABI version the ruleset was built for, if the kernel has Landlock.
	pub landlock_abi: Option<u32>,
	/// Whether the seccomp filter is installed.
	pub seccomp: bool,
}

/// Most files the child may hold open (its three standard streams and a few for the
/// runtime).
pub const MAX_OPEN_FILES: u64 = 64;

/// Sets the child's fixed resource limits: `address_space` bytes of memory, no file
/// writes (pipes are not files), no core dumps, at most [`MAX_OPEN_FILES`] files.
pub fn limit_resources(address_space: u64) -> io::Result<()> {
	set_limit(libc::RLIMIT_AS, address_space, address_space)?;
	set_limit(libc::RLIMIT_FSIZE, 0, 0)?;
	set_limit(libc::RLIMIT_CORE, 0, 0)?;
	set_limit(libc::RLIMIT_NOFILE, MAX_OPEN_FILES, MAX_OPEN_FILES)
}

/// Lets the request about to be served use `seconds` of CPU time on top of what the child
/// has used so far; past it the kernel ends the child (`SIGXCPU`). The hard limit stays
/// open so the next request can be given its own budget.
pub fn limit_cpu(seconds: u64) -> io::Result<()> {
	// SAFETY: getrusage writes a rusage struct we own.
	let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
	if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
		return Err(io::Error::last_os_error());
	}
	let used = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1;
	// `u64::MAX` is `RLIM_INFINITY`.
	set_limit(libc::RLIMIT_CPU, used as u64 + seconds, u64::MAX)
}

#[cfg(target_os = "linux")]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(target_os = "linux"))]
type Resource = libc::c_int;

fn set_limit(resource: Resource, soft: u64, hard: u64) -> io::Result<()> {
	let limit = libc::rlimit { rlim_cur: soft as libc::rlim_t, rlim_max: hard as libc::rlim_t };
	// SAFETY: setrlimit reads a valid, initialised rlimit struct.
	if unsafe { libc::setrlimit(resource, &limit) } != 0 {
		return Err(io::Error::last_os_error());
	}
	Ok(())
}

/// Applies Landlock and seccomp as far as the kernel offers them, and says on stderr what
/// it could not apply. `pretend_unsupported` (tests of the fallback only) acts as a kernel
/// with neither.
pub fn confine(pretend_unsupported: bool) -> Confinement {
	let mut confinement = Confinement::default();
	if pretend_unsupported {
		eprintln!("warning: sandbox without Landlock: pretending the kernel lacks it");
		eprintln!("warning: sandbox without seccomp: pretending the kernel lacks it");
		return confinement;
	}
	// SAFETY: prctl with PR_SET_NO_NEW_PRIVS takes integer arguments only.
	if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
		eprintln!("warning: sandbox without no_new_privs: {}", io::Error::last_os_error());
		return confinement;
	}
	match landlock::restrict() {
		Ok(abi) => confinement.landlock_abi = Some(abi),
		Err(e) => eprintln!("warning: sandbox without Landlock: {e}"),
	}
	match seccomp::install() {
		Ok(()) => confinement.seccomp = true,
		Err(e) => eprintln!("warning: sandbox without seccomp: {e}"),
	}
	confinement
}

#[cfg(target_os = "linux")]
mod landlock {
	use std::io;

	const CREATE_RULESET_VERSION: u32 = 1;
	/// Filesystem rights by the ABI that introduced them: 13 in ABI 1, `REFER` in 2,
	/// `TRUNCATE` in 3, `IOCTL_DEV` in 5.
	fn filesystem_rights(abi: u32) -> u64 {
		let mut rights = (1 << 13) - 1;
		if abi >= 2 {
			rights |= 1 << 13;
		}
		if abi >= 3 {
			rights |= 1 << 14;
		}
		if abi >= 5 {
			rights |= 1 << 15;
		}
		rights
	}

	#[repr(C)]
	struct RulesetAttr {
		handled_access_fs: u64,
		handled_access_net: u64,
		scoped: u64,
	}

	/// A ruleset that handles every right the kernel knows and grants none, enforced on
	/// this process. Returns the ABI version.
	pub fn restrict() -> io::Result<u32> {
		// SAFETY: with a null attribute and the version flag the call only returns a number.
		let abi = unsafe {
			libc::syscall(
				libc::SYS_landlock_create_ruleset,
				std::ptr::null::<RulesetAttr>(),
				0usize,
				CREATE_RULESET_VERSION,
			)
		};
		if abi < 1 {
			return Err(io::Error::last_os_error());
		}
		let abi = abi as u32;
		let attr = RulesetAttr {
			handled_access_fs: filesystem_rights(abi),
			// TCP bind and connect (ABI 4).
			handled_access_net: if abi >= 4 { 0b11 } else { 0 },
			// Abstract unix sockets and signals outside the domain (ABI 6).
			scoped: if abi >= 6 { 0b11 } else { 0 },
		};
		// A kernel that knows fewer fields than we pass accepts them as long as they are zero.
		let size = if abi >= 6 {
			24
		} else if abi >= 4 {
			16
		} else {
			8
		};
		// SAFETY: attr is a valid ruleset attribute of at least `size` bytes.
		let fd = unsafe {
			libc::syscall(
				libc::SYS_landlock_create_ruleset,
				&attr as *const RulesetAttr,
				size,
				0u32,
			)
		};
		if fd < 0 {
			return Err(io::Error::last_os_error());
		}
		// SAFETY: fd is the ruleset just created; it is closed whatever the outcome.
		let restricted =
			unsafe { libc::syscall(libc::SYS_landlock_restrict_self, fd as i32, 0u32) };
		let error = io::Error::last_os_error();
		unsafe { libc::close(fd as i32) };
		if restricted != 0 {
			return Err(error);
		}
		Ok(abi)
	}
}

#[cfg(not(target_os = "linux"))]
mod landlock {
	pub fn restrict() -> std::io::Result<u32> {
		Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "not Linux"))
	}
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod seccomp {
	use std::io;

	const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
	/// Syscalls numbered from here are the x32 ABI, which would bypass a number check.
	const X32_SYSCALL_BIT: u32 = 0x4000_0000;
	const CLONE_THREAD: u32 = 0x0001_0000;

	// Classic BPF opcodes.
	const LD_W_ABS: u16 = 0x20;
	const JEQ_K: u16 = 0x15;
	const JGE_K: u16 = 0x35;
	const JSET_K: u16 = 0x45;
	const RET_K: u16 = 0x06;

	// Offsets into `struct seccomp_data`.
	const NR: u32 = 0;
	const ARCH: u32 = 4;
	const ARG0_LOW: u32 = 16;

	/// Refused with `EPERM`: the network, other programs, new processes, other processes'
	/// memory, and the calls that change what the process can see of the system.
	const REFUSED: &[libc::c_long] = &[
		libc::SYS_socket,
		libc::SYS_socketpair,
		libc::SYS_connect,
		libc::SYS_bind,
		libc::SYS_listen,
		libc::SYS_accept,
		libc::SYS_accept4,
		libc::SYS_execve,
		libc::SYS_execveat,
		libc::SYS_fork,
		libc::SYS_vfork,
		libc::SYS_ptrace,
		libc::SYS_process_vm_readv,
		libc::SYS_process_vm_writev,
		libc::SYS_mount,
		libc::SYS_umount2,
		libc::SYS_pivot_root,
		libc::SYS_chroot,
		libc::SYS_unshare,
		libc::SYS_setns,
		libc::SYS_bpf,
		libc::SYS_perf_event_open,
		libc::SYS_userfaultfd,
		libc::SYS_io_uring_setup,
		libc::SYS_keyctl,
		libc::SYS_add_key,
		libc::SYS_request_key,
		libc::SYS_kexec_load,
		libc::SYS_init_module,
		libc::SYS_finit_module,
	];

	fn op(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
		libc::sock_filter { code, jt, jf, k }
	}

	fn program() -> Vec<libc::sock_filter> {
		let errno = |e: i32| libc::SECCOMP_RET_ERRNO | e as u32;
		let n = REFUSED.len();
		// Layout: arch check (3), number load and x32 check (2), the refused list (n),
		// clone3 and clone checks (4), then the three returns ALLOW, EPERM, ENOSYS.
		let allow = 5 + n + 4;
		let (eperm, enosys) = (allow + 1, allow + 2);
		let to = |target: usize, at: usize| (target - at - 1) as u8;
		let mut p = vec![
			op(LD_W_ABS, 0, 0, ARCH),
			op(JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
			op(RET_K, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),
			op(LD_W_ABS, 0, 0, NR),
		];
		p.push(op(JGE_K, to(eperm, p.len()), 0, X32_SYSCALL_BIT));
		for nr in REFUSED {
			p.push(op(JEQ_K, to(eperm, p.len()), 0, *nr as u32));
		}
		// clone3 passes its flags behind a pointer the filter cannot read: ENOSYS makes
		// the C library fall back to clone, whose flags it can.
		p.push(op(JEQ_K, to(enosys, p.len()), 0, libc::SYS_clone3 as u32));
		p.push(op(JEQ_K, 0, to(allow, p.len()), libc::SYS_clone as u32));
		p.push(op(LD_W_ABS, 0, 0, ARG0_LOW));
		p.push(op(JSET_K, to(allow, p.len()), to(eperm, p.len()), CLONE_THREAD));
		debug_assert_eq!(p.len(), allow);
		p.push(op(RET_K, 0, 0, libc::SECCOMP_RET_ALLOW));
		p.push(op(RET_K, 0, 0, errno(libc::EPERM)));
		p.push(op(RET_K, 0, 0, errno(libc::ENOSYS)));
		p
	}

	/// Installs the filter on every thread of the process (`no_new_privs` is set already).
	pub fn install() -> io::Result<()> {
		let mut filter = program();
		let program = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_mut_ptr() };
		// SAFETY: program points at `filter`, which outlives the call.
		let installed = unsafe {
			libc::syscall(
				libc::SYS_seccomp,
				libc::SECCOMP_SET_MODE_FILTER,
				libc::SECCOMP_FILTER_FLAG_TSYNC,
				&program as *const libc::sock_fprog,
			)
		};
		if installed != 0 {
			return Err(io::Error::last_os_error());
		}
		Ok(())
	}
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
mod seccomp {
	pub fn install() -> std::io::Result<()> {
		Err(std::io::Error::new(
			std::io::ErrorKind::Unsupported,
			"the filter is written for x86_64 Linux only",
		))
	}
}
