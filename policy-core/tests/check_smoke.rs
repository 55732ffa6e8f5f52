use policy_core::check::check;

#[test]
fn smoke() {
    let text = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: prod
spec:
  podselector:
    matchLabels:
      app: web
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          name: db
    - podSelector:
        matchLabels:
          app: db
    ports:
    - port: 5432
  - to:
    - ipBlock:
        cidr: 0.0.0.1/0
";
    for d in check(text, None) {
        eprintln!(
            "{}:{} {:?} {} {} {:?} fix={:?}",
            d.line.unwrap_or(0),
            d.column.unwrap_or(0),
            d.severity,
            d.code,
            d.message,
            d.field,
            d.fix.as_ref().map(|f| &f.title)
        );
        if let Some(f) = &d.fix {
            eprintln!(
                "----\n{}----",
                policy_core::lint::apply_fix(text, f).unwrap()
            );
        }
    }
}
