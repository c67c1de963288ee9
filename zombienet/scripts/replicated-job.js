// zombienet js-script: submits a job with replication args[0] through this node and resolves
// 1 once it settled with onnxruntime's output; throws with the reason otherwise.
module.exports.run = async (nodeName, networkInfo, args) => {
  const { replicatedJob } = await import('../../tests/lib/network.mjs');
  return replicatedJob(networkInfo.nodesByName[nodeName].wsUri, Number(args[0] ?? 3));
};
