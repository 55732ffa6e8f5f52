#!/usr/bin/env python3
"""Writes a large Hubble flow log for the `generate` bench (server/benches/flows.sh).

    gen_flows.py FLOWS OUT_FILE

Each line is one record of the repository's real Hubble samples
(playwright/fixtures/hubble/*.json, `hubble observe -o json` output of
cilium/hubble-otel, Apache-2.0), perturbed so that the log reads like a
larger cluster rather than one capture repeated: the records are spread over
eight copies of each namespace (`bookinfo` -> `bookinfo-3`, in the endpoint
and its namespace labels), each workload has three pods per copy (the pod
name's last part), the pod IPs' third octet is the copy, requests come from
random ephemeral ports, and every seventh request's TCP destination port
moves within a small set. Output is
deterministic (xorshift), about 1.5 KiB a record as in the samples: 1,000,000
flows are about 1.5 GB. The file is not committed; the bench writes it.
"""

import glob
import json
import os
import sys

SAFE = "bcdfghjklmnpqrstvwxz2456789"
NS_COPIES = 8
REPLICAS = 3
PORTS = [8080, 9080, 443, 5432, 6379, 9090]


class Rng:
    """xorshift64, so every run writes the same file."""

    def __init__(self, seed):
        self.x = seed

    def below(self, n):
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        self.x = x
        return x % n


def samples(root):
    records = []
    for path in sorted(glob.glob(os.path.join(root, "playwright/fixtures/hubble/*.json"))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    records.append(line)
    return records


def perturb_endpoint(ep, copy, rng):
    ns = ep.get("namespace")
    if not ns:
        return
    new_ns = f"{ns}-{copy}"
    ep["namespace"] = new_ns
    ep["labels"] = [
        label.replace(f"={ns}", f"={new_ns}") for label in ep.get("labels", [])
    ]
    name = ep.get("pod_name")
    if name and "-" in name:
        # One of REPLICAS pods of the workload in this namespace copy.
        stem, _ = name.rsplit("-", 1)
        replica = rng.below(REPLICAS) + copy * REPLICAS
        ep["pod_name"] = stem + "-" + "".join(SAFE[(replica * 7 + k) % len(SAFE)] for k in range(5))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    count, out = int(sys.argv[1]), sys.argv[2]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    base = samples(root)
    rng = Rng(0x5EED)
    with open(out, "w") as f:
        for i in range(count):
            record = json.loads(base[i % len(base)])
            flow = record.get("flow", record)
            copy = rng.below(NS_COPIES)
            for side in ("source", "destination"):
                if isinstance(flow.get(side), dict):
                    perturb_endpoint(flow[side], copy, rng)
            ip = flow.get("IP")
            if ip and ip.get("ipVersion") == "IPv4":
                for side in ("source", "destination"):
                    addr = ip.get(side, "")
                    if addr.startswith("10.244."):
                        parts = addr.split(".")
                        parts[2] = str(copy)
                        ip[side] = ".".join(parts)
            tcp = (flow.get("l4") or {}).get("TCP")
            if tcp and not flow.get("is_reply"):
                # A request comes from an ephemeral port; its reply (kept
                # as sampled) goes back to one.
                tcp["source_port"] = 32768 + rng.below(28000)
                if i % 7 == 0:
                    tcp["destination_port"] = PORTS[rng.below(len(PORTS))]
            f.write(json.dumps(record, separators=(",", ":")))
            f.write("\n")


if __name__ == "__main__":
    main()
