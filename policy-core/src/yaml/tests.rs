use super::*;
use crate::model::Policy;

const NP: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow
  namespace: prod
  labels:
    team: a
  annotations:
    note: keep me
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
      namespaceSelector: {}
    ports:
    - port: 80
      protocol: TCP
";

#[test]
fn reads_a_single_network_policy() {
    let out = parse_documents(NP);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(out.objects.len(), 1);
    let p = out.objects[0].policy().unwrap();
    assert_eq!(p.display_name(), "prod/api-allow");
}

#[test]
fn source_map_points_at_fields() {
    let out = parse_documents(NP);
    let sm = &out.objects[0].source_map;
    let pos = sm.position("spec.ingress[0].ports[0].port");
    assert_eq!((pos.line, pos.column), (21, 13));
    let pos = sm.position("spec.ingress[0].from[0].namespaceSelector");
    assert_eq!((pos.line, pos.column), (19, 7));
    // A missing field points at its deepest existing ancestor's key.
    let pos = sm.position("spec.policyTypes");
    assert_eq!((pos.line, pos.column), (10, 1));
    let span = sm.span("metadata.name").unwrap();
    assert_eq!(&NP[span.start.offset..span.end.offset], "api-allow");
}

#[test]
fn emit_is_canonical_and_stable() {
    let out = parse_documents(NP);
    let p = out.objects[0].policy().unwrap().clone();
    let y = emit_policy(&p);
    assert!(
        y.starts_with("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"),
        "{y}"
    );
    assert!(y.contains("note: keep me"));
    assert!(y.contains("team: a"));
    let again = parse_documents(&y);
    assert!(again.diagnostics.is_empty());
    assert_eq!(again.objects[0].policy().unwrap(), &p);
    assert_eq!(emit_policy(again.objects[0].policy().unwrap()), y);
}

#[test]
fn multi_doc_and_emit_join() {
    let text = format!("{NP}---\n{}\n---\n", NP.replace("api-allow", "second"));
    let out = parse_documents(&text);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let ps: Vec<Policy> = out.policies().cloned().collect();
    assert_eq!(ps.len(), 2);
    assert_eq!(out.objects[1].document, 1);
    let y = emit_policies(&ps);
    assert_eq!(y.matches("---\n").count(), 1);
    let (back, d) = parse_policies(&y);
    assert!(d.is_empty());
    assert_eq!(back, ps);
    // Positions in the second document are absolute lines.
    let pos = out.objects[1].source_map.position("metadata.name");
    assert_eq!(pos.line, 27);
}

#[test]
fn reads_kind_list_with_any_items() {
    let text = "apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: prod
    labels: {env: prod}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: prod, labels: {app: web}}
  spec:
    containers:
    - name: web
      image: nginx
      ports:
      - {containerPort: 80, name: http}
  status: {podIP: 10.0.0.5}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: np, namespace: prod}
  spec: {podSelector: {}}
";
    let out = parse_documents(text);
    assert_eq!(out.objects.len(), 3);
    assert!(matches!(out.objects[0].object, Object::Namespace(_)));
    assert!(matches!(out.objects[1].object, Object::Pod(_)));
    assert_eq!(out.objects[2].path_prefix, "items[3]");
    assert_eq!(out.diagnostics.len(), 1);
    let d = &out.diagnostics[0];
    assert_eq!(d.code, "unsupported-kind");
    assert_eq!(d.field.as_deref(), Some("items[2].kind"));
    assert_eq!(d.line, Some(20));
}

#[test]
fn reads_json_including_tabs() {
    let text = "{\n\t\"apiVersion\": \"networking.k8s.io/v1\",\n\t\"kind\": \"NetworkPolicy\",\n\t\"metadata\": {\"name\": \"j\"},\n\t\"spec\": {\"podSelector\": {}, \"policyTypes\": [\"Ingress\"]}\n}\n";
    let out = parse_documents(text);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(out.objects[0].policy().unwrap().name(), "j");
    assert_eq!(out.objects[0].source_map.position("metadata.name").line, 4);
}

#[test]
fn syntax_errors_are_reported_with_line_and_column() {
    let out = parse_documents("apiVersion: v1\nkind: [Pod\n");
    let e = out.syntax_error().expect("syntax error");
    assert_eq!(e.code, "yaml-syntax");
    assert!(e.line.is_some() && e.column.is_some());
}

#[test]
fn wrong_api_version_and_kind() {
    let out = parse_documents(
        "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: old}\nspec: {podSelector: {}}\n",
    );
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].code, "unsupported-api-version");
    assert_eq!(out.diagnostics[0].line, Some(1));
    assert!(out.diagnostics[0].message.contains("networking.k8s.io/v1"));
    let out = parse_documents(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyy\nmetadata: {name: x}\n",
    );
    assert_eq!(out.diagnostics[0].code, "unsupported-kind");
    assert!(
        out.diagnostics[0]
            .message
            .contains("Did you mean `NetworkPolicy`")
    );
    let out = parse_documents("apiVersion: v1\nmetadata: {name: x}\n");
    assert_eq!(out.diagnostics[0].code, "missing-kind");
    let out = parse_documents("- just\n- a list\n");
    assert_eq!(out.diagnostics[0].code, "not-an-object");
}

#[test]
fn huge_and_negative_ports_are_clear_errors() {
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 99999999999999\n";
    let out = parse_documents(text);
    let d = &out.diagnostics[0];
    assert_eq!(d.code, "invalid-type");
    assert_eq!(d.field.as_deref(), Some("spec.ingress[0].ports[0].port"));
    assert_eq!(d.line, Some(8));
    // The rest of the policy is still read.
    assert_eq!(out.objects.len(), 1);
    let out = parse_documents(&text.replace("99999999999999", "-5"));
    assert!(
        out.diagnostics.is_empty(),
        "negative ports parse; validation rejects them"
    );
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    let start = std::time::Instant::now();
    let out = parse_documents(&text);
    assert!(start.elapsed().as_secs() < 5);
    assert_eq!(out.syntax_error().unwrap().code, "yaml-alias-limit");
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 20_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let out = parse_documents(&text);
    let e = out.syntax_error().unwrap();
    assert!(
        e.code == "yaml-too-deep" || e.message.contains("recursion"),
        "{e:?}"
    );
    let mut block = String::new();
    for i in 0..3000 {
        block.push_str(&" ".repeat(i));
        block.push_str("a:\n");
    }
    let out = parse_documents(&block);
    let e = out.syntax_error().unwrap();
    assert_eq!(e.code, "yaml-too-deep", "{e:?}");
}

#[test]
fn invalid_utf8_is_reported_with_position() {
    let mut bytes = b"apiVersion: v1\nkind: P".to_vec();
    bytes.push(0xff);
    let out = parse_bytes(&bytes);
    let d = out.syntax_error().unwrap();
    assert_eq!(d.code, "invalid-utf8");
    assert_eq!((d.line, d.column), (Some(2), Some(8)));
    assert!(
        parse_bytes(b"\xef\xbb\xbfapiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
            .diagnostics
            .is_empty()
    );
}

#[test]
fn ten_megabytes_parse() {
    let mut text = String::with_capacity(11 << 20);
    text.push_str("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: big\n  annotations:\n");
    let mut i = 0;
    while text.len() < 10 << 20 {
        text.push_str(&format!("    k{i}: \"{}\"\n", "v".repeat(200)));
        i += 1;
    }
    text.push_str("spec:\n  podSelector: {}\n");
    let start = std::time::Instant::now();
    let out = parse_documents(&text);
    assert!(out.diagnostics.is_empty());
    assert_eq!(out.objects.len(), 1);
    assert!(start.elapsed().as_secs() < 20);
}

#[test]
fn duplicate_keys_are_errors() {
    let out =
        parse_documents("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nkind: Namespace\n");
    assert_eq!(out.diagnostics[0].code, "yaml-duplicate-key");
    assert_eq!(out.diagnostics[0].line, Some(4));
}

#[test]
fn cilium_round_trip_keeps_unmodelled_fields() {
    let text = "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: c, namespace: x}
spec:
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toNodes: [{}]
    toPorts:
    - ports: [{port: \"53\", protocol: UDP}]
      rules:
        dns: [{matchPattern: \"*\"}]
";
    let out = parse_documents(text);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let p = out.objects[0].policy().unwrap();
    let y = emit_policy(p);
    assert!(y.contains("toNodes"));
    assert_eq!(emit_policy(parse_policies(&y).0.first().unwrap()), y);
}

#[test]
fn block_sequence_spans_start_at_the_dash() {
    let text = "a:\n  to:\n  - x: 1\n  - y: 2\nb:\n- - 1\n";
    let out = reader::read_documents(text);
    let root = out.0[0].root.as_ref().unwrap();
    let to = root.get("a").unwrap().get("to").unwrap();
    assert_eq!(
        &text[to.span.start.offset..to.span.end.offset],
        "- x: 1\n  - y: 2"
    );
    assert_eq!(to.span.start.column, 3);
    // Nested block sequences on one line (`- - 1`): the inner one is exact.
    let b = root.get("b").unwrap();
    let inner = b.item(0).unwrap();
    assert_eq!(&text[inner.span.start.offset..inner.span.end.offset], "- 1");
}

#[test]
fn crlf_and_non_ascii_offsets_stay_exact() {
    let text = "apiVersion: networking.k8s.io/v1\r\nkind: NetworkPolicy\r\nmetadata:\r\n  name: caf\u{e9}\r\n  annotations: {note: \"\u{2603}\u{2603}\"}\r\nspec:\r\n  podSelector: {}\r\n";
    let out = parse_documents(text);
    let sm = &out.objects[0].source_map;
    let span = sm.span("metadata.annotations.note").unwrap();
    assert_eq!(
        &text[span.start.offset..span.end.offset],
        "\"\u{2603}\u{2603}\""
    );
    let span = sm.span("spec.podSelector").unwrap();
    assert_eq!(&text[span.start.offset..span.end.offset], "{}");
    assert_eq!(sm.position("spec.podSelector").line, 7);
}

#[test]
fn pods_keep_every_field_through_a_round_trip() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: prod
  labels: {app: web}
spec:
  hostNetwork: false
  nodeName: n1
  serviceAccountName: web
  containers:
  - name: web
    image: nginx:1.27
    args: [--port, '8080']
    ports:
    - {containerPort: 8080, name: http, protocol: TCP, hostPort: 80}
    readinessProbe: {httpGet: {path: /healthz, port: http}}
  volumes:
  - name: cfg
    configMap: {name: web}
status:
  phase: Running
  podIP: 10.0.0.5
  podIPs: [{ip: 10.0.0.5}, {ip: 'fd00::5'}]
  hostIP: 192.168.1.10
";
    let out = parse_documents(text);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let Object::Pod(pod) = &out.objects[0].object else {
        panic!("not a pod")
    };
    let spec = pod.spec.as_ref().unwrap();
    assert_eq!(spec.service_account_name.as_deref(), Some("web"));
    let port = &spec.containers[0].ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.container_port.unwrap(), port.name.as_deref()),
        (8080, Some("http"))
    );
    assert_eq!(
        pod.status.as_ref().unwrap().pod_ips.as_ref().unwrap().len(),
        2
    );
    let emitted = emit_object(&out.objects[0].object);
    assert!(
        emitted.starts_with("apiVersion: v1\nkind: Pod\n"),
        "{emitted}"
    );
    let again = parse_documents(&emitted);
    assert_eq!(again.objects[0].object, out.objects[0].object);
    for kept in [
        "image: nginx:1.27",
        "nodeName: n1",
        "hostPort: 80",
        "configMap:",
        "phase: Running",
        "path: /healthz",
    ] {
        assert!(emitted.contains(kept), "`{kept}` was lost:\n{emitted}");
    }
}

#[test]
fn a_pod_port_of_the_wrong_type_is_reported_at_its_path() {
    let out = parse_documents(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    ports:\n    - containerPort: http\n",
    );
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.message.contains("expected a whole number"))
        .unwrap_or_else(|| panic!("no type error in {:?}", out.diagnostics));
    assert_eq!(d.code, "invalid-type");
    assert_eq!(
        d.field.as_deref(),
        Some("spec.containers[0].ports[0].containerPort")
    );
    assert_eq!((d.line, d.column), (Some(8), Some(22)));
}

mod emitter {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use crate::yaml::reader::read_documents;
    use crate::yaml::value_to_block_yaml;

    fn read_back(text: &str) -> Value {
        let (docs, problems) = read_documents(text);
        assert!(problems.is_empty(), "{problems:?} reading\n{text}");
        docs.into_iter()
            .next()
            .and_then(|d| d.root)
            .map_or(Value::Null, |r| r.to_json())
    }

    /// Found by the check_yaml fuzz target: a key of control characters
    /// became more than 1024 characters of escapes, which YAML refuses as
    /// an implicit key, so the emitted policy did not read back.
    #[test]
    fn keys_over_1024_characters_are_written_explicit() {
        let long = "k".repeat(1025);
        let escaped = "\u{6}".repeat(300);
        for key in [long.as_str(), escaped.as_str(), &"é".repeat(1100)] {
            for value in [
                json!("TCP"),
                json!(null),
                json!({"a": 1, "b": {"c": [1, 2]}}),
                json!([{"x": 1, "y": 2}, "z", [3]]),
                json!("two\nlines\n"),
            ] {
                let v =
                    json!({ "spec": { key: value.clone(), "after": 1 }, "a": [{ key: value }] });
                let text = value_to_block_yaml(&v);
                assert!(text.contains("? "), "{text}");
                assert_eq!(read_back(&text), v, "written as\n{text}");
            }
        }
        // At the limit, the key stays implicit.
        let v = json!({ "k".repeat(1024): 1 });
        assert!(!value_to_block_yaml(&v).contains('?'));
        assert_eq!(read_back(&value_to_block_yaml(&v)), v);
    }

    #[test]
    fn writes_kubectl_style_block_yaml() {
        let v = json!({
            "spec": {"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                  "ports": [{"port": 80, "protocol": "TCP"}, {"port": "http"}]}],
                     "podSelector": {}, "policyTypes": ["Ingress"]},
            "metadata": {"name": "x", "labels": {"on": "yes", "v": "8080", "ip": "10.0.0.1"}},
            "nested": [[1, 2], [], {}],
        });
        let text = value_to_block_yaml(&v);
        assert_eq!(
            text,
            "metadata:
  labels:
    ip: 10.0.0.1
    'on': 'yes'
    v: '8080'
  name: x
nested:
- - 1
  - 2
- []
- {}
spec:
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
    ports:
    - port: 80
      protocol: TCP
    - port: http
  podSelector: {}
  policyTypes:
  - Ingress"
        );
        assert_eq!(read_back(&text), v);
    }

    #[test]
    fn quotes_what_would_read_as_another_type() {
        for s in [
            "",
            " lead",
            "trail ",
            "8080",
            "-1",
            "1.5",
            "1e3",
            "0x1F",
            "0o17",
            "0755",
            "1_000",
            "1:20",
            "0b101",
            "true",
            "False",
            "NULL",
            "~",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            ".inf",
            ".NaN",
            "- a",
            "-",
            "?",
            ":",
            "a: b",
            "a #b",
            "a:",
            "#c",
            "[x]",
            "{x}",
            "*a",
            "&a",
            "!t",
            "|",
            ">",
            "'q'",
            "\"q\"",
            "%p",
            "@a",
            "`b",
            "---",
            "...",
            "line\nbreak",
            "tab\there",
            "bell\u{7}",
            "two\nlines",
            "end\n",
            "ends\n\n\n",
            "\nlead",
            "\n lead",
            "a\n  b\n",
            "a\n \nb",
            "\n",
            "x\r\ny",
            "é ü",
            "it's",
            "back\\slash",
            "<<",
        ] {
            let v = json!({ "k": s, s: 1 });
            let text = value_to_block_yaml(&v);
            assert_eq!(read_back(&text), v, "{s:?} was written as\n{text}");
        }
        for plain in [
            "web",
            "app.kubernetes.io/name",
            "10.0.0.0/8",
            "k8s:app",
            "-port",
            "a-b",
            "x=y",
            "/api/v1/*",
        ] {
            let text = value_to_block_yaml(&json!({ "k": plain }));
            assert_eq!(text, format!("k: {plain}"));
        }
    }

    fn scalar() -> impl Strategy<Value = Value> {
        let piece = prop_oneof![
            Just(":".to_string()),
            Just(": ".to_string()),
            Just(" #".to_string()),
            Just("-".to_string()),
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("\n".to_string()),
            Just("\t".to_string()),
            Just(" ".to_string()),
            Just("yes".to_string()),
            Just("null".to_string()),
            Just("1".to_string()),
            Just(".".to_string()),
            Just("e".to_string()),
            "[a-z]{1,4}",
            "[\\[\\]{}&*!|>%@`,?~]",
            "\\PC",
        ];
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            prop::collection::vec(piece, 0..6).prop_map(|p| Value::String(p.concat())),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z:' #-]{0,6}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Whatever the emitter writes reads back as the same value.
        #[test]
        fn emitted_yaml_reads_back_as_the_same_value(v in value()) {
            let doc = json!({ "root": v });
            let text = value_to_block_yaml(&doc);
            prop_assert_eq!(read_back(&text), doc, "written as\n{}", text);
        }
    }
}

/// The tree deserializer agrees with `serde_json::Value`'s on what is valid
/// and on the error message, and names the failing field's path.
#[test]
fn tree_deserializer_matches_serde_json() {
    use crate::model::NetworkPolicy;
    use crate::model::cilium::CiliumPolicy;
    let cases = [
        (
            "spec: {podSelector: {}, ingress: [{ports: [{port: 80}, {port: true}]}]}",
            "spec.ingress[0].ports[1].port",
        ),
        (
            "spec: {podSelector: {matchLabels: {app: [a]}}}",
            "spec.podSelector.matchLabels.app",
        ),
        (
            "spec: {podSelector: {}, policyTypes: Ingress}",
            "spec.policyTypes",
        ),
        (
            "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: 3}}]}]}",
            "spec.ingress[0].from[0].ipBlock.except",
        ),
        ("metadata: {name: 5}", "metadata.name"),
        (
            "spec: {podSelector: {}, ingress: [{ports: [{port: 70000000000}]}]}",
            "spec.ingress[0].ports[0].port",
        ),
        (
            "spec: {podSelector: {}, ingress: [{ports: [{endPort: -1.5}]}]}",
            "spec.ingress[0].ports[0].endPort",
        ),
        ("spec: [1, 2]", "spec"),
        (
            "spec: {podSelector: {}, egress: [{to: [{}], ports: null}]}",
            "",
        ),
    ];
    for (text, path) in cases {
        let (docs, problems) = reader::read_documents(text);
        assert!(problems.is_empty());
        let root = docs[0].root.clone().unwrap();
        let ours = de::from_node::<NetworkPolicy>(&root);
        let theirs = serde_json::from_value::<NetworkPolicy>(root.to_json());
        match (ours, theirs) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{text}");
                assert_eq!(path, "", "{text} should fail");
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.message(), b.to_string(), "{text}");
                assert_eq!(render_path(a.path()), path, "{text}");
            }
            (a, b) => panic!("{text}: ours {a:?}, serde_json {b:?}"),
        }
    }
    // Cilium: flattened `extra` fields, enums, numbers as strings.
    let text = "spec: {endpointSelector: {}, ingress: [{fromEntities: [world], toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [{method: GET}]}}]}], futureField: {a: 1}}";
    let (docs, _) = reader::read_documents(text);
    let root = docs[0].root.clone().unwrap();
    assert_eq!(
        de::from_node::<CiliumPolicy>(&root).unwrap(),
        serde_json::from_value::<CiliumPolicy>(root.to_json()).unwrap()
    );
}

#[test]
fn server_set_metadata_survives_a_round_trip() {
    let text = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: prod
  uid: 5f0c6a0e-1b9e-4c1e-9d43-0c1f1f1f1f1f
  resourceVersion: '12345'
  generation: 2
  creationTimestamp: '2026-11-25T10:00:00Z'
  managedFields:
  - manager: kubectl
    operation: Update
    time: '2026-11-25T10:00:00Z'
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {\"apiVersion\":\"networking.k8s.io/v1\"}
spec:
  podSelector: {}
";
    let out = parse_documents(text);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let emitted = emit_object(&out.objects[0].object);
    for kept in [
        "uid: 5f0c6a0e-1b9e-4c1e-9d43-0c1f1f1f1f1f",
        "resourceVersion: '12345'",
        "generation: 2",
        "creationTimestamp: '2026-11-25T10:00:00Z'",
        "manager: kubectl",
        "kubectl.kubernetes.io/last-applied-configuration: |\n      {\"apiVersion\":\"networking.k8s.io/v1\"}\n",
    ] {
        assert!(emitted.contains(kept), "`{kept}` was lost:\n{emitted}");
    }
    assert_eq!(
        parse_documents(&emitted).objects[0].object,
        out.objects[0].object
    );
    let ns = parse_documents(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {x: y}}\nstatus: {phase: Active}\n",
    );
    let emitted = emit_object(&ns.objects[0].object);
    assert!(
        emitted.starts_with("apiVersion: v1\nkind: Namespace\n")
            && emitted.contains("phase: Active"),
        "{emitted}"
    );
}

#[test]
fn within_edit_distance_agrees_with_the_distance_and_skips_long_strings() {
    use super::{edit_distance, within_edit_distance};
    for (a, b) in [
        ("networkpolicy", "networkpolcy"),
        ("ingress", "ingres"),
        ("egress", "ingress"),
        ("pod", "podselector"),
        ("", "ab"),
        ("été", "ete"),
    ] {
        for max in 0..4 {
            assert_eq!(
                within_edit_distance(a, b, max),
                edit_distance(a, b) <= max,
                "{a} {b} {max}"
            );
        }
    }
    // A 900 KiB scalar is refused by its length alone (the quadratic
    // distance would take seconds: found by the server's bad-input catalogue).
    let huge = "v".repeat(900 * 1024);
    assert!(!within_edit_distance(&huge, "networkpolicy", 2));
}
