/**
 * Host-side metrics: rewards/accuracies is a comparison (no gradient, no catalogue op), so it is
 * computed from the per-pair rewards that the graph outputs.
 */

/** Fraction of pairs with reward_chosen > reward_rejected (TRL: ties count as wrong). */
export function rewardAccuracy(chosen: ArrayLike<number>, rejected: ArrayLike<number>): number {
  if (chosen.length !== rejected.length || chosen.length === 0) {
    throw new Error(`rewardAccuracy: ${chosen.length} chosen vs ${rejected.length} rejected rewards`);
  }
  let right = 0;
  for (let i = 0; i < chosen.length; i++) if (chosen[i] > rejected[i]) right++;
  return right / chosen.length;
}

/**
 * Scalar metrics from graph outputs: `scalars` maps metric names to [1] values; rewards (if any)
 * add rewards/accuracies. Keys keep TRL's names.
 */
export function hostMetrics(
  scalars: Record<string, ArrayLike<number>>,
  rewards?: { chosen: ArrayLike<number>; rejected: ArrayLike<number> },
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(scalars)) out[k] = v[0];
  if (rewards) out['rewards/accuracies'] = rewardAccuracy(rewards.chosen, rewards.rejected);
  return out;
}
