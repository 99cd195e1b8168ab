"""Cold-path cue matching: every distinct cell of the labelled corpora analysed once, no cache.

    python benchmarks/cues_bench.py --impl automaton   # the pipeline's lexicon_cues component
    python benchmarks/cues_bench.py --impl regex       # the former token Matcher, one REGEX per group
    python benchmarks/cues_bench.py --impl segment     # jieba segmentation alone (the floor)

Time the whole processes side by side (e.g. /usr/bin/time, hyperfine): each loads the same
pipeline, so the difference between two runs is the matching.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlp.corpus import load_corpus
from nlp.cues import pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=["automaton", "regex", "segment"], default="automaton")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    corpus = load_corpus()
    texts = sorted({t for column in ("level3", "description", "target_value", "project_goal") for t in corpus[column] if t})
    nlp = pipeline()
    if args.impl == "regex":
        from test_cues import ReferenceCues

        analyse = ReferenceCues().cues
    elif args.impl == "segment":
        analyse = nlp.make_doc
    else:
        analyse = nlp
    for _ in range(args.repeat):
        for text in texts:
            analyse(text)
    print(f"{args.impl}: {len(texts) * args.repeat} cells")


if __name__ == "__main__":
    main()
