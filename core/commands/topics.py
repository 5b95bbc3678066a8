"""`python -m core topics FILE`: clusters with c-TF-IDF labels and diversity scores; --output writes each row's topic."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.commands import add_load_arguments, load_options

TEXT_FIELDS = ("instruction", "prompt", "response", "conversation")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("topics", help="Cluster conversations into labelled topics; diversity scores",
                                   description="Embed one text field, cluster (k-means or HDBSCAN), label each "
                                               "cluster by c-TF-IDF and score the dataset's diversity.")
    parser.add_argument("file", help=".json, .jsonl, .csv or .parquet, optionally .gz/.zst")
    add_load_arguments(parser)
    parser.add_argument("--field", choices=TEXT_FIELDS, default="instruction", help="text to embed (default instruction)")
    parser.add_argument("--model", default=None,
                        help="static (default; $SIEVE_EMBEDDING_MODEL overrides), minilm, or a local model folder")
    parser.add_argument("--method", choices=("kmeans", "hdbscan"), default="kmeans")
    parser.add_argument("--k", type=int, help="k-means clusters (default: estimated by silhouette, 2..16)")
    parser.add_argument("--min-cluster-size", type=int, help="HDBSCAN minimum cluster size (default max(10, rows/200))")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="ROWS.jsonl or ROWS.parquet: id, cluster, label, x, y per row")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(func=run)


def summary(result, field: str, model: str) -> dict:
    return {"field": field, "model": model, "method": result.method, "diversity": result.diversity.as_dict(),
            "k_scores": {str(k): v for k, v in result.k_scores.items()},
            "clusters": [{"cluster": c.id, "label": c.label, "size": c.size, "share": c.share,
                          "cohesion": c.cohesion, "terms": [t for t, _ in c.terms[:10]]} for c in result.clusters]}


def print_text(info: dict, rows: int) -> None:
    d = info["diversity"]
    print(f"{rows:,} rows, {info['field']} embedded with {info['model']}, {info['method']}: "
          f"{sum(c['cluster'] >= 0 for c in info['clusters'])} topics")
    print(f"cluster entropy {d['cluster_entropy_bits']:.3f} bits ({d['cluster_entropy_normalized']:.2f} of max)  "
          f"distinct-1 {d['distinct_1']:.3f}  distinct-2 {d['distinct_2']:.3f}  "
          f"mean pairwise distance {d['mean_pairwise_distance']:.3f}")
    print(f"\n{'cluster':>7}  {'rows':>7}  {'share':>6}  label")
    for c in info["clusters"]:
        print(f"{c['cluster']:>7}  {c['size']:>7,}  {c['share']:>6.1%}  {c['label']}")


def run(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from core.embeddings import default_model, embed
    from core.load import load_dataset
    from core.topics import analyze_topics
    from core.writers import check_table_path, write_table

    output = check_table_path(Path(args.output)) if args.output else None
    model = args.model or default_model()
    dataset = load_dataset(args.file, format=args.format, on_error=args.on_error,
                           options=load_options(args)).dataset
    texts = dataset.texts(args.field)
    print(f"embedding {len(texts):,} {args.field} texts with {model}…", file=sys.stderr)
    vectors = embed(texts, model)
    params = {"k": args.k} if args.method == "kmeans" else {"min_cluster_size": args.min_cluster_size}
    result = analyze_topics(texts, vectors, method=args.method, seed=args.seed, **params)
    info = summary(result, args.field, model)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        print_text(info, dataset.num_rows)
    if output:
        write_table(pa.Table.from_pandas(result.rows_frame(dataset.ids), preserve_index=False), output)
        print(f"wrote {dataset.num_rows:,} rows -> {output}", file=sys.stderr)
    return 0
