#!/usr/bin/env python3
# Writes the four ESO CustomResourceDefinitions esx serves (one file per kind) into the directory
# given as the only argument: structural schemas with the azurekv provider fully typed, other
# providers kept as unknown fields. Field names, enums, patterns, bounds, defaults and
# x-kubernetes-* markers follow ESO v2.9's CRDs (config/crds/bases), v1 from apis/externalsecrets/v1
# and v1beta1 from apis/externalsecrets/v1beta1; compare_eso.py checks that node by node.
#
# One deliberate difference: ESO 2.9 no longer serves v1beta1 (served: false); esx serves it
# (deprecated, as ESO marks it) so that manifests written for the docs' v1beta1 examples still
# apply. Both versions share the stored form (v1) without a conversion webhook: v1beta1 is a
# subset of v1 for every field esx models, so an object written as v1beta1 reads back as v1.
import yaml, copy, sys
S = lambda **kw: dict(type="string", **kw)
DNS = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
KEY = "^[-._a-zA-Z0-9]+$"
def obj(props, required=None, **kw):
    o = dict(type="object", properties=props)
    if required: o["required"] = required
    o.update(kw); return o
def arr(items, **kw): return dict(type="array", items=items, **kw)
smap = dict(type="object", additionalProperties=S())
name = S(maxLength=253, minLength=1, pattern=DNS)
secret_key_selector = obj({
    "key": S(description="A key in the referenced Secret.", maxLength=253, minLength=1, pattern=KEY),
    "name": S(description="The name of the Secret.", maxLength=253, minLength=1, pattern=DNS),
    "namespace": S(description="The namespace of the Secret; only a ClusterSecretStore may name another namespace.",
                   maxLength=63, minLength=1, pattern="^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"),
})
DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
namespace_name = S(maxLength=63, minLength=1, pattern=DNS_LABEL)
label_selector = obj({
    "matchExpressions": arr(obj({"key": S(), "operator": S(), "values": arr(S(), **{"x-kubernetes-list-type": "atomic"})},
                                ["key", "operator"]), **{"x-kubernetes-list-type": "atomic"}),
    "matchLabels": smap,
}, **{"x-kubernetes-map-type": "atomic"})
def schemas(v1):
    """The spec and status schemas of every kind, for v1 (True) or v1beta1 (False)."""
    decoding = ["Auto", "Base64", "Base64URL", "None"]
    azurekv_props = {
        "authSecretRef": obj({k: copy.deepcopy(secret_key_selector) for k in ["clientCertificate", "clientId", "clientSecret", "tenantId"]},
                             description="Secrets holding the service principal's credentials (or a workload identity's client and tenant ID)."),
        "authType": S(default="ServicePrincipal", enum=["ServicePrincipal", "ManagedIdentity", "WorkloadIdentity"]),
        "environmentType": S(default="PublicCloud",
                             enum=["PublicCloud", "USGovernmentCloud", "ChinaCloud", "GermanCloud"] + (["AzureStackCloud"] if v1 else [])),
        "identityId": S(description="Client ID of a user-assigned managed identity."),
        "serviceAccountRef": obj({"audiences": arr(S()), "name": S(maxLength=253, minLength=1, pattern=DNS),
                                  "namespace": S(maxLength=63, minLength=1, pattern=DNS_LABEL)}, ["name"],
                                 description="The ServiceAccount whose token is exchanged (WorkloadIdentity)."),
        "tenantId": S(description="Entra ID tenant; required for ServicePrincipal."),
        "vaultUrl": S(description="The vault's URL, e.g. https://my-vault.vault.azure.net."),
    }
    if v1:
        azurekv_props["customCloudConfig"] = obj({
            "activeDirectoryEndpoint": S(description="Entra ID authority host of the cloud."),
            "keyVaultDNSSuffix": S(), "keyVaultEndpoint": S(), "resourceManagerEndpoint": S(),
        }, ["activeDirectoryEndpoint"], description="Endpoints of a custom cloud (AzureStackCloud); requires useAzureSDK.")
        azurekv_props["useAzureSDK"] = dict(type="boolean", default=False,
                                            description="ESO's azcore-based SDK path (output bytes follow it); required for custom clouds.")
    azurekv = obj(dict(sorted(azurekv_props.items())), ["vaultUrl"], description="Azure Key Vault, the one provider esx serves.")
    refresh = ({"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True,
                "description": "Re-validation interval: seconds or a Go duration."} if v1 else
               dict(type="integer", description="Re-validation interval in seconds."))
    store_spec = obj({
        "conditions": arr(obj({
            "namespaceRegexes": arr(S()), "namespaceSelector": copy.deepcopy(label_selector),
            "namespaces": arr(copy.deepcopy(namespace_name)),
        }), description="ClusterSecretStore only: the namespaces whose ExternalSecrets may use the store."),
        "controller": S(description="Controller class."),
        "provider": obj({"azurekv": azurekv}, maxProperties=1, minProperties=1,
                        description="Exactly one provider. Only azurekv is typed; esx reports any other as not supported.",
                        **{"x-kubernetes-preserve-unknown-fields": True}),
        "refreshInterval": refresh,
        "retrySettings": obj({"maxRetries": dict(type="integer", format="int32"), "retryInterval": S()}),
    }, ["provider"])
    conditions = arr(obj({
        "lastTransitionTime": S(format="date-time"), "message": S(), "reason": S(), "status": S(), "type": S(),
    }, ["status", "type"]))
    store_status = obj({"capabilities": S(), "conditions": conditions})
    store_ref = obj({"kind": S(enum=["SecretStore", "ClusterSecretStore"]), "name": copy.deepcopy(name)})
    generators = (["ACRAccessToken", "BeyondtrustWorkloadCredentialsDynamicSecret", "ClusterGenerator", "CloudsmithAccessToken",
                   "ECRAuthorizationToken", "Fake", "GCRAccessToken", "GithubAccessToken", "GitlabDeployToken", "QuayAccessToken",
                   "Password", "SSHKey", "STSSessionToken", "UUID", "VaultDynamicSecret", "Webhook", "Grafana", "MFA"] if v1 else
                  ["ACRAccessToken", "ClusterGenerator", "ECRAuthorizationToken", "Fake", "GCRAccessToken", "GithubAccessToken",
                   "QuayAccessToken", "Password", "SSHKey", "STSSessionToken", "UUID", "VaultDynamicSecret", "Webhook", "Grafana"])
    generator_ref = obj({"apiVersion": S(default="generators.external-secrets.io/v1alpha1"), "kind": S(enum=generators),
                         "name": copy.deepcopy(name)}, ["kind", "name"])
    # v1beta1's CRD defaults the strategies; v1's leaves them out (the controller reads "" as the default).
    d = (lambda value: {}) if v1 else (lambda value: {"default": value})
    def remote_ref():
        props = {
            "conversionStrategy": S(enum=["Default", "Unicode"], **d("Default")),
            "decodingStrategy": S(enum=decoding, **d("None")),
            "key": S(description="[secret/|key/|cert/]name in the vault."),
            "metadataPolicy": S(enum=["None", "Fetch"], **d("None")),
            "property": S(), "version": S(),
        }
        if v1: props["nullBytePolicy"] = S(enum=["Ignore", "Fail"])
        return obj(dict(sorted(props.items())), ["key"])
    template_ref = obj({"items": arr(obj({"key": S(maxLength=253, minLength=1, pattern=KEY),
                                         "templateAs": S(default="Values", enum=["Values", "KeysAndValues"])}, ["key"])),
                        "name": copy.deepcopy(name)}, ["items", "name"])
    template_from = {"configMap": copy.deepcopy(template_ref), "literal": S(), "secret": copy.deepcopy(template_ref),
                     "target": S(default="Data") if v1 else S(default="Data", enum=["Data", "Annotations", "Labels"])}
    if v1: template_from["valuesDecodingStrategy"] = S(enum=decoding)
    template = obj({
        "data": smap, "engineVersion": S(default="v2", enum=["v2"]),
        "mergePolicy": S(default="Replace", enum=["Replace", "Merge"]),
        "metadata": obj({"annotations": smap, "labels": smap, **({"finalizers": arr(S())} if v1 else {})}),
        "templateFrom": arr(obj(template_from)),
        "type": S(),
    })
    find = {"decodingStrategy": S(enum=decoding, **d("None")), "conversionStrategy": S(enum=["Default", "Unicode"], **d("Default")),
            "name": obj({"regexp": S(description="RE2 regular expression matched against secret names.")}),
            "path": S(), "tags": smap}
    if v1: find["nullBytePolicy"] = S(enum=["Ignore", "Fail"])
    rewrite = {"regexp": obj({"source": S(), "target": S()}, ["source", "target"]),
               "transform": obj({"template": S()}, ["template"])}
    if v1:
        rewrite["merge"] = obj({"conflictPolicy": S(default="Error", enum=["Ignore", "Error"]), "into": S(default=""),
                                "priority": arr(S()), "priorityPolicy": S(default="Strict", enum=["IgnoreNotFound", "Strict"]),
                                "strategy": S(default="Extract", enum=["Extract", "JSON"])})
    target = {
        "creationPolicy": S(default="Owner", enum=["Owner", "Orphan", "Merge", "None"] + (["CreateOrMerge"] if v1 else [])),
        "deletionPolicy": S(default="Retain", enum=["Delete", "Merge", "Retain"]),
        "immutable": dict(type="boolean"),
        "name": S(maxLength=253, minLength=1, pattern=DNS),
        "template": template,
    }
    if v1:
        target["manifest"] = obj({"apiVersion": S(minLength=1), "kind": S(minLength=1)}, ["apiVersion", "kind"],
                                 description="A generic (non-Secret) target: refused by esx, as by ESO without --unsafe-allow-generic-targets.")
    es_props = {
        "data": arr(obj({
            "remoteRef": remote_ref(),
            "secretKey": S(maxLength=253, minLength=1, pattern=KEY),
            "sourceRef": obj({"generatorRef": copy.deepcopy(generator_ref), "storeRef": copy.deepcopy(store_ref)}, maxProperties=1, minProperties=1),
        }, ["remoteRef", "secretKey"])),
        "dataFrom": arr(obj({
            "extract": remote_ref(),
            "find": obj(dict(sorted(find.items()))),
            "rewrite": arr(obj(dict(sorted(rewrite.items())), maxProperties=1, minProperties=1)),
            "sourceRef": obj({"generatorRef": copy.deepcopy(generator_ref), "storeRef": copy.deepcopy(store_ref)}, maxProperties=1, minProperties=1),
        })),
        "refreshInterval": S(default="1h0m0s", description="Go duration; 0 syncs once."),
        "refreshPolicy": S(enum=["CreatedOnce", "Periodic", "OnChange"]),
        "secretStoreRef": copy.deepcopy(store_ref),
        "target": obj(dict(sorted(target.items())), default={"creationPolicy": "Owner", "deletionPolicy": "Retain"}),
    }
    if v1:
        es_props["syncWindows"] = obj({
            "kind": S(enum=["allow", "deny"]),
            "windows": arr(obj({
                "duration": S(),
                "schedule": S(minLength=1, pattern="^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every [^\\s]+.*|[^\\s]+( [^\\s]+){4})$"),
            }, ["duration", "schedule"]), minItems=1),
        }, ["kind", "windows"], description="When periodic refreshes may run (cron schedules in UTC).")
    es_spec = obj(dict(sorted(es_props.items())))
    es_status = obj({
        "binding": obj({"name": S(default="")}, **{"x-kubernetes-map-type": "atomic"}),
        "conditions": arr(obj({
            "lastTransitionTime": S(format="date-time"), "message": S(), "reason": S(), "status": S(),
            "type": S(enum=["Ready", "Deleted"]) if v1 else S(),
        }, ["status", "type"])),
        "refreshTime": S(format="date-time", nullable=True),
        "syncedResourceVersion": S(),
    })
    ces_spec = obj({
        "externalSecretMetadata": obj({"annotations": smap, "labels": smap}),
        "externalSecretName": S(maxLength=253, minLength=1, pattern=DNS),
        "externalSecretSpec": copy.deepcopy(es_spec),
        "namespaceSelector": copy.deepcopy(label_selector),
        "namespaceSelectors": arr(copy.deepcopy(label_selector)),
        "namespaces": arr(copy.deepcopy(namespace_name)),
        "refreshTime": S(),
    }, ["externalSecretSpec"])
    ces_status = obj({
        "conditions": arr(obj({"message": S(), "status": S(), "type": S()}, ["status", "type"])),
        "externalSecretName": S(),
        "failedNamespaces": arr(obj({"namespace": S(), "reason": S()}, ["namespace"])),
        "provisionedNamespaces": arr(S()),
    })
    return {"SecretStore": (store_spec, store_status), "ClusterSecretStore": (store_spec, store_status),
            "ExternalSecret": (es_spec, es_status), "ClusterExternalSecret": (ces_spec, ces_status)}
READY_REASON = '.status.conditions[?(@.type=="Ready")].reason'
READY_STATUS = '.status.conditions[?(@.type=="Ready")].status'
store_cols = [dict(jsonPath=".metadata.creationTimestamp", name="AGE", type="date"),
              dict(jsonPath=READY_REASON, name="Status", type="string"),
              dict(jsonPath=".status.capabilities", name="Capabilities", type="string"),
              dict(jsonPath=READY_STATUS, name="Ready", type="string")]
es_cols = [dict(jsonPath=".spec.secretStoreRef.kind", name="StoreType", type="string"),
           dict(jsonPath=".spec.secretStoreRef.name", name="Store", type="string"),
           dict(jsonPath=".spec.refreshInterval", name="Refresh Interval", type="string"),
           dict(jsonPath=READY_REASON, name="Status", type="string"),
           dict(jsonPath=READY_STATUS, name="Ready", type="string"),
           dict(jsonPath=".status.refreshTime", name="Last Sync", type="date")]
ces_cols = [dict(jsonPath=".spec.externalSecretSpec.secretStoreRef.name", name="Store", type="string"),
            dict(jsonPath=".spec.refreshTime", name="Refresh Interval", type="string"),
            dict(jsonPath=READY_STATUS, name="Ready", type="string")]
per_version = {"v1": schemas(True), "v1beta1": schemas(False)}
def crd(kind, plural, short, scope, cols, desc):
    versions = []
    for v, storage in (("v1", True), ("v1beta1", False)):
        spec, status = per_version[v][kind]
        root = obj({"apiVersion": S(), "kind": S(), "metadata": dict(type="object"), "spec": spec, "status": status}, description=desc)
        version = dict(name=v, served=True, storage=storage)
        if v == "v1beta1": version["deprecated"] = True
        version.update(subresources={"status": {}}, additionalPrinterColumns=copy.deepcopy(cols),
                       schema={"openAPIV3Schema": root})
        versions.append(version)
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.external-secrets.io", "labels": {"external-secrets.io/component": "controller"}},
            "spec": {"group": "external-secrets.io",
                     "names": {"categories": ["external-secrets"], "kind": kind, "listKind": kind + "List",
                               "plural": plural, "shortNames": [short], "singular": kind.lower()},
                     "scope": scope, "versions": versions}}
out = sys.argv[1]
header = ("# esx: the {kind} CustomResourceDefinition (external-secrets.io), ESO 2.9's schema for the azurekv\n"
          "# provider field for field (defaults, enums, patterns, bounds, x-kubernetes-* markers): v1 served and\n"
          "# stored; v1beta1 served too (ESO 2.9 serves it no more; esx keeps it so the docs' v1beta1 manifests\n"
          "# apply), deprecated, with ESO's v1beta1 schema; status subresource, ESO's printer columns, short name\n"
          "# and category. Generated by generate.py in this directory (python3 generate.py .); edit that, not this\n"
          "# file. compare_eso.py DIR compares it with ESO's CRDs.\n")
for kind, plural, short, scope, cols, desc in [
    ("SecretStore", "secretstores", "ss", "Namespaced", store_cols, "Where ExternalSecrets in this namespace read from: one Azure Key Vault and the credentials to reach it."),
    ("ClusterSecretStore", "clustersecretstores", "css", "Cluster", store_cols, "A SecretStore any namespace allowed by spec.conditions may use."),
    ("ExternalSecret", "externalsecrets", "es", "Namespaced", es_cols, "Which Key Vault objects become which keys of one Kubernetes Secret."),
    ("ClusterExternalSecret", "clusterexternalsecrets", "ces", "Cluster", ces_cols, "An ExternalSecret stamped into every selected namespace."),
]:
    with open(f"{out}/{plural}.yaml", "w") as f:
        f.write(header.format(kind=kind))
        yaml.safe_dump(crd(kind, plural, short, scope, cols, desc), f, sort_keys=False, width=120)
