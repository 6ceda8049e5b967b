"""Every AWS call of ``tools/verify-quotas``, and the one place AWS errors become exit codes.

Standard boto3 credential chain and profiles; the Region comes from the cluster's facts.
Endpoints come only from the standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``
variables that botocore reads itself (there is no endpoint flag and no test-only path).
Retries are botocore's adaptive mode (``AWS_MAX_ATTEMPTS`` sets the attempts, botocore's
default is 3). Each request has a connect and a read timeout and a total deadline, retries
included (``accelcap.timeouts``, call ``aws``), so a silent endpoint fails in seconds with a
line naming the call. An answer the tools cannot read (not XML or JSON, a field missing or of
the wrong type, a negative count) is exit 3 naming the call, like a refusal: the check
never guesses around it.

The calls, and therefore ``docs/iam-policy.json``:

==============================================  ===========================================
``sts:GetCallerIdentity``                       the account guardrail, always first
``ec2:DescribeInstances``                       running instances (paginated)
``ec2:DescribeSpotInstanceRequests``            open Spot requests (paginated)
``ec2:DescribeInstanceTypes``                   vCPUs, at most 100 types a call
``servicequotas:ListServiceQuotas``             applied quota values (paginated, once)
``servicequotas:GetAWSDefaultServiceQuota``     default of a code with no applied value
``ec2:DescribeAvailabilityZones``               zone name -> zone ID (``offerings``)
``ec2:DescribeInstanceTypeOfferings``           where each pool's type is offered (paginated)
``ec2:DescribeCapacityReservations``            reservation-backed pools (paginated)
``ec2:GetSpotPlacementScores``                  Spot pools, single zone (paginated)
==============================================  ===========================================
"""

from __future__ import annotations

import functools
import re
import typing as t

import boto3
import botocore.exceptions
from botocore.config import Config

from .. import timeouts
from ..errors import ExternalError, InputError

#: EC2 refuses more than 100 types in one DescribeInstanceTypes call.
DESCRIBE_TYPES_BATCH = 100
SERVICE_QUOTAS_EC2 = "ec2"
ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)


def client_config() -> Config:
    """Timeouts from ``accelcap.timeouts``; only the retry *mode* is set: the number of
    attempts stays with AWS_MAX_ATTEMPTS / the profile, which CI and tests may lower."""
    limits = timeouts.limits("aws")
    return Config(
        retries={"mode": "adaptive"},
        connect_timeout=limits.connect,
        read_timeout=limits.read,
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


T = t.TypeVar("T")


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
        limits = timeouts.limits("aws")
        if isinstance(error, botocore.exceptions.ConnectTimeoutError):
            return ExternalError(
                action, f"cannot reach {endpoint}: timed out connecting (aws.connect {limits.connect:g}s)"
            )
        if isinstance(error, botocore.exceptions.ReadTimeoutError):
            return ExternalError(action, f"timed out: {endpoint} sent nothing for aws.read {limits.read:g}s")
        return ExternalError(action, f"cannot reach {endpoint}: {type(error).__name__}")
    if isinstance(error, botocore.exceptions.BotoCoreError):  # ResponseParserError and the like
        return ExternalError(action, f"unreadable answer: {_first_line(str(error))}")
    return ExternalError(action, f"{type(error).__name__}: {error}")


def _first_line(text: str) -> str:
    return " ".join(text.strip().splitlines()[:1]) or "no detail"


def nonsense(action: str, what: str) -> ExternalError:
    """An answer that parsed but makes no sense (a field missing, of the wrong type)."""
    return ExternalError(action, f"unreadable answer: {what}")


def records(value: t.Any, action: str, field: str) -> list[dict[str, t.Any]]:
    """``value`` as the list of objects ``field`` of an answer must be."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise nonsense(action, f"{field} is not a list of objects")
    return value


def count(value: t.Any, action: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise nonsense(action, f"{field} is {value!r}, not a positive whole number")
    return value


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
            self._clients[service] = self.session.client(service, config=client_config())
        return self._clients[service]

    @staticmethod
    def action(client: t.Any, method: str) -> str:
        """IAM action of a client method: ``servicequotas:ListServiceQuotas``."""
        prefix = client.meta.service_model.signing_name
        return f"{prefix}:{client.meta.method_to_api_mapping.get(method, method)}"

    def request(
        self, client: t.Any, method: str, send: t.Callable[[], T], expected: tuple[type[Exception], ...] = ()
    ) -> T:
        """``send()`` (one AWS request, retries included) within the ``aws`` deadline; every
        failure but ``expected`` becomes an ``ExternalError`` naming the IAM action."""
        action = self.action(client, method)
        limits = timeouts.limits("aws")

        def timed_out() -> ExternalError:
            return ExternalError(
                action, f"timed out: no complete answer within {limits.describe('aws')} ({timeouts.ENV})"
            )

        try:
            return timeouts.within(limits.total, send, timed_out)
        except ExternalError:
            raise
        except expected:
            raise
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise translate(error, action) from error
        except Exception as error:  # botocore's parsers fail on nonsense with plain errors
            raise nonsense(action, f"{type(error).__name__}: {_first_line(str(error))}") from error

    def call(self, service: str, method: str, **kwargs: t.Any) -> dict[str, t.Any]:
        client = self.client(service)
        answer = self.request(client, method, lambda: getattr(client, method)(**kwargs))
        if not isinstance(answer, dict):
            raise nonsense(self.action(client, method), "not an object")
        return answer

    def paginate(
        self,
        service: str,
        method: str,
        result_key: str,
        expected: tuple[type[Exception], ...] = (),
        **kwargs: t.Any,
    ) -> list[dict[str, t.Any]]:
        """Every item of ``result_key`` over all pages; each page is one request with its own
        deadline (``expected`` as in ``request``), and a page without ``result_key`` is
        nonsense (AWS always sends the list)."""
        client = self.client(service)
        action = self.action(client, method)
        pages = iter(client.get_paginator(method).paginate(**kwargs))
        items: list[dict[str, t.Any]] = []
        while True:
            page = self.request(client, method, lambda: next(pages, None), expected)
            if page is None:
                return items
            if not isinstance(page, dict) or result_key not in page:
                raise nonsense(action, f"no {result_key} in the answer")
            items.extend(records(page[result_key], action, result_key))

    # --- the calls -------------------------------------------------------------------

    def caller_account(self) -> str:
        account = self.call("sts", "get_caller_identity").get("Account")
        if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
            raise nonsense("sts:GetCallerIdentity", f"Account is {account!r}, not a 12-digit account ID")
        return account

    def existing_images(self, image_ids: t.Iterable[str]) -> set[str]:
        """Which of ``image_ids`` exist in the Region (and this account may launch): EC2 answers
        DescribeImages by ID with the images it has, and with InvalidAMIID.NotFound or
        .Malformed when one of them is not an image there, so each is asked alone."""
        action = "ec2:DescribeImages"
        client = self.client("ec2")
        found = set()
        for image_id in sorted(set(image_ids)):
            try:
                answer = self.request(
                    client,
                    "describe_images",
                    functools.partial(client.describe_images, ImageIds=[image_id]),
                    expected=(botocore.exceptions.ClientError,),
                )
            except botocore.exceptions.ClientError as error:
                if str(error.response.get("Error", {}).get("Code", "")).startswith("InvalidAMIID."):
                    continue
                raise translate(error, action) from error
            if not isinstance(answer, dict):
                raise nonsense(action, "not an object")
            images = records(answer.get("Images", []), action, "Images")
            if any(image.get("ImageId") == image_id for image in images):
                found.add(image_id)
        return found

    def running_instances(self) -> list[dict[str, t.Any]]:
        action = "ec2:DescribeInstances"
        reservations = self.paginate(
            "ec2",
            "describe_instances",
            "Reservations",
            Filters=[{"Name": "instance-state-name", "Values": ["running"]}],
        )
        instances = [i for r in reservations for i in records(r.get("Instances", []), action, "Instances")]
        for instance in instances:
            if not isinstance(instance.get("InstanceType"), str) or not instance["InstanceType"]:
                raise nonsense(action, f"instance {instance.get('InstanceId', '?')} has no InstanceType")
        return instances

    def open_spot_requests(self) -> list[dict[str, t.Any]]:
        action = "ec2:DescribeSpotInstanceRequests"
        requests = self.paginate(
            "ec2",
            "describe_spot_instance_requests",
            "SpotInstanceRequests",
            Filters=[{"Name": "state", "Values": ["open"]}],
        )
        for request in requests:
            launch = request.get("LaunchSpecification")
            if not isinstance(launch, dict) or not isinstance(launch.get("InstanceType"), str):
                raise nonsense(action, f"request {request.get('SpotInstanceRequestId', '?')} has no instance type")
        return requests

    def instance_vcpus(self, instance_types: t.Iterable[str]) -> dict[str, int]:
        """Default vCPUs of each type, at most ``DESCRIBE_TYPES_BATCH`` types a call.

        EC2 fails a whole call when one type is unknown; that becomes
        ``UnknownInstanceTypes`` naming the types its message names.
        """
        wanted = sorted(set(instance_types))
        found: dict[str, int] = {}
        client = self.client("ec2")
        action = self.action(client, "describe_instance_types")
        for start in range(0, len(wanted), DESCRIBE_TYPES_BATCH):
            batch = wanted[start : start + DESCRIBE_TYPES_BATCH]
            try:
                infos = self.paginate(
                    "ec2",
                    "describe_instance_types",
                    "InstanceTypes",
                    expected=(botocore.exceptions.ClientError,),
                    InstanceTypes=batch,
                )
            except botocore.exceptions.ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                message = str(error.response.get("Error", {}).get("Message", ""))
                if code.startswith("InvalidInstanceType"):
                    named = [n for n in batch if re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w.-])", message)]
                    raise UnknownInstanceTypes(named or batch, message) from None
                raise translate(error, action) from error
            for info in infos:
                name = info.get("InstanceType")
                vcpu_info = info.get("VCpuInfo")
                if not isinstance(name, str) or not isinstance(vcpu_info, dict):
                    raise nonsense(action, f"instance type {name!r} without VCpuInfo")
                found[name] = count(vcpu_info.get("DefaultVCpus"), action, f"{name} VCpuInfo.DefaultVCpus")
        return found

    def quotas(self, codes: t.Iterable[str]) -> dict[str, dict[str, t.Any] | None]:
        """The ``Quota`` object of each code: applied value, else AWS's default, else None.

        ListServiceQuotas returns only quotas that have an applied value (aws-cli #4569), so
        one paginated listing serves most codes and each missing one costs one more call.
        """
        listing = "servicequotas:ListServiceQuotas"
        listed = {}
        for quota in self.paginate("service-quotas", "list_service_quotas", "Quotas", ServiceCode=SERVICE_QUOTAS_EC2):
            listed[str(quota.get("QuotaCode"))] = _checked_quota(quota, listing)
        result: dict[str, dict[str, t.Any] | None] = {}
        client = self.client("service-quotas")
        method = "get_aws_default_service_quota"
        action = self.action(client, method)
        for code in sorted(set(codes)):
            if code in listed:
                result[code] = listed[code]
                continue
            try:
                answer = self.request(
                    client,
                    method,
                    lambda code=code: client.get_aws_default_service_quota(  # type: ignore[misc]
                        ServiceCode=SERVICE_QUOTAS_EC2, QuotaCode=code
                    ),
                    expected=(client.exceptions.NoSuchResourceException,),
                )
            except client.exceptions.NoSuchResourceException:
                result[code] = None
                continue
            default = answer.get("Quota") if isinstance(answer, dict) else None
            if not isinstance(default, dict):
                raise nonsense(action, f"no Quota object for {code}")
            result[code] = {**_checked_quota(default, action), "Default": True}
        return result


def _checked_quota(quota: dict[str, t.Any], action: str) -> dict[str, t.Any]:
    """A Quota object whose Value is a number of vCPUs (0 or more)."""
    value = quota.get("Value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise nonsense(action, f"quota {quota.get('QuotaCode', '?')} has Value {value!r}, not a number of vCPUs")
    return quota
