"""DetailCache: Get responses by (arn, lastUpdatedAt), and our own write responses pending their stamp;
only the members reconciles read are kept, and deletes forget what they deleted."""

from __future__ import annotations

from datetime import UTC, datetime

from lattice_controller.reconcile.observe import DetailCache

ARN = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-1/listener/listener-1/rule/rule-1"
RULE = {"arn": ARN, "id": "rule-1", "priority": 1, "match": {"m": 1}, "action": {"a": 1}}
KEPT = {"priority": 1, "match": {"m": 1}, "action": {"a": 1}}
"""What the cache gives back of ``RULE``: the members reconciles read."""
WRITTEN_AT = 1_800_000_000.0


def _summary(seconds: float) -> dict[str, object]:
    return {"arn": ARN, "lastUpdatedAt": datetime.fromtimestamp(seconds, UTC)}


def _cache() -> DetailCache:
    return DetailCache(wall_clock=lambda: WRITTEN_AT)


def test_a_get_response_hits_until_the_stamp_moves() -> None:
    cache = _cache()
    cache.put({**RULE, "lastUpdatedAt": "2027-01-15T08:00:00.000Z"})
    assert cache.get({"arn": ARN, "lastUpdatedAt": "2027-01-15T08:00:00.000Z"}) is not None
    assert cache.get({"arn": ARN, "lastUpdatedAt": "2027-01-15T08:00:00.001Z"}) is None
    assert cache.get({"arn": ARN}) is None


def test_our_write_adopts_the_first_stamp_no_later_than_the_write() -> None:
    cache = _cache()
    cache.remember_write(RULE)
    seen = _summary(WRITTEN_AT - 0.2)
    assert cache.get(seen) == KEPT
    assert cache.get(seen) == KEPT  # adopted: now an ordinary entry
    assert cache.get(_summary(WRITTEN_AT + 5)) is None  # changed again after that


def test_a_stamp_after_our_write_means_someone_else_wrote() -> None:
    cache = _cache()
    cache.remember_write(RULE)
    assert cache.get(_summary(WRITTEN_AT + 2)) is None
    assert cache.get({"arn": ARN, "lastUpdatedAt": "2030-01-01T00:00:00Z"}) is None  # ISO text, later


def test_iso_text_stamps_are_understood() -> None:
    cache = _cache()
    cache.remember_write(RULE)
    text = datetime.fromtimestamp(WRITTEN_AT, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert cache.get({"arn": ARN, "lastUpdatedAt": text}) == KEPT


def test_only_describing_write_responses_are_remembered() -> None:
    cache = _cache()
    cache._on_write("UpdateRule", {}, {"arn": ARN, "priority": 2})  # no match/action: not a full view
    cache._on_write("DeleteRule", {}, RULE)
    assert len(cache) == 0
    cache._on_write("BatchUpdateRule", {}, {"successful": [RULE], "unsuccessful": []})
    assert len(cache) == 1
    tg = {"arn": "arn:tg", "config": {"port": 80}}
    cache._on_write("CreateTargetGroup", {}, tg)  # no health check in the answer: not remembered
    assert len(cache) == 1
    cache._on_write("UpdateTargetGroup", {}, {**tg, "config": {"healthCheck": {"enabled": True}}})
    assert len(cache) == 2


def test_only_the_members_reconciles_read_are_kept_and_each_hit_is_a_fresh_dict() -> None:
    cache = _cache()
    stamp = "2027-01-15T08:00:00.000Z"
    get_response = {
        **RULE,
        "name": "k8s-rule-1",
        "isDefault": False,
        "createdAt": datetime.fromtimestamp(WRITTEN_AT, UTC),
        "lastUpdatedAt": stamp,
    }
    cache.put(get_response)
    first = cache.get({"arn": ARN, "lastUpdatedAt": stamp})
    assert first == KEPT
    assert first is not None
    first["match"]["m"] = 2
    assert cache.get({"arn": ARN, "lastUpdatedAt": stamp}) == KEPT
    config = {"healthCheck": {"enabled": True}}
    cache.put({"arn": "arn:tg", "lastUpdatedAt": stamp, "config": config, "type": "IP"})
    assert cache.get({"arn": "arn:tg", "lastUpdatedAt": stamp}) == {"config": config}


def test_a_detail_that_is_not_json_is_not_remembered() -> None:
    cache = _cache()
    cache.put({**RULE, "match": {"m": object()}, "lastUpdatedAt": "2027-01-15T08:00:00.000Z"})
    assert len(cache) == 0


def test_a_delete_forgets_the_resource_and_what_hangs_off_it() -> None:
    cache = _cache()
    service = ARN.split("/listener/")[0]
    other = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-10/listener/listener-9/rule/rule-9"
    for arn in (ARN, other, service):
        cache.put({**RULE, "arn": arn, "lastUpdatedAt": "2027-01-15T08:00:00.000Z"})
    cache._on_write("DeleteService", {"serviceIdentifier": "svc-1"}, {"arn": service, "id": "svc-1"})
    assert len(cache) == 1
    assert cache.get({"arn": other, "lastUpdatedAt": "2027-01-15T08:00:00.000Z"}) == KEPT
    cache._on_write("DeleteRule", {}, {"arn": other})
    assert len(cache) == 0
