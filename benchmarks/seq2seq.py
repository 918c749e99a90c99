"""Train the sequence-to-sequence models with their recipes and record what their decoded
outputs score on held-out pairs, greedy and with beam search: the phoneme and word error
rates of grapheme to phoneme on the CMU Pronouncing Dictionary (every model), and BLEU and
chrF of English-to-French verse translation on the King James and Louis Segond Bibles.

    python benchmarks/seq2seq.py                                  # every model, G2P
    python benchmarks/seq2seq.py gru_bahdanau --dataset bible_kjv_lsg --epochs 6
    python benchmarks/seq2seq.py gru_seq2seq --epochs 1 --limit 500 --no-record

Rows land in zoo/results/seq2seq.json (the cards read the G2P phoneme error rate). See
zoo.text.measure_seq2seq for how each figure is computed and what published ones compare.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.text.measure_seq2seq import BEAMS, measure_seq2seq  # noqa: E402

DESCRIPTION = ("Decoded outputs of sequence-to-sequence models trained with their card's "
               "recipe, greedy and with beam search: phoneme and word error rates on held-out "
               "CMUdict words (token_error_rate), BLEU and chrF on held-out Bible verses "
               "translated from English to French (bleu).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="sequence-to-sequence models (default: all)")
    parser.add_argument("--dataset", default="cmudict", choices=("cmudict", "bible_kjv_lsg"))
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--beams", type=int, default=BEAMS)
    parser.add_argument("--limit", type=int, help="decode only the first test pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    if args.limit and not args.no_record:
        parser.error("--limit decodes part of the test split: use it with --no-record")
    command = " ".join(["python benchmarks/seq2seq.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models(task="sequence-to-sequence"):
        row = measure_seq2seq(name, args.dataset, epochs=args.epochs, seed=args.seed,
                              num_beams=args.beams, limit=args.limit, command=command)
        figures = {k: v for k, v in row.items() if k.startswith(("greedy_", "beam_"))
                   and not k.endswith("seconds")}
        print(f"{name:<20} {args.dataset}  {figures}  {row['epochs_run']} epochs, "
              f"{row['wall_seconds']} s\n  {row['examples']}", flush=True)
        if not args.no_record:
            record([row], "seq2seq", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
