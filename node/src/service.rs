//! The node's service: client, import queue, networking, BABE authoring, GRANDPA finality
//! and off-chain workers.

use std::{sync::Arc, time::Duration};

use futures::FutureExt;
use mosaic_runtime::{apis::RuntimeApi, opaque::Block};
use sc_client_api::{Backend, BlockBackend};
use sc_consensus_babe::{BabeParams, ImportQueueParams, SlotProportion};
use sc_consensus_grandpa::SharedVoterState;
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_consensus_babe::inherents::BabeCreateInherentDataProviders;

use crate::executor_service::{
	node_sandbox, BlobSource, Dishonest, ExecutorService, NodeBlobs, OffchainResults, ResultLimits,
	ResultStore, SandboxBackend,
};
use crate::{
	blob_sharing::{self, PeerBlobs, SubstrateNetwork},
	blob_store::{BlobFileLimits, FileBlobs},
	fetch_service::{FetchLimits, FetchService},
	worker_locks,
};
use mosaic_executor::{Kernels, Limits};

/// Host functions the runtime may call: Substrate's standard set, Mosaic's ONNX functions and
/// its fetch function (which only do something in off-chain workers, see
/// `crate::executor_service` and `crate::fetch_service`).
pub type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	mosaic_onnx_host::mosaic_onnx::HostFunctions,
	mosaic_fetch_host::mosaic_fetch::HostFunctions,
);

/// The full client: Wasm-only execution of the runtime.
pub type FullClient =
	sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type FullGrandpaBlockImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;
/// BABE's block import (epoch changes, block weights, inherent and equivocation checks) around
/// GRANDPA's.
pub type FullBlockImport = sc_consensus_babe::BabeBlockImport<
	Block,
	FullClient,
	FullGrandpaBlockImport,
	BabeCreateInherentDataProviders<Block>,
	FullSelectChain,
>;

/// GRANDPA produces a justification at least every this many blocks.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// Parts of the service that subcommands (import, export, revert, benchmarks) also need.
pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	(
		FullBlockImport,
		sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
		sc_consensus_babe::BabeLink<Block>,
		Option<Telemetry>,
	),
>;

/// Inherent data for BABE: the slot the timestamp falls in, and the timestamp (in this order:
/// BABE reads the slot from the first provider).
fn babe_inherent_data(
	slot_duration: sp_consensus_babe::SlotDuration,
) -> (sp_consensus_babe::inherents::InherentDataProvider, sp_timestamp::InherentDataProvider) {
	let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
	let slot = sp_consensus_babe::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
		*timestamp,
		slot_duration,
	);
	(slot, timestamp)
}

/// Builds the client, database, transaction pool and import queue.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, mut task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&client,
		select_chain.clone(),
		telemetry.as_ref().map(|x| x.handle()),
	)?;

	// The slot duration is BABE's genesis configuration: it cannot change later.
	let babe_config = sc_consensus_babe::configuration(&*client)?;
	let slot_duration = babe_config.slot_duration();
	let (block_import, babe_link) = sc_consensus_babe::block_import(
		babe_config,
		grandpa_block_import.clone(),
		client.clone(),
		// Checks imported blocks' inherents (timestamp against slot) and the slot against the
		// clock.
		Arc::new(move |_, ()| async move { Ok(babe_inherent_data(slot_duration)) })
			as BabeCreateInherentDataProviders<Block>,
		select_chain.clone(),
		OffchainTransactionPoolFactory::new(transaction_pool.clone()),
	)?;

	let (import_queue, babe_worker_handle) = sc_consensus_babe::import_queue(ImportQueueParams {
		link: babe_link.clone(),
		block_import: block_import.clone(),
		justification_import: Some(Box::new(grandpa_block_import)),
		client: client.clone(),
		slot_duration,
		spawner: &task_manager.spawn_essential_handle(),
		registry: config.prometheus_registry(),
		telemetry: telemetry.as_ref().map(|x| x.handle()),
	})?;
	// The import queue spawned the essential "babe-worker" task, which answers epoch queries
	// through this handle and ends (taking the node down) once every handle is dropped. There
	// is no BABE RPC to hold it, so the task manager does, for every command that builds
	// these parts.
	task_manager.keep_alive(babe_worker_handle);

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, grandpa_link, babe_link, telemetry),
	})
}

/// Builds and starts a full node.
pub fn new_full<
	N: sc_network::NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>,
>(
	config: Configuration,
	worker: crate::cli::WorkerFlags,
	test_only: crate::cli::TestOnlyFlags,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, grandpa_link, babe_link, mut telemetry),
	} = new_partial(&config)?;

	let mut net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as sp_runtime::traits::Block>::Hash,
		N,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = N::register_notification_metrics(config.prometheus_registry());

	let peer_store_handle = net_config.peer_store_handle();
	let genesis_hash =
		client.block_hash(0).ok().flatten().ok_or_else(|| {
			ServiceError::Other("genesis block is missing from the database".into())
		})?;
	let grandpa_protocol_name =
		sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
	let (grandpa_protocol_config, grandpa_notification_service) =
		sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
			grandpa_protocol_name.clone(),
			metrics.clone(),
			peer_store_handle,
		);
	net_config.add_notification_protocol(grandpa_protocol_config);

	// Blobs shared with other nodes: served from this node's files and off-chain database.
	let blob_files =
		FileBlobs::open(config.data_path.join("mosaic/blobs"), BlobFileLimits::default())
			.map_err(|e| ServiceError::Other(format!("blob files: {e}")))?;
	let blob_protocol =
		blob_sharing::protocol_name(genesis_hash.as_ref(), config.chain_spec.fork_id());
	if let Some(db) = backend.offchain_storage() {
		let (requests_in, requests) = async_channel::bounded(blob_sharing::INBOUND_QUEUE);
		net_config.add_request_response_protocol(N::request_response_config(
			blob_protocol.clone(),
			Vec::new(),
			blob_sharing::MAX_REQUEST,
			blob_sharing::MAX_RESPONSE,
			blob_sharing::REQUEST_TIMEOUT,
			Some(requests_in),
		));
		let server = blob_sharing::BlobServer::new(Arc::new(blob_sharing::HeldBlobs::new(
			blob_files.clone(),
			db,
		)));
		task_manager.spawn_handle().spawn(
			"mosaic-blob-server",
			Some("networking"),
			server.run(requests),
		);
	}

	let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
		backend.clone(),
		grandpa_link.shared_authority_set().clone(),
		Vec::default(),
	));

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	let mut executor = None;
	let mut results = None;
	if config.offchain_worker.enabled {
		let mut offchain_db = backend.offchain_storage().ok_or_else(|| {
			ServiceError::Other("off-chain workers need the off-chain database".into())
		})?;
		worker_locks::mark_node_start(&mut offchain_db);
		let threads = worker.executor_threads.into();
		log::info!(
			target: "mosaic",
			"ONNX executor: {} kernels ({:?} on this CPU), {threads} thread(s) per run",
			Kernels::Native.name(),
			Kernels::native_choice(),
		);
		let sandbox = node_sandbox(Limits::default(), Kernels::Native, threads)
			.map_err(|e| ServiceError::Other(format!("ONNX executor: {e}")))?;
		let full_peers = {
			let sync = sync_service.clone();
			Arc::new(move || {
				let sync = sync.clone();
				async move {
					let peers = sync.peers_info().await.unwrap_or_default();
					peers
						.into_iter()
						.filter(|(_, info)| info.roles.is_full())
						.map(|(peer, _)| peer)
						.collect()
				}
				.boxed()
			})
		};
		let peers = PeerBlobs::new(SubstrateNetwork {
			network: network.clone(),
			protocol: blob_protocol,
			full_peers,
		});
		let fetches = FetchService::new(
			offchain_db.clone(),
			blob_files.clone(),
			Some(Arc::new(peers)),
			tokio::runtime::Handle::current(),
			FetchLimits::default(),
		)
		.map_err(|e| ServiceError::Other(format!("fetch service: {e}")))?;
		let kept: Arc<dyn ResultStore> =
			Arc::new(OffchainResults::new(offchain_db.clone(), ResultLimits::default()));
		results = Some(kept.clone());
		let blobs = NodeBlobs { files: blob_files.clone(), db: offchain_db };
		let runs = SandboxBackend::new(sandbox, Arc::new(blobs));
		let service = if test_only.dishonest_worker {
			log::warn!("--test-only-dishonest-worker: this node's worker reports wrong outputs");
			ExecutorService::spawn_keeping_results(Dishonest(runs), Some(kept))
		} else {
			ExecutorService::spawn_keeping_results(runs, Some(kept))
		};
		executor = Some(service.clone());
		let offchain_workers =
			sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
				runtime_api_provider: client.clone(),
				is_validator: config.role.is_authority(),
				keystore: Some(keystore_container.keystore()),
				offchain_db: backend.offchain_storage(),
				transaction_pool: Some(OffchainTransactionPoolFactory::new(
					transaction_pool.clone(),
				)),
				network_provider: Arc::new(network.clone()),
				enable_http_requests: true,
				// Only off-chain workers get the executor: block execution never depends on it.
				custom_extensions: move |_| {
					vec![
						Box::new(mosaic_onnx_host::OnnxExt(service.clone()))
							as Box<dyn sp_externalities::Extension>,
						Box::new(mosaic_fetch_host::FetchExt(Arc::new(fetches.clone()))),
					]
				},
			})?;
		task_manager.spawn_handle().spawn(
			"offchain-workers-runner",
			"offchain-worker",
			offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
		);
	}

	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa;
	let prometheus_registry = config.prometheus_registry().cloned();

	let rpc_extensions_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		let blobs = backend
			.offchain_storage()
			.map(|db| Arc::new(NodeBlobs { files: blob_files, db }) as Arc<dyn BlobSource>);
		let keystore = keystore_container.keystore();
		Box::new(move |_| {
			let deps = crate::rpc::FullDeps {
				client: client.clone(),
				pool: pool.clone(),
				blobs: blobs.clone(),
				keystore: keystore.clone(),
				executor: executor.clone(),
				results: results.clone(),
			};
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: Arc::new(network.clone()),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder: rpc_extensions_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	if role.is_authority() {
		let proposer_factory = sc_basic_authorship::ProposerFactory::new(
			task_manager.spawn_handle(),
			client.clone(),
			transaction_pool.clone(),
			prometheus_registry.as_ref(),
			telemetry.as_ref().map(|x| x.handle()),
		);

		let slot_duration = babe_link.config().slot_duration();
		let babe = sc_consensus_babe::start_babe(BabeParams {
			keystore: keystore_container.keystore(),
			client,
			select_chain,
			env: proposer_factory,
			block_import,
			sync_oracle: sync_service.clone(),
			justification_sync_link: sync_service.clone(),
			create_inherent_data_providers: move |_, ()| async move {
				Ok(babe_inherent_data(slot_duration))
			},
			force_authoring,
			backoff_authoring_blocks: Option::<()>::None,
			babe_link,
			block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
			max_block_proposal_slot_portion: None,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
		})?;
		// Authoring is essential: if it fails, the node stops.
		task_manager
			.spawn_essential_handle()
			.spawn_blocking("babe", Some("block-authoring"), babe);
	}

	if enable_grandpa {
		// Only authorities vote, so only they need the keystore.
		let keystore = if role.is_authority() { Some(keystore_container.keystore()) } else { None };

		let grandpa_config = sc_consensus_grandpa::Config {
			gossip_duration: Duration::from_millis(333),
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(name),
			observer_enabled: false,
			keystore,
			local_role: role,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			protocol_name: grandpa_protocol_name,
		};

		let grandpa_params = sc_consensus_grandpa::GrandpaParams {
			config: grandpa_config,
			link: grandpa_link,
			network,
			sync: Arc::new(sync_service),
			notification_service: grandpa_notification_service,
			voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
			prometheus_registry,
			shared_voter_state: SharedVoterState::empty(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
		};

		// The voter is essential: if it fails, the node stops.
		task_manager.spawn_essential_handle().spawn_blocking(
			"grandpa-voter",
			None,
			sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
		);
	}

	Ok(task_manager)
}
