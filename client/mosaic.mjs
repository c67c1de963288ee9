#!/usr/bin/env node
// The Mosaic command-line client: models, jobs, workers and rewards from a terminal, on
// @polkadot/api. Run it as `scripts/mosaic` (which installs its locked dependencies).
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex, isHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';

const USAGE = `usage: mosaic [--url ws://127.0.0.1:9944] [--seed //Alice | --mnemonic-file FILE] COMMAND

models
  model upload FILE                      store a file as a blob, in chunks, with progress
  model register NAME BLOB --inputs T --outputs T [--precision 4] [--tolerance N]
                 [--royalty 10] [--opset 17] [--license L] [--description D]
                                         register a model; T is name:type:dims,... e.g.
                                         image:f32:1x3x32x32 (type f32|f64|i32|i64|u8|bool)
  model list                             every model with its versions
  model show ID|NAME                     one model with its versions
jobs
  job submit MODEL VERSION INPUT [--k 1] [--fee 0.001] [--deadline 60] [--watch]
                                         MODEL: id or name
                                         INPUT: .json (inline), .npy or .pb (stored as a blob)
  job train MODEL VERSION DATASET --params FILE|HASH [--epochs 5] [--batch 32] [--k 1]
            [--fee 0.001] [--deadline 60] [--watch]
                                         MODEL: a training-step graph; DATASET and --params:
                                         .scale tensor lists (stored as blobs); when it
                                         settles, the trained parameters' blob is printed
  job watch ID                           follow a job until it ends, then print its output
workers
  worker register KEY STAKE [--capacity 4]
  worker status [ADDRESS]
rewards
  rewards pending [ADDRESS]              what a claim pays now, and contribution points
  rewards claim [--for ADDRESS]

Keys: --seed takes a secret URI (default //Alice on a dev chain); --mnemonic-file reads a
mnemonic from a file. Amounts are in MSC (e.g. 1.5). Exit status is non-zero on any failure.`;

class UsageError extends Error {}

function parseArgs(argv) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const key = arg.slice(2);
      if (['watch', 'help'].includes(key)) options[key] = true;
      else {
        if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
        options[key] = argv[++i];
      }
    } else positional.push(arg);
  }
  return { positional, options };
}

// ---------------------------------------------------------------- amounts

let DECIMALS = 12;
let SYMBOL = 'MSC';

function parseAmount(text) {
  if (!/^\d+(\.\d+)?$/.test(text ?? '')) throw new UsageError(`not an amount: ${text}`);
  const [whole, frac = ''] = text.split('.');
  if (frac.length > DECIMALS) throw new UsageError(`${text}: at most ${DECIMALS} decimals`);
  return BigInt(whole) * 10n ** BigInt(DECIMALS) + BigInt(frac.padEnd(DECIMALS, '0'));
}

function formatAmount(value) {
  const v = BigInt(value.toString());
  const unit = 10n ** BigInt(DECIMALS);
  const frac = (v % unit).toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  return `${v / unit}${frac ? `.${frac}` : ''} ${SYMBOL}`;
}

// ---------------------------------------------------------------- chain

async function connect(url) {
  const provider = new WsProvider(url, false);
  provider.connect();
  const ready = await Promise.race([
    provider.isReady.then(() => true),
    new Promise((r) => setTimeout(() => r(false), 10_000)),
  ]);
  if (!ready) {
    await provider.disconnect();
    throw new Error(`cannot reach a node at ${url}`);
  }
  const api = await ApiPromise.create({ provider, noInitWarn: true });
  DECIMALS = api.registry.chainDecimals[0] ?? 12;
  SYMBOL = api.registry.chainTokens[0] ?? 'MSC';
  return api;
}

function signer(options) {
  const keyring = new Keyring({ type: 'sr25519' });
  if (options['mnemonic-file']) {
    return keyring.addFromUri(readFileSync(options['mnemonic-file'], 'utf8').trim());
  }
  return keyring.addFromUri(options.seed ?? '//Alice');
}

/** Signs and sends; resolves with the events once in a block; rejects with `section.Name`. */
function send(api, account, tx, nonce = -1) {
  return new Promise((resolve, reject) => {
    let unsub;
    tx.signAndSend(account, { nonce }, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        unsub?.();
        if (dispatchError.isModule) {
          const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${section}.${name}: ${docs.join(' ')}`));
        } else reject(new Error(dispatchError.toString()));
      } else if (status.isInBlock) {
        unsub?.();
        resolve({ events, blockHash: status.asInBlock });
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        unsub?.();
        reject(new Error(`transaction ${status.type}`));
      }
    }).then((u) => { unsub = u; }, reject);
  });
}

const text = (bytes) => Buffer.from(bytes.toU8a(true)).toString('utf8');

// ---------------------------------------------------------------- models

function progress(done, total) {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} chunks`);
  if (done === total) process.stderr.write('\n');
}

async function modelUpload(api, account, [file]) {
  if (!file) throw new UsageError('model upload FILE');
  const bytes = readFileSync(file);
  const hash = u8aToHex(blake2AsU8a(bytes, 256));
  const existing = await api.query.blobs.blobs(hash);
  if (existing.isSome) {
    const status = existing.unwrap().status;
    if (!status.isSealed) {
      throw new Error(`blob ${hash} exists but is ${status.type}: finish or abort that upload (blobs.abortUpload) first`);
    }
    console.log(`${hash} (already stored)`);
    return;
  }
  const chunkSize = api.consts.blobs.maxChunkSize.toNumber();
  if (bytes.length <= chunkSize) {
    await send(api, account, api.tx.blobs.store(u8aToHex(bytes)));
    console.log(hash);
    return;
  }
  const chunks = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize));
  await send(api, account, api.tx.blobs.beginUpload(hash, bytes.length));
  let done = 0;
  progress(done, chunks.length);
  const first = (await api.rpc.system.accountNextIndex(account.address)).toNumber();
  // All chunks at once with consecutive nonces; the pool applies them in order.
  await Promise.all(chunks.map((chunk, index) =>
    send(api, account, api.tx.blobs.uploadChunk(hash, index, u8aToHex(chunk)), first + index)
      .then(() => progress(++done, chunks.length))));
  await send(api, account, api.tx.blobs.sealUpload(hash));
  console.log(hash);
}

const TYPES = { f32: 'F32', f64: 'F64', i32: 'I32', i64: 'I64', u8: 'U8', bool: 'Bool' };

/** `name:type:1x3xN` → a tensor schema; dims that are not numbers are symbolic. */
function parseTensors(spec, flag) {
  if (!spec) throw new UsageError(`${flag} is required`);
  return spec.split(',').map((one) => {
    const [name, type, dims = ''] = one.split(':');
    if (!name || !TYPES[type]) throw new UsageError(`${flag}: ${one}: want name:type:dims with type ${Object.keys(TYPES).join('|')}`);
    const shape = dims === '' ? [] : dims.split('x').map((d) => (/^\d+$/.test(d) ? { Fixed: Number(d) } : { Symbolic: d }));
    return { name, elementType: TYPES[type], shape };
  });
}

async function modelRegister(api, account, [name, blob], options) {
  if (!name || !isHex(blob, 256)) throw new UsageError('model register NAME BLOB-HASH --inputs T --outputs T');
  const royalty = Number(options.royalty ?? 10);
  if (!(royalty >= 0 && royalty <= 100)) throw new UsageError('--royalty is a percentage');
  const spec = {
    blob,
    opset: Number(options.opset ?? 17),
    inputs: parseTensors(options.inputs, '--inputs'),
    outputs: parseTensors(options.outputs, '--outputs'),
    precision: Number(options.precision ?? 4),
    tolerance: options.tolerance === undefined ? null : Number(options.tolerance),
    royalty: Math.round(royalty * 10_000),
    parent: null,
  };
  const { events } = await send(api, account, api.tx.models.registerModel(
    name, options.description ?? '', options.license ?? 'unspecified', spec));
  const registered = events.find(({ event }) => api.events.models.ModelRegistered.is(event));
  console.log(`model ${registered.event.data.model.toString()} registered as ${name}`);
}

function showModel(view) {
  const { id, model, versions } = view;
  console.log(`model ${id} ${text(model.name)} (owner ${model.owner}, licence ${text(model.license)})`);
  for (const [number, v] of versions) {
    const io = (list) => list.map((t) => `${text(t.name)}:${t.elementType.type.toLowerCase()}:${t.shape.map((d) => (d.isFixed ? d.asFixed.toString() : text(d.asSymbolic))).join('x')}`).join(',');
    console.log(`  v${number} ${v.status.type} blob ${v.spec.blob.toHex()} in ${io(v.spec.inputs)} out ${io(v.spec.outputs)} precision ${v.spec.precision} royalty ${v.spec.royalty.toNumber() / 10_000}%`);
  }
}

async function modelList(api) {
  const next = (await api.query.models.nextModelId()).toNumber();
  let any = false;
  for (let id = 0; id < next; id += 1) {
    const view = await api.call.modelsApi.model(id);
    if (view.isSome) { showModel(view.unwrap()); any = true; }
  }
  if (!any) console.log('no models');
}

/** A non-negative integer argument, or a usage error naming it. */
function count(value, name) {
  if (!/^\d+$/.test(value ?? '')) throw new UsageError(`${name} must be a whole number, not ${value}`);
  return Number(value);
}

/** A model id, or the id of the model with that name. */
async function modelIdOf(api, which) {
  if (/^\d+$/.test(which)) return Number(which);
  const found = await api.call.modelsApi.modelId(which);
  if (found.isNone) throw new Error(`no model named ${which}`);
  return found.unwrap().toNumber();
}

async function modelShow(api, _account, [which]) {
  if (which === undefined) throw new UsageError('model show ID|NAME');
  const id = await modelIdOf(api, which);
  const view = await api.call.modelsApi.model(id);
  if (view.isNone) throw new Error(`no model ${id}`);
  showModel(view.unwrap());
}

// ---------------------------------------------------------------- jobs

async function jobSubmit(api, account, [model, version, file], options) {
  if (!model || !version || !file) throw new UsageError('job submit MODEL VERSION INPUT');
  const versionNumber = count(version, 'VERSION');
  const k = count(options.k ?? '1', '--k');
  const deadlineBlocks = count(options.deadline ?? '60', '--deadline');
  const fee = parseAmount(options.fee ?? '0.001');
  const ext = extname(file).toLowerCase();
  if (!['.json', '.npy', '.pb'].includes(ext)) throw new UsageError(`${basename(file)}: the input must be .json, .npy or .pb`);
  const modelId = await modelIdOf(api, model);
  let input;
  if (ext === '.json') {
    const { inputs } = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(inputs)) throw new Error(`${file}: want {"inputs":[{name, dtype, shape, data}]}`);
    input = {
      Inline: inputs.map(({ name, shape, data, dtype = 'float32' }) => {
        if (dtype !== 'float32') throw new Error(`${file}: ${name}: only float32 inline inputs (store other types as .npy)`);
        return { name, elementType: 'F32', shape, data: u8aToHex(new Uint8Array(Float32Array.from(data).buffer)) };
      }),
    };
  } else {
    const bytes = readFileSync(file);
    const hash = u8aToHex(blake2AsU8a(bytes, 256));
    await modelUpload(api, account, [file]); // stores it, or checks it is stored and sealed
    input = { Blob: { hash, format: ext === '.npy' ? 'Npy' : 'TensorProto' } };
  }
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const { events } = await send(api, account,
    api.tx.jobs.submitJob(modelId, versionNumber, 'Inference', input, k, fee, head + deadlineBlocks));
  const submitted = events.find(({ event }) => api.events.jobs.JobSubmitted.is(event)).event.data;
  console.log(`job ${submitted.job} submitted: ${formatAmount(submitted.held)} held in escrow`);
  if (options.watch) await jobWatch(api, account, [submitted.job.toString()]);
}

async function jobTrain(api, account, [model, version, dataset], options) {
  if (!model || !version || !dataset || !options.params) {
    throw new UsageError('job train MODEL VERSION DATASET --params FILE|HASH');
  }
  const versionNumber = count(version, 'VERSION');
  const k = count(options.k ?? '1', '--k');
  const epochs = count(options.epochs ?? '5', '--epochs');
  const batchSize = count(options.batch ?? '32', '--batch');
  const deadlineBlocks = count(options.deadline ?? '60', '--deadline');
  const fee = parseAmount(options.fee ?? '0.001');
  const modelId = await modelIdOf(api, model);
  const blobOf = async (fileOrHash) => {
    if (isHex(fileOrHash, 256)) return fileOrHash;
    await modelUpload(api, account, [fileOrHash]); // stores it, or checks it is stored and sealed
    return u8aToHex(blake2AsU8a(readFileSync(fileOrHash), 256));
  };
  const parameters = await blobOf(options.params);
  const input = { Blob: { hash: await blobOf(dataset), format: 'Scale' } };
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const kind = { Training: { parameters, epochs, batchSize } };
  const { events } = await send(api, account,
    api.tx.jobs.submitJob(modelId, versionNumber, kind, input, k, fee, head + deadlineBlocks));
  const submitted = events.find(({ event }) => api.events.jobs.JobSubmitted.is(event)).event.data;
  console.log(`training job ${submitted.job} submitted: ${formatAmount(submitted.held)} held in escrow`);
  if (options.watch) await jobWatch(api, account, [submitted.job.toString()]);
}

function printOutputs(job, precision) {
  const result = job.result.unwrap();
  const outcome = result.outcome;
  if (outcome.isOutputs) {
    for (const t of outcome.asOutputs) {
      const values = t.elements.map((v) => Number(v.toBigInt()) / 10 ** precision);
      console.log(`  ${text(t.name)} [${t.shape.join('x')}]: ${values.join(' ')}`);
    }
  } else if (outcome.isDigest) {
    console.log(`  output digest ${result.digest.toHex()} (too large to reveal on chain)`);
  } else {
    console.log(`  executor error ${outcome.asError.code}`);
  }
}

async function jobWatch(api, _account, [id]) {
  count(id, 'job watch ID');
  const first = await api.query.jobs.jobs(Number(id));
  if (first.isNone) throw new Error(`no job ${id} (unknown, or purged)`);
  let last = '';
  const job = await new Promise((resolve, reject) => {
    let unsub;
    const timer = setTimeout(() => { unsub?.(); reject(new Error(`job ${id} still open after 10 minutes`)); }, 600_000);
    api.query.jobs.jobs(Number(id), (maybe) => {
      if (maybe.isNone) return;
      const j = maybe.unwrap();
      const status = j.status.type;
      if (status !== last) {
        last = status;
        console.log(`job ${id}: ${status}${j.assignees.length ? ` (${j.assignees.length} workers)` : ''}`);
      }
      if (['Settled', 'Failed', 'Cancelled'].includes(status)) {
        clearTimeout(timer);
        unsub?.();
        resolve(j);
      }
    }).then((u) => { unsub = u; }, reject);
  });
  if (job.status.isSettled) {
    const version = (await api.call.modelsApi.model(job.model)).unwrap().versions.find(([n]) => n.eq(job.version))[1];
    console.log(`settled: ${job.result.unwrap().agreeing} workers agreed, digest ${job.result.unwrap().digest.toHex()}`);
    printOutputs(job, version.spec.precision.toNumber());
    const parameters = job.result.unwrap().parameters;
    if (parameters.isSome) console.log(`trained parameters: blob ${parameters.unwrap().toHex()}`);
  } else if (job.status.isFailed) {
    throw new Error(`job ${id} failed: ${JSON.stringify(job.status.asFailed.toHuman())}`);
  } else {
    throw new Error(`job ${id} was cancelled`);
  }
}

// ---------------------------------------------------------------- workers and rewards

async function workerRegister(api, account, [key, stake], options) {
  if (!key || !stake) throw new UsageError('worker register KEY STAKE [--capacity 4]');
  await send(api, account, api.tx.jobs.registerWorker(key, parseAmount(stake), count(options.capacity ?? '4', '--capacity')));
  console.log(`${account.address} is a worker with key ${key}, ${formatAmount(parseAmount(stake))} staked`);
}

async function workerStatus(api, account, [address]) {
  const who = address ?? account.address;
  const worker = await api.call.jobsApi.worker(who);
  if (worker.isNone) throw new Error(`${who} is not a worker`);
  const w = worker.unwrap();
  const jobs = await api.call.jobsApi.workerJobs(who);
  console.log(`${who}: ${w.status.type}, stake ${formatAmount(w.stake)}, unbonding ${formatAmount(w.unbonding)}, `
    + `${w.assigned}/${w.capacity} jobs${jobs.length ? ` (${jobs.join(', ')})` : ''}, key ${w.key}`);
}

async function rewardsPending(api, account, [address]) {
  const who = address ?? account.address;
  const pending = await api.call.rewardsApi.pending(who);
  console.log(`${who}: ${formatAmount(pending)} to claim`);
  for (const [era, p] of await api.call.attestationsApi.points(who)) {
    console.log(`  era ${era}: compute ${p.compute}, data ${p.data}, model ${p.model}, validation ${p.validation}`);
  }
}

async function rewardsClaim(api, account, _positional, options) {
  const who = options.for ?? account.address;
  const tx = options.for ? api.tx.rewards.claimFor(who) : api.tx.rewards.claim();
  const { events } = await send(api, account, tx);
  const claimed = events.find(({ event }) => api.events.rewards.Claimed.is(event)).event.data;
  console.log(`claimed ${formatAmount(claimed.amount)} for ${claimed.who}`);
}

const COMMANDS = {
  'model upload': modelUpload,
  'model register': modelRegister,
  'model list': modelList,
  'model show': modelShow,
  'job submit': jobSubmit,
  'job train': jobTrain,
  'job watch': jobWatch,
  'worker register': workerRegister,
  'worker status': workerStatus,
  'rewards pending': rewardsPending,
  'rewards claim': rewardsClaim,
};

async function main() {
  const { positional, options } = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  if (positional.length < 2) throw new UsageError('no command');
  const command = COMMANDS[`${positional[0]} ${positional[1]}`];
  if (!command) throw new UsageError(`unknown command: ${positional.slice(0, 2).join(' ')}`);
  await cryptoWaitReady();
  const api = await connect(options.url ?? 'ws://127.0.0.1:9944');
  try {
    await command(api, signer(options), positional.slice(2), options);
  } finally {
    await api.disconnect();
  }
}

main().then(() => process.exit(0), (e) => {
  if (e instanceof UsageError) {
    console.error(`mosaic: ${e.message}\n`);
    console.error(USAGE);
    process.exit(2);
  }
  console.error(`mosaic: ${e.message}`);
  process.exit(1);
});

