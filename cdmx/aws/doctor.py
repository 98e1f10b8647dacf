"""``cdmx aws doctor``: the AWS set-up checked in one pass, one pass/fail line per check.

Every check turns AWS errors into one sentence; nothing here prints a traceback. Without
credentials nothing else can be asked, so that case prints a single line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from cdmx.aws.errors import error_code, error_message
from cdmx.settings import Settings

OK = "✓"
FAIL = "✗"


@dataclass
class Clients:
    connect: Any
    socialmessaging: Any
    sns: Any
    dynamodb: Any  # the low-level client
    s3: Any
    has_credentials: Callable[[], bool]


class CheckFailed(Exception):
    """A check did not pass; the message is the sentence to print."""


def describe_error(exc: BaseException) -> str:
    """One sentence for any exception a boto3 call can raise."""
    code = error_code(exc)
    if code:
        hint = _HINTS.get(code, "")
        return f"AWS refused it ({code}: {error_message(exc)}){hint}"
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return "no AWS credentials"
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
        return f"could not reach AWS ({exc})"
    if name == "NoRegionError":
        return "no AWS region: set AWS_REGION"
    return f"{name}: {exc}"


_HINTS = {
    "AccessDeniedException": "; the credentials lack this permission",
    "ResourceNotFoundException": "; check the id and the region",
    "UnrecognizedClientException": "; the credentials are not valid",
    "ExpiredTokenException": "; the session has expired, log in again",
}


class Doctor:
    """Runs the checks against injected clients and prints one line each."""

    def __init__(self, settings: Settings, clients: Clients, out: TextIO) -> None:
        self.settings = settings
        self.clients = clients
        self.out = out
        self.failures = 0

    def run(self) -> int:
        """All checks; exit status 0 when every one passed, 1 otherwise."""
        try:
            has_credentials = self.clients.has_credentials()
        except Exception as exc:  # a broken profile file, for instance
            has_credentials = False
            self._line(False, "credentials", describe_error(exc))
            return 1
        if not has_credentials:
            self._line(
                False, "credentials",
                "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or run where a role provides them",
            )  # fmt: skip
            return 1
        self._line(True, "credentials", f"found; region {self.settings.aws_region or '(default)'}")
        for name, check in self._checks():
            try:
                detail = check()
            except CheckFailed as exc:
                self._line(False, name, str(exc))
            except Exception as exc:
                self._line(False, name, describe_error(exc))
            else:
                self._line(True, name, detail)
        return 1 if self.failures else 0

    def _line(self, ok: bool, name: str, detail: str) -> None:
        if not ok:
            self.failures += 1
        self.out.write(f"{OK if ok else FAIL} {name}: {detail}\n")

    def _checks(self) -> Iterator[tuple[str, Callable[[], str]]]:
        yield "Connect instance", self.instance
        yield "chat attachments", self.attachments
        yield "chat message streaming", self.streaming_attribute
        yield "contact flow", self.contact_flow
        yield "WhatsApp number in End User Messaging", self.whatsapp_number
        yield "EUM event topic", lambda: self.topic(self.settings.eum_sns_topic_arns, "EUM")
        yield (
            "Connect streaming topic",
            lambda: self.topic((self.settings.connect_streaming_topic_arn,), "CONNECT_STREAMING"),
        )
        yield "DynamoDB tables", self.tables
        yield "media bucket", self.bucket
        yield "queue metrics", self.metrics

    # --- the checks ------------------------------------------------------------------------

    def instance(self) -> str:
        wanted = _need(self.settings.connect_instance_id, "CONNECT_INSTANCE_ID")
        token: str | None = None
        while True:
            page = self.clients.connect.list_instances(**({"NextToken": token} if token else {}))
            for summary in page.get("InstanceSummaryList", []):
                if wanted in (summary.get("Id"), summary.get("Arn")):
                    status = summary.get("InstanceStatus")
                    if status != "ACTIVE":
                        raise CheckFailed(f"{summary.get('InstanceAlias')} is {status}, not ACTIVE")
                    return f"{summary.get('InstanceAlias')} ({summary.get('Id')}) is ACTIVE"
            token = page.get("NextToken")
            if not token:
                raise CheckFailed(f"CONNECT_INSTANCE_ID {wanted} is not among this account's "
                                  "instances in this region")  # fmt: skip

    def attachments(self) -> str:
        instance = _need(self.settings.connect_instance_id, "CONNECT_INSTANCE_ID")
        configs = self.clients.connect.list_instance_storage_configs(
            InstanceId=instance, ResourceType="ATTACHMENTS"
        ).get("StorageConfigs", [])
        if not configs:
            raise CheckFailed(
                "attachments are not enabled (Connect console → Data storage → Attachments)"
            )
        bucket = configs[0].get("S3Config", {}).get("BucketName", "?")
        return f"enabled, stored in s3://{bucket}"

    def streaming_attribute(self) -> str:
        instance = _need(self.settings.connect_instance_id, "CONNECT_INSTANCE_ID")
        attribute = self.clients.connect.describe_instance_attribute(
            InstanceId=instance, AttributeType="MESSAGE_STREAMING"
        ).get("Attribute", {})
        value = str(attribute.get("Value", "")).lower()
        # Chat itself is always on in Connect; the streaming of chat messages to SNS is what
        # the bridge needs. Reported, not failed, when the attribute reads false: the docs
        # do not say whether StartContactStreaming depends on it.
        return f"MESSAGE_STREAMING is {value or 'not reported'}"

    def contact_flow(self) -> str:
        instance = _need(self.settings.connect_instance_id, "CONNECT_INSTANCE_ID")
        flow_id = _need(self.settings.connect_contact_flow_id, "CONNECT_CONTACT_FLOW_ID")
        flow = self.clients.connect.describe_contact_flow(
            InstanceId=instance, ContactFlowId=flow_id
        )["ContactFlow"]
        if flow.get("State") != "ACTIVE" or flow.get("Status") not in (None, "PUBLISHED"):
            raise CheckFailed(f"{flow.get('Name')} is {flow.get('State')}/{flow.get('Status')}; "
                              "publish it")  # fmt: skip
        return f"{flow.get('Name')} ({flow.get('Type')}) is published"

    def whatsapp_number(self) -> str:
        wanted = self.settings.end_user_messaging_configuration_arn
        accounts = self.clients.socialmessaging.list_linked_whatsapp_business_accounts().get(
            "linkedAccounts", []
        )
        if wanted:
            accounts = [a for a in accounts if wanted in (a.get("arn"), a.get("id"))]
        if not accounts:
            raise CheckFailed(
                f"no linked WhatsApp Business Account{' ' + wanted if wanted else ''}: "
                "link it in the End User Messaging Social console"
            )
        account = accounts[0]
        if account.get("registrationStatus") != "COMPLETE":
            raise CheckFailed(f"{account.get('wabaName')} registration is "
                              f"{account.get('registrationStatus')}")  # fmt: skip
        details = self.clients.socialmessaging.get_linked_whatsapp_business_account(
            id=account["id"]
        )["account"]
        numbers = [n.get("displayPhoneNumber") or n.get("phoneNumber") for n in
                   details.get("phoneNumbers", [])]  # fmt: skip
        if not numbers:
            raise CheckFailed(f"{account.get('wabaName')} has no phone number")
        destinations = [
            d.get("eventDestinationArn") for d in details.get("eventDestinations", [])
        ] or [d.get("eventDestinationArn") for d in account.get("eventDestinations", [])]
        topics = self.settings.eum_sns_topic_arns
        if not destinations:
            raise CheckFailed("no event destination is set: point it at the EUM SNS topic")
        if topics and not set(destinations) & set(topics):
            raise CheckFailed(f"the event destination is {destinations[0]}, not EUM_SNS_TOPIC_ARN")
        return f"{account.get('wabaName')}: {', '.join(map(str, numbers))} → {destinations[0]}"

    def topic(self, arns: tuple[str, ...], name: str) -> str:
        arns = tuple(a for a in arns if a)
        if not arns:
            raise CheckFailed(f"{name}_SNS_TOPIC_ARN is not set" if name == "EUM"
                              else "CONNECT_STREAMING_TOPIC_ARN is not set")  # fmt: skip
        lines = []
        for arn in arns:
            self.clients.sns.get_topic_attributes(TopicArn=arn)
            subscriptions = self.clients.sns.list_subscriptions_by_topic(TopicArn=arn).get(
                "Subscriptions", []
            )
            confirmed = [
                s for s in subscriptions if s.get("SubscriptionArn", "").startswith("arn:")
            ]
            if not confirmed:
                raise CheckFailed(f"{arn} has no confirmed subscription")
            kinds = sorted({str(s.get("Protocol")) for s in confirmed})
            lines.append(f"{arn.rsplit(':', 1)[-1]} ({len(confirmed)} subscribed: "
                         f"{', '.join(kinds)})")  # fmt: skip
        return "; ".join(lines)

    def tables(self) -> str:
        names = [
            _need(self.settings.dynamodb_table_messages, "DYNAMODB_TABLE_MESSAGES"),
            _need(self.settings.dynamodb_table_contacts, "DYNAMODB_TABLE_CONTACTS"),
        ]
        for name in names:
            status = self.clients.dynamodb.describe_table(TableName=name)["Table"]["TableStatus"]
            if status != "ACTIVE":
                raise CheckFailed(f"{name} is {status}")
        ttl = self.clients.dynamodb.describe_time_to_live(TableName=names[1])[
            "TimeToLiveDescription"
        ]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            raise CheckFailed(f"{names[1]} has no TTL: enable it on expires_at")
        return f"{', '.join(names)} active; TTL on {ttl.get('AttributeName')}"

    def bucket(self) -> str:
        bucket = _need(self.settings.s3_bucket_media, "S3_BUCKET_MEDIA")
        self.clients.s3.head_bucket(Bucket=bucket)
        return f"s3://{bucket} reachable"

    def metrics(self) -> str:
        instance = _need(self.settings.connect_instance_id, "CONNECT_INSTANCE_ID")
        queues = self.clients.connect.list_queues(
            InstanceId=instance, QueueTypes=["STANDARD"], MaxResults=10
        ).get("QueueSummaryList", [])
        if not queues:
            raise CheckFailed("the instance has no standard queue")
        result = self.clients.connect.get_current_metric_data(
            InstanceId=instance,
            Filters={"Queues": [q["Id"] for q in queues], "Channels": ["CHAT"]},
            CurrentMetrics=[
                {"Name": "AGENTS_ONLINE", "Unit": "COUNT"},
                {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
            ],
        )
        totals = {"AGENTS_ONLINE": 0.0, "CONTACTS_IN_QUEUE": 0.0}
        for row in result.get("MetricResults", []):
            for collection in row.get("Collections", []):
                name = collection.get("Metric", {}).get("Name")
                if name in totals and collection.get("Value") is not None:
                    totals[name] += float(collection["Value"])
        return (
            f"readable: {int(totals['AGENTS_ONLINE'])} agents online, "
            f"{int(totals['CONTACTS_IN_QUEUE'])} chats waiting in {len(queues)} queues"
        )


def _need(value: str, name: str) -> str:
    if not value:
        raise CheckFailed(f"{name} is not set")
    return value


def aws_clients(settings: Settings) -> Clients:
    """Real boto3 clients for the doctor (imported here: boto3 is the ``aws`` extra)."""
    import boto3

    session = boto3.session.Session(region_name=settings.aws_region or None)
    return Clients(
        connect=session.client("connect"),
        socialmessaging=session.client("socialmessaging"),
        sns=session.client("sns"),
        dynamodb=session.client("dynamodb"),
        s3=session.client("s3"),
        has_credentials=lambda: session.get_credentials() is not None,
    )
