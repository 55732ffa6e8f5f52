/**
 * Generated large inputs for the bench and profile specs: a policy with a
 * long ipBlock allow-list, and a workspace of many policies and rules.
 */

/**
 * A NetworkPolicy whose first egress rule allows `n` address ranges on
 * 443/TCP (allow-lists of cloud ranges look like this), plus DNS. The
 * first 400 ranges are /32s spread over 49.50.0.0/16 (49.50.0.0/32,
 * 49.50.0.2/32, …), the rest /16s in 50.0.0.0/8.
 */
export function ipBlockPolicy(n = 640): string {
  let out =
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: egress-allow-list\n  namespace: prod\n' +
    'spec:\n  podSelector:\n    matchLabels:\n      app: web\n  policyTypes:\n  - Egress\n  egress:\n  - to:\n';
  for (let i = 0; i < n; i++) {
    let cidr: string;
    if (i < 200) cidr = `49.50.${Math.floor((i * 2) / 256)}.${(i * 2) % 256}/32`;
    else if (i < 400) cidr = `49.50.${128 + Math.floor((i - 200) / 100)}.${((i - 200) % 100) * 2}/32`;
    else cidr = `50.${(i - 400) % 256}.${Math.floor((i - 400) / 256)}.0/24`;
    out += `    - ipBlock:\n        cidr: ${cidr}\n`;
  }
  out +=
    '    ports:\n    - protocol: TCP\n      port: 443\n' +
    '  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n' +
    '      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n' +
    '    ports:\n    - protocol: UDP\n      port: 53\n    - protocol: TCP\n      port: 53\n';
  return out;
}

/**
 * `policies` NetworkPolicies of `rules` rules each (one peer and one port
 * per rule), as one multi-document YAML file: 40 ingress rules from pods
 * of the namespace, then egress to DNS and to other namespaces.
 */
export function workspace(policies = 20, rules = 50): string {
  const docs: string[] = [];
  const ingress = Math.floor((rules * 4) / 5);
  for (let p = 0; p < policies; p++) {
    let doc =
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: svc-${p}\n  namespace: team-${p % 5}\n` +
      `spec:\n  podSelector:\n    matchLabels:\n      app: svc-${p}\n  policyTypes:\n  - Ingress\n  - Egress\n  ingress:\n`;
    for (let r = 0; r < ingress; r++) {
      doc += `  - from:\n    - podSelector:\n        matchLabels:\n          app: client-${p}-${r}\n    ports:\n    - protocol: TCP\n      port: ${1000 + r}\n`;
    }
    doc +=
      '  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n' +
      '      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - protocol: UDP\n      port: 53\n';
    for (let r = ingress + 1; r < rules; r++) {
      doc += `  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: backend-${r}\n    ports:\n    - protocol: TCP\n      port: ${8000 + r}\n`;
    }
    docs.push(doc);
  }
  return docs.join('---\n');
}
