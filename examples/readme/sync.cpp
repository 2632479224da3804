// The README's program: sync every ExternalSecret in the manifest files into Kubernetes Secrets.
//   sync FILE...   (stores, credential Secrets and ServiceAccounts from the files, else the cluster)
#include <esx/esx.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    auto docs = esx::spec::read_files(std::vector<std::string>(argv + 1, argv + argc));
    if (!docs) {
        std::cerr << docs.error() << '\n';
        return 1;
    }
    for (auto const& bad : docs->errors)  // an invalid document fails only itself
        std::cerr << bad.source << " document " << bad.index << ": " << bad.error << '\n';

    esx::runtime rt;  // KUBECONFIG or in-cluster; system CAs (+ ESX_CACERT); IMDS; one token cache
    auto cluster = rt.kube();
    if (!cluster) {
        std::cerr << cluster.error() << '\n';
        return 1;
    }
    esx::pipeline<esx::sink::kubernetes_secret<>> sync(rt, esx::sink::kubernetes_secret<>(*cluster), *docs);

    auto results = rt.run(sync.sync_all());  // concurrent; each Key Vault read made once
    for (auto const& r : results) std::cout << r << '\n';  // one line each, never a value
    return esx::all_synced(results) && docs->errors.empty() ? 0 : 1;
}
