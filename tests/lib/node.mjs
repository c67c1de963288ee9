// Starts the real mosaic-node binary for a test: free ports, a temporary base path, and
// cleanup that kills the process and removes its files even when the test fails.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream, readFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';

export const NODE_BIN = process.env.MOSAIC_NODE_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/mosaic/target'), 'release/mosaic-node');

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs `mosaic-node <args>` to completion and returns its stdout. */
export function runNodeCommand(args) {
  return execFileSync(NODE_BIN, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Starts a node. `args` come after the port and base-path flags this helper sets.
 * `env` adds environment variables for the node; `basePath` restarts a killed node on its
 * database and keystore (a fresh temporary one otherwise). Returns
 * { api, rpcPort, p2pPort, basePath, logFile, stop, kill }: `stop` ends the node and removes
 * its files, `kill` ends it with SIGKILL (no clean shutdown) and keeps them.
 */
export async function startNode(name, args, { timeoutMs = 60_000, env = {}, basePath = null } = {}) {
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  basePath ??= mkdtempSync(join(tmpdir(), `mosaic-${name}-`));
  const logFile = join(basePath, 'node.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(NODE_BIN, [
    '--base-path', basePath,
    '--rpc-port', String(rpcPort),
    '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
    '--no-prometheus',
    '--no-telemetry',
    '--no-mdns',
    '--name', name,
    ...args,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const stop = async () => {
    if (exited === null) {
      child.kill('SIGINT');
      const done = await Promise.race([
        new Promise((resolve) => child.once('exit', () => resolve(true))),
        sleep(10_000).then(() => false),
      ]);
      if (!done) child.kill('SIGKILL');
    }
    // MOSAIC_NODE_LOG_DIR (set by node/tests/node_level.rs) collects the logs, which it prints
    // from when a test fails; MOSAIC_KEEP_NODE_FILES=1 keeps base paths and logs.
    if (process.env.MOSAIC_NODE_LOG_DIR) {
      try {
        copyFileSync(logFile, join(process.env.MOSAIC_NODE_LOG_DIR, `${name}-${child.pid}.log`));
      } catch (e) {
        console.log(`${name}'s log not kept: ${e.message}`);
      }
    }
    if (!process.env.MOSAIC_KEEP_NODE_FILES) rmSync(basePath, { recursive: true, force: true });
  };
  process.once('exit', () => { if (exited === null) child.kill('SIGKILL'); });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) {
      await sleep(200);
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`${name} exited early (${JSON.stringify(exited)}); log ${logFile}:\n${tail}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name}: RPC on port ${rpcPort} not ready within ${timeoutMs} ms`);
    }
    if (await rpcAnswers(rpcPort)) break;
    await sleep(500);
  }
  const api = await ApiPromise.create({ provider: new WsProvider(`ws://127.0.0.1:${rpcPort}`), noInitWarn: true });
  const stopAll = async () => { await api.disconnect().catch(() => {}); await stop(); };
  const kill = async () => {
    if (exited === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    await api.disconnect().catch(() => {});
  };
  return { api, rpcPort, p2pPort, basePath, logFile, pid: child.pid, stop: stopAll, kill };
}

/** Whether a JSON-RPC call over HTTP answers on `port`. */
/** CPU seconds a process has used, and its peak resident memory in bytes (Linux `/proc`). */
export function processUsage(pid) {
  // Fields after `(comm)`: state is the first, utime and stime the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  const cpu = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) * 1024;
  return { cpu, peak };
}

export async function rpcAnswers(port) {
  try {
    const body = await rpcCall(port, 'system_health', []);
    return body.result !== undefined;
  } catch {
    return false;
  }
}

/** One JSON-RPC call over HTTP, without @polkadot/api (for raw checks). */
export async function rpcCall(port, method, params) {
  const response = await fetch(`http://127.0.0.1:${port}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return response.json();
}

/** Closes HTTP `server` and every connection to it, kept-alive ones too; resolves once closed. */
export function closeServer(server) {
  return new Promise((resolve, reject) => {
    server.close((e) => (e ? reject(e) : resolve()));
    server.closeAllConnections();
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor(predicate, timeoutMs, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** Resolves with the first finalized header whose number is at least `height`. */
export function waitForFinalized(api, height, timeoutMs) {
  return new Promise((resolve, reject) => {
    let unsub = null;
    const timer = setTimeout(() => { unsub?.(); reject(new Error(`finalized height ${height} not reached in ${timeoutMs} ms`)); }, timeoutMs);
    api.rpc.chain.subscribeFinalizedHeads((header) => {
      if (header.number.toNumber() >= height) {
        clearTimeout(timer);
        unsub?.();
        resolve(header);
      }
    }).then((u) => { unsub = u; }, reject);
  });
}

/** BABE pre-digest kinds (`sp_consensus_babe::digests::PreDigest`'s SCALE indices). */
export const BABE_PRIMARY = 1;
export const BABE_SECONDARY_PLAIN = 2;
export const BABE_SECONDARY_VRF = 3;

/**
 * The BABE pre-runtime digest of `header`, decoded by hand (no custom types): its kind (one
 * of the constants above), the author's index in the epoch's authorities, and the slot.
 * Throws when the header has none.
 */
export function babePreDigest(header) {
  const log = header.digest.logs.find((l) => l.isPreRuntime && l.asPreRuntime[0].toString() === 'BABE');
  if (!log) throw new Error(`block ${header.number.toNumber()} has no BABE pre-runtime digest`);
  const bytes = log.asPreRuntime[1].toU8a(true);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // enum index (u8), then authority_index (u32 LE) and slot (u64 LE) in every variant.
  return { kind: bytes[0], authorityIndex: view.getUint32(1, true), slot: view.getBigUint64(5, true) };
}
