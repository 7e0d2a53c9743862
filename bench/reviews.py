"""Review classifier, compliance guard and reply inspection throughput on one core.

    python -m bench.reviews [--size N]

Texts: the sentiment held-out rows of the review CSV (SHOUHOU_REVIEWS_CSV), repeated to N; CPU time per
process. About half of them are negative, so the complaint-type model (with jieba words) runs on half.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
    import django

    django.setup()
    from shouhou.reviews.classifier.features import char_counts, words
    from shouhou.reviews.classifier.model import default_model, is_sentiment_heldout
    from shouhou.reviews.classifier.normalize import normalize_text
    from shouhou.reviews.classifier.training import load_rows
    from shouhou.reviews.guards import guard_outgoing, inspect_reply

    texts = [r.text for r in load_rows() if r.text and is_sentiment_heldout(r.text)]
    texts = (texts * (args.size // len(texts) + 1))[: args.size]
    model = default_model()
    model.predict(texts[:100])

    def rate(label: str, fn, items) -> None:
        c0 = time.process_time()
        fn(items)
        cpu = time.process_time() - c0
        print(f"{label:38s} {len(items):>8,d} 条  {len(items) / cpu:>10,.0f} 条/CPU秒")

    print(f"texts: {len(texts):,}, mean length {sum(map(len, texts)) / len(texts):.1f} chars")
    rate("normalize_text", lambda xs: [normalize_text(x) for x in xs], texts)
    rate("hashed char n-grams", lambda xs: char_counts(xs, model.sent_features.ngrams), texts)
    rate("jieba words + bigrams", lambda xs: [words(x) for x in xs], texts)
    rate("sentiment only", model.sentiment_scores, texts)
    rate("classify (full: sentiment+type+aspect)", model.predict, texts)
    batch = 1000
    rate("classify in batches of 1,000", lambda xs: [model.predict(xs[i:i + batch]) for i in range(0, len(xs), batch)],
         texts)
    rate("classify one at a time", lambda xs: [model.predict([x]) for x in xs], texts[:2000])
    rate("guard_outgoing", lambda xs: [guard_outgoing(x) for x in xs], texts[:5000])
    rate("inspect_reply", lambda xs: [inspect_reply(x) for x in xs], texts[:5000])


if __name__ == "__main__":
    main()
