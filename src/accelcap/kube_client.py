"""Reading a live cluster: the one way every tool talks to the Kubernetes API.

It uses the official ``kubernetes`` Python client for what it does well (kubeconfig
loading: the current context, ``--kubeconfig``/``$KUBECONFIG`` with several files merged,
``--context``, tokens, client certificates, exec plugins, TLS) and makes every call itself,
so each one has

- connect, read and total limits (``accelcap.timeouts``, call ``kube``), and no retries (a
  dead or trickling API server fails fast);
- one error for every failure: unreachable, TLS, 401/403, timeouts, answers that are not a
  Kubernetes object all become ``ExternalError`` (exit 3) naming the call
  (``GET https://api...:6443/apis/...``), answers of the wrong shape included; a kubeconfig
  or context that cannot be used is ``InputError`` (exit 2), and a kubeconfig is read as
  data first (the strict loader, ``schemas/kubeconfig.schema.json``);
- read-only use by construction: ``Cluster`` sends GET, and PATCH or POST only with
  ``dryRun=All`` (nothing is written). The one exception is apart and narrow: ``PodWriter``
  creates one Pod and deletes it again (``verify-pools --workload`` runs a validation pod);
  it can write nothing else, and a tool gets it only by asking for it by name.

Resource names are resolved through the API server's aggregated discovery (Kubernetes
1.27+, OpenShift 4.14+), as ``oc get`` resolves them: ``machinesets.machine.openshift.io``,
``crd``, ``clusterversion``.

    cluster = connect(Connection(kubeconfig=None, context="prod"))
    cluster.get("infrastructures.config.openshift.io", "cluster")      # -> dict
    cluster.get("machinesets.machine.openshift.io", namespace="openshift-machine-api")  # List
    cluster.get("pods", namespace="nvidia-gpu-operator", label_selector="app=x")  # List, filtered
    cluster.find(resource, "name", "namespace")                        # dict, or None when absent
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import threading
import typing as t
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import urllib3
import yaml

from . import timeouts
from .errors import ExternalError, InputError
from .yamlload import MAX_DEPTH, check_depth, load_file, package_schema, value_at

#: Accept header of aggregated discovery: v2 (Kubernetes 1.30+), else v2beta1 (1.27+).
AGGREGATED_DISCOVERY = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
)


#: How a server-side apply answers an object that does not fit its kind's schema (an unknown
#: field, a wrong type): HTTP 500 with this message, not 400/422, because the apply
#: configuration is converted to a typed value before validation runs
#: (k8s.io/apimachinery pkg/util/managedfields/internal/structuredmerge.go, Apply). It is
#: the object's fault, not the server's.
TYPED_PATCH_ERROR = "failed to create typed patch object"


@dataclass(frozen=True)
class Connection:
    """Which cluster to talk to and how long to wait: what ``--kubeconfig``, ``--context``
    and ``--timeout`` say. None: the client's defaults ($KUBECONFIG or ~/.kube/config, its
    current context), and the ``kube`` limits of ``accelcap.timeouts`` (ACCELCAP_TIMEOUTS)."""

    kubeconfig: Path | None = None
    context: str | None = None
    #: Seconds one call may wait for its answer, and take in all (``--timeout``).
    timeout: float | None = None
    #: Seconds to open a connection.
    connect_timeout: float | None = None

    @property
    def limits(self) -> timeouts.Limits:
        """The connect, read and total limits of each call."""
        table = timeouts.limits("kube")
        read, total = (table.read or table.total, table.total) if self.timeout is None else (self.timeout,) * 2
        connect = self.connect_timeout if self.connect_timeout is not None else min(table.connect or read, read)
        return timeouts.Limits(connect, read, total)


@dataclass(frozen=True)
class ApiResource:
    """One kind the API server serves, as discovery describes it."""

    group: str
    version: str
    #: The plural resource name of the URL (``machinesets``).
    name: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, name: str | None = None, namespace: str | None = None) -> str:
        """The URL path of the collection, or of the object ``name``."""
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            prefix += f"/namespaces/{_segment(namespace)}"
        path = f"{prefix}/{self.name}"
        return f"{path}/{_segment(name)}" if name is not None else path


def _segment(value: str) -> str:
    """A name as one URL path segment; names that could step out of it are bad input."""
    if value in ("", ".", "..") or "/" in value:
        raise InputError("cluster", f"{value!r} is not a Kubernetes object name")
    return urllib.parse.quote(value, safe="")


@dataclass(frozen=True)
class DryRun:
    """What the API server said to a server-side apply with ``dryRun=All``."""

    #: HTTP status: 200/201 accepted, else refused.
    status: int
    #: The object as the server would store it (accepted), or its Status object (refused).
    body: dict[str, t.Any]

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def reason(self) -> str:
        """``Forbidden``, ``Invalid``, ``BadRequest``, ``NotFound``, ... (refused only); a
        typed-patch failure (``TYPED_PATCH_ERROR``) is ``Invalid`` too."""
        if self.accepted:
            return ""
        if self.status == 500 and self.message.startswith(TYPED_PATCH_ERROR):
            return "Invalid"
        return str(self.body.get("reason", ""))

    @property
    def message(self) -> str:
        return str(self.body.get("message", "")) if not self.accepted else ""


def _check_kubeconfig(files: str) -> None:
    """Each kubeconfig file is read as data first: the strict loader (aliases, depth,
    duplicate keys) and the types the client assumes (``schemas/kubeconfig.schema.json``), so a
    broken file is one line naming it."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(package_schema("kubeconfig.schema.json"))
    for name in filter(None, files.split(os.pathsep)):
        path = Path(name).expanduser()
        if not path.is_file():
            continue  # the client merges the files that exist, and says when none does
        where = f"kubeconfig {name}"
        for document in load_file(path, where):
            error = jsonschema.exceptions.best_match(validator.iter_errors(document))
            if error is not None:
                field = ".".join(map(str, error.absolute_path)) or "(document)"
                raise InputError(where, f"{field}: {error.message}")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _credential_plugin_errors(where: str) -> t.Iterator[None]:
    """The client logs a credential plugin's failure (``exec``: it exited non-zero, printed no
    token) on the root logger and goes on without credentials; here it is the one error line,
    and the plugin is the external system that refused (exit 3)."""
    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    if handler.messages:
        raise ExternalError(f"{where}: credential plugin", " ".join(handler.messages[0].split()))


def _load_client(connection: Connection) -> tuple[t.Any, str]:
    """A configured ``kubernetes.client.ApiClient`` and the context's name."""
    from kubernetes import config
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException

    # The client reads $KUBECONFIG once, when imported; read it per call instead.
    files = str(connection.kubeconfig) if connection.kubeconfig else os.environ.get("KUBECONFIG") or "~/.kube/config"
    where = f"kubeconfig {files}"
    if connection.kubeconfig is not None and not connection.kubeconfig.is_file():
        raise InputError(where, "no such file")
    if not any(Path(part).expanduser().is_file() for part in files.split(os.pathsep) if part):
        # The client would say "Invalid kube-config file. No configuration found." of a file
        # that is not there; say what is missing and how a kubeconfig comes about.
        raise InputError(
            where,
            "no such file: log in first (`oc login` writes ~/.kube/config) or point $KUBECONFIG at a kubeconfig",
        )
    _check_kubeconfig(files)
    try:
        with _credential_plugin_errors(where):
            contexts, current = config.list_kube_config_contexts(config_file=files)
            names = [c.get("name") for c in contexts or []]
            name = connection.context or (current or {}).get("name")
            if connection.context and connection.context not in names:
                raise InputError(
                    where, f"no context {connection.context!r} (contexts: {', '.join(map(str, names)) or 'none'})"
                )
            configuration = Configuration()
            config.load_kube_config(
                config_file=files,
                context=connection.context,
                client_configuration=configuration,
                persist_config=False,  # never write refreshed tokens back: read-only
            )
    except ConfigException as error:
        raise InputError(where, " ".join(str(error).split()) or "cannot be used") from None
    except (OSError, yaml.YAMLError) as error:
        raise InputError(where, f"cannot be read: {error}") from None
    configuration.retries = False  # urllib3: fail at once, the timeouts bound every call
    from kubernetes.client import ApiClient

    return ApiClient(configuration), str(name)


class Cluster:
    """One API server reached through one kubeconfig context."""

    def __init__(self, connection: Connection | None = None) -> None:
        self.connection = connection or Connection()
        self._client, self.context = _load_client(self.connection)
        self.server: str = str(self._client.configuration.host)
        self._resources: list[ApiResource] | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connections (a Cluster is also a context manager)."""
        self._client.close()

    def __enter__(self) -> t.Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the one place that calls the API server -------------------------------------

    def request(
        self,
        method: str,
        path: str,
        query: t.Sequence[tuple[str, str]] = (),
        body: t.Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, t.Any]:
        """(HTTP status, parsed JSON answer) of one call; transport failures raise.

        Only GET, and PATCH or POST with ``dryRun=All``: the tools never change a cluster
        through ``Cluster`` (``PodWriter`` is the one narrow write, apart).
        """
        if method != "GET" and not (method in ("PATCH", "POST") and ("dryRun", "All") in query):
            raise AssertionError(f"accelcap.kube_client is read-only: {method} {path} without dryRun=All")
        return self._json(method, path, query, body, headers)

    def _json(
        self,
        method: str,
        path: str,
        query: t.Sequence[tuple[str, str]] = (),
        body: t.Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, t.Any]:
        status, data = self._send(method, path, query, body, {"Accept": "application/json", **(headers or {})})
        where = f"{method} {self.server}{path}"
        try:
            parsed = json.loads(data) if data else None
            check_depth(parsed, where)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ExternalError(where, f"HTTP {status}: the answer is not JSON: {_excerpt(data)}") from None
        except RecursionError:
            raise ExternalError(where, f"HTTP {status}: the answer nests more than {MAX_DEPTH} levels deep") from None
        except InputError as error:
            raise ExternalError(where, f"HTTP {status}: the answer {error.what}") from None
        return status, parsed

    def _send(
        self, method: str, path: str, query: t.Sequence[tuple[str, str]], body: t.Any, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """(HTTP status, raw answer) of one call, with the timeouts; every transport failure
        is an ``ExternalError`` naming the call. No method check: callers make it."""
        from kubernetes.client.exceptions import ApiException

        where = f"{method} {self.server}{path}"
        limits = self.connection.limits
        if body is not None and "json" not in headers.get("Content-Type", ""):
            body = json.dumps(body)  # JSON is YAML: the apply-patch body (the client encodes JSON itself)

        def call() -> tuple[int, bytes]:
            try:
                serialized, url, header_params, _, _ = self._client.param_serialize(
                    method, path, query_params=list(query), header_params=dict(headers), auth_settings=["BearerToken"]
                )
                response = self._client.call_api(
                    serialized, url, header_params=header_params, body=body,
                    _request_timeout=(limits.connect, limits.read),
                )  # fmt: skip
                return int(response.status), bytes(response.read() or b"")
            except ApiException as error:  # the client's wrapping of TLS failures
                raise ExternalError(where, " ".join(str(error.reason or "failed").split())) from None
            except urllib3.exceptions.MaxRetryError as error:
                raise ExternalError(where, _transport_message(error.reason, limits)) from None
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise ExternalError(where, _transport_message(error, limits)) from None
            except Exception as error:  # noqa: BLE001 - an auth plugin's failure, say: still this call's
                raise ExternalError(where, f"{type(error).__name__}: {error}") from None

        # The read timeout holds between bytes; a server that trickles its answer is stopped
        # by the call's total deadline.
        return timeouts.within(
            limits.total,
            call,
            lambda: ExternalError(where, f"timed out: no complete answer in {limits.total:g}s ({timeouts.ENV} kube)"),
        )

    def _get(
        self, path: str, headers: dict[str, str] | None = None, query: t.Sequence[tuple[str, str]] = ()
    ) -> dict[str, t.Any]:
        return self._object(path, *self.request("GET", path, query, headers=headers))

    def _object(self, path: str, status: int, answer: t.Any) -> dict[str, t.Any]:
        """The answer of a GET of ``path``, when it is an object; refusals raise."""
        where = f"GET {self.server}{path}"
        self._refuse_unless_ok(where, status, answer)
        if not isinstance(answer, dict) or not isinstance(answer.get("kind"), str):
            raise ExternalError(where, "the answer is not a Kubernetes object")
        return answer

    def _refuse_unless_ok(self, where: str, status: int, answer: t.Any) -> None:
        if status == 401:
            raise ExternalError(
                where, f"HTTP 401 Unauthorized: context {self.context!r} has no valid credentials (log in again)"
            )
        if not 200 <= status < 300:
            raise ExternalError(where, f"HTTP {status} {_status_message(answer)}")

    # --- discovery -------------------------------------------------------------------

    def resources(self) -> list[ApiResource]:
        """Every resource the server serves, from aggregated discovery (core group first)."""
        with self._lock:
            if self._resources is None:
                found: list[ApiResource] = []
                for path in ("/api", "/apis"):
                    found += _aggregated_resources(
                        self._get(path, {"Accept": AGGREGATED_DISCOVERY}), self.server + path
                    )
                self._resources = found
            return self._resources

    def resource_for(self, api_version: str, kind: str) -> ApiResource | None:
        """The resource of ``kind`` in ``api_version``; None when the server does not serve it."""
        return next((r for r in self.resources() if r.api_version == api_version and r.kind == kind), None)

    def find_resource(self, name: str) -> ApiResource:
        """A resource named as ``oc get`` takes it: plural, singular, short name or kind,
        optionally ``.group``-qualified (``machinesets.machine.openshift.io``)."""
        wanted = name.lower()
        candidates = self.resources()
        for resource in candidates:
            names = {resource.name, resource.singular, resource.kind.lower(), *resource.short_names}
            if wanted in names or any(wanted == f"{n}.{resource.group}" for n in names if resource.group):
                return resource
        raise ExternalError(f"{self.context}: {name}", "the server has no such resource type")

    # --- reading and dry runs ----------------------------------------------------------

    def get(
        self,
        resource: str | ApiResource,
        name: str | None = None,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> dict[str, t.Any]:
        """One object, or (without ``name``) a List of every object of ``resource`` (in
        ``namespace``, or all namespaces; only those ``label_selector`` selects)."""
        found = self.find_resource(resource) if isinstance(resource, str) else resource
        query = [("labelSelector", label_selector)] if label_selector and name is None else []
        answer = self._get(found.path(name, namespace), query=query)
        if name is None:
            items = answer.get("items")
            if not isinstance(items, list):
                raise ExternalError(f"GET {self.server}{found.path(None, namespace)}", "the answer is not a list")
            for item in items:  # a list's items carry no kind; oc fills it in
                if isinstance(item, dict):
                    item.setdefault("apiVersion", found.api_version)
                    item.setdefault("kind", found.kind)
            return {"apiVersion": "v1", "kind": "List", "items": items}
        return answer

    def find(self, resource: ApiResource, name: str, namespace: str | None = None) -> dict[str, t.Any] | None:
        """The object, or None when it does not exist (404); other refusals raise."""
        path = resource.path(name, namespace)
        status, answer = self.request("GET", path)
        return None if status == 404 else self._object(path, status, answer)

    def exists(self, resource: ApiResource, name: str, namespace: str | None = None) -> bool:
        """Whether the object exists (404: no); other refusals raise."""
        return self.find(resource, name, namespace) is not None

    def pod_log(self, namespace: str, name: str, container: str, limit_bytes: int = 1 << 20) -> str:
        """The log of ``container`` of Pod ``namespace/name`` (its last ``limit_bytes`` at most),
        as the API server relays it from the node's kubelet (``GET .../pods/NAME/log``)."""
        path = f"/api/v1/namespaces/{_segment(namespace)}/pods/{_segment(name)}/log"
        query = [("container", container), ("limitBytes", str(limit_bytes))]
        status, data = self._send("GET", path, query, None, {"Accept": "*/*"})
        if not 200 <= status < 300:
            try:
                answer = json.loads(data)
            except (json.JSONDecodeError, UnicodeDecodeError):
                answer = data
            self._refuse_unless_ok(f"GET {self.server}{path}", status, answer)
        return data.decode(errors="replace")

    def dry_run_apply(
        self,
        obj: dict[str, t.Any],
        resource: ApiResource,
        namespace: str | None,
        field_manager: str,
        as_user: str | None = None,
    ) -> DryRun:
        """Server-side apply of ``obj`` with ``dryRun=All`` and strict field validation, as
        ``as_user`` (impersonated) when given. Refusals of the object (Forbidden, Invalid,
        NotFound, ...) come back in the ``DryRun``; refusals of the call itself raise."""
        name = str((obj.get("metadata") or {}).get("name", ""))
        path = resource.path(name, namespace if resource.namespaced else None)
        query = [("dryRun", "All"), ("fieldValidation", "Strict"), ("fieldManager", field_manager), ("force", "true")]
        return self._dry_run("PATCH", path, query, obj, "application/apply-patch+yaml", as_user)

    def dry_run_create(
        self, obj: dict[str, t.Any], resource: ApiResource, namespace: str | None, field_manager: str,
        as_user: str | None = None,
    ) -> DryRun:  # fmt: skip
        """A create (POST) of ``obj`` with ``dryRun=All`` and strict field validation, as
        ``kubectl apply`` (client-side, Argo CD's default) sends an object the cluster lacks."""
        path = resource.path(None, namespace if resource.namespaced else None)
        query = [("dryRun", "All"), ("fieldValidation", "Strict"), ("fieldManager", field_manager)]
        return self._dry_run("POST", path, query, obj, "application/json", as_user)

    def _dry_run(
        self, method: str, path: str, query: list[tuple[str, str]], obj: dict[str, t.Any], content_type: str,
        as_user: str | None,
    ) -> DryRun:  # fmt: skip
        headers = {"Content-Type": content_type}
        if as_user:
            # A service account's groups (system:serviceaccounts[:NS]) come with its name.
            headers["Impersonate-User"] = as_user
        status, answer = self.request(method, path, query, obj, headers)
        where = f"{method} {self.server}{path}"
        if not isinstance(answer, dict):
            raise ExternalError(where, f"HTTP {status}: the answer is not a Kubernetes object")
        message = str(answer.get("message", ""))
        if status == 401:
            self._refuse_unless_ok(where, status, answer)
        if status == 403 and "cannot impersonate" in message:
            raise ExternalError(where, f"HTTP 403: {message}")
        if (status >= 500 and not message.startswith(TYPED_PATCH_ERROR)) or status == 429:
            raise ExternalError(where, f"HTTP {status} {_status_message(answer)}")
        return DryRun(status, answer)


#: The one object every OpenShift cluster has that names it: its infrastructure name
#: (the infraID) is ``.status.infrastructureName``, the prefix of its MachineSets.
INFRASTRUCTURE = ("infrastructures.config.openshift.io", "cluster")


def require_infrastructure(cluster: Cluster, infra_id: str, owner: str) -> str:
    """The cluster's infrastructure name, when it is ``infra_id``; refuses any other cluster.

    ``owner`` says whose facts give ``infra_id`` (``the facts of overlays/prod``). Every tool
    that checks a live cluster against the repository calls this first, so a context left
    pointing at another cluster is one line and exit 3, before anything else is read.
    """
    resource = cluster.find_resource(INFRASTRUCTURE[0])
    infrastructure = cluster.get(resource, INFRASTRUCTURE[1])
    name = _answer_at(infrastructure, f"GET {cluster.server}{resource.path(INFRASTRUCTURE[1])}", "status",
                      "infrastructureName")  # fmt: skip
    if name != infra_id:
        raise ExternalError(
            f"context {cluster.context} ({cluster.server})",
            f"is cluster {name!r}, but {owner} say infraID {infra_id!r}: refusing to check against another cluster",
        )
    return str(name)


class PodWriter:
    """The project's one write to a cluster: create one Pod, and delete it again.

    ``verify-pools --workload`` runs a pool's validation pod with it. It is kept apart from
    ``Cluster``, whose API stays read-only: a tool gets a ``PodWriter`` only by constructing
    one, and it can send nothing but a POST to a namespace's ``pods`` collection and a DELETE
    of one Pod, on paths it builds itself from a namespace and a name. Refusals are
    ``ExternalError`` (exit 3) naming the call, as for reads.
    """

    def __init__(self, cluster: Cluster, field_manager: str) -> None:
        self.cluster = cluster
        self.field_manager = field_manager

    def create(self, namespace: str, pod: dict[str, t.Any]) -> dict[str, t.Any]:
        """Create ``pod`` in ``namespace``; the Pod as stored (its generated name included)."""
        if pod.get("apiVersion") != "v1" or pod.get("kind") != "Pod":
            raise AssertionError(f"PodWriter creates Pods only, not {pod.get('apiVersion')} {pod.get('kind')}")
        path = f"/api/v1/namespaces/{_segment(namespace)}/pods"
        where = f"POST {self.cluster.server}{path}"
        status, answer = self.cluster._json(
            "POST", path, [("fieldManager", self.field_manager), ("fieldValidation", "Strict")], pod,
            {"Content-Type": "application/json"},
        )  # fmt: skip
        self.cluster._refuse_unless_ok(where, status, answer)
        if not isinstance(answer, dict) or answer.get("kind") != "Pod":
            raise ExternalError(where, "the answer is not a Pod")
        return answer

    def delete(self, namespace: str, name: str) -> bool:
        """Delete Pod ``namespace/name`` (its containers get their grace period); False when
        it was gone already."""
        path = f"/api/v1/namespaces/{_segment(namespace)}/pods/{_segment(name)}"
        status, answer = self.cluster._json("DELETE", path)
        if status == 404:
            return False
        self.cluster._refuse_unless_ok(f"DELETE {self.cluster.server}{path}", status, answer)
        return True


def _answer_at(answer: t.Any, where: str, *path: str | int) -> t.Any:
    """The value at ``path`` of an answer; a step of the wrong type is the server's nonsense."""
    try:
        return value_at(answer, *path, where=where)
    except InputError as error:
        raise ExternalError(where, f"the answer is not what the API serves: {error.what}") from None


def _list_at(answer: t.Any, where: str, *path: str | int) -> list[t.Any]:
    value = _answer_at(answer, where, *path)
    if value is not None and not isinstance(value, list):
        field = ".".join(map(str, path))
        raise ExternalError(where, f"the answer is not what the API serves: {field} is a {type(value).__name__}")
    return value or []


def _aggregated_resources(answer: dict[str, t.Any], where: str) -> list[ApiResource]:
    where = f"GET {where}"
    if answer.get("kind") != "APIGroupDiscoveryList":
        raise ExternalError(where, "the server offers no aggregated discovery (Kubernetes 1.27+, OpenShift 4.14+ do)")
    found = []
    for g in range(len(_list_at(answer, where, "items"))):
        group = ("items", g)
        group_name = _answer_at(answer, where, *group, "metadata", "name")
        for v in range(len(_list_at(answer, where, *group, "versions"))):
            version = (*group, "versions", v)
            for r in range(len(_list_at(answer, where, *version, "resources"))):
                at = (*version, "resources", r)
                kind, resource = (_answer_at(answer, where, *at, *p) for p in (("responseKind", "kind"), ("resource",)))
                if not isinstance(kind, str) or not isinstance(resource, str):
                    continue
                short_names = _list_at(answer, where, *at, "shortNames")
                found.append(
                    ApiResource(
                        str(group_name or ""), str(_answer_at(answer, where, *version, "version") or ""), resource,
                        kind, _answer_at(answer, where, *at, "scope") == "Namespaced",
                        str(_answer_at(answer, where, *at, "singularResource") or ""), tuple(map(str, short_names)),
                    )
                )  # fmt: skip
    return found


def _status_message(answer: t.Any) -> str:
    if isinstance(answer, dict):
        return " ".join(p for p in (str(answer.get("reason", "")), str(answer.get("message", ""))) if p)
    return _excerpt(answer)


def _excerpt(data: t.Any) -> str:
    text = data.decode(errors="replace") if isinstance(data, bytes) else str(data)
    text = " ".join(text.split())
    return (text[:120] + "...") if len(text) > 120 else (text or "(empty)")


def _transport_message(error: t.Any, limits: timeouts.Limits) -> str:
    # NewConnectionError is a ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "cannot connect: " + str(error).split(": ", 1)[-1]
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return f"cannot connect in {limits.connect:g}s"
    if isinstance(error, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return f"no answer in {limits.read:g}s"
    if isinstance(error, urllib3.exceptions.SSLError):
        return f"TLS failed: {error}"
    return f"{type(error).__name__}: {error}"


# --- command-line options -----------------------------------------------------------------


def add_connection_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--kubeconfig``, ``--context`` and ``--timeout`` for a tool that reads the cluster."""
    parser.add_argument(
        "--kubeconfig", type=Path, metavar="FILE", help="kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)"
    )
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (default: its current context)")
    default = timeouts.DEFAULTS["kube"].total
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS",
        help=f"how long each call of the API server may take (default {default:g}: kube.total, docs/timeouts.md)",
    )  # fmt: skip


def connection_from(args: argparse.Namespace) -> Connection:
    if args.timeout is not None and not args.timeout > 0:
        raise InputError("--timeout", "must be a positive number of seconds")
    return Connection(args.kubeconfig, args.context, args.timeout)


# --- one connection per process ---------------------------------------------------------

_connections: dict[tuple[Connection, str | None], Cluster] = {}


def connect(connection: Connection | None = None) -> Cluster:
    """The cluster of ``connection`` (default: $KUBECONFIG's current context), connected once
    per process."""
    connection = connection or Connection()
    key = (connection, os.environ.get("KUBECONFIG"))
    if key not in _connections:
        _connections[key] = Cluster(connection)
    return _connections[key]
