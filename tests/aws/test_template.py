"""The CloudFormation template: cfn-lint clean, least privilege, the data protected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

TEMPLATE = Path(__file__).parents[2] / "deploy" / "aws" / "template.yaml"


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub…) as plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_passes() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE)
    assert [str(m) for m in matches] == []


def test_cfn_lint_would_catch_a_broken_template(tmp_path: Path) -> None:
    from cfnlint.api import lint_file

    broken = tmp_path / "broken.yaml"
    broken.write_text(TEMPLATE.read_text().replace("Runtime: python3.12", "Runtime: python2.1", 1))
    assert any(m.rule.id.startswith("E") for m in lint_file(broken))


def test_no_iam_statement_allows_every_action(template: dict[str, Any]) -> None:
    for name, role in _resources(template, "AWS::IAM::Role").items():
        for policy in role["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"]
                    if isinstance(statement["Action"], list)
                    else [statement["Action"]]
                )
                assert all("*" not in action for action in actions), (name, actions)
                resources = (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                )
                assert "*" not in resources, (name, statement["Sid"])


def test_topics_let_only_their_service_publish(template: dict[str, Any]) -> None:
    principals = set()
    for policy in _resources(template, "AWS::SNS::TopicPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow":
                assert statement["Action"] == "sns:Publish"
                assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]
                principals.add(statement["Principal"]["Service"])
    assert principals == {"social-messaging.amazonaws.com", "connect.amazonaws.com"}


def test_tables_have_pitr_encryption_and_a_ttl(template: dict[str, Any]) -> None:
    tables = _resources(template, "AWS::DynamoDB::Table")
    assert len(tables) == 2
    for table in tables.values():
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_media_bucket_is_private_versioned_encrypted_and_expires(template: dict[str, Any]) -> None:
    (bucket,) = _resources(template, "AWS::S3::Bucket").values()
    props = bucket["Properties"]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert props["LifecycleConfiguration"]["Rules"][0]["Status"] == "Enabled"


def test_every_lambda_has_a_dead_letter_queue_and_alarms(template: dict[str, Any]) -> None:
    functions = _resources(template, "AWS::Lambda::Function")
    alarms = _resources(template, "AWS::CloudWatch::Alarm").values()
    watched = {str(a["Properties"]["Dimensions"][0]["Value"]) for a in alarms}
    for name, function in functions.items():
        assert "TargetArn" in function["Properties"]["DeadLetterConfig"]
        assert str({"Ref": name}) in watched
    queues = _resources(template, "AWS::SQS::Queue")
    assert all(str({"GetAtt": f"{q}.QueueName"}) in watched for q in queues)
