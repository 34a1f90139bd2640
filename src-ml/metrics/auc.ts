// Area under the ROC curve by the rank-sum (Mann-Whitney U) formula, ties counted as half.

export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`rocAuc: ${n} scores but ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSumPositives = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1; // tied scores share their average rank
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]) {
        positives++;
        rankSumPositives += midRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (!positives || !negatives) return NaN;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}
