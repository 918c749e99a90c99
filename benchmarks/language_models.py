"""Train the character language models with their recipes on Shakespeare and record each
one's cross-entropy on the held-out plays (nats and bits per character) beside a unigram
model's, with a sample of the text it writes.

    python benchmarks/language_models.py                        # every language model
    python benchmarks/language_models.py char_transformer_lm --epochs 1 --no-record

Rows land in zoo/results/language_models.json (the cards read them). The anchor: nanoGPT's
CPU recipe (a 4-layer, 128-wide GPT on tiny-shakespeare, 2,000 steps of 12 x 64 characters)
reaches a validation loss of about 1.88 nats per character in about 3 minutes on a laptop.
What differs in the data: zoo's Shakespeare is all 38 plays' speeches without speaker
names (3.6 million training characters, 3 times tiny-shakespeare), validated on 4 whole
held-out plays, where tiny-shakespeare's validation is the last 10% of one text.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from zoo.benchmark import record  # noqa: E402
from zoo.text.measure import measure_language_model  # noqa: E402

DESCRIPTION = ("Cross-entropy on Shakespeare's held-out plays (nats and bits per character) of "
               "character language models trained with their card's recipe, beside a unigram "
               "model of the training characters.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help="language models (default: all)")
    parser.add_argument("--epochs", type=int, help="override the recipes' epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/language_models.py", *(argv or sys.argv[1:])])
    for name in args.models or zoo.list_models(task="language-modeling"):
        row = measure_language_model(name, epochs=args.epochs, seed=args.seed, command=command)
        print(f"{name:<22} {row['value']:.4f} nats/char = {row['bits_per_char']:.4f} bits/char"
              f"  (unigram {row['unigram_nats_per_char']:.4f})  {row['epochs_run']} epochs, "
              f"{row['wall_seconds']} s\n{row['sample']}\n", flush=True)
        if not args.no_record:
            record([row], "language_models", DESCRIPTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
