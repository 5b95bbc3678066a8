"""Dataset-level topic analysis over sentence embeddings: clusters, c-TF-IDF labels, a 2-D map, diversity.

Clustering is a property of the whole dataset (a row's cluster depends on every other row), so this
is an analysis, not a per-row Metric: scoring it batch by batch would give each batch its own topics.
Embeddings come from core.embeddings (the same vectors semantic dedup uses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np

from core.diversity import DiversityScores, diversity_scores
from core.errors import SieveInputError
from core.progress import ProgressCallback

Method = Literal["kmeans", "hdbscan"]
Projection = Literal["pca", "umap"]
METHODS: tuple[str, ...] = ("kmeans", "hdbscan")
OUTLIER = -1
# Words of two or more letters (any script); digits and underscores never make a topic label.
TERM_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
HDBSCAN_MAX_FIT_ROWS = 10_000
# Prompt boilerplate ("Rewrite the following sentence given the input") says nothing about a topic.
PROMPT_STOP_WORDS = frozenset({"following", "given", "provided", "based", "input", "output"})


@dataclass
class TopicCluster:
    id: int                               # 0 = largest cluster; -1 = HDBSCAN outliers
    label: str                            # its three most distinctive terms
    size: int
    share: float                          # size / rows
    cohesion: float                       # mean cosine similarity of members to their centroid
    terms: list[tuple[str, float]] = field(default_factory=list)  # c-TF-IDF weight, best first


@dataclass
class TopicResult:
    cluster_ids: np.ndarray               # one per row
    x: np.ndarray
    y: np.ndarray
    clusters: list[TopicCluster]          # largest first, outliers last
    diversity: DiversityScores
    method: str
    projection: str
    k_scores: dict[int, float] = field(default_factory=dict)  # silhouette per k when k was estimated
    overall_terms: list[tuple[str, float]] = field(default_factory=list)  # word counts, stop words removed

    def labels(self) -> list[str]:
        """The cluster label of every row."""
        by_id = {c.id: c.label for c in self.clusters}
        return [by_id[int(c)] for c in self.cluster_ids]

    def cluster(self, cluster_id: int) -> TopicCluster:
        return next(c for c in self.clusters if c.id == cluster_id)

    def rows_frame(self, ids: Sequence[str]):
        """pandas frame: id, cluster, label, x, y — one row per dataset row."""
        import pandas as pd

        return pd.DataFrame({"id": list(ids), "cluster": self.cluster_ids, "label": self.labels(),
                             "x": self.x, "y": self.y})

    def cluster_frame(self):
        """pandas frame: one row per cluster with its label, size, share, cohesion and top terms."""
        import pandas as pd

        return pd.DataFrame([{"cluster": c.id, "label": c.label, "size": c.size, "share": c.share,
                              "cohesion": c.cohesion, "top terms": ", ".join(t for t, _ in c.terms[:10])}
                             for c in self.clusters])


# ---------------------------------------------------------------- clustering

def _distinct_count(vectors: np.ndarray) -> int:
    """Distinct rows (to 5 decimals): k-means cannot make more clusters than this."""
    rounded = np.ascontiguousarray(np.round(vectors, 5))
    return len({row.tobytes() for row in rounded})


def estimate_k(embeddings: np.ndarray, k_values: Sequence[int] = range(2, 17), *, sample_size: int = 2000,
               seed: int = 0) -> tuple[int, dict[int, float]]:
    """The k with the best silhouette among `k_values` (at most sqrt(rows)), on a sample in 20 PCA dims; plus every score.

    In the full 256-384 dims distances concentrate and silhouette nearly always picks k=2 (on Alpaca
    instructions: 0.068 at k=2, <= 0.065 above); on the principal components it peaks inside the range.
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    n = len(embeddings)
    sample = embeddings[np.sort(rng.choice(n, sample_size, replace=False))] if n > sample_size else embeddings
    distinct = _distinct_count(sample)
    # Silhouette keeps rising as clusters shrink towards single rows, so small datasets cap k at sqrt(n).
    most = min(distinct - 1, len(sample) - 1, max(2, math.isqrt(n)))
    candidates = [k for k in k_values if 2 <= k <= most]
    if not candidates:
        return max(1, min(distinct, 2)), {}
    dims = min(20, sample.shape[1], len(sample) - 1)
    reduced = PCA(n_components=dims, random_state=seed).fit_transform(sample) if dims >= 2 else sample
    scores = {k: float(silhouette_score(reduced, KMeans(n_clusters=k, n_init=3, random_state=seed)
                                        .fit_predict(reduced))) for k in candidates}
    return max(scores, key=scores.get), scores


def kmeans_clusters(embeddings: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    """k-means labels; k is capped at the number of distinct vectors (identical rows share a cluster)."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    k = min(k, _distinct_count(embeddings))
    if k <= 1:
        return np.zeros(len(embeddings), dtype=np.int64)
    if len(embeddings) > 50_000:
        model = MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=3, random_state=seed)
    else:
        model = KMeans(n_clusters=k, n_init=3, random_state=seed)
    return model.fit_predict(embeddings).astype(np.int64)


def hdbscan_clusters(embeddings: np.ndarray, min_cluster_size: int | None = None, *, seed: int = 0) -> np.ndarray:
    """HDBSCAN labels (-1 = outlier) on a 10-dim PCA of the embeddings.

    Density estimates degrade in hundreds of dimensions (BERTopic reduces to 5 with UMAP); above
    HDBSCAN_MAX_FIT_ROWS rows it fits on a sample and gives every other row its nearest fitted row's label.
    """
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA
    from sklearn.neighbors import NearestNeighbors

    n = len(embeddings)
    if n < 3:
        return np.zeros(n, dtype=np.int64)
    dims = min(10, embeddings.shape[1], n - 1)
    reduced = PCA(n_components=dims, random_state=seed).fit_transform(embeddings)
    size = min_cluster_size or max(10, n // 200)
    fit_rows = np.arange(n)
    if n > HDBSCAN_MAX_FIT_ROWS:
        fit_rows = np.sort(np.random.default_rng(seed).choice(n, HDBSCAN_MAX_FIT_ROWS, replace=False))
        size = max(2, round(size * HDBSCAN_MAX_FIT_ROWS / n))
    size = max(2, size)
    fitted = HDBSCAN(min_cluster_size=size, min_samples=min(5, size), copy=True).fit_predict(reduced[fit_rows])
    if len(fit_rows) == n:
        return fitted.astype(np.int64)
    nearest = NearestNeighbors(n_neighbors=1).fit(reduced[fit_rows]).kneighbors(reduced, return_distance=False)
    return fitted[nearest[:, 0]].astype(np.int64)


def _renumber_by_size(labels: np.ndarray) -> np.ndarray:
    """Cluster 0 is the largest, ties broken by first appearance; outliers stay -1."""
    ids, first, sizes = np.unique(labels, return_index=True, return_counts=True)
    order = [i for i in sorted(range(len(ids)), key=lambda i: (-sizes[i], first[i])) if ids[i] != OUTLIER]
    mapping = {int(ids[i]): new for new, i in enumerate(order)} | {OUTLIER: OUTLIER}
    return np.array([mapping[int(v)] for v in labels], dtype=np.int64)


# ---------------------------------------------------------------- labels (c-TF-IDF)

def class_tfidf(texts: Sequence[str], cluster_ids: np.ndarray, *, top_n: int = 10, stop_words="default"
                ) -> tuple[dict[int, list[tuple[str, float]]], list[tuple[str, float]]]:
    """Most distinctive terms per cluster by class-based TF-IDF (BERTopic), and overall word counts.

    A cluster's documents are treated as one: W(t, c) = tf(t, c) / |c| * log(1 + A / f(t)), where
    |c| is the cluster's word count, f(t) the term's count over all clusters, A the mean words per cluster.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from scipy import sparse

    if stop_words == "default":  # scikit-learn's English list plus prompt boilerplate
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        stop_words = sorted(ENGLISH_STOP_WORDS | PROMPT_STOP_WORDS)
    classes = np.unique(cluster_ids)
    vectorizer = CountVectorizer(stop_words=stop_words, token_pattern=TERM_PATTERN, lowercase=True)
    try:
        counts = vectorizer.fit_transform([t or "" for t in texts])
    except ValueError:  # no word survives stop-word removal (empty, numeric or stop-word-only texts)
        return {int(c): [] for c in classes}, []
    terms = vectorizer.get_feature_names_out()
    row_class = np.searchsorted(classes, cluster_ids)
    membership = sparse.csr_matrix((np.ones(len(texts)), (row_class, np.arange(len(texts)))),
                                   shape=(len(classes), len(texts)))
    tf = (membership @ counts).tocsr().astype(np.float64)  # clusters x terms, sparse (HDBSCAN may make hundreds)
    term_totals = np.asarray(tf.sum(axis=0)).ravel()
    mean_words = tf.sum() / len(classes)
    idf = np.log1p(mean_words / np.maximum(term_totals, 1))
    words_per_class = np.maximum(np.asarray(tf.sum(axis=1)).ravel(), 1)
    weights = (sparse.diags(1.0 / words_per_class) @ tf @ sparse.diags(idf)).tocsr()
    per_class = {}
    for row, cls in enumerate(classes):
        start, end = weights.indptr[row], weights.indptr[row + 1]
        cols, values = weights.indices[start:end], weights.data[start:end]
        best = np.lexsort((cols, -values))[:top_n]  # highest weight first, ties alphabetical
        per_class[int(cls)] = [(str(terms[cols[i]]), float(values[i])) for i in best if values[i] > 0]
    top_overall = np.argsort(-term_totals, kind="stable")[:200]
    return per_class, [(str(terms[i]), float(term_totals[i])) for i in top_overall if term_totals[i] > 0]


def _label(cluster_id: int, terms: list[tuple[str, float]]) -> str:
    if cluster_id == OUTLIER:
        return "outliers"
    return " · ".join(t for t, _ in terms[:3]) or f"cluster {cluster_id}"


# ---------------------------------------------------------------- 2-D map

def project_2d(embeddings: np.ndarray, method: Projection = "pca", *, seed: int = 0) -> np.ndarray:
    """(n, 2) coordinates for the map: PCA (fast, default) or UMAP when umap-learn is installed."""
    n = len(embeddings)
    if n < 3:
        return np.zeros((n, 2))
    if method == "umap":
        try:
            import umap
        except ImportError:
            raise SieveInputError("UMAP needs the optional package umap-learn "
                                  "(pip install umap-learn); choose PCA instead", field="projection") from None
        return umap.UMAP(n_components=2, metric="cosine", random_state=seed).fit_transform(embeddings)
    if method != "pca":
        raise SieveInputError(f"unknown projection {method!r}; choose pca or umap", field="projection")
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=seed).fit_transform(embeddings)


def umap_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("umap") is not None


# ---------------------------------------------------------------- the analysis

def _cohesion(embeddings: np.ndarray, members: np.ndarray) -> float:
    vectors = embeddings[members]
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    return float((vectors @ centroid).mean() / norm) if norm > 0 else 0.0


def analyze_topics(texts: Sequence[str], embeddings: np.ndarray, *, method: Method = "kmeans",
                   k: int | None = None, k_values: Sequence[int] = range(2, 17),
                   min_cluster_size: int | None = None, projection: Projection = "pca", top_terms: int = 10,
                   seed: int = 0, on_progress: ProgressCallback | None = None) -> TopicResult:
    """Cluster rows, label clusters by c-TF-IDF, place rows on a 2-D map, score diversity.

    k=None estimates k for k-means by silhouette over `k_values` on a sample.
    """
    import sklearn.cluster  # noqa: F401  (load BLAS/OpenMP first: threadpoolctl limits only loaded libraries)
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread: the work is many small matrix operations (k-means restarts, silhouettes
    # on a sample), where worker threads mostly wait on each other; on a busy 2-core machine one
    # thread ran 10-20x faster (k estimate: 47 s -> 4 s on 5,000 rows, 21 s -> 1 s on 100,000).
    with threadpool_limits(limits=1):
        return _analyze(texts, embeddings, method=method, k=k, k_values=k_values, min_cluster_size=min_cluster_size,
                        projection=projection, top_terms=top_terms, seed=seed, on_progress=on_progress)


def _analyze(texts, embeddings, *, method, k, k_values, min_cluster_size, projection, top_terms, seed,
             on_progress) -> TopicResult:
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if len(texts) != len(embeddings):
        raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
    if method not in METHODS:
        raise SieveInputError(f"unknown clustering method {method!r}; choose {' or '.join(METHODS)}", field="method")
    if k is not None and k < 1:
        raise SieveInputError(f"k must be at least 1, got {k}", field="k")
    stages = 4
    report = on_progress or (lambda done, total, message: None)
    k_scores: dict[int, float] = {}
    if method == "kmeans":
        if k is None:
            report(0, stages, "Estimating the number of topics")
            k, k_scores = estimate_k(embeddings, k_values, seed=seed)
        report(1, stages, f"Clustering into {k} topics")
        raw = kmeans_clusters(embeddings, k, seed=seed) if len(texts) else np.zeros(0, dtype=np.int64)
    else:
        report(1, stages, "Clustering (HDBSCAN)")
        raw = hdbscan_clusters(embeddings, min_cluster_size, seed=seed)
    cluster_ids = _renumber_by_size(raw)
    report(2, stages, "Labelling topics (c-TF-IDF)")
    terms, overall = class_tfidf(texts, cluster_ids, top_n=max(top_terms, 50)) if len(texts) else ({}, [])
    report(3, stages, "Drawing the map")
    xy = project_2d(embeddings, projection, seed=seed)
    ids, sizes = np.unique(cluster_ids, return_counts=True)
    clusters = [TopicCluster(id=int(c), label=_label(int(c), terms.get(int(c), [])), size=int(s),
                             share=float(s) / len(texts), cohesion=_cohesion(embeddings, cluster_ids == c),
                             terms=terms.get(int(c), []))
                for c, s in zip(ids, sizes)]
    clusters.sort(key=lambda c: (c.id == OUTLIER, c.id))
    report(4, stages, "Done")
    return TopicResult(cluster_ids=cluster_ids, x=xy[:, 0] if len(xy) else np.zeros(0),
                       y=xy[:, 1] if len(xy) else np.zeros(0), clusters=clusters,
                       diversity=diversity_scores(texts, embeddings, cluster_ids), method=method,
                       projection=projection, k_scores=k_scores, overall_terms=overall)


def word_cloud(weights: Sequence[tuple[str, float]], *, width: int = 600, height: int = 320,
               seed: int = 0) -> np.ndarray | None:
    """RGB image (h, w, 3) of a word cloud over (term, weight) pairs, in wordcloud's bundled font; None if empty."""
    frequencies = {term: weight for term, weight in weights if weight > 0}
    if not frequencies:
        return None
    from wordcloud import WordCloud

    cloud = WordCloud(width=width, height=height, background_color="white", random_state=seed,
                      max_words=min(100, len(frequencies)), prefer_horizontal=0.95)
    return cloud.generate_from_frequencies(frequencies).to_array()

