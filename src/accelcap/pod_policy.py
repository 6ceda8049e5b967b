"""What a validation pod may be: Pod Security ``restricted``, less what the accelerator needs.

One function, ``restricted_problems``, judges a Pod object; lint rule CAP037 runs it over the
validation builds and ``verify-pools --workload`` refuses to create a pod it objects to. The
rules follow the Kubernetes Pod Security Standards, profile ``restricted``
(https://kubernetes.io/docs/concepts/security/pod-security-standards/, "Restricted": host
namespaces, privileged, capabilities (drop ALL), hostPath and other volume types, host ports,
AppArmor, SELinux, /proc mount, seccomp (RuntimeDefault or Localhost), sysctls, privilege
escalation, non-root), plus what a validation pod has no use for: a service account token,
Secrets, a service account other than ``default``, a namespace other than the validation
namespaces. The accelerator's extended resource and the pool's toleration are all it needs
beyond ``restricted``, and both are allowed there already.
"""

from __future__ import annotations

import typing as t

#: The namespaces of the validation builds (base/validation/*/namespace.yaml).
VALIDATION_NAMESPACES = frozenset({"gpu-validation", "neuron-validation"})
#: Volume types ``restricted`` allows, less ``secret`` (a validation pod needs none).
ALLOWED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected"}
)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)  # fmt: skip
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def _mapping(value: t.Any) -> dict[str, t.Any]:
    return value if isinstance(value, dict) else {}


def _list(value: t.Any) -> list[t.Any]:
    return value if isinstance(value, list) else []


def restricted_problems(pod: dict[str, t.Any]) -> list[tuple[str, str]]:
    """(JSON pointer, what is wrong) for every way ``pod`` leaves the profile; empty: it meets it."""
    problems: list[tuple[str, str]] = []
    metadata, spec = _mapping(pod.get("metadata")), _mapping(pod.get("spec"))
    namespace = metadata.get("namespace")
    if namespace not in VALIDATION_NAMESPACES:
        allowed = ", ".join(sorted(VALIDATION_NAMESPACES))
        problems.append(("/metadata/namespace", f"namespace {namespace or '(none)'} is not one of {allowed}"))
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            problems.append((f"/spec/{key}", f"{key}: true shares the node's namespaces"))
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(("/spec/automountServiceAccountToken", "must be false: a validation pod needs no API token"))
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account not in (None, "", "default"):
        problems.append(("/spec/serviceAccountName", f"service account {account}: only default, without a token"))
    pod_context = _mapping(spec.get("securityContext"))
    problems += _context_problems(pod_context, "/spec/securityContext")
    for index, sysctl in enumerate(_list(pod_context.get("sysctls"))):
        if _mapping(sysctl).get("name") not in SAFE_SYSCTLS:
            problems.append(
                (f"/spec/securityContext/sysctls/{index}", f"sysctl {_mapping(sysctl).get('name')} is not safe")
            )
    for index, volume in enumerate(_list(spec.get("volumes"))):
        kinds = sorted(set(_mapping(volume)) - {"name"})
        for kind in kinds:
            if kind not in ALLOWED_VOLUMES:
                problems.append(
                    (f"/spec/volumes/{index}", f"volume type {kind} is not allowed (hostPath, secret, ...)")
                )
        for source in _list(_mapping(_mapping(volume).get("projected")).get("sources")):
            for kind in ("secret", "serviceAccountToken"):
                if kind in _mapping(source):
                    problems.append((f"/spec/volumes/{index}/projected", f"a projected {kind} is not allowed"))
    pod_non_root = pod_context.get("runAsNonRoot") is True
    pod_seccomp = _mapping(pod_context.get("seccompProfile")).get("type") in ("RuntimeDefault", "Localhost")
    for field in CONTAINER_LISTS:
        for index, container in enumerate(_list(spec.get(field))):
            problems += _container_problems(_mapping(container), f"/spec/{field}/{index}", pod_non_root, pod_seccomp)
    return problems


def _context_problems(context: dict[str, t.Any], path: str) -> list[tuple[str, str]]:
    problems = []
    if context.get("runAsUser") == 0:
        problems.append((f"{path}/runAsUser", "runAsUser 0 is root"))
    selinux = _mapping(context.get("seLinuxOptions"))
    if selinux.get("type", "") not in SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
        problems.append((f"{path}/seLinuxOptions", "custom SELinux user, role or type"))
    seccomp = _mapping(context.get("seccompProfile")).get("type")
    if seccomp == "Unconfined":
        problems.append((f"{path}/seccompProfile", "seccompProfile Unconfined"))
    apparmor = _mapping(context.get("appArmorProfile")).get("type")
    if apparmor == "Unconfined":
        problems.append((f"{path}/appArmorProfile", "appArmorProfile Unconfined"))
    if _mapping(context.get("windowsOptions")).get("hostProcess") is True:
        problems.append((f"{path}/windowsOptions", "hostProcess"))
    return problems


def _container_problems(
    container: dict[str, t.Any], path: str, pod_non_root: bool, pod_seccomp: bool
) -> list[tuple[str, str]]:
    name = container.get("name", "?")
    context = _mapping(container.get("securityContext"))
    problems = _context_problems(context, f"{path}/securityContext")
    if context.get("privileged") is True:
        problems.append((f"{path}/securityContext/privileged", f"container {name} is privileged"))
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append((f"{path}/securityContext/allowPrivilegeEscalation", f"container {name}: must be false"))
    if context.get("runAsNonRoot") is False or not (context.get("runAsNonRoot") is True or pod_non_root):
        problems.append((f"{path}/securityContext/runAsNonRoot", f"container {name}: runAsNonRoot must be true"))
    seccomp = _mapping(context.get("seccompProfile")).get("type")
    if not (seccomp in ("RuntimeDefault", "Localhost") or (seccomp is None and pod_seccomp)):
        problems.append((f"{path}/securityContext/seccompProfile", f"container {name}: seccompProfile RuntimeDefault"))
    capabilities = _mapping(context.get("capabilities"))
    if "ALL" not in _list(capabilities.get("drop")):
        problems.append((f"{path}/securityContext/capabilities", f"container {name}: capabilities must drop ALL"))
    added = [c for c in _list(capabilities.get("add")) if c != "NET_BIND_SERVICE"]
    if added:
        problems.append(
            (f"{path}/securityContext/capabilities/add", f"container {name} adds {', '.join(map(str, added))}")
        )
    if context.get("procMount") not in (None, "Default"):
        problems.append((f"{path}/securityContext/procMount", f"container {name}: procMount must be Default"))
    for index, port in enumerate(_list(container.get("ports"))):
        if _mapping(port).get("hostPort"):
            problems.append((f"{path}/ports/{index}/hostPort", f"container {name} uses a host port"))
    for index, source in enumerate(_list(container.get("envFrom"))):
        if "secretRef" in _mapping(source):
            problems.append((f"{path}/envFrom/{index}", f"container {name} reads a Secret"))
    for index, variable in enumerate(_list(container.get("env"))):
        if "secretKeyRef" in _mapping(_mapping(variable).get("valueFrom")):
            problems.append((f"{path}/env/{index}", f"container {name} reads a Secret"))
    return problems
