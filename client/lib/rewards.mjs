// Rewards: what an account can claim, its contribution points, and claims.
import { send, eventData } from './tx.mjs';

/** What `who` can claim now, in plancks, and its contribution points by era. */
export async function pendingRewards(api, who) {
  const pending = (await api.call.rewardsApi.pending(who)).toBigInt();
  const points = (await api.call.attestationsApi.points(who)).map(([era, p]) => ({ era: era.toNumber(), points: p }));
  return { pending, points };
}

/** Claims for `signer`, or for account `forWho`; resolves with the `Claimed` event's data. */
export async function claimRewards(api, signer, forWho = null) {
  const tx = forWho ? api.tx.rewards.claimFor(forWho) : api.tx.rewards.claim();
  const { events } = await send(tx, signer);
  return eventData(events, api.events.rewards.Claimed);
}
