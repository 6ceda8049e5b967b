"""Every AWS call of ``tools/verify-quotas``, and the one place AWS errors become exit codes.

Standard boto3 credential chain and profiles; the Region comes from the cluster's facts.
Endpoints come only from the standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``
variables that botocore reads itself (there is no endpoint flag and no test-only path).
Retries are botocore's adaptive mode (``AWS_MAX_ATTEMPTS`` sets the attempts); connect
timeouts are short so an unreachable endpoint fails in seconds instead of hanging.

The calls, and therefore ``docs/iam-policy.json``:

==============================================  ===========================================
``sts:GetCallerIdentity``                       the account guardrail, always first
``ec2:DescribeInstances``                       running instances (paginated)
``ec2:DescribeSpotInstanceRequests``            open Spot requests (paginated)
``ec2:DescribeInstanceTypes``                   vCPUs, at most 100 types a call
``servicequotas:ListServiceQuotas``             applied quota values (paginated, once)
``servicequotas:GetAWSDefaultServiceQuota``     default of a code with no applied value
==============================================  ===========================================
"""

from __future__ import annotations

import re
import typing as t

import boto3
import botocore.exceptions
from botocore.config import Config

from ..errors import ExternalError, InputError

#: EC2 refuses more than 100 types in one DescribeInstanceTypes call.
DESCRIBE_TYPES_BATCH = 100
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
SERVICE_QUOTAS_EC2 = "ec2"

#: Only the retry *mode* is set: the number of attempts stays with AWS_MAX_ATTEMPTS / the
#: profile (botocore's default is 3), which CI and tests may lower.
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive"},
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    user_agent_extra="accelcap-verify-quotas",
)

ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
}
BAD_CREDENTIALS = {
    "AuthFailure",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "UnrecognizedClientException",
}


class UnknownInstanceTypes(Exception):
    """EC2 does not know these instance types in this Region (the caller names the pool)."""

    def __init__(self, instance_types: t.Sequence[str], message: str) -> None:
        super().__init__(message)
        self.instance_types = list(instance_types)
        self.message = message


def _attempts(error: botocore.exceptions.ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)) + 1


def translate(error: Exception, action: str) -> ExternalError:
    """A one-line ``ExternalError`` for ``error`` raised while calling ``action``."""
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        message = str(error.response.get("Error", {}).get("Message", "")).strip()
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ACCESS_DENIED:
            return ExternalError(
                action, f"access denied ({code}); the caller needs {action} (see docs/iam-policy.json)"
            )
        if code in THROTTLED:
            return ExternalError(action, f"throttled by AWS ({code}) after {_attempts(error)} attempt(s); retry later")
        if code in BAD_CREDENTIALS:
            return ExternalError(action, f"AWS rejected the credentials ({code}): {message}")
        return ExternalError(action, f"AWS refused ({code}, HTTP {status}): {message}")
    if isinstance(error, (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError)):
        return ExternalError("credentials", "no AWS credentials found (environment, profile, SSO or instance role)")
    if isinstance(
        error,
        (
            botocore.exceptions.CredentialRetrievalError,
            botocore.exceptions.TokenRetrievalError,
            botocore.exceptions.SSOTokenLoadError,
            botocore.exceptions.UnauthorizedSSOTokenError,
        ),
    ):
        return ExternalError("credentials", f"cannot get AWS credentials: {error}")
    if isinstance(error, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)):
        # EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError
        endpoint = getattr(error, "kwargs", {}).get("endpoint_url", "the endpoint")
        return ExternalError(action, f"cannot reach {endpoint}: {type(error).__name__}")
    return ExternalError(action, f"{type(error).__name__}: {error}")


class AwsAccount:
    """The AWS account and Region one check runs against; lazily created clients."""

    def __init__(self, region: str, profile: str | None = None) -> None:
        try:
            self.session = boto3.Session(profile_name=profile, region_name=region)
        except botocore.exceptions.ProfileNotFound as error:
            raise InputError("--profile", str(error)) from None
        self.region = region
        self.profile = profile
        self._clients: dict[str, t.Any] = {}

    def client(self, service: str) -> t.Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=CLIENT_CONFIG)
        return self._clients[service]

    @staticmethod
    def action(client: t.Any, method: str) -> str:
        """IAM action of a client method: ``servicequotas:ListServiceQuotas``."""
        prefix = client.meta.service_model.signing_name
        return f"{prefix}:{client.meta.method_to_api_mapping.get(method, method)}"

    def call(self, service: str, method: str, **kwargs: t.Any) -> dict[str, t.Any]:
        client = self.client(service)
        try:
            return t.cast(dict[str, t.Any], getattr(client, method)(**kwargs))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise translate(error, self.action(client, method)) from error

    def paginate(self, service: str, method: str, result_key: str, **kwargs: t.Any) -> list[dict[str, t.Any]]:
        client = self.client(service)
        items: list[dict[str, t.Any]] = []
        try:
            for page in client.get_paginator(method).paginate(**kwargs):
                items.extend(page.get(result_key) or [])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise translate(error, self.action(client, method)) from error
        return items

    # --- the calls -------------------------------------------------------------------

    def caller_account(self) -> str:
        return str(self.call("sts", "get_caller_identity").get("Account", ""))

    def running_instances(self) -> list[dict[str, t.Any]]:
        reservations = self.paginate(
            "ec2",
            "describe_instances",
            "Reservations",
            Filters=[{"Name": "instance-state-name", "Values": ["running"]}],
        )
        return [instance for r in reservations for instance in r.get("Instances") or []]

    def open_spot_requests(self) -> list[dict[str, t.Any]]:
        return self.paginate(
            "ec2",
            "describe_spot_instance_requests",
            "SpotInstanceRequests",
            Filters=[{"Name": "state", "Values": ["open"]}],
        )

    def instance_vcpus(self, instance_types: t.Iterable[str]) -> dict[str, int]:
        """Default vCPUs of each type, at most ``DESCRIBE_TYPES_BATCH`` types a call.

        EC2 fails a whole call when one type is unknown; that becomes
        ``UnknownInstanceTypes`` naming the types its message names.
        """
        wanted = sorted(set(instance_types))
        found: dict[str, int] = {}
        client = self.client("ec2")
        for start in range(0, len(wanted), DESCRIBE_TYPES_BATCH):
            batch = wanted[start : start + DESCRIBE_TYPES_BATCH]
            try:
                for page in client.get_paginator("describe_instance_types").paginate(InstanceTypes=batch):
                    for info in page.get("InstanceTypes") or []:
                        found[info["InstanceType"]] = int(info["VCpuInfo"]["DefaultVCpus"])
            except botocore.exceptions.ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                message = str(error.response.get("Error", {}).get("Message", ""))
                if code.startswith("InvalidInstanceType"):
                    named = [name for name in batch if re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", message)]
                    raise UnknownInstanceTypes(named or batch, message) from None
                raise translate(error, self.action(client, "describe_instance_types")) from error
            except botocore.exceptions.BotoCoreError as error:
                raise translate(error, self.action(client, "describe_instance_types")) from error
        return found

    def quotas(self, codes: t.Iterable[str]) -> dict[str, dict[str, t.Any] | None]:
        """The ``Quota`` object of each code: applied value, else AWS's default, else None.

        ListServiceQuotas returns only quotas that have an applied value (aws-cli #4569), so
        one paginated listing serves most codes and each missing one costs one more call.
        """
        listed = {
            str(q.get("QuotaCode")): q
            for q in self.paginate("service-quotas", "list_service_quotas", "Quotas", ServiceCode=SERVICE_QUOTAS_EC2)
        }
        result: dict[str, dict[str, t.Any] | None] = {}
        client = self.client("service-quotas")
        for code in sorted(set(codes)):
            if code in listed:
                result[code] = listed[code]
                continue
            try:
                answer = client.get_aws_default_service_quota(ServiceCode=SERVICE_QUOTAS_EC2, QuotaCode=code)
                result[code] = {**answer.get("Quota", {}), "Default": True}
            except client.exceptions.NoSuchResourceException:
                result[code] = None
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                raise translate(error, self.action(client, "get_aws_default_service_quota")) from error
        return result
