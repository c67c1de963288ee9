// zombienet js-script: runs a job on every worker through this node and resolves 1 once it
// settled with the honest output and the lying node's worker (args[0]) was slashed.
module.exports.run = async (nodeName, networkInfo, args) => {
  const { liarSlashed } = await import('../../tests/lib/network.mjs');
  return liarSlashed(networkInfo.nodesByName[nodeName].wsUri, args[0]);
};
