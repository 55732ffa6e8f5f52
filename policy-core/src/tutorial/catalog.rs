//! The tutorials themselves: text, hints, goals and reference solutions.

use super::{Goal, Step, Tutorial};

const fn allow(from: &'static str, to: &'static str, port: &'static str) -> Goal {
    Goal {
        from,
        to,
        port,
        allowed: true,
        l7: &[],
    }
}

const fn deny(from: &'static str, to: &'static str, port: &'static str) -> Goal {
    Goal {
        from,
        to,
        port,
        allowed: false,
        l7: &[],
    }
}

const DEFAULT_DENY_INGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
  - Ingress
";

const FRONTEND_TO_WEB: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-allow-frontend
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: frontend
    ports:
    - port: 80
      protocol: TCP
";

const SHOP_TO_API: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow-shop
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - podSelector: {}
    ports:
    - port: 8080
      protocol: TCP
";

const API_TO_DB: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-allow-api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: api
    ports:
    - port: 5432
      protocol: TCP
";

const PROMETHEUS_OR_TRAP: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow-prometheus
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: ops
    - podSelector:
        matchLabels:
          app: prometheus
    ports:
    - port: 8080
      protocol: TCP
";

const PROMETHEUS_AND: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow-prometheus
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          team: ops
      podSelector:
        matchLabels:
          app: prometheus
    ports:
    - port: 8080
      protocol: TCP
";

const MONITORING_TO_WEB: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-allow-monitoring
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
    ports:
    - port: 80
      protocol: TCP
";

const API_DENY_EGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Egress
";

const API_EGRESS_DNS: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Egress
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
";

const API_EGRESS_DNS_DB: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Egress
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
    ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  - to:
    - podSelector:
        matchLabels:
          app: db
    ports:
    - port: 5432
      protocol: TCP
";

const API_EGRESS_PARTNER: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-egress-partner
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Egress
  egress:
  - to:
    - ipBlock:
        cidr: 203.0.113.0/24
    ports:
    - port: 443
      protocol: TCP
";

const API_EGRESS_PARTNER_EXCEPT: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-egress-partner
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
  - Egress
  egress:
  - to:
    - ipBlock:
        cidr: 203.0.113.0/24
        except:
        - 203.0.113.128/25
    ports:
    - port: 443
      protocol: TCP
";

const CILIUM_API_L4: &str = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: api-allow-web
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: api
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: web
    toPorts:
    - ports:
      - port: \"8080\"
        protocol: TCP
";

const CILIUM_API_L7: &str = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: api-allow-web
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: api
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: web
    toPorts:
    - ports:
      - port: \"8080\"
        protocol: TCP
      rules:
        http:
        - method: GET
          path: /v1/.*
";

const CILIUM_API_L7_POST: &str = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: api-allow-web
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: api
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: web
    toPorts:
    - ports:
      - port: \"8080\"
        protocol: TCP
      rules:
        http:
        - method: GET
          path: /v1/.*
        - method: POST
          path: /v1/orders
";

/// Every tutorial, in teaching order.
pub fn all() -> Vec<Tutorial> {
    TUTORIALS.to_vec()
}

const TUTORIALS: &[Tutorial] = &[
    Tutorial {
        id: "default-deny-ingress",
        title: "Default-deny ingress",
        summary: "Close a namespace to incoming traffic, then open exactly one door.",
        start: &[],
        steps: &[
            Step {
                title: "Deny all ingress in shop",
                text: "Pods accept traffic from anywhere until some policy selects them. Write one NetworkPolicy in namespace shop whose podSelector is empty ({} selects every pod) and whose policyTypes lists Ingress, with no ingress rules. Every pod in shop becomes isolated for ingress and, with no rule, accepts nothing.",
                hints: &[
                    "Create a NetworkPolicy with metadata.namespace: shop.",
                    "spec.podSelector: {} selects all pods of the namespace.",
                    "Set spec.policyTypes: [Ingress] and leave out spec.ingress entirely.",
                ],
                goals: &[
                    deny("shop/web-1", "shop/api-1", "8080/TCP"),
                    deny("monitoring/prometheus-1", "shop/web-1", "80/TCP"),
                    deny("shop/api-1", "shop/db-1", "5432/TCP"),
                ],
                solution: &[DEFAULT_DENY_INGRESS],
            },
            Step {
                title: "Let the frontend reach web on port 80",
                text: "Policies only add allowances: keep the default deny and add a second policy that selects app=web and allows ingress from pods labelled app=frontend (in the same namespace) on TCP port 80. Nothing else should reach web, and the frontend should reach nothing else.",
                hints: &[
                    "Add a policy with podSelector.matchLabels app: web.",
                    "Its ingress rule has from: [{podSelector: {matchLabels: {app: frontend}}}].",
                    "Restrict the rule with ports: [{port: 80, protocol: TCP}].",
                ],
                goals: &[
                    allow("shop/frontend-1", "shop/web-1", "80/TCP"),
                    deny("monitoring/prometheus-1", "shop/web-1", "80/TCP"),
                    deny("shop/frontend-1", "shop/api-1", "8080/TCP"),
                    deny("shop/api-1", "shop/db-1", "5432/TCP"),
                ],
                solution: &[DEFAULT_DENY_INGRESS, FRONTEND_TO_WEB],
            },
        ],
    },
    Tutorial {
        id: "same-namespace",
        title: "Allowing from the same namespace",
        summary: "A podSelector peer means pods of the policy's own namespace.",
        start: &[DEFAULT_DENY_INGRESS],
        steps: &[
            Step {
                title: "Every shop pod may call the API",
                text: "shop is under default deny. Allow every pod of shop, and only of shop, to reach app=api on port 8080. A peer written as podSelector: {} means \"all pods in this policy's namespace\", not all pods of the cluster.",
                hints: &[
                    "Select app: api with the policy's podSelector.",
                    "Use from: [{podSelector: {}}] for every pod of shop.",
                    "Add ports: [{port: 8080, protocol: TCP}].",
                ],
                goals: &[
                    allow("shop/web-1", "shop/api-1", "8080/TCP"),
                    allow("shop/frontend-1", "shop/api-1", "8080/TCP"),
                    deny("monitoring/prometheus-1", "shop/api-1", "8080/TCP"),
                    deny("dev/prometheus-1", "shop/api-1", "8080/TCP"),
                ],
                solution: &[DEFAULT_DENY_INGRESS, SHOP_TO_API],
            },
            Step {
                title: "Only the API may talk to the database",
                text: "Now let pods labelled app=api reach app=db on port 5432, and nothing else. The web tier must not reach the database directly.",
                hints: &[
                    "A new policy selecting app: db.",
                    "from: [{podSelector: {matchLabels: {app: api}}}] with ports: [{port: 5432, protocol: TCP}].",
                ],
                goals: &[
                    allow("shop/api-1", "shop/db-1", "5432/TCP"),
                    deny("shop/web-1", "shop/db-1", "5432/TCP"),
                    deny("shop/frontend-1", "shop/db-1", "5432/TCP"),
                    allow("shop/web-1", "shop/api-1", "8080/TCP"),
                ],
                solution: &[DEFAULT_DENY_INGRESS, SHOP_TO_API, API_TO_DB],
            },
        ],
    },
    Tutorial {
        id: "across-namespaces",
        title: "Across namespaces: the AND/OR trap",
        summary: "One dash too many turns \"Prometheus in monitoring\" into \"all of monitoring, or Prometheus here\".",
        start: &[DEFAULT_DENY_INGRESS, PROMETHEUS_OR_TRAP],
        steps: &[
            Step {
                title: "Only Prometheus from monitoring may scrape the API",
                text: "The policy api-allow-prometheus was meant to let Prometheus in namespace monitoring (labelled team=ops) scrape the API on 8080. But its from list has two items: a namespaceSelector OR a podSelector. So every pod of monitoring gets in, Grafana included. Merge the two selectors into one peer so both must match (AND).",
                hints: &[
                    "Look at the dashes: each `-` under from starts a separate peer, and peers are ORed.",
                    "Remove the `-` before podSelector so it sits in the same item as namespaceSelector.",
                    "The peer then reads: namespaceSelector team=ops AND podSelector app=prometheus.",
                ],
                goals: &[
                    allow("monitoring/prometheus-1", "shop/api-1", "8080/TCP"),
                    deny("monitoring/grafana-1", "shop/api-1", "8080/TCP"),
                    deny("dev/prometheus-1", "shop/api-1", "8080/TCP"),
                ],
                solution: &[DEFAULT_DENY_INGRESS, PROMETHEUS_AND],
            },
            Step {
                title: "The whole monitoring namespace may reach web",
                text: "Now the opposite on purpose: every pod of namespace monitoring may reach app=web on port 80. A namespaceSelector alone means every pod of the matching namespaces. Select the namespace by its automatic kubernetes.io/metadata.name label so no other namespace can pick up the label.",
                hints: &[
                    "A new policy selecting app: web.",
                    "from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}].",
                    "Add ports: [{port: 80, protocol: TCP}].",
                ],
                goals: &[
                    allow("monitoring/grafana-1", "shop/web-1", "80/TCP"),
                    allow("monitoring/prometheus-1", "shop/web-1", "80/TCP"),
                    deny("dev/prometheus-1", "shop/web-1", "80/TCP"),
                    deny("monitoring/grafana-1", "shop/api-1", "8080/TCP"),
                    allow("monitoring/prometheus-1", "shop/api-1", "8080/TCP"),
                ],
                solution: &[DEFAULT_DENY_INGRESS, PROMETHEUS_AND, MONITORING_TO_WEB],
            },
        ],
    },
    Tutorial {
        id: "egress-dns",
        title: "Locking down egress, keeping DNS",
        summary: "Egress default deny also blocks name lookups; allow kube-dns explicitly.",
        start: &[],
        steps: &[
            Step {
                title: "Deny all egress from the API",
                text: "Write a NetworkPolicy in shop that selects app=api with policyTypes [Egress] and no egress rules. The API can then open no connection at all.",
                hints: &[
                    "podSelector.matchLabels app: api.",
                    "policyTypes: [Egress], and no spec.egress.",
                ],
                goals: &[
                    deny("shop/api-1", "shop/web-1", "80/TCP"),
                    deny("shop/api-1", "monitoring/prometheus-1", "9090/TCP"),
                    deny("shop/api-1", "ip:203.0.113.10", "443/TCP"),
                ],
                solution: &[API_DENY_EGRESS],
            },
            Step {
                title: "Keep DNS working",
                text: "With egress denied the API cannot even resolve names. Allow egress to the kube-dns pods in kube-system on port 53, over UDP and TCP (large answers fall back to TCP). Select both the namespace and the pods in the same peer.",
                hints: &[
                    "Add spec.egress with one rule.",
                    "to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}].",
                    "ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}].",
                ],
                goals: &[
                    allow("shop/api-1", "kube-system/coredns-1", "53/UDP"),
                    allow("shop/api-1", "kube-system/coredns-1", "53/TCP"),
                    deny("shop/api-1", "shop/web-1", "80/TCP"),
                    deny("shop/api-1", "ip:203.0.113.10", "443/TCP"),
                ],
                solution: &[API_EGRESS_DNS],
            },
            Step {
                title: "Let the API reach its database",
                text: "Add a second egress rule: the API may connect to app=db in its own namespace on port 5432. Nothing else.",
                hints: &[
                    "A second item under spec.egress.",
                    "to: [{podSelector: {matchLabels: {app: db}}}] with ports: [{port: 5432, protocol: TCP}].",
                ],
                goals: &[
                    allow("shop/api-1", "shop/db-1", "5432/TCP"),
                    allow("shop/api-1", "kube-system/coredns-1", "53/UDP"),
                    deny("shop/api-1", "shop/web-1", "80/TCP"),
                    deny("shop/api-1", "ip:203.0.113.10", "443/TCP"),
                ],
                solution: &[API_EGRESS_DNS_DB],
            },
        ],
    },
    Tutorial {
        id: "external-cidr",
        title: "Allowing an external CIDR",
        summary: "Reach a partner's network with ipBlock, and carve out a range with except.",
        start: &[API_EGRESS_DNS],
        steps: &[
            Step {
                title: "Reach the partner's network on 443",
                text: "The API's egress is locked down (DNS only). Its payment partner lives in 203.0.113.0/24. Allow HTTPS (TCP 443) to that range and nowhere else outside the cluster. Egress rules of all policies that select a pod add up, so a separate policy works.",
                hints: &[
                    "A policy selecting app: api with policyTypes [Egress].",
                    "to: [{ipBlock: {cidr: 203.0.113.0/24}}].",
                    "ports: [{port: 443, protocol: TCP}].",
                ],
                goals: &[
                    allow("shop/api-1", "ip:203.0.113.10", "443/TCP"),
                    deny("shop/api-1", "ip:203.0.113.10", "80/TCP"),
                    deny("shop/api-1", "ip:198.51.100.7", "443/TCP"),
                    allow("shop/api-1", "kube-system/coredns-1", "53/UDP"),
                ],
                solution: &[API_EGRESS_DNS, API_EGRESS_PARTNER],
            },
            Step {
                title: "Exclude the partner's test range",
                text: "The upper half of the range, 203.0.113.128/25, is the partner's test environment. Keep it out with ipBlock.except.",
                hints: &[
                    "except is a list of CIDRs inside cidr.",
                    "ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}.",
                ],
                goals: &[
                    allow("shop/api-1", "ip:203.0.113.10", "443/TCP"),
                    deny("shop/api-1", "ip:203.0.113.200", "443/TCP"),
                    deny("shop/api-1", "ip:198.51.100.7", "443/TCP"),
                    allow("shop/api-1", "kube-system/coredns-1", "53/UDP"),
                ],
                solution: &[API_EGRESS_DNS, API_EGRESS_PARTNER_EXCEPT],
            },
        ],
    },
    Tutorial {
        id: "cilium-l7-http",
        title: "A Cilium L7 HTTP rule",
        summary: "Allow only some HTTP requests: method and path, enforced by Cilium's proxy.",
        start: &[],
        steps: &[
            Step {
                title: "Allow web to call the API (L3/L4)",
                text: "Write a CiliumNetworkPolicy (apiVersion cilium.io/v2) in shop whose endpointSelector selects app=api and whose ingress rule allows fromEndpoints app=web on TCP port 8080. Selecting the API with an ingress rule puts it in default deny for ingress.",
                hints: &[
                    "spec.endpointSelector.matchLabels app: api.",
                    "ingress: [{fromEndpoints: [{matchLabels: {app: web}}], toPorts: [...]}].",
                    "toPorts: [{ports: [{port: \"8080\", protocol: TCP}]}] (Cilium ports are strings).",
                ],
                goals: &[
                    allow("shop/web-1", "shop/api-1", "8080/TCP"),
                    deny("shop/frontend-1", "shop/api-1", "8080/TCP"),
                    deny("monitoring/prometheus-1", "shop/api-1", "8080/TCP"),
                ],
                solution: &[CILIUM_API_L4],
            },
            Step {
                title: "Only GET requests under /v1/",
                text: "Add an L7 section to the port rule: rules.http with one entry, method GET and path /v1/.* (a regular expression). Connections still open at L4, but Cilium's proxy answers 403 to any other request.",
                hints: &[
                    "Under the toPorts item, next to ports, add rules.",
                    "rules: {http: [{method: GET, path: \"/v1/.*\"}]}.",
                ],
                goals: &[
                    Goal {
                        from: "shop/web-1",
                        to: "shop/api-1",
                        port: "8080/TCP",
                        allowed: true,
                        l7: &["HTTP method GET path /v1/"],
                    },
                    deny("shop/frontend-1", "shop/api-1", "8080/TCP"),
                ],
                solution: &[CILIUM_API_L7],
            },
            Step {
                title: "Also allow placing orders",
                text: "The web tier must also POST to /v1/orders. Add a second HTTP rule; the rules of one port are ORed.",
                hints: &["Add {method: POST, path: /v1/orders} as a second item under rules.http."],
                goals: &[
                    Goal {
                        from: "shop/web-1",
                        to: "shop/api-1",
                        port: "8080/TCP",
                        allowed: true,
                        l7: &[
                            "HTTP method GET path /v1/",
                            "HTTP method POST path /v1/orders",
                        ],
                    },
                    deny("shop/frontend-1", "shop/api-1", "8080/TCP"),
                ],
                solution: &[CILIUM_API_L7_POST],
            },
        ],
    },
];
