// zombienet js-script: resolves 1 once this node's best block is at least the reference
// node's (args[0]) best block as seen when the script started, and it finalizes again.
module.exports.run = async (nodeName, networkInfo, args) => {
  const { caughtUp } = await import('../../tests/lib/network.mjs');
  return caughtUp(networkInfo.nodesByName[nodeName].wsUri, networkInfo.nodesByName[args[0]].wsUri);
};
