#!/usr/bin/env python3
"""Independent reference for `recsys-lab evaluate --dataset ml-100k --model pop --split loo`.

Plain numpy, no code shared with the TypeScript library. Leave-one-out: each user's interaction with the largest
timestamp is held out; ties in time go to the later line of u.data. MostPopular scores an item by its number of
training interactions. Full ranking: every item except the user's training items (the held-out item always stays
a candidate) is ranked; ties are pessimistic: rank = 1 + #{candidates c != held-out : score[c] >= score[held-out]}.

Usage: /usr/bin/python3 bench/reference/ml100k_mostpop.py DIR [CANDIDATES]
  DIR         folder with u.data
  CANDIDATES  optional file, one line per test case: user_id held_out_item_id negative_item_id x N (raw ids),
              to recompute the sampled protocol on exactly the candidates the library drew.
Prints one JSON object.
"""
import json
import sys

import numpy as np

K = 10


def metrics(ranks):
    ranks = np.asarray(ranks, dtype=np.float64)
    hit = ranks <= K
    return {"hr": round(float(hit.mean()), 6), "ndcg": round(float(np.where(hit, 1 / np.log2(ranks + 1), 0).mean()), 6)}


def main():
    data = np.loadtxt(f"{sys.argv[1]}/u.data", dtype=np.int64)
    user, item, _, ts = data.T
    line = np.arange(len(user))
    order = np.lexsort((line, ts, user))  # by user, then time, then line: each user's last row is held out
    last = np.ones(len(order), bool)
    last[:-1] = user[order[:-1]] != user[order[1:]]
    test_rows = order[last]
    is_test = np.zeros(len(user), bool)
    is_test[test_rows] = True

    num_items = int(item.max()) + 1  # raw ids 1..1682; id 0 does not exist and is never a candidate
    pop = np.bincount(item[~is_test], minlength=num_items).astype(np.float64)
    exists = np.zeros(num_items, bool)
    exists[item] = True

    ranks = {"pessimistic": [], "optimistic": []}
    for r in test_rows:
        u, t = user[r], item[r]
        candidate = exists.copy()
        candidate[item[(user == u) & ~is_test]] = False  # mask the user's training items ...
        candidate[t] = False  # ... and count the others relative to the held-out item, which is always a candidate
        s = pop[t]
        ranks["pessimistic"].append(1 + np.sum(pop[candidate] >= s))
        ranks["optimistic"].append(1 + np.sum(pop[candidate] > s))
    out = {
        "users": int(len(np.unique(user))),
        "items": int(exists.sum()),
        "testCases": int(len(test_rows)),
        "full": {"pessimistic": metrics(ranks["pessimistic"]), "optimisticTiesForComparison": metrics(ranks["optimistic"])},
    }
    if len(sys.argv) > 2:
        sampled = []
        test_of = {int(user[r]): int(item[r]) for r in test_rows}
        with open(sys.argv[2]) as f:
            for row in f:
                ids = [int(x) for x in row.split()]
                u, t, negatives = ids[0], ids[1], np.array(ids[2:])
                assert test_of[u] == t, f"user {u}: held-out item {t} differs from this script's {test_of[u]}"
                sampled.append(1 + np.sum(pop[negatives] >= pop[t]))
        out["sampled"] = {"negatives": len(negatives), **metrics(sampled)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
