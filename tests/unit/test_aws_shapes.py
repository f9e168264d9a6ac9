"""Lattice API shapes ↔ model records: what apply writes reads back equal through observe."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lattice_controller.aws.shapes import (
    action_from_api,
    fixed_action,
    forward_action,
    health_check_from_api,
    health_check_to_api,
    match_from_api,
    match_to_api,
    resource_id,
    target_group_config_from_api,
    target_group_config_to_api,
)
from lattice_controller.model.lattice import HeaderMatchSpec, HealthCheckSpec, RuleMatch, TargetGroupConfig
from lattice_controller.model.lattice_observed import ObservedAction, ObservedForward

TG_ARN = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdefg"
text = st.text(alphabet="abcXYZ019-_/.", min_size=1, max_size=12)
headers = st.builds(HeaderMatchSpec, text, text, st.booleans())
matches = st.builds(
    RuleMatch,
    st.sampled_from([None, "exact", "prefix"]),
    text,
    st.booleans(),
    st.sampled_from([None, "GET", "POST"]),
    st.lists(headers, max_size=5).map(tuple),
)


@given(matches)
def test_match_round_trip(match: RuleMatch) -> None:
    back = match_from_api(match_to_api(match))
    assert back is not None
    assert back.key() == match.key()


def test_match_api_shape() -> None:
    match = RuleMatch("exact", "/a", True, "GET", (HeaderMatchSpec("x-env", "prod"),))
    assert match_to_api(match) == {
        "httpMatch": {
            "pathMatch": {"match": {"exact": "/a"}, "caseSensitive": True},
            "method": "GET",
            "headerMatches": [{"name": "x-env", "match": {"exact": "prod"}, "caseSensitive": False}],
        }
    }
    assert match_to_api(RuleMatch(None, method="POST")) == {"httpMatch": {"method": "POST"}}


def test_matches_the_model_cannot_express_read_as_none() -> None:
    contains = {"httpMatch": {"headerMatches": [{"name": "a", "match": {"contains": "b"}}]}}
    assert match_from_api(contains) is None
    assert match_from_api(None) is None
    assert match_from_api({"httpMatch": {"pathMatch": {"match": {}}}}) is None


def test_actions_both_ways_send_and_read_ids() -> None:
    assert fixed_action(404) == {"fixedResponse": {"statusCode": 404}}
    assert action_from_api(fixed_action(500)) == ObservedAction(fixed_status=500)
    sent = forward_action([(TG_ARN, 75), ("tg-2", 25)])
    assert sent == {
        "forward": {
            "targetGroups": [
                {"targetGroupIdentifier": "tg-0123456789abcdefg", "weight": 75},
                {"targetGroupIdentifier": "tg-2", "weight": 25},
            ]
        }
    }
    read = {"forward": {"targetGroups": [{"targetGroupIdentifier": TG_ARN}]}}
    assert action_from_api(read) == ObservedAction((ObservedForward("tg-0123456789abcdefg", 1),))
    assert action_from_api(None) is None


def test_health_check_round_trip_of_the_defaults() -> None:
    defaults = HealthCheckSpec().with_defaults("HTTP", "HTTP1")
    assert health_check_from_api(health_check_to_api(defaults)) == defaults
    assert health_check_to_api(HealthCheckSpec(enabled=False)) == {"enabled": False}
    lattice_defaults = {
        "enabled": True,
        "protocol": "HTTP",
        "protocolVersion": "HTTP1",
        "path": "/",
        "healthCheckIntervalSeconds": 30,
        "healthCheckTimeoutSeconds": 5,
        "healthyThresholdCount": 5,
        "unhealthyThresholdCount": 2,
        "matcher": {"httpCode": "200"},
    }
    assert health_check_from_api(lattice_defaults) == defaults


def test_target_group_config() -> None:
    config = TargetGroupConfig(vpc="vpc-1")
    api = target_group_config_to_api(config, None)
    assert api == {
        "port": 80,
        "protocol": "HTTP",
        "protocolVersion": "HTTP1",
        "vpcIdentifier": "vpc-1",
        "ipAddressType": "IPV4",
    }
    assert "protocolVersion" not in target_group_config_to_api(
        TargetGroupConfig("vpc-1", protocol="TCP"), None
    )
    summary = {
        "type": "IP",
        "port": 80,
        "protocol": "HTTP",
        "ipAddressType": "IPV4",
        "vpcIdentifier": "vpc-1",
    }
    assert target_group_config_from_api(summary, protocol_version="HTTP1") == config
    assert target_group_config_from_api(summary, config=api) == config


def test_resource_id() -> None:
    assert resource_id(TG_ARN) == "tg-0123456789abcdefg"
    assert resource_id("svc-1") == "svc-1"
    rule = "arn:aws:vpc-lattice:us-west-2:1:service/svc-1/listener/listener-1/rule/rule-1"
    assert resource_id(rule) == "rule-1"
