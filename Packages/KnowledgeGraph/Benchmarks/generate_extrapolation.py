"""The depth-extrapolation generator written as one would in plain Python, for timing against
KnowledgeGraph's DepthExtrapolationGenerator. Same parameters, same files and types (the random
draws differ). Prints the seconds spent on its last line."""
import argparse
import json
import os
import random
import time


def item(input_text, answer, kind):
    return {"input_text": input_text, "target_text": input_text + answer + "</a>", "type": kind}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--entities", type=int, default=200)
    parser.add_argument("--relations", type=int, default=10)
    parser.add_argument("--out-degree", type=int, default=None)
    parser.add_argument("--min-hops", type=int, default=2)
    parser.add_argument("--max-hops", type=int, default=40)
    parser.add_argument("--train-per-hop", type=int, default=15000)
    parser.add_argument("--test-per-hop", type=int, default=750)
    parser.add_argument("--sample-in-test", type=int, default=750)
    parser.add_argument("--small-per-type", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    degree = args.out_degree or args.relations

    start = time.perf_counter()
    rng = random.Random(args.seed)
    entity = [f"<e_{e}>" for e in range(args.entities)]
    relation = [f"<r_{r}>" for r in range(args.relations)]
    permutation = []
    for _ in range(args.relations):
        p = list(range(args.entities))
        rng.shuffle(p)
        permutation.append(p)
    if degree == args.relations:
        relations_of = [list(range(args.relations)) for _ in range(args.entities)]
    else:
        relations_of = [sorted(rng.sample(range(args.relations), degree)) for _ in range(args.entities)]

    atomic = [item(entity[e] + relation[r], entity[permutation[r][e]], "atomic")
              for e in range(args.entities) for r in relations_of[e]]
    train = list(atomic)
    test = [dict(fact, type="atomic_facts") for fact in rng.sample(atomic, min(args.sample_in_test, len(atomic)))]

    for k in range(args.min_hops, args.max_hops + 1):
        needed = args.train_per_hop + args.test_per_hop
        if args.entities * degree ** k < needed:
            raise SystemExit(f"only {args.entities * degree ** k} {k}-hop chains exist, {needed} requested")
        seen = set()
        chains = []
        while len(chains) < needed:
            head = rng.randrange(args.entities)
            current = head
            path = []
            for _ in range(k):
                r = rng.choice(relations_of[current])
                path.append(r)
                current = permutation[r][current]
            key = (head, *path)
            if key in seen:
                continue
            seen.add(key)
            chains.append((head, path, current))
        texts = [(entity[h] + "".join(relation[r] for r in path), entity[answer]) for h, path, answer in chains]
        hop_train = [item(text, answer, f"{k}hop_train") for text, answer in texts[:args.train_per_hop]]
        test += [item(text, answer, f"{k}hop_test") for text, answer in texts[args.train_per_hop:]]
        test += rng.sample(hop_train, min(args.sample_in_test, len(hop_train)))
        train += hop_train

    counts = {}
    small = []
    for fact in test:
        counts[fact["type"]] = counts.get(fact["type"], 0) + 1
        if counts[fact["type"]] <= args.small_per_type:
            small.append(fact)

    os.makedirs(args.out, exist_ok=True)
    vocab = ["<pad>"] + entity + relation + ["<mask>", "<sep>", "<a>", "</a>", "<q>", "</q>"]
    for name, content in [("vocab.json", vocab), ("train.json", train), ("test.json", test),
                          ("test_small.json", small), ("valid.json", small),
                          ("dataset.json", {"generator": "depth-extrapolation", "seed": args.seed,
                                            "parameters": vars(args)})]:
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(content, f)
    print(f"items {len(train)} {len(test)}")
    print(f"seconds {time.perf_counter() - start:.4f}")


if __name__ == "__main__":
    main()
