"""Loading a reference-format file as one would in plain Python: json.load, then every text
tokenized with the reference's regular expression and mapped to ids; the label is the target's
last token once </a> is dropped. For timing against KnowledgeGraph's reader. Prints a checksum
(item count, input tokens, sum of labels) and the seconds spent on its last line."""
import json
import re
import sys
import time

TOKEN = re.compile(r"<[^>]+>")


def load(path, vocab_path):
    with open(vocab_path) as f:
        vocab = json.load(f)
    if "<pad>" not in vocab:
        vocab = ["<pad>"] + vocab
    ids = {token: i for i, token in enumerate(vocab)}
    end = ids.get("</a>")
    with open(path) as f:
        items = json.load(f)
    examples = []
    for item in items:
        input_ids = [ids[t] for t in TOKEN.findall(item["input_text"])]
        target_ids = [ids[t] for t in TOKEN.findall(item["target_text"])]
        label = [i for i in target_ids if i != end][-1]
        examples.append((input_ids, label, len(input_ids) - 1, item.get("type")))
    return examples


def main():
    path, vocab_path = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    examples = load(path, vocab_path)
    seconds = time.perf_counter() - start
    tokens = sum(len(e[0]) for e in examples)
    labels = sum(e[1] for e in examples)
    print(f"checksum {len(examples)} {tokens} {labels}")
    print(f"seconds {seconds:.4f}")


if __name__ == "__main__":
    main()
