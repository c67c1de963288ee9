// The README's walkthrough, step by step, with the command-line client (scripts/mosaic) against
// a fresh `--dev` node: upload a model in chunks, register it, look it up, run a job and watch
// it settle with onnxruntime's output, let an era pass, see the pending reward and claim it.
// Also every failure the client must report with a message and a non-zero exit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { startNode } from '../lib/node.mjs';
import { FIXTURES, fixture, quantize } from '../lib/jobs.mjs';

const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const MOSAIC = join(dirname(fileURLToPath(import.meta.url)), '../../scripts/mosaic');
const model = (name, file) => join(FIXTURES, 'models', name, file);
let node;

before(async () => {
  await cryptoWaitReady();
  node = await startNode('walkthrough', ['--dev']);
});

after(async () => {
  await node?.stop();
});

/** Runs the client; resolves with { code, stdout, stderr }. */
function mosaic(...args) {
  return new Promise((resolve) => {
    execFile(MOSAIC, ['--url', `ws://127.0.0.1:${node.rpcPort}`, ...args], { timeout: 300_000 },
      (error, stdout, stderr) => resolve({ code: error ? error.code ?? 1 : 0, stdout, stderr }));
  });
}

async function ok(...args) {
  const run = await mosaic(...args);
  assert.equal(run.code, 0, `mosaic ${args.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** The numbers printed for output `name` by `job watch`, as onnxruntime-comparable integers. */
function printedValues(stdout, name, precision) {
  const line = stdout.split('\n').find((l) => l.trim().startsWith(`${name} [`));
  assert.ok(line, `no ${name} line in:\n${stdout}`);
  return line.split(':')[1].trim().split(' ').map((v) => Math.round(Number(v) * 10 ** precision));
}

test('the walkthrough: upload, register, run, watch, claim', async () => {
  const big = fixture('big_cnn');
  // 1. Upload the model (265 KiB: three chunks, with a progress bar on stderr).
  const upload = await ok('--seed', '//Alice', 'model', 'upload', model('big_cnn', 'model.onnx'));
  assert.equal(upload.stdout.trim(), big.hash);
  assert.match(upload.stderr, /3\/3 chunks/);

  // 2. Register it.
  const register = await ok('--seed', '//Alice', 'model', 'register', 'big-cnn', big.hash,
    '--inputs', 'image:f32:1x3x128x128', '--outputs', 'logits:f32:1x10', '--precision', '4', '--license', 'MIT');
  assert.match(register.stdout, /model 0 registered as big-cnn/);

  // 3. Look it up, by name and in the list.
  const show = await ok('model', 'show', 'big-cnn');
  assert.match(show.stdout, /model 0 big-cnn/);
  assert.match(show.stdout, /v1 Active blob 0x[0-9a-f]{64} in image:f32:1x3x128x128 out logits:f32:1x10 precision 4 royalty 10%/);
  assert.match((await ok('model', 'list')).stdout, /big-cnn/);

  // 4. Bob runs it on a NumPy input (stored as a blob) and watches it settle.
  const run = await ok('--seed', '//Bob', 'job', 'submit', '0', '1', model('big_cnn', 'input_0.npy'),
    '--fee', '0.002', '--watch');
  assert.match(run.stdout, /job 0 submitted: 0\.012 MSC held in escrow/);
  assert.match(run.stdout, /job 0: Settled/);
  const expected = big.output[0].data.map((x) => quantize(x, 4));
  printedValues(run.stdout, 'logits', 4).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1, `logit ${i}: ${v} vs ${expected[i]}`));

  // 5. Alice worked and owns the model: fee and royalty are pending at once; the era's
  //    share of the emission follows when the era (10 blocks on --dev) ends.
  const status = await ok('worker', 'status');
  assert.match(status.stdout, /Active, stake 1000 MSC/);
  const { api } = node;
  const era = (await api.call.attestationsApi.currentEra()).toNumber();
  while ((await api.call.attestationsApi.currentEra()).toNumber() <= era) await new Promise((r) => setTimeout(r, 1000));
  const pending = await ok('rewards', 'pending');
  const amount = pending.stdout.match(/: ([\d.]+) MSC to claim/)[1];
  assert.match(pending.stdout, /compute 15, data 0, model 3, validation 0/);

  // 6. Claim it: exactly the pending amount.
  const claim = await ok('rewards', 'claim');
  assert.equal(claim.stdout.trim(), `claimed ${amount} MSC for ${ALICE}`);
  assert.match((await ok('rewards', 'pending')).stdout, /: 0 MSC to claim/);
});

test('the same with a JSON input and a TensorProto input', async () => {
  const cnn = fixture('cnn');
  await ok('--seed', '//Alice', 'model', 'upload', model('cnn', 'model.onnx'));
  await ok('--seed', '//Alice', 'model', 'register', 'cnn', cnn.hash,
    '--inputs', 'image:f32:1x3x32x32', '--outputs', 'logits:f32:1x10');
  const expected = cnn.output[0].data.map((x) => quantize(x, 4));
  for (const file of ['input.json', 'input_0.pb']) {
    const run = await ok('--seed', '//Bob', 'job', 'submit', 'cnn', '1', model('cnn', file), '--watch');
    printedValues(run.stdout, 'logits', 4).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1, `${file} logit ${i}`));
  }
});

test('a new worker registers with the client, and keys can come from a mnemonic file', async () => {
  const charlie = '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y';
  // The key is given by its secret URI: it signs the proof that Charlie holds it.
  const register = await ok('--seed', '//Charlie', 'worker', 'register', '//Charlie', '150.5', '--capacity', '2');
  assert.match(register.stdout, /is a worker with key 5FLSig\w+, 150\.5 MSC staked/);
  const status = await ok('worker', 'status', charlie);
  assert.match(status.stdout, /Active, stake 150\.5 MSC, unbonding 0 MSC, 0\/2 jobs/);

  const dir = mkdtempSync(join(tmpdir(), 'mosaic-mnemonic-'));
  try {
    const mnemonic = mnemonicGenerate();
    const file = join(dir, 'wallet.txt');
    writeFileSync(file, `${mnemonic}\n`);
    const address = new Keyring({ type: 'sr25519' }).addFromUri(mnemonic).address;
    const pending = await ok('--mnemonic-file', file, 'rewards', 'pending');
    assert.equal(pending.stdout.trim(), `${address}: 0 MSC to claim`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every failure is a message and a non-zero exit', async () => {
  const cases = [
    [['model', 'show', 'no-such-model'], 1, /no model named no-such-model/],
    [['job', 'watch', '999'], 1, /no job 999/],
    [['--seed', '//Ferdie', 'rewards', 'claim'], 1, /rewards\.NothingToClaim/],
    [['worker', 'status', '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty'], 1, /is not a worker/],
    [['--seed', '//Bob', 'job', 'submit', '0', '1', model('cnn', 'input.json')], 1, /jobs\.\w+/],
    [['model', 'register', 'x', '0x12', '--inputs', 'a:f32:1'], 2, /model register NAME BLOB-HASH/],
    [['job', 'submit', '0', '1', 'input.csv'], 2, /must be .json, .npy or .pb/],
    [['rewards', 'claim', '--fee'], 2, /--fee needs a value/],
    [['frobnicate', 'now'], 2, /unknown command: frobnicate now/],
    [['job', 'submit', '0', 'one', model('cnn', 'input.json')], 2, /VERSION must be a whole number/],
    [['job', 'submit', '0', '1', model('cnn', 'input.json'), '--k', 'three'], 2, /--k must be a whole number/],
    [['job', 'submit', 'no-such-model', '1', model('cnn', 'input.json')], 1, /no model named no-such-model/],
  ];
  for (const [args, code, message] of cases) {
    const run = await mosaic(...args);
    assert.equal(run.code, code, `mosaic ${args.join(' ')}: exit ${run.code}\n${run.stderr}`);
    assert.match(run.stderr, message, `mosaic ${args.join(' ')}`);
  }
  const unreachable = await new Promise((resolve) => execFile(MOSAIC, ['--url', 'ws://127.0.0.1:9', 'model', 'list'],
    (error, _out, stderr) => resolve({ code: error?.code, stderr })));
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /cannot reach a node/);
});
