#!/usr/bin/env python3
# Writes the four ESO CustomResourceDefinitions esx serves (one file per kind) into the directory
# given as the only argument: structural schemas with the azurekv provider fully typed, other
# providers kept as unknown fields, v1 stored and v1beta1 served with the same schema.
# Field names, enums and defaults follow ESO v2.9 (apis/externalsecrets/v1).
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
label_selector = obj({
    "matchExpressions": arr(obj({"key": S(), "operator": S(), "values": arr(S(), **{"x-kubernetes-list-type": "atomic"})},
                                ["key", "operator"]), **{"x-kubernetes-list-type": "atomic"}),
    "matchLabels": smap,
}, **{"x-kubernetes-map-type": "atomic"})
azurekv = obj({
    "authSecretRef": obj({k: copy.deepcopy(secret_key_selector) for k in ["clientCertificate", "clientId", "clientSecret", "tenantId"]},
                         description="Secrets holding the service principal's credentials (or a workload identity's client and tenant ID)."),
    "authType": S(default="ServicePrincipal", enum=["ServicePrincipal", "ManagedIdentity", "WorkloadIdentity"]),
    "customCloudConfig": obj({
        "activeDirectoryEndpoint": S(description="Entra ID authority host of the cloud."),
        "keyVaultDNSSuffix": S(), "keyVaultEndpoint": S(), "resourceManagerEndpoint": S(),
    }, ["activeDirectoryEndpoint"], description="Endpoints of a custom cloud (AzureStackCloud); requires useAzureSDK."),
    "environmentType": S(default="PublicCloud", enum=["PublicCloud", "USGovernmentCloud", "ChinaCloud", "GermanCloud", "AzureStackCloud"]),
    "identityId": S(description="Client ID of a user-assigned managed identity."),
    "serviceAccountRef": obj({"audiences": arr(S()), "name": S(maxLength=253, minLength=1, pattern=DNS),
                              "namespace": S(maxLength=63, minLength=1, pattern="^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")}, ["name"],
                             description="The ServiceAccount whose token is exchanged (WorkloadIdentity)."),
    "tenantId": S(description="Entra ID tenant; required for ServicePrincipal."),
    "useAzureSDK": dict(type="boolean", description="ESO's opt-in Azure SDK path; esx accepts it for compatibility."),
    "vaultUrl": S(description="The vault's URL, e.g. https://my-vault.vault.azure.net."),
}, ["vaultUrl"], description="Azure Key Vault, the one provider esx serves.")
store_spec = obj({
    "conditions": arr(obj({
        "namespaceRegexes": arr(S()), "namespaceSelector": copy.deepcopy(label_selector), "namespaces": arr(S()),
    }), description="ClusterSecretStore only: the namespaces whose ExternalSecrets may use the store."),
    "controller": S(description="Controller class."),
    "provider": obj({"azurekv": azurekv}, maxProperties=1, minProperties=1,
                    description="Exactly one provider. Only azurekv is typed; esx reports any other as not supported.",
                    **{"x-kubernetes-preserve-unknown-fields": True}),
    "refreshInterval": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True,
                        "description": "Re-validation interval: seconds or a Go duration."},
    "retrySettings": obj({"maxRetries": dict(type="integer", format="int32"), "retryInterval": S()}),
}, ["provider"])
conditions = arr(obj({
    "lastTransitionTime": S(format="date-time"), "message": S(), "reason": S(), "status": S(), "type": S(),
}, ["status", "type"]))
store_status = obj({"capabilities": S(), "conditions": conditions})
store_kind = S(enum=["SecretStore", "ClusterSecretStore"])
store_ref = obj({"kind": store_kind, "name": copy.deepcopy(name)})
generator_ref = obj({"apiVersion": S(default="generators.external-secrets.io/v1alpha1"), "kind": S(), "name": copy.deepcopy(name)}, ["kind", "name"])
def remote_ref():
    return obj({
        "conversionStrategy": S(default="Default", enum=["Default", "Unicode"]),
        "decodingStrategy": S(default="None", enum=["Auto", "Base64", "Base64URL", "None"]),
        "key": S(description="[secret/|key/|cert/]name in the vault."),
        "metadataPolicy": S(default="None", enum=["None", "Fetch"]),
        "nullBytePolicy": S(enum=["Ignore", "Fail"]),
        "property": S(), "version": S(),
    }, ["key"])
template_ref = obj({"items": arr(obj({"key": S(maxLength=253, minLength=1, pattern=KEY),
                                     "templateAs": S(default="Values", enum=["Values", "KeysAndValues"])}, ["key"])),
                    "name": copy.deepcopy(name)}, ["items", "name"])
template = obj({
    "data": smap, "engineVersion": S(default="v2", enum=["v2"]),
    "mergePolicy": S(default="Replace", enum=["Replace", "Merge"]),
    "metadata": obj({"annotations": smap, "finalizers": arr(S()), "labels": smap}),
    "templateFrom": arr(obj({"configMap": copy.deepcopy(template_ref), "literal": S(), "secret": copy.deepcopy(template_ref),
                             "target": S(default="Data")})),
    "type": S(),
})
es_spec = obj({
    "data": arr(obj({
        "remoteRef": remote_ref(),
        "secretKey": S(maxLength=253, minLength=1, pattern=KEY),
        "sourceRef": obj({"generatorRef": copy.deepcopy(generator_ref), "storeRef": copy.deepcopy(store_ref)}, maxProperties=1, minProperties=1),
    }, ["remoteRef", "secretKey"])),
    "dataFrom": arr(obj({
        "extract": remote_ref(),
        "find": obj({
            "conversionStrategy": S(default="Default", enum=["Default", "Unicode"]),
            "decodingStrategy": S(default="None", enum=["Auto", "Base64", "Base64URL", "None"]),
            "name": obj({"regexp": S(description="RE2 regular expression matched against secret names.")}),
            "nullBytePolicy": S(enum=["Ignore", "Fail"]),
            "path": S(), "tags": smap,
        }),
        "rewrite": arr(obj({
            "merge": obj({"conflictPolicy": S(default="Error", enum=["Ignore", "Error"]), "into": S(default=""),
                          "priority": arr(S()), "strategy": S(default="Extract", enum=["Extract", "JSON"])}),
            "regexp": obj({"source": S(), "target": S()}, ["source", "target"]),
            "transform": obj({"template": S()}, ["template"]),
        }, maxProperties=1, minProperties=1)),
        "sourceRef": obj({"generatorRef": copy.deepcopy(generator_ref), "storeRef": copy.deepcopy(store_ref)}, maxProperties=1, minProperties=1),
    })),
    "refreshInterval": S(default="1h", description="Go duration; 0 syncs once."),
    "refreshPolicy": S(enum=["CreatedOnce", "Periodic", "OnChange"]),
    "secretStoreRef": copy.deepcopy(store_ref),
    "target": obj({
        "creationPolicy": S(default="Owner", enum=["Owner", "Orphan", "Merge", "None", "CreateOrMerge"]),
        "deletionPolicy": S(default="Retain", enum=["Delete", "Merge", "Retain"]),
        "immutable": dict(type="boolean"),
        "name": S(maxLength=253, minLength=1, pattern=DNS),
        "template": template,
    }, default={"creationPolicy": "Owner", "deletionPolicy": "Retain"}),
})
es_status = obj({
    "binding": obj({"name": S(default="")}, **{"x-kubernetes-map-type": "atomic"}),
    "conditions": copy.deepcopy(conditions),
    "refreshTime": S(format="date-time", nullable=True),
    "syncedResourceVersion": S(),
})
ces_spec = obj({
    "externalSecretMetadata": obj({"annotations": smap, "labels": smap}),
    "externalSecretName": S(maxLength=253, minLength=1, pattern=DNS),
    "externalSecretSpec": copy.deepcopy(es_spec),
    "namespaceSelector": copy.deepcopy(label_selector),
    "namespaceSelectors": arr(copy.deepcopy(label_selector)),
    "namespaces": arr(S()),
    "refreshTime": S(),
}, ["externalSecretSpec"])
ces_status = obj({
    "conditions": arr(obj({"message": S(), "status": S(), "type": S()}, ["status", "type"])),
    "externalSecretName": S(),
    "failedNamespaces": arr(obj({"namespace": S(), "reason": S()}, ["namespace"])),
    "provisionedNamespaces": arr(S(), **{"x-kubernetes-list-type": "set"}),
})
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
def crd(kind, plural, short, scope, spec, status, cols, desc):
    root = obj({"apiVersion": S(), "kind": S(), "metadata": dict(type="object"), "spec": spec, "status": status}, description=desc)
    versions = []
    for v, storage in (("v1", True), ("v1beta1", False)):
        versions.append(dict(name=v, served=True, storage=storage, subresources={"status": {}},
                             additionalPrinterColumns=copy.deepcopy(cols),
                             schema={"openAPIV3Schema": copy.deepcopy(root)}))
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.external-secrets.io", "labels": {"external-secrets.io/component": "controller"}},
            "spec": {"group": "external-secrets.io",
                     "names": {"categories": ["external-secrets"], "kind": kind, "listKind": kind + "List",
                               "plural": plural, "shortNames": [short], "singular": kind.lower()},
                     "scope": scope, "versions": versions}}
out = sys.argv[1]
header = ("# esx: the {kind} CustomResourceDefinition (external-secrets.io), schema-compatible with External\n"
          "# Secrets Operator's for the azurekv provider: v1 served and stored, v1beta1 served with the same\n"
          "# schema (no conversion needed), status subresource, ESO's printer columns, short name and category.\n"
          "# Generated by generate.py in this directory (python3 generate.py .); edit that, not this file.\n")
for kind, plural, short, scope, spec, status, cols, desc in [
    ("SecretStore", "secretstores", "ss", "Namespaced", store_spec, store_status, store_cols, "Where ExternalSecrets in this namespace read from: one Azure Key Vault and the credentials to reach it."),
    ("ClusterSecretStore", "clustersecretstores", "css", "Cluster", store_spec, store_status, store_cols, "A SecretStore any namespace allowed by spec.conditions may use."),
    ("ExternalSecret", "externalsecrets", "es", "Namespaced", es_spec, es_status, es_cols, "Which Key Vault objects become which keys of one Kubernetes Secret."),
    ("ClusterExternalSecret", "clusterexternalsecrets", "ces", "Cluster", ces_spec, ces_status, ces_cols, "An ExternalSecret stamped into every selected namespace."),
]:
    with open(f"{out}/{plural}.yaml", "w") as f:
        f.write(header.format(kind=kind))
        yaml.safe_dump(crd(kind, plural, short, scope, spec, status, cols, desc), f, sort_keys=False, width=120)
