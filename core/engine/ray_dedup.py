"""Global dedup on Ray, with the local engine's exact result and without gathering rows anywhere.

Exact and MinHash dedup run as distributed stages over the materialized dataset:

1. signatures: `map_batches` with the step's own `signatures` (the local engine's `dedup_signatures`);
2. band buckets: each signature block emits (band, key, order) rows; a hash shuffle on (band, key)
   (Ray tasks) puts every bucket in one partition, where the local `bucket_pairs` / `equal_key_pairs`
   give the same candidate pairs as on one machine;
3. candidate components: one Ray task runs union-find over the candidate edge list (16 bytes per
   edge; the only global structure, never the rows or their signatures);
4. each component's signatures and edges are shuffled to one partition, where the local code
   verifies the pairs and cuts stars with the keep policy (`resolve_from_pairs`) — a verified
   component never spans two partitions, since it lies inside one candidate component;
5. the dropped rows (order, cluster, kept id, similarity: ~50 bytes each) are broadcast through the
   object store and applied batch by batch with `map_batches`.

Any other Deduplicator (embedding, decontamination against a reference file) runs its `resolve` in
one Ray task over all signatures: exact, but the signatures must fit one worker.
Cluster numbers on Ray are the kept row's input position (the local engine numbers by size).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core import ledger as ledger_mod
from core.dedup.base import fixed_size_matrix, has_text
from core.engine.plan import dedup_signatures, dedup_threshold
from core.engine.ray_io import DROP, ORDER, alive_mask
from core.steps import Deduplicator, DedupResult

_MIX = np.uint64(0x9E3779B97F4A7C15)
_READY: dict[str, object] = {}
_FETCHED: dict[str, pa.Table] = {}


def ready(step):
    """The step, set up once per worker process (models load once, not once per batch)."""
    key = f"{type(step).__module__}.{type(step).__qualname__}:{step.model_dump_json()}"
    if key not in _READY:
        step.setup()
        _READY[key] = step
    return _READY[key]


def is_distributed(step: Deduplicator) -> bool:
    from core.dedup.exact import ExactDedup
    from core.dedup.minhash import MinHashDedup
    return isinstance(step, (ExactDedup, MinHashDedup)) and not getattr(step, "reference", None)


# ---------------------------------------------------------------- per block (pure functions)

def signature_batch(batch: pa.Table, step: Deduplicator) -> pa.Table:
    """Signatures of the live rows; `id` is the input order as text (unique even across shards)."""
    alive = batch.filter(alive_mask(batch))
    if alive.num_rows == 0:
        return pa.table({})
    orders = alive.column(ORDER)
    sig = dedup_signatures(ready(step), alive, 0)
    sig = sig.set_column(sig.schema.get_field_index("order"), "order", orders)
    sig = sig.set_column(sig.schema.get_field_index("id"), "id", pc.cast(orders, pa.string()))
    return sig.append_column("real_id", alive.column("id"))


def bucket_rows(sig: pa.Table, step: Deduplicator) -> pa.Table:
    """(band, key, order) for every row with text: rows sharing a (band, key) are candidates."""
    from core.dedup.minhash import MinHashDedup, band_keys
    valid = has_text(sig)
    order = sig.column("order").to_numpy()[valid]
    if isinstance(step, MinHashDedup):
        keys = band_keys(fixed_size_matrix(sig.column("minhash"), np.uint32)[valid], *step.bands())
        bands = keys.shape[1]
        return pa.table({"band": np.tile(np.arange(bands, dtype=np.int32), len(order)),
                         "key": keys.reshape(-1), "order": np.repeat(order, bands)})
    hashes = np.asarray(sig.column("text_hash").to_pylist(), dtype=object)[valid]
    keys = np.fromiter((int(h[:16], 16) for h in hashes), np.uint64, len(hashes))
    return pa.table({"band": np.zeros(len(order), np.int32), "key": keys, "order": order})


def bucket_edges(rows: pa.Table, step: Deduplicator) -> pa.Table:
    """Candidate (left, right) orders of one partition of whole buckets, as the local engine finds them."""
    from core.dedup.exact import equal_key_pairs
    from core.dedup.minhash import MinHashDedup, bucket_pairs
    band, key, order = (rows.column(c).to_numpy() for c in ("band", "key", "order"))
    by_band = np.lexsort((order, band))  # within a band, row order: buckets list members as locally
    band, key, order = band[by_band], key[by_band], order[by_band]
    lefts, rights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for b in np.unique(band):
        at = np.flatnonzero(band == b)
        if isinstance(step, MinHashDedup):
            left, right = bucket_pairs(key[at])
        else:
            left, right = equal_key_pairs(key[at], np.ones(len(at), bool))
        lefts.append(order[at][left])
        rights.append(order[at][right])
    return pa.table({"left": np.concatenate(lefts), "right": np.concatenate(rights)})


def components(*edge_tables: pa.Table) -> pa.Table:
    """(order, component) of every row in a candidate pair; component = its smallest order."""
    from core.dedup.clusters import pair_components
    edges = _concat(edge_tables)
    if edges.num_rows == 0:
        return pa.table({"order": pa.array([], pa.int64()), "component": pa.array([], pa.int64())})
    groups = pair_components(edges.column("left").to_numpy(), edges.column("right").to_numpy())
    return pa.table({"order": np.concatenate(groups),
                     "component": np.concatenate([np.full(len(g), g[0], np.int64) for g in groups])})


def resolve_partition(step: Deduplicator, sig: pa.Table, edges: pa.Table) -> pa.Table:
    """Verify one partition's candidate pairs and cluster them with the local code; dropped rows out."""
    if sig.num_rows == 0 or edges.num_rows == 0:
        return _empty_drops()
    sig = sig.sort_by("order")
    orders = sig.column("order").to_numpy()
    n = len(orders)
    left = np.searchsorted(orders, edges.column("left").to_numpy())
    right = np.searchsorted(orders, edges.column("right").to_numpy())
    unique = np.unique(np.minimum(left, right) * n + np.maximum(left, right))
    left, right = unique // n, unique % n
    similarity = _verified_similarity(step, sig, left, right)
    similar = similarity >= step.similarity_threshold
    result = step.resolve_from_pairs(sig, left[similar], right[similar], similarity[similar])
    return drops_from(result, sig)


def resolve_all(step: Deduplicator, *sig_tables: pa.Table) -> pa.Table:
    """Any Deduplicator: its own `resolve` over every signature, in one task."""
    sig = _concat(sig_tables)
    if sig.num_rows == 0:
        return _empty_drops()
    sig = sig.sort_by("order")
    return drops_from(ready(step).resolve(sig), sig)


def _verified_similarity(step, sig: pa.Table, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    from core.dedup.minhash import MinHashDedup, estimated_jaccard
    if isinstance(step, MinHashDedup):
        return estimated_jaccard(fixed_size_matrix(sig.column("minhash"), np.uint32), left, right)
    hashes = np.asarray(sig.column("text_hash").to_pylist(), dtype=object)
    return (hashes[left] == hashes[right]).astype(np.float64)  # 64-bit bucket keys, 128-bit check


def drops_from(result: DedupResult, sig: pa.Table) -> pa.Table:
    """(order, id, cluster, kept_id, similarity) of the dropped rows; ids back from orders."""
    ledger = result.ledger
    if ledger.num_rows == 0:
        return _empty_drops()
    orders = sig.column("order").to_numpy()
    real_ids = sig.column("real_id")
    dropped = pc.cast(ledger.column("id"), pa.int64()).to_numpy()
    kept = pc.cast(ledger.column("kept_id"), pa.int64()).to_numpy()
    similarity = ledger.column("similarity") if "similarity" in ledger.column_names else pa.nulls(len(kept), pa.float64())
    return pa.table({"order": dropped, "id": real_ids.take(pa.array(np.searchsorted(orders, dropped))),
                     "cluster": kept, "kept_id": real_ids.take(pa.array(np.searchsorted(orders, kept))),
                     "similarity": pc.cast(similarity, pa.float64())})


def _empty_drops() -> pa.Table:
    return pa.table({"order": pa.array([], pa.int64()), "id": pa.array([], pa.string()),
                     "cluster": pa.array([], pa.int64()), "kept_id": pa.array([], pa.string()),
                     "similarity": pa.array([], pa.float64())})


def _concat(tables) -> pa.Table:
    tables = [t for t in tables if t.num_rows]
    return pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})


def apply_batch(batch: pa.Table, drops_ref, label: str, threshold: str | None) -> pa.Table:
    """Mark the live rows of a batch that the resolved dedup drops (ledger as `ledger.from_dedup`)."""
    import ray
    key = drops_ref.hex()
    if key not in _FETCHED:
        _FETCHED.clear()
        _FETCHED[key] = ray.get(drops_ref)
    drops = _FETCHED[key]
    positions = pc.index_in(batch.column(ORDER).combine_chunks(), value_set=drops.column("order"))
    hit = pc.fill_null(pc.and_(pc.is_valid(positions), alive_mask(batch)), False)
    if not pc.any(hit).as_py():
        return batch
    rows = pa.array(np.flatnonzero(hit.to_numpy(zero_copy_only=False)))
    matched = drops.take(pc.take(positions, rows))
    ledger = ledger_mod.from_dedup(DedupResult(None, matched), label, threshold)
    for name, column in DROP.items():
        current = batch.column(column).combine_chunks()
        batch = batch.set_column(batch.schema.get_field_index(column), column,
                                 pc.replace_with_mask(current, hit, ledger.column(name).combine_chunks().cast(current.type)))
    return batch


# ---------------------------------------------------------------- the stage

def partition_of(values: np.ndarray, parts: int) -> np.ndarray:
    mixed = (values.astype(np.uint64) * _MIX) >> np.uint64(29)
    return (mixed % np.uint64(parts)).astype(np.int64)


def split(table: pa.Table, part: np.ndarray, parts: int) -> list[pa.Table]:
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(parts + 1))
    return [table.take(pa.array(order[bounds[p]:bounds[p + 1]])) for p in range(parts)]


def _split_buckets(rows: pa.Table, parts: int) -> list[pa.Table]:
    keys = rows.column("key").to_numpy() ^ (rows.column("band").to_numpy().astype(np.uint64) * _MIX)
    return split(rows, partition_of(keys, parts), parts)


def _split_members(table: pa.Table, column: str, members: pa.Table, parts: int) -> list[pa.Table]:
    """Rows of `table` whose `column` (an order) is in a component, split by that component."""
    positions = pc.index_in(table.column(column).combine_chunks(), value_set=members.column("order"))
    inside = pc.is_valid(positions)
    table, positions = table.filter(inside), positions.filter(inside)
    component = members.column("component").take(positions).to_numpy()
    return split(table, partition_of(component, parts), parts)


def _bucket_task(sig: pa.Table, step: Deduplicator, parts: int) -> list[pa.Table]:
    if sig.num_rows == 0:
        return [pa.table({})] * parts
    return _split_buckets(bucket_rows(sig, step), parts)


def _edges_task(step: Deduplicator, *pieces: pa.Table) -> pa.Table:
    rows = _concat(pieces)
    if rows.num_rows == 0:
        return pa.table({"left": pa.array([], pa.int64()), "right": pa.array([], pa.int64())})
    return bucket_edges(rows, step)


def _members_task(table: pa.Table, column: str, members: pa.Table, parts: int) -> list[pa.Table]:
    if table.num_rows == 0 or members.num_rows == 0:
        return [pa.table({})] * parts
    return _split_members(table, column, members, parts)


def _resolve_task(step: Deduplicator, n_sig: int, *pieces: pa.Table) -> pa.Table:
    return resolve_partition(ready(step), _concat(pieces[:n_sig]), _concat(pieces[n_sig:]))


def _drops_task(*tables: pa.Table) -> pa.Table:
    tables = [t for t in tables if t.num_rows]
    return pa.concat_tables(tables) if tables else _empty_drops()


class _Tasks:
    """The stage's Ray tasks, built on first use (importing this module never imports ray)."""

    def __init__(self):
        import ray
        self.ray = ray
        self.buckets = ray.remote(_bucket_task)
        self.edges = ray.remote(_edges_task)
        self.components = ray.remote(components)
        self.members = ray.remote(_members_task)
        self.resolve = ray.remote(_resolve_task)
        self.resolve_all = ray.remote(resolve_all)
        self.concat = ray.remote(_drops_task)
        self.count = ray.remote(lambda table: table.num_rows)

    @staticmethod
    def fan_out(fn, parts: int, *args) -> list:
        """One task whose list result becomes `parts` objects (a map side of a shuffle)."""
        return list(fn.options(num_returns=parts).remote(*args))


def dedup_stage(ds, step: Deduplicator, label: str, parts: int, model_actors: int):
    """The dataset with this dedup's duplicates marked dropped (same drops as the local engine)."""
    parts = max(2, parts)  # fan_out needs a list of results
    ds = ds.materialize()  # read twice: signatures, then the drops (the local engine spills instead)
    if step.uses_model:
        from core.engine.ray import ModelStage
        sig_ds = ds.map_batches(ModelStage, fn_constructor_args=(signature_batch, step),
                                concurrency=model_actors, batch_format="pyarrow")
    else:
        sig_ds = ds.map_batches(signature_batch, batch_format="pyarrow", fn_kwargs={"step": step})
    sig_refs = sig_ds.materialize().to_arrow_refs()
    tasks = _Tasks()
    step_ref = tasks.ray.put(step)
    if is_distributed(step):
        drops_ref = _distributed(tasks, step_ref, sig_refs, parts)
    else:
        drops_ref = tasks.concat.remote(tasks.resolve_all.remote(step_ref, *sig_refs))
    if tasks.ray.get(tasks.count.remote(drops_ref)) == 0:
        return ds
    return ds.map_batches(apply_batch, batch_format="pyarrow",
                          fn_kwargs={"drops_ref": drops_ref, "label": label, "threshold": dedup_threshold(step)})


def _distributed(tasks: _Tasks, step_ref, sig_refs: list, parts: int):
    bucket_pieces = [tasks.fan_out(tasks.buckets, parts, ref, step_ref, parts) for ref in sig_refs]
    edge_refs = [tasks.edges.remote(step_ref, *[pieces[p] for pieces in bucket_pieces]) for p in range(parts)]
    members_ref = tasks.components.remote(*edge_refs)
    sig_pieces = [tasks.fan_out(tasks.members, parts, ref, "order", members_ref, parts) for ref in sig_refs]
    edge_pieces = [tasks.fan_out(tasks.members, parts, ref, "left", members_ref, parts) for ref in edge_refs]
    drops = [tasks.resolve.remote(step_ref, len(sig_pieces), *[s[p] for s in sig_pieces], *[e[p] for e in edge_pieces])
             for p in range(parts)]
    return tasks.concat.remote(*drops)
