#!/usr/bin/env python3
"""Writes a deterministic synthetic cluster and policy set for the connlist bench.

    gen_cluster.py PODS NAMESPACES POLICIES OUT_DIR

OUT_DIR/cluster.json is what `kubectl get namespaces,pods -A -o json` prints:
a List of Namespaces and Pods. Pods belong to ReplicaSets (ownerReferences,
five pods each, named as a Deployment names them), carry labels from small
vocabularies (app, tier, version), named container ports and pod IPs in
10.0.0.0/8. OUT_DIR/policies.json is a List of NetworkPolicies (80%) and
CiliumNetworkPolicies (20%) with pod, namespace and ipBlock peers, numeric,
named and ranged ports, and egress rules, in the style of
policy-core/benches/engine.rs.
"""

import json
import os
import sys

TIERS = ["front", "back", "db"]
ENVS = ["prod", "staging", "dev"]
SAFE = "bcdfghjklmnpqrstvwxz2456789"


class Rng:
    """xorshift64, so every run writes the same files."""

    def __init__(self, seed):
        self.x = seed

    def next(self):
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        self.x = x
        return x

    def below(self, n):
        return self.next() % n


def safe_word(n, k):
    out = ""
    for _ in range(k):
        out += SAFE[n % len(SAFE)]
        n //= len(SAFE)
    return out


def cluster(pods, namespaces):
    items = []
    for i in range(namespaces):
        items.append({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": f"ns-{i}", "labels": {
                "kubernetes.io/metadata.name": f"ns-{i}",
                "team": f"t{i % 10}", "env": ENVS[i % 3]}},
        })
    for i in range(pods):
        ns = i % namespaces
        # Five consecutive pods of a namespace share one ReplicaSet.
        k = i // namespaces
        workload = k // 5
        app = workload % 10
        tier = TIERS[app % 3]
        version = workload % 2
        rs_hash = safe_word(workload * 7919 + ns, 9)
        name = f"app{app}-w{workload}"
        ports = [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}]
        if tier == "db":
            ports.append({"name": "postgres", "containerPort": 5432})
        if app == 9:
            ports.append({"name": "dns", "containerPort": 53, "protocol": "UDP"})
        items.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": f"{name}-{rs_hash}-{safe_word(i, 5)}",
                "namespace": f"ns-{ns}",
                "labels": {"app": f"app{app}", "tier": tier, "version": f"v{version}",
                           "pod-template-hash": rs_hash},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                     "name": f"{name}-{rs_hash}", "controller": True,
                                     "uid": f"{workload}-{ns}"}],
            },
            "spec": {"containers": [{"name": "c", "image": "x", "ports": ports}]},
            "status": {"phase": "Running",
                       "podIP": f"10.{1 + i // 65536}.{(i // 256) % 256}.{i % 256}",
                       "hostIP": f"192.168.0.{1 + i % 50}"},
        })
    return {"apiVersion": "v1", "kind": "List", "items": items}


def selector(rng):
    r = rng.below(5)
    if r == 0:
        return {}
    if r == 1:
        return {"matchLabels": {"app": f"app{rng.below(10)}"}}
    if r == 2:
        return {"matchLabels": {"tier": TIERS[rng.below(3)]}}
    if r == 3:
        return {"matchExpressions": [{"key": "app", "operator": "In",
                                      "values": [f"app{rng.below(10)}", f"app{rng.below(10)}"]}]}
    return {"matchLabels": {"tier": TIERS[rng.below(3)], "version": f"v{rng.below(2)}"}}


def ns_selector(rng):
    r = rng.below(3)
    if r == 0:
        return {"matchLabels": {"team": f"t{rng.below(10)}"}}
    if r == 1:
        return {"matchLabels": {"env": ENVS[rng.below(3)]}}
    return {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]}


def np_ports(rng):
    return [
        [{"port": 8080}],
        [{"port": "http"}, {"port": "metrics"}],
        [{"port": 5432}],
        [{"port": 53, "protocol": "UDP"}, {"port": 53}],
        [{"port": 30000, "endPort": 30010}],
        [{"port": 443}],
    ][rng.below(6)]


def np_peer(rng):
    r = rng.below(4)
    if r == 0:
        return {"podSelector": selector(rng)}
    if r == 1:
        return {"namespaceSelector": ns_selector(rng)}
    if r == 2:
        return {"namespaceSelector": ns_selector(rng), "podSelector": selector(rng)}
    return {"ipBlock": {"cidr": "10.0.0.0/8", "except": [f"10.1.{rng.below(20)}.0/24"]}}


def policies(count, namespaces, seed):
    rng = Rng(seed)
    items = []
    for i in range(count):
        ns = f"ns-{i % namespaces}"
        if rng.below(10) < 8:
            spec = {"podSelector": selector(rng)}
            spec["ingress"] = [{"from": [np_peer(rng), np_peer(rng)], "ports": np_ports(rng)}
                               for _ in range(1 + rng.below(2))]
            if rng.below(3) == 0:
                spec["egress"] = [{"to": [np_peer(rng)], "ports": np_ports(rng)}]
                spec["policyTypes"] = ["Ingress", "Egress"]
            items.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                          "metadata": {"name": f"np-{i}", "namespace": ns}, "spec": spec})
        else:
            spec = {
                "endpointSelector": selector(rng),
                "ingress": [{"fromEndpoints": [selector(rng)],
                             "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}],
                                          "rules": {"http": [{"method": "GET"}]}}]}],
                "egress": [{"toEndpoints": [{"matchLabels": {
                    "k8s:io.kubernetes.pod.namespace": f"ns-{rng.below(namespaces)}"}}]},
                    {"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}],
                     "toPorts": [{"ports": [{"port": "443"}]}]}],
                "egressDeny": [{"toEndpoints": [{"matchLabels": {"tier": "db"}}],
                                "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]}],
            }
            items.append({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                          "metadata": {"name": f"cnp-{i}", "namespace": ns}, "spec": spec})
    return {"apiVersion": "v1", "kind": "List", "items": items}


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    pods, namespaces, count, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "cluster.json"), "w") as f:
        json.dump(cluster(pods, namespaces), f, indent=1)
    with open(os.path.join(out, "policies.json"), "w") as f:
        json.dump(policies(count, namespaces, 0x5EED), f, indent=1)


if __name__ == "__main__":
    main()
